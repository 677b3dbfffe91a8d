#!/usr/bin/env bats
# jq 1.7.1's own test files (vendored in tests/jq-suite/jq-tests) through
# "evpipe map": the yardstick of the expression language.  Not every group
# passes yet (evpipe-expr(7) lists what is outside the subset); this is a
# ratchet: a change that makes a passing group fail, fails here.  Raise
# the numbers when groups start to pass.
load test_helper

@test "jq-suite: no group that passed fails now" {
	run "$REPO/tests/jq-suite/run" "$EVPIPE" --min jq.test=400 man.test=220 manonig.test=17
	echo "$output"
	assert_success
}

@test "jq-suite: the vendored files are jq 1.7.1's, with their licence" {
	run cat "$REPO/tests/jq-suite/jq-tests/SOURCE.txt"
	assert_output --partial "jq-1.7.1"
	assert [ -f "$REPO/tests/jq-suite/jq-tests/COPYING" ]
	run grep -c '' "$REPO/tests/jq-suite/jq-tests/jq.test"
	assert [ "$output" -gt 2000 ]
}

@test "jq-suite: a missing evpipe fails the run, never skips" {
	run "$REPO/tests/jq-suite/run" "$BATS_TEST_TMPDIR/nowhere/evpipe"
	assert_failure
	assert_output --partial "is not built"
}
