#!/usr/bin/env bats
# tcp://HOST:PORT and unix:PATH targets (DESIGN 2.2): delivery, a peer
# that disconnects mid-stream, a peer that comes up late, and one that
# never does.  Each test runs its own peer (tests/fixtures/route/listen.py)
# on 127.0.0.1 or a socket in its own directory.
load test_helper

setup() {
	T=$BATS_TEST_TMPDIR
	command -v python3 >/dev/null || fail "python3 is not installed (make deps)"
	LISTEN=$FIXTURES/route/listen.py
	awk 'BEGIN { for (i = 1; i <= 2000; i++) printf "{\"i\":%d,\"pad\":\"%050d\"}\n", i, i }' >"$T/in"
	PEER=
}

teardown() {
	[[ -n $PEER ]] || return 0
	touch "$T/got.stop"
	timeout 10 tail --pid="$PEER" -f /dev/null || kill "$PEER" 2>/dev/null || true
}

# wait_for TEST...: wait (10 s at most) until the test command holds.
wait_for() {
	local i
	for ((i = 0; i < 1000; i++)); do
		"$@" && return 0
		sleep 0.01
	done
	fail "timed out waiting for: $*"
}

# peer ADDR [CLOSE_AFTER]: start the listener writing to $T/got.
peer() {
	python3 "$LISTEN" "$1" "$T/got" ${2:+"$2"} 7>&- &
	PEER=$!
	if [[ $1 == tcp ]]; then
		wait_for test -s "$T/got.port"
		PORT=$(<"$T/got.port")
	else
		wait_for test -S "$1"
	fi
}

# stop_peer: let the listener finish and wait for it.
stop_peer() {
	touch "$T/got.stop"
	timeout 10 tail --pid="$PEER" -f /dev/null
	PEER=
}

@test "tcp:// delivers every event in order (tee --to and -o)" {
	peer tcp
	run_to "$T/out" tee --to "tcp://127.0.0.1:$PORT" "$T/in"
	[[ $status -eq 0 ]]
	cmp "$T/out" "$T/in"
	run_to "$T/out" -o "tcp://127.0.0.1:$PORT" cat "$T/in"
	[[ $status -eq 0 ]]
	stop_peer
	cat "$T/in" "$T/in" | cmp - "$T/got"
}

@test "unix: delivers every event in order (route --to)" {
	peer "$T/sock"
	run_to "$T/out" route --when '.i % 2 == 0' --to "unix:$T/sock" "$T/in"
	[[ $status -eq 0 ]]
	stop_peer
	jq -c 'select(.i % 2 == 0)' "$T/in" | cmp - "$T/got"
	jq -c 'select(.i % 2 == 1)' "$T/in" | cmp - "$T/out"
}

@test "a peer that disconnects mid-stream: evpipe reconnects, nothing lost or doubled" {
	peer tcp 10
	mkfifo "$T/fifo"
	"$EVPIPE" tee --to "tcp://127.0.0.1:$PORT" "$T/fifo" >"$T/out" 2>"$T/err" &
	local ev=$!
	exec 7>"$T/fifo"
	head -n 10 "$T/in" >&7
	# the peer takes ten events and hangs up
	wait_for test -e "$T/got.closed"
	tail -n +11 "$T/in" >&7
	exec 7>&-
	timeout 20 tail --pid=$ev -f /dev/null
	wait $ev
	stop_peer
	cmp "$T/got" "$T/in"
	grep -q "connection lost: closed by the peer; reconnecting" "$T/err"
	grep -q "connected again" "$T/err"
}

@test "a peer that comes up late: events are kept meanwhile, then delivered" {
	mkfifo "$T/fifo"
	"$EVPIPE" tee --to "unix:$T/sock" "$T/fifo" >"$T/out" 2>"$T/err" &
	local ev=$!
	exec 7>"$T/fifo"
	head -n 100 "$T/in" >&7
	wait_for grep -q "cannot connect: No such file or directory; events are kept" "$T/err"
	peer "$T/sock"
	tail -n +101 "$T/in" >&7
	exec 7>&-
	timeout 20 tail --pid=$ev -f /dev/null
	wait $ev
	stop_peer
	cmp "$T/got" "$T/in"
	cmp "$T/out" "$T/in"
}

@test "a peer that never comes: events are dead-lettered after the linger, exit 3" {
	head -n 50 "$T/in" >"$T/in50"
	run_to "$T/out" --dlq "$T/dlq" tee --to "unix:$T/nobody" "$T/in50"
	[[ $status -eq 3 ]]
	cmp "$T/out" "$T/in50"
	jq -c .event "$T/dlq" | cmp - "$T/in50"
	[[ $(jq -r .reason "$T/dlq" | sort -u) == "unix:$T/nobody: not delivered: cannot connect: No such file or directory" ]]
	# -o cannot dead-letter its own events: it fails, saying how much
	run_to "$T/out" -o "unix:$T/nobody" cat "$T/in50"
	[[ $status -eq 3 ]]
	[[ $stderr == *"unix:$T/nobody: cannot connect: No such file or directory; $(wc -c <"$T/in50") bytes not delivered" ]]
}
