#!/bin/sh
# nats-by-subject: publish events to NATS JetStream on a subject per type
# and region, with the event's id as the message id.  A rerun of the same
# input (after a crash, say) stores nothing twice: the server drops a
# message whose Nats-Msg-Id it has seen.  Values that would change the
# shape of the subject (a ".", a wildcard, a space) are made safe; an
# empty one would make an empty token and goes to the dead-letter file.
# Then the stream is copied to an archive stream, subject and id taken
# from each message's metadata.
#
# The server is nats-server with JetStream, on 127.0.0.1 and a free
# port, with its store in a temporary directory; the stream is created
# and read back with nats-peer (built by make from tests/helpers/).
#
# usage: sh examples/nats-by-subject.sh [EVPIPE] <examples/nats-by-subject.in.ndjson
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
server=
cleanup() {
	if [ -n "$server" ]; then
		kill "$server" 2>/dev/null || true
		wait "$server" 2>/dev/null || true
	fi
	rm -rf "$dir"
}
trap cleanup EXIT
cd "$dir"

# 1. The server, and a stream that takes every subject under "events.".
nats-server -js -a 127.0.0.1 -p -1 -sd "$dir/store" >server.log 2>&1 &
server=$!
i=0
port=
while [ -z "$port" ]; do
	i=$((i + 1))
	[ "$i" -le 100 ] || { echo "nats-server did not start" >&2; exit 1; }
	sleep 0.1
	port=$(sed -n 's/.*Listening for client connections on 127\.0\.0\.1:\([0-9]*\).*/\1/p' server.log)
done
url=nats://127.0.0.1:$port
"$peer" "$url" stream EVENTS 'events.>'

# 2. Publish the input, twice: the second run is deduplicated.
cat >in.ndjson
for run in 1 2; do
	status=0
	"$EVPIPE" -q --dlq "dead.$run.ndjson" \
		-o "$url/events.{.type}.{.region}?msgid={.id}" cat in.ndjson || status=$?
	[ "$status" -eq 3 ] || { echo "run $run: exit status $status" >&2; exit 1; }
done
"$EVPIPE" map '{event: .event.id, why: (.reason | sub("^.*: "; ""))}' dead.1.ndjson

# 3. What the stream holds: subject, message id, event.
"$peer" "$url" dump EVENTS |
	awk -F '\t' '{ printf "{\"subject\":\"%s\",\"msgid\":\"%s\",\"event\":%s}\n", $1, $2, $3 }'

# 4. Copy the stream into another, each message under its own subject
#    below "archive." and with the source's stream and sequence as its
#    id (input_meta, the metadata of the message each event came from):
#    a copy run again stores nothing twice.
"$peer" "$url" stream ARCHIVE 'archive.>'
"$peer" "$url" mkconsumer EVENTS archiver 30000
"$EVPIPE" -i "$url/EVENTS?consumer=archiver" head -n 4 \
	-o "$url/archive.{input_meta.subject}?msgid={input_meta.stream}-{input_meta.sequence}"
"$peer" "$url" dump ARCHIVE |
	awk -F '\t' '{ printf "{\"subject\":\"%s\",\"msgid\":\"%s\",\"event\":%s}\n", $1, $2, $3 }'
