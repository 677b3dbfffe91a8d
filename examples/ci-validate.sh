#!/bin/sh
# ci-validate: check captured events in CI against a registry of schemas,
# one file per event type and version (examples/schemas/TYPE/vN.json;
# order/v2.json refers to common/money.json).  Valid events go on,
# invalid ones to a dead-letter file with every error, and a JSON report
# counts them per schema with the most frequent failing keywords.
# evpipe exits 1 because some events were invalid.  Then a proposed
# schema change is checked for backward compatibility (schema compat).
#
# usage: sh examples/ci-validate.sh [EVPIPE] <examples/ci-validate.in.ndjson
set -eu
EVPIPE=${1:-evpipe}
dir=$(mktemp -d "${TMPDIR:-/tmp}/evpipe-example.XXXXXX")
trap 'rm -rf "$dir"' EXIT

status=0
"$EVPIPE" -q --dlq "$dir/invalid.ndjson" validate -s examples/schemas \
	--select '{.type}/v{.version}.json' --report "$dir/report.json" ||
	status=$?
[ "$status" -eq 1 ] || { echo "expected exit status 1, got $status" >&2; exit 1; }

# The valid events came out above; then the report.
cat "$dir/report.json"

# A proposed change to a schema must keep every event that was valid
# before valid (backward compatibility): here making "name" required and
# closing user/v1.json breaks that, and the JSON report says where.
cat >"$dir/user-v1-proposed.json" <<'SCHEMA'
{
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "required": ["type", "version", "email", "name"],
  "properties": {
    "type": {},
    "version": {},
    "email": { "type": "string", "format": "email" },
    "name": { "type": "string", "minLength": 1 }
  },
  "additionalProperties": false
}
SCHEMA
status=0
"$EVPIPE" schema compat --format json examples/schemas/user/v1.json \
	"$dir/user-v1-proposed.json" >"$dir/compat.json" 2>/dev/null || status=$?
[ "$status" -eq 1 ] || { echo "expected exit status 1, got $status" >&2; exit 1; }
"$EVPIPE" map '.changes[]' "$dir/compat.json"
# The unchanged schema is compatible with itself: exit status 0.
"$EVPIPE" schema compat examples/schemas/user/v1.json examples/schemas/user/v1.json
