#!/usr/bin/env bats
# schema infer (evpipe-schema(1)): a deterministic schema that accepts
# every event it was inferred from.
load test_helper

setup() {
	T=$BATS_TEST_TMPDIR
	I=$FIXTURES/infer
}

# accepts FILE...: infer a schema from the files, then validate them
# against it: every event must pass.
accepts() {
	local rc=0
	"$EVPIPE" -q schema infer "$@" >"$T/schema.json" || fail "infer failed on $*"
	"$EVPIPE" validate -s "$T/schema.json" "$@" >"$T/valid" 2>"$T/err" || rc=$?
	[[ $rc -eq 0 ]] || fail "validate rejected events of $*: $(head -c 600 "$T/err")"
	[[ $(wc -l <"$T/valid") -eq $(grep -c . "$@" | awk -F: '{ s += $NF } END { print s }') ]] ||
		fail "not every event came out"
}

@test "types, unions, required, enums, formats and ranges (golden)" {
	run_to "$T/out" schema infer "$I/events.ndjson"
	[[ $status -eq 0 && -z $stderr ]]
	diff -u "$I/events.schema.json" "$T/out"
}

@test "the output does not depend on the order of events or keys" {
	tac "$I/events.ndjson" >"$T/rev"
	run_to "$T/out" schema infer "$T/rev"
	diff -u "$I/events.schema.json" "$T/out"
	printf '{"b":1,"a":"x"}\n{"a":"y","b":2}\n' >"$T/k1"
	printf '{"a":"y","b":2}\n{"b":1,"a":"x"}\n' >"$T/k2"
	run_to "$T/o1" schema infer "$T/k1"
	run_to "$T/o2" schema infer "$T/k2"
	cmp "$T/o1" "$T/o2"
}

@test "infer then validate -s accepts every event it was inferred from" {
	accepts "$I/events.ndjson"
	accepts "$FIXTURES/scan/valid.ndjson"
	accepts "$FIXTURES/expr/events.ndjson"
	accepts "$FIXTURES/expr/edge.ndjson"
	accepts "$FIXTURES/fast/edge.ndjson"
	accepts "$REPO/examples/ci-validate.in.ndjson" "$REPO/examples/reshape.in.ndjson"
}

@test "infer then validate -s on varied generated events" {
	local i
	for ((i = 0; i < 300; i++)); do
		case $((i % 7)) in
		0) printf '{"k":%d,"v":"s%d","o":{"x":%d}}\n' $i $((i % 3)) $i ;;
		1) printf '{"k":%d.5,"v":null,"a":[1,"x",null,{"q":true}]}\n' $i ;;
		2) printf '{"k":-%d,"v":["%d"],"o":{"y":"2026-11-26T10:%02d:00Z"}}\n' $i $i $((i % 60)) ;;
		3) printf '{"k":%d,"mail":"u%d@example.org","u":"https://example.org/%d"}\n' $i $i $i ;;
		4) printf '{"k":1e%d,"v":false,"o":null}\n' $((i % 20)) ;;
		5) printf '{"k":%d,"v":"\\u00e9\\t%d","o":{"x":"str"}}\n' $i $i ;;
		6) printf '{"k":0,"v":{"deep":{"er":[[%d],[]]}},"":""}\n' $i ;;
		esac
	done >"$T/gen"
	accepts "$T/gen"
	# every draft gives a schema that accepts them
	local d
	for d in draft-07 2019-09 2020-12; do
		"$EVPIPE" schema infer --draft $d "$T/gen" >"$T/s.json"
		"$EVPIPE" validate -s "$T/s.json" "$T/gen" >/dev/null
	done
}

@test "--draft writes that dialect; draft-07 has no uuid format" {
	run_to "$T/out" schema infer --draft draft-07 "$I/events.ndjson"
	grep -q '^{"\$schema":"http://json-schema.org/draft-07/schema#"' "$T/out"
	grep -q '"id":{"type":"string"}' "$T/out"
	run_to "$T/out" schema infer --draft 2019-09 "$I/events.ndjson"
	grep -q '^{"\$schema":"https://json-schema.org/draft/2019-09/schema"' "$T/out"
	grep -q '"id":{"type":"string","format":"uuid"}' "$T/out"
}

@test "--enum-max: enums for few distinct strings, seen twice each on average" {
	printf '{"c":"a"}\n{"c":"b"}\n{"c":"a"}\n{"c":"b"}\n{"c":"c"}\n{"c":"c"}\n' >"$T/e"
	run_to "$T/out" schema infer "$T/e"
	same "$T/out" '{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"c":{"type":"string","enum":["a","b","c"]}},"required":["c"]}\n'
	run_to "$T/out" schema infer --enum-max 2 "$T/e"
	same "$T/out" '{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"c":{"type":"string"}},"required":["c"]}\n'
	run_to "$T/out" schema infer --enum-max 0 "$T/e"
	refute grep -q enum "$T/out"
	# three distinct values in three events: no enum
	head -3 "$T/e" | sed 's/"b"/"z"/; 3s/"a"/"y"/' >"$T/e3"
	run_to "$T/out" schema infer "$T/e3"
	refute grep -q enum "$T/out"
	# null with the strings joins the enum
	printf '{"c":"a"}\n{"c":null}\n{"c":"a"}\n' >"$T/en"
	run_to "$T/out" schema infer "$T/en"
	grep -q '"c":{"type":\["null","string"\],"enum":\["a",null\]}' "$T/out"
}

@test "no events: a schema that accepts anything" {
	run_to "$T/out" schema infer </dev/null
	[[ $status -eq 0 ]]
	same "$T/out" '{"$schema":"https://json-schema.org/draft/2020-12/schema"}\n'
}

@test "invalid lines are rejected and left out; the schema still comes" {
	printf '{"a":1}\nnope\n{"a":2}\n' >"$T/bad"
	run_to "$T/out" --dlq "$T/dlq" schema infer "$T/bad"
	[[ $status -eq 1 ]]
	same "$T/out" '{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"a":{"type":"integer","minimum":1,"maximum":2}},"required":["a"]}\n'
	[[ $(wc -l <"$T/dlq") -eq 1 ]]
}

@test "-v counts the events the schema was inferred from" {
	run_to "$T/out" -v schema infer "$I/events.ndjson"
	[[ $stderr == *"evpipe: schema: inferred from 4 events"* ]]
}

@test "infer misuse is a usage error" {
	run_to "$T/out" schema infer --mode full
	[[ $status -eq 2 ]]
	assert_equal "$stderr" "evpipe: schema: infer: --mode and --format belong to schema compat"
	run_to "$T/out" schema infer --draft 4
	[[ $status -eq 2 ]]
	run_to "$T/out" schema
	[[ $status -eq 2 ]]
}

@test "input files after infer are inputs" {
	head -2 "$I/events.ndjson" >"$T/h1"
	tail -n +3 "$I/events.ndjson" >"$T/h2"
	run_to "$T/out" schema infer "$T/h1" "$T/h2"
	[[ $status -eq 0 ]]
	diff -u "$I/events.schema.json" "$T/out"
}
