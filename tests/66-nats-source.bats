#!/usr/bin/env bats
# -i nats://: a JetStream durable pull consumer that acknowledges only what
# was delivered (evpipe-brokers(7)), against a real nats-server with
# JetStream on 127.0.0.1, a random port and its own store.  The messages
# are published, and the consumer's state read back, by
# tests/helpers/nats-peer.c (libnats), the independent peer.  A missing
# nats-server or helper fails the file.
load test_helper

# Debian installs nats-server in /usr/sbin, which a user's PATH may lack.
PATH=$PATH:/usr/sbin

# start_server DIR [ARGS...]: a JetStream server; its address into DIR/url.
start_server() {
	local d=$1 i port
	shift
	mkdir -p "$d/store"
	nats-server -js -a 127.0.0.1 -p -1 -sd "$d/store" "$@" >"$d/log" 2>&1 3>&- &
	echo $! >"$d/pid"
	for ((i = 0; i < 500; i++)); do
		port=$(sed -n 's/.*Listening for client connections on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$d/log" 2>/dev/null) || true
		[[ -n $port ]] && break
		sleep 0.02
	done
	[[ -n $port ]] || {
		echo "nats-server did not start: $(cat "$d/log")" >&2
		return 1
	}
	echo "127.0.0.1:$port" >"$d/url"
}

setup_file() {
	local helpers
	command -v nats-server >/dev/null || {
		echo "nats-server is not installed (make deps)" >&2
		return 1
	}
	helpers=$(dirname "$UNITDIR")
	[[ -x $helpers/nats-peer ]] || {
		echo "$helpers/nats-peer is not built (make all)" >&2
		return 1
	}
	start_server "$BATS_FILE_TMPDIR/ns"
}

teardown_file() {
	local d pid
	for d in "$BATS_FILE_TMPDIR"/ns*; do
		pid=$(cat "$d/pid" 2>/dev/null) || continue
		kill "$pid" 2>/dev/null || true
	done
}

setup() {
	T=$BATS_TEST_TMPDIR
	NS=$(<"$BATS_FILE_TMPDIR/ns/url")
	PEER=$(dirname "$UNITDIR")/nats-peer
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

# stop PID: SIGTERM, and its exit status in STOPPED
stop() {
	kill -TERM "$1"
	STOPPED=0
	wait "$1" || STOPPED=$?
}

@test "nats source: 100000 events published by the peer arrive once, byte for byte, all acknowledged" {
	peer stream RT 'rt.>'
	awk 'BEGIN { for (i = 1; i <= 100000; i++) printf "{\"id\":%d,\"k\":\"u%d\",\"pad\":\"%060d\"}\n", i, i % 7, i }' >"$T/in"
	peer pub rt.a <"$T/in"
	consumer "$T/out" "RT?consumer=all" cat
	wait_lines "$T/out" 100000
	stop "$PID"
	[[ $STOPPED -eq 143 ]] || fail "exit $STOPPED: $(cat "$T/out.err")"
	# in order (one consumer, one subject) and byte for byte
	cmp "$T/in" "$T/out"
	wait_state RT all pending=0 ack_pending=0 redelivered=0 ack_floor=100000
	# the consumer stays (made by evpipe, and not deleted at its end):
	# a second run starts after what was acknowledged
	echo '{"id":"next"}' | peer pub rt.b
	consumer "$T/out2" "RT?consumer=all" cat
	wait_lines "$T/out2" 1
	stop "$PID"
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
	stop "$PID"
	[[ $STOPPED -eq 143 ]] || fail "exit $STOPPED: $(cat "$T/b.err")"
	cat "$T/a" "$T/b" | jq -r .id | sort -u >"$T/got"
	seq 1 30000 | sort >"$T/want"
	cmp "$T/want" "$T/got"
	# duplicates: written by the first but not yet acknowledged (at most
	# a second's worth and the fetched queue), never all of it
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
	stop "$pa"
	[[ $STOPPED -eq 143 ]]
	stop "$pb"
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
	printf '{"id":1}\nnot json\n{"id":3}\n' | peer pub po.x
	consumer "$T/out" "PO?consumer=c" --dlq "$T/dlq" cat
	wait_lines "$T/out" 2
	wait_state PO c pending=0 ack_pending=0 ack_floor=3
	stop "$PID"
	[[ $STOPPED -eq 143 ]]
	same "$T/out" '{"id":1}\n{"id":3}\n'
	jq -c '[.source, .event]' "$T/dlq" >"$T/d"
	same "$T/d" '["nats://PO#2","not json"]\n'
	grep -q 'evpipe: input: nats://PO#2: invalid JSON' "$T/out.err"
	# restarted, the consumer is past all three
	echo '{"id":4}' | peer pub po.x
	consumer "$T/out2" "PO?consumer=c" --dlq "$T/dlq2" cat
	wait_lines "$T/out2" 1
	stop "$PID"
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
	stop "$PID"
	same "$T/c" '{"id":"m1"}\n{"id":"m2"}\n{"id":"m3"}\n'
}

@test "nats source: SIGTERM with an open batch writes it, then acknowledges; exit 143" {
	peer stream HB 'hb.>'
	seq 1 10 | awk '{ printf "{\"id\":%d}\n", $1 }' | peer pub hb.x
	# batches of 4: 8 go out in two, 9 and 10 are held
	consumer "$T/out" "HB?consumer=c" batch -n 4
	wait_lines "$T/out" 2
	wait_state HB c ack_floor=8 ack_pending=2
	stop "$PID"
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
	for PID in "${pids[@]}"; do
		stop "$PID"
		[[ $STOPPED -eq 143 ]]
	done
	same "$T/csv" '{"a":"1","b":"x"}\n{"a":"2","b":"y"}\n{"a":"3","b":"z"}\n'
	same "$T/lf" '{"level":"info","msg":"up"}\n{"level":"warn","msg":"slow"}\n'
	same "$T/js" '{"id":1}\n{"id":2}\n'
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
	stop "$PID"
	# made by evpipe, still there after it
	wait_state CK made ack_floor=1 ack_pending=0 pending=0
	# an existing pull consumer with its own AckWait is used as it is
	peer mkconsumer CK theirs 1000
	consumer "$T/out2" "CK?consumer=theirs" cat
	wait_lines "$T/out2" 1
	stop "$PID"
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
	start_server "$BATS_FILE_TMPDIR/ns-auth" --auth s3cret-token
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
	stop "$PID"
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
	stop "$PID"
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
	stop "$PID"
	same by-md.c.ndjson '{"id":4}\n'
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
