#!/usr/bin/env bats
# Kafka in operation (evpipe-brokers(7)): a broker going down and coming
# back while evpipe produces, a leader moving to another broker, a group
# member killed with SIGKILL while another takes over its partitions, and
# the memory of a consumer whose downstream has stalled.  The peers are
# the three-broker mock cluster of librdkafka (tests/helpers/kafka-mock.c,
# driven through its control channel) and kcat, which reads back what the
# topics hold.  A missing kcat or helper fails the file.
load test_helper
load kafka_helper

setup_file() {
	# The mock keeps 5 MB of a partition and silently drops its oldest
	# message sets past that: every topic here has room for all it is
	# given, spread evenly (by key, or one random partition per message:
	# librdkafka's sticky partitioner can put most of a fast run into
	# one partition).
	kafka_mock_start down:6 failover:6 scale:6 mem:48
}

teardown_file() {
	kafka_mock_stop
}

setup() {
	T=$BATS_TEST_TMPDIR
	BOOT=$(<"$BATS_FILE_TMPDIR/boot")
}

teardown() {
	# a consumer or producer a failed test left running
	local p
	for p in ${PIDS:-}; do
		kill -9 "$p" 2>/dev/null || true
	done
	if [[ -s $T/sleep.pid ]]; then
		kill "$(<"$T/sleep.pid")" 2>/dev/null || true
	fi
}

# consume TOPIC: every message of TOPIC, from the beginning.
consume() {
	timeout 120 kcat -C -b "$BOOT" -t "$1" -e -o beginning -q
}

# topic_end TOPIC PARTITIONS: the sum of the partitions' end offsets,
# that is how many messages were ever appended (the mock starts at 0).
topic_end() {
	local args=() p
	for ((p = 0; p < $2; p++)); do
		args+=(-t "$1:$p:-1")
	done
	timeout 30 kcat -Q -b "$BOOT" "${args[@]}" | awk '{ s += $NF } END { print s + 0 }'
}

# events N: N events with ids 1..N, 101 bytes each.
events() {
	awk -v n="$1" 'BEGIN { for (i = 1; i <= n; i++) printf "{\"id\":%d,\"pad\":\"%080d\"}\n", i, i }'
}

# produce_through_outage TOPIC PARTITIONS OUTAGE...: evpipe produces 100,000
# events to TOPIC from a pipe: 30,000 first, then, once the topic holds
# them, the rest while the mock runs the OUTAGE commands (a comma
# separates the commands given at once from those 3 s later).  Leaves
# the input in $T/in and evpipe's exit status in $status.
produce_through_outage() {
	local topic=$1 parts=$2 pid i w cmd
	shift 2
	events 100000 >"$T/in"
	mkfifo "$T/src"
	"$EVPIPE" -o "kafka://$BOOT/$topic?key={.id}" cat <"$T/src" >"$T/out" 2>"$T/err" &
	pid=$!
	PIDS=$pid
	exec 4>"$T/src"
	head -n 30000 "$T/in" >&4
	for ((i = 0; i < 600; i++)); do
		(($(topic_end "$topic" "$parts") >= 30000)) && break
		sleep 0.1
	done
	(($(topic_end "$topic" "$parts") == 30000)) ||
		fail "the topic holds $(topic_end "$topic" "$parts") of the first 30000"
	# the rest streams in while the brokers fail
	tail -n +30001 "$T/in" >&4 &
	w=$!
	sleep 0.2
	for cmd in "$@"; do
		if [[ $cmd == , ]]; then
			sleep 3
			continue
		fi
		kafka_mock_ctl "$cmd"
	done
	kill -0 "$pid" || fail "evpipe ended before the brokers were back: $(cat "$T/err")"
	wait "$w"
	exec 4>&-
	status=0
	wait "$pid" || status=$?
}

@test "kafka: the leader of three partitions goes down mid-run and comes back: every event once" {
	local p
	for p in 0 1 2; do
		kafka_mock_ctl "leader down $p 1"
	done
	for p in 3 4 5; do
		kafka_mock_ctl "leader down $p 2"
	done
	produce_through_outage down 6 "down 1" , "up 1"
	[[ $status -eq 0 ]] || fail "exit $status: $(cat "$T/err")"
	[[ ! -s $T/err ]] || fail "stderr: $(cat "$T/err")"
	# no message appended twice (retries after the lost connections)...
	[[ $(topic_end down 6) -eq 100000 ]] || fail "$(topic_end down 6) messages appended, want 100000"
	# ...and every event there, byte for byte
	consume down | sort >"$T/got"
	sort "$T/in" | cmp - "$T/got"
}

@test "kafka: the leader goes down and another broker takes its partitions: every event once" {
	local p
	for p in 0 1 2 3 4 5; do
		kafka_mock_ctl "leader failover $p 1"
	done
	produce_through_outage failover 6 "down 1" \
		"leader failover 0 2" "leader failover 1 3" "leader failover 2 2" \
		"leader failover 3 3" "leader failover 4 2" "leader failover 5 3" , "up 1"
	[[ $status -eq 0 ]] || fail "exit $status: $(cat "$T/err")"
	[[ ! -s $T/err ]] || fail "stderr: $(cat "$T/err")"
	[[ $(topic_end failover 6) -eq 100000 ]] || fail "$(topic_end failover 6) messages appended, want 100000"
	consume failover | sort >"$T/got"
	sort "$T/in" | cmp - "$T/got"
}

# member OUT: an evpipe in group g-scale on topic scale, slowed down to
# about 5000 events a second so that a run lasts long enough to be cut;
# its pid is appended to PIDS and left in PID.
member() {
	"$EVPIPE" -i "kafka://$BOOT/scale?group=g-scale" \
		--kafka-set session.timeout.ms=6000 --line-buffered \
		throttle -r 500/100ms --mode delay --max-delay 1h >"$1" 2>"$1.err" &
	PID=$!
	PIDS="${PIDS:-} $PID"
}

@test "kafka source: two members of a group, one killed with SIGKILL mid-run: the other takes over, nothing lost" {
	local n=100000 a b i a0 a1
	seq 1 "$n" | awk '{ printf "{\"id\":%d}\n", $1 }' |
		timeout 60 kcat -P -b "$BOOT" -t scale -X sticky.partitioning.linger.ms=0
	[[ $(topic_end scale 6) -eq $n ]]
	member "$T/a"
	a=$PID
	member "$T/b"
	b=$PID
	# both have partitions and are reading
	for ((i = 0; i < 1200; i++)); do
		[[ $(wc -l <"$T/a") -ge 5000 && $(wc -l <"$T/b") -ge 5000 ]] && break
		sleep 0.1
	done
	[[ $(wc -l <"$T/a") -ge 5000 && $(wc -l <"$T/b") -ge 5000 ]] ||
		fail "a: $(wc -l <"$T/a") lines, b: $(wc -l <"$T/b") lines"
	# what a has written by now is committed before it dies (a commit
	# goes out every second while events flow)
	a0=$(wc -l <"$T/a")
	sleep 2.5
	kill -9 "$a"
	wait "$a" || true
	a1=$(wc -l <"$T/a")
	((a1 < n)) || fail "a read everything before it was killed"
	# b gets a's partitions after the session timeout, from a's commits
	for ((i = 0; i < 1800; i++)); do
		[[ $(cat "$T/a" "$T/b" | jq -r .id | sort -u | wc -l) -ge $n ]] && break
		sleep 0.1
	done
	kill -TERM "$b"
	status=0
	wait "$b" || status=$?
	[[ $status -eq 143 ]] || fail "b: exit $status: $(cat "$T/b.err")"
	cat "$T/a" "$T/b" | jq -r .id | sort -u >"$T/got"
	seq 1 "$n" | sort | cmp - "$T/got"
	# Duplicates: what a wrote after its last commit, read again by b;
	# and what a member had read of its partitions when the group took
	# them back to reassign them, never committed and so read again.
	local both own_a own_b
	jq -r .id "$T/a" | sort >"$T/a.ids"
	jq -r .id "$T/b" | sort >"$T/b.ids"
	both=$(comm -12 <(uniq "$T/a.ids") <(uniq "$T/b.ids") | wc -l)
	own_a=$(($(wc -l <"$T/a.ids") - $(uniq "$T/a.ids" | wc -l)))
	own_b=$(($(wc -l <"$T/b.ids") - $(uniq "$T/b.ids" | wc -l)))
	echo "# killed a after $a1 events ($((a1 - a0)) in its last 2.5 s); b wrote $(wc -l <"$T/b"); duplicates: $both of a's, $own_b of b's own, $own_a of a's own" >&3
	((both <= a1 - a0)) || fail "$both of a's events again, more than its last $((a1 - a0))"
	(($(wc -l <"$T/a") + $(wc -l <"$T/b") - n == both + own_a + own_b))
}

@test "kafka source: a stalled downstream: a million events wait in the topic, not in evpipe's memory" {
	local n=1000000 i pid hwm
	plain_build "measuring memory"
	# 101-byte events (librdkafka's queue costs about 0.3 KB a message
	# beyond its bytes: evpipe-brokers(7) has the figures for smaller ones)
	events "$n" | timeout 120 kcat -P -b "$BOOT" -t mem -X sticky.partitioning.linger.ms=0
	# all of them are in the topic (the mock drops what does not fit)
	[[ $(consume mem | wc -l) -eq $n ]] || fail "the topic holds $(consume mem | wc -l) of $n"
	# the downstream reads 100,000 events and then never again
	"$PLAIN" -i "kafka://$BOOT/mem?group=g-mem" --kafka-set session.timeout.ms=6000 \
		-o "exec:echo \$\$ >$T/sleep.pid; head -n 100000 >$T/got; exec sleep 600" \
		cat >"$T/out" 2>"$T/err" &
	pid=$!
	PIDS=$pid
	for ((i = 0; i < 1200; i++)); do
		[[ -f $T/got && $(wc -l <"$T/got") -ge 100000 ]] && break
		sleep 0.1
	done
	[[ $(wc -l <"$T/got") -eq 100000 ]] || fail "the downstream got $(wc -l <"$T/got") events: $(cat "$T/err")"
	# evpipe fills its pipe and what it may prefetch, then waits
	sleep 5
	kill -0 "$pid" || fail "evpipe ended: $(cat "$T/err")"
	hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status")
	echo "# peak RSS of the stalled consumer: $hwm kB" >&3
	((hwm < 65536)) || fail "peak RSS $hwm kB, want under 64 MB"
	kill -9 "$pid" "$(<"$T/sleep.pid")"
	wait "$pid" 2>/dev/null || true
}
