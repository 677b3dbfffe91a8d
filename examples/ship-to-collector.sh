#!/bin/sh
# ship-to-collector: send events to a collector over a socket without
# losing any when it is down.  evpipe keeps the events and keeps trying;
# at the end of the input it waits --linger more, then dead-letters what
# the collector never took and exits 3.  Once the collector is back, the
# dead letters are sent again.  Here the collector is evpipe itself,
# listening on a Unix socket; a tcp://HOST:PORT target works the same way.
#
# usage: sh examples/ship-to-collector.sh [EVPIPE] <examples/ship-to-collector.in.ndjson
set -eu
EVPIPE=${1:-evpipe}
dir=$(mktemp -d "${TMPDIR:-/tmp}/evpipe-example.XXXXXX")
collector=
trap '[ -z "$collector" ] || kill "$collector" 2>/dev/null; rm -rf "$dir"' EXIT
cd "$dir"

# 1. The collector is down.  tee passes the events on (here to
#    /dev/null) and keeps them for the socket; after a 1 s linger they
#    are dead-lettered, with the reason.
status=0
"$EVPIPE" -q --linger 1s --dlq unsent.ndjson tee --target unix:collector.sock \
	>/dev/null || status=$?
[ "$status" -eq 3 ] || { echo "expected exit status 3, got $status" >&2; exit 1; }
"$EVPIPE" map '{reason, event: .event.id}' unsent.ndjson

# 2. The collector comes up: a listener that writes what it gets to a
#    file, each event as soon as it comes.
"$EVPIPE" --line-buffered -i unix:collector.sock -o collected.ndjson cat &
collector=$!
i=0
while [ ! -S collector.sock ]; do
	i=$((i + 1))
	[ "$i" -le 100 ] || { echo "the collector did not start" >&2; exit 1; }
	sleep 0.1
done

# 3. Send the dead letters again: the events themselves, in their order.
"$EVPIPE" map .event unsent.ndjson | "$EVPIPE" -o unix:collector.sock cat

# 4. Stop the collector once it has them all; SIGTERM makes it write out
#    what it holds and exit 143 (128 + 15).
want=$(wc -l <unsent.ndjson)
i=0
while [ ! -e collected.ndjson ] || [ "$(wc -l <collected.ndjson)" -lt "$want" ]; do
	i=$((i + 1))
	[ "$i" -le 100 ] || { echo "the collector got too few events" >&2; exit 1; }
	sleep 0.1
done
kill -TERM "$collector"
status=0
wait "$collector" || status=$?
collector=
[ "$status" -eq 143 ] || { echo "collector: exit status $status" >&2; exit 1; }
cat collected.ndjson
