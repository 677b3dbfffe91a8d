#!/usr/bin/env bats
# Faults injected from outside: allocations that fail.  Whatever fails,
# evpipe ends with status 3 and a message about memory ("out of memory",
# or the system's "Cannot allocate memory" for a file it could not open),
# or finishes correctly -- never a crash, an abort or a wrong result.
load test_helper

setup() {
	T=$BATS_TEST_TMPDIR
	SHIM=$UNITDIR/malloc-fail.so
	[[ -f $SHIM ]] || fail "missing $SHIM (make units)"
	# A sanitizer owns malloc: the shim goes into the plain build.
	plain_build "the malloc shim"
	BIN=$PLAIN
	printf '{"a":1,"type":"order.paid","email":"x@y.com","n":[1,2]}\n{"a":2,"type":"z"}\nnot json\n' >"$T/in"
	printf '{"type":"object","properties":{"email":{"format":"email"},"a":{"minimum":2}}}\n' >"$T/schema.json"
}

# sweep MAX ARGS...: run evpipe ARGS with the Nth allocation failing, for
# every N up to MAX; check each run ended cleanly and, when it did not run
# out of memory, gave the same output as the run without failures.
sweep() {
	local max=$1 n rc want_rc
	shift
	want_rc=0
	"$BIN" "$@" >"$T/want" 2>"$T/want.err" || want_rc=$?
	for ((n = 1; n <= max; n++)); do
		rc=0
		EVPIPE_FAIL_MALLOC=$n LD_PRELOAD=$SHIM "$BIN" "$@" >"$T/out" 2>"$T/err" || rc=$?
		if [[ $rc -eq 3 ]] && grep -q -e 'out of memory' -e 'Cannot allocate memory' "$T/err"; then
			continue
		fi
		[[ $rc -eq $want_rc ]] || fail "allocation $n: status $rc ($(head -c 300 "$T/err"))"
		cmp -s "$T/want" "$T/out" || fail "allocation $n: different output"
	done
}

@test "failed allocations in filter with a regex end cleanly" {
	sweep 250 --dlq "$T/dlq" filter '.type | test("^order")' "$T/in"
}

@test "failed allocations in map end cleanly" {
	sweep 250 map '{a, t: (.type | sub("o"; "0")), s: (.n | add)}' "$T/in"
}

@test "failed allocations in validate end cleanly" {
	sweep 250 validate -s "$T/schema.json" "$T/in"
}

@test "failed allocations with gzip input and output end cleanly" {
	gzip -c "$T/in" >"$T/in.gz"
	sweep 150 -o "$T/out.gz" cat "$T/in.gz"
}

# ---- faults from the outside world: slow readers, floods, resets ----------
# (Rotation during a write burst under --follow is tests/71-follow.bats,
# "rename+create rotation ...": 5000 lines rotated every 700, each line
# checked to arrive exactly once.)

# hwm PID: the peak resident set of PID in KiB (VmHWM).
hwm() {
	awk '/^VmHWM/ { print $2 }' "/proc/$1/status"
}

# wait_for TEST...: until the test command holds (20 s at most).
wait_for() {
	local i
	for ((i = 0; i < 400; i++)); do
		"$@" && return 0
		sleep 0.05
	done
	fail "timed out waiting for: $* ($(head -c 600 "$T/err" 2>/dev/null))"
}

# big N: N events of 100 bytes each, always the same.
big() {
	yes '{"pad":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}' |
		head -n "$1"
}

@test "exec: a child reading slowly: 200 MB all arrive, evpipe's memory stays bounded" {
	cat >"$T/slow.py" <<-'PY'
		import hashlib, sys, time
		h, n, r = hashlib.md5(), 0, sys.stdin.buffer
		while True:
		    b = r.read1(65536)
		    if not b:
		        break
		    h.update(b)
		    n += len(b)
		    time.sleep(0.002)
		open(sys.argv[1], "w").write("%d %s\n" % (n, h.hexdigest()))
	PY
	local want
	want="$(big 2000000 | wc -c) $(big 2000000 | md5sum | cut -d' ' -f1)"
	((${want%% *} >= 190000000))
	status=0
	big 2000000 | timeout 120 /usr/bin/time -o "$T/rss" -f %M "$BIN" \
		-o "exec:python3 $T/slow.py $T/sum" cat 2>"$T/err" || status=$?
	[[ $status -eq 0 ]] || fail "status $status: $(cat "$T/err")"
	assert_equal "$(cat "$T/sum")" "$want"
	local rss
	rss=$(tail -n 1 "$T/rss")
	((rss < 100000)) || fail "peak RSS $rss KiB"
}

@test "a listener client sends 1 GB without a newline: rejected, memory bounded, others unaffected" {
	"$BIN" -i tcp://127.0.0.1:0 --dlq "$T/dlq" cat >"$T/out" 2>"$T/err" &
	local pid=$! url port flood peak
	wait_for grep -q '^evpipe: listening on tcp://' "$T/err"
	url=$(grep -o 'tcp://[^ ]*' "$T/err" | head -1)
	port=${url##*:}
	{
		head -c 1G /dev/zero | tr '\0' x
		printf '\n{"after":1}\n'
	} | timeout 120 bash -c "cat >/dev/tcp/127.0.0.1/$port" &
	flood=$!
	sleep 0.5
	# another client, while the flood goes on
	echo '{"other":1}' | timeout 10 bash -c "cat >/dev/tcp/127.0.0.1/$port"
	wait_for grep -q other "$T/out"
	wait "$flood" || fail "the flood failed"
	wait_for grep -q after "$T/out"
	peak=$(hwm "$pid")
	kill -TERM "$pid"
	timeout 20 tail --pid="$pid" -f /dev/null || fail "evpipe did not stop"
	status=0
	wait "$pid" || status=$?
	# killed by SIGTERM after a clean drain: 128 + 15
	[[ $status -eq 143 ]] || fail "status $status: $(cat "$T/err")"
	run sort "$T/out"
	assert_output $'{"after":1}\n{"other":1}'
	grep -q 'line longer than 16777216 bytes (--max-line)' "$T/err"
	[[ $(wc -l <"$T/dlq") -eq 1 ]]
	(($(wc -c <"$T/dlq") < 10000))
	((peak < 150000)) || fail "peak RSS $peak KiB"
}

@test "a tcp target that resets the connection (RST): evpipe reconnects, nothing lost or doubled" {
	LISTEN_RESET=1 python3 "$BATS_TEST_DIRNAME/helpers/listen.py" tcp "$T/got" 10 &
	local peer=$! ev
	wait_for test -s "$T/got.port"
	awk 'BEGIN { for (i = 1; i <= 2000; i++) printf "{\"i\":%d}\n", i }' >"$T/in"
	mkfifo "$T/fifo"
	"$BIN" tee --target "tcp://127.0.0.1:$(<"$T/got.port")" "$T/fifo" >"$T/out" 2>"$T/err" &
	ev=$!
	exec 7>"$T/fifo"
	head -n 10 "$T/in" >&7
	wait_for test -e "$T/got.reset"
	sleep 0.2 # the reset reaches evpipe's socket
	tail -n +11 "$T/in" >&7
	exec 7>&-
	timeout 20 tail --pid=$ev -f /dev/null || fail "evpipe did not finish"
	status=0
	wait $ev || status=$?
	touch "$T/got.stop"
	timeout 10 tail --pid=$peer -f /dev/null || kill $peer
	[[ $status -eq 0 ]] || fail "status $status: $(cat "$T/err")"
	cmp "$T/out" "$T/in"
	cmp "$T/got" "$T/in"
	grep -q "connection lost: .*reconnecting" "$T/err"
	grep -q "connected again" "$T/err"
}
