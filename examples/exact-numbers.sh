#!/bin/sh
# exact-numbers: validate ledger events whose numbers a double cannot
# hold.  Account ids are unsigned 64-bit integers (up to
# 18446744073709551615) and amounts are whole cents.  validate compares
# numbers as they are written, so an id one past the maximum, or
# 9007199254740993 (2^53 + 1), is never rounded, and 12.50, 1250e-2 and
# 12.5 are the same amount.  Valid events pass byte for byte; the others
# go to a dead-letter file, whose line numbers and reasons follow.
#
# Then the valid events are rebuilt without their "batch" field: a
# number nobody computed on keeps its text, so the 20-digit account, the
# amount 12.50, the fee -0 and the rate 1.0 come out as they came in;
# only the computed cents (a double) print as jq prints a number.
#
# usage: sh examples/exact-numbers.sh [EVPIPE] <examples/exact-numbers.in.ndjson
set -eu
EVPIPE=${1:-evpipe}
dir=$(mktemp -d "${TMPDIR:-/tmp}/evpipe-example.XXXXXX")
trap 'rm -rf "$dir"' EXIT

cat >"$dir/ledger.json" <<'J'
{"type": "object", "required": ["account", "amount"],
 "properties": {
   "account": {"type": "integer", "minimum": 1, "maximum": 18446744073709551615},
   "amount": {"type": "number", "exclusiveMinimum": 0, "multipleOf": 0.01}}}
J
status=0
"$EVPIPE" -q --dlq "$dir/bad.ndjson" validate -s "$dir/ledger.json" \
	>"$dir/good.ndjson" || status=$?
[ "$status" -eq 1 ] || { echo "expected exit status 1, got $status" >&2; exit 1; }
cat "$dir/good.ndjson"
"$EVPIPE" map '{line, reason}' "$dir/bad.ndjson"
"$EVPIPE" map 'del(.batch) | .cents = .amount * 100' \
	"$dir/good.ndjson"
