#!/usr/bin/env bats
# -i nats:// when a server dies (evpipe-brokers(7), SOURCES): a three-node
# JetStream cluster on 127.0.0.1 whose R3 stream's consumer loses its
# leader to kill -9 in the middle of a consume, the node started again a
# second later.  The stream is filled and the consumer watched by
# tests/helpers/nats-peer.c (libnats), the independent peer.  Nothing may
# be lost; duplicates are the messages whose acknowledgement the dead
# leader took with it, never more than the consumer's max_ack_pending.
# A missing nats-server or helper fails the file.
load test_helper
load nats_helper

setup_file() {
	nats_require
	nats_cluster_start fc >"$BATS_FILE_TMPDIR/cluster"
}

teardown_file() {
	local pid
	pid=$(cat "$BATS_FILE_TMPDIR/evpipe.pid" 2>/dev/null) && kill "$pid" 2>/dev/null
	nats_nodes_stop
}

setup() {
	T=$BATS_TEST_TMPDIR
	nats_require
	CL=$(<"$BATS_FILE_TMPDIR/cluster")
}

# events N: N distinct events, each with its id.
events() {
	awk -v n="$1" 'BEGIN { for (i = 1; i <= n; i++) printf "{\"id\":%d,\"pad\":\"%080d\"}\n", i, i }'
}

# ids FILE...: how many distinct ids the files hold.
ids() {
	cat "$@" | jq -r .id | sort -u | wc -l
}

@test "nats source failover: the R3 consumer's leader killed mid-consume, nothing lost, duplicates bounded" {
	local leader epid n at i state max dups
	nats_until 60 "$PEER" "nats://$CL" stream FC 'fc.>' 0 3
	events 100000 >"$T/in"
	timeout 120 "$PEER" "nats://$CL" pub fc.x <"$T/in"
	# AckWait 2 s: what the dead leader's acknowledgements lose comes
	# back soon
	"$PEER" "nats://$CL" mkconsumer FC dur 2000
	leader=$("$PEER" "nats://$CL" leader FC dur)
	# slowed to about 20000 a second, so that the kill lands mid-stream
	"$EVPIPE" -i "nats://$CL/FC?consumer=dur" --line-buffered \
		throttle -r 2000/100ms --mode delay --max-delay 1h \
		>"$T/out" 2>"$T/stderr" 3>&- &
	epid=$!
	echo "$epid" >"$BATS_FILE_TMPDIR/evpipe.pid"
	for ((i = 0; i < 1200; i++)); do
		n=$(wc -l <"$T/out")
		((n >= 30000)) && break
		sleep 0.1
	done
	((n >= 30000)) || fail "$n events after 120 s: $(cat "$T/stderr")"
	((n < 100000)) || fail "all $n events consumed before the kill"
	nats_node_kill "$leader"
	at=$(wc -l <"$T/out")
	echo "# killed $leader, the consumer's leader, with $at of 100000 events written" >&3
	sleep 1
	nats_node_start "$leader"
	for ((i = 0; i < 240; i++)); do
		(($(ids "$T/out") >= 100000)) && break
		kill -0 "$epid" 2>/dev/null || fail "evpipe ended: $(cat "$T/stderr")"
		sleep 0.5
	done
	# every message acknowledged, nothing left to deliver again
	for ((i = 0; i < 600; i++)); do
		state=$("$PEER" "nats://$CL" consumer FC dur) || true
		[[ " $state " == *" pending=0 ack_pending=0 "* ]] && break
		sleep 0.1
	done
	[[ " $state " == *" pending=0 ack_pending=0 "* ]] || fail "consumer: $state"
	kill -TERM "$epid"
	status=0
	wait "$epid" || status=$?
	[[ $status -eq 143 ]] || fail "exit $status: $(cat "$T/stderr")"
	jq -r .id "$T/out" | sort -u | cmp - <(jq -r .id "$T/in" | sort) || fail "events lost"
	# byte for byte
	sort -u "$T/out" | cmp - <(sort "$T/in")
	# duplicates: messages delivered whose acknowledgement the dead
	# leader took with it (or had not replicated); the server never has
	# more than max_ack_pending unacknowledged at once
	max=$(sed -n 's/.*max_ack_pending=\([0-9]*\).*/\1/p' <<<"$state")
	dups=$(($(wc -l <"$T/out") - 100000))
	echo "# $(wc -l <"$T/out") events written for 100000 messages: $dups duplicates (max_ack_pending $max)" >&3
	((max > 0 && dups <= max)) || fail "$dups duplicates, more than max_ack_pending $max"
}
