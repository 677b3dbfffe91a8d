#!/usr/bin/env bats
# tcp://HOST:PORT and unix:PATH targets (DESIGN 2.2): delivery, a peer
# that disconnects mid-stream, a peer that comes up late, and one that
# never does.  Each test runs its own peer (tests/helpers/listen.py)
# on 127.0.0.1 or a socket in its own directory.
load test_helper

setup() {
	T=$BATS_TEST_TMPDIR
	command -v python3 >/dev/null || fail "python3 is not installed (make deps)"
	LISTEN=$BATS_TEST_DIRNAME/helpers/listen.py
	awk 'BEGIN { for (i = 1; i <= 2000; i++) printf "{\"i\":%d,\"pad\":\"%050d\"}\n", i, i }' >"$T/in"
	PEER=
	EV=
}

teardown() {
	# an evpipe left waiting for its peer by a failed check would keep
	# the suite waiting too
	[[ -z $EV ]] || kill "$EV" 2>/dev/null || true
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

@test "tcp:// delivers every event in order (tee --target and -o)" {
	peer tcp
	run_to "$T/out" tee --target "tcp://127.0.0.1:$PORT" "$T/in"
	[[ $status -eq 0 ]]
	cmp "$T/out" "$T/in"
	run_to "$T/out" -o "tcp://127.0.0.1:$PORT" cat "$T/in"
	[[ $status -eq 0 ]]
	stop_peer
	cat "$T/in" "$T/in" | cmp - "$T/got"
}

@test "unix: delivers every event in order (route --target)" {
	peer "$T/sock"
	run_to "$T/out" route --when '.i % 2 == 0' --target "unix:$T/sock" "$T/in"
	[[ $status -eq 0 ]]
	stop_peer
	jq -c 'select(.i % 2 == 0)' "$T/in" | cmp - "$T/got"
	jq -c 'select(.i % 2 == 1)' "$T/in" | cmp - "$T/out"
}

@test "a peer that disconnects mid-stream: evpipe reconnects, nothing lost or doubled" {
	peer tcp 10
	mkfifo "$T/fifo"
	"$EVPIPE" tee --target "tcp://127.0.0.1:$PORT" "$T/fifo" >"$T/out" 2>"$T/err" &
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
	"$EVPIPE" tee --target "unix:$T/sock" "$T/fifo" >"$T/out" 2>"$T/err" &
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
	run_to "$T/out" --linger 1s --dlq "$T/dlq" tee --target "unix:$T/nobody" "$T/in50"
	[[ $status -eq 3 ]]
	cmp "$T/out" "$T/in50"
	jq -c .event "$T/dlq" | cmp - "$T/in50"
	[[ $(jq -r .reason "$T/dlq" | sort -u) == "unix:$T/nobody: not delivered: cannot connect: No such file or directory" ]]
	# -o cannot dead-letter its own events: it fails, saying how much;
	# --linger 0 gives up at once
	run_to "$T/out" --linger 0 -o "unix:$T/nobody" cat "$T/in50"
	[[ $status -eq 3 ]]
	[[ $stderr == *"unix:$T/nobody: cannot connect: No such file or directory; $(wc -c <"$T/in50") bytes not delivered" ]]
}

@test "--linger takes a duration; anything else is a usage error" {
	local v
	for v in '' x 1y -1s; do
		run_to "$T/out" --linger "$v" tee --target "unix:$T/nobody" "$T/in"
		[[ $status -eq 2 ]] || fail "--linger '$v': status $status"
		[[ $stderr == "evpipe: --linger: "* ]] || fail "--linger '$v': $stderr"
		[[ ! -s $T/out ]] || fail "--linger '$v': events were written"
	done
}

# stalled PID: wait (20 s at most) until PID has stopped reading its
# standard input -- the read offset unchanged for one second -- and
# print that offset.
stalled() {
	local i last=-1 pos same=0
	for ((i = 0; i < 2000; i++)); do
		pos=$(awk '/^pos:/ { print $2 }' "/proc/$1/fdinfo/0") ||
			fail "evpipe is gone"
		if [[ $pos == "$last" ]]; then
			((++same < 100)) || {
				echo "$pos"
				return 0
			}
		else
			same=0
			last=$pos
		fi
		sleep 0.01
	done
	fail "evpipe never stopped reading (offset $pos)"
}

# bounded PID: evpipe (PID), whose peer takes nothing, has stopped
# reading the 48 MB input with at most 8 MiB kept (plus what the reader
# holds ahead): far from all of it, and its memory peak shows it.  (With
# an unbounded buffer it reads all 48 MB within the second.)
bounded() {
	local pos hwm
	pos=$(stalled "$1")
	((pos < 20 * 1024 * 1024)) || fail "read $pos bytes with no peer reading"
	((pos < $(wc -c <"$T/big"))) || fail "read the whole input"
	hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$1/status")
	((hwm < 40 * 1024)) || fail "peak RSS $hwm kB with no peer reading"
}

# drained PID: evpipe ends well once the peer reads, having delivered
# every event whole and once.
drained() {
	timeout 60 tail --pid="$1" -f /dev/null
	wait "$1"
	stop_peer
	[[ $(wc -l <"$T/got") -eq 400000 ]]
	[[ $(md5sum <"$T/got") == "$(md5sum <"$T/big")" ]]
}

big_input() {
	awk 'BEGIN { for (i = 1; i <= 400000; i++) printf "{\"i\":%d,\"pad\":\"%0100d\"}\n", i, i }' >"$T/big"
}

@test "no peer: 8 MiB are kept, then the reader waits; all of it arrives when the peer comes" {
	big_input
	plain_build "measuring memory"
	"$PLAIN" tee --target "unix:$T/sock" <"$T/big" >/dev/null 2>"$T/err" &
	EV=$!
	bounded $EV
	peer "$T/sock"
	drained $EV
}

@test "a peer that accepts and does not read: the same bound, then every event" {
	big_input
	LISTEN_HOLD=1 peer "$T/sock"
	plain_build "measuring memory"
	"$PLAIN" route --when 'true' --target "unix:$T/sock" <"$T/big" >/dev/null 2>"$T/err" &
	EV=$!
	wait_for test -e "$T/got.accepted"
	bounded $EV
	touch "$T/got.go"
	drained $EV
}
