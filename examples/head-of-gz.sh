#!/bin/sh
# head-of-gz: the first events of a gzip-compressed capture.  evpipe knows
# gzip by its first bytes, not by the file name, so it also works on
# stdin and on files named anything.
#
# usage: sh examples/head-of-gz.sh [EVPIPE] <examples/head-of-gz.in.ndjson
set -eu
EVPIPE=${1:-evpipe}
dir=$(mktemp -d "${TMPDIR:-/tmp}/evpipe-example.XXXXXX")
trap 'rm -rf "$dir"' EXIT

cat >"$dir/capture.ndjson"
gzip -c "$dir/capture.ndjson" >"$dir/capture.ndjson.gz"
cp "$dir/capture.ndjson.gz" "$dir/capture.bin"

# The first two events of a .gz file.
"$EVPIPE" head -n 2 "$dir/capture.ndjson.gz"

# The first event of the same bytes under another name...
"$EVPIPE" head -n 1 "$dir/capture.bin"

# ...and from a pipe.
gzip -c "$dir/capture.ndjson" | "$EVPIPE" head -n 1
