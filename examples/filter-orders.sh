#!/bin/sh
# filter-orders: keep the paid or shipped orders worth at least a minimum,
# given on the command line, from customers outside the US; events pass
# on byte for byte.
#
# usage: sh examples/filter-orders.sh [EVPIPE] <examples/filter-orders.in.ndjson
set -eu
EVPIPE=${1:-evpipe}

# The $names belong to the expressions, not to the shell.
# shellcheck disable=SC2016
"$EVPIPE" --argjson min 100 \
	filter '(.type == "order.paid" or .type == "order.shipped")
		and .order.total >= $min' \
	"then" filter --invert '.user.country == "US"'
