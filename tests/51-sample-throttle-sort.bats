#!/usr/bin/env bats
# sample, throttle and sort (DESIGN 2.4): deterministic sampling, token
# buckets driven by event time, reordering within a lateness window.
load test_helper

setup() {
	T=$BATS_TEST_TMPDIR
	seq 1 1000 | sed 's/.*/{"u":&}/' >"$T/u1000"
}

# --- sample -------------------------------------------------------------

@test "sample without -k is systematic: every 1/P-th event, exactly" {
	run_to "$T/out" sample --ratio 1/3 "$T/u1000"
	[[ $status -eq 0 ]]
	[[ $(wc -l <"$T/out") -eq 333 ]]
	[[ $(head -3 "$T/out" | paste -sd ' ') == '{"u":3} {"u":6} {"u":9}' ]]
	run_to "$T/out" sample --ratio 0.1 "$T/u1000"
	[[ $(wc -l <"$T/out") -eq 100 ]]
	[[ $(head -1 "$T/out") == '{"u":10}' ]]
}

@test "sample --ratio takes decimals, percentages and ratios alike" {
	local r
	"$EVPIPE" sample -r 0.25 "$T/u1000" >"$T/want"
	[[ $(wc -l <"$T/want") -eq 250 ]]
	for r in 25% 1/4 .25 0.250 25.0%; do
		run_to "$T/out" sample -r "$r" "$T/u1000"
		cmp "$T/want" "$T/out" || fail "--ratio $r differs"
	done
	run_to "$T/out" sample -r 0 "$T/u1000"
	same "$T/out" ''
	run_to "$T/out" sample -r 1 "$T/u1000"
	cmp "$T/u1000" "$T/out"
}

@test "sample -k: the decision depends on the key alone and never changes" {
	golden stateful sample-key sample --ratio 0.5 -k .u
	# every event of a kept key is kept, and only those
	sed 's/}$/,"x":1}/' "$T/u1000" >"$T/again"
	cat "$T/u1000" "$T/again" >"$T/in"
	"$EVPIPE" sample -r 0.3 -k .u "$T/in" | sed -n 's/{"u":\([0-9]*\).*/\1/p' | sort -n | uniq -c >"$T/counts"
	[[ -z $(awk '$1 != 2' "$T/counts") ]]
	n=$(wc -l <"$T/counts")
	((n > 240 && n < 360)) || fail "kept $n of 1000 keys at 0.3"
}

@test "sample -k: a larger ratio keeps every key a smaller one keeps" {
	"$EVPIPE" sample -r 0.2 -k .u "$T/u1000" >"$T/small"
	"$EVPIPE" sample -r 0.6 -k .u "$T/u1000" >"$T/large"
	[[ -z $(comm -23 <(sort "$T/small") <(sort "$T/large")) ]]
	(($(wc -l <"$T/small") < $(wc -l <"$T/large")))
}

@test "sample: a bad or missing --ratio is a usage error" {
	local r
	for r in 1.5 -0.1 abc 1/0 2/1 '' 0.5.5 1e-2 0x1 1/3.0 101%; do
		run_to "$T/out" sample --ratio "$r" "$T/u1000"
		[[ $status -eq 2 ]] || fail "--ratio '$r': status $status"
		assert_equal "$stderr" "evpipe: sample: --ratio: '$r' is not a fraction between 0 and 1 (0.25, 25% or 1/4)"
	done
	run_to "$T/out" sample "$T/u1000"
	[[ $status -eq 2 ]]
	assert_equal "$stderr" "evpipe: sample: --ratio P is needed"
}

@test "sample -k: a key error rejects the event" {
	printf '{"u":"x"}\n{"u":{"a":1}}\n' >"$T/in"
	run_to "$T/out" --dlq "$T/dlq" sample -r 1 -k .u.a "$T/in"
	[[ $status -eq 1 ]]
	same "$T/out" '{"u":{"a":1}}\n'
	[[ $(jq -r .stage "$T/dlq") == sample ]]
}

# --- throttle -----------------------------------------------------------

@test "throttle --time: token buckets per key, refilled by event time" {
	golden stateful throttle throttle --rate 2/s -k .k --time .t
}

@test "throttle without -k limits the whole stream" {
	printf '{"t":0}\n{"t":0}\n{"t":0}\n{"t":30}\n{"t":59}\n{"t":60}\n' >"$T/in"
	run_to "$T/out" -v throttle --rate 2/1m --time .t "$T/in"
	same "$T/out" '{"t":0}\n{"t":0}\n{"t":30}\n{"t":60}\n'
	[[ $stderr == *"evpipe: throttle: 4 passed, 2 dropped, 0 delayed"* ]]
}

@test "throttle --max-keys: an evicted key starts again with a full bucket" {
	printf '{"k":"a","t":0}\n{"k":"a","t":0}\n{"k":"b","t":0}\n{"k":"a","t":0}\n' >"$T/in"
	run_to "$T/out" throttle --rate 1/1h -k .k --time .t --max-keys 1 "$T/in"
	same "$T/out" '{"k":"a","t":0}\n{"k":"b","t":0}\n{"k":"a","t":0}\n'
	run_to "$T/out" throttle --rate 1/1h -k .k --time .t "$T/in"
	same "$T/out" '{"k":"a","t":0}\n{"k":"b","t":0}\n'
}

@test "throttle --mode delay waits for the token instead of dropping" {
	printf '{"n":1}\n{"n":2}\n{"n":3}\n{"n":4}\n' >"$T/in"
	run timeout 10 "$EVPIPE" -v throttle --rate 1/20ms --mode delay "$T/in"
	assert_success
	assert_line --index 0 '{"n":1}'
	assert_line --index 3 '{"n":4}'
	assert_output --partial "4 passed, 0 dropped, 3 delayed"
}

@test "throttle --mode delay never waits longer than --max-delay" {
	printf '{"n":1}\n{"n":2}\n{"n":3}\n' >"$T/in"
	run timeout 10 "$EVPIPE" -v throttle --rate 1/1h --mode delay --max-delay 10ms "$T/in"
	assert_success
	assert_output --partial "1 passed, 2 dropped, 0 delayed"
}

@test "throttle --mode delay writes out what passed before it waits" {
	mkfifo "$T/in" "$T/out"
	# n=2 waits a minute for its token: n=1 must be out long before.
	"$EVPIPE" throttle --rate 1/1m --mode delay --max-delay 2m \
		<"$T/in" >"$T/out" 2>"$T/err" 3>&- &
	pid=$!
	exec {w}>"$T/in" {r}<"$T/out"
	printf '{"n":1}\n{"n":2}\n' >&"$w"
	read -r -t 10 -u "$r" line || fail "the event that passed was held back"
	[[ $line == '{"n":1}' ]]
	# SIGTERM ends the wait: the waiting event passes, nothing is lost.
	kill -TERM "$pid"
	read -r -t 10 -u "$r" line || fail "the waiting event was lost"
	[[ $line == '{"n":2}' ]]
	rc=0
	wait "$pid" || rc=$?
	exec {w}>&- {r}<&-
	[[ $rc -eq 143 ]]
}

@test "throttle: usage errors" {
	local r
	for r in 10 0/s 5/0s 5/xyz /s 5/ -1/s; do
		run_to "$T/out" throttle --rate "$r" "$T/u1000"
		[[ $status -eq 2 ]] || fail "--rate '$r': status $status"
		[[ $stderr == "evpipe: throttle: --rate"* ]] || fail "--rate '$r': $stderr"
	done
	run_to "$T/out" throttle "$T/u1000"
	assert_equal "$stderr" "evpipe: throttle: --rate N/DUR is needed"
	run_to "$T/out" throttle --rate 1/s --mode delay --time .t "$T/u1000"
	[[ $status -eq 2 ]]
	assert_equal "$stderr" "evpipe: throttle: --mode delay waits on the clock; it cannot be used with --time"
	run_to "$T/out" throttle --rate 1/s --mode wait "$T/u1000"
	[[ $status -eq 2 ]]
	run_to "$T/out" throttle --rate 1/s --max-keys 0 "$T/u1000"
	[[ $status -eq 2 ]]
}

@test "throttle: an unreadable --time rejects the event" {
	printf '{"t":"soon"}\n{"t":5}\n' >"$T/in"
	run_to "$T/out" --dlq "$T/dlq" throttle --rate 1/s --time .t "$T/in"
	[[ $status -eq 1 ]]
	same "$T/out" '{"t":5}\n'
	[[ $(jq -r .reason "$T/dlq") == '--time: expected an RFC 3339 time or epoch seconds or milliseconds, got "soon"' ]]
}

# --- sort ---------------------------------------------------------------

@test "sort: events come out in time order; late ones are rejected with the reason" {
	golden stateful sort sort --by .ts --window 2s
}

@test "sort --late pass: late events go on at once, out of order" {
	golden stateful sort-pass sort --by .ts --window 2s --late pass
}

@test "sort: late events go to the dead-letter target with stage and reason" {
	printf '{"t":10}\n{"t":20}\n{"t":5}\n' >"$T/in"
	run_to "$T/out" --dlq "$T/dlq" sort --by .t --window 5s "$T/in"
	[[ $status -eq 1 ]]
	same "$T/out" '{"t":10}\n{"t":20}\n'
	run jq -c '[.stage, .line, .reason, .event]' "$T/dlq"
	assert_output '["sort",3,"late event: 1970-01-01T00:00:05Z is 10s behind the window (newest 1970-01-01T00:00:20Z, --window 5s)",{"t":5}]'
}

@test "sort: equal times keep their order of arrival; --window 0 only checks order" {
	printf '{"t":1,"n":1}\n{"t":1,"n":2}\n{"t":0,"n":3}\n{"t":1,"n":4}\n{"t":2,"n":5}\n' >"$T/in"
	run_to "$T/out" sort --by .t --window 1s "$T/in"
	[[ $status -eq 0 ]]
	same "$T/out" '{"t":0,"n":3}\n{"t":1,"n":1}\n{"t":1,"n":2}\n{"t":1,"n":4}\n{"t":2,"n":5}\n'
	run_to "$T/out" sort --by .t --window 0 "$T/in"
	[[ $status -eq 1 ]]
	same "$T/out" '{"t":1,"n":1}\n{"t":1,"n":2}\n{"t":1,"n":4}\n{"t":2,"n":5}\n'
}

@test "sort: RFC 3339 offsets, lower case, fractions and epoch ms are one timeline" {
	cat >"$T/in" <<-'IN'
	{"n":1,"t":"2026-11-26T12:00:00.000000001Z"}
	{"n":2,"t":1795694399999}
	{"n":3,"t":"2026-11-26t13:00:00.0000000009999+01:00"}
	{"n":4,"t":"2026-11-26 11:00:00.5-01:00"}
	{"n":5,"t":1795694399.75}
	{"n":6,"t":"2024-02-29T23:59:60Z"}
	IN
	run_to "$T/out" sort --by .t --window 3000d "$T/in"
	[[ $status -eq 0 ]]
	run jq -c .n "$T/out"
	assert_output "$(printf '6\n5\n2\n3\n1\n4')"
}

@test "sort: times that are not times are rejected" {
	local t
	for t in '"2026-13-01T00:00:00Z"' '"2026-02-29T00:00:00Z"' '"2026-11-26T24:00:00Z"' \
		'"2026-11-26T12:00:00"' '"2026-11-26T12:00:00+1:00"' '"2026-11-26T12:00Z"' \
		'"2026-11-26T12:00:00.Z"' '"12:00"' '"1795694400"' true null '[1]' '{}' \
		'"9999-12-31T00:00:00Z"' 1e300 -1e300; do
		printf '{"t":%s}\n' "$t" >"$T/in"
		run_to "$T/out" sort --by .t --window 1s "$T/in"
		[[ $status -eq 1 ]] || fail "$t: status $status"
		[[ $stderr == *"--by: expected an RFC 3339 time or epoch seconds or milliseconds, got "* ]] || fail "$t: $stderr"
	done
}

@test "sort --max-held releases the oldest early and moves the floor" {
	printf '{"t":5}\n{"t":4}\n{"t":3}\n{"t":1}\n{"t":2}\n' >"$T/in"
	run_to "$T/out" -v sort --by .t --window 1h --max-held 2 "$T/in"
	[[ $status -eq 1 ]]
	same "$T/out" '{"t":3}\n{"t":4}\n{"t":5}\n'
	[[ $stderr == *"late event: 1970-01-01T00:00:01Z is 2s behind the window"* ]]
	[[ $stderr == *"evpipe: sort: 3 released in order, 2 late, 1 released early"* ]]
}

@test "sort: held events are drained in order at SIGTERM" {
	mkfifo "$T/fifo"
	# (a window of hours: the idle input releases nothing meanwhile)
	"$EVPIPE" sort --by .t --window 9000s <"$T/fifo" >"$T/out" 2>"$T/err" &
	pid=$!
	exec {w}>"$T/fifo"
	# t=10000 releases 1, 2, 3: once they are out, all five were read.
	printf '{"t":3}\n{"t":1}\n{"t":2}\n{"t":9995}\n{"t":10000}\n' >&"$w"
	for _ in $(seq 1 200); do
		[[ $(wc -l <"$T/out") -ge 3 ]] && break
		sleep 0.05
	done
	same "$T/out" '{"t":1}\n{"t":2}\n{"t":3}\n'
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	exec {w}>&-
	[[ $rc -eq 143 ]]
	same "$T/out" '{"t":1}\n{"t":2}\n{"t":3}\n{"t":9995}\n{"t":10000}\n'
}

@test "sort: on an idle input, held events come out once the window has passed on the clock" {
	mkfifo "$T/in" "$T/out"
	"$EVPIPE" -v sort --by .t --window 1s <"$T/in" >"$T/out" 2>"$T/err" 3>&- &
	pid=$!
	exec {w}>"$T/in" {r}<"$T/out"
	# No later event will come to move the watermark: the clock does,
	# 0.5 s after the last arrival for 99.5, 1 s after it for 100.
	printf '{"t":100}\n{"t":99.5}\n' >&"$w"
	read -r -t 20 -u "$r" a || fail "nothing was released while idle"
	read -r -t 20 -u "$r" b || fail "the newest event was not released while idle"
	[[ $a == '{"t":99.5}' && $b == '{"t":100}' ]]
	# What was released is the floor: 99 is late, 102 goes on in order.
	printf '{"t":99}\n{"t":102}\n' >&"$w"
	exec {w}>&-
	read -r -t 20 -u "$r" c || fail "the last event was not released at the end"
	[[ $c == '{"t":102}' ]]
	rc=0
	wait "$pid" || rc=$?
	exec {r}<&-
	[[ $rc -eq 1 ]]
	grep -q 'evpipe: sort: 3 released in order, 1 late, 0 released early (--max-held), 2 released while idle' "$T/err" ||
		fail "$(cat "$T/err")"
}

@test "sort then head: stopping downstream ends the drain cleanly" {
	printf '{"t":3}\n{"t":1}\n{"t":2}\n' >"$T/in"
	run_to "$T/out" sort --by .t --window 1h then head -n 2 "$T/in"
	[[ $status -eq 0 ]]
	same "$T/out" '{"t":1}\n{"t":2}\n'
}

@test "sort: usage errors" {
	run_to "$T/out" sort --window 1s "$T/u1000"
	[[ $status -eq 2 ]]
	assert_equal "$stderr" "evpipe: sort: --by EXPR is needed"
	run_to "$T/out" sort --by .t "$T/u1000"
	[[ $status -eq 2 ]]
	assert_equal "$stderr" "evpipe: sort: --window DUR is needed"
	run_to "$T/out" sort --by .t --window 1s --late drop "$T/u1000"
	[[ $status -eq 2 ]]
	run_to "$T/out" sort --by '.t |' --window 1s "$T/u1000"
	[[ $status -eq 2 ]]
	[[ $stderr == "evpipe: sort: --by: "* ]]
}
