#!/bin/sh
# nats-fan-in: several producers publish into one JetStream stream, and
# one evpipe consumes it through a durable consumer, writing a file per
# subject.  Each site's gateway publishes its own readings to
# sensors.SITE; the consumer "archive" is created by evpipe on its first
# run and kept, so a rerun goes on where this one stopped.  A message is
# acknowledged only once its event is written out: stopping the consumer
# (SIGTERM) loses nothing.
#
# The server is nats-server with JetStream, on 127.0.0.1 and a free
# port, with its store in a temporary directory; the stream is created
# with nats-peer (built by make from tests/helpers/).
#
# usage: sh examples/nats-fan-in.sh [EVPIPE] <examples/nats-fan-in.in.ndjson
set -eu
EVPIPE=${1:-evpipe}
PATH=$PATH:/usr/sbin # where Debian installs nats-server
case $EVPIPE in
*/*)
	bindir=$(cd "$(dirname "$EVPIPE")" && pwd)
	EVPIPE=$bindir/$(basename "$EVPIPE")
	;;
*) bindir=$(cd "$(dirname "$(command -v "$EVPIPE")")" && pwd) ;;
esac
peer=$bindir/build/nats-peer
[ -x "$peer" ] || peer=$bindir/nats-peer
[ -x "$peer" ] || { echo "nats-peer is not built (make)" >&2; exit 1; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/evpipe-example.XXXXXX")
server=
consumer=
cleanup() {
	for p in $consumer $server; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$dir"
}
trap cleanup EXIT
cd "$dir"

# 1. The server, and a stream that takes every subject under "sensors.".
nats-server -js -a 127.0.0.1 -p -1 -sd "$dir/store" >server.log 2>&1 &
server=$!
i=0
port=
while [ -z "$port" ]; do
	i=$((i + 1))
	[ "$i" -le 100 ] || { echo "nats-server did not start" >&2; exit 1; }
	sleep 0.1
	port=$(sed -n 's/.*Listening for client connections on 127\.0\.0\.1:\([0-9]*\).*/\1/p' server.log)
done
url=nats://127.0.0.1:$port
"$peer" "$url" stream SENSORS 'sensors.>'

# 2. The consumer: a durable pull consumer, a file per subject.
mkdir by-subject
"$EVPIPE" -i "$url/SENSORS?consumer=archive" \
	split 'by-subject/{input_meta.subject}.ndjson' 2>consumer.log &
consumer=$!

# 3. Three producers, one per site, publishing at the same time.
cat >in.ndjson
pids=
for site in north south east; do
	"$EVPIPE" -o "$url/sensors.{.site}?msgid={.id}" \
		filter ".site == \"$site\"" in.ndjson &
	pids="$pids $!"
done
for p in $pids; do
	wait "$p"
done

# 4. Once every event is out, stop the consumer: it acknowledges and ends.
want=$(wc -l <in.ndjson)
i=0
while [ "$(cat by-subject/*.ndjson 2>/dev/null | wc -l)" -lt "$want" ]; do
	i=$((i + 1))
	[ "$i" -le 600 ] || { echo "the consumer did not get everything" >&2; exit 1; }
	sleep 0.1
done
kill -TERM "$consumer"
status=0
wait "$consumer" || status=$?
consumer=
[ "$status" -eq 143 ] || { echo "consumer: exit status $status" >&2; exit 1; }

# 5. The files, one per subject, each in its producer's order.
for f in by-subject/*.ndjson; do
	# shellcheck disable=SC2016 # $file is evpipe's, not the shell's
	"$EVPIPE" --arg file "${f#by-subject/}" map '{file: $file} + .' "$f"
done

# 6. The consumer is kept, with nothing left to deliver or acknowledge
# (the server takes acknowledgements in the background: a moment).
i=0
while :; do
	state=$("$peer" "$url" consumer SENSORS archive)
	case $state in *" ack_pending=0 "*) break ;; esac
	i=$((i + 1))
	[ "$i" -le 100 ] || break
	sleep 0.1
done
# shellcheck disable=SC2001 # a POSIX sh script: no ${var//...}
echo "$state" |
	sed 's/^pending=\([0-9]*\) ack_pending=\([0-9]*\).*/{"pending":\1,"ack_pending":\2}/'
