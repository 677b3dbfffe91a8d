#!/bin/sh
# tee-archive: copy a stream to a gzip-compressed archive and to a plain
# file while passing it on, then read both back.  A .gz target is read
# back by evpipe itself (gzip is detected by its magic bytes) or by zcat.
#
# usage: sh examples/tee-archive.sh [EVPIPE] <examples/tee-archive.in.ndjson
set -eu
EVPIPE=${1:-evpipe}
dir=$(mktemp -d "${TMPDIR:-/tmp}/evpipe-example.XXXXXX")
trap 'rm -rf "$dir"' EXIT

# Every event goes to both targets, and on to the next command (here the
# output, thrown away).
"$EVPIPE" tee --target "$dir/archive.ndjson.gz" --target "$dir/copy.ndjson" >/dev/null

# Read the archive back; it must hold exactly what the plain copy holds.
"$EVPIPE" cat "$dir/archive.ndjson.gz" >"$dir/from-gz.ndjson"
cmp "$dir/from-gz.ndjson" "$dir/copy.ndjson"
cat "$dir/from-gz.ndjson"

# Targets append: a second run adds a second gzip member, and the archive
# still reads as one stream.
# Here the first event is appended again, so the archive ends with it.
"$EVPIPE" -o "$dir/archive.ndjson.gz" head -n 1 "$dir/copy.ndjson"
"$EVPIPE" cat "$dir/archive.ndjson.gz" | tail -n 1
gzip -dc "$dir/archive.ndjson.gz" | tail -n 1
