# tests/test_helper.bash -- loaded by every bats file with "load test_helper".
#
# EVPIPE names the binary under test (the Makefile sets it, so the same
# suite runs the sanitized build); FIXTURES holds inputs and golden files.

bats_require_minimum_version 1.5.0
# A missing library fails the test: never skip into green.
bats_load_library bats-support
bats_load_library bats-assert

REPO=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
EVPIPE=${EVPIPE:-$REPO/evpipe}
UNITDIR=${UNITDIR:-$REPO/build/unit}
FIXTURES=$BATS_TEST_DIRNAME/fixtures
export EVPIPE REPO FIXTURES

[[ -x $EVPIPE ]] || { echo "test_helper: $EVPIPE is not built" >&2; return 1; }

# golden AREA CASE [ARGS...]: run evpipe ARGS on fixtures/AREA/CASE.in.ndjson
# and compare stdout byte for byte with CASE.out.ndjson (and stderr with
# CASE.err when it exists; exit status with CASE.status, default 0).
golden() {
	local area=$1 name=$2 out=$BATS_TEST_TMPDIR/out err=$BATS_TEST_TMPDIR/err
	local want=0 rc=0
	shift 2
	[[ -e $FIXTURES/$area/$name.status ]] && want=$(<"$FIXTURES/$area/$name.status")
	"$EVPIPE" "$@" <"$FIXTURES/$area/$name.in.ndjson" >"$out" 2>"$err" || rc=$?
	[[ $rc -eq $want ]] || fail "evpipe exited $rc, want $want ($(head -c 300 "$err"))"
	diff -u "$FIXTURES/$area/$name.out.ndjson" "$out"
	if [[ -e $FIXTURES/$area/$name.err ]]; then
		diff -u "$FIXTURES/$area/$name.err" "$err"
	fi
}

# run_to FILE ARGS...: run evpipe with stdout into FILE (bytes kept exactly),
# stderr into $BATS_TEST_TMPDIR/stderr, status into $status.
run_to() {
	local file=$1
	shift
	status=0
	"$EVPIPE" "$@" >"$file" 2>"$BATS_TEST_TMPDIR/stderr" || status=$?
	stderr=$(<"$BATS_TEST_TMPDIR/stderr")
}

# same FILE TEXT: the file holds exactly TEXT (printf format, so \n counts).
same() {
	local want=$BATS_TEST_TMPDIR/want.$RANDOM
	# shellcheck disable=SC2059
	printf "$2" >"$want"
	cmp -s "$want" "$1" || { diff -u "$want" "$1"; fail "$1 differs"; }
}

# run_unit NAME: run a C unit test (TAP) from build/unit and require it to pass.
run_unit() {
	local bin=$UNITDIR/$1
	[[ -x $bin ]] || fail "unit test $bin is not built"
	run "$bin"
	echo "$output"
	assert_success
	refute_output --partial "not ok"
}

# plain_build WHAT: set PLAIN to the unsanitized build: $EVPIPE itself, or
# under "make asan" the plain binary of this tree -- a sanitizer owns
# malloc (for the shim) and its shadow memory would be measured instead of
# evpipe's.  WHAT says what needs it, for the failure message.
plain_build() {
	PLAIN=$EVPIPE
	if grep -q __asan_init "$EVPIPE"; then
		PLAIN=$REPO/evpipe
		[[ -x $PLAIN ]] || fail "$1 needs the plain build (make evpipe)"
	fi
}

# term_wait PID: SIGTERM to evpipe running in the background (a broker
# consumer), and its exit status in STOPPED; one that has not ended
# within 60 s is killed and fails the test.  (bg_helper.bash has its own
# stop, for the evpipe it started.)
term_wait() {
	kill -TERM "$1"
	exit_wait "$1" SIGTERM
}

# exit_wait PID [AFTER]: until evpipe running in the background ends (at
# most 60 s, else it is killed and the test fails, "of AFTER" in the
# message); its exit status in STOPPED.
exit_wait() {
	local i
	for ((i = 0; i < 600; i++)); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$1" 2>/dev/null; then
		kill -KILL "$1"
		wait "$1" || true
		fail "evpipe $1 did not stop within 60 s${2:+ of $2}"
	fi
	STOPPED=0
	wait "$1" || STOPPED=$?
}
