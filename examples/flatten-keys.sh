#!/bin/sh
# flatten-keys: turn nested objects into one level of dotted keys, for a
# columnar store or a spreadsheet, with a recursive function written in
# the expression (def); arrays and empty objects are kept as values.
#
# flat yields a [path, value] pair for each leaf: at an object it
# recurses into each member and puts the member's key in front of the
# path.
#
# usage: sh examples/flatten-keys.sh [EVPIPE] <examples/flatten-keys.in.ndjson
set -eu
EVPIPE=${1:-evpipe}

# The $names belong to the expression, not to the shell.
# shellcheck disable=SC2016
"$EVPIPE" map 'def flat:
		if type == "object" and length > 0 then
			to_entries[] as $e | $e.value | flat | .[0] |= [$e.key] + .
		else [[], .] end;
	[flat | {key: (.[0] | join(".")), value: .[1]}] | from_entries'
