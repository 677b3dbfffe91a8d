#!/usr/bin/env bats
# kafka:// targets (evpipe-brokers(7)) against a real wire protocol: a
# three-broker mock cluster of librdkafka in its own process
# (tests/helpers/kafka-mock.c, on 127.0.0.1), with kcat as the independent
# consumer.  A missing kcat or helper fails the file.
load test_helper
load kafka_helper

setup_file() {
	kafka_mock_start ev:6 keyed:6 viakcat:6 big:3 blocks:6 routed:2 teed:2 splitted:2 \
		full:3 fullkey:3
}

teardown_file() {
	kafka_mock_stop
}

setup() {
	T=$BATS_TEST_TMPDIR
	BOOT=$(<"$BATS_FILE_TMPDIR/boot")
}

# consume TOPIC [KCAT ARGS...]: every message of TOPIC, from the beginning.
consume() {
	local topic=$1
	shift
	timeout 60 kcat -C -b "$BOOT" -t "$topic" -e -o beginning -q "$@"
}

@test "kafka: 100000 events arrive exactly once, byte for byte" {
	awk 'BEGIN { for (i = 1; i <= 100000; i++) printf "{\"id\":%d,\"k\":\"u%d\",\"pad\":\"%080d\"}\n", i, i % 97, i }' >"$T/in"
	run_to "$T/out" -o "kafka://$BOOT/ev?key={.k}" cat "$T/in"
	[[ $status -eq 0 ]] || fail "exit $status: $stderr"
	[[ ! -s $T/out ]]
	consume ev >"$T/got"
	[[ $(wc -l <"$T/got") -eq 100000 ]] || fail "$(wc -l <"$T/got") messages, want 100000"
	sort "$T/in" >"$T/in.sorted"
	sort "$T/got" >"$T/got.sorted"
	cmp "$T/in.sorted" "$T/got.sorted"
}

@test "kafka: a key always lands on the partition a Java client picks" {
	awk 'BEGIN { for (i = 1; i <= 600; i++) printf "{\"id\":%d,\"user\":\"user-%d\"}\n", i, i % 40 }' >"$T/in"
	run_to "$T/out" -o "kafka://$BOOT/keyed?key={.user}" cat "$T/in"
	[[ $status -eq 0 ]] || fail "exit $status: $stderr"
	consume keyed -f '%k %p\n' | sort -u >"$T/ours"
	# one partition per key, and more than one partition in use
	[[ $(wc -l <"$T/ours") -eq 40 ]] || { cat "$T/ours"; fail "a key on two partitions"; }
	[[ $(cut -d' ' -f2 "$T/ours" | sort -u | wc -l) -gt 1 ]]
	# kcat with the Java client's partitioner puts each key on the same one
	awk '{ print $1 ":x" }' "$T/ours" | kcat -P -b "$BOOT" -t viakcat -K: -X partitioner=murmur2_random
	consume viakcat -f '%k %p\n' | sort -u >"$T/theirs"
	diff -u "$T/theirs" "$T/ours"
}

@test "kafka: a message the broker refuses goes to --dlq with the broker's error" {
	{
		echo '{"id":1}'
		printf '{"id":2,"pad":"%05000d"}\n' 0
		echo '{"id":3}'
	} >"$T/in"
	run_to "$T/out" --dlq "$T/dlq" --kafka-set message.max.bytes=2000 -o "kafka://$BOOT/big" cat "$T/in"
	[[ $status -eq 3 ]] || fail "exit $status, want 3: $stderr"
	[[ $stderr == *"in:2: kafka://"*"Message size too large"* ]] || fail "stderr: $stderr"
	[[ $(wc -l <"$T/dlq") -eq 1 ]]
	jq -e '.event.id == 2 and .line == 2 and (.reason | test("Message size too large"))' "$T/dlq"
	consume big | sort >"$T/got"
	printf '{"id":1}\n{"id":3}\n' | cmp - "$T/got"
}

@test "kafka: refused messages of blocks in flight: each dead-lettered once, at its own line" {
	# 12.6 MB: blocks of 256 KiB, the next ones handed over while the
	# broker acknowledges those before; one too large a message in three
	# (keyed: spread evenly, as the mock keeps 5 MB of a partition)
	awk 'BEGIN { for (i = 1; i <= 30000; i++) printf "{\"id\":%d,\"pad\":\"%0*d\"}\n", i, (i == 7 || i == 12000 || i == 29999) ? 2500 : 400, i }' >"$T/in"
	run_to "$T/out" --dlq "$T/dlq" --kafka-set message.max.bytes=2000 -o "kafka://$BOOT/blocks?key={.id}" cat "$T/in"
	[[ $status -eq 3 ]] || fail "exit $status, want 3: $stderr"
	jq -c '[.line, .event.id, (.reason | test("Message size too large"))]' "$T/dlq" >"$T/dlq.lines"
	printf '[7,7,true]\n[12000,12000,true]\n[29999,29999,true]\n' | diff -u - "$T/dlq.lines"
	consume blocks | sort >"$T/got"
	awk 'NR != 7 && NR != 12000 && NR != 29999' "$T/in" | sort | cmp - "$T/got"
}

@test "kafka: a full client queue makes the target wait, never drop: every event once" {
	# librdkafka takes 50 messages at most: most batches of the target
	# are taken in part, and the rest waits for delivery reports
	awk 'BEGIN { for (i = 1; i <= 20000; i++) printf "{\"id\":%d,\"k\":\"k%d\"}\n", i, i % 7 }' >"$T/in"
	run_to "$T/out" --kafka-set queue.buffering.max.messages=50 -o "kafka://$BOOT/full" cat "$T/in"
	[[ $status -eq 0 ]] || fail "exit $status: $stderr"
	consume full | sort >"$T/got"
	sort "$T/in" | cmp - "$T/got"
	# the same with a key: the keys stay with their events
	run_to "$T/out" --kafka-set queue.buffering.max.messages=50 -o "kafka://$BOOT/fullkey?key={.k}" cat "$T/in"
	[[ $status -eq 0 ]] || fail "exit $status: $stderr"
	kcat -C -b "$BOOT" -t fullkey -e -q -f '%k %s\n' | jq -Rr 'split(" ") as [$k, $v] | ($v | fromjson | .k) == $k' | sort | uniq -c | awk '{ print $1, $2 }' >"$T/keys"
	[[ $(cat "$T/keys") == "20000 true" ]] || fail "keys: $(cat "$T/keys")"
}

@test "kafka: an event the key cannot be rendered for goes to --dlq" {
	printf '{"id":1,"k":"a"}\n{"id":2}\n' >"$T/in"
	run_to "$T/out" --dlq "$T/dlq" -o "kafka://$BOOT/big?key={.k}" cat "$T/in"
	[[ $status -eq 3 ]] || fail "exit $status: $stderr"
	jq -e '.event.id == 2 and (.reason | test("key"))' "$T/dlq"
}

@test "kafka: no broker: exit 3 with a message after message.timeout.ms" {
	echo '{"id":1}' >"$T/in"
	run_to "$T/out" --kafka-set message.timeout.ms=1000 -o "kafka://127.0.0.1:1/ev" cat "$T/in"
	[[ $status -eq 3 ]] || fail "exit $status, want 3: $stderr"
	[[ $stderr == *"not delivered within message.timeout.ms"* ]] || fail "stderr: $stderr"
	[[ $stderr == *"127.0.0.1:1"* ]]
}

@test "kafka: route --target, tee -t and split take kafka:// targets" {
	printf '{"id":1,"t":"a"}\n{"id":2,"t":"b"}\n{"id":3,"t":"a"}\n' >"$T/in"
	run_to "$T/out" route --when '.t == "a"' --target "kafka://$BOOT/routed" --else "$T/else" "$T/in"
	[[ $status -eq 0 ]] || fail "exit $status: $stderr"
	printf '{"id":1,"t":"a"}\n{"id":3,"t":"a"}\n' | cmp - <(consume routed | sort)
	printf '{"id":2,"t":"b"}\n' | cmp - "$T/else"
	run_to "$T/out" tee -t "kafka://$BOOT/teed" "$T/in"
	[[ $status -eq 0 ]] || fail "exit $status: $stderr"
	cmp "$T/in" "$T/out"
	cmp "$T/in" <(consume teed | sort)
	run_to "$T/out" split "kafka://$BOOT/splitted?key={.t}" "$T/in"
	[[ $status -eq 0 ]] || fail "exit $status: $stderr"
	printf 'a {"id":1,"t":"a"}\na {"id":3,"t":"a"}\nb {"id":2,"t":"b"}\n' | cmp - <(consume splitted -f '%k %s\n' | sort)
}

@test "kafka: --kafka-config reads properties, # comments and blank lines" {
	printf '# a comment\n\n  linger.ms = 1\nclient.id=evpipe-test\n' >"$T/props"
	echo '{"id":1}' >"$T/in"
	run_to "$T/out" --kafka-config "$T/props" -o "kafka://$BOOT/teed" cat "$T/in"
	[[ $status -eq 0 ]] || fail "exit $status: $stderr"
	printf 'no.such.property=1\n' >"$T/bad"
	run_to "$T/out" --kafka-config "$T/bad" -o "kafka://$BOOT/teed" cat "$T/in"
	[[ $status -eq 2 ]] || fail "exit $status, want 2"
	[[ $stderr == *"bad:1"*"no.such.property"* ]] || fail "stderr: $stderr"
	printf 'just words\n' >"$T/bad"
	run_to "$T/out" --kafka-config "$T/bad" -o "kafka://$BOOT/teed" cat "$T/in"
	[[ $status -eq 2 ]] && [[ $stderr == *"KEY=VALUE"* ]]
	run_to "$T/out" --kafka-config "$T/missing" -o "kafka://$BOOT/teed" cat "$T/in"
	[[ $status -eq 2 ]] && [[ $stderr == *missing* ]]
}

@test "kafka: bad URLs and unknown properties are usage errors" {
	echo '{"id":1}' >"$T/in"
	local spec
	for spec in 'kafka://' 'kafka://h:1' 'kafka://h:1/' 'kafka://h/t' \
		'kafka://h:0/t' 'kafka://h:1,/t' 'kafka://h:1/t?partition=1' \
		'kafka://h:1/t?key=' 'kafka://h:1/a b' 'kafka://h:1/t{.x}' \
		'kafka://h:1/t?key={.x'; do
		run_to "$T/out" -o "$spec" cat "$T/in"
		[[ $status -eq 2 ]] || fail "$spec: exit $status, want 2 ($stderr)"
		[[ $stderr == *"kafka://"* ]] || fail "$spec: $stderr"
	done
	run_to "$T/out" --kafka-set no.such=1 -o "kafka://$BOOT/ev" cat "$T/in"
	[[ $status -eq 2 ]] && [[ $stderr == *no.such* ]]
	run_to "$T/out" --kafka-set acks -o "kafka://$BOOT/ev" cat "$T/in"
	[[ $status -eq 2 ]] && [[ $stderr == *KEY=VALUE* ]]
	run_to "$T/out" split "kafka://h:1/t{.x}" "$T/in"
	[[ $status -eq 2 ]] || fail "split: exit $status"
	run_to "$T/out" --to csv -o "kafka://h:1/t" cat "$T/in"
	[[ $status -eq 2 ]] && [[ $stderr == *"NDJSON only"* ]]
}

@test "kafka: completion and --help know kafka:// and the --kafka options" {
	run "$EVPIPE" __complete targets
	assert_line 'kafka://'
	run "$EVPIPE" __complete global
	assert_line '--kafka-config'
	assert_line '--kafka-set'
	run "$EVPIPE" --help
	assert_output --partial 'kafka://HOST:PORT/TOPIC'
}
