#!/usr/bin/env bats
# Error policy (DESIGN 2.5): rejects, dead letters, --on-error, exit
# statuses, output errors, EPIPE, signals.
load test_helper

setup() {
	T=$BATS_TEST_TMPDIR
}

@test "--dlq gets one JSON line per reject with stage, reason, source, line, event" {
	printf '{"a":1}\nnot json\n{"a":\n' >"$T/in"
	run_to "$T/out" --dlq "$T/dlq" cat "$T/in"
	[[ $status -eq 1 ]]
	same "$T/out" '{"a":1}\n'
	[[ $(wc -l <"$T/dlq") -eq 2 ]]
	run jq -c '[.stage, .source, .line, .event, (.reason | startswith("invalid JSON: "))]' "$T/dlq"
	assert_line --index 0 "[\"input\",\"$T/in\",2,\"not json\",true]"
	assert_line --index 1 "[\"input\",\"$T/in\",3,\"{\\\"a\\\":\",true]"
}

@test "a reject whose bytes are not UTF-8 keeps them as base64" {
	printf '{"a":"\xff"}\n' >"$T/in"
	run_to "$T/out" --dlq "$T/dlq" cat "$T/in"
	[[ $status -eq 1 ]]
	run jq -r '.event_base64' "$T/dlq"
	assert_output "$(printf '{"a":"\xff"}' | base64)"
}

@test "an over-long line goes to the dead letters truncated" {
	head -c 10000 /dev/zero | tr '\0' 'x' >"$T/in"
	echo >>"$T/in"
	run_to "$T/out" --max-line 5000 --dlq "$T/dlq" cat "$T/in"
	[[ $status -eq 1 ]]
	run jq -c '[.truncated, (.event | length), .line]' "$T/dlq"
	assert_output '[true,4096,1]'
}

@test "--dlq - writes dead letters to stdout among the events" {
	printf '{"a":1}\nbad\n' >"$T/in"
	run_to "$T/out" --dlq - cat "$T/in"
	[[ $status -eq 1 ]]
	[[ $(wc -l <"$T/out") -eq 2 ]]
	run jq -c 'if .stage then .line else . end' "$T/out"
	assert_output $'{"a":1}\n2'

}

@test "--on-error stop ends the run at the first reject, after flushing" {
	printf '{"a":1}\nbad\n{"a":2}\n' >"$T/in"
	run_to "$T/out" --on-error stop cat "$T/in"
	[[ $status -eq 1 ]]
	same "$T/out" '{"a":1}\n'
}

@test "reject messages are rate-limited, with a final count" {
	yes 'bad' | head -n 150 >"$T/in"
	run_to "$T/out" cat "$T/in"
	[[ $status -eq 1 ]]
	[[ $(grep -c '^evpipe: input: ' <<<"$stderr") -eq 100 ]]
	[[ $stderr == *"evpipe: 150 events rejected (100 reported above); use --dlq to keep them all" ]]
}

@test "-q silences reject messages but not the exit status" {
	printf 'bad\n' >"$T/in"
	run_to "$T/out" -q cat "$T/in"
	[[ $status -eq 1 ]]
	assert_equal "$stderr" ""
}

@test "-v prints per-stage counts at exit" {
	printf '{"a":1}\nbad\n{"a":2}\n{"a":3}\n' >"$T/in"
	run_to "$T/out" -v cat then head -n 2 "$T/in"
	[[ $status -eq 1 ]]
	[[ $stderr == *"evpipe: input: 3 events, 1 rejected"* ]]
	[[ $stderr == *"evpipe: cat: in 2, out 2, dropped 0, rejected 0"* ]]
	[[ $stderr == *"evpipe: head: in 2, out 2, dropped 0, rejected 0"* ]]
	[[ $stderr == *"evpipe: output: 2 events, 16 bytes"* ]]
}

@test "writing to a full disk fails with status 3" {
	printf '{"a":1}\n' >"$T/in"
	run -3 --separate-stderr "$EVPIPE" cat "$T/in" -o /dev/full
	assert_equal "$stderr" "evpipe: cannot write to '/dev/full': No space left on device"
	run -3 --separate-stderr bash -c '"$EVPIPE" cat "$1" >/dev/full' _ "$T/in"
	assert_equal "$stderr" "evpipe: cannot write to stdout: No space left on device"
}

@test "a full dead-letter target fails with status 3" {
	printf 'bad\n' >"$T/in"
	run_to "$T/out" --dlq /dev/full cat "$T/in"
	[[ $status -eq 3 ]]
	[[ $stderr == *"No space left on device"* ]]
}

@test "EPIPE on stdout ends the run quietly with status 0" {
	seq 1 300000 | sed 's/.*/{"i":&}/' >"$T/in"
	run bash -c '"$EVPIPE" cat "$1" | head -n 1; echo "status ${PIPESTATUS[0]}"' _ "$T/in"
	assert_output $'{"i":1}\nstatus 0'
}

@test "head stops reading: it returns at once on an endless input" {
	run timeout 10 bash -c 'yes "{\"a\":1}" | "$EVPIPE" head -n 3'
	assert_success
	assert_output $'{"a":1}\n{"a":1}\n{"a":1}'
}

@test "SIGTERM drains, flushes and exits 128+15" {
	mkfifo "$T/fifo"
	"$EVPIPE" cat <"$T/fifo" >"$T/out" 2>"$T/err" &
	pid=$!
	exec {w}>"$T/fifo"
	printf '{"a":1}\n{"a":2}\n' >&"$w"
	for _ in $(seq 1 50); do [[ -s $T/out ]] && break; sleep 0.1; done
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	exec {w}>&-
	[[ $rc -eq 143 ]]
	same "$T/out" '{"a":1}\n{"a":2}\n'
}

@test "SIGINT exits 128+2 after flushing" {
	mkfifo "$T/fifo"
	"$EVPIPE" cat <"$T/fifo" >"$T/out" &
	pid=$!
	exec {w}>"$T/fifo"
	printf '{"a":1}\n' >&"$w"
	for _ in $(seq 1 50); do [[ -s $T/out ]] && break; sleep 0.1; done
	kill -INT "$pid"
	rc=0
	wait "$pid" || rc=$?
	exec {w}>&-
	[[ $rc -eq 130 ]]
	same "$T/out" '{"a":1}\n'
}

@test "statuses combine: an I/O error outranks rejects" {
	printf 'bad\n' >"$T/in"
	run_to "$T/out" cat "$T/in" "$T/missing"
	[[ $status -eq 3 ]]
}
