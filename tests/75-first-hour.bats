#!/usr/bin/env bats
# A first hour with evpipe: no spelling with two meanings, "did you mean"
# for commands, options and formats, negative numbers as expressions.

load test_helper

setup() {
	T=$BATS_TEST_TMPDIR
	printf '%s\n' '{"a":1}' '{"a":2}' >"$T/in"
	cd "$T"
}

@test "tee -t/--target copies; tee --to PATH is refused, naming --target, and creates nothing" {
	run_to "$T/out" tee -t "$T/c1" --target "$T/c2" "$T/in"
	[[ $status -eq 0 ]]
	cmp "$T/in" "$T/c1"
	cmp "$T/in" "$T/c2"
	run -2 --separate-stderr "$EVPIPE" tee --to copy.ndjson "$T/in"
	assert_equal "$stderr" "evpipe: tee: --to is the output format; a copy target is -t/--target"
	[[ ! -e copy.ndjson ]]
	run -2 --separate-stderr "$EVPIPE" tee --to=copy.ndjson "$T/in"
	assert_equal "$stderr" "evpipe: tee: --to is the output format; a copy target is -t/--target"
}

@test "a trailing --to FORMAT after tee or stats is the output format, not a file named json" {
	run_to "$T/out" tee -t "$T/copy" --to json "$T/in"
	[[ $status -eq 0 ]]
	same "$T/out" '[\n{"a":1},\n{"a":2}\n]\n'
	[[ ! -e json ]]
	run_to "$T/out" stats --to json "$T/in"
	[[ $status -eq 0 ]]
	[[ ! -e json ]]
	[[ $(head -c 1 "$T/out") == "[" ]]
}

@test "stats -t/--target writes the stats; stats --to PATH is refused" {
	run_to "$T/out" stats --target "$T/s.ndjson" "$T/in"
	[[ $status -eq 0 ]]
	cmp "$T/in" "$T/out"
	grep -q '"events":2' "$T/s.ndjson"
	run -2 --separate-stderr "$EVPIPE" stats --to s2.ndjson "$T/in"
	assert_equal "$stderr" "evpipe: stats: --to is the output format; a stats target is -t/--target"
	[[ ! -e s2.ndjson ]]
}

@test "filter --invert inverts; -v after filter is refused, -v before it is verbose" {
	run_to "$T/out" filter --invert '.a == 1' "$T/in"
	[[ $status -eq 0 ]]
	same "$T/out" '{"a":2}\n'
	run -2 --separate-stderr "$EVPIPE" filter -v '.a == 1' "$T/in"
	assert_equal "$stderr" "evpipe: filter: -v is --verbose, given before the command; to keep the events for which EXPR is false, --invert"
	run_to "$T/out" -v filter '.a == 1' "$T/in"
	[[ $status -eq 0 ]]
	same "$T/out" '{"a":1}\n'
	[[ $stderr == *"filter: in 2, out 1"* ]]
}

@test "--help and completion know the new spellings only" {
	run -0 "$EVPIPE" tee --help
	assert_line --partial -- "-t, --target TARGET"
	refute_output --partial -- "--to "
	run -0 "$EVPIPE" filter --help
	assert_line --partial -- "    --invert"
	refute_output --partial -- "-v,"
	run -0 "$EVPIPE" __complete options stats
	assert_line -- --target
	refute_line -- --to
	run -0 "$EVPIPE" __complete options filter
	refute_line -- -v
}

@test "a negative number or -infinite where an expression is expected is the expression" {
	run_to "$T/out" filter -1 "$T/in"
	[[ $status -eq 0 ]]
	cmp "$T/in" "$T/out"
	run_to "$T/out" map -.5 "$T/in"
	[[ $status -eq 0 ]]
	assert_equal "$(<"$T/out")" $'-0.5\n-0.5'
	run_to "$T/out" filter -infinite "$T/in"
	[[ $status -eq 0 ]]
	cmp "$T/in" "$T/out"
	run_to "$T/out" filter -nan "$T/in"
	[[ $status -eq 0 ]]
	cmp "$T/in" "$T/out"
}

@test "did you mean: commands, options and formats" {
	run -2 --separate-stderr "$EVPIPE" filtr .a "$T/in"
	assert_equal "$stderr" "evpipe: unknown command 'filtr'; did you mean 'filter'? (see 'evpipe help')"
	run -2 --separate-stderr "$EVPIPE" --frm json cat "$T/in"
	assert_equal "$stderr" "evpipe: unknown option '--frm'; did you mean '--from'? (see 'evpipe --help')"
	run -2 --separate-stderr "$EVPIPE" cat --frm=json "$T/in"
	assert_equal "$stderr" "evpipe: cat: unknown option '--frm=json'; did you mean '--from'? (see 'evpipe cat --help')"
	run -2 --separate-stderr "$EVPIPE" filter --invrt .a "$T/in"
	assert_equal "$stderr" "evpipe: filter: unknown option '--invrt'; did you mean '--invert'? (see 'evpipe filter --help')"
	run -2 --separate-stderr "$EVPIPE" --from jsn cat "$T/in"
	assert_equal "$stderr" "evpipe: --from: 'jsn' is not one of ndjson, json, json-seq, csv, tsv, logfmt, lines, combined, syslog; did you mean 'json'?"
	run -2 --separate-stderr "$EVPIPE" help tea
	assert_equal "$stderr" "evpipe: help: unknown command 'tea'; did you mean 'tee'?"
	# nothing when no name is close
	run -2 --separate-stderr "$EVPIPE" xyzzy "$T/in"
	assert_equal "$stderr" "evpipe: unknown command 'xyzzy' (see 'evpipe help')"
	run -2 --separate-stderr "$EVPIPE" cat --zzzzzz "$T/in"
	assert_equal "$stderr" "evpipe: cat: unknown option '--zzzzzz' (see 'evpipe cat --help')"
	run -2 --separate-stderr "$EVPIPE" --to yaml cat "$T/in"
	assert_equal "$stderr" "evpipe: --to: 'yaml' is not one of ndjson, json, json-seq, csv, tsv, pretty"
}

@test "-o FILE replaces the file as > does: two runs leave one JSON array, one CSV header" {
	"$EVPIPE" --to json -o o.json cat "$T/in"
	"$EVPIPE" --to json -o o.json cat "$T/in"
	same o.json '[\n{"a":1},\n{"a":2}\n]\n'
	"$EVPIPE" --to csv -o o.csv cat "$T/in"
	"$EVPIPE" --to csv -o o.csv cat "$T/in"
	same o.csv 'a\n1\n2\n'
	"$EVPIPE" -o o.gz cat "$T/in"
	"$EVPIPE" -o o.gz cat "$T/in"
	[[ $(gzip -dc o.gz) == $'{"a":1}\n{"a":2}' ]]
}

@test "--append appends for ndjson and json-seq, and is refused for the others" {
	"$EVPIPE" --append -o o.ndjson cat "$T/in"
	"$EVPIPE" --append -o o.ndjson cat "$T/in"
	same o.ndjson '{"a":1}\n{"a":2}\n{"a":1}\n{"a":2}\n'
	printf 'keep\n' >o.csv
	run -2 --separate-stderr "$EVPIPE" --append --to csv -o o.csv cat "$T/in"
	assert_equal "$stderr" "evpipe: -o 'o.csv': --append appends to the file, and --to csv cannot be appended to (a second header would follow the first); use ndjson or json-seq, or another file per run"
	same o.csv 'keep\n'
	run -2 --separate-stderr "$EVPIPE" --append cat "$T/in"
	assert_equal "$stderr" "evpipe: --append: only for -o FILE (the output is '-')"
}

@test "a run resumed with dedup --state appends to -o where it left off" {
	printf '%s\n' '{"a":2}' '{"a":3}' >"$T/in2"
	"$EVPIPE" -o o.ndjson dedup -k .a --state st "$T/in"
	"$EVPIPE" -o o.ndjson dedup -k .a --state st "$T/in2"
	same o.ndjson '{"a":1}\n{"a":2}\n{"a":3}\n'
	run -2 --separate-stderr "$EVPIPE" --to json -o o.json dedup -k .a --state st "$T/in2"
	[[ $stderr == *"--state appends to the file, and --to json cannot be appended to"* ]]
}

@test "tee and --dlq files are still appended to; only -o is replaced" {
	"$EVPIPE" -o o.ndjson tee -t copy.ndjson "$T/in"
	"$EVPIPE" -o o.ndjson tee -t copy.ndjson "$T/in"
	same copy.ndjson '{"a":1}\n{"a":2}\n{"a":1}\n{"a":2}\n'
	same o.ndjson '{"a":1}\n{"a":2}\n'
	"$EVPIPE" -q --dlq d.ndjson -o o.ndjson filter '.a.b' "$T/in" || true
	"$EVPIPE" -q --dlq d.ndjson -o o.ndjson filter '.a.b' "$T/in" || true
	[[ $(wc -l <d.ndjson) -eq 4 ]]
}

@test "an -o file that cannot be opened is an -o: error, once" {
	run -3 --separate-stderr "$EVPIPE" -o nodir/out.ndjson cat "$T/in"
	assert_equal "$stderr" "evpipe: -o: cannot open 'nodir/out.ndjson': No such file or directory"
}

# bash_complete LINE: what the bash completion offers at the end of LINE,
# run in $T with the binary under test first in PATH.
bash_complete() {
	local bindir=$T/bin
	mkdir -p "$bindir"
	ln -sf "$EVPIPE" "$bindir/evpipe"
	PATH=$bindir:$PATH bash -c '
		source /usr/share/bash-completion/bash_completion || exit 1
		source "$REPO/completions/evpipe.bash" || exit 1
		COMP_LINE=$1
		COMP_POINT=${#COMP_LINE}
		read -ra COMP_WORDS <<<"$COMP_LINE"
		[[ $COMP_LINE == *" " ]] && COMP_WORDS+=("")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMPREPLY=()
		_evpipe 2>/dev/null
		printf "%s\n" "${COMPREPLY[@]}"
	' bash "$1"
}

@test "completion: help completes commands, file options complete files, stats lists --to once" {
	[[ -r /usr/share/bash-completion/bash_completion ]] ||
		fail "bash-completion is not installed (make deps)"
	touch schema-a.json report-a.txt
	run -0 bash_complete "evpipe help fil"
	assert_output filter
	run -0 bash_complete "evpipe validate -s schema-"
	assert_output schema-a.json
	run -0 bash_complete "evpipe validate --report report-"
	assert_output report-a.txt
	run -0 bash_complete "evpipe --checkpoint report-"
	assert_output report-a.txt
	run -0 bash_complete "evpipe dedup -k .a --state schema-"
	assert_output schema-a.json
	run -0 bash_complete "evpipe stats --prometheus report-"
	assert_output report-a.txt
	run -0 bash_complete "evpipe stats --t"
	assert_equal "$(grep -cx -- --to <<<"$output")" 1
	assert_line -- --target
	assert_line -- --top
}

@test "--to csv: the header is the union of the keys of the first events, not the first alone" {
	printf '%s\n' '{"id":1,"user":null}' >"$T/log"
	for ((i = 2; i <= 50; i++)); do
		printf '{"id":%d,"user":{"name":"u%d","id":%d}}\n' "$i" "$i" "$i"
	done >>"$T/log"
	run_to "$T/out" --to csv cat "$T/log"
	[[ $status -eq 0 ]]
	[[ -z $stderr ]]
	[[ $(head -3 "$T/out") == $'id,user,user.name,user.id\n1,,,\n2,,u2,2' ]]
	[[ $(wc -l <"$T/out") -eq 51 ]]
	run_to "$T/out" --to tsv cat "$T/log"
	[[ $(head -1 "$T/out") == $'id\tuser\tuser.name\tuser.id' ]]
}

@test "--to csv --fields fixes the columns and writes rows at once" {
	printf '%s\n' '{"id":1,"user":null}' '{"id":2,"user":{"name":"b"},"x":9}' >"$T/log"
	run_to "$T/out" --to csv --fields id,user.name cat "$T/log"
	[[ $status -eq 0 ]]
	same "$T/out" 'id,user.name\n1,\n2,b\n'
	# a row is written before the input ends
	mkfifo "$T/fifo"
	"$EVPIPE" --line-buffered --to csv --fields id -o "$T/live" cat "$T/fifo" &
	local w
	exec {w}>"$T/fifo"
	echo '{"id":7}' >&"$w"
	for ((i = 0; i < 200; i++)); do
		[[ $(cat "$T/live" 2>/dev/null) == $'id\n7' ]] && break
		sleep 0.05
	done
	exec {w}>&-
	wait
	same "$T/live" 'id\n7\n'
	[[ $i -lt 200 ]]
	run -2 --separate-stderr "$EVPIPE" --fields id cat "$T/log"
	assert_equal "$stderr" "evpipe: --fields is for --to csv and --to tsv"
	run -2 --separate-stderr "$EVPIPE" --to csv --fields id,,x cat "$T/log"
	assert_equal "$stderr" "evpipe: --fields 'id,,x': an empty field name"
}

@test "did you mean: an undefined expression function gets the closest builtins, and names from other languages theirs" {
	run --separate-stderr "$EVPIPE" map 'lenght' </dev/null
	[[ $status -eq 2 ]]
	[[ $stderr == *"lenght/0 is not defined; did you mean 'length'?"* ]] || fail "$stderr"
	run --separate-stderr "$EVPIPE" filter '.a | tolower == "x"' </dev/null
	[[ $status -eq 2 ]]
	[[ $stderr == *"tolower/0 is not defined; did you mean 'ascii_downcase'?"* ]] || fail "$stderr"
	run --separate-stderr "$EVPIPE" map '.a | tostrin' </dev/null
	[[ $stderr == *"tostrin/0 is not defined; did you mean 'tostring'?"* ]] || fail "$stderr"
	# nothing close: no guess
	run --separate-stderr "$EVPIPE" map 'frobnicate' </dev/null
	[[ $stderr == *"frobnicate/0 is not defined"$'\n'* && $stderr != *"did you mean"* ]] || fail "$stderr"
}

@test "jq gaps: \$ARGS, limit/1's message, fromdate with fractions and offsets" {
	run --separate-stderr "$EVPIPE" --arg x 1 --argjson y '{"z":2}' map '$ARGS' <<<'{}'
	[[ $status -eq 0 ]] || fail "$stderr"
	assert_output '{"positional":[],"named":{"x":"1","y":{"z":2}}}'
	run --separate-stderr "$EVPIPE" map '$ARGS.named' <<<'{}'
	assert_output '{}'
	run --separate-stderr "$EVPIPE" map '[limit(1)]' </dev/null
	[[ $status -eq 2 ]]
	[[ $stderr == *"limit/1 is not defined; did you mean limit/2?"* ]] || fail "$stderr"
	[[ $stderr != *"not supported"* ]] || fail "$stderr"
	run --separate-stderr "$EVPIPE" map '[fromdate, fromdateiso8601]' <<<'"2015-03-05T23:51:47Z"'
	assert_output '[1425599507,1425599507]'
	run --separate-stderr "$EVPIPE" map '[.[] | fromdate]' <<<'["2024-01-02T03:04:05.123Z","2024-01-02T03:04:05+02:00","1969-12-31T23:59:59.5Z"]'
	assert_output '[1704164645.123,1704157445,-0.5]'
	run --separate-stderr "$EVPIPE" map 'fromdate' <<<'"2015-03-05 23:51:47"'
	[[ $status -eq 1 ]]
	[[ $stderr == *'date "2015-03-05 23:51:47" does not match format "%Y-%m-%dT%H:%M:%SZ"'* ]] || fail "$stderr"
}

@test "a malformed literal regex is an error when the command line is read, with a caret" {
	run --separate-stderr "$EVPIPE" filter '.a | test("a(b")' </dev/null
	[[ $status -eq 2 && -z $output ]] || fail "exit $status"
	assert_equal "$stderr" 'evpipe: filter: expression: column 11: Regex failure: missing closing parenthesis (at offset 3 of "a(b")
  .a | test("a(b")
            ^'
	run --separate-stderr "$EVPIPE" map 'sub("(";"x")' </dev/null
	[[ $status -eq 2 && $stderr == *'Regex failure: missing closing parenthesis'* ]] || fail "$stderr"
	run --separate-stderr "$EVPIPE" map 'test("a"; "q")' </dev/null
	[[ $status -eq 2 && $stderr == *'q is not a valid modifier string'* ]] || fail "$stderr"
	# split/1 splits at a string: "(" is no regex there
	run --separate-stderr "$EVPIPE" map 'split("(")' <<<'"a(b"'
	[[ $status -eq 0 ]] || fail "$stderr"
	assert_output '["a","b"]'
	# a pattern computed per event is checked per event, as before
	run --separate-stderr "$EVPIPE" map 'test(.re)' <<<'{"re":"("}'
	[[ $status -eq 1 ]] || fail "exit $status"
}

@test "input_line_number: the line the event was read from, as jq's" {
	printf '{"a":1}\n\n{"a":2}\n' >"$BATS_TEST_TMPDIR/l.ndjson"
	run --separate-stderr "$EVPIPE" map '[input_line_number, .a]' "$BATS_TEST_TMPDIR/l.ndjson"
	[[ $status -eq 0 ]] || fail "$stderr"
	assert_output $'[1,1]\n[3,2]'
	run --separate-stderr "$EVPIPE" --from json filter 'input_line_number > 1' <<<$'[1,\n2,\n3]'
	assert_output $'2\n3'
	# in templates too
	cd "$BATS_TEST_TMPDIR"
	run --separate-stderr "$EVPIPE" split 'ln-{input_line_number}.ndjson' l.ndjson
	[[ $status -eq 0 && -s ln-1.ndjson && -s ln-3.ndjson ]] || fail "$stderr"
}

@test "route and batch: --to is the output format everywhere; their targets are -t/--target" {
	run -2 --separate-stderr "$EVPIPE" route --when true --to x.ndjson </dev/null
	assert_equal "$stderr" "evpipe: route: --to is the output format; a rule's target is -t/--target"
	run -2 --separate-stderr "$EVPIPE" batch --to 'out/{.a}.ndjson' </dev/null
	assert_equal "$stderr" "evpipe: batch: --to is the output format; a batch's file is -t/--target"
	[[ ! -e x.ndjson && ! -e json ]]
	# --to with a format name after them is the global option
	cd "$BATS_TEST_TMPDIR"
	run --separate-stderr "$EVPIPE" route --when true --target r.ndjson --copy --to json <<<'{"a":1}'
	[[ $status -eq 0 ]] || fail "$stderr"
	assert_output $'[\n{"a":1}\n]'
	same r.ndjson '{"a":1}\n'
	run --separate-stderr "$EVPIPE" batch -n 1 -t 'b-{.a}.ndjson' <<<'{"a":1}'
	[[ $status -eq 0 ]] || fail "$stderr"
	same b-1.ndjson '{"a":1}\n'
}
