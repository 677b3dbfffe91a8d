#!/usr/bin/env bats
# The command line: usage, help, version, chaining, unknown words.
load test_helper

@test "--version prints the version" {
	run -0 "$EVPIPE" --version
	assert_output --regexp '^evpipe [0-9]+\.[0-9]+\.[0-9]+$'
	run -0 "$EVPIPE" -V
}

@test "no command is a usage error on stderr" {
	run -2 --separate-stderr "$EVPIPE"
	assert_equal "$output" ""
	[[ $stderr == usage:* ]]
}

@test "--help and help list every command" {
	run -0 "$EVPIPE" --help
	assert_output --partial "usage: evpipe"
	for c in $("$EVPIPE" __complete commands); do
		[[ $c == help || $c == convert ]] && continue
		assert_output --partial "  $c "
	done
	run -0 "$EVPIPE" help
	assert_output --partial "commands:"
}

@test "help CMD and CMD --help show the command's usage and options" {
	run -0 "$EVPIPE" help head
	assert_line "usage: evpipe head [-n N]"
	assert_output --partial "--lines N"
	run -0 "$EVPIPE" head --help
	assert_line "usage: evpipe head [-n N]"
	run -0 "$EVPIPE" cat then head -h
	assert_line "usage: evpipe head [-n N]"
}

@test "help for an unknown command fails with status 2" {
	run -2 --separate-stderr "$EVPIPE" help frobnicate
	assert_equal "$stderr" "evpipe: help: unknown command 'frobnicate'"
}

@test "unknown command" {
	run -2 --separate-stderr "$EVPIPE" frobnicate
	assert_equal "$stderr" "evpipe: unknown command 'frobnicate' (see 'evpipe help')"
}

@test "command names are exact: no prefix matching" {
	run -2 "$EVPIPE" he </dev/null
}

@test "unknown global option" {
	run -2 --separate-stderr "$EVPIPE" --frob cat
	assert_equal "$stderr" "evpipe: unknown option '--frob'; did you mean '--from'? (see 'evpipe --help')"
}

@test "unknown command option names the command" {
	run -2 --separate-stderr "$EVPIPE" head --frob
	assert_equal "$stderr" "evpipe: head: unknown option '--frob'; did you mean '--from'? (see 'evpipe head --help')"
}

@test "bad option values are usage errors" {
	run -2 --separate-stderr "$EVPIPE" head -n x
	assert_equal "$stderr" "evpipe: head: --lines: 'x' is not a whole number"
	run -2 --separate-stderr "$EVPIPE" --on-error maybe cat
	assert_equal "$stderr" "evpipe: --on-error: 'maybe' is not one of skip, stop"
	run -2 --separate-stderr "$EVPIPE" --max-line 12q cat
	[[ $stderr == *"'12q' is not a size"* ]]
	run -2 --separate-stderr "$EVPIPE" head -n
	[[ $stderr == *"needs a value"* ]]
}

@test "option spellings: -n N, -nN, --lines N, --lines=N" {
	printf '{"i":1}\n{"i":2}\n{"i":3}\n' >"$BATS_TEST_TMPDIR/in"
	for spelling in "-n 2" "-n2" "--lines 2" "--lines=2"; do
		# shellcheck disable=SC2086
		run_to "$BATS_TEST_TMPDIR/out" head $spelling "$BATS_TEST_TMPDIR/in"
		[[ $status -eq 0 ]]
		same "$BATS_TEST_TMPDIR/out" '{"i":1}\n{"i":2}\n'
	done
}

@test "global options are accepted after the command too" {
	printf '{"i":1}\n' >"$BATS_TEST_TMPDIR/in"
	run_to "$BATS_TEST_TMPDIR/o1" cat -o "$BATS_TEST_TMPDIR/o2" "$BATS_TEST_TMPDIR/in"
	[[ $status -eq 0 ]]
	same "$BATS_TEST_TMPDIR/o1" ''
	same "$BATS_TEST_TMPDIR/o2" '{"i":1}\n'
}

@test "then chains commands; words after the last command are inputs" {
	printf '{"i":1}\n{"i":2}\n{"i":3}\n' >"$BATS_TEST_TMPDIR/a"
	printf '{"i":4}\n' >"$BATS_TEST_TMPDIR/b"
	run_to "$BATS_TEST_TMPDIR/out" cat then head -n 4 then cat "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b"
	[[ $status -eq 0 ]]
	same "$BATS_TEST_TMPDIR/out" '{"i":1}\n{"i":2}\n{"i":3}\n{"i":4}\n'
}

@test "words left before then are an error" {
	run -2 --separate-stderr "$EVPIPE" head x then cat
	assert_equal "$stderr" "evpipe: head: unexpected argument 'x' (input files go after the last command)"
}

@test "then at the end is an error" {
	run -2 --separate-stderr "$EVPIPE" cat then
	assert_equal "$stderr" "evpipe: 'then' must be followed by a command"
}

@test "-- ends options: a file named like an option" {
	printf '{"i":1}\n' >"$BATS_TEST_TMPDIR/-n"
	cd "$BATS_TEST_TMPDIR"
	run_to out cat -- -n
	[[ $status -eq 0 ]]
	same out '{"i":1}\n'
}

@test "- is stdin among other inputs" {
	printf '{"f":1}\n' >"$BATS_TEST_TMPDIR/f"
	"$EVPIPE" cat "$BATS_TEST_TMPDIR/f" - "$BATS_TEST_TMPDIR/f" <<<'{"s":1}' >"$BATS_TEST_TMPDIR/out"
	same "$BATS_TEST_TMPDIR/out" '{"f":1}\n{"s":1}\n{"f":1}\n'
}

@test "convert is an alias of cat" {
	run -0 "$EVPIPE" convert <<<'{"a":1}'
	assert_output '{"a":1}'
}

@test "__complete answers the completion scripts" {
	run -0 "$EVPIPE" __complete commands
	assert_line cat
	assert_line head
	assert_line tee
	assert_line help
	run -0 "$EVPIPE" __complete options head
	assert_line -- --lines
	assert_line -- -n
	run -0 "$EVPIPE" __complete global
	assert_line -- --dlq
	assert_line -- --on-error
	run -0 "$EVPIPE" __complete choices --on-error
	assert_output $'skip\nstop'
	run -0 "$EVPIPE" __complete choices --target tee
	assert_output '@target'
	run -0 "$EVPIPE" __complete targets
	assert_line 'exec:'
	run -2 "$EVPIPE" __complete options nosuch
	run -2 "$EVPIPE" __complete
}

@test "--version and --help work after a command too" {
	run -0 "$EVPIPE" cat --version
	assert_output --regexp '^evpipe [0-9.]+$'
	run -0 "$EVPIPE" cat --help
	assert_line --index 0 "usage: evpipe cat"
}

# complete_all: every answer of "evpipe __complete", the words the bash,
# zsh and fish completions offer, with the exit statuses.
complete_all() {
	local c o s
	ask() {
		local rc=0
		"$EVPIPE" __complete "$@" || rc=$?
		echo "rc=$rc"
	}
	echo "## commands"; "$EVPIPE" __complete commands
	echo "## global"; "$EVPIPE" __complete global
	echo "## targets"; "$EVPIPE" __complete targets
	echo "## addresses"; "$EVPIPE" __complete addresses
	for o in $("$EVPIPE" __complete global); do
		echo "## choices $o"; ask choices "$o"
	done
	for c in $("$EVPIPE" __complete commands) bogus; do
		echo "## options $c"; ask options "$c"
		echo "## subcommands $c"; ask subcommands "$c"
		for s in infer compat bogus ""; do
			echo "## options $c '$s'"; ask options "$c" "$s"
		done
		for o in $("$EVPIPE" __complete options "$c" 2>/dev/null) --output --bogus; do
			echo "## choices $o $c"; ask choices "$o" "$c"
		done
	done
	echo "## nothing"; ask
	echo "## bogus"; ask bogus
}

@test "__complete offers the same words for every command as the option tables always did" {
	complete_all >"$BATS_TEST_TMPDIR/got" 2>&1
	diff -u "$FIXTURES/cli/complete.txt" "$BATS_TEST_TMPDIR/got"
}

@test "a subcommand's usage error shows the usage of every subcommand" {
	run -2 --separate-stderr "$EVPIPE" schema
	assert_equal "$stderr" "evpipe: schema: missing argument
usage: evpipe schema infer [--draft 2020-12|2019-09|draft-07] [--enum-max N]
       evpipe schema compat [--draft 2020-12|2019-09|draft-07] [-m backward|forward|full] [--format text|json] OLD NEW"
}
