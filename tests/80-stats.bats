#!/usr/bin/env bats
# stats (evpipe-stats(1)): counts, bytes, top keys, rejects by stage and
# reason, lag percentiles; stats events, --to, Prometheus, --live.
load test_helper

setup() {
	T=$BATS_TEST_TMPDIR
	F=$FIXTURES/stats/events.ndjson
	NOW=2026-11-26T10:01:00Z
}

# Times and rates vary from run to run: leave them out.
STEADY='del(.elapsed_s, .events_per_s)'

@test "counts, bytes, top keys with exact counts, rejects, lag (golden)" {
	run_to "$T/out" stats -k .cur --lag .ts --now $NOW --top 2 then map "$STEADY" "$F"
	[[ $status -eq 1 ]]
	same "$T/out" '{"type":"stats","final":true,"events":6,"bytes":306,"keys":{"tracked":4,"top":[{"key":"EUR","count":3,"error":0},{"key":"GBP","count":1,"error":0}],"other":2},"rejects":{"input":{"invalid JSON: invalid literal at column 1":1}},"lag_s":{"count":6,"p50":60,"p90":3659.5,"p99":3659.5,"max":3659.5}}\n'
	# bytes are those of the event lines read, newlines included
	[[ $(grep -v '^not json' "$F" | wc -c) -eq 306 ]]
}

@test "stats -k twice is a usage error, not the last key alone" {
	run_to "$T/out" stats -k .a -k .b "$F"
	[[ $status -eq 2 ]]
	[[ ! -s $T/out ]]
	assert_equal "$stderr" "evpipe: stats: --key given twice: it takes one expression (for a compound key, an array: '[.a, .b]')"
	# the same rule for every expression option
	run_to "$T/out" dedup --time .a -k .x --ttl 1s --time .b "$F"
	[[ $status -eq 2 ]]
	[[ $stderr == *"--time given twice"* ]]
}

@test "without options: counts and rejects only; empty input" {
	run_to "$T/out" -q stats then map "$STEADY" "$F"
	same "$T/out" '{"type":"stats","final":true,"events":6,"bytes":306,"rejects":{"input":{"invalid JSON: invalid literal at column 1":1}}}\n'
	run_to "$T/out" stats then map "$STEADY" </dev/null
	[[ $status -eq 0 ]]
	same "$T/out" '{"type":"stats","final":true,"events":0,"bytes":0,"rejects":{}}\n'
}

@test "rejects of every stage, by reason, as the runner counts them" {
	printf '{"a":1}\n{"a":"x"}\n{"b":2}\n{"a":"y"}\n' >"$T/in"
	printf '{"type":"object","properties":{"a":{"type":"integer"}},"required":["a"]}\n' >"$T/s.json"
	run_to "$T/out" -q validate -s "$T/s.json" then stats then map '.rejects' "$T/in"
	[[ $status -eq 1 ]]
	same "$T/out" '{"validate":{"1 schema error: /a: \\"x\\" is not of type integer":1,"1 schema error: (root): required property \\"a\\" is missing":1,"1 schema error: /a: \\"y\\" is not of type integer":1}}\n'
}

@test "-k keys are canonical JSON: 1.0 and 1, \\u0061 and a count together" {
	printf '{"k":1}\n{"k":1.0}\n{"k":"a"}\n{"k":"\\u0061"}\n{"k":[1]}\n' >"$T/in"
	run_to "$T/out" stats -k .k then map '.keys' "$T/in"
	same "$T/out" '{"tracked":3,"top":[{"key":"a","count":2,"error":0},{"key":1,"count":2,"error":0},{"key":[1],"count":1,"error":0}],"other":0}\n'
}

@test "a key or lag that does not evaluate to one value is a reject" {
	printf '{"k":1,"t":5}\n{"t":"yesterday"}\n{"k":2}\n' >"$T/in"
	run_to "$T/out" --dlq "$T/dlq" stats --lag .t --now 10 then map "$STEADY" "$T/in"
	[[ $status -eq 1 ]]
	same "$T/out" '{"type":"stats","final":true,"events":1,"bytes":14,"rejects":{"stats":{"--lag: \\"yesterday\\" is not an RFC 3339 time or epoch seconds/milliseconds":1,"--lag: null is not an RFC 3339 time or epoch seconds/milliseconds":1}},"lag_s":{"count":1,"p50":5,"p90":5,"p99":5,"max":5}}\n'
	grep -q '"stage":"stats"' "$T/dlq"
	run_to "$T/out" stats -k '.k[]' "$T/in"
	[[ $status -eq 1 ]]
}

@test "lag percentiles stay within 1% on many events" {
	local i
	for ((i = 1; i <= 1000; i++)); do
		printf '{"ts":%d}\n' $((1795690000 - i * 37))
	done >"$T/in"
	# lags are 37, 74, ... 37000 s: p50 18500, p90 33300, p99 36630
	run_to "$T/out" stats --lag .ts --now 1795690000 then map '.lag_s' "$T/in"
	run -0 "$EVPIPE" filter '(.p50 - 18500 | fabs) <= 185 and (.p90 - 33300 | fabs) <= 333 and (.p99 - 36630 | fabs) <= 367 and .max == 37000 and .count == 1000' "$T/out"
	[[ -n $output ]] || fail "percentiles off: $(cat "$T/out")"
}

@test "epoch seconds, epoch milliseconds and RFC 3339 offsets agree" {
	printf '{"t":1795687200}\n{"t":1795687200000}\n{"t":"2026-11-26T10:00:00Z"}\n{"t":"2026-11-26T11:00:00+01:00"}\n{"t":"2026-11-26t09:30:00-00:30"}\n' >"$T/in"
	run_to "$T/out" stats --lag .t --now 1795687260 then map '.lag_s' "$T/in"
	same "$T/out" '{"count":5,"p50":60,"p90":60,"p99":60,"max":60}\n'
	run_to "$T/out" stats --lag .t --now yesterday "$T/in"
	[[ $status -eq 2 ]]
	assert_equal "$stderr" "evpipe: stats: --now 'yesterday': not an RFC 3339 time or epoch seconds/milliseconds"
}

@test "top keys beyond the table: counts bounded, heavy keys kept" {
	local i
	# 3000 distinct light keys and one heavy key: the table holds 1024
	for ((i = 0; i < 3000; i++)); do
		printf '{"k":"light%d"}\n{"k":"heavy"}\n' $i
	done >"$T/in"
	run_to "$T/out" stats -k .k --top 1 then map '.keys' "$T/in"
	same "$T/out" '{"tracked":1024,"top":[{"key":"heavy","count":3000,"error":0}],"other":3000}\n'
}

@test "--to writes stats to a target and passes the events on" {
	run_to "$T/out" -q stats --target "$T/stats.ndjson" -k .cur "$F"
	[[ $status -eq 1 ]]
	grep -v '^not json' "$F" | cmp - "$T/out"
	"$EVPIPE" map "$STEADY" "$T/stats.ndjson" >"$T/s"
	same "$T/s" '{"type":"stats","final":true,"events":6,"bytes":306,"keys":{"tracked":4,"top":[{"key":"EUR","count":3,"error":0},{"key":"GBP","count":1,"error":0},{"key":"USD","count":1,"error":0},{"key":null,"count":1,"error":0}],"other":0},"rejects":{"input":{"invalid JSON: invalid literal at column 1":1}}}\n'
}

@test "--every emits interval events on a stream, then the final one" {
	run_to "$T/out" stats --every 100ms < <(
		echo '{"a":1}'
		sleep 0.5
		echo '{"a":2}'
	)
	[[ $status -eq 0 ]]
	run -0 "$EVPIPE" filter '.final == false and .events == 1' "$T/out"
	[[ -n $output ]] || fail "no interval event: $(cat "$T/out")"
	tail -1 "$T/out" | "$EVPIPE" filter '.final and .events == 2' >"$T/last"
	[[ -s $T/last ]]
}

@test "--prometheus writes the text format atomically" {
	run_to "$T/out" -q stats -k .cur --lag .ts --now $NOW --prometheus "$T/evpipe.prom" "$F"
	[[ $status -eq 1 ]]
	same "$T/evpipe.prom" '# HELP evpipe_events_total Events seen by evpipe stats.
# TYPE evpipe_events_total counter
evpipe_events_total 6
# HELP evpipe_bytes_total Bytes of the events seen, newlines included.
# TYPE evpipe_bytes_total counter
evpipe_bytes_total 306
# HELP evpipe_key_events_total Events per key, for the top keys (an upper bound when not exact).
# TYPE evpipe_key_events_total counter
evpipe_key_events_total{key="EUR"} 3
evpipe_key_events_total{key="GBP"} 1
evpipe_key_events_total{key="USD"} 1
evpipe_key_events_total{key="null"} 1
# HELP evpipe_rejects_total Rejected events by stage and reason.
# TYPE evpipe_rejects_total counter
evpipe_rejects_total{stage="input",reason="invalid JSON: invalid literal at column 1"} 1
# HELP evpipe_lag_seconds Event lag: time seen minus event time.
# TYPE evpipe_lag_seconds summary
evpipe_lag_seconds{quantile="0.5"} 60
evpipe_lag_seconds{quantile="0.9"} 3659.5
evpipe_lag_seconds{quantile="0.99"} 3659.5
evpipe_lag_seconds{quantile="1"} 3659.5
evpipe_lag_seconds_sum 4079.5
evpipe_lag_seconds_count 6
'
	# no temporary file left behind
	run ls "$T"
	refute_output --partial ".tmp"
	# labels are escaped
	printf '{"k":"a\\"b\\\\c\\nd"}\n' >"$T/q"
	"$EVPIPE" stats -k .k --prometheus "$T/q.prom" "$T/q" >/dev/null
	grep -qF 'evpipe_key_events_total{key="a\"b\\c\nd"} 1' "$T/q.prom"
	# a directory that does not exist is an I/O error
	run_to "$T/out" stats --prometheus "$T/no/such/x.prom" "$F"
	[[ $status -eq 3 ]]
	[[ $stderr == *"--prometheus: cannot open '$T/no/such/x.prom."*"': No such file or directory"* ]]
}

@test "--live draws a table on the terminal and leaves stdout alone" {
	command -v script >/dev/null || fail "script(1) is not installed"
	script -qfec "$EVPIPE stats --live -k .cur --lag .ts --now $NOW --target $T/s.ndjson $F 2>$T/tty >$T/data" /dev/null </dev/null >/dev/null || true
	# stderr was not a terminal there: refused
	grep -q -- "--live needs a terminal" "$T/tty"
	script -qfec "$EVPIPE -q stats --live -k .cur --lag .ts --now $NOW --target $T/s.ndjson $F >$T/data" /dev/null </dev/null >"$T/tty" || true
	grep -v '^not json' "$F" | cmp - "$T/data"
	grep -q 'evpipe stats .* 6 events' "$T/tty"
	grep -q 'lag  p50 1.0m  p90 1.0h  p99 1.0h  max 1.0h' "$T/tty"
	grep -Eq '^EUR +3 ' "$T/tty"
}

@test "usage errors exit 2 before reading" {
	run_to "$T/out" stats --top 0 "$T/none"
	[[ $status -eq 2 ]]
	assert_equal "$stderr" "evpipe: stats: --top must be at least 1"
	run_to "$T/out" stats -k '.a |' "$T/none"
	[[ $status -eq 2 ]]
	[[ $stderr == "evpipe: stats: -k: "* ]]
	run_to "$T/out" stats --every 0.1ms "$T/none"
	[[ $status -eq 2 ]]
	run_to "$T/out" stats --live "$T/none"
	[[ $status -eq 2 ]]
	assert_equal "$stderr" "evpipe: stats: --live needs a terminal on standard error"
	run_to "$T/out" stats extra
	[[ $status -eq 3 ]]
}

@test "unit: Space-Saving guarantees and quantile error bounds" {
	run_unit t-sketch
}

@test "stats --prometheus - writes the exposition to standard output once, at the end; refused beside events" {
	cd "$BATS_TEST_TMPDIR"
	printf '{"a":1}\n{"a":2}\n' >in
	run --separate-stderr "$EVPIPE" -o ev.ndjson stats --prometheus - in
	[[ $status -eq 0 ]] || fail "exit $status: $stderr"
	[[ ! -e ./- ]] || fail "a file named - was created"
	[[ $output == *"evpipe_events_total 2"* ]] || fail "$output"
	[[ $(grep -c '^evpipe_events_total' <<<"$output") -eq 1 ]] || fail "$output"
	[[ $(jq -c '[.type, .events]' ev.ndjson) == '["stats",2]' ]] || fail "$(cat ev.ndjson)"
	run --separate-stderr "$EVPIPE" stats --prometheus - in
	[[ $status -eq 2 && -z $output ]] || fail "exit $status: $output"
	[[ $stderr == "evpipe: stats: --prometheus -: the events go to standard output too; give --prometheus a file, or the events -o FILE" ]] || fail "$stderr"
}
