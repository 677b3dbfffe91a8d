# tests/bench/http-source.sh -- the httpin group of tests/bench/run, sourced
# by it (BENCH_ONLY=httpin): evpipe -i http:// ingesting the corpus POSTed
# as 1000-event NDJSON bodies by 4 clients at once (http-post.c: libcurl
# easy handles on threads, kept-alive connections), against evpipe -i
# tcp:// reading the same events from 4 connections (the same program).
# Each timed run starts evpipe on 127.0.0.1 (port 0, read from its
# stderr), sends everything, and ends when head -n has the corpus; the
# "x faster" column of the tcp row is the share of tcp's speed the http
# source reaches.  Uses run's evpipe, dir, n, corpus, out, here, group()
# and peak_rss().
# shellcheck shell=sh disable=SC2154,SC2034 # set and read by run

# shellcheck disable=SC2046 # pkg-config prints several words
${CC:-cc} -O2 -std=c11 -D_GNU_SOURCE -o "$dir/http-post" "$here/http-post.c" \
	$(pkg-config --cflags --libs libcurl) -pthread
cat >"$dir/http-run" <<'RUN'
#!/bin/sh
# http-run KIND EVPIPE CORPUS N OUT CLIENTS: one timed run (http or tcp)
set -eu
kind=$1 evpipe=$2 corpus=$3 n=$4 out=$5 clients=$6
dir=$(dirname "$0")
err=$dir/http-run.err
: >"$err"
# HTTP_RUN_RSS=FILE: evpipe's peak RSS in kB goes to FILE
${HTTP_RUN_RSS:+/usr/bin/time -f %M -o "$HTTP_RUN_RSS"} "$evpipe" \
	-i "$([ "$kind" = http ] && echo http://:0/in || echo tcp://:0)" \
	head -n "$n" >"$out" 2>"$err" &
pid=$!
i=0
url=
while [ -z "$url" ] && [ $i -lt 500 ]; do
	url=$(sed -n 's/^evpipe: listening on \([^ ]*\)$/\1/p' "$err")
	[ -n "$url" ] || sleep 0.01
	i=$((i + 1))
done
[ -n "$url" ] || { kill "$pid"; echo "no listener: $(cat "$err")" >&2; exit 1; }
if [ "$kind" = http ]; then
	"$dir/http-post" http "$url" "$corpus" "$clients" 1000
else
	"$dir/http-post" tcp "${url#tcp://}" "$corpus" "$clients"
fi
wait "$pid"
RUN
chmod +x "$dir/http-run"
group http-source \
	"evpipe -i http:// (4 clients)" "$dir/http-run http $evpipe $corpus $n $out 4" \
	"evpipe -i tcp:// (4 connections)" "$dir/http-run tcp $evpipe $corpus $n $out 4"
# evpipe's own peak RSS (not its client's), one run each
for kind in http tcp; do
	HTTP_RUN_RSS=$dir/http-run.rss "$dir/http-run" $kind "$evpipe" "$corpus" "$n" "$out" 4
	echo "peak RSS of evpipe -i $kind://: $(cat "$dir/http-run.rss") kB"
done
