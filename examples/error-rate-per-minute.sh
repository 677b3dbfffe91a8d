#!/bin/sh
# error-rate-per-minute: requests, server errors, their share and the
# p99 latency per service and minute of event time, as CSV.  Events may
# come up to 10 seconds out of order and still count in their minute;
# later ones are dead-lettered with the reason.  On a followed log
# (evpipe -F ... access.ndjson) each minute is written once the log has
# moved 10 s past its end, or has been quiet that long: no next line is
# needed.
#
# usage: sh examples/error-rate-per-minute.sh [EVPIPE] <examples/error-rate-per-minute.in.ndjson
set -eu
EVPIPE=${1:-evpipe}
dir=$(mktemp -d "${TMPDIR:-/tmp}/evpipe-example.XXXXXX")
trap 'rm -rf "$dir"' EXIT

# 10:00:59 arrives after 10:01:04, within the 10 s: it counts in its
# minute.  10:00:40 arrives after 10:01:41 moved the watermark to
# 10:01:31, past its minute: late (status 1, expected).
"$EVPIPE" -q --dlq "$dir/late.ndjson" --to csv \
	aggregate -k .service -w 1m --time .ts --lateness 10s \
	-a requests=count \
	-a 'errors=count(.status >= 500)' \
	-a 'p99(.latency_ms)' \
	'then' map '.error_rate = (.errors / .requests * 1000 | round / 1000)' ||
	[ $? -eq 1 ]

"$EVPIPE" map '{late: .event.ts, why: .reason}' "$dir/late.ndjson"
