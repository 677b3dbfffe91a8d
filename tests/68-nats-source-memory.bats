#!/usr/bin/env bats
# -i nats:// holds its memory while its output is stalled: a stream of
# 1,000,000 events (about 190 MB) is consumed into -o exec:'exec sleep 600',
# which never reads, and evpipe's peak resident size (VmHWM) once it has
# stopped fetching must stay under 64 MB (evpipe-brokers(7): one pull
# request at a time, at most 1024 messages or 8 MiB fetched and not
# handed out, and nothing fetched while the outputs are slow).  A real
# nats-server on 127.0.0.1; the stream is filled and watched by
# tests/helpers/nats-peer.c.  A missing nats-server or helper fails the
# file.
load test_helper
load nats_helper

setup_file() {
	nats_require
	nats_single_start mem
}

teardown_file() {
	local pid
	# shellcheck disable=SC2013 # one or more pids a line
	for pid in $(cat "$BATS_FILE_TMPDIR/kill.pids" 2>/dev/null); do
		kill -9 "$pid" 2>/dev/null || true
	done
	nats_nodes_stop
}

setup() {
	T=$BATS_TEST_TMPDIR
	nats_require
	NS=$(<"$BATS_FILE_TMPDIR/nodes/mem/url")
}

@test "nats source: 1,000,000 events behind a stalled output, evpipe's peak RSS stays under 64 MB" {
	local epid i state prev="" same=0 hwm kids pending
	plain_build "a resident size"
	"$PEER" "nats://$NS" stream MEM 'mem.>'
	awk 'BEGIN { for (i = 1; i <= 1000000; i++) printf "{\"id\":%d,\"pad\":\"%0160d\"}\n", i, i }' |
		timeout 300 "$PEER" "nats://$NS" pub mem.x
	[[ $("$PEER" "nats://$NS" count MEM) -eq 1000000 ]]
	"$PLAIN" -i "nats://$NS/MEM?consumer=stall" -o exec:'exec sleep 600' cat \
		>"$T/out" 2>"$T/stderr" 3>&- &
	epid=$!
	echo "$epid" >>"$BATS_FILE_TMPDIR/kill.pids"
	# stalled: what the consumer handed out stops moving (checked ten
	# times in a row, 0.2 s apart) while evpipe runs
	for ((i = 0; i < 600 && same < 10; i++)); do
		sleep 0.2
		kill -0 "$epid" || fail "evpipe ended: $(cat "$T/stderr")"
		state=$("$PEER" "nats://$NS" consumer MEM stall 2>/dev/null) || continue
		state=${state%% waiting=*}
		if [[ $state == "$prev" ]]; then
			same=$((same + 1))
		else
			same=0
			prev=$state
		fi
	done
	((same >= 10)) || fail "the consumer never stalled: $state"
	kids=$(ps -o pid= --ppid "$epid" | tr -d ' ')
	echo "$kids" >>"$BATS_FILE_TMPDIR/kill.pids"
	[[ $state == *" ack_pending="* ]]
	# most of the stream is still on the server
	pending=$(sed -n 's/^pending=\([0-9]*\).*/\1/p' <<<"$state")
	((pending > 900000)) || fail "only $pending pending: $state"
	hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$epid/status")
	echo "# stalled with $state; evpipe VmHWM $hwm kB" >&3
	((hwm < 64 * 1024)) || fail "VmHWM $hwm kB"
	# shellcheck disable=SC2086 # kids: one pid a word
	kill -9 "$epid" $kids
	wait "$epid" 2>/dev/null || true
}
