#!/bin/sh
# tail-and-alert: follow an application's log as it is written, through a
# log rotation, and pass only the errors on -- here to a file that an
# alerting job would read.  Then stop, let events come in meanwhile, and
# start again after another rotation: with --checkpoint nothing is lost
# or read twice.
#
# usage: sh examples/tail-and-alert.sh [EVPIPE] <examples/tail-and-alert.in.ndjson
set -eu
EVPIPE=${1:-evpipe}
dir=$(mktemp -d "${TMPDIR:-/tmp}/evpipe-example.XXXXXX")
pid=
trap 'if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi; rm -rf "$dir"' EXIT
log=$dir/app.ndjson
cat >"$dir/input" # what the application will write, a few lines at a time

# wait_alerts N: until N alerts were written (at most 20 seconds).
wait_alerts() {
	i=0
	while [ "$(wc -l 2>/dev/null <"$dir/alerts.ndjson" || echo 0)" -lt "$1" ]; do
		i=$((i + 1))
		if [ "$i" -gt 400 ]; then
			echo "tail-and-alert: no alert $1" >&2
			exit 1
		fi
		sleep 0.05
	done
}

# alert: follow the log (-F) and keep only the errors.  -q: the notes
# about the rotations would go to stderr.
alert() {
	"$EVPIPE" -q -F --checkpoint "$dir/checkpoint.json" \
		-o "$dir/alerts.ndjson" \
		filter '.level == "error"' 'then' map '{ts, msg}' "$log" &
	pid=$!
}

: >"$log"
alert
sed -n '1,4p' "$dir/input" >>"$log"
wait_alerts 1

# logrotate renames the log; the application starts a new one.  The
# renamed file is read to its end, the new one from its start.
mv "$log" "$log.1"
sed -n '5,8p' "$dir/input" >>"$log"
wait_alerts 2

# Stop: SIGTERM drains and writes the checkpoint (exit status 143).
kill -TERM "$pid"
wait "$pid" || true
pid=

# Events written while evpipe is down are read when it starts again,
# even when the log was rotated meanwhile: the rest of the renamed file
# is found by its inode and read first, then the new log.
sed -n '9,10p' "$dir/input" >>"$log"
mv "$log" "$log.2"
sed -n '11,$p' "$dir/input" >>"$log"
alert
wait_alerts 4
kill -TERM "$pid"
wait "$pid" || true
pid=
cat "$dir/alerts.ndjson"
