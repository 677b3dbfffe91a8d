#!/bin/sh
# events-by-source: read CSV exports whose columns differ (each file has
# its own header), tag every event with the file it came from
# (input_filename, as in jq), and keep the events of each source in a
# file of their own.  The same works for followed files (-F) and for the
# clients of a listener (-i tcp://:PORT): there the name is
# tcp://PEER:PORT, and each client's CSV header is its own.
#
# usage: sh examples/events-by-source.sh [EVPIPE]
set -eu
EVPIPE=${1:-evpipe}
dir=$(mktemp -d "${TMPDIR:-/tmp}/evpipe-example.XXXXXX")
trap 'rm -rf "$dir"' EXIT
cd "$dir"
mkdir shops

cat >shops/paris.csv <<'CSV'
order,total
1,12.5
2,40
CSV
cat >shops/berlin.csv <<'CSV'
id,sum,currency
7,9.99,EUR
CSV

# One stream, each event tagged with its source.
"$EVPIPE" --from csv --csv-types \
	map '{source: input_filename, id: (.order // .id), total: (.total // .sum)}' \
	shops/paris.csv shops/berlin.csv

# A file per source: the name is sanitized like any template value, so
# "shops/paris.csv" stays one file name (shops%2Fparis.csv).
"$EVPIPE" --from csv split --mkdir 'by-source/{input_filename}.ndjson' \
	shops/paris.csv shops/berlin.csv
for f in by-source/*; do
	# shellcheck disable=SC2016 # $file is evpipe's, not the shell's
	"$EVPIPE" --arg file "$f" map '{file: $file, event: .}' "$f"
done
