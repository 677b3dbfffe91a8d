#!/bin/sh
# kafka-to-files: consume a Kafka topic and file its messages by key,
# using the message metadata evpipe gives expressions as input_meta
# (topic, partition, offset, key, timestamp, headers).  The producer is
# evpipe too: each event keyed by its user, with a "source" header.  The
# consumer adds where each message was stored and its header to the
# event, and split writes one file per key; the key comes from the
# broker, not from the event, and is made safe as a file name.
#
# The broker here is a three-broker mock cluster in one process (built by
# make from tests/helpers/kafka-mock.c, on 127.0.0.1), as in
# kafka-produce.sh.  A consumer group's first join takes the mock about
# three seconds.
#
# usage: sh examples/kafka-to-files.sh [EVPIPE] <examples/kafka-to-files.in.ndjson
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
consumer=
cleanup() {
	[ -z "$consumer" ] || kill "$consumer" 2>/dev/null || true
	[ -z "$hold" ] || kill "$hold" 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT
cd "$dir"

# 1. The cluster, with a topic of 2 partitions; it runs while its stdin
#    stays open.
mkfifo hold
sleep 600 >hold &
hold=$!
"$mock" clicks:2 <hold >boot &
i=0
while [ ! -s boot ]; do
	i=$((i + 1))
	[ "$i" -le 100 ] || { echo "the mock cluster did not start" >&2; exit 1; }
	sleep 0.1
done
boot=$(cat boot)

# 2. Produce: keyed by {.user}, with a header "source" on each message.
"$EVPIPE" -o "kafka://$boot/clicks?key={.user}&header=source:web" cat

# 3. Consume as the group "files": a file per message key.
"$EVPIPE" -i "kafka://$boot/clicks?group=files" \
	--kafka-set session.timeout.ms=6000 \
	map '{id, page, partition: input_meta.partition,
	      offset: input_meta.offset, source: input_meta.headers.source}' \
	"then" split --mkdir 'by-key/{input_meta.key}.ndjson' 2>consumer.err &
consumer=$!
i=0
while [ "$(cat by-key/*.ndjson 2>/dev/null | wc -l)" -lt 6 ]; do
	i=$((i + 1))
	[ "$i" -le 600 ] || { echo "consumed too little: $(cat consumer.err)" >&2; exit 1; }
	sleep 0.1
done
# A source runs until it is stopped; SIGTERM commits and leaves the group.
kill -TERM "$consumer"
status=0
wait "$consumer" || status=$?
consumer=
[ "$status" -eq 143 ] || { echo "consumer exited $status: $(cat consumer.err)" >&2; exit 1; }

# 4. What each file holds, with its name.
"$EVPIPE" map '{file: input_filename} + .' by-key/*.ndjson
