# tests/bench/kafka.sh -- the "kafka" group of tests/bench/run, which
# sources it (it uses run's evpipe, dir, n, corpus, bytes, out and group).
#
# Starts the mock cluster of the tests (build/kafka-mock: three librdkafka
# mock brokers on 127.0.0.1, in memory), puts the corpus into a topic with
# kcat -P, then times
#  - consuming the topic into a file: evpipe -i kafka://...?group=G (a
#    consumer group member that commits what it wrote) against kcat -C -e
#    (assigns itself every partition, no group, no commits) and kcat -G -e
#    (a group member, as evpipe is).  The source has no end of topic (it
#    runs until stopped), so evpipe's run ends when the file holds the
#    whole corpus, byte for byte as many bytes, and is then stopped with
#    SIGTERM (it commits and leaves the group).  Each run is a new group,
#    so it reads from the beginning; a group member waits 3 s for the
#    group's first rebalance (group.initial.rebalance.delay.ms of a real
#    broker, hard-wired in the mock of librdkafka 2.0), which kcat -C
#    does not: one more run prints when evpipe's first event and its last
#    came, so the time after the wait compares with kcat -C's;
#    kafka-floor consume (tests/bench/kafka-floor.c: the smallest group
#    member on the same library, committing what it wrote) shows the
#    floor of a group member: its first message comes after the same
#    wait;
#  - producing the corpus from a file: evpipe -o kafka:// (idempotent,
#    every delivery report awaited) against kcat -P, kcat -P with
#    enable.idempotence=true, the guarantee evpipe's target gives, and
#    kafka-floor produce: evpipe's own JSON check of each line (what is
#    not JSON is never sent) and the same idempotent producer, in one
#    loop, the floor of what the target promises; the same with the
#    check on a thread of its own (as evpipe's reader does it); and
#    without the check, what the check costs.
# Topics get one partition per 3 MB of corpus: the mock keeps 5 MB of a
# partition and drops older messages past that.  KAFKA_MOCK names another
# mock binary.
# shellcheck shell=sh disable=SC2154 # evpipe, dir, n, ... are run's

kafka_bench() {
	mock=${KAFKA_MOCK:-$(dirname "$evpipe")/build/kafka-mock}
	floor=$(dirname "$evpipe")/build/kafka-floor
	for b in "$mock" "$floor"; do
		[ -x "$b" ] || {
			echo "bench: $b is not built (make helpers build/kafka-floor)" >&2
			exit 1
		}
	done
	command -v kcat >/dev/null 2>&1 || {
		echo "bench: kcat is missing (run 'make deps')" >&2
		exit 1
	}
	parts=$((bytes / 3000000 + 1))
	kd=$dir/kafka
	rm -rf "$kd"
	mkdir -p "$kd"
	mkfifo "$kd/hold"
	sleep 100000 >"$kd/hold" &
	hold_pid=$!
	"$mock" "corpus:$parts" "produced:$parts" <"$kd/hold" >"$kd/boot" 2>"$kd/mock.err" &
	mock_pid=$!
	# shellcheck disable=SC2064 # the pids now
	trap "kill $mock_pid $hold_pid 2>/dev/null" EXIT
	i=0
	while [ ! -s "$kd/boot" ] && [ $i -lt 250 ]; do
		sleep 0.02
		i=$((i + 1))
	done
	[ -s "$kd/boot" ] || {
		echo "bench: kafka-mock did not start: $(cat "$kd/mock.err")" >&2
		exit 1
	}
	boot=$(cat "$kd/boot")
	# one random partition per message: all of them fit
	kcat -P -b "$boot" -t corpus -X sticky.partitioning.linger.ms=0 <"$corpus"
	stored=$(kafka_count corpus)
	[ "$stored" -eq "$n" ] || {
		echo "bench: the topic holds $stored of $n events" >&2
		exit 1
	}
	echo "kafka: $n events in topic corpus, $parts partitions, 3 mock brokers"
	# evpipe until the file holds the corpus; a new group each run
	consume="$evpipe -i 'kafka://$boot/corpus?group=bench-'\$(date +%s%N) cat >$out & p=\$!;"
	consume="$consume while [ \$(stat -c %s $out 2>/dev/null || echo 0) -lt $bytes ]; do kill -0 \$p || exit 1; sleep 0.01; done;"
	consume="$consume kill -TERM \$p; wait \$p; [ \$? -eq 143 ]"
	group kafka-consume \
		"evpipe -i kafka://?group= (commits)" "$consume" \
		"kcat -C -e -o beginning" "kcat -C -b $boot -t corpus -e -o beginning -q >$out" \
		"kcat -G -e (a group member)" "kcat -b $boot -G bench-kcat-\$(date +%s%N) corpus -X auto.offset.reset=earliest -e -q >$out" \
		"kafka-floor consume (a group member, commits)" "$floor consume $boot corpus bench-floor-\$(date +%s%N) $bytes $out 2>/dev/null"
	kafka_join_time
	"$floor" consume "$boot" corpus "bench-floor-join-$(date +%s%N)" "$bytes" "$out"
	# The mock keeps 5 MB of a partition: the first runs into a new
	# topic also grow the mock's memory, which the later ones do not.
	# Two untimed runs bring the topic to where every timed one finds it.
	kcat -P -b "$boot" -t produced -l "$corpus"
	kcat -P -b "$boot" -t produced -l "$corpus"
	group kafka-produce \
		"evpipe -o kafka://" "$evpipe -o kafka://$boot/produced cat $corpus" \
		"kcat -P" "kcat -P -b $boot -t produced -l $corpus" \
		"kcat -P, idempotent" "kcat -P -b $boot -t produced -X enable.idempotence=true -l $corpus" \
		"evpipe cat | kcat -P (checked first)" "$evpipe cat $corpus | kcat -P -b $boot -t produced -X enable.idempotence=true" \
		"kafka-floor produce (check + idempotent producer)" "$floor produce $boot produced $corpus" \
		"kafka-floor produce-threaded (check on its own thread)" "$floor produce-threaded $boot produced $corpus" \
		"kafka-floor produce-unchecked (no check)" "$floor produce-unchecked $boot produced $corpus"
	echo "peak RSS of evpipe -o kafka://: $(peak_rss "$evpipe" -o "kafka://$boot/produced" cat "$corpus") kB"
	echo "peak RSS of kcat -P: $(peak_rss kcat -P -b "$boot" -t produced -l "$corpus") kB"
	kill "$mock_pid" "$hold_pid"
	trap - EXIT
	wait "$mock_pid" 2>/dev/null || true
	rm -rf "$kd"
}

# kafka_join_time: one more consuming run of evpipe, printing when (in
# seconds from its start) the first event and the last reached the file.
kafka_join_time() {
	rm -f "$out"
	t0=$(date +%s%N)
	"$evpipe" -i "kafka://$boot/corpus?group=bench-join-$t0" cat >"$out" &
	p=$!
	while [ ! -s "$out" ]; do
		kill -0 $p || exit 1
		sleep 0.01
	done
	t1=$(date +%s%N)
	while [ "$(stat -c %s "$out")" -lt "$bytes" ]; do
		kill -0 $p || exit 1
		sleep 0.01
	done
	t2=$(date +%s%N)
	kill -TERM $p
	wait $p || true
	echo "evpipe -i kafka://: the first event after $(kafka_secs "$t0" "$t1") s (the group's first rebalance), all of them after $(kafka_secs "$t0" "$t2") s: $(kafka_secs "$t1" "$t2") s from the first to the last"
}

# kafka_secs T0 T1: T1 - T0 (date +%s%N) in seconds, to 2 places.
kafka_secs() {
	echo "$1 $2" | awk '{ printf "%.2f", ($2 - $1) / 1e9 }'
}

# kafka_count TOPIC: how many messages TOPIC ever took (its partitions'
# end offsets; the mock starts each at 0).
kafka_count() {
	topic=$1 p=0
	set --
	while [ $p -lt "$parts" ]; do
		set -- "$@" -t "$topic:$p:-1"
		p=$((p + 1))
	done
	kcat -Q -b "$boot" "$@" | awk '{ s += $NF } END { print s + 0 }'
}
