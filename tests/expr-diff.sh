#!/bin/bash
# expr-diff.sh EVPIPE FIRST COUNT: compare expressions FIRST..FIRST+COUNT-1
# (1-based) of tests/fixtures/expr/exprs.txt between jq 1.6 and evpipe, as
# that file's header says, over edge.ndjson followed by events.ndjson.
# Prints one paragraph per difference; exits 1 if there was any.
set -u
evpipe=$1 first=$2 count=$3
dir=$(cd "$(dirname "$0")" && pwd)/fixtures/expr
tmp=$(mktemp -d "${TMPDIR:-/tmp}/evpipe-diff.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cat "$dir/edge.ndjson" "$dir/events.ndjson" >"$tmp/in"

# check N EXPR: write a report to $tmp/N.bad if the two disagree.
check() {
	local n=$1 e=$2 mode q t=$tmp/$1
	for mode in map filter; do
		if [[ $mode == filter ]]; then q="select(any($e; .))"; else q=$e; fi
		jq -c "$q" <"$tmp/in" >"$t.jq" 2>"$t.jqerr"
		: >"$t.dlq"
		"$EVPIPE_DIFF" -q --dlq "$t.dlq" "$mode" -- "$e" "$tmp/in" \
			>"$t.ev" 2>"$t.everr"
		if ! cmp -s "$t.jq" "$t.ev"; then
			{
				echo "DIFF $mode: $e"
				diff "$t.jq" "$t.ev" | head -6
				head -3 "$t.everr"
			} >>"$t.bad"
		elif [[ $(grep -c '^jq: error' "$t.jqerr") != $(wc -l <"$t.dlq") ]]; then
			{
				echo "REJECTS $mode: $e: jq $(grep -c '^jq: error' "$t.jqerr"), evpipe $(wc -l <"$t.dlq")"
				head -2 "$t.jqerr" "$t.dlq" "$t.everr"
			} >>"$t.bad"
		fi
	done
}

export EVPIPE_DIFF=$evpipe
n=0
while IFS= read -r e; do
	n=$((n + 1))
	((n >= first && n < first + count)) || continue
	check "$n" "$e" &
	# two at a time: jq 1.6 takes most of the time starting up
	(($(jobs -rp | wc -l) >= 2)) && wait -n
done < <(grep -v '^#' "$dir/exprs.txt" | grep -v '^$')
wait
if compgen -G "$tmp/*.bad" >/dev/null; then
	cat "$tmp"/*.bad
	exit 1
fi
exit 0
