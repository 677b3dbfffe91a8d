#!/bin/sh
# demo: a short tour of what evpipe does today, run by "make demo".
# Each step says what it shows, prints the command, then runs it.
#
# usage: sh examples/demo.sh [EVPIPE]
set -u
EVPIPE=${1:-evpipe}
dir=$(mktemp -d "${TMPDIR:-/tmp}/evpipe-demo.XXXXXX")
trap 'rm -rf "$dir"' EXIT
ex=examples
failed=0

# evpipe inside the steps runs the binary under test.
evpipe() { "$EVPIPE" "$@"; }

# step TEXT COMMAND [EXPECTED-STATUS]: explain, show, run, report.
step() {
	printf '\n== %s\n$ %s\n' "$1" "$2"
	eval "$2" 2>&1
	rc=$?
	printf '(exit status %s)\n' "$rc"
	if [ "$rc" -ne "${3:-0}" ]; then
		echo "demo: expected exit status ${3:-0}" >&2
		failed=1
	fi
}

printf 'evpipe demo, with %s (%s)\n' "$EVPIPE" "$(evpipe --version)"
printf 'Scratch files go to %s and are removed at the end.\n' "$dir"

step "The input: newline-delimited JSON, one event a line" \
	"cat $ex/head-of-gz.in.ndjson"

step "Pass events through; every line is checked to be JSON" \
	"evpipe cat $ex/head-of-gz.in.ndjson"

step "The first two events; evpipe stops reading after them" \
	"evpipe head -n 2 $ex/head-of-gz.in.ndjson"

step "Chain commands with 'then': keep a copy of each event, pass three on" \
	"evpipe tee --target $dir/copy.ndjson then head -n 3 $ex/head-of-gz.in.ndjson"

step "Compress into a .gz target (appended as a new gzip member)" \
	"evpipe -o $dir/log.ndjson.gz cat $ex/head-of-gz.in.ndjson"

step "gzip input is recognised by its first bytes, not by its name" \
	"cp $dir/log.ndjson.gz $dir/log.data && evpipe head -n 1 $dir/log.data"

step "Bad lines are reported on stderr with source:line, the rest go on; exit status 1" \
	"evpipe cat $ex/errors-to-dlq.in.ndjson" 1

step "With --dlq, each bad line is also kept as a JSON record with the reason" \
	"evpipe -q --dlq $dir/dead.ndjson cat $ex/errors-to-dlq.in.ndjson >/dev/null; cat $dir/dead.ndjson" 0

step "--on-error stop: stop reading at the first bad line" \
	"evpipe --on-error stop cat $ex/errors-to-dlq.in.ndjson" 1

step "Feed events to a long-lived process (exec: target), here counting them" \
	"evpipe -o 'exec:wc -l' cat $ex/tee-archive.in.ndjson"

step "Per-stage counts at exit with -v (options go anywhere on the line)" \
	"evpipe cat then head -n 3 $ex/head-of-gz.in.ndjson -v >/dev/null"

step "Keep events matching a jq expression, and reshape them" \
	"evpipe filter '.level == \"warn\" or .level == \"error\"' then map '{seq, msg}' $ex/head-of-gz.in.ndjson"

step "Validate against JSON Schema: every error with its line and pointer; exit status 1" \
	"evpipe validate -s $ex/schemas --select '{.type}/v{.version}.json' $ex/ci-validate.in.ndjson >/dev/null" 1

step "A mistake on the command line is a usage error: exit status 2" \
	"evpipe head --lines many $ex/head-of-gz.in.ndjson" 2

step "A file that cannot be read is an I/O error: exit status 3" \
	"evpipe cat $dir/no-such-file.ndjson" 3

if [ "$failed" -ne 0 ]; then
	printf '\ndemo: some steps did not end as expected\n'
	exit 1
fi
printf '\nThat is all for now. More: evpipe --help, man evpipe (in man/), examples/.\n'
