#!/usr/bin/env bats
# filter and map: keeping, inverting, rejecting, compile errors, named
# arguments, and events passed on byte for byte.

load test_helper

setup() {
	in=$BATS_TEST_TMPDIR/in.ndjson
	printf '%s\n' '{"type":"a","n":1.0,"z":1,"y":2}' '{"type":"b","n":"x"}' \
		'{"type":"a","n":3}' >"$in"
}

@test "filter keeps matching events byte for byte" {
	run_to "$BATS_TEST_TMPDIR/out" filter '.type == "a"' "$in"
	[[ $status -eq 0 ]]
	same "$BATS_TEST_TMPDIR/out" '{"type":"a","n":1.0,"z":1,"y":2}\n{"type":"a","n":3}\n'
}

@test "filter --invert keeps the others" {
	run_to "$BATS_TEST_TMPDIR/out" filter --invert '.type == "a"' "$in"
	[[ $status -eq 0 ]]
	same "$BATS_TEST_TMPDIR/out" '{"type":"b","n":"x"}\n'
}

@test "filter keeps an event once when several outputs are true" {
	run_to "$BATS_TEST_TMPDIR/out" filter '.type, .n' "$in"
	[[ $status -eq 0 ]]
	[[ $(wc -l <"$BATS_TEST_TMPDIR/out") -eq 3 ]]
}

@test "an evaluation error rejects the event with stage, source and line" {
	run_to "$BATS_TEST_TMPDIR/out" filter '.n + 1 > 2' "$in"
	[[ $status -eq 1 ]]
	same "$BATS_TEST_TMPDIR/out" '{"type":"a","n":3}\n'
	[[ $stderr == *"evpipe: filter: $in:2: string (\"x\") and number (1) cannot be added"* ]] ||
		fail "stderr: $stderr"
}

@test "map rejects too, and goes on with the next event" {
	run_to "$BATS_TEST_TMPDIR/out" map '.n - 1' "$in"
	[[ $status -eq 1 ]]
	same "$BATS_TEST_TMPDIR/out" '0\n2\n'
	[[ $stderr == *"evpipe: map: $in:2: "* ]] || fail "stderr: $stderr"
}

@test "a compile error exits 2 with the column and a caret" {
	run_to "$BATS_TEST_TMPDIR/out" filter '.a | foo(1' "$in"
	[[ $status -eq 2 ]]
	[[ $stderr == *"column 11"* ]] || fail "stderr: $stderr"
	[[ $stderr == *"  .a | foo(1"$'\n'"            ^"* ]] || fail "no caret: $stderr"
}

@test "constructs outside the subset are named at compile time" {
	local e
	for e in 'def f: g; f' 'input' 'break $out' 'if . then 1 els' '$nope' 'import "a" as a; .'; do
		run_to "$BATS_TEST_TMPDIR/out" map -- "$e" "$in"
		[[ $status -eq 2 ]] || fail "$e: status $status"
		[[ $stderr == *"expression: column "* ]] || fail "$e: $stderr"
	done
}

@test "three dots are an error, as in jq; '..' then a field is not" {
	run_to "$BATS_TEST_TMPDIR/out" map -- '...a' "$in"
	[[ $status -eq 2 ]]
	[[ $stderr == *"expression: column 1: invalid literal: three dots in a row"* ]] || fail "$stderr"
	printf '{"a":{"a":1}}\n' >"$BATS_TEST_TMPDIR/one"
	run_to "$BATS_TEST_TMPDIR/out" map -- '[.. .a?]' "$BATS_TEST_TMPDIR/one"
	[[ $status -eq 0 ]]
	same "$BATS_TEST_TMPDIR/out" '[{"a":1},1]\n'
}

@test "map emits every output, none drops the event" {
	run_to "$BATS_TEST_TMPDIR/out" map 'select(.type == "a") | .z, .y' "$in"
	same "$BATS_TEST_TMPDIR/out" '1\n2\nnull\nnull\n'
}

@test "map passes an unchanged event on byte for byte" {
	printf '%s\n' '{"b":1.0, "a" : [1e2]}' >"$in"
	run_to "$BATS_TEST_TMPDIR/out" map '.' "$in"
	same "$BATS_TEST_TMPDIR/out" '{"b":1.0, "a" : [1e2]}\n'
	run_to "$BATS_TEST_TMPDIR/out" map 'select(.b == 1)' "$in"
	same "$BATS_TEST_TMPDIR/out" '{"b":1.0, "a" : [1e2]}\n'
}

@test "map prints new values as jq does, keys in order" {
	printf '%s\n' '{"z":1,"a":2}' >"$in"
	run_to "$BATS_TEST_TMPDIR/out" map '.m = 0.1 + 0.2 | .big = 1e17 + 0 | .i = 3.0 + 0 | .l = 3.0' "$in"
	same "$BATS_TEST_TMPDIR/out" '{"z":1,"a":2,"m":0.30000000000000004,"big":1e+17,"i":3,"l":3.0}\n'
}

@test "global and stage --arg and --argjson" {
	run_to "$BATS_TEST_TMPDIR/out" --arg t a filter --argjson min 2 '.type == $t and .n >= $min' "$in"
	same "$BATS_TEST_TMPDIR/out" '{"type":"a","n":3}\n'
	run_to "$BATS_TEST_TMPDIR/out" --arg t a map --arg t b '$t' "$in"
	same "$BATS_TEST_TMPDIR/out" '"b"\n"b"\n"b"\n'
}

@test "filter and map chain with then" {
	run_to "$BATS_TEST_TMPDIR/out" filter '.type == "a"' then map '{n}' "$in"
	same "$BATS_TEST_TMPDIR/out" '{"n":1.0}\n{"n":3}\n'
}

@test "regex flags and named captures" {
	printf '%s\n' '{"e":"Bob@Example.com"}' >"$in"
	run_to "$BATS_TEST_TMPDIR/out" map '.e | capture("(?<u>[a-z]+)@(?<d>.+)"; "i")' "$in"
	same "$BATS_TEST_TMPDIR/out" '{"u":"Bob","d":"Example.com"}\n'
}

@test "a pathological regex fails instead of hanging" {
	printf '%s\n' '{"s":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab"}' >"$in"
	run_to "$BATS_TEST_TMPDIR/out" filter '.s | test("^(a+)+$")' "$in"
	[[ $status -le 1 ]] || fail "status $status"
}

@test "unit: expression lexer and parser" { run_unit t-expr; }
@test "unit: templates and path sanitizing" { run_unit t-template; }

@test "input_filename: the file as given, null for stdin, in filter, map, route and keys" {
	cd "$BATS_TEST_TMPDIR"
	mkdir -p d
	printf '{"n":1}\n' >d/one.ndjson
	printf '{"n":2}\n' >two.ndjson
	run_to out map '{f: input_filename, n}' d/one.ndjson two.ndjson - <<<'{"n":3}'
	[[ $status -eq 0 ]]
	same out '{"f":"d/one.ndjson","n":1}\n{"f":"two.ndjson","n":2}\n{"f":null,"n":3}\n'
	# The fast paths do not apply: the same answer with and without.
	for fast in "" 1; do
		EVPIPE_NO_FAST=$fast run_to out filter 'input_filename == "two.ndjson"' \
			d/one.ndjson two.ndjson
		same out '{"n":2}\n'
		EVPIPE_NO_FAST=$fast run_to out filter 'input_filename == null' <two.ndjson
		same out '{"n":2}\n'
	done
	run_to out route --when 'input_filename | test("one")' --target one.out \
		d/one.ndjson two.ndjson
	same out '{"n":2}\n'
	same one.out '{"n":1}\n'
	run_to out dedup -k 'input_filename' d/one.ndjson two.ndjson d/one.ndjson
	same out '{"n":1}\n{"n":2}\n'
}

@test "error(null) is an error: try catches null, uncaught it rejects the event" {
	printf '%s\n' null '[1,null,2]' >"$BATS_TEST_TMPDIR/nulls"
	run_to "$BATS_TEST_TMPDIR/out" map 'try error catch .' "$BATS_TEST_TMPDIR/nulls"
	[[ $status -eq 0 ]] || fail "status $status: $stderr"
	same "$BATS_TEST_TMPDIR/out" 'null\n[1,null,2]\n'
	run_to "$BATS_TEST_TMPDIR/out" map '[.[]? | try error catch .]' "$BATS_TEST_TMPDIR/nulls"
	[[ $status -eq 0 ]] || fail "status $status: $stderr"
	same "$BATS_TEST_TMPDIR/out" '[]\n[1,null,2]\n'
	run_to "$BATS_TEST_TMPDIR/out" map 'error(null)' "$BATS_TEST_TMPDIR/nulls"
	[[ $status -eq 1 ]] || fail "status $status: $stderr"
	[[ $stderr == *"map: $BATS_TEST_TMPDIR/nulls:1: null (not a string)"* ]] || fail "stderr: $stderr"
}
