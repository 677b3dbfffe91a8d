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
	BIN=$EVPIPE
	if grep -q __asan_init "$BIN"; then
		BIN=$REPO/evpipe
		[[ -x $BIN ]] || fail "the malloc shim needs the plain build (make evpipe)"
	fi
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
