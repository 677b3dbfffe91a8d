#!/usr/bin/env bats
# Broker message metadata (evpipe-brokers(7), METADATA): input_meta of
# the kafka:// source, message headers on the kafka:// target, and the
# librdkafka properties refused only when a client is made.  Against the
# three-broker mock cluster of librdkafka (tests/helpers/kafka-mock.c)
# with kcat as the independent peer, as in 63-kafka and 65-kafka-source.
load test_helper
load kafka_helper

setup_file() {
	kafka_mock_start meta:1 ta:1 tb:1 held:1 tb2:1 hd:2 cpsrc:1 cpdst:1
}

teardown_file() {
	kafka_mock_stop
}

setup() {
	T=$BATS_TEST_TMPDIR
	BOOT=$(<"$BATS_FILE_TMPDIR/boot")
}

# produce TOPIC [KCAT ARGS...] < lines: one message per line, partition 0
produce() {
	timeout 60 kcat -P -b "$BOOT" -t "$1" -p 0 "${@:2}"
}

# wait_lines FILE N: until FILE has at least N lines (at most 120 s)
wait_lines() {
	local i
	for ((i = 0; i < 1200; i++)); do
		[[ -f $1 && $(wc -l <"$1") -ge $2 ]] && return 0
		sleep 0.1
	done
	fail "$1: $(wc -l <"$1" 2>/dev/null) lines, want $2; $(cat "$3" 2>/dev/null)"
}

now_ms() {
	date +%s%3N
}

@test "input_meta: kcat's key and headers arrive as topic, partition, offset, key, timestamp, headers" {
	local t0 t1
	t0=$(now_ms)
	echo '{"id":1}' | produce meta -k k-1 -H msg-id=a -H trace=t1 -H msg-id=b -H flag
	echo '{"id":2}' | produce meta
	echo '{"id":3}' | produce meta -k $'bad\xffkey' -H $'v=\xc3(' -H $'n\x01=\xed\xa0\x80'
	consumer "$T/out" "meta?group=g-meta" map '{id, meta: input_meta}'
	wait_lines "$T/out" 3 "$T/out.err"
	term_wait "$PID"
	[[ $STOPPED -eq 143 ]] || fail "exit $STOPPED: $(cat "$T/out.err")"
	t1=$(now_ms)
	# the broker's create time: a number of milliseconds within the run
	jq -e --argjson t0 "$t0" --argjson t1 "$t1" \
		'.meta.timestamp | type == "number" and . >= $t0 - 1000 and . <= $t1' \
		"$T/out" >/dev/null || fail "timestamps: $(cat "$T/out")"
	jq -c '.meta.timestamp |= type' "$T/out" >"$T/got"
	diff -u "$FIXTURES/broker-meta/kcat.out.ndjson" "$T/got"
}

@test "input_meta: route by topic, dedup by a message-id header, split by topic" {
	{
		echo '{"id":1}' | produce ta -H msg-id=m1
		echo '{"id":2}' | produce ta -H msg-id=m2
		echo '{"id":3}' | produce ta -H msg-id=m1
		echo '{"id":4}' | produce tb -H msg-id=m4
		echo '{"id":5}' | produce tb -H msg-id=m4
		echo '{"id":6}' | produce tb -H msg-id=m6
	}
	mkdir "$T/split"
	consumer "$T/out" "ta,tb?group=g-route" \
		dedup -k 'input_meta.headers["msg-id"]' \
		then route -w 'input_meta.topic == "ta"' -t "$T/ta.ndjson" -c \
		then split "$T/split/{input_meta.topic}-{input_meta.partition}.ndjson"
	wait_lines "$T/split/ta-0.ndjson" 2 "$T/out.err"
	wait_lines "$T/split/tb-0.ndjson" 2 "$T/out.err"
	term_wait "$PID"
	[[ $STOPPED -eq 143 ]] || fail "exit $STOPPED: $(cat "$T/out.err")"
	same "$T/ta.ndjson" '{"id":1}\n{"id":2}\n'
	same "$T/split/ta-0.ndjson" '{"id":1}\n{"id":2}\n'
	same "$T/split/tb-0.ndjson" '{"id":4}\n{"id":6}\n'
	[[ ! -s $T/out ]]
}

@test "input_meta: records held by sort and batch still answer" {
	seq 1 5 | awk '{ printf "{\"id\":%d}\n", $1 }' | produce held -k same-key
	# sort holds one event (offsets as event times) and lets it go when
	# the next comes; batch emits its array with the metadata of its
	# first event.  The last event, held by sort and then by batch, is
	# written by the drain after SIGTERM.
	consumer "$T/out" "held?group=g-held" \
		sort --by 'input_meta.offset' -w 1d --max-held 1 \
		then map '. + {o: input_meta.offset, k: input_meta.key}' \
		then batch -n 2 \
		then map '{ids: map(.id), os: map(.o), ks: map(.k), first: input_meta.offset, t: input_meta.topic}'
	wait_lines "$T/out" 2 "$T/out.err"
	term_wait "$PID"
	[[ $STOPPED -eq 143 ]] || fail "exit $STOPPED: $(cat "$T/out.err")"
	diff -u "$FIXTURES/broker-meta/held.out.ndjson" "$T/out"
}

@test "input_meta: tee -t and batch --target templates name files by it" {
	mkdir "$T/tee" "$T/b"
	seq 1 5 | awk '{ printf "{\"id\":%d}\n", $1 }' | produce tb2 -k k
	consumer "$T/out" "tb2?group=g-tpl" \
		tee -t "$T/tee/{input_meta.topic}-{input_meta.key}.ndjson" \
		then batch -n 2 --target "$T/b/{input_meta.topic}-{input_meta.offset}.ndjson"
	wait_lines "$T/tee/tb2-k.ndjson" 5 "$T/out.err"
	local i
	for ((i = 0; i < 600; i++)); do
		[[ -e $T/b/tb2-2.ndjson ]] && break
		sleep 0.1
	done
	term_wait "$PID"
	[[ $STOPPED -eq 143 ]] || fail "exit $STOPPED: $(cat "$T/out.err")"
	same "$T/tee/tb2-k.ndjson" '{"id":1}\n{"id":2}\n{"id":3}\n{"id":4}\n{"id":5}\n'
	(cd "$T/b" && ls) >"$T/files"
	same "$T/files" 'tb2-0.ndjson\ntb2-2.ndjson\ntb2-4.ndjson\n'
	same "$T/b/tb2-2.ndjson" '{"id":3}\n{"id":4}\n'
	# the last batch was written by the drain after SIGTERM
	same "$T/b/tb2-4.ndjson" '{"id":5}\n'
}

@test "SIGTERM, the only end of a broker source: what commands hold is still evaluated" {
	mkfifo "$T/fifo"
	mkdir "$T/b"
	"$EVPIPE" --dlq "$T/dlq" tee -t "$T/seen" \
		then sort --by .t -w 1d then map '. + {n: (.t * 10)}' \
		then batch -n 10 --target "$T/b/{.k}.ndjson" <"$T/fifo" >"$T/out" 2>"$T/err" &
	local pid=$! rc=0
	exec {w}>"$T/fifo"
	printf '{"t":3,"k":"a"}\n{"t":1,"k":"a"}\n{"t":2,"k":"a"}\n' >&"$w"
	wait_lines "$T/seen" 3 "$T/err"
	kill -TERM "$pid"
	wait "$pid" || rc=$?
	exec {w}>&-
	[[ $rc -eq 143 ]] || fail "status $rc: $(cat "$T/err")"
	same "$T/b/a.ndjson" '{"t":1,"k":"a","n":10}\n{"t":2,"k":"a","n":20}\n{"t":3,"k":"a","n":30}\n'
	[[ ! -s $T/dlq ]] || fail "dead letters: $(cat "$T/dlq")"
}

@test "input_meta: null for a file, stdin and a socket; templates read it too" {
	printf '{"id":1}\n' >"$T/in.ndjson"
	run_to "$T/out" map '{id, m: input_meta}' "$T/in.ndjson"
	[[ $status -eq 0 ]]
	same "$T/out" '{"id":1,"m":null}\n'
	run_to "$T/out" sort --by .id -w 1s then batch -n 1 then map '[input_meta]' <"$T/in.ndjson"
	[[ $status -eq 0 ]]
	same "$T/out" '[null]\n'
	run_to "$T/out" filter 'input_meta == null' <"$T/in.ndjson"
	same "$T/out" '{"id":1}\n'
	# a template given null refuses the event, as for any null part
	run_to "$T/out" split "$T/{input_meta.topic}.ndjson" "$T/in.ndjson"
	[[ $status -eq 1 ]] && [[ $stderr == *"template part {input_meta.topic} is null: it must be a string, a number or a boolean"* ]]
	run_to "$T/out" map 'input_meta(1)' "$T/in.ndjson"
	[[ $status -eq 2 ]] && [[ $stderr == *"input_meta/1 is not defined"* ]]
}

@test "kafka target: &header= templates become message headers; an unrenderable one is dead-lettered" {
	cat >"$T/in" <<'END'
{"id":1,"trace":"t-1","n":5}
{"id":2,"n":6}
{"id":3,"trace":"t-3","n":7.5}
END
	run_to "$T/out" --dlq "$T/dlq" \
		-o "kafka://$BOOT/hd?key={.id}&header=trace:{.trace}&header=n:{.n}&header=origin:evpipe&header=amp:a{\"&\"}b" \
		cat "$T/in"
	[[ $status -eq 3 ]] || fail "exit $status: $stderr"
	[[ $stderr == *"header trace: template part {.trace} is null: it must be a string, a number or a boolean"* ]] || fail "$stderr"
	jq -c '[.source, .line, .event.id]' "$T/dlq" >"$T/d"
	same "$T/d" "[\"$T/in\",2,2]\n"
	jq -r .reason "$T/dlq" >"$T/why"
	[[ $(<"$T/why") == *"header trace: template part {.trace} is null: it must be a string, a number or a boolean" ]]
	timeout 60 kcat -C -b "$BOOT" -t hd -e -o beginning -q -f '%k %h %s\n' | sort >"$T/got"
	cat >"$T/want" <<'END'
1 trace=t-1,n=5,origin=evpipe,amp=a&b {"id":1,"trace":"t-1","n":5}
3 trace=t-3,n=7.5,origin=evpipe,amp=a&b {"id":3,"trace":"t-3","n":7.5}
END
	diff -u "$T/want" "$T/got"
	# and evpipe's own source reads them back as input_meta
	consumer "$T/back" "hd?group=g-hd" map '[.id, input_meta.key, input_meta.headers]'
	wait_lines "$T/back" 2 "$T/back.err"
	term_wait "$PID"
	sort "$T/back" >"$T/back.sorted"
	same "$T/back.sorted" '[1,"1",{"trace":"t-1","n":"5","origin":"evpipe","amp":"a&b"}]\n[3,"3",{"trace":"t-3","n":"7.5","origin":"evpipe","amp":"a&b"}]\n'
}

@test "kafka to kafka: the key and a header copied from input_meta, the events byte for byte" {
	printf '{"id":1, "v":1.50}\n' | produce cpsrc -k k1 -H trace=t1
	printf '{"id":2}\n' | produce cpsrc
	printf '{"id":3,"k":"x"}\n' | produce cpsrc -k k3 -H trace=t3 -H other=o
	consumer "$T/out" "cpsrc?group=g-copy" head -n 3 \
		-o "kafka://$BOOT/cpdst?key={input_meta.key}&header=trace:{input_meta.headers.trace // \"\"}&header=from:{input_meta.topic}-{input_meta.offset}"
	exit_wait "$PID"
	[[ $STOPPED -eq 0 ]] || fail "exit $STOPPED: $(cat "$T/out.err")"
	# %K is the key's length: -1 for a message without a key
	timeout 60 kcat -C -b "$BOOT" -t cpdst -e -o beginning -q -f '%K|%k|%h|%s\n' >"$T/got"
	cat >"$T/want" <<'END'
2|k1|trace=t1,from=cpsrc-0|{"id":1, "v":1.50}
-1||trace=,from=cpsrc-1|{"id":2}
2|k3|trace=t3,from=cpsrc-2|{"id":3,"k":"x"}
END
	diff -u "$T/want" "$T/got"
}

@test "kafka target: bad header parameters are usage errors before anything is opened" {
	echo '{"id":1}' >"$T/in"
	local spec
	for spec in 'h?header=x' 'h?header=:{.a}' 'h?header=a b:1' \
		'h?header={.name}:1' 'h?header=a:1&header=a:2' 'h?header=a:{.x' \
		'h?header=' 'h?key={.a}&key={.b}' 'h?key={.a}&partition=1'; do
		run_to "$T/out" --dlq "$T/dlq" -o "kafka://h:1/$spec" cat "$T/in"
		[[ $status -eq 2 ]] || fail "$spec: exit $status, want 2 ($stderr)"
		[[ $stderr == *"kafka://h:1/"* ]] || fail "$spec: $stderr"
		[[ ! -e $T/dlq ]] || fail "$spec: --dlq was opened"
	done
	run_to "$T/out" -o "kafka://h:1/h?header=a:1&header=a:2" cat "$T/in"
	[[ $stderr == *"header a given twice"* ]]
	run_to "$T/out" -o "kafka://h:1/h?header={.name}:1" cat "$T/in"
	[[ $stderr == *"event data never picks a header name"* ]]
	# input_meta: only where the target is handed each event's metadata
	run_to "$T/out" stats -t "kafka://h:1/h?header=a:{input_meta.topic}" "$T/in"
	[[ $status -eq 2 ]] || fail "stats -t: exit $status ($stderr)"
	[[ $stderr == *"input_meta is null here (only -o, route -t, tee -t and split"* ]] || fail "$stderr"
	# --help names the syntax
	run "$EVPIPE" --help
	assert_output --partial 'kafka://HOST:PORT/TOPIC[?key={EXPR}][&header=NAME:{EXPR}...]'
	# at most 32 headers
	spec="kafka://h:1/h?header=h0:x"
	for ((i = 1; i <= 32; i++)); do spec+="&header=h$i:x"; done
	run_to "$T/out" -o "$spec" cat "$T/in"
	[[ $status -eq 2 ]] && [[ $stderr == *"33 headers, at most 32"* ]]
}

@test "kafka target: a header value over 64 KiB is dead-lettered" {
	printf '{"id":1,"v":"%065536d"}\n{"id":2,"v":"%065537d"}\n' 0 0 >"$T/in"
	run_to "$T/out" --dlq "$T/dlq" -o "kafka://$BOOT/hd?header=v:{.v}" cat "$T/in"
	[[ $status -eq 3 ]] || fail "exit $status: $stderr"
	jq -c '[.line, (.reason | sub(".*: header"; "header"))]' "$T/dlq" >"$T/d"
	same "$T/d" '[2,"header v: the value is longer than 65536 bytes"]\n'
}

@test "late librdkafka configuration errors: exit 2 with librdkafka's reason, before any output opens" {
	echo '{"id":1}' >"$T/in"
	# the target: accepted by each property, refused by rd_kafka_new()
	run_to "$T/out" --dlq "$T/dlq" --kafka-set enable.idempotence=true \
		--kafka-set acks=1 -o "kafka://$BOOT/hd" cat "$T/in"
	[[ $status -eq 2 ]] || fail "exit $status: $stderr"
	[[ $stderr == *'`acks` must be set to `all` when `enable.idempotence` is true'* ]] || fail "$stderr"
	[[ ! -e $T/dlq ]]
	# the same for a target of a command
	run_to "$T/out" --dlq "$T/dlq" --kafka-set acks=1 \
		route -w true -t "kafka://$BOOT/hd" "$T/in"
	[[ $status -eq 2 ]] || fail "route: exit $status: $stderr"
	[[ $stderr == *'`acks` must be set to `all`'* ]] || fail "$stderr"
	[[ ! -e $T/dlq ]]
	# the source: the consumer refuses a poll interval below the session timeout
	run_to "$T/out" -i "kafka://$BOOT/meta?group=g-late" -o "$T/o.ndjson" \
		--kafka-set session.timeout.ms=6000 --kafka-set max.poll.interval.ms=1000 cat
	[[ $status -eq 2 ]] || fail "exit $status: $stderr"
	[[ $stderr == *'`max.poll.interval.ms`must be >= `session.timeout.ms`'* ]] || fail "$stderr"
	[[ $stderr == *"-i kafka://"* ]]
	[[ ! -e $T/o.ndjson ]]
}
