#!/usr/bin/env bats
# -i nats://: a JetStream durable pull consumer that acknowledges only what
# was delivered (evpipe-brokers(7)), against a real nats-server with
# JetStream on 127.0.0.1, a random port and its own store.  The messages
# are published, and the consumer's state read back, by
# tests/helpers/nats-peer.c (libnats), the independent peer.  A missing
# nats-server or helper fails the file.
load test_helper
load nats_helper

setup_file() {
	nats_require
	nats_server_start "$BATS_FILE_TMPDIR/ns"
}

teardown_file() {
	nats_nodes_stop
}

setup() {
	T=$BATS_TEST_TMPDIR
	NS=$(<"$BATS_FILE_TMPDIR/ns/url")
	nats_require
}

peer() {
	timeout 120 "$PEER" "nats://$NS" "$@"
}

# consumer OUT URL [EVPIPE ARGS...]: evpipe in the background consuming
# nats://$NS/URL into OUT (stderr in OUT.err); its pid in PID.
consumer() {
	local out=$1 url=$2
	shift 2
	"$EVPIPE" -i "nats://$NS/$url" "$@" >"$out" 2>"$out.err" &
	PID=$!
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

# wait_state STREAM CONSUMER WORDS...: until the consumer's state (as
# nats-peer prints it) holds every word, e.g. ack_pending=0 (at most 30 s:
# acknowledgements are published without waiting for an answer)
wait_state() {
	local stream=$1 name=$2 i w ok
	shift 2
	for ((i = 0; i < 300; i++)); do
		STATE=$(peer consumer "$stream" "$name") || fail "no consumer $name"
		ok=1
		for w in "$@"; do
			[[ " $STATE " == *" $w "* ]] || ok=0
		done
		((ok)) && return 0
		sleep 0.1
	done
	fail "consumer $name: $STATE, want $*"
}

@test "nats source: 100000 events published by the peer arrive once, byte for byte, all acknowledged" {
	peer stream RT 'rt.>'
	awk 'BEGIN { for (i = 1; i <= 100000; i++) printf "{\"id\":%d,\"k\":\"u%d\",\"pad\":\"%060d\"}\n", i, i % 7, i }' >"$T/in"
	peer pub rt.a <"$T/in"
	consumer "$T/out" "RT?consumer=all" cat
	wait_lines "$T/out" 100000
	term_wait "$PID"
	[[ $STOPPED -eq 143 ]] || fail "exit $STOPPED: $(cat "$T/out.err")"
	# in order (one consumer, one subject) and byte for byte
	cmp "$T/in" "$T/out"
	wait_state RT all pending=0 ack_pending=0 redelivered=0 ack_floor=100000
	# the consumer stays (made by evpipe, and not deleted at its end):
	# a second run starts after what was acknowledged
	echo '{"id":"next"}' | peer pub rt.b
	consumer "$T/out2" "RT?consumer=all" cat
	wait_lines "$T/out2" 1
	term_wait "$PID"
	same "$T/out2" '{"id":"next"}\n'
}

@test "nats source: kill -9 mid-run, restart on the same consumer: nothing lost, duplicates bounded" {
	peer stream KL 'kl.>'
	# AckWait 2 s: what the killed one held comes back soon
	peer mkconsumer KL dur 2000
	seq 1 30000 | awk '{ printf "{\"id\":%d}\n", $1 }' | peer pub kl.x
	# slowed down (about 10000 a second) so that it dies mid-stream
	consumer "$T/a" "KL?consumer=dur" --line-buffered throttle -r 1000/100ms --mode delay --max-delay 1h
	wait_lines "$T/a" 12000
	kill -9 "$PID"
	wait "$PID" || true
	consumer "$T/b" "KL?consumer=dur" cat
	local i
	for ((i = 0; i < 600; i++)); do
		cat "$T/a" "$T/b" | jq -r .id | sort -u | wc -l >"$T/n"
		[[ $(<"$T/n") -ge 30000 ]] && break
		sleep 0.1
	done
	wait_state KL dur pending=0 ack_pending=0
	term_wait "$PID"
	[[ $STOPPED -eq 143 ]] || fail "exit $STOPPED: $(cat "$T/b.err")"
	cat "$T/a" "$T/b" | jq -r .id | sort -u >"$T/got"
	seq 1 30000 | sort >"$T/want"
	cmp "$T/want" "$T/got"
	# duplicates: written by the first but not yet acknowledged (since
	# its last delivery point, about a second's worth), never all of it;
	# what it had fetched and not written comes again, once
	local na nb dups
	na=$(wc -l <"$T/a")
	nb=$(wc -l <"$T/b")
	dups=$((na + nb - 30000))
	echo "# kill -9 after $na events; duplicates: $dups" >&3
	((na < 30000 && dups < na))
}

@test "nats source: two evpipe on one durable share the messages, together every id once" {
	peer stream PR 'pr.>'
	consumer "$T/a" "PR?consumer=pair" cat
	local pa=$PID pb
	consumer "$T/b" "PR?consumer=pair" cat
	pb=$PID
	seq 1 20000 | awk '{ printf "{\"id\":%d}\n", $1 }' | peer pub pr.x
	local i
	for ((i = 0; i < 1200; i++)); do
		[[ $(cat "$T/a" "$T/b" | wc -l) -ge 20000 ]] && break
		sleep 0.1
	done
	term_wait "$pa"
	[[ $STOPPED -eq 143 ]]
	term_wait "$pb"
	[[ $STOPPED -eq 143 ]]
	cat "$T/a" "$T/b" | jq -r .id | sort >"$T/got"
	seq 1 20000 | sort >"$T/want"
	cmp "$T/want" "$T/got"
	# both took a share
	[[ -s $T/a && -s $T/b ]] || fail "a: $(wc -l <"$T/a"), b: $(wc -l <"$T/b")"
	wait_state PR pair pending=0 ack_pending=0
}

@test "nats source: a poison message is dead-lettered at nats://STREAM#SEQ and acknowledged" {
	peer stream PO 'po.>'
	# not JSON, longer than --max-line, invalid against the schema
	printf '{"id":1}\nnot json\n{"id":3}\n{"id":4,"pad":"%0300d"}\n{"id":"five"}\n{"id":6}\n' 0 | peer pub po.x
	echo '{"properties":{"id":{"type":"integer"}}}' >"$T/schema.json"
	consumer "$T/out" "PO?consumer=c" --dlq "$T/dlq" --max-line 200 validate -s "$T/schema.json"
	wait_lines "$T/out" 3
	wait_state PO c pending=0 ack_pending=0 ack_floor=6
	term_wait "$PID"
	[[ $STOPPED -eq 143 ]]
	same "$T/out" '{"id":1}\n{"id":3}\n{"id":6}\n'
	jq -c '[.stage, .source]' "$T/dlq" >"$T/d"
	same "$T/d" '["input","nats://PO#2"]\n["input","nats://PO#4"]\n["validate","nats://PO#5"]\n'
	jq -s -e '.[0].event == "not json"' "$T/dlq"
	grep -q 'evpipe: input: nats://PO#2: invalid JSON' "$T/out.err"
	# restarted, the consumer is past all three
	echo '{"id":4}' | peer pub po.x
	consumer "$T/out2" "PO?consumer=c" --dlq "$T/dlq2" cat
	wait_lines "$T/out2" 1
	term_wait "$PID"
	same "$T/out2" '{"id":4}\n'
	[[ ! -s $T/dlq2 ]]
}

@test "nats source: a message of three lines is acknowledged only when all three are out" {
	peer stream ML 'ml.>'
	peer mkconsumer ML c 1000
	printf '{"id":"m1"}\n{"id":"m2"}\n\n{"id":"m3"}' | peer pub1 ml.x
	# batch -n 2 writes m1 and m2 and holds m3
	consumer "$T/b" "ML?consumer=c" batch -n 2
	wait_lines "$T/b" 1
	sleep 2.5 # delivery points and +WPI went by
	wait_state ML c ack_floor=0 ack_pending=1 redelivered=0
	kill -9 "$PID"
	wait "$PID" || true
	same "$T/b" '[{"id":"m1"},{"id":"m2"}]\n'
	# never acknowledged: the server gives it again, whole
	consumer "$T/c" "ML?consumer=c" cat
	wait_lines "$T/c" 3
	wait_state ML c ack_floor=1 ack_pending=0
	term_wait "$PID"
	same "$T/c" '{"id":"m1"}\n{"id":"m2"}\n{"id":"m3"}\n'
}

@test "nats source: SIGTERM with an open batch writes it, then acknowledges; exit 143" {
	peer stream HB 'hb.>'
	seq 1 10 | awk '{ printf "{\"id\":%d}\n", $1 }' | peer pub hb.x
	# batches of 4: 8 go out in two, 9 and 10 are held
	consumer "$T/out" "HB?consumer=c" batch -n 4
	wait_lines "$T/out" 2
	wait_state HB c ack_floor=8 ack_pending=2
	term_wait "$PID"
	[[ $STOPPED -eq 143 ]] || fail "exit $STOPPED: $(cat "$T/out.err")"
	jq -c . "$T/out" >"$T/got"
	same "$T/got" '[{"id":1},{"id":2},{"id":3},{"id":4}]\n[{"id":5},{"id":6},{"id":7},{"id":8}]\n[{"id":9},{"id":10}]\n'
	wait_state HB c ack_floor=10 ack_pending=0 pending=0 redelivered=0
}

@test "nats source: --from applies to each message's payload" {
	peer stream FM 'fm.>'
	printf 'a,b\n1,x\n2,y\n' | peer pub1 fm.csv
	printf 'a,b\n3,z\n' | peer pub1 fm.csv
	printf 'level=info msg="up"\nlevel=warn msg=slow\n' | peer pub1 fm.logfmt
	printf '[{"id":1},{"id":2}]' | peer pub1 fm.json
	: | peer pub1 fm.csv # an empty message: no event, acknowledged
	local pids=()
	consumer "$T/csv" "FM?consumer=csv&subject=fm.csv" --from csv cat
	pids+=("$PID")
	consumer "$T/lf" "FM?consumer=lf&subject=fm.logfmt" --from logfmt cat
	pids+=("$PID")
	consumer "$T/js" "FM?consumer=js&subject=fm.json" --from json cat
	pids+=("$PID")
	wait_lines "$T/csv" 3
	wait_lines "$T/lf" 2
	wait_lines "$T/js" 2
	local p
	for p in "${pids[@]}"; do
		term_wait "$p"
		[[ $STOPPED -eq 143 ]]
	done
	same "$T/csv" '{"a":"1","b":"x"}\n{"a":"2","b":"y"}\n{"a":"3","b":"z"}\n'
	same "$T/lf" '{"level":"info","msg":"up"}\n{"level":"warn","msg":"slow"}\n'
	same "$T/js" '{"id":1}\n{"id":2}\n'
	wait_state FM csv ack_floor=5 ack_pending=0 pending=0
}

@test "nats source: bad URLs are usage errors, a missing stream or server exits 3" {
	local spec
	for spec in "nats://$NS" "nats://$NS/" "nats://$NS/EV" "nats://$NS/EV?consumer=" \
		"nats://$NS/E.V?consumer=c" "nats://$NS/EV?consumer=a.b" \
		"nats://$NS/EV?consumer=c&subject=a..b" "nats://$NS/EV?consumer=c&subject=a.>.b" \
		"nats://$NS/EV?consumer=c&subject=a*" "nats://$NS/EV?consumer=c&group=g" \
		"nats://$NS/EV?consumer" "nats://h/EV?consumer=c" "nats://h:0/EV?consumer=c" \
		"nats+tls:///EV?consumer=c"; do
		status=0
		timeout 30 "$EVPIPE" -i "$spec" cat >"$T/out" 2>"$T/err" || status=$?
		[[ $status -eq 2 ]] || fail "$spec: exit $status, want 2 ($(cat "$T/err"))"
		grep -q "^evpipe: -i nats" "$T/err" || fail "$spec: $(cat "$T/err")"
	done
	# the messages, word for word
	timeout 30 "$EVPIPE" -i "nats://$NS/EV" cat 2>"$T/err" || true
	timeout 30 "$EVPIPE" -i "nats://$NS/EV?consumer=c&subject=a..b" cat 2>>"$T/err" || true
	timeout 30 "$EVPIPE" -i "nats://$NS/EV?consumer=c&group=g" cat 2>>"$T/err" || true
	timeout 30 "$EVPIPE" -i "nats://$NS/EV?consumer=c" --nats-token-file "$T/none" cat 2>>"$T/err" || true
	sed "s/$NS/NS/" "$T/err" >"$T/got"
	same "$T/got" "evpipe: -i nats://NS/EV: a nats source needs ?consumer=NAME (the durable consumer it pulls from)
evpipe: -i nats://NS/EV?consumer=c&subject=a..b: 'a..b' is not a filter subject (tokens separated by '.', none empty; '*' and '>' only as whole tokens, '>' only last)
evpipe: -i nats://NS/EV?consumer=c&group=g: unknown parameter 'group' (consumer, subject)
evpipe: --nats-token-file $T/none: No such file or directory\n"
	status=0
	timeout 30 "$EVPIPE" -i "nats://$NS/NOPE?consumer=c" cat >"$T/out" 2>"$T/err" || status=$?
	[[ $status -eq 3 ]] || fail "exit $status: $(cat "$T/err")"
	sed "s/$NS/NS/" "$T/err" >"$T/got"
	same "$T/got" "evpipe: -i nats://NS/NOPE?consumer=c: no stream 'NOPE' on the server\n"
	status=0
	timeout 30 "$EVPIPE" -i "nats://127.0.0.1:1/EV?consumer=c" cat >"$T/out" 2>"$T/err" || status=$?
	[[ $status -eq 3 ]] || fail "exit $status: $(cat "$T/err")"
	grep -q '^evpipe: -i nats://127.0.0.1:1/EV?consumer=c: cannot connect: ' "$T/err"
	# a filter the stream does not take: the server's refusal
	peer stream BF 'bf.>'
	status=0
	timeout 30 "$EVPIPE" -i "nats://$NS/BF?consumer=c&subject=other.x" cat >"$T/out" 2>"$T/err" || status=$?
	[[ $status -eq 3 ]] || fail "exit $status: $(cat "$T/err")"
	grep -q "^evpipe: -i nats://$NS/BF?consumer=c&subject=other.x: create the consumer: " "$T/err"
}

@test "nats source: the consumer is made if missing and kept; another is used as it is, a push consumer refused" {
	peer stream CK 'ck.>'
	run peer consumer CK made
	[[ $status -ne 0 ]]
	echo '{"id":1}' | peer pub ck.x
	consumer "$T/out" "CK?consumer=made" cat
	wait_lines "$T/out" 1
	term_wait "$PID"
	# made by evpipe, still there after it
	wait_state CK made ack_floor=1 ack_pending=0 pending=0
	# an existing pull consumer with its own AckWait is used as it is
	peer mkconsumer CK theirs 1000
	consumer "$T/out2" "CK?consumer=theirs" cat
	wait_lines "$T/out2" 1
	term_wait "$PID"
	same "$T/out2" '{"id":1}\n'
	# a push consumer cannot be pulled from
	peer mkconsumer CK pushed 1000 push
	status=0
	timeout 30 "$EVPIPE" -i "nats://$NS/CK?consumer=pushed" cat >"$T/out3" 2>"$T/err" || status=$?
	[[ $status -eq 3 ]] || fail "exit $status: $(cat "$T/err")"
	sed "s/$NS/NS/" "$T/err" >"$T/got"
	same "$T/got" "evpipe: -i nats://NS/CK?consumer=pushed: the consumer 'pushed' is a push consumer (it has a deliver subject); name a pull consumer, or a new name to have one made\n"
	# a subject= that is not the consumer's filter
	status=0
	timeout 30 "$EVPIPE" -i "nats://$NS/CK?consumer=made&subject=ck.y" cat >"$T/out3" 2>"$T/err" || status=$?
	[[ $status -eq 3 ]] || fail "exit $status: $(cat "$T/err")"
	grep -q "another filter subject" "$T/err"
}

@test "nats source: a token from --nats-token-file, as for the target" {
	nats_server_start "$BATS_FILE_TMPDIR/ns-auth" --auth s3cret-token
	local url
	url=$(<"$BATS_FILE_TMPDIR/ns-auth/url")
	"$PEER" "nats://s3cret-token@$url" stream AU 'au.>'
	echo '{"id":1}' | "$PEER" "nats://s3cret-token@$url" pub au.x
	status=0
	timeout 30 "$EVPIPE" -i "nats://$url/AU?consumer=c" cat >"$T/out" 2>"$T/err" || status=$?
	[[ $status -eq 3 ]] || fail "no token: exit $status"
	grep -q "cannot connect.*uthoriz" "$T/err" || fail "$(cat "$T/err")"
	printf 's3cret-token\n' >"$T/token"
	"$EVPIPE" --nats-token-file "$T/token" -i "nats://$url/AU?consumer=c" cat >"$T/out" 2>"$T/out.err" &
	PID=$!
	wait_lines "$T/out" 1
	term_wait "$PID"
	same "$T/out" '{"id":1}\n'
}

@test "nats source: input_meta is the message's subject, stream, sequence, delivery count, timestamp and headers" {
	peer stream MD 'md.>'
	peer mkconsumer MD c 1000
	echo '{"id":1}' | peer pub md.a 'X-Trace:abc' 'Dup:one' 'Dup:two'
	printf '{"id":2}\n{"id":3}\n' | peer pub1 md.b
	local before
	before=$(($(date +%s) * 1000 - 60000))
	# held by batch, then killed: delivered again, the second time
	consumer "$T/a" "MD?consumer=c" map '{id, m: input_meta}' then batch -n 9
	sleep 1
	kill -9 "$PID"
	wait "$PID" || true
	consumer "$T/b" "MD?consumer=c" map '{id, m: input_meta}'
	wait_lines "$T/b" 3
	term_wait "$PID"
	jq -s -e --argjson t "$before" 'all(.[]; .m.timestamp | type == "number" and . > $t)' "$T/b" >/dev/null
	jq -c 'del(.m.timestamp)' "$T/b" >"$T/got"
	same "$T/got" '{"id":1,"m":{"subject":"md.a","stream":"MD","sequence":1,"delivered":2,"headers":{"Dup":"two","X-Trace":"abc"}}}
{"id":2,"m":{"subject":"md.b","stream":"MD","sequence":2,"delivered":2,"headers":{}}}
{"id":3,"m":{"subject":"md.b","stream":"MD","sequence":2,"delivered":2,"headers":{}}}\n'
	# templates name it too
	echo '{"id":4}' | peer pub md.c
	cd "$T"
	consumer "$T/c" "MD?consumer=c" split 'by-{input_meta.subject}.ndjson'
	for ((i = 0; i < 300; i++)); do
		[[ -s by-md.c.ndjson ]] && break
		sleep 0.1
	done
	term_wait "$PID"
	same by-md.c.ndjson '{"id":4}\n'
}

@test "nats to nats: the target's subject and message id from input_meta, the events byte for byte" {
	peer stream MS 'ms.>'
	peer stream MT 'mt.>'
	peer mkconsumer MS cp 30000
	printf '{"id":1, "v":1.50}\n' | peer pub ms.eu
	printf '{"id":2}\n' | peer pub ms.us
	consumer "$T/out" "MS?consumer=cp" head -n 2 \
		-o "nats://$NS/mt.{input_meta.subject}?msgid={input_meta.stream}-{input_meta.sequence}"
	exit_wait "$PID"
	[[ $STOPPED -eq 0 ]] || fail "exit $STOPPED: $(cat "$T/out.err")"
	# the subject's dots are one token's: "ms.eu" is the token ms_eu
	peer dump MT >"$T/got"
	printf 'mt.ms_eu\tMS-1\t{"id":1, "v":1.50}\nmt.ms_us\tMS-2\t{"id":2}\n' | diff -u - "$T/got"
	wait_state MS cp ack_pending=0
	# stats -t has no metadata to give
	run_to "$T/o" stats -t "nats://$NS/mt.{input_meta.subject}" /dev/null
	[[ $status -eq 2 ]] || fail "stats -t: exit $status ($stderr)"
	[[ $stderr == *"input_meta is null here"* ]] || fail "$stderr"
}

@test "nats source: completion offers nats:// and nats+tls:// after -i" {
	run "$EVPIPE" __complete choices -i
	assert_output '@address'
	run "$EVPIPE" __complete addresses
	assert_line 'nats://'
	assert_line 'nats+tls://'
	run "$EVPIPE" --help
	assert_output --partial 'nats://HOST:PORT/STREAM?consumer=NAME'
}

@test "nats source: a consumer deleted while it runs ends the run with exit 3 and a message" {
	peer stream GO 'go.>'
	echo '{"id":1}' | peer pub go.x
	consumer "$T/out" "GO?consumer=gone" cat
	wait_lines "$T/out" 1
	peer rmconsumer GO gone
	echo '{"id":2}' | peer pub go.x
	local i
	for ((i = 0; i < 300; i++)); do
		kill -0 "$PID" 2>/dev/null || break
		sleep 0.1
	done
	STOPPED=0
	wait "$PID" || STOPPED=$?
	[[ $STOPPED -eq 3 ]] || fail "exit $STOPPED: $(cat "$T/out.err")"
	same "$T/out" '{"id":1}\n'
	sed "s/$NS/NS/" "$T/out.err" >"$T/got"
	same "$T/got" 'evpipe: -i nats://NS/GO?consumer=gone: the consumer was deleted\n'
}

@test "nats source: SIGTERM mid-stream, restart: every id exactly once (what was fetched goes back)" {
	peer stream TM 'tm.>'
	seq 1 20000 | awk '{ printf "{\"id\":%d}\n", $1 }' | peer pub tm.x
	consumer "$T/a" "TM?consumer=c" --line-buffered throttle -r 1000/100ms --mode delay --max-delay 1h
	wait_lines "$T/a" 5000
	term_wait "$PID"
	[[ $STOPPED -eq 143 ]] || fail "exit $STOPPED: $(cat "$T/a.err")"
	# what it wrote is acknowledged, the rest it had fetched is not lost
	wait_state TM c "ack_floor=$(wc -l <"$T/a")"
	consumer "$T/b" "TM?consumer=c" cat
	local i
	for ((i = 0; i < 600; i++)); do
		[[ $(cat "$T/a" "$T/b" | wc -l) -ge 20000 ]] && break
		sleep 0.1
	done
	wait_state TM c pending=0 ack_pending=0
	term_wait "$PID"
	cat "$T/a" "$T/b" | jq -r .id | sort >"$T/got"
	seq 1 20000 | sort | cmp - "$T/got"
}

@test "nats source: the server restarts: the source reconnects and goes on" {
	local d=$BATS_FILE_TMPDIR/ns-restart url port
	nats_server_start "$d"
	url=$(<"$d/url")
	port=${url##*:}
	NS=$url # this test's own server
	peer stream RS 'rs.>'
	printf '{"id":1}\n{"id":2}\n' | peer pub rs.x
	consumer "$T/out" "RS?consumer=c" cat
	wait_lines "$T/out" 2
	kill "$(cat "$d/pid")"
	wait_for_log() {
		local i
		for ((i = 0; i < 300; i++)); do
			grep -q "$1" "$T/out.err" && return 0
			sleep 0.1
		done
		fail "no '$1' in $(cat "$T/out.err")"
	}
	wait_for_log 'disconnected from the server, reconnecting'
	# the same port and store
	nats_server_start "$d" -p "$port"
	wait_for_log 'reconnected$'
	printf '{"id":3}\n' | peer pub rs.x
	wait_lines "$T/out" 3
	term_wait "$PID"
	[[ $STOPPED -eq 143 ]] || fail "exit $STOPPED: $(cat "$T/out.err")"
	same "$T/out" '{"id":1}\n{"id":2}\n{"id":3}\n'
	wait_state RS c pending=0 ack_pending=0 ack_floor=3
}

@test "nats source: a run that head ends gives back what it fetched; the next run gets it, once" {
	peer stream HD 'hd.>'
	seq 1 10 | awk '{ printf "{\"id\":%d}\n", $1 }' | peer pub hd.x
	run_to "$T/a" -i "nats://$NS/HD?consumer=c" head -n 4
	[[ $status -eq 0 ]] || fail "exit $status: $stderr"
	same "$T/a" '{"id":1}\n{"id":2}\n{"id":3}\n{"id":4}\n'
	wait_state HD c ack_floor=4 redelivered=0
	consumer "$T/b" "HD?consumer=c" cat
	wait_lines "$T/b" 6
	wait_state HD c ack_floor=10 ack_pending=0 pending=0
	term_wait "$PID"
	same "$T/b" '{"id":5}\n{"id":6}\n{"id":7}\n{"id":8}\n{"id":9}\n{"id":10}\n'
}

@test "nats source: two streams and a file in one run" {
	peer stream TA 'ta.>'
	peer stream TB 'tb.>'
	printf '{"s":"a","n":1}\n{"s":"a","n":2}\n' | peer pub ta.x
	printf '{"s":"b","n":1}\n' | peer pub tb.x
	printf '{"s":"file","n":1}\n' >"$T/in"
	"$EVPIPE" -i "nats://$NS/TA?consumer=c" -i "nats://$NS/TB?consumer=c" \
		--dlq "$T/dlq" filter '.n > 0' "$T/in" >"$T/out" 2>"$T/out.err" &
	PID=$!
	wait_lines "$T/out" 4
	term_wait "$PID"
	[[ $STOPPED -eq 143 ]] || fail "exit $STOPPED: $(cat "$T/out.err")"
	sort "$T/out" >"$T/got"
	same "$T/got" '{"s":"a","n":1}\n{"s":"a","n":2}\n{"s":"b","n":1}\n{"s":"file","n":1}\n'
	wait_state TA c ack_floor=2 ack_pending=0
	wait_state TB c ack_floor=1 ack_pending=0
}

@test "nats source: nats+tls:// with --nats-tls-ca, as for the target" {
	command -v openssl >/dev/null || fail "openssl is not installed"
	local d=$BATS_FILE_TMPDIR/ns-tls url
	mkdir -p "$d"
	# a CA of the test's own, and a certificate for 127.0.0.1 it signed
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$d/ca.key" -out "$d/ca.pem" -days 1 -subj /CN=evpipe-test-ca 2>/dev/null
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$d/server.key" -out "$d/server.csr" -subj /CN=127.0.0.1 2>/dev/null
	printf 'subjectAltName=IP:127.0.0.1\n' >"$d/ext"
	openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
		-CAcreateserial -out "$d/server.pem" -days 1 -extfile "$d/ext" 2>/dev/null
	nats_server_start "$d" --tls --tlscert "$d/server.pem" --tlskey "$d/server.key"
	url=$(<"$d/url")
	NATS_PEER_CA=$d/ca.pem "$PEER" "tls://$url" stream TL 'tl.>'
	echo '{"id":1}' | NATS_PEER_CA=$d/ca.pem "$PEER" "tls://$url" pub tl.x
	# not trusted without the CA
	status=0
	timeout 30 "$EVPIPE" -i "nats+tls://$url/TL?consumer=c" cat >"$T/out" 2>"$T/err" || status=$?
	[[ $status -eq 3 ]] || fail "no CA: exit $status: $(cat "$T/err")"
	grep -q "^evpipe: -i nats+tls://$url/TL?consumer=c: cannot connect: " "$T/err"
	"$EVPIPE" --nats-tls-ca "$d/ca.pem" -i "nats+tls://$url/TL?consumer=c" cat >"$T/out" 2>"$T/out.err" &
	PID=$!
	wait_lines "$T/out" 1
	term_wait "$PID"
	[[ $STOPPED -eq 143 ]] || fail "exit $STOPPED: $(cat "$T/out.err")"
	same "$T/out" '{"id":1}\n'
}

@test "nats source: large messages behind a stalled output: about 8 MiB fetched, not a batch of them" {
	local i state prev="" same=0 hwm epid
	plain_build "a resident size"
	peer stream LG 'lg.>'
	# 400 messages of 200 kB: a batch of 256 would be 51 MB
	awk 'BEGIN { for (i = 1; i <= 400; i++) printf "{\"id\":%d,\"pad\":\"%0200000d\"}\n", i, i }' | peer pub lg.x
	"$PLAIN" -i "nats://$NS/LG?consumer=c" -o exec:'exec sleep 600' cat >"$T/out" 2>"$T/err" 3>&- &
	epid=$!
	# stalled: what the server delivered stops moving
	for ((i = 0; i < 600 && same < 10; i++)); do
		sleep 0.2
		kill -0 "$epid" || fail "evpipe ended: $(cat "$T/err")"
		state=$(peer consumer LG c)
		if [[ $state == "$prev" ]]; then
			same=$((same + 1))
		else
			same=0
			prev=$state
		fi
	done
	((same >= 10)) || fail "never stalled: $state"
	hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$epid/status")
	echo "# stalled with $state; evpipe VmHWM $hwm kB" >&3
	local kids
	kids=$(ps -o pid= --ppid "$epid" | tr -d ' ')
	# shellcheck disable=SC2086 # kids: one pid a word
	kill -9 "$epid" $kids
	wait "$epid" 2>/dev/null || true
	((hwm < 40 * 1024)) || fail "VmHWM $hwm kB"
}

@test "nats source: an output blocked for six AckWaits: +WPI goes out meanwhile, every id arrives once" {
	peer stream WP 'wp.>'
	# AckWait 1 s: without progress acks, what evpipe holds would be
	# given again a second into the stall
	peer mkconsumer WP c 1000
	seq 1 3000 | awk '{ printf "{\"id\":%d,\"pad\":\"%0100d\"}\n", $1, $1 }' | peer pub wp.x
	mkfifo "$T/fifo"
	# the reader opens the FIFO at once and reads only after 6 s: evpipe
	# fills the pipe (64 KiB of the 360 kB) and blocks in its write
	{
		sleep 6
		cat
	} <"$T/fifo" >"$T/out" &
	local reader=$!
	"$EVPIPE" -i "nats://$NS/WP?consumer=c" cat >"$T/fifo" 2>"$T/out.err" &
	PID=$!
	wait_lines "$T/out" 3000
	wait_state WP c ack_floor=3000 ack_pending=0 pending=0
	term_wait "$PID"
	[[ $STOPPED -eq 143 ]] || fail "exit $STOPPED: $(cat "$T/out.err")"
	wait "$reader"
	jq -r .id "$T/out" | sort -n | uniq -d >"$T/dups"
	[[ ! -s $T/dups ]] || fail "given twice: $(wc -l <"$T/dups") ids, e.g. $(head -n 3 "$T/dups" | tr '\n' ' ')"
	jq -r .id "$T/out" | sort -n >"$T/got"
	seq 1 3000 | cmp - "$T/got"
}
