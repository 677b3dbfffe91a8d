# tests/bench/nats.sh -- the nats group of tests/bench/run, sourced by it
# (BENCH_ONLY=nats): evpipe's nats:// target against the floor, the
# smallest libnats loop doing the same work (nats-floor.c: JetStream
# asynchronous publishes with a Nats-Msg-Id, 4096 in flight, every
# acknowledgement waited for).  One nats-server with JetStream on
# 127.0.0.1, its store in DIR/nats; each timed run publishes the corpus
# into a stream made empty again before it (a stream that held the same
# message ids would drop them as duplicates).  The "x faster" column of
# the floor's row is the share of the floor's speed evpipe reaches.
# Then the same for the nats:// source (-i) against a pull consumer.
# Uses run's evpipe, dir, n, corpus, out, here, prepare, group() and
# peak_rss().
# shellcheck shell=sh disable=SC2154,SC2034 # set and read by run

PATH=$PATH:/usr/sbin # Debian's nats-server
command -v nats-server >/dev/null 2>&1 || {
	echo "bench: nats-server is missing (run 'make deps')" >&2
	exit 1
}
# shellcheck disable=SC2046 # pkg-config prints several words
${CC:-cc} -O2 -std=c11 -D_GNU_SOURCE -o "$dir/nats-floor" "$here/nats-floor.c" \
	$(pkg-config --cflags --libs libnats libxxhash)
floor=$dir/nats-floor
rm -rf "$dir/nats"
mkdir -p "$dir/nats"
nats-server -js -a 127.0.0.1 -p -1 -sd "$dir/nats/store" >"$dir/nats/log" 2>&1 &
nats_pid=$!
trap 'kill $nats_pid 2>/dev/null' EXIT
nats_port=
i=0
while [ -z "$nats_port" ] && [ $i -lt 250 ]; do
	nats_port=$(sed -n 's/.*Listening for client connections on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$dir/nats/log")
	[ -n "$nats_port" ] || sleep 0.02
	i=$((i + 1))
done
[ -n "$nats_port" ] || {
	echo "bench: nats-server did not start: $(cat "$dir/nats/log")" >&2
	exit 1
}
nats=nats://127.0.0.1:$nats_port

prepare="$floor stream $nats BENCH 'bench.>'"
group nats-publish \
	"evpipe -o nats://" "$evpipe -o $nats/bench.x cat $corpus" \
	"libnats floor (async publish)" "$floor pub $nats bench.x $corpus"
prepare=
$floor stream "$nats" BENCH 'bench.>'
echo "peak RSS of evpipe -o nats://: $(peak_rss "$evpipe" -o "$nats/bench.x" cat "$corpus") kB"
$floor stream "$nats" BENCH 'bench.>'
echo "peak RSS of the floor publisher: $(peak_rss "$floor" pub "$nats" bench.x "$corpus") kB"

# The source: evpipe reads the stream through a durable pull consumer
# and acknowledges what it wrote (head -n ends the run: the source runs
# until it is stopped); the floor fetches 256 at a time (what evpipe asks
# for) and acknowledges each.  Each run starts from a new consumer.
$floor stream "$nats" BENCH 'bench.>'
$floor pub "$nats" bench.x "$corpus"
prepare="$floor rmconsumer $nats BENCH bench && rm -f $out"
group nats-consume \
	"evpipe -i nats:// (acks)" "$evpipe -i '$nats/BENCH?consumer=bench' head -n $n >$out" \
	"libnats floor (pull, ack each)" "$floor sub $nats BENCH bench $n/256 $out"
prepare=
$floor rmconsumer "$nats" BENCH bench
echo "peak RSS of evpipe -i nats://: $(peak_rss "$evpipe" -i "$nats/BENCH?consumer=bench" head -n "$n") kB"
$floor rmconsumer "$nats" BENCH bench
echo "peak RSS of the floor consumer: $(peak_rss "$floor" sub "$nats" BENCH bench "$n/256" /dev/null) kB"

kill $nats_pid 2>/dev/null
wait $nats_pid 2>/dev/null || true
trap - EXIT
rm -rf "$dir/nats"
