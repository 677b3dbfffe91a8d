#!/usr/bin/env bats
# Numbers exactly as written (evpipe-expr(7) NUMBERS): a number no
# expression computed on keeps its text wherever it is printed; numbers
# with text compare exactly (jq 1.7's rule); fromjson, tonumber,
# --argjson and literals take any JSON number; a computed number prints
# as jq 1.7 prints it.
load test_helper

setup() {
	T=$BATS_TEST_TMPDIR
	N=$FIXTURES/numbers
	printf '%s\n' '{"id":12345678901234567890,"z":-0,"f":1.0,"x":1}' >"$T/in"
	printf 'null\n' >"$T/null"
}

@test "del keeps a 20-digit id, -0 and 1.0 as written" {
	run_to "$T/out" map 'del(.x)' "$T/in"
	[[ $status -eq 0 ]]
	same "$T/out" '{"id":12345678901234567890,"z":-0,"f":1.0}\n'
}

@test "|=, object and array construction, tojson keep the id's digits" {
	run_to "$T/out" map '.b |= .' "$T/in"
	same "$T/out" '{"id":12345678901234567890,"z":-0,"f":1.0,"x":1,"b":null}\n'
	run_to "$T/out" map '{id}' "$T/in"
	same "$T/out" '{"id":12345678901234567890}\n'
	run_to "$T/out" map '[.id]' "$T/in"
	same "$T/out" '[12345678901234567890]\n'
	run_to "$T/out" map 'tojson' "$T/in"
	same "$T/out" '"{\\"id\\":12345678901234567890,\\"z\\":-0,\\"f\\":1.0,\\"x\\":1}"\n'
	run_to "$T/out" map '"id \(.id) f \(.f)"' "$T/in"
	same "$T/out" '"id 12345678901234567890 f 1.0"\n'
}

@test "to_entries|from_entries, with_entries(.) and setpath keep the other numbers" {
	run_to "$T/out" map 'to_entries | from_entries' "$T/in"
	same "$T/out" '{"id":12345678901234567890,"z":-0,"f":1.0,"x":1}\n'
	run_to "$T/out" map 'with_entries(.)' "$T/in"
	same "$T/out" '{"id":12345678901234567890,"z":-0,"f":1.0,"x":1}\n'
	run_to "$T/out" map 'setpath(["q"]; 1)' "$T/in"
	same "$T/out" '{"id":12345678901234567890,"z":-0,"f":1.0,"x":1,"q":1}\n'
}

@test "filter .j == 9007199254740993 matches that value and not its neighbour" {
	printf '%s\n' '{"j":9007199254740993}' '{"j":9007199254740992}' \
		'{"j":9007199254740993.0}' '{"j":9007199254740994}' >"$T/j"
	run_to "$T/out" filter '.j == 9007199254740993' "$T/j"
	same "$T/out" '{"j":9007199254740993}\n{"j":9007199254740993.0}\n'
	# the evaluator, not the tape's fast path, answers the same
	run_to "$T/out" filter '[.j] | .[0] == 9007199254740993' "$T/j"
	same "$T/out" '{"j":9007199254740993}\n{"j":9007199254740993.0}\n'
	run_to "$T/out" --argjson n 9007199254740993 filter '.j == $n' "$T/j"
	same "$T/out" '{"j":9007199254740993}\n{"j":9007199254740993.0}\n'
	run_to "$T/out" --argjson n 9007199254740992 filter '.j == $n' "$T/j"
	same "$T/out" '{"j":9007199254740992}\n'
	# beyond int64: texts against texts, both ways
	printf '%s\n' '{"j":12345678901234567891}' '{"j":12345678901234567890}' >"$T/b"
	run_to "$T/out" filter '.j == 12345678901234567890' "$T/b"
	same "$T/out" '{"j":12345678901234567890}\n'
	run_to "$T/out" filter '.j > 12345678901234567890' "$T/b"
	same "$T/out" '{"j":12345678901234567891}\n'
	run_to "$T/out" map '[.j == 12345678901234567890, .j < 12345678901234567891]' "$T/b"
	same "$T/out" '[false,false]\n[true,true]\n'
	run_to "$T/out" map '.j == -(-12345678901234567890), .j == (12345678901234567890 | -.  | -.)' "$T/b"
	same "$T/out" 'false\ntrue\ntrue\ntrue\n'
}

@test "sort, unique, group_by, min and max keep numbers a double cannot tell apart" {
	run_to "$T/out" map '[12345678901234567891, 12345678901234567890] | sort, unique, (group_by(.) | length), min, max' "$T/null"
	same "$T/out" '[12345678901234567890,12345678901234567891]\n[12345678901234567890,12345678901234567891]\n2\n12345678901234567890\n12345678901234567891\n'
	# equal values with different texts are equal: jq's order is stable
	run_to "$T/out" map '[1.0, 1, 1e0, 10e-1] | unique, (group_by(.) | length), sort' "$T/null"
	same "$T/out" '[1.0]\n1\n[1.0,1,1e0,10e-1]\n'
	run_to "$T/out" map '{(12345678901234567890 | tostring): 1}' "$T/null"
	same "$T/out" '{"12345678901234567890":1}\n'
}

@test "fromjson, tonumber, --argjson and --csv-types take any JSON number" {
	printf '%s\n' '"{\"a\":12345678901234567890,\"b\":-0,\"c\":1.0,\"d\":1e999}"' >"$T/s"
	run_to "$T/out" map fromjson "$T/s"
	[[ $status -eq 0 ]]
	same "$T/out" '{"a":12345678901234567890,"b":-0,"c":1.0,"d":1e999}\n'
	run_to "$T/out" map '["12345678901234567890", " 1.50 ", "-0", "1e999"] | map(tonumber)' "$T/null"
	same "$T/out" '[12345678901234567890,1.50,-0,1e999]\n'
	run_to "$T/out" --argjson v '{"n":123456789012345678901234567890,"f":2.50}' map '$v' "$T/null"
	same "$T/out" '{"n":123456789012345678901234567890,"f":2.50}\n'
	run_to "$T/out" --argjson v '[1,' map '$v' "$T/null"
	[[ $status -eq 2 ]]
	[[ $stderr == *"--argjson v: invalid JSON"* ]]
	printf 'a,b,c\n12345678901234567890,-0,1.0\n' >"$T/c.csv"
	run_to "$T/out" --from csv --csv-types map '. + {d: 1}' "$T/c.csv"
	same "$T/out" '{"a":12345678901234567890,"b":-0,"c":1.0,"d":1}\n'
}

@test "a computed number prints as jq 1.7 prints it" {
	printf '%s\n' '{"a":1.0,"z":-0,"b":12345678901234567890}' >"$T/c"
	run_to "$T/out" map '[.a + 0, .z * 1, -0 * 1, 0.1 + 0.2, .b + 0, 1e999 + 0, -(1e999 + 0), (.a|floor), ([1,2]|length)]' "$T/c"
	same "$T/out" '[1,-0,-0,0.30000000000000004,12345678901234567000,1.7976931348623157e+308,-1.7976931348623157e+308,1,2]\n'
}

@test "schema infer: a 20-digit integer is an integer, bounds are the events' own numbers" {
	printf '%s\n' '{"t":12345678901234567890}' >"$T/t"
	run_to "$T/out" schema infer "$T/t"
	same "$T/out" '{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"t":{"type":"integer","minimum":12345678901234567890,"maximum":12345678901234567890}},"required":["t"]}\n'
	printf '%s\n' '{"a":248.6,"b":1.0}' '{"a":0.10000000000000000001,"b":2}' >"$T/u"
	run_to "$T/out" schema infer "$T/u"
	same "$T/out" '{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"a":{"type":"number","minimum":0.10000000000000000001,"maximum":248.6},"b":{"type":"integer","minimum":1.0,"maximum":2}},"required":["a","b"]}\n'
	cp "$T/out" "$T/u.schema"
	run_to "$T/out" validate -s "$T/u.schema" "$T/u"
	[[ $status -eq 0 ]]
	cmp "$T/u" "$T/out"
}

@test "schema infer then validate: all of 20,000 bench corpus events are valid" {
	cc -O2 -std=c11 -D_GNU_SOURCE -o "$T/gen" "$REPO/tests/bench/gen-corpus.c"
	"$T/gen" 20000 >"$T/corpus"
	run_to "$T/schema" schema infer "$T/corpus"
	[[ $status -eq 0 ]]
	run_to "$T/out" validate -s "$T/schema" "$T/corpus"
	[[ $status -eq 0 ]] || fail "rejected: $(head -c 400 "$T/stderr")"
	cmp "$T/corpus" "$T/out"
}

@test "schema infer then validate: 100,000 events of random floats are all valid" {
	python3 - "$T/floats" <<'PY'
import random, sys
r = random.Random(76)
with open(sys.argv[1], "w") as f:
    for i in range(100000):
        d = r.randint(0, 9)
        x = round(r.uniform(-1e6, 1e6), d)
        e = "%.*e" % (r.randint(0, 16), r.uniform(-1, 1) * 10 ** r.randint(-300, 300))
        f.write('{"x":%r,"e":%s,"g":%.17g,"i":%d,"s":%s}\n' % (
            x, e, r.random(), r.randint(-2**70, 2**70), r.choice(["1.0", "-0", "0.0", "1E2", "1.50"])))
PY
	run_to "$T/schema" schema infer "$T/floats"
	[[ $status -eq 0 ]]
	run_to "$T/out" validate -s "$T/schema" "$T/floats"
	[[ $status -eq 0 ]] || fail "rejected: $(head -c 400 "$T/stderr")"
	cmp "$T/floats" "$T/out"
}

@test "fidelity corpus: every rebuilding expression (golden)" {
	local c
	while IFS= read -r c; do
		printf '# %s\n' "$c"
		"$EVPIPE" map "$c" "$N/corpus.ndjson"
	done <"$N/rebuild.cmds" >"$T/out"
	diff -u "$N/rebuild.out" "$T/out"
}

@test "fidelity corpus: every output format (golden)" {
	local f
	for f in json pretty json-seq csv tsv; do
		run_to "$T/out" --to "$f" map 'del(.x)' "$N/corpus.ndjson"
		[[ $status -eq 0 ]]
		cmp "$N/del.$f" "$T/out" || { diff -u "$N/del.$f" "$T/out"; fail "--to $f differs"; }
	done
	# unchanged events leave byte for byte, whatever they hold
	run_to "$T/out" filter 'true' "$N/corpus.ndjson"
	cmp "$N/corpus.ndjson" "$T/out"
}

@test "fidelity corpus: sort, batch, stats keys, split file names and dead letters" {
	run_to "$T/out" sort --by '2 - .x' -w 5s "$N/corpus.ndjson"
	[[ $status -eq 0 ]]
	tac "$N/corpus.ndjson" | cmp - "$T/out"
	run_to "$T/out" batch -n 3 "$N/corpus.ndjson"
	{ printf '['; paste -sd , "$N/corpus.ndjson" | tr -d '\n'; printf ']\n'; } | cmp - "$T/out"
	printf '%s\n' '{"id":12345678901234567890,"v":1.0}' '{"id":12345678901234567891,"v":-0}' \
		'{"id":12345678901234567890,"v":1.00}' >"$T/k"
	run_to "$T/out" stats -k .id then map '.keys.top' "$T/k"
	same "$T/out" '[{"key":12345678901234567890,"count":2,"error":0},{"key":12345678901234567891,"count":1,"error":0}]\n'
	# keys are canonical: 1.0 and 1.00 are one key, -0 is 0
	run_to "$T/out" stats -k .v then map '.keys.top' "$T/k"
	same "$T/out" '[{"key":1,"count":2,"error":0},{"key":0,"count":1,"error":0}]\n'
	run_to "$T/out" dedup -k .v "$T/k"
	same "$T/out" '{"id":12345678901234567890,"v":1.0}\n{"id":12345678901234567891,"v":-0}\n'
	mkdir "$T/d"
	run_to "$T/out" split "$T/d/{.id}_{.v}.ndjson" "$T/k"
	[[ $status -eq 0 ]]
	[[ $(cd "$T/d" && ls | sort | paste -sd ' ') == "12345678901234567890_1.0.ndjson 12345678901234567890_1.00.ndjson 12345678901234567891_-0.ndjson" ]]
	run_to "$T/out" -q --dlq "$T/dlq" map '.v | error' "$T/k"
	[[ $status -eq 1 ]]
	same "$T/dlq" "{\"stage\":\"map\",\"reason\":\"1.0 (not a string)\",\"source\":\"$T/k\",\"line\":1,\"event\":{\"id\":12345678901234567890,\"v\":1.0}}\n{\"stage\":\"map\",\"reason\":\"-0 (not a string)\",\"source\":\"$T/k\",\"line\":2,\"event\":{\"id\":12345678901234567891,\"v\":-0}}\n{\"stage\":\"map\",\"reason\":\"1.00 (not a string)\",\"source\":\"$T/k\",\"line\":3,\"event\":{\"id\":12345678901234567890,\"v\":1.00}}\n"
}

@test "validate: contentMediaType application/json takes any JSON number" {
	printf '{"c":"{\\"a\\":12345678901234567890}"}\n{"c":"{bad"}\n' >"$T/c"
	printf '{"$schema":"http://json-schema.org/draft-07/schema#","properties":{"c":{"contentMediaType":"application/json"}}}\n' >"$T/s.json"
	run_to "$T/out" validate -s "$T/s.json" "$T/c"
	[[ $status -eq 1 ]]
	same "$T/out" '{"c":"{\\"a\\":12345678901234567890}"}\n'
	[[ $stderr == *":2: /c: value is not a valid JSON document: "* ]]
}

@test "validate after map: a rebuilt event's numbers are compared as written" {
	printf '{"properties":{"id":{"maximum":18446744073709551615},"f":{"const":1.0}}}\n' >"$T/s.json"
	printf '%s\n' '{"id":18446744073709551616,"x":1,"f":1.00}' '{"id":18446744073709551615,"x":1,"f":1}' \
		'{"id":18446744073709551615,"x":1,"f":1.5}' >"$T/v"
	run_to "$T/out" map 'del(.x)' then validate -s "$T/s.json" "$T/v"
	[[ $status -eq 1 ]]
	same "$T/out" '{"id":18446744073709551615,"f":1}\n'
	[[ $stderr == *":1: /id: 18446744073709551616 is greater than the maximum of 18446744073709551615 (maximum)"* ]]
	[[ $stderr == *":3: /f: 1.5 is not the constant 1.0 (const)"* ]]
}
