#!/bin/sh
# reorder-and-file: events from several producers arrive a little out of
# order.  Put them back in time order (up to 5 seconds late), dead-letter
# what comes later than that with its reason, and file the rest by
# service with a templated -o: one file per value, as split writes them.
# Then pace the api events for a slow consumer with throttle --mode delay:
# at most 2 every 100 ms, none dropped.
#
# usage: sh examples/reorder-and-file.sh [EVPIPE] <examples/reorder-and-file.in.ndjson
set -eu
EVPIPE=${1:-evpipe}
dir=$(mktemp -d "${TMPDIR:-/tmp}/evpipe-example.XXXXXX")
trap 'rm -rf "$dir"' EXIT

mkdir "$dir/by-service" # -o does not create directories; split --mkdir does
# An event 8 s older than the newest one seen is past the window; the
# status is then 1 (something was dead-lettered), which is expected here.
# -q: the note about it goes to the dead-letter file only.
"$EVPIPE" -q --dlq "$dir/late.ndjson" -o "$dir/by-service/{.service}.ndjson" \
	sort --by .ts --window 5s || [ $? -eq 1 ]

# Each file, in time order; input_filename names the file of each event.
"$EVPIPE" map '{file: (input_filename | split("/") | last), ts, msg}' \
	"$dir"/by-service/*.ndjson
"$EVPIPE" map '{late: .reason, msg: .event.msg}' "$dir/late.ndjson"

"$EVPIPE" throttle --rate 2/100ms --mode delay 'then' map '{paced: .msg}' \
	"$dir/by-service/api.ndjson"
