#!/bin/sh
# csv-to-events: turn a CSV export into events, work on them, and write
# a CSV again.  Dotted column names nest ("customer.name"), --csv-types
# makes numbers and true/false JSON values, and --to csv flattens the
# events back into columns in first-seen order.
#
# usage: sh examples/csv-to-events.sh [EVPIPE]
set -eu
EVPIPE=${1:-evpipe}
dir=$(mktemp -d "${TMPDIR:-/tmp}/evpipe-example.XXXXXX")
trap 'rm -rf "$dir"' EXIT

cat >"$dir/orders.csv" <<'CSV'
id,customer.name,customer.country,total,paid,note
1001,Ann,FR,120.50,true,
1002,Bob,DE,15,false,"gift wrap, please"
1003,"Chen, Li",FR,99.99,true,"call ""before"" delivery"
CSV

# CSV in, NDJSON out: one event per row.
"$EVPIPE" --from csv --csv-types cat "$dir/orders.csv"

# Work on the events: paid French orders, a few fields.
"$EVPIPE" --from csv --csv-types \
	filter '.paid and .customer.country == "FR"' \
	"then" map '{id, name: .customer.name, total}' \
	"$dir/orders.csv"

# And back to CSV, quoting what needs quoting.
"$EVPIPE" --from csv --csv-types --to csv \
	map '{id, customer, note}' "$dir/orders.csv"
