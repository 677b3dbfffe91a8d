#!/bin/sh
# reshape: turn order events into one small event per order line, with
# the customer's e-mail domain and the day, and drop everything else.
#
# usage: sh examples/reshape.sh [EVPIPE] <examples/reshape.in.ndjson
set -eu
EVPIPE=${1:-evpipe}

# The $names belong to the expressions, not to the shell.
# shellcheck disable=SC2016
"$EVPIPE" filter '.type | startswith("order.")' \
	"then" map '{id, day: .ts[0:10], domain: (.user.email // "" | sub("^.*@"; "")),
		currency: .order.currency} as $head
		| .order.items[]?
		| $head + {sku, amount: (.qty * .price)}'
