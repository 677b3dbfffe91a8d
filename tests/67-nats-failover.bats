#!/usr/bin/env bats
# nats:// when servers die (evpipe-brokers(7), "Failover"): a three-node
# JetStream cluster on 127.0.0.1 whose R3 stream loses its leader to
# kill -9 in the middle of a publish, and one server killed and started
# again on the same port and store.  The stream is read back by
# tests/helpers/nats-peer.c (libnats), the independent peer.  Nothing
# may be lost; Nats-Msg-Id makes a message published again within the
# stream's duplicate window (2 minutes) a no-op, so no duplicates
# either.  A missing nats-server or helper fails the file.
load test_helper
load nats_helper

setup_file() {
	nats_require
	nats_cluster_start fo >"$BATS_FILE_TMPDIR/cluster"
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

# pace FILE: FILE on stdout, 1000 lines every 30 ms or so, so that a
# publish of 100000 lasts long enough to kill a server in its middle.
pace() {
	awk '{ print } NR % 1000 == 0 { fflush(); system("sleep 0.03") }' "$1"
}

# stored_at_least URL STREAM N: the stream holds N messages or more.
stored_at_least() {
	local n
	n=$("$PEER" "nats://$1" count "$2") || return 1
	((n >= $3))
}

# publish_through_kill URLS STREAM SUBJECT NODE: publish $T/in with evpipe
# (paced), kill -9 NODE once the stream holds 30000 messages, start it
# again a second later; evpipe's status in $status, its stderr in
# $stderr.
publish_through_kill() {
	local urls=$1 stream=$2 subject=$3 node=$4 epid at
	pace "$T/in" | "$EVPIPE" --dlq "$T/dlq" -o "nats://$urls/$subject" cat >"$T/out" 2>"$T/stderr" 3>&- &
	epid=$!
	echo "$epid" >"$BATS_FILE_TMPDIR/evpipe.pid"
	nats_until 120 stored_at_least "$urls" "$stream" 30000
	kill -0 "$epid" || fail "evpipe finished before the kill"
	at=$("$PEER" "nats://$urls" count "$stream")
	((at < 100000)) || fail "the stream holds all $at events before the kill"
	nats_node_kill "$node"
	echo "# killed $node with $at of 100000 events stored" >&3
	sleep 1
	nats_node_start "$node"
	status=0
	wait "$epid" || status=$?
	stderr=$(<"$T/stderr")
}

# check_stream URLS STREAM: every event of $T/in in the stream, byte for
# byte, and no message twice.
check_stream() {
	local total dups
	timeout 120 "$PEER" "nats://$1" dump "$2" >"$T/got"
	total=$(wc -l <"$T/got")
	cut -f3 "$T/got" | sort -u >"$T/data"
	sort "$T/in" | cmp - "$T/data" || fail "events lost or changed"
	dups=$((total - $(wc -l <"$T/in")))
	echo "# $total messages stored for $(wc -l <"$T/in") events: $dups duplicates" >&3
	((dups == 0)) || fail "$dups duplicates within the duplicate window"
	# one message id per event
	[[ $(cut -f2 "$T/got" | sort -u | wc -l) -eq $total ]]
}

@test "nats failover: the R3 stream's leader killed mid-publish, nothing lost, no duplicates" {
	local leader
	nats_until 60 "$PEER" "nats://$CL" stream FO 'fo.>' 0 3
	leader=$("$PEER" "nats://$CL" leader FO)
	events 100000 >"$T/in"
	publish_through_kill "$CL" FO fo.x "$leader"
	[[ $status -eq 0 ]] || fail "exit $status: $stderr"
	[[ ! -s $T/dlq ]] || fail "dead letters: $(head -3 "$T/dlq")"
	[[ -z $stderr ]] || fail "stderr: $stderr"
	# a new leader, and the old one back as a current replica
	nats_until 60 "$PEER" "nats://$CL" leader FO >/dev/null
	check_stream "$CL" FO
}

@test "nats failover: one server killed mid-publish and started again, nothing lost, no duplicates" {
	local url
	nats_single_start solo
	url=$(<"$BATS_FILE_TMPDIR/nodes/solo/url")
	"$PEER" "nats://$url" stream SO 'so.>'
	events 100000 >"$T/in"
	publish_through_kill "$url" SO so.x solo
	[[ $status -eq 0 ]] || fail "exit $status: $stderr"
	[[ ! -s $T/dlq ]] || fail "dead letters: $(head -3 "$T/dlq")"
	[[ -z $stderr ]] || fail "stderr: $stderr"
	check_stream "$url" SO
}
