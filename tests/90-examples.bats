#!/usr/bin/env bats
# Docs as tests: every examples/NAME.sh that has an examples/NAME.out.ndjson
# is run from the repository root as "sh examples/NAME.sh EVPIPE", with
# stdin from examples/NAME.in.ndjson when it exists (else /dev/null); it
# must exit 0 and its stdout must equal NAME.out.ndjson byte for byte
# (stderr too, against NAME.err, when that file exists).

load test_helper

setup() {
	cd "$REPO"
}

# run_example NAME: run one example as described above.
run_example() {
	local name=$1 in=/dev/null rc=0
	local out=$BATS_TEST_TMPDIR/$name.out err=$BATS_TEST_TMPDIR/$name.err
	[[ -e examples/$name.in.ndjson ]] && in=examples/$name.in.ndjson
	TMPDIR=$BATS_TEST_TMPDIR sh "examples/$name.sh" "$EVPIPE" <"$in" >"$out" 2>"$err" || rc=$?
	((rc == 0)) || fail "examples/$name.sh exited $rc: $(head -c 500 "$err")"
	diff -u "examples/$name.out.ndjson" "$out" || fail "examples/$name.sh: stdout differs"
	if [[ -e examples/$name.err ]]; then
		diff -u "examples/$name.err" "$err" || fail "examples/$name.sh: stderr differs"
	fi
}

@test "every example with an .out.ndjson gives exactly that output" {
	local f n=0
	for f in examples/*.sh; do
		[[ -e ${f%.sh}.out.ndjson ]] || continue
		run_example "$(basename "$f" .sh)"
		n=$((n + 1))
	done
	((n >= 3)) || fail "only $n examples were run"
}

@test "every example input and output belongs to a script" {
	local f
	for f in examples/*.in.ndjson examples/*.out.ndjson examples/*.err; do
		[[ -e $f ]] || continue
		f=${f%.in.ndjson}
		f=${f%.out.ndjson}
		f=${f%.err}
		[[ -e $f.sh ]] || fail "no script $f.sh for its data files"
	done
}

@test "examples leave no files behind in TMPDIR" {
	local f
	for f in examples/*.sh; do
		[[ -e ${f%.sh}.out.ndjson ]] || continue
		run_example "$(basename "$f" .sh)"
	done
	run find "$BATS_TEST_TMPDIR" -name 'evpipe-*'
	assert_output ''
}

@test "the demo (make demo) runs every step as it says" {
	local rc=0
	TMPDIR=$BATS_TEST_TMPDIR sh examples/demo.sh "$EVPIPE" >"$BATS_TEST_TMPDIR/demo" 2>&1 || rc=$?
	((rc == 0)) || fail "demo failed: $(tail -20 "$BATS_TEST_TMPDIR/demo")"
	grep -q '^== ' "$BATS_TEST_TMPDIR/demo"
	run find "$BATS_TEST_TMPDIR" -name 'evpipe-demo*'
	assert_output ''
}

@test "every example is shellcheck-clean" {
	command -v shellcheck >/dev/null || fail "shellcheck is not installed (make deps)"
	run shellcheck -s sh examples/*.sh
	echo "$output"
	assert_success
}
