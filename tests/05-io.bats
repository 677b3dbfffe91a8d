#!/usr/bin/env bats
# Input framing and hostile input: every line is checked to be JSON, what
# is not is rejected with its source and line, and nothing crashes.
load test_helper

setup() {
	T=$BATS_TEST_TMPDIR
}

@test "events pass byte for byte: spacing, key order, number spelling, escapes" {
	printf '{"b": 1, "a" :[1.0, 2e3, -0]}\n{"u":"\\u00e9\\n","k":"é"}\n' >"$T/in"
	run_to "$T/out" cat "$T/in"
	[[ $status -eq 0 ]]
	cmp "$T/in" "$T/out"
}

@test "any JSON value is an event, not only objects" {
	printf '[1,2]\n"str"\n3\ntrue\nnull\n' >"$T/in"
	run_to "$T/out" cat "$T/in"
	[[ $status -eq 0 ]]
	cmp "$T/in" "$T/out"
}

@test "integers beyond 64 bits pass through byte for byte" {
	printf '{"n":123456789012345678901234567890}\n-99999999999999999999999\n' >"$T/in"
	run_to "$T/out" cat "$T/in"
	[[ $status -eq 0 ]]
	cmp "$T/in" "$T/out"
}

@test "CRLF line ends become LF" {
	printf '{"a":1}\r\n{"b":2}\r\n' >"$T/in"
	run_to "$T/out" cat "$T/in"
	[[ $status -eq 0 ]]
	same "$T/out" '{"a":1}\n{"b":2}\n'
}

@test "a last line without newline is an event and gets one" {
	printf '{"a":1}\n{"b":2}' >"$T/in"
	run_to "$T/out" cat "$T/in"
	[[ $status -eq 0 ]]
	same "$T/out" '{"a":1}\n{"b":2}\n'
}

@test "empty and blank lines are skipped, line numbers still count them" {
	printf '\n{"a":1}\n   \n\t\n\nnope\n' >"$T/in"
	run_to "$T/out" cat "$T/in"
	[[ $status -eq 1 ]]
	same "$T/out" '{"a":1}\n'
	[[ $stderr == "evpipe: input: $T/in:6: invalid JSON: "* ]]
}

@test "invalid JSON is rejected with source and line; the rest goes on" {
	printf '{"a":1}\n{"a":\n{"a":3}\n' >"$T/in"
	run_to "$T/out" cat "$T/in"
	[[ $status -eq 1 ]]
	same "$T/out" '{"a":1}\n{"a":3}\n'
	[[ $stderr == "evpipe: input: $T/in:2: invalid JSON: "*"column"* ]]
}

@test "a truncated last line is rejected" {
	printf '{"a":1}\n{"a":[1,2' >"$T/in"
	run_to "$T/out" cat "$T/in"
	[[ $status -eq 1 ]]
	same "$T/out" '{"a":1}\n'
	[[ $stderr == "evpipe: input: $T/in:2: invalid JSON: "* ]]
}

@test "stdin is named <stdin> in messages" {
	run -1 --separate-stderr "$EVPIPE" cat <<<'x'
	[[ $stderr == "evpipe: input: <stdin>:1: invalid JSON: "* ]]
}

@test "raw NUL bytes are rejected with their column" {
	printf '{"a":"x\0y"}\n{"ok":1}\n' >"$T/in"
	run_to "$T/out" cat "$T/in"
	[[ $status -eq 1 ]]
	same "$T/out" '{"ok":1}\n'
	assert_equal "$stderr" "evpipe: input: $T/in:1: invalid JSON: NUL byte in string at column 8"
}

@test "an escaped NUL (\\u0000) is valid JSON" {
	printf '{"a":"x\\u0000y"}\n' >"$T/in"
	run_to "$T/out" cat "$T/in"
	[[ $status -eq 0 ]]
	cmp "$T/in" "$T/out"
}

@test "invalid UTF-8 is rejected" {
	printf '{"a":"\xff"}\n{"a":"\xc3\x28"}\n{"a":"\xed\xa0\x80"}\n{"ok":1}\n' >"$T/in"
	run_to "$T/out" cat "$T/in"
	[[ $status -eq 1 ]]
	same "$T/out" '{"ok":1}\n'
	[[ $(grep -c 'invalid JSON' <<<"$stderr") -eq 3 ]]
}

@test "lone surrogate escapes are rejected" {
	printf '{"a":"\\ud800"}\n{"a":"\\udc00"}\n{"a":"\\ud83d\\ude00"}\n' >"$T/in"
	run_to "$T/out" cat "$T/in"
	[[ $status -eq 1 ]]
	same "$T/out" '{"a":"\\ud83d\\ude00"}\n'
}

@test "a byte order mark is skipped at the start of the input only: elsewhere it is not JSON" {
	printf '\xef\xbb\xbf{"a":1}\n\xef\xbb\xbf{"a":2}\n' >"$T/in"
	run_to "$T/out" cat "$T/in"
	[[ $status -eq 1 ]]
	same "$T/out" '{"a":1}\n'
	[[ $stderr == *"in:2: invalid JSON: byte order mark at column 1" ]]
}

@test "nesting 100000 deep is rejected, not a crash" {
	python3 -c 'print("["*100000 + "]"*100000); print("{\"ok\":1}")' >"$T/in"
	run_to "$T/out" cat "$T/in"
	[[ $status -eq 1 ]]
	same "$T/out" '{"ok":1}\n'
	[[ $stderr == *"nesting deeper than 512 at column 513" ]]
}

@test "a 100 MB line is rejected with a clear message and the next line passes" {
	{ head -c 100000000 /dev/zero | tr '\0' 'x'; printf '\n{"ok":1}\n'; } >"$T/in"
	run_to "$T/out" cat "$T/in"
	[[ $status -eq 1 ]]
	same "$T/out" '{"ok":1}\n'
	assert_equal "$stderr" "evpipe: input: $T/in:1: line longer than 16777216 bytes (--max-line)"
}

@test "--max-line sets the limit; a line of exactly that size passes" {
	printf '{"a":"12345"}\n{"a":"123456"}\n' >"$T/in"
	run_to "$T/out" --max-line 13 cat "$T/in"
	[[ $status -eq 1 ]]
	same "$T/out" '{"a":"12345"}\n'
	assert_equal "$stderr" "evpipe: input: $T/in:2: line longer than 13 bytes (--max-line)"
}

@test "a binary file gives rejects, no crash" {
	# every byte value, over and over: deterministic, never JSON
	for i in $(seq 0 255); do printf "\\$(printf %o "$i")"; done >"$T/block"
	for _ in $(seq 1 200); do cat "$T/block"; done >"$T/in"
	run_to "$T/out" -q cat "$T/in"
	[[ $status -eq 1 ]]
	[[ ! -s $T/out ]]
}

@test "a missing file is an I/O error (3) and the other inputs are still read" {
	printf '{"a":1}\n' >"$T/in"
	run_to "$T/out" cat "$T/nope" "$T/in"
	[[ $status -eq 3 ]]
	same "$T/out" '{"a":1}\n'
	assert_equal "$stderr" "evpipe: cannot open '$T/nope': No such file or directory"
}

@test "a directory as input is an I/O error" {
	run_to "$T/out" cat "$T"
	[[ $status -eq 3 ]]
	assert_equal "$stderr" "evpipe: cannot read '$T': Is a directory"
}

@test "a path that cannot be opened is an I/O error, even for root" {
	printf '{"a":1}\n' >"$T/in"
	run_to "$T/out" cat "$T/in/below-a-file"
	[[ $status -eq 3 ]]
	assert_equal "$stderr" "evpipe: cannot open '$T/in/below-a-file': Not a directory"
}

@test "gzip input is detected by its magic bytes, not its name" {
	printf '{"a":1}\n{"b":2}\n' | gzip >"$T/events.log"
	run_to "$T/out" cat "$T/events.log"
	[[ $status -eq 0 ]]
	same "$T/out" '{"a":1}\n{"b":2}\n'
}

@test "gzip on stdin, and concatenated gzip members" {
	{ printf '{"a":1}\n' | gzip; printf '{"b":2}\n' | gzip; } >"$T/in.gz"
	"$EVPIPE" cat <"$T/in.gz" >"$T/out"
	same "$T/out" '{"a":1}\n{"b":2}\n'
}

@test "a large gzip input streams through" {
	seq 1 200000 | sed 's/.*/{"i":&}/' >"$T/plain"
	gzip -c "$T/plain" >"$T/in.gz"
	run_to "$T/out" cat "$T/in.gz"
	[[ $status -eq 0 ]]
	cmp "$T/plain" "$T/out"
}

@test "truncated or corrupt gzip is an I/O error after the good part" {
	seq 1 50000 | sed 's/.*/{"i":&}/' | gzip >"$T/full.gz"
	head -c 20000 "$T/full.gz" >"$T/cut.gz"
	run_to "$T/out" cat "$T/cut.gz"
	[[ $status -eq 3 ]]
	[[ $stderr == *"truncated gzip data"* ]]
	printf '\x1f\x8bnot really gzip at all' >"$T/bad.gz"
	run_to "$T/out" cat "$T/bad.gz"
	[[ $status -eq 3 ]]
	[[ $stderr == *"corrupt gzip data"* ]]
}

@test "lines split across reads of a slow writer are reassembled" {
	{ printf '{"a":'; sleep 0.2; printf '1}\n{"b"'; sleep 0.2; printf ':2}\n'; } |
		"$EVPIPE" cat >"$T/out"
	same "$T/out" '{"a":1}\n{"b":2}\n'
}

@test "output is flushed when the input goes idle" {
	mkfifo "$T/fifo"
	"$EVPIPE" cat <"$T/fifo" >"$T/out" &
	exec {w}>"$T/fifo"
	printf '{"a":1}\n' >&"$w"
	for _ in $(seq 1 50); do [[ -s $T/out ]] && break; sleep 0.1; done
	same "$T/out" '{"a":1}\n'
	exec {w}>&-
	wait
}

# A file read on the prescan thread (cat, head and tee read no fields) must
# give exactly what the one-thread path gives: same events, same rejects
# with the same lines and columns, same dead letters, same status.
@test "files checked on a second thread give exactly the one-thread result" {
	# awk, not a shell loop: bats traces every shell command, which
	# made this loop take 30 s; \001 stands for the NUL byte
	awk 'BEGIN {
		y = sprintf("%300s", ""); gsub(/ /, "y", y)
		for (i = 1; i <= 30000; i++) {
			m = i % 1000
			if (m == 1) printf "{\"bad\":}\n"
			else if (m == 2) printf "\n   \n"
			else if (m == 3) printf "{\"crlf\":%d}\r\n", i
			else if (m == 4) printf "{\"nul\":\"a\001b\"}\n"
			else if (m == 5) printf "{\"long\":\"%s\"}\n", y
			else if (m == 6) printf "[1,2,{\"deep\":[[[]]]}]\n"
			else printf "{\"i\":%d,\"s\":\"caf\303\251 \\u00e9\"}\n", i
		}
		printf "{\"last\":\"no newline\"}"
	}' | tr '\001' '\000' >"$T/in"
	for mode in threaded single; do
		if [[ $mode == single ]]; then export EVPIPE_NO_PRESCAN=1; fi
		run_to "$T/$mode.out" --max-line 200 --dlq "$T/$mode.dlq" cat "$T/in"
		echo "$status" >"$T/$mode.status"
		printf '%s\n' "$stderr" >"$T/$mode.err"
	done
	unset EVPIPE_NO_PRESCAN
	[[ $(<"$T/threaded.status") -eq 1 ]]
	cmp "$T/single.out" "$T/threaded.out"
	cmp "$T/single.dlq" "$T/threaded.dlq"
	cmp "$T/single.err" "$T/threaded.err"
	[[ $(wc -l <"$T/threaded.out") -eq 29881 ]]
	[[ $(wc -l <"$T/threaded.dlq") -eq 90 ]]
}

@test "head stops a file read on the second thread early and cleanly" {
	seq 1 300000 | sed 's/.*/{"i":&}/' >"$T/in"
	run_to "$T/out" head -n 3 "$T/in"
	[[ $status -eq 0 ]]
	same "$T/out" '{"i":1}\n{"i":2}\n{"i":3}\n'
}
