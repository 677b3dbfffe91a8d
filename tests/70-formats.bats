#!/usr/bin/env bats
# Input and output formats (DESIGN 2.1, 2.2; evpipe-formats(7)): --from
# json|json-seq|csv|tsv|logfmt, --to json|json-seq|csv|tsv|pretty,
# --csv-types.
load test_helper

setup() {
	T=$BATS_TEST_TMPDIR
	F=$FIXTURES/formats
}

# ---- --from csv / tsv ------------------------------------------------------

@test "--from csv: header names, quoted fields, embedded newlines, dotted names nest" {
	run_to "$T/out" --from csv cat "$F/orders.csv"
	[[ $status -eq 0 ]] || fail "$stderr"
	diff -u "$F/orders.out.ndjson" "$T/out"
}

@test "--csv-types reads JSON numbers and true/false as such, the rest as strings" {
	run_to "$T/out" --from csv --csv-types cat "$F/orders.csv"
	[[ $status -eq 0 ]] || fail "$stderr"
	diff -u "$F/orders.types.ndjson" "$T/out"
}

@test "convert is cat: csv to csv gives the same file back" {
	run_to "$T/out" --from csv --to csv convert "$F/nested.csv"
	[[ $status -eq 0 ]] || fail "$stderr"
	diff -u "$F/nested.csv" "$T/out"
	run_to "$T/out" --from tsv --to tsv convert "$F/nested.tsv"
	[[ $status -eq 0 ]] || fail "$stderr"
	diff -u "$F/nested.tsv" "$T/out"
}

@test "--from csv: CRLF, a byte order mark, blank lines, repeated and empty names" {
	printf '\xef\xbb\xbfa,b,a,,a\r\n1,2,3,4,5\r\n\r\n6,7,8,9,10' >"$T/in"
	run_to "$T/out" --from csv cat "$T/in"
	[[ $status -eq 0 ]] || fail "$stderr"
	same "$T/out" '{"a":"1","b":"2","a_2":"3","4":"4","a_3":"5"}\n{"a":"6","b":"7","a_2":"8","4":"9","a_3":"10"}\n'
}

@test "--from csv: a name that is both a value and an object keeps every name flat" {
	printf 'a,a.b,c.d\n1,2,3\n' >"$T/in"
	run_to "$T/out" --from csv cat "$T/in"
	same "$T/out" '{"a":"1","a.b":"2","c.d":"3"}\n'
	printf 'x..y,z\n1,2\n' >"$T/in"
	run_to "$T/out" --from csv cat "$T/in"
	same "$T/out" '{"x..y":"1","z":"2"}\n'
}

@test "--from csv: bad rows are rejected with the reason and line, the next ones read" {
	printf 'a,b\n1,2,3\nx"y,2\n"q"z,2\n4,5\n"open,6\n7,8\n' >"$T/in"
	run_to "$T/out" --from csv --dlq "$T/dlq" cat "$T/in"
	[[ $status -eq 1 ]]
	same "$T/out" '{"a":"4","b":"5"}\n'
	assert_equal "$stderr" "evpipe: input: $T/in:2: invalid csv: row has 3 fields, the header has 2
evpipe: input: $T/in:3: invalid csv: a quote inside field 1 that is not quoted at column 2
evpipe: input: $T/in:4: invalid csv: unexpected 'z' after the closing quote of field 1 at column 4
evpipe: input: $T/in:6: invalid csv: unexpected end of input inside a quoted field"
	run jq -c '[.stage, .line, .event]' "$T/dlq"
	assert_line --index 0 '["input",2,"1,2,3"]'
	assert_line --index 1 '["input",3,"x\"y,2"]'
	assert_line --index 3 '["input",6,"open,6\n7,8"]'
}

@test "--from csv: a record longer than --max-line is rejected and skipped whole" {
	{
		printf 'a,b\n1,"'
		head -c 3000 /dev/zero | tr '\0' 'x'
		printf '\nmore\n",2\n3,4\n'
	} >"$T/in"
	run_to "$T/out" --from csv --max-line 1000 cat "$T/in"
	[[ $status -eq 1 ]]
	same "$T/out" '{"a":"3","b":"4"}\n'
	[[ $stderr == *"$T/in:2: line longer than 1000 bytes (--max-line)" ]]
}

@test "--from tsv: tabs split, backslash escapes decode, no quoting" {
	printf 'k\tv\nx\\ty\t"q"\na\\\\b\tc\\nd\n' >"$T/in"
	run_to "$T/out" --from tsv cat "$T/in"
	same "$T/out" '{"k":"x\\ty","v":"\\"q\\""}\n{"k":"a\\\\b","v":"c\\nd"}\n'
}

# ---- --from logfmt -----------------------------------------------------------

@test "--from logfmt: pairs, quoted values, bare keys, empty values" {
	printf 'level=info msg="user \\"x\\" logged in" user=42 admin req.id=a1 empty=\n\n  \nts=2024-01-01T00:00:00Z n=-1.5 t=true q="7"\n' >"$T/in"
	run_to "$T/out" --from logfmt cat "$T/in"
	[[ $status -eq 0 ]] || fail "$stderr"
	same "$T/out" '{"level":"info","msg":"user \\"x\\" logged in","user":"42","admin":true,"req.id":"a1","empty":""}\n{"ts":"2024-01-01T00:00:00Z","n":"-1.5","t":"true","q":"7"}\n'
	run_to "$T/out" --from logfmt --csv-types cat "$T/in"
	same "$T/out" '{"level":"info","msg":"user \\"x\\" logged in","user":42,"admin":true,"req.id":"a1","empty":""}\n{"ts":"2024-01-01T00:00:00Z","n":-1.5,"t":true,"q":"7"}\n'
}

@test "--from logfmt: lines that do not parse are rejected" {
	printf 'a=1\nmsg="open\n=x\nk="v"w\nb=2\n' >"$T/in"
	run_to "$T/out" --from logfmt cat "$T/in"
	[[ $status -eq 1 ]]
	same "$T/out" '{"a":"1"}\n{"b":"2"}\n'
	assert_equal "$stderr" "evpipe: input: $T/in:2: invalid logfmt: unterminated quoted value at column 5
evpipe: input: $T/in:3: invalid logfmt: expected a key at column 1
evpipe: input: $T/in:4: invalid logfmt: expected a blank after the quoted value at column 6"
}

# ---- --from json ----------------------------------------------------------------

@test "--from json: a pretty-printed array is split and compacted, then more values" {
	run_to "$T/out" --from json cat "$F/array.json"
	[[ $status -eq 0 ]] || fail "$stderr"
	diff -u "$F/array.out.ndjson" "$T/out"
}

@test "--from json: concatenated values, any layout, the same as jq -c" {
	printf '{"a":1}{"a":2} {"b":\n [1,\n 2]}\n"s" 12 true null [] [[1],{"x":[2]}]' >"$T/in"
	run_to "$T/out" --from json cat "$T/in"
	[[ $status -eq 0 ]] || fail "$stderr"
	jq -c 'if type == "array" then .[] else . end' "$T/in" >"$T/want"
	diff -u "$T/want" "$T/out"
}

@test "--from json: events carry the line they start on" {
	printf '[\n{"a":1},\n\n{"a":\n"x"},\n{"bad" 1}\n]\n' >"$T/in"
	run_to "$T/out" --from json --dlq "$T/dlq" cat "$T/in"
	[[ $status -eq 1 ]]
	same "$T/out" '{"a":1}\n{"a":"x"}\n'
	run jq -c '[.line, .event]' "$T/dlq"
	assert_output '[6,"{\"bad\"1}"]'
}

@test "--from json: an error is reported at its line and column in the input, not in the compacted element" {
	printf '[1,\n2,\n{"a":\n  tru}]\n' >"$T/in"
	run_to "$T/out" --from json --dlq "$T/dlq" cat "$T/in"
	[[ $status -eq 1 ]]
	assert_equal "$stderr" "evpipe: input: $T/in:4: invalid JSON: invalid literal at column 3"
	run jq -c '[.line, .reason]' "$T/dlq"
	assert_output '[4,"invalid JSON: invalid literal at column 3"]'
	printf '[1, {"a":tru}, 3]\n' >"$T/in"
	run_to "$T/out" --from json cat "$T/in"
	assert_equal "$stderr" "evpipe: input: $T/in:1: invalid JSON: invalid literal at column 10"
	# a large pretty-printed array, errors planted past many buffer
	# refills: each is where python's own parser says it is
	python3 - "$T/big" "$T/want" <<'PY'
import json, sys
out, want = open(sys.argv[1], "w"), open(sys.argv[2], "w")
out.write("[\n")
line = 2
for i in range(30000):
    el = json.dumps({"id": i, "tags": ["x" * (i % 50), i], "n": {"k": i}}, indent=2)
    bad = i % 7919 == 100
    if bad:
        el = el.replace('"k": %d' % i, '"k": %d,,' % i)
    text = el + (",\n" if i < 29999 else "\n")
    if bad:
        try:
            json.loads(el)
        except json.JSONDecodeError as e:
            want.write("%d:%d\n" % (line + e.lineno - 1, e.colno))
    out.write(text)
    line += text.count("\n")
out.write("]\n")
PY
	run_to "$T/out" --from json cat "$T/big"
	[[ $status -eq 1 ]]
	[[ $(wc -l <"$T/out") -eq $((30000 - $(wc -l <"$T/want"))) ]] || fail "$(wc -l <"$T/out") events"
	sed -n 's/^evpipe: input: [^:]*:\([0-9]*\): invalid JSON: .* at column \([0-9]*\)$/\1:\2/p' <<<"$stderr" >"$T/got"
	diff "$T/want" "$T/got" || fail "$stderr"
}

@test "--from json: structural errors are rejected and reading goes on" {
	printf '[1,,2] [3 4] ] {"a":1} [5' >"$T/in"
	run_to "$T/out" --from json cat "$T/in"
	[[ $status -eq 1 ]]
	same "$T/out" '1\n2\n3\n4\n{"a":1}\n5\n'
	assert_equal "$stderr" "evpipe: input: $T/in:1: invalid json: missing array element before ','
evpipe: input: $T/in:1: invalid json: expected ',' or ']' after an array element, found '4'
evpipe: input: $T/in:1: invalid json: unexpected byte between values: ']'
evpipe: input: $T/in:1: invalid json: unexpected end of input: the array opened on line 1 is not closed"
	printf '[{"a":"unterminated}]' >"$T/in"
	run_to "$T/out" --from json cat "$T/in"
	[[ $status -eq 1 ]]
	assert_equal "$stderr" "evpipe: input: $T/in:1: invalid json: unexpected end of input inside a value"
}

@test "--from json: an element longer than --max-line is rejected, the next one read" {
	{
		printf '[{"a":"'
		head -c 5000 /dev/zero | tr '\0' 'x'
		printf '"},{"b":2}]'
	} >"$T/in"
	run_to "$T/out" --from json --max-line 1k --dlq "$T/dlq" cat "$T/in"
	[[ $status -eq 1 ]]
	same "$T/out" '{"b":2}\n'
	run jq -c '[.truncated, (.event | length)]' "$T/dlq"
	assert_output '[true,1024]'
}

@test "--from json: a large array streams in constant memory" {
	command -v /usr/bin/time >/dev/null || fail "GNU time is missing"
	# 400000 elements, about 60 MB, from a pipe: memory must not follow.
	awk 'BEGIN { printf "["; for (i = 0; i < 400000; i++) printf "%s{\"i\": %d, \"pad\": \"%0100d\", \"n\": [1, 2, 3]}\n", (i ? "," : ""), i, i; print "]" }' |
		/usr/bin/time -f '%M' -o "$T/rss" "$EVPIPE" --from json cat >"$T/out"
	[[ $(wc -l <"$T/out") -eq 400000 ]]
	[[ $(tail -1 "$T/out") == '{"i":399999,"pad":"0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000399999","n":[1,2,3]}' ]]
	rss=$(tail -1 "$T/rss")
	echo "max RSS ${rss} kB"
	((rss < 32768)) || fail "max RSS ${rss} kB for a 60 MB array"
}

# ---- --from json-seq ------------------------------------------------------------

@test "--from json-seq: records, multi-line records, recovery after a bad one" {
	printf '\x1e{"a":1}\n\x1e{"b":\n  [1, 2]}\n\x1e{"bad":}\n\x1e\x1e"s"\n\x1e12\n\x1e{"c":3}\n' >"$T/in"
	run_to "$T/out" --from json-seq cat "$T/in"
	[[ $status -eq 1 ]]
	same "$T/out" '{"a":1}\n{"b":[1,2]}\n"s"\n12\n{"c":3}\n'
	assert_equal "$stderr" "evpipe: input: $T/in:4: invalid JSON: unexpected '}' at column 8"
}

@test "--from json-seq: a truncated number and bytes before the first RS are rejected" {
	printf 'junk\n\x1e{"a":1}\n\x1e123\x1e{"b":2}\n\x1e4' >"$T/in"
	run_to "$T/out" --from json-seq cat "$T/in"
	[[ $status -eq 1 ]]
	same "$T/out" '{"a":1}\n{"b":2}\n'
	assert_equal "$stderr" "evpipe: input: $T/in:1: invalid json-seq: data before the first record separator (RS)
evpipe: input: $T/in:3: invalid json-seq: record not ended by a newline: it may have been truncated
evpipe: input: $T/in:4: invalid json-seq: record not ended by a newline: it may have been truncated"
}

@test "--to json-seq writes RS, the event, LF; --from json-seq reads it back" {
	printf '{"a":1}\n{"b":2}\n' >"$T/in"
	run_to "$T/out" --to json-seq cat "$T/in"
	same "$T/out" '\036{"a":1}\n\036{"b":2}\n'
	run_to "$T/back" --from json-seq cat "$T/out"
	cmp "$T/in" "$T/back"
}

# ---- --to json / pretty -----------------------------------------------------------

@test "--to json writes one array, one element a line, [] when empty" {
	printf '{"a":1}\n{"b":[1,2]}\n3\n' >"$T/in"
	run_to "$T/out" --to json cat "$T/in"
	same "$T/out" '[\n{"a":1},\n{"b":[1,2]},\n3\n]\n'
	jq -e 'length == 3' "$T/out"
	: >"$T/empty"
	run_to "$T/out" --to json cat "$T/empty"
	same "$T/out" '[]\n'
	# head stops the input early: the array is still closed
	run_to "$T/out" --to json head -n 1 "$T/in"
	same "$T/out" '[\n{"a":1}\n]\n'
	# and --from json reads it back
	run_to "$T/back" --from json cat "$T/out"
	same "$T/back" '{"a":1}\n'
}

@test "--to json: each element is out at once, and the array closes after SIGTERM" {
	mkfifo "$T/fifo"
	"$EVPIPE" --to json cat <"$T/fifo" >"$T/out" &
	pid=$!
	exec {w}>"$T/fifo"
	printf '{"a":1}\n' >&"$w"
	for _ in $(seq 1 100); do
		[[ $(cat "$T/out") == $'[\n{"a":1}' ]] && break
		sleep 0.05
	done
	# a live stream is never an event behind: the element is out before
	# the next one comes (only its line's end waits for the separator)
	[[ $(cat "$T/out") == $'[\n{"a":1}' ]] || fail "$(od -c "$T/out")"
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	exec {w}>&-
	[[ $rc -eq 143 ]]
	same "$T/out" '[\n{"a":1}\n]\n'
}

@test "--to pretty indents as jq does" {
	run_to "$T/out" --to pretty cat "$F/pretty.ndjson"
	[[ $status -eq 0 ]] || fail "$stderr"
	jq . "$F/pretty.ndjson" >"$T/want"
	diff -u "$T/want" "$T/out"
}

# ---- --to csv / tsv -------------------------------------------------------------------

@test "--to csv flattens nested keys in first-seen order and quotes when needed" {
	run_to "$T/out" --to csv cat "$F/nested.ndjson"
	[[ $status -eq 0 ]] || fail "$stderr"
	diff -u "$F/nested.csv" "$T/out"
	run_to "$T/out" --to tsv cat "$F/nested.ndjson"
	diff -u "$F/nested.tsv" "$T/out"
}

@test "--to csv reads as Miller reads it" {
	command -v mlr >/dev/null || fail "mlr is missing (make deps)"
	run_to "$T/out" --to csv cat "$F/nested.ndjson"
	mlr --icsv --ojsonl cat "$T/out" >"$T/mlr"
	run_to "$T/ours" --from csv cat "$T/out"
	# Miller infers types and rewrites floats: compare values as numbers
	# where they are numbers, else as text
	jq -c '[paths(scalars) as $p | [$p, (getpath($p) | tostring | tonumber? // .)]]' "$T/mlr" >"$T/a"
	jq -c '[paths(scalars) as $p | [$p, (getpath($p) | tostring | tonumber? // .)]]' "$T/ours" >"$T/b"
	diff -u "$T/a" "$T/b"
}

@test "--to csv rejects an event with a field the header lacks, whole, to the dead letters" {
	# the header is the keys of the first 1000 events written (rejects do
	# not count)
	printf '{"a":1,"b":2}\n{"b":3}\n[1]\n{}\n' >"$T/in"
	for ((i = 0; i < 998; i++)); do echo '{"a":0}'; done >>"$T/in"
	printf '{"a":4,"c":{"d":5}}\n{"a":6}\n' >>"$T/in"
	run_to "$T/out" --to csv --dlq "$T/dlq" cat "$T/in"
	[[ $status -eq 1 ]]
	[[ $(head -3 "$T/out") == $'a,b\n1,2\n,3' ]]
	[[ $(tail -2 "$T/out") == $'0,\n6,' ]]
	[[ $(wc -l <"$T/out") -eq 1002 ]]
	assert_equal "$stderr" "evpipe: output: $T/in:3: --to csv needs an object, not array
evpipe: output: $T/in:4: --to csv: an empty object has no fields
evpipe: output: $T/in:1003: field 'c.d' is not a column of the csv header (the keys of the first 1000 events; --fields names the columns)"
	# the dead letters are NDJSON, whatever --to says
	run jq -c '[.stage, .line, .event]' "$T/dlq"
	assert_line --index 0 '["output",3,[1]]'
	assert_line --index 2 '["output",1003,{"a":4,"c":{"d":5}}]'
}

@test "--to applies to -o, not to tee targets" {
	printf '{"a":1}\n' >"$T/in"
	run_to "$T/stdout" -o "$T/out" --to pretty tee --target "$T/copy" "$T/in"
	same "$T/out" '{\n  "a": 1\n}\n'
	same "$T/copy" '{"a":1}\n'
}

# ---- usage ------------------------------------------------------------------------

@test "unknown formats are usage errors before any I/O" {
	run_to "$T/out" --from yaml cat /nonexistent
	[[ $status -eq 2 ]]
	[[ $stderr == *"yaml"* ]]
	run_to "$T/out" --to xml cat /nonexistent
	[[ $status -eq 2 ]]
	[[ $stderr == *"xml"* ]]
}

@test "--dlq - cannot share stdout with a --to format" {
	printf '{"a":1}\n' >"$T/in"
	run_to "$T/out" --to json --dlq - cat "$T/in"
	[[ $status -eq 2 ]]
	assert_equal "$stderr" "evpipe: --dlq -: dead letters are NDJSON and would break the --to json output on stdout; give --dlq a file"
	same "$T/out" ''
	# with -o elsewhere, stdout is the dead letters' own
	run_to "$T/out" --to json -o "$T/json" --dlq - cat "$T/in"
	[[ $status -eq 0 ]]
	same "$T/json" '[\n{"a":1}\n]\n'
}

@test "the formats are completed and documented" {
	run -0 "$EVPIPE" __complete choices --from
	assert_output "$(printf 'ndjson\njson\njson-seq\ncsv\ntsv\nlogfmt\nlines\ncombined\nsyslog')"
	run -0 "$EVPIPE" __complete choices --to
	assert_output "$(printf 'ndjson\njson\njson-seq\ncsv\ntsv\npretty')"
	run -0 "$EVPIPE" --help
	assert_output --partial "--from FORMAT"
	assert_output --partial "--csv-types"
}
