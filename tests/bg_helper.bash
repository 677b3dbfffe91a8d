# bg_helper.bash -- evpipe running in the background while a test feeds
# it (follow mode, listeners): loaded by 71-follow.bats and
# 73-listen.bats after test_helper.  Every wait is bounded.

# bg_setup / bg_teardown: for the file's setup() and teardown(): work in
# the test's directory; never leave evpipe behind.
bg_setup() {
	command -v python3 >/dev/null || fail "python3 is required"
	cd "$BATS_TEST_TMPDIR" || fail "no test directory"
	pid=
}

bg_teardown() {
	[[ -n $pid ]] && kill -9 "$pid" 2>/dev/null
	true
}

# bg_start ARGS...: start evpipe ARGS in the background, stdout appended
# to out, stderr to err; its pid in $pid.
bg_start() {
	"$EVPIPE" "$@" >>out 2>>err &
	pid=$!
}

# lines FILE: its number of lines (0 if missing).
lines() {
	if [[ -e $1 ]]; then wc -l <"$1"; else echo 0; fi
}

# wait_lines FILE N [SECONDS]: until FILE has at least N lines.
wait_lines() {
	local i limit=$((${3:-20} * 20))
	for ((i = 0; i < limit; i++)); do
		(($(lines "$1") >= $2)) && return 0
		sleep 0.05
	done
	fail "$1 has $(lines "$1") lines, want $2; stderr: $(head -c 600 err 2>/dev/null)"
}

# wait_file PATH: until it exists.
wait_file() {
	local i
	for ((i = 0; i < 400; i++)); do
		[[ -e $1 ]] && return 0
		sleep 0.05
	done
	fail "$1 did not appear: $(head -c 600 err 2>/dev/null)"
}

# stop [SIGNAL]: signal evpipe (TERM) and wait; its status in $status.
# shellcheck disable=SC2034 # status is for the caller
stop() {
	kill -"${1:-TERM}" "$pid"
	status=0
	timeout 20 tail --pid="$pid" -f /dev/null || fail "evpipe did not stop"
	wait "$pid" || status=$?
	pid=
}
