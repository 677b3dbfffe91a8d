#!/bin/sh
# text-log: a plain-text application log read line by line (-R, as jq -R),
# each line parsed with capture into an event with typed fields; lines in
# another shape are kept aside, and the slow requests' ids written as
# plain text (-r).
#
# usage: sh examples/text-log.sh [EVPIPE]
set -eu
EVPIPE=${1:-evpipe}

cat <<'LOG' | "$EVPIPE" -R -r \
	map 'capture("^(?<ts>\\S+) (?<level>[A-Z]+) req=(?<id>\\S+) (?<method>[A-Z]+) (?<path>\\S+) (?<ms>\\d+)ms$")' \
	"then" map '.ms |= tonumber' \
	"then" filter '.ms >= 100' \
	"then" map '"\(.id) \(.method) \(.path) \(.ms)ms"'
2026-11-30T10:00:01Z INFO req=a1 GET /api/orders 12ms
2026-11-30T10:00:02Z INFO req=a2 POST /api/orders 250ms
2026-11-30T10:00:02Z WARN cache miss for key users:7
2026-11-30T10:00:03Z INFO req=a3 GET /api/users/7 101ms
2026-11-30T10:00:04Z ERROR req=a4 GET /api/orders 3005ms
LOG
