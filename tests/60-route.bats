#!/usr/bin/env bats
# route (DESIGN 2.4): rules in order, first match wins (--all: every
# match), unmatched events to --else or on down the chain, --copy,
# per-rule counts, templates in --to, and targets that fail for good.
load test_helper

setup() {
	T=$BATS_TEST_TMPDIR
	EV=$FIXTURES/route/events.ndjson
	cd "$T"
}

ORDERS='.type | startswith("order.")'

@test "the first matching rule wins; unmatched events go on down the chain" {
	run_to stdout route --when "$ORDERS" --target orders --when '.amount > 100' --target big "$EV"
	[[ $status -eq 0 ]]
	# id 3 matches both rules: the first one takes it
	same orders '{"id":1,"type":"order.paid","ts":"2024-03-01T10:00:00Z","amount":30}\n{"id":3,"type":"order.paid","ts":"2024-03-02T09:30:00Z","amount":250}\n{"id":6,"type":"order.refunded","ts":"2024-03-03T09:00:00Z","amount":30}\n'
	same big ''
	same stdout '{"id":2,"type":"user.login","ts":"2024-03-01T11:00:00Z"}\n{"id":4,"type":"page.view","ts":"2024-03-02T12:00:00Z"}\n{"id":5, "type": "user.login",   "ts":"2024-03-03T08:00:00Z"}\n'
}

@test "--all sends an event to every matching rule" {
	run_to stdout route --all --when "$ORDERS" --target orders --when '.amount > 100' --target big "$EV"
	[[ $status -eq 0 ]]
	[[ $(jq -c .id orders | paste -sd,) == 1,3,6 ]]
	[[ $(jq -c .id big) == 3 ]]
	[[ $(jq -c .id stdout | paste -sd,) == 2,4,5 ]]
}

@test "--else takes what no rule matched; --copy passes every event on too" {
	run_to stdout route --when "$ORDERS" --target orders --else rest "$EV"
	[[ $status -eq 0 ]]
	same stdout ''
	[[ $(jq -c .id rest | paste -sd,) == 2,4,5 ]]
	rm orders rest
	run_to stdout route --copy --when "$ORDERS" --target orders --else rest "$EV"
	cmp stdout "$EV"
	[[ $(jq -c .id orders | paste -sd,) == 1,3,6 ]]
	[[ $(jq -c .id rest | paste -sd,) == 2,4,5 ]]
	# routed events can be counted downstream
	run_to stdout route --copy --when "$ORDERS" --target /dev/null then head -n 2 "$EV"
	[[ $(wc -l <stdout) -eq 2 ]]
}

@test "route --target takes templates; -v counts per rule" {
	run_to stdout -v route --mkdir --when "$ORDERS" --target 'by-type/{.type}.ndjson' \
		--when '.type == "page.view"' --target views "$EV"
	[[ $status -eq 0 ]]
	[[ $(cat by-type/order.paid.ndjson | wc -l) -eq 2 ]]
	[[ $(cat by-type/order.refunded.ndjson | wc -l) -eq 1 ]]
	[[ $(jq -c .id views) == 4 ]]
	assert_equal "$(grep 'route: rule\|route: unmatched' <<<"$stderr")" "evpipe: route: rule 1 (--target by-type/{.type}.ndjson): matched 3; 3 events written, 0 rejected; 2 opens, 0 closes to stay within --max-open $("$EVPIPE" -v split 'x{.a}' </dev/null 2>&1 | sed -n 's/.*--max-open \([0-9]*\).*/\1/p'), 0 rotations
evpipe: route: rule 2 (--target views): matched 1; 1 events written, 0 rejected
evpipe: route: unmatched 2 (passed on)"
}

@test "an evaluation error rejects the event before any target gets it" {
	printf '{"a":"x","n":1}\n{"a":{"b":1},"n":2}\n{"a":{"b":2},"n":3}\n' >in
	run_to stdout --dlq dlq route --all --when '.n >= 1' --target first --when '.a.b == 1' --target second in
	[[ $status -eq 1 ]]
	[[ $(jq -c .n first | paste -sd,) == 2,3 ]]
	[[ $(jq -c .n second) == 2 ]]
	run jq -c '[.stage, .line, .event.n]' dlq
	assert_output '["route",1,1]'
	[[ $(jq -r .reason dlq) == "rule 2: "* ]]
}

@test "route usage errors come before any I/O" {
	mkdir work
	cd work
	run -2 --separate-stderr "$EVPIPE" route "$EV"
	assert_equal "$stderr" "evpipe: route: at least one --when EXPR --target TARGET rule is needed"
	run -2 --separate-stderr "$EVPIPE" route --when .a --target a --when .b "$EV"
	assert_equal "$stderr" "evpipe: route: each --when EXPR needs its --target TARGET (2 --when, 1 --target)"
	run -2 --separate-stderr "$EVPIPE" route --when .a --target a --when '.b +' --target b "$EV"
	[[ $stderr == "evpipe: route: rule 2: --when: expression: "* ]]
	run -2 --separate-stderr "$EVPIPE" route --when .a --target a --when .b --target 'tcp://x' "$EV"
	[[ $stderr == "evpipe: route: rule 2: --target: target 'tcp://x': expected tcp://HOST:PORT"* ]]
	run -2 --separate-stderr "$EVPIPE" route --when .a --target a --else 'exec:x {.a}' "$EV"
	[[ $stderr == "evpipe: route: --else: target 'exec:x {.a}': {EXPR} templates are for file paths only"* ]]
	rm -f separate-stderr-*
	run find . -mindepth 1
	assert_output ''
}

@test "a full target: its events are dead-lettered, the rest still flows, exit 3" {
	run_to stdout --dlq dlq route --when "$ORDERS" --target /dev/full --when '.type == "page.view"' --target views "$EV"
	[[ $status -eq 3 ]]
	[[ $(jq -c .id views) == 4 ]]
	[[ $(jq -c .id stdout | paste -sd,) == 2,5 ]]
	run jq -c '[.stage, .line, .reason, .event.id]' dlq
	assert_output "[\"route\",1,\"cannot write to '/dev/full': No space left on device\",1]
[\"route\",3,\"cannot write to '/dev/full': No space left on device\",3]
[\"route\",6,\"cannot write to '/dev/full': No space left on device\",6]"
}

@test "a command that keeps dying is given up on; its events are dead-lettered" {
	awk 'BEGIN { for (i = 1; i <= 2000; i++) printf "{\"i\":%d}\n", i }' >in
	# the command takes 10 events, one line at a time, then exits
	run_to stdout --dlq dlq route --line-buffered --when 'true' \
		--target "exec:for i in 1 2 3 4 5 6 7 8 9 10; do read -r l || exit 0; echo \"\$l\" >>got; done; exit 7" in
	[[ $status -eq 3 ]]
	[[ $stderr == *"exited with status 7; restarting in 100 ms"* ]]
	[[ $stderr == *"giving up"* ]]
	# what the commands read came in order, ten at a time
	[[ $(($(wc -l <got) % 10)) -eq 0 ]]
	jq -c .i got | awk '$1 != NR { bad++ } END { exit bad }'
	# every other event is in the dead-letter file, with the reason:
	# those a dying command left in its pipe were given to the next one,
	# and none is lost or delivered twice
	[[ $(jq -r .reason dlq | sort -u) == *"5 times within a second of starting; giving up" ]]
	[[ $(cat got <(jq -c .event dlq) | sort | uniq -d | wc -l) -eq 0 ]]
	cat got <(jq -c .event dlq) | sort | cmp - <(sort in)
}

@test "a command that exits without reading everything: the rest goes to the next one" {
	awk 'BEGIN { for (i = 1; i <= 25; i++) printf "{\"i\":%d}\n", i }' >in
	# reads 10 lines and exits 0; a restart after a second is not a quick death
	run_to stdout --dlq dlq route --when 'true' \
		--target "exec:for i in 1 2 3 4 5 6 7 8 9 10; do read -r l || exit 0; echo \"\$l\" >>got; done" in
	[[ $status -eq 0 ]]
	cmp got in
	[[ ! -s dlq ]]
	[[ $(grep -c 'command exited with status 0; restarting' <<<"$stderr") -eq 2 ]]
}

@test "rules that all test one field against strings answer as rule by rule" {
	# route by .type looks the field up once per event (one dispatch);
	# escapes, non-strings, missing fields, duplicate rules and --all
	# must come out exactly as with the rules evaluated one by one
	printf '%s\n' '{"type":"a\u0062"}' '{"type":"ab"}' '{"type":["ab"]}' \
		'{"type":{"ab":1}}' '{"type":null}' '{"x":1}' '{"type":7}' \
		'{"type":"cd"}' '{"type":"abc"}' >in
	for mode in fast full; do
		mkdir "$mode"
		if [[ $mode == full ]]; then export EVPIPE_NO_FAST=1; fi
		run_to "$mode/rest" route --all --when '.type == "ab"' --target "$mode/ab" \
			--when '"ab" == .type' --target "$mode/ab2" \
			--when '.type == "cd"' --target "$mode/cd" in
		[[ $status -eq 0 ]]
		run_to "$mode/first" route --when '.type == "ab"' --target "$mode/f1" \
			--when '.type == "ab"' --target "$mode/f2" in
		[[ $status -eq 0 ]]
		unset EVPIPE_NO_FAST
	done
	diff -r fast full
	[[ $(wc -l <fast/ab) -eq 2 && $(wc -l <fast/ab2) -eq 2 ]]
	[[ $(wc -l <fast/cd) -eq 1 && $(wc -l <fast/rest) -eq 6 ]]
	[[ $(wc -l <fast/f1) -eq 2 && ! -s fast/f2 ]]
	# a path that raises an error still rejects the event
	run_to out route --when '.type.x == "a"' --target a --when '.type.x == "b"' \
		--target b <<<'{"type":"s"}'
	[[ $status -eq 1 && $stderr == *'rule 1: Cannot index string'* ]]
}
