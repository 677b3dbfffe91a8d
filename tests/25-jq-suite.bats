#!/usr/bin/env bats
# jq 1.7.1's own test files (vendored in tests/jq-suite/jq-tests) through
# "evpipe map": the yardstick of the expression language.  Every group
# passes but those of tests/jq-suite/exclusions.txt, each with its reason
# (modules, input, jq's non-JSON input; evpipe-expr(7) lists them too).
# The ratchet below counts the passing groups: raise it, never lower it.
load test_helper

@test "jq-suite: no group that passed fails now" {
	run "$REPO/tests/jq-suite/run" "$EVPIPE" --min jq.test=431 man.test=223 manonig.test=17
	echo "$output"
	assert_success
}

@test "jq-suite: every group passes or is on the reviewed list of exclusions" {
	run "$REPO/tests/jq-suite/run" "$EVPIPE" --exclusions "$REPO/tests/jq-suite/exclusions.txt"
	echo "$output"
	assert_success
	assert_output --partial "jq.test       in scope 431  pass 431 (100.0%)"
	refute_output --partial "jq-suite:"
}

@test "jq-suite: each exclusion gives its reason, and only modules, input and numbers are excluded" {
	local line n=0
	while IFS= read -r line; do
		[[ -z $line || $line == \#* ]] && continue
		n=$((n + 1))
		[[ $line =~ ^(jq|man|manonig)\.test:[0-9]+$'\t'(modules|input|numbers):\ .+ ]] ||
			fail "exclusion without a reason of a known kind: $line"
	done <"$REPO/tests/jq-suite/exclusions.txt"
	((n > 0 && n <= 20)) || fail "$n exclusions: the list must stay short"
}

@test "jq-suite: a group neither passing nor excluded fails the run" {
	grep -v '^jq.test:1949' "$REPO/tests/jq-suite/exclusions.txt" >"$BATS_TEST_TMPDIR/excl"
	run "$REPO/tests/jq-suite/run" "$EVPIPE" jq.test --exclusions "$BATS_TEST_TMPDIR/excl"
	assert_failure
	assert_output --partial "jq-suite: jq.test:1949: refused, and not excluded: try input catch ."
}

@test "jq-suite: an excluded group that passes is a stale entry and fails the run" {
	cp "$REPO/tests/jq-suite/exclusions.txt" "$BATS_TEST_TMPDIR/excl"
	# the first group of man.test passes
	first=$(grep -n -v '^#' "$REPO/tests/jq-suite/jq-tests/man.test" | grep -v ':$' | head -1 | cut -d: -f1)
	printf 'man.test:%s\tnumbers: a test of the runner\n' "$first" >>"$BATS_TEST_TMPDIR/excl"
	run "$REPO/tests/jq-suite/run" "$EVPIPE" man.test --exclusions "$BATS_TEST_TMPDIR/excl"
	assert_failure
	assert_output --partial "jq-suite: man.test:$first passes now: remove it from"
}

@test "jq-suite: an exclusion that names no group, or gives no reason, fails the run" {
	printf 'manonig.test:2\tnumbers: no group starts here\n' >"$BATS_TEST_TMPDIR/excl"
	run "$REPO/tests/jq-suite/run" "$EVPIPE" manonig.test --exclusions "$BATS_TEST_TMPDIR/excl"
	assert_failure
	assert_output --partial "manonig.test:2 names no group"
	printf 'manonig.test:3\n' >"$BATS_TEST_TMPDIR/excl"
	run "$REPO/tests/jq-suite/run" "$EVPIPE" manonig.test --exclusions "$BATS_TEST_TMPDIR/excl"
	assert_failure
	assert_output --partial "want FILE:LINE<TAB>REASON"
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
