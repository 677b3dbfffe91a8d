#!/bin/sh
# access-log: an nginx access log (combined format) read as typed events:
# the server errors and slow clients' requests as compact events, and a
# line that is not in the format kept in a dead-letter file with its line
# number instead of being lost.
#
# usage: sh examples/access-log.sh [EVPIPE]
set -eu
EVPIPE=${1:-evpipe}
dir=$(mktemp -d "${TMPDIR:-/tmp}/access-log.XXXXXX")
trap 'rm -rf "$dir"' EXIT

cat >"$dir/access.log" <<'LOG'
203.0.113.9 - - [05/Dec/2026:06:25:24 +0000] "GET /api/orders HTTP/1.1" 200 512 "-" "Mozilla/5.0"
198.51.100.4 - ann [05/Dec/2026:06:25:25 +0000] "POST /api/orders HTTP/1.1" 502 157 "https://shop.example/cart" "Mozilla/5.0"
192.0.2.8 - - [05/Dec/2026:06:25:26 +0000] "\x16\x03\x01\x02\x00" 400 157 "-" "-"
192.0.2.7 - - [05/Dec/2026:06:25:27 +0000] "GET /api/users/7 HTTP/1.1" 503 - "-" "curl/8.5.0"
this line was cut by a full disk
LOG
"$EVPIPE" --from combined --dlq "$dir/bad.ndjson" \
	filter '.status >= 500' \
	"then" map '{time, remote_user, request: "\(.method) \(.path)", status, bytes}' \
	"$dir/access.log" || [ $? -eq 1 ]
# the dead letter says where the bad line was
"$EVPIPE" map '{line, reason}' "$dir/bad.ndjson"
