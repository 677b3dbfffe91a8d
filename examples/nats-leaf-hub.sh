#!/bin/sh
# nats-leaf-hub: a site runs a NATS leaf node, with a JetStream of its
# own, connected to the company's hub, whose JetStream is in the domain
# "hub".  evpipe connects to the leaf node only: it publishes the site's
# orders into the hub's stream ORDERS, and reads them back from it
# through a durable consumer, both with --nats-js-domain hub (without it
# the JetStream API of the leaf node would answer, which has no ORDERS).
# A message is acknowledged on the hub once its event is written out.
#
# The servers are two nats-server processes on 127.0.0.1, on ports they
# pick, each with its store in a temporary directory and a config file
# written here; the stream is created and the consumer's state read on
# the hub with nats-peer (built by make from tests/helpers/).
#
# usage: sh examples/nats-leaf-hub.sh [EVPIPE] <examples/nats-leaf-hub.in.ndjson
set -eu
EVPIPE=${1:-evpipe}
PATH=$PATH:/usr/sbin # where Debian installs nats-server
case $EVPIPE in
*/*)
	bindir=$(cd "$(dirname "$EVPIPE")" && pwd)
	EVPIPE=$bindir/$(basename "$EVPIPE")
	;;
*) bindir=$(cd "$(dirname "$(command -v "$EVPIPE")")" && pwd) ;;
esac
peer=$bindir/build/nats-peer
[ -x "$peer" ] || peer=$bindir/nats-peer
[ -x "$peer" ] || { echo "nats-peer is not built (make)" >&2; exit 1; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/evpipe-example.XXXXXX")
hub=
leaf=
cleanup() {
	for p in $leaf $hub; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$dir"
}
trap cleanup EXIT
cd "$dir"

# wait_log FILE PATTERN: the sed PATTERN's first group, once FILE has it.
wait_log() {
	i=0
	found=
	while [ -z "$found" ]; do
		i=$((i + 1))
		[ "$i" -le 100 ] || { echo "no '$2' in $1: $(cat "$1")" >&2; exit 1; }
		sleep 0.1
		found=$(sed -n "s/.*$2.*/\\1/p" "$1" | head -n 1)
	done
	echo "$found"
}

# 1. The hub: JetStream in the domain "hub", taking leaf nodes.
cat >hub.conf <<'END'
jetstream { domain: hub }
leafnodes { listen: "127.0.0.1:-1" }
END
nats-server -c hub.conf -js -a 127.0.0.1 -p -1 -sd "$dir/hub" >hub.log 2>&1 &
hub=$!
hub_port=$(wait_log hub.log 'Listening for client connections on 127\.0\.0\.1:\([0-9]*\)')
leaf_port=$(wait_log hub.log 'Listening for leafnode connections on 127\.0\.0\.1:\([0-9]*\)')
"$peer" "nats://127.0.0.1:$hub_port" stream ORDERS 'orders.>'

# 2. The site's leaf node, with a JetStream of its own (domain "leaf").
cat >leaf.conf <<END
jetstream { domain: leaf }
leafnodes { remotes: [ { url: "nats-leaf://127.0.0.1:$leaf_port" } ] }
END
nats-server -c leaf.conf -js -a 127.0.0.1 -p -1 -sd "$dir/leaf" >leaf.log 2>&1 &
leaf=$!
port=$(wait_log leaf.log 'Listening for client connections on 127\.0\.0\.1:\([0-9]*\)')
wait_log leaf.log '\(Leafnode connection created\)' >/dev/null
url=nats://127.0.0.1:$port

# 3. Publish the orders through the leaf node, a subject per region.
cat >in.ndjson
"$EVPIPE" --nats-js-domain hub -o "$url/orders.{.region}?msgid={.id}" cat in.ndjson

# 4. Read them back from the hub's stream, through the leaf node (the
# hub hears of the leaf node's interest in its API a moment after the
# link is made: the first tries may find no responders).
want=$(wc -l <in.ndjson)
consume() {
	# shellcheck disable=SC1010 # "then" chains evpipe's commands
	"$EVPIPE" --nats-js-domain hub -i "$url/ORDERS?consumer=site-copy" \
		head -n "$want" then map '{subject: input_meta.subject} + .'
}
i=0
until consume 2>consumer.log; do
	i=$((i + 1))
	[ "$i" -le 50 ] || { cat consumer.log >&2; exit 1; }
	sleep 0.1
done

# 5. On the hub, the consumer has nothing left to acknowledge.
i=0
while :; do
	state=$("$peer" "nats://127.0.0.1:$hub_port" consumer ORDERS site-copy)
	case $state in *" ack_pending=0 "*) break ;; esac
	i=$((i + 1))
	[ "$i" -le 100 ] || break
	sleep 0.1
done
# shellcheck disable=SC2001 # a POSIX sh script: no ${var//...}
echo "$state" |
	sed 's/^pending=\([0-9]*\) ack_pending=\([0-9]*\).*/{"pending":\1,"ack_pending":\2}/'
