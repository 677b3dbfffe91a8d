#!/bin/sh
# route-by-type: send orders to one file and big orders also to a
# command, logins to a file per user, and let everything else flow on.
# Rules are tried in order; with --all an event goes to every rule that
# matches, not only the first.
#
# usage: sh examples/route-by-type.sh [EVPIPE] <examples/route-by-type.in.ndjson
set -eu
EVPIPE=${1:-evpipe}
dir=$(mktemp -d "${TMPDIR:-/tmp}/evpipe-example.XXXXXX")
trap 'rm -rf "$dir"' EXIT

# Unmatched events (page views, searches) go on to the output.
"$EVPIPE" route --all --mkdir \
	--when '.type | startswith("order.")' --target "$dir/orders.ndjson" \
	--when '.amount > 1000' --target "exec:cat >'$dir/big.ndjson'" \
	--when '.type == "user.login"' --target "$dir/logins/{.user}.ndjson"
# Then the orders, the big orders, and the logins of cy.
cat "$dir/orders.ndjson" "$dir/big.ndjson" "$dir/logins/cy.ndjson"
