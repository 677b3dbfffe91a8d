#!/bin/sh
# kafka-produce: produce events to a Kafka topic, keyed by customer, and
# read them back with kcat.  Every order of a customer lands on the same
# partition (the Java client's murmur2 partitioner), so a consumer sees
# each customer's orders in order; an event without a customer cannot be
# keyed and goes to the dead-letter file with the reason.  evpipe waits
# until the broker acknowledged every message before it exits 0.
#
# The broker here is a three-broker mock cluster in one process (built by
# make from tests/helpers/kafka-mock.c, on 127.0.0.1); against a real
# cluster, name it in the URL and put TLS or SASL settings in a
# properties file given with --kafka-config.
#
# usage: sh examples/kafka-produce.sh [EVPIPE] <examples/kafka-produce.in.ndjson
set -eu
EVPIPE=${1:-evpipe}
case $EVPIPE in
*/*)
	bindir=$(cd "$(dirname "$EVPIPE")" && pwd)
	EVPIPE=$bindir/$(basename "$EVPIPE")
	;;
*) bindir=$(cd "$(dirname "$(command -v "$EVPIPE")")" && pwd) ;;
esac
mock=$bindir/build/kafka-mock
[ -x "$mock" ] || mock=$bindir/kafka-mock
[ -x "$mock" ] || { echo "kafka-mock is not built (make)" >&2; exit 1; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/evpipe-example.XXXXXX")
hold=
trap '[ -z "$hold" ] || kill "$hold" 2>/dev/null; rm -rf "$dir"' EXIT
cd "$dir"

# 1. The cluster, with a topic of 3 partitions; it runs while its stdin
#    stays open.
mkfifo hold
sleep 600 >hold &
hold=$!
"$mock" orders:3 <hold >boot &
i=0
while [ ! -s boot ]; do
	i=$((i + 1))
	[ "$i" -le 100 ] || { echo "the mock cluster did not start" >&2; exit 1; }
	sleep 0.1
done
boot=$(cat boot)

# 2. Produce: one message per event, keyed by {.customer}.
status=0
"$EVPIPE" -q --dlq unkeyed.ndjson -o "kafka://$boot/orders?key={.customer}" cat || status=$?
[ "$status" -eq 3 ] || { echo "expected exit status 3, got $status" >&2; exit 1; }
"$EVPIPE" map '{event: .event.id, why: (.reason | sub("^.*template part"; "template part"))}' unkeyed.ndjson

# 3. Consume with kcat: partition, key and the event, one JSON line each.
kcat -C -b "$boot" -t orders -e -o beginning -q \
	-f '{"partition":%p,"key":"%k","event":%s}\n' | sort
