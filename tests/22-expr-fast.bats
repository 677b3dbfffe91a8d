#!/usr/bin/env bats
# The fast paths (partial input, and predicates and projections on the
# scanner's tape) must give exactly what the full evaluator gives:
# EVPIPE_NO_FAST=1 turns them off for comparison.
load test_helper

check_both() {
	local cmd=$1 e out_fast out_slow err_fast err_slow n=0
	out_fast=$BATS_TEST_TMPDIR/fast out_slow=$BATS_TEST_TMPDIR/slow
	err_fast=$BATS_TEST_TMPDIR/fast.err err_slow=$BATS_TEST_TMPDIR/slow.err
	while IFS= read -r e; do
		[[ -z $e ]] && continue
		n=$((n + 1))
		rc_fast=0 rc_slow=0
		"$EVPIPE" "$cmd" "$e" "$FIXTURES/fast/edge.ndjson" >"$out_fast" 2>"$err_fast" || rc_fast=$?
		EVPIPE_NO_FAST=1 "$EVPIPE" "$cmd" "$e" "$FIXTURES/fast/edge.ndjson" >"$out_slow" 2>"$err_slow" || rc_slow=$?
		cmp -s "$out_fast" "$out_slow" || { diff -u "$out_slow" "$out_fast"; fail "$cmd '$e': output differs"; }
		cmp -s "$err_fast" "$err_slow" || { diff -u "$err_slow" "$err_fast"; fail "$cmd '$e': stderr differs"; }
		[[ $rc_fast -eq $rc_slow ]] || fail "$cmd '$e': status $rc_fast, without fast paths $rc_slow"
	done <"$FIXTURES/fast/exprs.txt"
	[[ $n -ge 50 ]]
}

@test "filter: fast paths agree with the full evaluator, byte for byte" {
	check_both filter
}

@test "map: fast paths agree with the full evaluator, byte for byte" {
	check_both map
}

@test "fast paths and the full evaluator agree with jq on the bench-like sample" {
	for e in '.type == "order.paid" and .data.amount > 100' '.type | test("^order\\.")'; do
		"$EVPIPE" filter "$e" "$FIXTURES/expr/events.ndjson" | jq -c . >"$BATS_TEST_TMPDIR/ours"
		jq -c "select($e)" "$FIXTURES/expr/events.ndjson" >"$BATS_TEST_TMPDIR/jq"
		cmp "$BATS_TEST_TMPDIR/ours" "$BATS_TEST_TMPDIR/jq"
	done
	"$EVPIPE" map '{id, type, amount: .data.amount}' "$FIXTURES/expr/events.ndjson" >"$BATS_TEST_TMPDIR/ours"
	jq -c '{id, type, amount: .data.amount}' "$FIXTURES/expr/events.ndjson" >"$BATS_TEST_TMPDIR/jq"
	cmp "$BATS_TEST_TMPDIR/ours" "$BATS_TEST_TMPDIR/jq"
}

@test "split: sliced template slots ({.id[1:3]}) agree with the full evaluator" {
	cd "$BATS_TEST_TMPDIR"
	for mode in fast slow; do
		mkdir "$mode"
		rc=0
		if [[ $mode == slow ]]; then export EVPIPE_NO_FAST=1; fi
		"$EVPIPE" --dlq "$mode.dlq" split "$mode/{.id[1:3]}-{.type[-2:]}.ndjson" \
			"$FIXTURES/fast/edge.ndjson" 2>"$mode.err" || rc=$?
		unset EVPIPE_NO_FAST
		[[ $rc -eq 1 ]] || fail "$mode: status $rc, want 1 (rejects)"
	done
	diff -r fast slow
	cmp fast.dlq slow.dlq
	cmp fast.err slow.err
	# multibyte code points, an escape, and negative bounds
	[[ $(cat "fast/é-id.ndjson") == '{"type":"order\u002epaid","data":{"amount":1e3},"id":"a\u00e9"}' ]]
	[[ -s fast/ni-ga.ndjson && -s fast/af-re.ndjson ]]
	[[ $(wc -l <fast.dlq) -eq 9 ]]
}
