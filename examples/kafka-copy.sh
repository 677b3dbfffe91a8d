#!/bin/sh
# kafka-copy: copy a topic to another as a member of a consumer group,
# each event byte for byte, with each message's key (or its lack of one)
# and its trace header taken from input_meta, the metadata of the
# message it came from.  The source commits an offset only once the
# target's broker acknowledged the copy, so a copy stopped at any point
# and started again loses nothing.
#
# The broker here is a three-broker mock cluster in one process (built by
# make from tests/helpers/kafka-mock.c, on 127.0.0.1); kcat writes the
# messages to copy and reads the copies back.
#
# usage: sh examples/kafka-copy.sh [EVPIPE] <examples/kafka-copy.in.ndjson
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

# 1. The cluster, with one topic to copy and one for the copies.
mkfifo hold
sleep 600 >hold &
hold=$!
"$mock" orders:1 copy:2 <hold >boot &
i=0
while [ ! -s boot ]; do
	i=$((i + 1))
	[ "$i" -le 100 ] || { echo "the mock cluster did not start" >&2; exit 1; }
	sleep 0.1
done
boot=$(cat boot)

# 2. The messages to copy, one per input line, written by kcat: the
#    second has no key and no header.
n=0
while IFS= read -r event; do
	n=$((n + 1))
	case $n in
	1) set -- -k acme -H trace=t-1 ;;
	3) set -- -k globex -H trace=t-3 ;;
	*) set -- ;;
	esac
	printf '%s\n' "$event" | kcat -P -b "$boot" -t orders "$@"
done

# 3. The copy: as many events as were written (a broker source runs
#    until it is stopped; head ends it here).
"$EVPIPE" -i "kafka://$boot/orders?group=copier" head -n "$n" \
	-o "kafka://$boot/copy?key={input_meta.key}&header=trace:{input_meta.headers.trace // \"\"}"

# 4. The copies, read by kcat: the key's length (-1: no key), the key,
#    the headers and the event as the broker holds it, a JSON line each.
kcat -C -b "$boot" -t copy -e -o beginning -q \
	-f '{"key_length":%K,"key":"%k","headers":"%h","event":%s}\n' | sort
