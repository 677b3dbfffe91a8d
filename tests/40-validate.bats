#!/usr/bin/env bats
# validate: JSON Schema checks of events, registries, reports, hostile schemas.
load test_helper

setup() {
	T=$BATS_TEST_TMPDIR
	cat >"$T/order.json" <<'J'
{"$schema":"https://json-schema.org/draft/2020-12/schema",
 "type":"object","required":["id","data"],
 "properties":{"id":{"type":"string","format":"uuid"},
  "data":{"type":"object","properties":{
   "amount":{"type":"number","minimum":0},
   "currency":{"enum":["EUR","USD"]}}}}}
J
}

@test "unit: schema library" { run_unit t-schema; }

@test "valid events pass byte for byte, invalid ones are rejected with exit 1" {
	printf '%s\n' '{"id":"2eb8aa08-aa98-11ea-b4aa-73b441d16380", "data":{"amount":3}}' \
		'{"id":"2eb8aa08-aa98-11ea-b4aa-73b441d16380","data":{"amount":-3}}' >"$T/in"
	run_to "$T/out" validate -s "$T/order.json" "$T/in"
	[[ $status -eq 1 ]]
	same "$T/out" '{"id":"2eb8aa08-aa98-11ea-b4aa-73b441d16380", "data":{"amount":3}}\n'
	assert_equal "$stderr" "evpipe: validate: $T/in:2: /data/amount: -3 is less than the minimum of 0 (minimum)"
}

@test "every error of an event is reported, one line each" {
	printf '%s\n' '{"id":"nope","data":{"amount":-1,"currency":"XXX"}}' >"$T/in"
	run_to "$T/out" validate -s "$T/order.json" "$T/in"
	[[ $status -eq 1 ]]
	[[ ! -s $T/out ]]
	assert_equal "$(grep -c . <<<"$stderr")" 3
	[[ $stderr == *"$T/in:1: /id: \"nope\" is not a valid uuid (format)"* ]]
	[[ $stderr == *"/data/currency: \"XXX\" is not one of the allowed values (enum)"* ]]
	[[ $stderr == *"/data/amount: -1 is less than the minimum of 0 (minimum)"* ]]
}

@test "the dead-letter record carries the full error list" {
	printf '%s\n' '{"data":{"amount":-1}}' >"$T/in"
	run_to "$T/out" --dlq "$T/dlq" validate -s "$T/order.json" "$T/in"
	[[ $status -eq 1 ]]
	run jq -c '[.stage, .line, .schema != null, (.errors | length), .errors[0].instance, .errors[1].keyword]' "$T/dlq"
	assert_output '["validate",1,true,2,"","/properties/data/properties/amount/minimum"]'
	run jq -r '.errors[1].schema' "$T/dlq"
	assert_output --partial "order.json#/properties/data/properties/amount/minimum"
}

@test "the dead-letter record keeps the event's bytes: big integers, exact decimals, spacing" {
	ev='{"id": "x", "data":{"amount":-123456789012345678901234567890, "fee":1.000000000000000000001}}'
	printf '%s\n' "$ev" >"$T/in"
	run_to "$T/out" --dlq "$T/dlq" validate -s "$T/order.json" "$T/in"
	[[ $status -eq 1 ]]
	run sed 's/.*,"event"://; s/}$//' "$T/dlq"
	assert_output "$ev"
	# and the record is still one valid JSON line
	run jq -c '[.stage, .line, (.errors | length)]' "$T/dlq"
	assert_output '["validate",1,2]'
}

@test "--errors json prints each error as a JSON object" {
	printf '%s\n' '{"id":"x","data":{}}' >"$T/in"
	run_to "$T/out" validate -s "$T/order.json" --errors json "$T/in"
	[[ $status -eq 1 ]]
	run jq -R -c 'sub("^evpipe: validate: [^ ]*: "; "") | fromjson | [.instance, .keyword]' <<<"$stderr"
	assert_output '["/id","/properties/id/format"]'
}

@test "--no-format makes format an annotation" {
	printf '%s\n' '{"id":"x","data":{}}' >"$T/in"
	run_to "$T/out" validate -s "$T/order.json" --no-format "$T/in"
	[[ $status -eq 0 ]]
	same "$T/out" '{"id":"x","data":{}}\n'
}

@test "--draft sets the dialect of schemas without \$schema" {
	echo '{"$ref":"#/definitions/s","type":"integer","definitions":{"s":{"type":"string"}}}' >"$T/s.json"
	echo '"x"' >"$T/in"
	run_to "$T/out" validate -s "$T/s.json" --draft draft-07 "$T/in"
	[[ $status -eq 0 ]]
	run_to "$T/out" validate -s "$T/s.json" "$T/in"
	[[ $status -eq 1 ]]
}

@test "registry: --select picks the schema per event; a missing one is a reject" {
	mkdir -p "$T/reg/order" "$T/reg/common"
	cp "$T/order.json" "$T/reg/order/v1.json"
	echo '{"$ref":"../common/pos.json"}' >"$T/reg/order/v2.json"
	echo '{"properties":{"n":{"minimum":0}}}' >"$T/reg/common/pos.json"
	printf '%s\n' '{"type":"order","version":2,"n":1}' \
		'{"type":"order","version":2,"n":-1}' \
		'{"type":"order","version":9}' \
		'{"type":"../order","version":1}' \
		'{"version":1}' \
		'{"type":"order","version":1,"id":"2eb8aa08-aa98-11ea-b4aa-73b441d16380","data":{}}' >"$T/in"
	run_to "$T/out" validate -s "$T/reg" --select '{.type}/v{.version}.json' --report "$T/rep" "$T/in"
	[[ $status -eq 1 ]]
	same "$T/out" '{"type":"order","version":2,"n":1}\n{"type":"order","version":1,"id":"2eb8aa08-aa98-11ea-b4aa-73b441d16380","data":{}}\n'
	[[ $stderr == *"$T/in:2: /n: -1 is less than the minimum of 0 (minimum)"* ]]
	[[ $stderr == *"$T/in:3: no schema order/v9.json for this event"* ]]
	[[ $stderr == *"$T/in:4: no schema %2E%2E%2Forder/v1.json for this event"* ]]
	[[ $stderr == *"$T/in:5: --select: "* ]]
	run jq -c '[.events, .valid, .invalid, .no_schema, .schemas["order/v2.json"].invalid]' "$T/rep"
	assert_output '[6,2,1,3,1]'
}

@test "registry: a bad --select template is a usage error before any event" {
	mkdir -p "$T/reg"
	run_to "$T/out" validate -s "$T/reg" --select '{.type | }.json' /dev/null
	[[ $status -eq 2 ]]
	[[ $stderr == *"--select: template"*"syntax error"* ]]
	run_to "$T/out" validate -s "$T/reg" /dev/null
	[[ $status -eq 2 ]]
	[[ $stderr == *"--select TEMPLATE is needed"* ]]
	echo '{}' >"$T/one.json"
	run_to "$T/out" validate -s "$T/one.json" --select '{.a}' /dev/null
	[[ $status -eq 2 ]]
}

@test "--report counts per schema with the top failing keywords and pointers" {
	printf '%s\n' '{"id":"2eb8aa08-aa98-11ea-b4aa-73b441d16380","data":{"amount":-1}}' \
		'{"data":{"amount":-2}}' '{"id":"2eb8aa08-aa98-11ea-b4aa-73b441d16380","data":{}}' >"$T/in"
	run_to "$T/out" validate -s "$T/order.json" --report "$T/rep" "$T/in"
	[[ $status -eq 1 ]]
	run jq -c '[.events, .valid, .invalid, .malformed, .top_keywords, .top_pointers[0], (.schemas | length)]' "$T/rep"
	assert_output '[3,1,2,0,[{"keyword":"minimum","count":2},{"keyword":"required","count":1}],{"pointer":"/data/amount","count":2},1]'
}

@test "a schema with a JSON syntax error is a usage error (2)" {
	echo '{"type": "object",' >"$T/bad.json"
	run_to "$T/out" validate -s "$T/bad.json" /dev/null
	[[ $status -eq 2 ]]
	[[ $stderr == *"bad.json:"* ]]
}

@test "a schema with a bad keyword value is a usage error naming the pointer" {
	echo '{"properties":{"a":{"minLength":-1}}}' >"$T/bad.json"
	run_to "$T/out" validate -s "$T/bad.json" /dev/null
	[[ $status -eq 2 ]]
	[[ $stderr == *"/properties/a/minLength"* ]]
	echo '{"properties":{"a":{"title":5}}}' >"$T/bad.json"
	run_to "$T/out" validate -s "$T/bad.json" /dev/null
	[[ $status -eq 2 ]]
	[[ $stderr == *"does not conform to its meta-schema: /properties/a/title: 5 is not of type string"* ]]
}

@test "a missing schema file, or no -s, is a usage error" {
	run_to "$T/out" validate -s "$T/none.json" /dev/null
	[[ $status -eq 2 ]]
	run_to "$T/out" validate /dev/null
	[[ $status -eq 2 ]]
	[[ $stderr == *"-s SCHEMA is required"* ]]
}

@test "\$ref never leaves the schema directory nor uses the network" {
	mkdir -p "$T/d"
	echo '{"type":"string"}' >"$T/outside.json"
	echo '{"$ref":"../outside.json"}' >"$T/d/s.json"
	run_to "$T/out" validate -s "$T/d/s.json" /dev/null
	[[ $status -eq 2 ]]
	[[ $stderr == *"leaves the schema directory"* ]]
	echo '{"$ref":"https://example.com/s.json"}' >"$T/d/s.json"
	run_to "$T/out" validate -s "$T/d/s.json" /dev/null
	[[ $status -eq 2 ]]
	[[ $stderr == *"no network access"* ]]
}

@test "--ref-map resolves a URI prefix to a local directory" {
	mkdir -p "$T/remote/v1"
	echo '{"type":"integer"}' >"$T/remote/v1/int.json"
	echo '{"$ref":"https://schemas.example.com/v1/int.json"}' >"$T/s.json"
	printf '1\n"x"\n' >"$T/in"
	run_to "$T/out" validate -s "$T/s.json" --ref-map "https://schemas.example.com/=$T/remote" "$T/in"
	[[ $status -eq 1 ]]
	same "$T/out" '1\n'
	run_to "$T/out" validate -s "$T/s.json" --ref-map "nonsense" "$T/in"
	[[ $status -eq 2 ]]
}

@test "hostile: a \$ref loop ends with a clear error" {
	echo '{"anyOf":[{"$ref":"#"},{"$ref":"#"}]}' >"$T/loop.json"
	echo '{"a":1}' >"$T/in"
	run_to "$T/out" validate -s "$T/loop.json" "$T/in"
	[[ $status -eq 1 ]]
	[[ $stderr == *'$ref loop'* ]]
}

@test "hostile: 10,000-deep nesting is a clear usage error" {
	local open close
	open=$(printf '{"not":%.0s' $(seq 10000))
	close=$(printf '}%.0s' $(seq 10000))
	echo "${open}{}${close}" >"$T/deep.json"
	run_to "$T/out" validate -s "$T/deep.json" /dev/null
	[[ $status -eq 2 ]]
	[[ $stderr == *"depth"* ]]
}

@test "hostile: catastrophic backtracking hits the match limit" {
	echo '{"pattern":"^(a+)+$"}' >"$T/re.json"
	printf '"%s"\n' "$(printf 'a%.0s' $(seq 30000))b" >"$T/in"
	run_to "$T/out" validate -s "$T/re.json" "$T/in"
	[[ $status -eq 1 ]]
	[[ $stderr == *"match limit"* ]]
}

@test "hostile: a huge enum compiles once and checks fast" {
	seq 1 200000 | jq -s -c '{enum: .}' >"$T/enum.json"
	seq 199990 200010 >"$T/in"
	run_to "$T/out" validate -s "$T/enum.json" "$T/in"
	[[ $status -eq 1 ]]
	assert_equal "$(wc -l <"$T/out")" 11
}

@test "a malformed line is rejected by the input, the run goes on" {
	printf '%s\n' 'not json' '{"id":"2eb8aa08-aa98-11ea-b4aa-73b441d16380","data":{}}' >"$T/in"
	run_to "$T/out" validate -s "$T/order.json" "$T/in"
	[[ $status -eq 1 ]]
	same "$T/out" '{"id":"2eb8aa08-aa98-11ea-b4aa-73b441d16380","data":{}}\n'
}

@test "validate --help lists its options" {
	run "$EVPIPE" validate --help
	assert_success
	assert_output --partial "--select"
	assert_output --partial "--ref-map"
}

@test "numbers compare exactly: integers beyond 64 bits, decimals, 1e400" {
	cat >"$T/n.json" <<'J'
{"properties":{
  "big":{"minimum":18446744073709551616},
  "dec":{"exclusiveMaximum":0.1},
  "huge":{"maximum":1e400},
  "int":{"type":"integer"},
  "m":{"multipleOf":0.01}}}
J
	printf '%s\n' '{"big":18446744073709551617}' '{"big":18446744073709551615}' \
		'{"dec":0.09999999999999999999}' '{"dec":0.10000000000000000001}' \
		'{"huge":1e400}' '{"huge":1.0000000000000000001e400}' \
		'{"int":1.0}' '{"int":1e400}' '{"int":1.5}' \
		'{"m":19.99}' '{"m":19.999}' >"$T/in"
	run_to "$T/out" validate -s "$T/n.json" "$T/in"
	[[ $status -eq 1 ]]
	same "$T/out" '{"big":18446744073709551617}\n{"dec":0.09999999999999999999}\n{"huge":1e400}\n{"int":1.0}\n{"int":1e400}\n{"m":19.99}\n'
	assert_equal "$stderr" "evpipe: validate: $T/in:2: /big: 18446744073709551615 is less than the minimum of 18446744073709551616 (minimum)
evpipe: validate: $T/in:4: /dec: 0.10000000000000000001 is not less than the exclusive maximum of 0.1 (exclusiveMaximum)
evpipe: validate: $T/in:6: /huge: 1.0000000000000000001e400 is greater than the maximum of 1e400 (maximum)
evpipe: validate: $T/in:9: /int: 1.5 is not of type integer (type)
evpipe: validate: $T/in:11: /m: 19.999 is not a multiple of 0.01 (multipleOf)"
}

@test "enum and const compare numbers by value and big integers exactly" {
	echo '{"properties":{"e":{"enum":[1.0,"a",18446744073709551616]},"c":{"const":{"x":[1,2.50]}}}}' >"$T/e.json"
	printf '%s\n' '{"e":1}' '{"e":1e0}' '{"e":"\u0061"}' '{"e":18446744073709551616}' \
		'{"e":18446744073709551617}' '{"e":2}' \
		'{"c":{"x":[1.0,2.5]}}' '{"c":{"x":[1,2.5,3]}}' >"$T/in"
	run_to "$T/out" validate -s "$T/e.json" "$T/in"
	[[ $status -eq 1 ]]
	same "$T/out" '{"e":1}\n{"e":1e0}\n{"e":"\\u0061"}\n{"e":18446744073709551616}\n{"c":{"x":[1.0,2.5]}}\n'
	assert_equal "$stderr" "evpipe: validate: $T/in:5: /e: 18446744073709551617 is not one of the allowed values (enum)
evpipe: validate: $T/in:6: /e: 2 is not one of the allowed values (enum)
evpipe: validate: $T/in:8: /c: {\"x\":[1,2.5,3]} is not the constant {\"x\":[1,2.50]} (const)"
}

@test "duplicate keys: the last one wins, as in jq" {
	echo '{"properties":{"a":{"type":"string"}},"required":["a"],"maxProperties":2}' >"$T/d.json"
	printf '%s\n' '{"a":1,"a":"x"}' '{"a":"x","a":1}' '{"a":"x","b":1,"b":2}' '{"a":"x","b":1,"c":2}' >"$T/in"
	run_to "$T/out" validate -s "$T/d.json" "$T/in"
	[[ $status -eq 1 ]]
	same "$T/out" '{"a":1,"a":"x"}\n{"a":"x","b":1,"b":2}\n'
	assert_equal "$stderr" "evpipe: validate: $T/in:2: /a: 1 is not of type string (type)
evpipe: validate: $T/in:4: (root): object has 3 properties, more than the maximum of 2 (maxProperties)"
}

@test "an event rebuilt by an earlier stage is validated from its value, same verdicts" {
	printf '%s\n' '{"id":"2eb8aa08-aa98-11ea-b4aa-73b441d16380","data":{"amount":3,"currency":"EUR"}}' \
		'{"id":"x","data":{"amount":-0.5}}' >"$T/in"
	run_to "$T/out" validate -s "$T/order.json" "$T/in"
	[[ $status -eq 1 ]]
	local direct=$stderr
	run_to "$T/out2" map '. + {seen: true}' then validate -s "$T/order.json" "$T/in"
	[[ $status -eq 1 ]]
	same "$T/out2" '{"id":"2eb8aa08-aa98-11ea-b4aa-73b441d16380","data":{"amount":3,"currency":"EUR"},"seen":true}\n'
	assert_equal "$(grep -c . <<<"$stderr")" 2
	assert_equal "$stderr" "$direct"
}

@test "--max-schema-size bounds the schema text, its \$ref files included" {
	printf '{"a":1}\n' >"$T/in"
	{
		printf '{"type":"object","properties":{'
		seq 1 100 | sed 's/.*/"p&":{"type":"string"},/'
		printf '"last":{"$ref":"other.json"}}}\n'
	} >"$T/s.json"
	printf '{"type":"string","description":"%s"}\n' "$(printf '%0600d' 0)" >"$T/other.json"
	run -2 --separate-stderr "$EVPIPE" validate --max-schema-size 1k -s "$T/s.json" "$T/in"
	[[ $stderr == *"s.json: schema text over 1024 bytes"*"--max-schema-size"* ]]
	# the document fits, the document and its reference do not
	run -2 --separate-stderr "$EVPIPE" validate --max-schema-size 3k -s "$T/s.json" "$T/in"
	[[ $stderr == *"other.json: schema text over 3072 bytes in all"* ]]
	run_to "$T/out" validate --max-schema-size 4k -s "$T/s.json" "$T/in"
	[[ $status -eq 0 ]]
	run -2 --separate-stderr "$EVPIPE" validate --max-schema-size 0 -s "$T/s.json" "$T/in"
	[[ $stderr == *"--max-schema-size must be more than 0"* ]]
}

@test "a schema that compiles to far more than its size is refused" {
	printf '{"a":1}\n' >"$T/in"
	{
		printf '{"anyOf":['
		seq 1 15000 | sed "s/.*/{},/"
		printf '{}]}\n'
	} >"$T/s.json"
	run -2 --separate-stderr "$EVPIPE" validate --max-schema-size 64k -s "$T/s.json" "$T/in"
	[[ $stderr == *"schema compiles to more than 4194304 bytes (raise --max-schema-size)"* ]]
	run_to "$T/out" validate -s "$T/s.json" "$T/in"
	[[ $status -eq 0 ]]
}

@test "a \$ref or --select file that is a FIFO is an error at once, never a blocking open" {
	printf '{"t":"a"}\n' >"$T/in"
	mkdir "$T/reg"
	mkfifo "$T/reg/fifo.json"
	printf '{"$ref":"fifo.json"}\n' >"$T/reg/a.json"
	run -2 --separate-stderr timeout 10 "$EVPIPE" validate -s "$T/reg/a.json" "$T/in"
	[[ $stderr == *"fifo.json: not a regular file (a referenced schema must be one)"* ]]
	run -2 --separate-stderr timeout 10 "$EVPIPE" validate -s "$T/reg" --select '{.t}.json' "$T/in"
	[[ $stderr == *"fifo.json: not a regular file"* ]]
	printf '{"t":"fifo"}\n' >"$T/in2"
	run -1 --separate-stderr timeout 10 "$EVPIPE" validate -s "$T/reg" --select '{.t}.json' "$T/in2"
	[[ $stderr == *"no schema fifo.json"* ]]
}

@test "-s may be a pipe the user gave: validate -s <(...) reads it like cat" {
	printf '{"a":1}\n{"a":"x"}\n' >"$T/in"
	printf '{"properties":{"a":{"$ref":"defs.json"}}}\n' >"$T/s.json"
	printf '{"type":"integer"}\n' >"$T/defs.json"
	cd "$T"
	run -1 --separate-stderr timeout 10 "$EVPIPE" validate -s <(cat "$T/s.json") "$T/in"
	[[ $output == '{"a":1}' ]]
	[[ $stderr == *"/a: "*"integer"* ]]
	run -1 --separate-stderr timeout 10 "$EVPIPE" validate -s /dev/stdin "$T/in" <"$T/s.json"
	[[ $output == '{"a":1}' ]]
}

@test "a \$ref to a missing file says the file does not exist" {
	printf '%s\n' '{"$ref":"missing.json"}' >"$T/s.json"
	run --separate-stderr "$EVPIPE" validate -s "$T/s.json" </dev/null
	[[ $status -eq 2 ]] || fail "exit $status"
	[[ $stderr == *"cannot resolve reference 'file://"*"/missing.json': "*"/missing.json does not exist" ]] || fail "$stderr"
	[[ $stderr != *"Invalid argument"* ]] || fail "$stderr"
}

@test "--report - is standard output: after the events went elsewhere, refused when they share it" {
	printf '%s\n' '{"id":"2eb8aa08-aa98-11ea-b4aa-73b441d16380","data":{}}' >"$T/in"
	cd "$T"
	run --separate-stderr "$EVPIPE" -o ev.ndjson validate -s order.json --report - in
	[[ $status -eq 0 ]] || fail "exit $status: $stderr"
	[[ ! -e ./- ]] || fail "a file named - was created"
	[[ $(jq -c '[.events, .valid]' <<<"$output") == "[1,1]" ]] || fail "$output"
	same ev.ndjson "$(cat in)\n"
	run --separate-stderr "$EVPIPE" validate -s order.json --report - in
	[[ $status -eq 2 && -z $output ]] || fail "exit $status: $output"
	[[ $stderr == "evpipe: validate: --report -: the events go to standard output too; give --report a file, or the events -o FILE" ]] || fail "$stderr"
	# the file stdout goes to, named again, is standard output too: never clobbered
	"$EVPIPE" validate -s order.json --report /dev/stdout in >out.ndjson 2>err && fail "exit 0"
	grep -q -- "--report /dev/stdout: the events go to standard output too" err
	"$EVPIPE" validate -s order.json --report "$T/out2.ndjson" in >out2.ndjson 2>err && fail "exit 0"
	grep -q -- "--report $T/out2.ndjson: the events go to standard output too" err
}

@test "anyOf/oneOf: with -v or --errors json, why each branch failed (ajv's sub-errors)" {
	printf '%s\n' '{"properties":{"x":{"anyOf":[{"type":"string","minLength":3},{"type":"integer","minimum":10}]},
	 "y":{"oneOf":[{"type":"string"},{"type":"object","required":["b"]}]}}}' >"$T/s.json"
	printf '%s\n' '{"x":"ab"}' '{"x":5}' '{"x":"abc"}' '{"y":{"a":1}}' >"$T/in"
	run --separate-stderr "$EVPIPE" -v validate -s "$T/s.json" "$T/in"
	[[ $status -eq 1 ]]
	assert_equal "$output" '{"x":"abc"}'
	[[ $(grep 'validate: ' <<<"$stderr" | grep -v 'validate: in ') == "evpipe: validate: $T/in:1: /x: value matches none of the 2 schemas in anyOf (anyOf)
evpipe: validate: $T/in:1: /x: anyOf/0: \"ab\" is shorter than 3 characters (minLength)
evpipe: validate: $T/in:1: /x: anyOf/1: \"ab\" is not of type integer (type)
evpipe: validate: $T/in:2: /x: value matches none of the 2 schemas in anyOf (anyOf)
evpipe: validate: $T/in:2: /x: anyOf/0: 5 is not of type string (type)
evpipe: validate: $T/in:2: /x: anyOf/1: 5 is less than the minimum of 10 (minimum)
evpipe: validate: $T/in:4: /y: value matches none of the 2 schemas in oneOf (oneOf)
evpipe: validate: $T/in:4: /y: oneOf/0: {\"a\":1} is not of type string (type)
evpipe: validate: $T/in:4: /y: oneOf/1: required property \"b\" is missing (required)" ]] || fail "$stderr"
	# for machines: the dead letter's errors, with their schema paths;
	# the count and the report's tallies are of the errors themselves
	"$EVPIPE" --dlq "$T/dlq" -q validate --errors json -s "$T/s.json" --report "$T/rep" "$T/in" >/dev/null 2>&1 || true
	run jq -c '[.reason, [.errors[].keyword]]' "$T/dlq"
	assert_output '["1 schema error: /x: value matches none of the 2 schemas in anyOf",["/properties/x/anyOf","/properties/x/anyOf/0/minLength","/properties/x/anyOf/1/type"]]
["1 schema error: /x: value matches none of the 2 schemas in anyOf",["/properties/x/anyOf","/properties/x/anyOf/0/type","/properties/x/anyOf/1/minimum"]]
["1 schema error: /y: value matches none of the 2 schemas in oneOf",["/properties/y/oneOf","/properties/y/oneOf/0/type","/properties/y/oneOf/1/required"]]'
	run jq -c '.top_keywords' "$T/rep"
	assert_output '[{"keyword":"anyOf","count":2},{"keyword":"oneOf","count":1}]'
	# without -v or --errors json: the one error, as before
	run --separate-stderr "$EVPIPE" validate -s "$T/s.json" "$T/in"
	[[ $(grep -c 'anyOf/' <<<"$stderr") -eq 0 ]] || fail "$stderr"
}
