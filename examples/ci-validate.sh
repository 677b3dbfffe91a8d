#!/bin/sh
# ci-validate: check captured events in CI against a registry of schemas,
# one file per event type and version (examples/schemas/TYPE/vN.json;
# order/v2.json refers to common/money.json).  Valid events go on,
# invalid ones to a dead-letter file with every error, and a JSON report
# counts them per schema with the most frequent failing keywords.
# evpipe exits 1 because some events were invalid.
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
