#!/usr/bin/env bats
# aggregate on a followed file: windows close while the input is idle
# (no next event needed), checkpoints wait for the window (held), kill -9
# and restart lose nothing without --state and count nothing twice with
# it; the state file is checked like any untrusted input.  Every wait is
# bounded.
load test_helper
load bg_helper

setup() {
	bg_setup
}

teardown() {
	bg_teardown
}

# offset: where ck.json says app.ndjson was delivered up to (0 if none).
offset() {
	python3 -c '
import json, os
try:
    c = json.load(open("ck.json"))
except FileNotFoundError:
    print(0); raise SystemExit
print(sum(f["offset"] for f in c["files"]))'
}

# wait_offset N: until ck.json says N bytes were delivered.
wait_offset() {
	local i
	for ((i = 0; i < 400; i++)); do
		[[ $(offset) -eq $1 ]] && return 0
		sleep 0.05
	done
	fail "checkpoint at $(offset), want $1: $(head -c 600 err)"
}

ev() { # ev SECONDS KEY: an event at 10:00:00 + SECONDS
	printf '{"ts":"2026-11-26T%02d:%02d:%02dZ","k":"%s"}\n' $((10 + $1 / 3600)) $(($1 / 60 % 60)) $(($1 % 60)) "$2"
}

@test "event time: an idle input closes the window without a next event; later events for it are late" {
	ev 5 a >app.ndjson
	bg_start -F aggregate -k .k -w 1s --time .ts app.ndjson
	wait_lines out 1
	same out '{"window_start":"2026-11-26T10:00:05Z","window_end":"2026-11-26T10:00:06Z","k":"a","count":1}\n'
	# the clock moved the floor: an event for that window is late now
	ev 5 a >>app.ndjson
	ev 7 b >>app.ndjson
	wait_lines out 2
	stop
	same out '{"window_start":"2026-11-26T10:00:05Z","window_end":"2026-11-26T10:00:06Z","k":"a","count":1}\n{"window_start":"2026-11-26T10:00:07Z","window_end":"2026-11-26T10:00:08Z","k":"b","count":1}\n'
	[[ $(cat err) == *"late event: 2026-11-26T10:00:05Z falls in a window already emitted"* ]]
}

@test "arrival time: a window is emitted once the clock passes its end, without a next event" {
	printf '{"k":"a"}\n{"k":"a"}\n' >app.ndjson
	bg_start -F aggregate -k .k -w 1s app.ndjson
	wait_lines out 1
	run jq -c '[.k, .count, ((.window_end | sub("\\.[0-9]+Z$"; "Z") | fromdate) - (.window_start | sub("\\.[0-9]+Z$"; "Z") | fromdate))]' out
	assert_output '["a",2,1]'
	stop
}

@test "SIGTERM drains: the open windows are emitted" {
	ev 5 a >app.ndjson
	ev 6 a >>app.ndjson
	bg_start -F aggregate -k .k -w 1h --time .ts --lateness 1h app.ndjson
	sleep 0.3
	stop
	assert_equal "$status" 143
	same out '{"window_start":"2026-11-26T10:00:00Z","window_end":"2026-11-26T11:00:00Z","k":"a","count":2}\n'
}

# The pipeline under test: seen.ndjson shows what was read.
AGG=(-F --checkpoint ck.json tee -t seen.ndjson then aggregate -k .k -w 1m --time .ts --lateness 1h)

@test "kill -9 without --state: the checkpoint waits for the window, the restart counts every event" {
	for s in 1 2 3; do ev $s a; done >app.ndjson
	bg_start "${AGG[@]}" app.ndjson
	wait_lines seen.ndjson 3
	sleep 0.3
	# read, but held by the open window: not delivered
	[[ $(offset) -eq 0 ]] || fail "checkpoint at $(offset) with the window open"
	stop KILL
	assert_equal "$status" 137
	[[ ! -s out ]]
	ev 4 a >>app.ndjson
	ev 5 b >>app.ndjson
	bg_start "${AGG[@]}" app.ndjson
	# all five read again: three from before the kill, two new
	wait_lines seen.ndjson 8
	[[ $(offset) -eq 0 ]] || fail "checkpoint at $(offset) with the window open"
	# 3 hours later: the watermark passes the first window
	ev 10800 a >>app.ndjson
	wait_lines out 2
	same out '{"window_start":"2026-11-26T10:00:00Z","window_end":"2026-11-26T10:01:00Z","k":"a","count":4}\n{"window_start":"2026-11-26T10:00:00Z","window_end":"2026-11-26T10:01:00Z","k":"b","count":1}\n'
	# the emitted window's events are delivered, the open one's are not
	wait_offset $(($(wc -c <app.ndjson) - $(ev 10800 a | wc -c)))
	stop
}

@test "kill -9 with --state: the state covers the checkpoint, the restart counts each event once" {
	AGG+=(--state st.json --save-interval 100ms)
	for s in 1 2 3; do ev $s a; done >app.ndjson
	bg_start "${AGG[@]}" app.ndjson
	wait_lines seen.ndjson 3
	# saved, so delivered
	wait_offset "$(wc -c <app.ndjson)"
	[[ -s st.json ]]
	run stat -c %a st.json
	assert_output 600
	stop KILL
	ev 4 a >>app.ndjson
	ev 5 b >>app.ndjson
	bg_start "${AGG[@]}" app.ndjson
	wait_lines seen.ndjson 5
	wait_offset "$(wc -c <app.ndjson)"
	stop KILL
	ev 10800 a >>app.ndjson
	bg_start "${AGG[@]}" app.ndjson
	wait_lines out 2
	stop
	same out '{"window_start":"2026-11-26T10:00:00Z","window_end":"2026-11-26T10:01:00Z","k":"a","count":4}\n{"window_start":"2026-11-26T10:00:00Z","window_end":"2026-11-26T10:01:00Z","k":"b","count":1}\n{"window_start":"2026-11-26T13:00:00Z","window_end":"2026-11-26T13:01:00Z","k":"a","count":1}\n'
}

@test "--state keeps every aggregate's partial values exactly across restarts, for every window kind" {
	python3 -c '
import json
for i in range(12000):
    print(json.dumps({"ts": "2026-11-26T10:%02d:%02dZ" % (i // 2000, i % 60), "k": "ab"[i % 2], "v": i % 997 + 0.5, "u": "u%d" % i}))' >all.ndjson
	head -n 7000 all.ndjson >part1
	tail -n +7001 all.ndjson >part2
	local w
	for w in "" "-w 1h --time .ts --lateness 1h" "-w 2m --every 1m --time .ts --lateness 1h" "--gap 5m --time .ts --lateness 1h"; do
		# shellcheck disable=SC2086 # $w is words
		ARGS=(aggregate -k .k $w -a 'sum(.v)' -a 'p50(.v)' -a 'p99(.v)' -a 'distinct(.u)' -a 'top(.v; 2)' -a 'min(.v)' -a 'last(.u)' -a 'collect(.v; 3)' -a 'count(.v > 500)')
		"$EVPIPE" "${ARGS[@]}" all.ndjson >want
		[[ -s want ]]
		# part1 followed, saved, killed (SIGTERM would drain the windows)
		rm -f st.json out
		bg_start -F "${ARGS[@]}" --state st.json --save-interval 50ms part1
		wait_file st.json
		sleep 0.5
		stop KILL
		[[ ! -s out ]] || fail "$w: output before the end: $(cat out)"
		"$EVPIPE" "${ARGS[@]}" --state st.json part2 >got
		diff -u want got || fail "windows: '$w'"
	done
}

@test "a damaged, foreign or truncated state file is a clear usage error" {
	ev 1 a >app.ndjson
	"$EVPIPE" aggregate -k .k -w 1h --time .ts --lateness 1h --state st.json app.ndjson </dev/null >/dev/null
	# after a run to the end the state holds no open window, but is valid
	head -c 40 st.json | grep -q '^evpipe aggregate state 1 '
	printf 'hello\n' >bad.json
	run "$EVPIPE" aggregate -k .k -w 1h --time .ts --state bad.json app.ndjson
	assert_equal "$status" 2
	assert_output "evpipe: aggregate: --state bad.json: not an aggregate state file (version 1)"
	sed 's/"floor":/"floor":1/' st.json >bad.json
	run "$EVPIPE" aggregate -k .k -w 1h --time .ts --state bad.json app.ndjson
	assert_equal "$status" 2
	assert_output "evpipe: aggregate: --state bad.json: the checksum does not match: the file is damaged"
	run "$EVPIPE" aggregate -k .other -w 1h --time .ts --state st.json app.ndjson
	assert_equal "$status" 2
	assert_output "evpipe: aggregate: --state st.json: the state was saved for other keys, aggregates or windows"
	head -c 60 st.json >bad.json
	run "$EVPIPE" aggregate -k .k -w 1h --time .ts --state bad.json app.ndjson
	assert_equal "$status" 2
	[[ $output == *"--state bad.json: the checksum does not match"* ]]
	run "$EVPIPE" aggregate --state /nonexistent-dir/st.json app.ndjson
	assert_equal "$status" 3
	[[ $output == *"cannot save state"* ]]
}
