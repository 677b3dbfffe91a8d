#!/usr/bin/env bats
# --progress (evpipe(1)) and the time per command of -v.
load test_helper

setup() {
	T=$BATS_TEST_TMPDIR
	printf '{"a":1}\n{"a":2}\n{"a":3}\n' >"$T/small"
}

# big FILE: a regular file over the 16 MiB that turns progress on.
big() {
	yes '{"a":1,"pad":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}' | head -n 400000 >"$1"
	(($(stat -c %s "$1") >= 16 * 1024 * 1024)) || fail "$1 is too small"
}

@test "--progress on a file: a bar with bytes, percent and events at the end" {
	run_to "$T/out" --progress cat "$T/small"
	[[ $status -eq 0 ]]
	cmp "$T/small" "$T/out"
	[[ $stderr =~ ^"evpipe: [####################] 100% 24B/24B 3 events "[0-9]+"/s $T/small"$ ]] ||
		fail "stderr: $stderr"
}

@test "--progress on a stream: counts without a bar, one line per input" {
	run_to "$T/out" --progress cat - "$T/small" < <(cat "$T/small")
	[[ $(wc -l <"$T/out") -eq 6 ]]
	[[ $(printf '%s\n' "$stderr" | wc -l) -eq 2 ]]
	[[ $(printf '%s\n' "$stderr" | head -1) =~ ^"evpipe:   3 events "[0-9]+"/s <stdin>"$ ]] ||
		fail "stderr: $stderr"
	[[ $(printf '%s\n' "$stderr" | tail -1) == *"100% 24B/24B 3 events"* ]]
}

@test "no progress in pipes unless asked, even for big files" {
	big "$T/big"
	run_to "$T/out" head -n 1 "$T/big"
	[[ -z $stderr ]]
	run_to "$T/out" filter '.a == 2' "$T/big"
	[[ $status -eq 0 && -z $stderr ]]
}

@test "on a terminal: on by default for big files, redrawn and erased" {
	command -v script >/dev/null || fail "script(1) is not installed"
	big "$T/big"
	script -qfec "$EVPIPE filter '.a == 2' $T/big" /dev/null </dev/null >"$T/tty"
	grep -q $'\r\033\\[K' "$T/tty" || fail "the line was not erased"
	grep -q 'evpipe: \[' "$T/tty" || fail "no bar: $(od -c "$T/tty" | head)"
	# small files: nothing; --no-progress: nothing
	script -qfec "$EVPIPE cat $T/small" /dev/null </dev/null >"$T/tty"
	! grep -q 'evpipe: ' "$T/tty"
	script -qfec "$EVPIPE --no-progress filter '.a == 2' $T/big" /dev/null </dev/null >"$T/tty"
	! grep -q 'evpipe: ' "$T/tty"
}

@test "-v gives each command its own time" {
	run_to "$T/out" -v filter '.a > 1' then head -n 1 "$T/small"
	[[ $stderr =~ "evpipe: filter: in 2, out 1, dropped 1, rejected 0, time "[0-9]+\.[0-9]{6}s ]]
	[[ $stderr =~ "evpipe: head: in 1, out 1, dropped 0, rejected 0, time "[0-9]+\.[0-9]{6}s ]]
}

@test "--progress is a global option, completed and documented" {
	run -0 "$EVPIPE" __complete global
	assert_line --progress
	run -0 "$EVPIPE" --help
	assert_output --partial "--progress"
}

@test "--progress with the two-thread reader (cat of a big file)" {
	big "$T/big"
	run_to "$T/out" --progress cat "$T/big"
	[[ $status -eq 0 ]]
	cmp "$T/big" "$T/out"
	[[ $(printf '%s\n' "$stderr" | tail -1) =~ ^"evpipe: [####################] 100% ".*"MiB 400000 events " ]] ||
		fail "stderr: $stderr"
}
