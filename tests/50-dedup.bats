#!/usr/bin/env bats
# dedup (DESIGN 2.4, 2.6): keys, LRU capacity, TTL by event time, --state
# saved only after output is flushed, crash and restart.
load test_helper

setup() {
	T=$BATS_TEST_TMPDIR
}

# ids FILE: the "id" values of FILE's events, one a line, sorted.
ids() {
	sed -n 's/.*"id":\([0-9]*\).*/\1/p' "$1" | sort -n
}

# wait_for N FILE: wait (at most 10 s) until FILE has at least N lines.
wait_for() {
	local i
	for i in $(seq 1 200); do
		[[ -e $2 && $(wc -l <"$2") -ge $1 ]] && return 0
		sleep 0.05
	done
	fail "$2 never reached $1 lines (has $(wc -l <"$2" 2>/dev/null))"
}

# wait_file FILE: wait (at most 10 s) until FILE exists.
wait_file() {
	local i
	for i in $(seq 1 200); do
		[[ -e $1 ]] && return 0
		sleep 0.05
	done
	fail "$1 never appeared"
}

@test "the whole event is the key, without insignificant whitespace" {
	golden stateful whole dedup
}

@test "-k EXPR: keys compare as jq -c prints them; a missing field is null" {
	golden stateful key dedup -k .id
}

@test "passed events leave byte for byte, duplicates are counted with -v" {
	printf '{ "id" : 1 }\n{"id":1}\n{"id":2}\n' >"$T/in"
	run_to "$T/out" -v dedup -k .id "$T/in"
	[[ $status -eq 0 ]]
	same "$T/out" '{ "id" : 1 }\n{"id":2}\n'
	[[ $stderr == *"evpipe: dedup: in 3, out 2, dropped 1, rejected 0"* ]]
	assert_equal "$(grep 'dedup: [0-9]' <<<"$stderr")" \
		"evpipe: dedup: 2 passed, 1 duplicates dropped, 2 keys held, 0 evicted, 0 forgotten by TTL, 0 passed again after TTL, 0 saves"
}

@test "a key that cannot be evaluated rejects the event to the dead-letter target" {
	printf '{"a":"x"}\n{"a":{"b":1}}\n{"a":[1]}\n' >"$T/in"
	run_to "$T/out" --dlq "$T/dlq" dedup -k '.a.b' "$T/in"
	[[ $status -eq 1 ]]
	same "$T/out" '{"a":{"b":1}}\n'
	[[ $(wc -l <"$T/dlq") -eq 2 ]]
	run jq -r '[.stage, .line, (.reason | startswith("-k: "))] | @tsv' "$T/dlq"
	assert_output "$(printf 'dedup\t1\ttrue\ndedup\t3\ttrue')"
	[[ $stderr == *"evpipe: dedup: $T/in:1: -k: "* ]]
}

@test "a key with several values is an error, not a guess" {
	printf '{"a":[1,2]}\n' >"$T/in"
	run_to "$T/out" dedup -k '.a[]' "$T/in"
	[[ $status -eq 1 ]]
	same "$T/out" ''
}

@test "--capacity evicts the least recently seen key (a duplicate counts as seen)" {
	printf '{"k":"a"}\n{"k":"b"}\n{"k":"a"}\n{"k":"c"}\n{"k":"b"}\n{"k":"a"}\n' >"$T/in"
	run_to "$T/out" -v dedup -k .k --capacity 2 "$T/in"
	[[ $status -eq 0 ]]
	# LRU: a, b; a is refreshed; c evicts b; b evicts a; a evicts c.
	same "$T/out" '{"k":"a"}\n{"k":"b"}\n{"k":"c"}\n{"k":"b"}\n{"k":"a"}\n'
	[[ $stderr == *"2 keys held, 3 evicted"* ]]
}

@test "--ttl with --time: a key is forgotten DUR after the event that passed, in event time" {
	golden stateful ttl dedup -k .k --ttl 10s --time .ts
}

@test "--ttl: keys that stopped coming are forgotten, not kept until --capacity" {
	printf '{"k":1,"t":0}\n{"k":2,"t":1}\n{"k":1,"t":5}\n{"k":3,"t":100}\n{"k":3,"t":101}\n{"k":1,"t":102}\n' >"$T/in"
	run_to "$T/out" -v dedup -k .k --ttl 10s --time .t "$T/in"
	[[ $status -eq 0 ]]
	same "$T/out" '{"k":1,"t":0}\n{"k":2,"t":1}\n{"k":3,"t":100}\n{"k":1,"t":102}\n'
	[[ $stderr == *"4 passed, 2 duplicates dropped, 2 keys held, 0 evicted, 2 forgotten by TTL, 0 passed again after TTL"* ]]
	# a key looked up past its TTL passes again without being forgotten first
	printf '{"k":1,"t":0}\n{"k":2,"t":1}\n{"k":1,"t":2}\n{"k":1,"t":10}\n' >"$T/in"
	run_to "$T/out" -v dedup -k .k --ttl 10s --time .t "$T/in"
	same "$T/out" '{"k":1,"t":0}\n{"k":2,"t":1}\n{"k":1,"t":10}\n'
	[[ $stderr == *"2 keys held, 0 evicted, 0 forgotten by TTL, 1 passed again after TTL"* ]]
}

@test "--ttl: dedup -v counts a key that passes again after its TTL" {
	# The key comes back when it is both past its TTL and the oldest
	# held: it used to be forgotten first and then counted as new.
	printf '{"id":1,"t":"2024-01-01T00:00:00Z"}\n{"id":1,"t":"2024-01-01T00:00:00Z"}\n{"id":1,"t":"2024-01-01T02:00:00Z"}\n{"id":2,"t":"2024-01-01T02:00:00Z"}\n' >"$T/in"
	run_to "$T/out" -v dedup -k .id --ttl 1h --time .t "$T/in"
	[[ $status -eq 0 ]]
	same "$T/out" '{"id":1,"t":"2024-01-01T00:00:00Z"}\n{"id":1,"t":"2024-01-01T02:00:00Z"}\n{"id":2,"t":"2024-01-01T02:00:00Z"}\n'
	[[ $stderr == *"3 passed, 1 duplicates dropped, 2 keys held, 0 evicted, 0 forgotten by TTL, 1 passed again after TTL"* ]]
}

@test "--time values that are not times reject the event" {
	printf '{"k":1,"ts":"yesterday"}\n{"k":2,"ts":"2026-02-30T00:00:00Z"}\n{"k":3,"ts":null}\n{"k":4,"ts":"2024-02-29T23:59:60Z"}\n' >"$T/in"
	run_to "$T/out" dedup -k .k --ttl 1s --time .ts "$T/in"
	[[ $status -eq 1 ]]
	same "$T/out" '{"k":4,"ts":"2024-02-29T23:59:60Z"}\n'
	[[ $stderr == *':1: --time: expected an RFC 3339 time or epoch seconds or milliseconds, got "yesterday"'* ]]
	[[ $stderr == *':2: --time: expected an RFC 3339 time'* ]]
	[[ $stderr == *':3: --time: expected an RFC 3339 time or epoch seconds or milliseconds, got null'* ]]
}

@test "--ttl by the clock: a key seen again within the TTL is a duplicate" {
	printf '{"k":1}\n{"k":1}\n' >"$T/in"
	run_to "$T/out" dedup --ttl 1h "$T/in"
	same "$T/out" '{"k":1}\n'
}

@test "usage errors exit 2 before any input is read" {
	local bad
	for bad in "--capacity 0" "--time .ts" "--ttl 1s --time .ts(" "-k .a[" \
		"--save-interval 0" "--capacity 99999999999"; do
		# shellcheck disable=SC2086
		run_to "$T/out" dedup $bad "$T/none"
		[[ $status -eq 2 ]] || fail "dedup $bad: status $status"
		[[ $stderr == "evpipe: dedup: "* ]] || fail "dedup $bad: $stderr"
	done
	run_to "$T/out" dedup --time .ts "$T/none"
	assert_equal "$stderr" "evpipe: dedup: --time needs a positive --ttl"
}

@test "--state: keys survive a restart; the file is private and atomic" {
	printf '{"id":1}\n{"id":2}\n{"id":1}\n' >"$T/in1"
	printf '{"id":2}\n{"id":3}\n{"id":1}\n' >"$T/in2"
	run_to "$T/out" dedup -k .id --state "$T/st" "$T/in1"
	[[ $status -eq 0 ]]
	same "$T/out" '{"id":1}\n{"id":2}\n'
	[[ $(stat -c %a "$T/st") == 600 ]]
	run_to "$T/out" dedup -k .id --state "$T/st" "$T/in2"
	[[ $status -eq 0 ]]
	same "$T/out" '{"id":3}\n'
	# no temporary file is left beside it
	run ls "$T"
	refute_output --partial "st."
}

@test "--state for another key, or a damaged file, is refused with exit 2" {
	printf '{"id":1}\n' >"$T/in"
	run_to "$T/out" dedup -k .id --state "$T/st" "$T/in"
	run_to "$T/out" dedup -k .other --state "$T/st" "$T/in"
	[[ $status -eq 2 ]]
	same "$T/out" ''
	assert_equal "$stderr" "evpipe: dedup: $T/st: state file was written for another key (-k); remove it or use the same key"

	head -c 50 "$T/st" >"$T/short"
	run_to "$T/out" dedup -k .id --state "$T/short" "$T/in"
	[[ $status -eq 2 ]]
	[[ $stderr == *"state file is corrupt"* ]]

	cp "$T/st" "$T/flipped"
	printf '\377' | dd of="$T/flipped" bs=1 seek=45 conv=notrunc status=none
	run_to "$T/out" dedup -k .id --state "$T/flipped" "$T/in"
	[[ $status -eq 2 ]]
	assert_equal "$stderr" "evpipe: dedup: $T/flipped: state file is corrupt (checksum mismatch)"

	cp "$T/st" "$T/v2"
	printf '\002' | dd of="$T/v2" bs=1 seek=8 conv=notrunc status=none
	run_to "$T/out" dedup -k .id --state "$T/v2" "$T/in"
	[[ $status -eq 2 ]]
	assert_equal "$stderr" "evpipe: dedup: $T/v2: state file version 2 is not supported (this evpipe reads version 1)"

	printf 'not a state file at all, just text\n' >"$T/text"
	run_to "$T/out" dedup -k .id --state "$T/text" "$T/in"
	[[ $status -eq 2 ]]
	assert_equal "$stderr" "evpipe: dedup: $T/text: not an evpipe state file (bad magic or too short)"

	: >"$T/empty"
	run_to "$T/out" dedup -k .id --state "$T/empty" "$T/in"
	[[ $status -eq 2 ]]

	run_to "$T/out" dedup -k .id --state "$T" "$T/in"
	[[ $status -eq 3 ]]
	assert_equal "$stderr" "evpipe: dedup: $T: not a regular file"
}

@test "--state in a directory that cannot be written fails before any I/O" {
	printf '{"id":1}\n' >"$T/in"
	run_to "$T/out" dedup --state "$T/no/such/dir/st" "$T/in"
	[[ $status -eq 3 ]]
	same "$T/out" ''
	assert_equal "$stderr" "evpipe: dedup: $T/no/such/dir/st: cannot save state: No such file or directory"
}

@test "--state that cannot be saved at the end is an I/O error; the events were written" {
	printf '{"id":1}\n' >"$T/in"
	mkdir "$T/d"
	# the directory goes away during the run
	run_to "$T/out" dedup --state "$T/d/st" then tee --target "exec:rmdir $T/d" "$T/in" "$T/in"
	[[ $status -eq 3 ]]
	same "$T/out" '{"id":1}\n'
	[[ $stderr == *"evpipe: $T/d/st: cannot save state: No such file or directory"* ]]
}

@test "--state is not saved when the output could not be written" {
	printf '{"id":1}\n' >"$T/in"
	run "$EVPIPE" dedup --state "$T/st" "$T/in" -o /dev/full
	[[ $status -eq 3 ]]
	[[ ! -e $T/st ]]
}

@test "--state keeps times with --ttl and leaves expired keys out" {
	printf '{"k":1,"t":0}\n{"k":2,"t":50}\n{"k":3,"t":100}\n' >"$T/in1"
	run_to "$T/out" dedup -k .k --ttl 60s --time .t --state "$T/st" "$T/in1"
	[[ $status -eq 0 ]]
	# k 1 expired (newest 100, TTL 60): 2 keys of 24 bytes + 48
	[[ $(stat -c %s "$T/st") -eq $((48 + 2 * 24)) ]]
	printf '{"k":1,"t":101}\n{"k":2,"t":109}\n{"k":3,"t":110}\n{"k":2,"t":110}\n' >"$T/in2"
	run_to "$T/out" dedup -k .k --ttl 60s --time .t --state "$T/st" "$T/in2"
	same "$T/out" '{"k":1,"t":101}\n{"k":2,"t":110}\n'
}

@test "--state with a smaller --capacity keeps the most recent keys" {
	printf '{"k":1}\n{"k":2}\n{"k":3}\n' >"$T/in"
	run_to "$T/out" dedup -k .k --state "$T/st" "$T/in"
	printf '{"k":3}\n{"k":2}\n{"k":1}\n' >"$T/in2"
	run_to "$T/out" dedup -k .k --capacity 2 --state "$T/st" "$T/in2"
	same "$T/out" '{"k":1}\n'
}

@test "SIGTERM drains, flushes the output, then saves --state" {
	mkfifo "$T/fifo"
	"$EVPIPE" dedup -k .id --state "$T/st" --save-interval 1h <"$T/fifo" >"$T/out" 2>"$T/err" &
	pid=$!
	exec {w}>"$T/fifo"
	printf '{"id":1}\n{"id":2}\n{"id":1}\n' >&"$w"
	wait_for 2 "$T/out"
	[[ ! -e $T/st ]] # not yet: --save-interval 1h
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	exec {w}>&-
	[[ $rc -eq 143 ]]
	[[ -s $T/st ]]
	printf '{"id":1}\n{"id":2}\n{"id":3}\n' >"$T/in"
	run_to "$T/out2" dedup -k .id --state "$T/st" "$T/in"
	same "$T/out2" '{"id":3}\n'
}

@test "kill -9 between saves loses nothing; duplicates are bounded to the unsaved events" {
	seq 1 100 | sed 's/.*/{"id":&}/' >"$T/b1"
	seq 101 200 | sed 's/.*/{"id":&}/' >"$T/b2"
	seq 201 300 | sed 's/.*/{"id":&}/' >"$T/b3"
	mkfifo "$T/fifo"
	"$EVPIPE" dedup -k .id --state "$T/st" --save-interval 100ms <"$T/fifo" >"$T/out1" 2>"$T/err" &
	pid=$!
	exec {w}>"$T/fifo"
	cat "$T/b1" >&"$w"
	wait_for 100 "$T/out1"
	wait_file "$T/st" # saved once the input was idle for 100ms
	cat "$T/b2" >&"$w"
	wait_for 200 "$T/out1"
	kill -KILL "$pid"
	wait "$pid" || true
	exec {w}>&-
	# The restarted run sees everything again, plus new events.
	cat "$T/b1" "$T/b2" "$T/b3" >"$T/all"
	run_to "$T/out2" dedup -k .id --state "$T/st" "$T/all"
	[[ $status -eq 0 ]]
	# nothing lost: every id came out of one run or the other
	cat "$T/out1" "$T/out2" >"$T/both"
	diff <(seq 1 300) <(ids "$T/both" | sort -nu)
	# the saved batch is not repeated; at most the unsaved one is
	ids "$T/out2" >"$T/again"
	[[ $(head -1 "$T/again") -gt 100 ]]
	[[ $(grep -c . "$T/again") -le 200 ]]
	# and each event appears at most twice in all
	[[ -z $(ids "$T/both" | uniq -c | awk '$1 > 2') ]]
}

@test "on a busy input, --state is saved every --save-interval, after a flush" {
	# From a regular file the runner never waits for input, so a save
	# during the run can only come from its periodic check (every 1024
	# lines): more than one save means it happened.
	seq 1 50000 | sed 's/.*/{"id":&}/' >"$T/in"
	run_to "$T/out" -v dedup -k .id --state "$T/st" --save-interval 1ms "$T/in"
	[[ $status -eq 0 ]]
	[[ $(wc -l <"$T/out") -eq 50000 ]]
	n=$(sed -n 's/.*, \([0-9]*\) saves$/\1/p' <<<"$stderr")
	[[ $n -ge 2 ]] || fail "only $n saves: $stderr"
	[[ $(stat -c %s "$T/st") -eq $((48 + 50000 * 16)) ]]
}

@test "10000 distinct keys with --capacity 1000: memory stays bounded, newest kept" {
	seq 1 10000 | sed 's/.*/{"id":&}/' >"$T/in"
	run_to "$T/out" -v dedup -k .id --capacity 1000 --state "$T/st" "$T/in" "$T/in"
	[[ $status -eq 0 ]]
	# the second pass finds every key evicted by the time it comes back
	[[ $(wc -l <"$T/out") -eq 20000 ]]
	[[ $stderr == *"1000 keys held, 19000 evicted"* ]]
	[[ $(stat -c %s "$T/st") -eq $((48 + 1000 * 16)) ]]
}
