#!/bin/sh
# mask-and-tidy: clean up text fields with jq 1.7's regular expressions,
# from a file saved with a UTF-8 byte order mark (as Windows editors and
# many exports write them): the mark at the start of the file is skipped.
#
# gsub searches the whole string from where the last match ended, so "^"
# and look-behind see the whole string; a named capture is .name in the
# replacement.
#
# usage: sh examples/mask-and-tidy.sh [EVPIPE]
set -eu
EVPIPE=${1:-evpipe}
dir=$(mktemp -d "${TMPDIR:-/tmp}/evpipe-example.XXXXXX")
trap 'rm -rf "$dir"' EXIT

printf '\357\273\277' >"$dir/tickets.ndjson"
cat >>"$dir/tickets.ndjson" <<'NDJSON'
{"id":1,"card":"4111 1111 1111 1234","note":"  call back   tomorrow ","tags":"vip, eu,  new"}
{"id":2,"card":"5500-0000-0000-0004","note":"Größe: XL","tags":"eu"}
NDJSON

# The shell must not expand the jq string interpolation.
# shellcheck disable=SC2016
"$EVPIPE" map '{id,
	card: (.card | gsub("[0-9](?=[0-9 -]*[0-9]{4}$)"; "*")),
	note: (.note | gsub("^ +| +$"; "") | gsub(" {2,}"; " ")),
	tags: [.tags | splits(", *")],
	size: (.note | capture("Größe: (?<size>[A-Z]+)").size // null)}' \
	"$dir/tickets.ndjson"
