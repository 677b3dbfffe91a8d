#!/usr/bin/env bats
# -i kafka://: a consumer group member that commits only what was
# delivered (evpipe-brokers(7)), against the three-broker mock cluster of
# librdkafka (tests/helpers/kafka-mock.c) with kcat as the producer.  The
# mock's first group join takes about 3 s, and it never assigns with a
# session timeout below 3 s: the consumers run with 6 s.
load test_helper
load kafka_helper

setup_file() {
	kafka_mock_start rt:4 kill:3 poison:2 pair:4 held:1 multi:1
}

teardown_file() {
	kafka_mock_stop
}

setup() {
	T=$BATS_TEST_TMPDIR
	BOOT=$(<"$BATS_FILE_TMPDIR/boot")
}

# produce TOPIC < lines: one message per line
produce() {
	timeout 60 kcat -P -b "$BOOT" -t "$1" "${@:2}"
}

# wait_lines FILE N: until FILE has at least N lines (at most 120 s)
wait_lines() {
	local i
	for ((i = 0; i < 1200; i++)); do
		[[ -f $1 && $(wc -l <"$1") -ge $2 ]] && return 0
		sleep 0.1
	done
	fail "$1: $(wc -l <"$1") lines, want $2; $(cat "$1.err" 2>/dev/null)"
}

ids() {
	jq -r .id "$@" | sort
}

@test "kafka source: 100000 events produced by kcat arrive, every id once" {
	seq 1 100000 | awk '{ printf "{\"id\":%d,\"pad\":\"%040d\"}\n", $1, $1 }' >"$T/in"
	# One random partition per message.  librdkafka's sticky partitioner
	# gives one partition every message of a 10 ms window; on a loaded
	# machine (batches fill up to kcat's 10,000 messages) one partition
	# can get 80,000 or more, over 5 MB, and the mock keeps 5 MB of a
	# partition: it silently dropped the oldest 10,000-message batch and
	# the topic held 90,000, which is what evpipe read in CI.
	produce rt -X sticky.partitioning.linger.ms=0 <"$T/in"
	# what the topic holds, read back by kcat, the independent peer
	timeout 60 kcat -C -b "$BOOT" -t rt -e -o beginning -q | jq -r .id | sort -n >"$T/want"
	seq 1 100000 | cmp - "$T/want" || fail "the topic holds $(wc -l <"$T/want") of 100000 messages"
	n=100000
	consumer "$T/out" "rt?group=g-rt" cat
	wait_lines "$T/out" "$n"
	term_wait "$PID"
	[[ $STOPPED -eq 143 ]] || fail "exit $STOPPED: $(cat "$T/out.err")"
	[[ $(wc -l <"$T/out") -eq $n ]]
	jq -r .id "$T/out" | sort -n >"$T/got"
	cmp "$T/want" "$T/got"
	# committed: the group starts after them
	echo '{"id":"next"}' | produce rt
	consumer "$T/out2" "rt?group=g-rt" cat
	wait_lines "$T/out2" 1
	term_wait "$PID"
	same "$T/out2" '{"id":"next"}\n'
}

@test "kafka source: kill -9 mid-run, restart in the group: nothing lost" {
	seq 1 30000 | awk '{ printf "{\"id\":%d}\n", $1 }' >"$T/in"
	produce kill <"$T/in"
	# slowed down (about 10000 a second) so that it dies mid-stream
	consumer "$T/a" "kill?group=g-kill" --line-buffered throttle -r 1000/100ms --mode delay --max-delay 1h
	wait_lines "$T/a" 12000
	kill -9 "$PID"
	wait "$PID" || true
	consumer "$T/b" "kill?group=g-kill" cat
	# everything the first did not write arrives
	local i
	for ((i = 0; i < 600; i++)); do
		cat "$T/a" "$T/b" | jq -r .id | sort -u | wc -l >"$T/n"
		[[ $(<"$T/n") -ge 30000 ]] && break
		sleep 0.1
	done
	term_wait "$PID"
	cat "$T/a" "$T/b" | jq -r .id | sort -u >"$T/got"
	seq 1 30000 | sort >"$T/want"
	cmp "$T/want" "$T/got"
	# duplicates: what was written but not yet committed, never all of it
	local dups=$(($(cat "$T/a" "$T/b" | wc -l) - 30000))
	echo "kill -9 after $(wc -l <"$T/a") events; duplicates: $dups" >&3
	[[ $(wc -l <"$T/a") -lt 30000 && $dups -lt 30000 ]]
}

@test "kafka source: a poison message is dead-lettered at kafka://topic/partition@offset and committed" {
	{
		echo '{"id":1}'
		echo 'not json'
		echo '{"id":3}'
	} | produce poison -p 0
	consumer "$T/out" "poison?group=g-poison" --dlq "$T/dlq" cat
	wait_lines "$T/out" 2
	term_wait "$PID"
	[[ $STOPPED -eq 143 ]]
	same "$T/out" '{"id":1}\n{"id":3}\n'
	jq -c '[.source, .event]' "$T/dlq" >"$T/d"
	same "$T/d" '["kafka://poison/0@1","not json"]\n'
	grep -q 'evpipe: input: kafka://poison/0@1: invalid JSON' "$T/out.err"
	# restarted, the group is past all three
	echo '{"id":4}' | produce poison -p 0
	consumer "$T/out2" "poison?group=g-poison" --dlq "$T/dlq2" cat
	wait_lines "$T/out2" 1
	term_wait "$PID"
	same "$T/out2" '{"id":4}\n'
	[[ ! -s $T/dlq2 ]]
}

@test "kafka source: a message of several lines counts once all its events are out" {
	printf '{"id":"m1"}\n{"id":"m2"}\n\n{"id":"m3"}' | produce multi -p 0 -D '\0'
	consumer "$T/out" "multi?group=g-multi" cat
	wait_lines "$T/out" 3
	term_wait "$PID"
	same "$T/out" '{"id":"m1"}\n{"id":"m2"}\n{"id":"m3"}\n'
	# two of its three events written, the third held: not committed
	consumer "$T/b" "multi?group=g-multi2" batch -n 2
	wait_lines "$T/b" 1
	sleep 2.5 # a delivery point and a commit went by
	kill -9 "$PID"
	wait "$PID" || true
	same "$T/b" '[{"id":"m1"},{"id":"m2"}]\n'
	consumer "$T/c" "multi?group=g-multi2" cat
	wait_lines "$T/c" 3
	term_wait "$PID"
	same "$T/c" '{"id":"m1"}\n{"id":"m2"}\n{"id":"m3"}\n'
}

@test "kafka source: events held by batch are not committed; SIGTERM writes and commits them" {
	seq 1 10 | awk '{ printf "{\"id\":%d}\n", $1 }' | produce held -p 0
	# batches of 4: 8 go out in two, 9 and 10 are held
	consumer "$T/out" "held?group=g-batch" batch -n 4
	wait_lines "$T/out" 2
	sleep 2.5 # a delivery point and a commit went by
	kill -9 "$PID"
	wait "$PID" || true
	jq -c . "$T/out" >"$T/got"
	same "$T/got" '[{"id":1},{"id":2},{"id":3},{"id":4}]\n[{"id":5},{"id":6},{"id":7},{"id":8}]\n'
	# never written, never committed: the group gives them again
	consumer "$T/out2" "held?group=g-batch" batch -n 4
	sleep 8 # joined (about 3 s in the mock) and read 9 and 10
	term_wait "$PID"
	[[ $STOPPED -eq 143 ]] || fail "exit $STOPPED: $(cat "$T/out2.err")"
	# SIGTERM drained the batch: written, then committed
	jq -c . "$T/out2" >"$T/got2"
	same "$T/got2" '[{"id":9},{"id":10}]\n'
	echo '{"id":11}' | produce held -p 0
	consumer "$T/out3" "held?group=g-batch" cat
	wait_lines "$T/out3" 1
	term_wait "$PID"
	same "$T/out3" '{"id":11}\n'
}

@test "kafka source: two consumers in a group, one leaves: nothing lost" {
	seq 1 20000 | awk '{ printf "{\"id\":%d}\n", $1 }' >"$T/in"
	consumer "$T/a" "pair?group=g-pair" cat
	local pa=$PID pb
	consumer "$T/b" "pair?group=g-pair" cat
	pb=$PID
	sleep 6
	produce pair <"$T/in"
	sleep 2
	term_wait "$pb"
	[[ $STOPPED -eq 143 ]]
	local i
	for ((i = 0; i < 600; i++)); do
		[[ $(cat "$T/a" "$T/b" | jq -r .id | sort -u | wc -l) -ge 20000 ]] && break
		sleep 0.1
	done
	term_wait "$pa"
	cat "$T/a" "$T/b" | jq -r .id | sort -u >"$T/got"
	seq 1 20000 | sort >"$T/want"
	cmp "$T/want" "$T/got"
}

@test "kafka source: bad URLs are usage errors, unreachable brokers exit 3" {
	run_to "$T/out" -i "kafka://$BOOT/rt" cat
	[[ $status -eq 2 ]]
	[[ $stderr == *"needs ?group=NAME"* ]]
	run_to "$T/out" -i "kafka://$BOOT/?group=g" cat
	[[ $status -eq 2 ]]
	[[ $stderr == *"not a topic list"* ]]
	run_to "$T/out" -i "kafka://$BOOT/rt?group=g&offset=middle" cat
	[[ $status -eq 2 ]]
	run_to "$T/out" -i "kafka://$BOOT/rt?group=g" --from csv cat
	[[ $status -eq 2 ]]
	run_to "$T/out" -i "kafka://$BOOT/rt?group=g" --kafka-set no.such.property=1 cat
	[[ $status -eq 2 ]]
	status=0
	timeout 30 "$EVPIPE" -i "kafka://127.0.0.1:1/rt?group=g" cat >"$T/out" 2>"$T/err" || status=$?
	[[ $status -eq 3 ]] || fail "exit $status: $(cat "$T/err")"
	grep -q 'cannot reach the brokers' "$T/err"
	status=0
	timeout 30 "$EVPIPE" -i "kafka://$BOOT/nosuchtopic?group=g" cat >"$T/out" 2>"$T/err" || status=$?
	[[ $status -eq 3 ]] || fail "exit $status: $(cat "$T/err")"
	grep -q "no topic 'nosuchtopic'" "$T/err"
}
