#!/bin/sh
# count-paths: the paths of access events counted with sort and uniq, as
# with jq -r: -r writes each path as plain text, not as a JSON string.
#
# usage: sh examples/count-paths.sh [EVPIPE] <examples/count-paths.in.ndjson
set -eu
EVPIPE=${1:-evpipe}

"$EVPIPE" -r filter '.status < 400' "then" map .path | sort | uniq -c | sort -k1,1nr -k2
