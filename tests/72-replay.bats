#!/usr/bin/env bats
# replay (DESIGN 2.4): pacing by recorded times or a rate, --speed,
# --max-gap, --loop, signals.  Durations are only bounded from below
# (a sleep never ends early) or generously from above.
load test_helper

setup() {
	T=$BATS_TEST_TMPDIR
}

# elapsed CMD...: run CMD with stdout into $T/out, its time in ms in $ms.
elapsed() {
	local t0 t1
	t0=$(date +%s%N)
	status=0
	timeout 20 "$@" >"$T/out" 2>"$T/err" || status=$?
	t1=$(date +%s%N)
	ms=$(((t1 - t0) / 1000000))
	echo "took $ms ms, status $status"
}


@test "replay paces RFC 3339 times and passes events on unchanged" {
	printf '{"ts":"2024-01-01T00:00:00Z","i":1}\n{"ts":"2024-01-01T00:00:00.200Z","i":2}\n{"ts":"2024-01-01T01:00:00.400+01:00","i":3}\n' >"$T/in"
	elapsed "$EVPIPE" replay "$T/in"
	[[ $status -eq 0 ]]
	cmp "$T/in" "$T/out"
	((ms >= 400))
	((ms < 10000))
}

@test "replay detects epoch seconds, milliseconds, and reads --time" {
	printf '{"t":1700000000.0}\n{"t":1700000000.3}\n' >"$T/s"
	elapsed "$EVPIPE" replay --time .t "$T/s"
	[[ $status -eq 0 ]]
	((ms >= 300))
	printf '{"t":1700000000000}\n{"t":1700000000300}\n' >"$T/ms"
	elapsed "$EVPIPE" replay -t .t "$T/ms"
	[[ $status -eq 0 ]]
	((ms >= 300))
	# told they are microseconds: 300 us apart
	elapsed "$EVPIPE" replay -t .t --time-format us "$T/ms"
	[[ $status -eq 0 ]]
	((ms < 10000))
}

@test "--speed divides the pauses" {
	printf '{"ts":0}\n{"ts":1}\n{"ts":2}\n' >"$T/in"
	elapsed "$EVPIPE" replay --speed 4 "$T/in"
	[[ $status -eq 0 ]]
	((ms >= 500))
	((ms < 1900))
}

@test "--rate ignores times and spaces events evenly" {
	seq 1 11 | sed 's/.*/{"i":&}/' >"$T/in"
	elapsed "$EVPIPE" replay --rate 20/s "$T/in"
	[[ $status -eq 0 ]]
	cmp "$T/in" "$T/out"
	((ms >= 500))
	elapsed "$EVPIPE" replay --rate 10/100ms "$T/in"
	((ms >= 100))
}

@test "--max-gap caps long pauses; out-of-order times are due at once" {
	printf '{"ts":"2024-01-01T00:00:00Z"}\n{"ts":"2024-01-01T05:00:00Z"}\n{"ts":"2024-01-01T01:00:00Z"}\n{"ts":"2024-01-01T05:00:00.100Z"}\n' >"$T/in"
	elapsed "$EVPIPE" replay --max-gap 200ms "$T/in"
	[[ $status -eq 0 ]]
	cmp "$T/in" "$T/out"
	((ms >= 300))
	((ms < 10000))
}

@test "--loop N replays the events N times, from a pipe too" {
	printf '{"ts":0,"i":1}\n{"ts":0.01,"i":2}\n' >"$T/in"
	status=0
	timeout 10 "$EVPIPE" replay --loop 3 <"$T/in" >"$T/out" || status=$?
	[[ $status -eq 0 ]]
	same "$T/out" '{"ts":0,"i":1}\n{"ts":0.01,"i":2}\n{"ts":0,"i":1}\n{"ts":0.01,"i":2}\n{"ts":0,"i":1}\n{"ts":0.01,"i":2}\n'
	run_to "$T/out" replay --loop 2 --loop-memory 10 "$T/in"
	[[ $status -eq 2 ]]
	[[ $stderr == *"--loop: the events take more than --loop-memory (10 bytes)"* ]]
}

@test "an event without a time is rejected; the others are replayed" {
	printf '{"ts":0}\n{"x":1}\n{"ts":"noon"}\n{"ts":0.1}\n' >"$T/in"
	run_to "$T/out" --dlq "$T/dlq" replay "$T/in"
	[[ $status -eq 1 ]]
	same "$T/out" '{"ts":0}\n{"ts":0.1}\n'
	assert_equal "$stderr" "evpipe: replay: $T/in:2: --time .ts: expected an RFC 3339 time or epoch seconds or milliseconds, got null
evpipe: replay: $T/in:3: --time .ts: expected an RFC 3339 time or epoch seconds or milliseconds, got \"noon\""
	run jq -c '[.stage, .line]' "$T/dlq"
	assert_line --index 0 '["replay",2]'
}

@test "each event is written out when due, and SIGINT ends a long wait at once" {
	printf '{"ts":"2024-01-01T00:00:00Z","i":1}\n{"ts":"2024-01-01T06:00:00Z","i":2}\n' >"$T/in"
	"$EVPIPE" replay "$T/in" >"$T/out" &
	pid=$!
	for _ in $(seq 1 100); do
		[[ -s $T/out ]] && break
		sleep 0.05
	done
	# the first event is out while replay waits six hours for the second
	same "$T/out" '{"ts":"2024-01-01T00:00:00Z","i":1}\n'
	kill -INT "$pid"
	rc=0
	timeout 10 tail --pid="$pid" -f /dev/null || fail "replay did not end"
	wait "$pid" || rc=$?
	[[ $rc -eq 130 ]]
	# the waiting event is written, not lost
	cmp "$T/in" "$T/out"
}

@test "--loop 0 runs until SIGTERM, then drains" {
	printf '{"ts":0}\n{"ts":0.05}\n' >"$T/in"
	"$EVPIPE" replay --loop 0 "$T/in" >"$T/out" &
	pid=$!
	for _ in $(seq 1 100); do
		(($(wc -l <"$T/out") >= 6)) && break
		sleep 0.05
	done
	kill -TERM "$pid"
	rc=0
	timeout 10 tail --pid="$pid" -f /dev/null || fail "replay did not end"
	wait "$pid" || rc=$?
	[[ $rc -eq 143 ]]
	(($(wc -l <"$T/out") >= 6))
	run jq -c . "$T/out"
	assert_success
}

@test "usage errors: --speed with --rate, bad numbers, bad --time" {
	printf '{"ts":0}\n' >"$T/in"
	run_to "$T/out" replay --speed 2 --rate 10/s "$T/in"
	[[ $status -eq 2 ]]
	assert_equal "$stderr" "evpipe: replay: --speed and --rate cannot be used together"
	run_to "$T/out" replay --speed 0 "$T/in"
	[[ $status -eq 2 ]]
	assert_equal "$stderr" "evpipe: replay: --speed: '0' is not a positive number"
	run_to "$T/out" replay --rate -5/s "$T/in"
	[[ $status -eq 2 ]]
	assert_equal "$stderr" "evpipe: replay: --rate: '-5/s' is not a positive rate (N/s, N/DUR)"
	run_to "$T/out" replay --rate 5/fortnight "$T/in"
	[[ $status -eq 2 ]]
	run_to "$T/out" replay --time '.ts[' "$T/in"
	[[ $status -eq 2 ]]
	[[ $stderr == "evpipe: replay: --time"* ]]
	run_to "$T/out" replay --time-format hours "$T/in"
	[[ $status -eq 2 ]]
}

@test "schedule: at 1000 events/s events leave within bounds of their due time" {
	# 2000 events 1 ms apart by their timestamps, then by --rate; the
	# lateness replay measures is printed by -v.  5 ms is the target on
	# an idle machine; the bound here is generous for loaded CI hosts.
	awk 'BEGIN { for (i = 0; i < 2000; i++) printf "{\"ts\":17000000%05d,\"i\":%d}\n", i, i }' >"$T/in"
	for mode in "--time-format ms" "--rate 1000/s" "--rate 1000/s --spin 1ms"; do
		# shellcheck disable=SC2086
		elapsed "$EVPIPE" -v replay $mode "$T/in"
		[[ $status -eq 0 ]]
		cmp "$T/in" "$T/out"
		((ms >= 1999))
		line=$(grep 'evpipe: replay: 2000 events' "$T/err")
		echo "$mode: $line"
		[[ $line =~ ^evpipe:\ replay:\ 2000\ events,\ [0-9]+\ waits,\ lateness\ max\ [0-9.]+\ ms,\ mean\ [0-9.]+\ ms,\ p99\ [0-9.]+\ ms,\ p99.9\ [0-9.]+\ ms$ ]] ||
			fail "report: $line"
		max=$(sed 's/.*lateness max \([0-9]*\)\..*/\1/' <<<"$line")
		((max < 100)) || fail "$mode: $line"
	done
}

@test "--spin: a duration from 0 to 1s; the same events, in the same order" {
	printf '{"ts":1}\n{"ts":1.01}\n{"ts":1.02}\n' >"$T/in"
	run_to "$T/out" replay --spin 5ms "$T/in"
	[[ $status -eq 0 ]]
	cmp "$T/in" "$T/out"
	for bad in 2s -1ms x; do
		run -2 --separate-stderr "$EVPIPE" replay --spin "$bad" "$T/in"
		[[ -n $stderr ]]
	done
	run -2 --separate-stderr "$EVPIPE" replay --spin 2s "$T/in"
	[[ $stderr == "evpipe: replay: --spin must be from 0 to 1s" ]]
}
