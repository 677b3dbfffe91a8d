#!/usr/bin/env bats
# The official JSON Schema Test Suite through "evpipe validate": every
# required test of draft-07, 2019-09 and 2020-12, and at least 95% of the
# optional and format tests; failures must be the listed expected ones.
load test_helper

@test "schema-suite: conformance run passes" {
	run "$REPO/tests/schema-suite/run" "$EVPIPE"
	echo "$output"
	assert_success
	assert_output --partial "draft2020-12  required   1299/1299"
	assert_output --partial "draft2019-09  required   1259/1259"
	assert_output --partial "draft7        required    927/927"
}

@test "schema-suite: a missing suite fails the run, never skips" {
	JSON_SCHEMA_TEST_SUITE=$BATS_TEST_TMPDIR/nowhere run "$REPO/tests/schema-suite/run" "$EVPIPE"
	assert_failure
	assert_output --partial "not found"
}

@test "schema-suite: vendored with its licence, and nothing looks outside the clone" {
	suite=$REPO/tests/schema-suite/JSON-Schema-Test-Suite
	assert [ -f "$suite/LICENSE" ]
	run cat "$suite/SOURCE.txt"
	assert_output --partial "44401e0c046704b476ec9d2e2fccdaee618f259d"
	# A clone with nothing beside it must pass its own tests.
	cd "$REPO"
	run git grep -l -F '../shared' -- ':!tests/schema-suite/JSON-Schema-Test-Suite' ':!tests/jq-suite/jq-tests' ':!tests/40-schema-suite.bats'
	assert_output ""
}
