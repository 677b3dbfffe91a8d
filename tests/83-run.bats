#!/usr/bin/env bats
# evpipe run FILE: a pipeline file holds the words of a command line
# (evpipe-run(1)); it must behave exactly like the command line.
load test_helper

setup() {
	T=$BATS_TEST_TMPDIR
	printf '%s\n' '{"id":1,"amount":5,"cur":"EUR"}' \
		'{"id":2,"amount":50,"cur":"USD"}' 'not json' \
		'{"id":3,"amount":500,"cur":"EUR"}' '{"id":4,"amount":70}' >"$T/in"
}

# both FILE ARGS...: run "evpipe run FILE" and "evpipe ARGS..." on $T/in;
# stdout, stderr and exit status must be identical.
both() {
	local file=$1 rc1=0 rc2=0
	shift
	"$EVPIPE" run "$file" "$T/in" >"$T/out1" 2>"$T/err1" || rc1=$?
	"$EVPIPE" "$@" "$T/in" >"$T/out2" 2>"$T/err2" || rc2=$?
	diff -u "$T/out2" "$T/out1" || fail "stdout differs"
	diff -u "$T/err2" "$T/err1" || fail "stderr differs"
	[[ $rc1 -eq $rc2 ]] || fail "exit $rc1 from run, $rc2 from the command line"
	[[ -s $T/out1 ]] || fail "no output at all"
}

@test "one command a line is the same as the command line with then" {
	cat >"$T/p" <<-'EOF'
		# big orders, at most two
		filter '.amount > 10'
		map '{id, cur}'
		head -n 2
	EOF
	both "$T/p" filter '.amount > 10' then map '{id, cur}' then head -n 2
	same "$T/out1" '{"id":2,"cur":"USD"}\n{"id":3,"cur":"EUR"}\n'
}

@test "global options on lines before the first command, rejects alike" {
	cat >"$T/p" <<-'EOF'
		--arg min 10   # a comment after words
		--dlq -

		filter '.amount > ($min | tonumber)'
	EOF
	both "$T/p" --arg min 10 --dlq - filter '.amount > ($min | tonumber)'
	[[ $(<"$T/err1") == *"invalid JSON"* ]]
	grep -q '"reason":"invalid JSON' "$T/out1"
}

@test "quotes, escapes, continuation and \${VAR} follow the shell" {
	cat >"$T/p" <<-'EOF'
		filter ".cur == \"${CUR}\"" \
		  --   # options end here, comment ignored
		then map '{id, note: "it'\''s ${CUR} \\ $x"}' --argjson x 1
		map "{id, n: .note, k: \$x}" --argjson x '"k"'
	EOF
	CUR=EUR both "$T/p" filter '.cur == "EUR"' -- then \
		map '{id, note: "it'\''s ${CUR} \\ $x"}' --argjson x 1 then \
		map '{id, n: .note, k: $x}' --argjson x '"k"'
	same "$T/out1" '{"id":1,"n":"it'\''s ${CUR} \\\\ $x","k":"k"}\n{"id":3,"n":"it'\''s ${CUR} \\\\ $x","k":"k"}\n'
}

@test "a variable never splits into words; a quote may span lines" {
	cat >"$T/p" <<-'EOF'
		map ${EXPR}
		filter '.id
		  > 1'
	EOF
	EXPR='{id, two: 2}' both "$T/p" map '{id, two: 2}' then filter '.id
  > 1'
}

@test "words after FILE are appended: inputs and options" {
	printf 'filter ".amount > 10"\n' >"$T/p"
	run_to "$T/out" run "$T/p" -q --dlq "$T/dlq" "$T/in" "$T/in"
	[[ $status -eq 1 ]]
	[[ -z $stderr ]]
	[[ $(wc -l <"$T/out") -eq 6 ]]
	[[ $(wc -l <"$T/dlq") -eq 2 ]]
	# global options before "run" count too
	run_to "$T/out" -q run "$T/p" "$T/in"
	[[ $status -eq 1 && -z $stderr ]]
}

@test "stdin is the input when no input is given" {
	printf 'head -n 1\n' >"$T/p"
	"$EVPIPE" run "$T/p" <"$T/in" >"$T/out"
	same "$T/out" '{"id":1,"amount":5,"cur":"EUR"}\n'
}

@test "an explicit then at the start of a line is allowed" {
	printf 'filter ".amount > 10"\nthen head -n 1\n' >"$T/p"
	both "$T/p" filter '.amount > 10' then head -n 1
}

@test "errors name the file and line and exit 2 before any input is read" {
	local cases=(
		'filter ".a == ${NOPE_UNSET}"|line 1: ${NOPE_UNSET} is not set'
		$'cat\nfilter \'.a\n|line 2: unterminated single quote'
		$'cat\n\nmap "x|line 3: unterminated double quote'
		$'cat\n-q\n|line 2: a line of options after a command: put global options before the first command, or continue the command\'s line with \'\\\''
		$'# nothing\n-q\n|no command in the pipeline file'
		$'then cat|line 1: \'then\' before the first command'
		$'cat\nthen|line 2: \'then\' must be followed by a command'
		$'cat ${1x}|line 1: bad variable reference: write ${NAME} with letters, digits and \'_\''
		$'cat \\|line 1: \'\\\' at the end of the file'
	)
	local c
	for c in "${cases[@]}"; do
		printf '%s' "${c%%|*}" >"$T/p"
		run_to "$T/out" run "$T/p" "$T/no-such-input"
		[[ $status -eq 2 ]] || fail "exit $status for: ${c%%|*}"
		assert_equal "$stderr" "evpipe: run: $T/p: ${c#*|}"
		[[ ! -s $T/out ]]
	done
	run_to "$T/out" run "$T/none"
	[[ $status -eq 2 ]]
	assert_equal "$stderr" "evpipe: run: $T/none: No such file or directory"
	run_to "$T/out" run
	[[ $status -eq 2 ]]
	[[ $stderr == "evpipe: run: missing argument"* ]]
	# an unknown command inside the file is the command line's error
	printf 'cat\nfrobnicate\n' >"$T/p"
	run_to "$T/out" run "$T/p"
	[[ $status -eq 2 ]]
	assert_equal "$stderr" "evpipe: unknown command 'frobnicate' (see 'evpipe help')"
}

@test "a NUL byte is an error, not a silent truncation" {
	printf 'cat\000 then head\n' >"$T/p"
	run_to "$T/out" run "$T/p"
	[[ $status -eq 2 ]]
	assert_equal "$stderr" "evpipe: run: $T/p: line 1: NUL byte"
}

@test "run --help, help run, and run is completed as a command" {
	run -0 "$EVPIPE" run --help
	assert_line --index 0 "usage: evpipe run FILE [INPUT...]"
	run -0 "$EVPIPE" help run
	assert_line --index 0 "usage: evpipe run FILE [INPUT...]"
	run -0 "$EVPIPE" __complete commands
	assert_line run
	run -0 "$EVPIPE" --help
	assert_output --partial "  run         run the pipeline written in a file"
}

@test "a pipeline file with -o writes where the command line would" {
	printf -- '-o %s\nhead -n 1\n' "$T/o1" >"$T/p"
	"$EVPIPE" run "$T/p" "$T/in"
	"$EVPIPE" -o "$T/o2" head -n 1 "$T/in"
	cmp "$T/o1" "$T/o2"
	same "$T/o1" '{"id":1,"amount":5,"cur":"EUR"}\n'
}
