# tests/bench/http-out.sh -- the httpout group of tests/bench/run, sourced
# by it (BENCH_ONLY=httpout): evpipe -o http:// posting the corpus in
# batches of 1000 events to a local sink (http-out-sink.c: libmicrohttpd,
# counts bytes, answers 200), against the same with curl run per batch by
# "evpipe batch --exec", and against the floor, the smallest libcurl
# program posting the same bodies on one kept-alive connection
# (http-out-floor.c).  The "x faster" column of the other rows is their
# time over evpipe's.  Uses run's evpipe, dir, n, corpus, out, here,
# group() and peak_rss().
# shellcheck shell=sh disable=SC2154,SC2034 # set and read by run

command -v curl >/dev/null 2>&1 || {
	echo "bench: curl is missing (run 'make deps')" >&2
	exit 1
}
# shellcheck disable=SC2046 # pkg-config prints several words
${CC:-cc} -O2 -std=c11 -D_GNU_SOURCE -o "$dir/http-out-sink" "$here/http-out-sink.c" \
	$(pkg-config --cflags --libs libmicrohttpd)
# shellcheck disable=SC2046
${CC:-cc} -O2 -std=c11 -D_GNU_SOURCE -o "$dir/http-out-floor" "$here/http-out-floor.c" \
	$(pkg-config --cflags --libs libcurl)
rm -f "$dir/http-out.port"
"$dir/http-out-sink" "$dir/http-out.port" >"$dir/http-out.stats" &
sink_pid=$!
trap 'kill $sink_pid 2>/dev/null' EXIT
i=0
while [ ! -s "$dir/http-out.port" ] && [ $i -lt 250 ]; do
	sleep 0.02
	i=$((i + 1))
done
[ -s "$dir/http-out.port" ] || {
	echo "bench: http-out-sink did not start" >&2
	exit 1
}
url=http://127.0.0.1:$(cat "$dir/http-out.port")/bench
# the proxy of the environment would measure itself
unset http_proxy HTTP_PROXY https_proxy HTTPS_PROXY all_proxy ALL_PROXY
curl_cmd="curl -sS -o /dev/null --fail -H Expect: -H Content-Type:application/x-ndjson --data-binary @- $url"

group httpout \
	"evpipe -o http:// (1000/batch)" "$evpipe -o $url cat $corpus" \
	"evpipe -o http:// --http-parallel 2" "$evpipe --http-parallel 2 -o $url cat $corpus" \
	"evpipe -o http:// --http-gzip" "$evpipe --http-gzip -o $url cat $corpus" \
	"libcurl floor (same bodies)" "$dir/http-out-floor $url $corpus 1000" \
	"batch -n 1000 --exec curl" "$evpipe batch -n 1000 --exec '$curl_cmd' $corpus"
echo "peak RSS of evpipe -o http://: $(peak_rss "$evpipe" -o "$url" cat "$corpus") kB"
echo "peak RSS of evpipe -o http:// --http-parallel 2: $(peak_rss "$evpipe" --http-parallel 2 -o "$url" cat "$corpus") kB"
echo "peak RSS of the libcurl floor: $(peak_rss "$dir/http-out-floor" "$url" "$corpus" 1000) kB"

kill $sink_pid 2>/dev/null
wait $sink_pid 2>/dev/null || true
trap - EXIT
echo "http-out-sink: $(cat "$dir/http-out.stats") (requests, body bytes)"
