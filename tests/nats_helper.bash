# nats_helper.bash -- nats-server processes for the NATS tests, on
# 127.0.0.1: one JetStream server on a port of its choosing
# (nats_server_start), or named nodes -- one server or a three-node
# cluster -- with ports picked free when the file starts and kept, so that
# a node killed with -9 comes back on the same ports with the same store.
# Every server lives in a directory of its own (its arguments, pid, log,
# store and url); nats_nodes_stop in teardown_file ends them all,
# whatever the tests did.

# Debian installs nats-server in /usr/sbin, which a user's PATH may lack.
PATH=$PATH:/usr/sbin

# nats_require: nats-server and the peer (tests/helpers/nats-peer.c)
# must be there; sets PEER.
nats_require() {
	command -v nats-server >/dev/null || {
		echo "nats-server is not installed (make deps)" >&2
		return 1
	}
	PEER=$(dirname "$UNITDIR")/nats-peer
	[[ -x $PEER ]] || {
		echo "$PEER is not built (make all)" >&2
		return 1
	}
}

# nats_server_start DIR [ARGS...]: a JetStream server with its store in
# DIR, on a port it picks (ARGS may name one with -p PORT, e.g. to
# start it again where it was); its URL (HOST:PORT) into DIR/url.
nats_server_start() {
	local d=$1 i port
	shift
	mkdir -p "$d/store"
	echo "$d" >>"$BATS_FILE_TMPDIR/nats.dirs"
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

# nats_free_ports N: N TCP ports free on 127.0.0.1 now, one a line.
nats_free_ports() {
	python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
for s in socks:
    print(s.getsockname()[1])
PY
}

# nats_node_start NAME: start (or start again) the node whose arguments
# nats_node_define wrote, and wait until it listens for clients.
nats_node_start() {
	local d=$BATS_FILE_TMPDIR/nodes/$1 port from i args
	port=$(<"$d/port")
	mapfile -t args <"$d/args"
	from=$(($(stat -c %s "$d/log" 2>/dev/null || echo 0) + 1))
	# in a subshell: no shell of the test has it as a child, to say
	# "Killed" when a test kills it
	(
		nats-server "${args[@]}" >>"$d/log" 2>&1 3>&- &
		echo $! >"$d/pid"
	)
	for ((i = 0; i < 500; i++)); do
		tail -c "+$from" "$d/log" | grep -q "Listening for client connections on 127.0.0.1:$port" && return 0
		kill -0 "$(<"$d/pid")" 2>/dev/null || break
		sleep 0.02
	done
	echo "nats-server $1 did not start: $(tail -c "+$from" "$d/log")" >&2
	return 1
}

# nats_node_define NAME PORT [ARGS...]: a JetStream server on 127.0.0.1:PORT
# with its store in its own directory.
nats_node_define() {
	local name=$1 port=$2 d=$BATS_FILE_TMPDIR/nodes/$1
	shift 2
	mkdir -p "$d/store"
	echo "$port" >"$d/port"
	printf '%s\n' -js -n "$name" -a 127.0.0.1 -p "$port" -sd "$d/store" "$@" >"$d/args"
}

# nats_single_start NAME: one server on a free port; its URL (HOST:PORT)
# into $BATS_FILE_TMPDIR/nodes/NAME/url.
nats_single_start() {
	local port
	port=$(nats_free_ports 1)
	nats_node_define "$1" "$port"
	nats_node_start "$1" || return 1
	echo "127.0.0.1:$port" >"$BATS_FILE_TMPDIR/nodes/$1/url"
}

# nats_cluster_start PREFIX: three nodes PREFIX1..PREFIX3 in the cluster
# PREFIX, client and route ports free on 127.0.0.1; the client URLs
# (HOST:PORT,HOST:PORT,HOST:PORT) are printed once JetStream answers.
nats_cluster_start() {
	local prefix=$1 ports routes="" urls="" i
	mapfile -t ports < <(nats_free_ports 6)
	for i in 3 4 5; do
		routes+=${routes:+,}nats://127.0.0.1:${ports[i]}
	done
	for i in 0 1 2; do
		nats_node_define "$prefix$((i + 1))" "${ports[i]}" \
			--cluster_name "$prefix" \
			--cluster "nats://127.0.0.1:${ports[i + 3]}" \
			--routes "$routes"
		urls+=${urls:+,}127.0.0.1:${ports[i]}
	done
	for i in 1 2 3; do
		nats_node_start "$prefix$i" || return 1
	done
	echo "$urls"
}

# nats_node_kill NAME: kill -9, and wait until it is gone.
nats_node_kill() {
	local pid
	pid=$(<"$BATS_FILE_TMPDIR/nodes/$1/pid")
	kill -9 "$pid"
	while kill -0 "$pid" 2>/dev/null; do sleep 0.01; done
}

# nats_nodes_stop: in teardown_file (it runs when a test failed too).
nats_nodes_stop() {
	local d pid dirs=()
	[[ -f $BATS_FILE_TMPDIR/nats.dirs ]] && mapfile -t dirs <"$BATS_FILE_TMPDIR/nats.dirs"
	for d in "$BATS_FILE_TMPDIR"/nodes/* "${dirs[@]}"; do
		pid=$(cat "$d/pid" 2>/dev/null) || continue
		kill "$pid" 2>/dev/null || true
	done
}

# nats_until SECONDS CMD...: run CMD until it succeeds, at most SECONDS
# (a cluster's JetStream answers only once it elected its leaders).
nats_until() {
	local end=$((SECONDS + $1))
	shift
	local err=${BATS_TEST_TMPDIR:-$BATS_FILE_TMPDIR}/until.err
	until "$@" 2>"$err"; do
		((SECONDS < end)) || {
			cat "$err" >&2
			return 1
		}
		sleep 0.2
	done
}

# nats_leaf_pair HUB LEAF: a JetStream server in the domain "hub" (its
# directory HUB) and a leaf node of it with a JetStream of its own in
# the domain "leaf" (LEAF), each from a config file written here; their
# URLs into HUB/url and LEAF/url, once the leaf node is connected.
nats_leaf_pair() {
	local hub=$1 leaf=$2 port i
	port=$(nats_free_ports 1)
	mkdir -p "$hub" "$leaf"
	printf 'jetstream { domain: hub }\nleafnodes { listen: "127.0.0.1:%s" }\n' "$port" >"$hub/conf"
	printf 'jetstream { domain: leaf }\nleafnodes { remotes: [ { url: "nats-leaf://127.0.0.1:%s" } ] }\n' \
		"$port" >"$leaf/conf"
	nats_server_start "$hub" -c "$hub/conf" || return 1
	nats_server_start "$leaf" -c "$leaf/conf" || return 1
	for ((i = 0; i < 500; i++)); do
		grep -q 'Leafnode connection created' "$hub/log" &&
			grep -q 'Leafnode connection created' "$leaf/log" && return 0
		sleep 0.02
	done
	echo "the leaf node did not connect: $(cat "$hub/log" "$leaf/log")" >&2
	return 1
}
