#!/usr/bin/env bats
# schema compat OLD NEW (evpipe-schema(1)): every pair under
# fixtures/compat/NAME has the verdict written in its "want" file; the
# unit test cross-checks each verdict with values generated from the
# schemas and the validator.
load test_helper

setup() {
	T=$BATS_TEST_TMPDIR
	C=$FIXTURES/compat
}

@test "every pair gets the verdict written for it, both directions" {
	local d m want rc n=0
	for d in "$C"/*/; do
		for m in backward forward; do
			want=$(awk -v m=$m '$1 == m { print $2 }' "$d/want")
			[[ $want == [01] ]] || fail "$d/want: no verdict for $m"
			rc=0
			"$EVPIPE" schema compat --mode $m "$d/old.json" "$d/new.json" >"$T/out" 2>"$T/err" || rc=$?
			[[ $rc -eq $want ]] || fail "$(basename "$d") $m: exit $rc, want $want: $(cat "$T/out" "$T/err")"
			# a breaking change is always explained, and only then
			if ((rc == 1)); then
				grep -q "^$m: " "$T/out" || fail "$(basename "$d") $m: no change printed"
			else
				[[ ! -s $T/out && ! -s $T/err ]] || fail "$(basename "$d") $m: output for a compatible change"
			fi
		done
		n=$((n + 1))
	done
	((n >= 40)) || fail "only $n pairs"
}

@test "full is backward and forward together" {
	local d b f rc
	for d in "$C"/*/; do
		b=$(awk '$1 == "backward" { print $2 }' "$d/want")
		f=$(awk '$1 == "forward" { print $2 }' "$d/want")
		rc=0
		"$EVPIPE" schema compat --mode full "$d/old.json" "$d/new.json" >/dev/null 2>&1 || rc=$?
		[[ $rc -eq $((b | f)) ]] || fail "$(basename "$d") full: exit $rc"
	done
}

@test "verdicts agree with values generated from the schemas (unit)" {
	run_unit t-compat
}

@test "each breaking change names its pointer and reason" {
	cd "$C"
	run_to "$T/out" schema compat make-field-required/old.json make-field-required/new.json
	[[ $status -eq 1 ]]
	same "$T/out" 'backward: new#/required: objects without "b" are allowed by old but not by new\n'
	assert_equal "$stderr" "evpipe: schema: compat: make-field-required/old.json -> make-field-required/new.json: 1 breaking change (backward)"
	run_to "$T/out" schema compat -m full recursive-narrowed/old.json recursive-narrowed/new.json
	[[ $status -eq 1 ]]
	same "$T/out" 'backward: new#/$defs/node/properties/value/minimum: numbers below 0 are allowed by old but not by new\n'
	run_to "$T/out" schema compat --mode=forward widen-enum/old.json widen-enum/new.json
	same "$T/out" 'forward: old#/enum: the value "c" is allowed by new but not by old\n'
	run_to "$T/out" schema compat change-pattern/old.json change-pattern/new.json -m full
	same "$T/out" 'backward: new#/pattern: new'\''s pattern "^b" is not old'\''s (patterns are compared as text)\nforward: old#/pattern: old'\''s pattern "^a" is not new'\''s (patterns are compared as text)\n'
	run_to "$T/out" schema compat add-not/old.json add-not/new.json
	same "$T/out" 'backward: new#/not: "not" differs from old'\''s and is not compared (evpipe-schema(1))\n'
	run_to "$T/out" schema compat add-optional-field-closed/old.json add-optional-field-closed/new.json -m forward
	same "$T/out" 'forward: old#/additionalProperties: property "b" is allowed by new but not by old\n'
}

@test "--format json: one report for CI, compatible or not" {
	cd "$C"
	run_to "$T/out" schema compat --format json -m full narrow-range/old.json narrow-range/new.json
	[[ $status -eq 1 ]]
	same "$T/out" '{"compatible":false,"mode":"full","old":"narrow-range/old.json","new":"narrow-range/new.json","changes":[{"direction":"backward","schema":"new","pointer":"/minimum","reason":"numbers below 0 are allowed by old but not by new"},{"direction":"backward","schema":"new","pointer":"/maximum","reason":"numbers above 10 are allowed by old but not by new"}]}\n'
	run_to "$T/out" schema compat --format json inline-to-ref/old.json inline-to-ref/new.json
	[[ $status -eq 0 && -z $stderr ]]
	same "$T/out" '{"compatible":true,"mode":"backward","old":"inline-to-ref/old.json","new":"inline-to-ref/new.json","changes":[]}\n'
	# -o works as for any command
	run_to "$T/out" -o "$T/report.json" schema compat --format json widen-enum/old.json widen-enum/new.json
	[[ $status -eq 0 && ! -s $T/out ]]
	grep -q '"compatible":true' "$T/report.json"
}

@test "errors exit 2: unreadable or invalid schema, bad ref, misuse" {
	printf '{"type": 5}\n' >"$T/bad.json"
	printf '{"type": "object"}\n' >"$T/ok.json"
	printf '{"$ref": "other.json#/x"}\n' >"$T/ext.json"
	printf '{"x": {"type": "string"}}\n' >"$T/other.json"
	run_to "$T/out" schema compat "$T/none.json" "$T/ok.json"
	[[ $status -eq 2 ]]
	[[ $stderr == "evpipe: schema: compat: $T/none.json: No such file or directory" ]]
	run_to "$T/out" schema compat "$T/ok.json" "$T/bad.json"
	[[ $status -eq 2 ]]
	[[ $stderr == "evpipe: schema: compat: $T/bad.json: "* ]]
	run_to "$T/out" schema compat "$T/ok.json" "$T/ext.json"
	[[ $status -eq 2 ]]
	assert_equal "$stderr" "evpipe: schema: compat: $T/ext.json: /\$ref: 'other.json#/x': only references within the document (#/...) can be compared"
	run_to "$T/out" schema compat "$T/ok.json"
	[[ $status -eq 2 ]]
	run_to "$T/out" schema compat "$T/ok.json" "$T/ok.json" extra.ndjson
	[[ $status -eq 2 ]]
	assert_equal "$stderr" "evpipe: schema: reads no events: it takes no input files and cannot be chained with 'then'"
	run_to "$T/out" cat then schema compat "$T/ok.json" "$T/ok.json"
	[[ $status -eq 2 ]]
	run_to "$T/out" schema compat --enum-max 3 "$T/ok.json" "$T/ok.json"
	[[ $status -eq 2 ]]
	assert_equal "$stderr" "evpipe: schema: compat: --enum-max belongs to schema infer"
	run_to "$T/out" schema frob
	[[ $status -eq 2 ]]
	assert_equal "$stderr" "evpipe: schema: unknown subcommand 'frob' (infer or compat)"
	run_to "$T/out" schema compat --mode sideways "$T/ok.json" "$T/ok.json"
	[[ $status -eq 2 ]]
}

@test "compat reads no input: it does not wait for stdin" {
	cd "$C"
	run timeout 10 "$EVPIPE" schema compat widen-enum/old.json widen-enum/new.json < <(sleep 30)
	assert_success
}

@test "compat reads schemas from process substitution and /dev/fd/N, as cat does" {
	printf '%s\n' '{"type":"object","properties":{"a":{"type":"integer"}}}' >"$T/old.json"
	printf '%s\n' '{"type":"object","properties":{"a":{"type":"string"}}}' >"$T/new.json"
	run "$EVPIPE" schema compat <(cat "$T/old.json") <(cat "$T/old.json")
	[[ $status -eq 0 && -z $output ]] || fail "same schema through pipes: exit $status: $output"
	run --separate-stderr "$EVPIPE" schema compat <(cat "$T/old.json") /dev/fd/3 3<"$T/new.json"
	[[ $status -eq 1 ]] || fail "exit $status: $output $stderr"
	[[ $output == "backward: new#/properties/a/type: values of type integer are allowed by old but not by new" ]] || fail "$output"
	[[ $stderr == *"/dev/fd/3: 1 breaking change (backward)" ]] || fail "$stderr"
}
