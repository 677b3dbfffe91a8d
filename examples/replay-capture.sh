#!/bin/sh
# replay-capture: play a captured event stream back at its recorded pace
# (here 20 times as fast, and never more than 50ms between two events,
# though the capture has a four-hour gap), then as a steady load, each
# event sent closer to its due time.
# Events leave unchanged; only their timing is replayed.
#
# usage: sh examples/replay-capture.sh [EVPIPE] <examples/replay-capture.in.ndjson
set -eu
EVPIPE=${1:-evpipe}
dir=$(mktemp -d "${TMPDIR:-/tmp}/evpipe-example.XXXXXX")
trap 'rm -rf "$dir"' EXIT
cat >"$dir/capture.ndjson"

# At the recorded pace, sped up; the capture's times are RFC 3339 in .ts.
"$EVPIPE" replay --speed 20 --max-gap 50ms "$dir/capture.ndjson"

# A fixed rate instead, twice over, into a process that counts them.
# --spin 1ms busy-waits the last millisecond before each event: closer
# to its due time (-v prints the lateness), at the price of a busy core.
"$EVPIPE" -o "exec:wc -l >'$dir/count'" replay --rate 200/s --loop 2 \
	--spin 1ms "$dir/capture.ndjson"
echo "{\"replayed\":$(tr -d ' ' <"$dir/count")}"
