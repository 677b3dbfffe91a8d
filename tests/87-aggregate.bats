#!/usr/bin/env bats
# aggregate (evpipe-aggregate(1)): every aggregate and window kind against
# golden files, out-of-order and late events, --max-keys, exact numbers,
# bad values, the sketches against exact answers through the binary, and
# differentials against mlr stats1 and jq group_by.
load test_helper

setup() {
	T=$BATS_TEST_TMPDIR
	A=$FIXTURES/aggregate
	E=$A/events.ndjson
}

# agg_golden NAME STATUS ARGS...: aggregate ARGS on events.ndjson gives
# NAME.out.ndjson byte for byte and exits STATUS.
agg_golden() {
	local name=$1 want=$2
	shift 2
	run_to "$T/out" aggregate "$@" "$E"
	[[ $status -eq $want ]] || fail "status $status, want $want: $stderr"
	diff -u "$A/$name.out.ndjson" "$T/out"
}

@test "unit: DDSketch and HyperLogLog error bounds on generated data" {
	run_unit t-agg-sketch
}

@test "every aggregate, no window: one event per key at the end (golden)" {
	agg_golden every-aggregate 0 -k .type -a n=count -a 'sum(.amount)' \
		-a 'avg(.amount)' -a 'min(.lat)' -a 'max(.lat)' -a 'first(.user)' \
		-a 'last(.user)' -a 'lat=percentiles(.lat; 50, 90, 99.9)' \
		-a 'p90(.lat)' -a 'users=distinct(.user)' -a 'top(.path; 2)' \
		-a 'ids=collect(.id; 3)' -a 'count(.amount)'
	[[ -z $stderr ]]
}

@test "keys: numbers keep the text first seen, 1.5 and 1.50 are one key; NAME=EXPR; computed keys" {
	agg_golden keys-text 0 -k c=.code -k .type
	run_to "$T/out" aggregate -k '.type | ascii_upcase' -k '.id % 2' "$E"
	same "$T/out" '{"key":"ORDER","key2":1,"count":3}\n{"key":"SEARCH","key2":0,"count":1}\n{"key":"ORDER","key2":0,"count":2}\n{"key":"SEARCH","key2":1,"count":1}\n'
	# count(EXPR): the events for which EXPR is true, as filter says
	run_to "$T/out" aggregate -a 'big=count(.amount > 4)' -a 'has=count(.amount)' -a 'ann=count(select(.user == "ann"))' -a 'never=count(.nope == 1)' "$E"
	same "$T/out" '{"big":4,"has":6,"ann":3,"never":0}\n'
	# without -a: count; without -k: one group
	run_to "$T/out" aggregate "$E"
	same "$T/out" '{"count":7}\n'
	# no input: no group, no output
	run_to "$T/out" aggregate </dev/null
	[[ $status -eq 0 && ! -s $T/out ]]
}

@test "tumbling windows by event time: an out-of-order event past the window is late, rejected to --dlq" {
	agg_golden tumbling 1 -k .type -w 1m --time .ts -a 'sum(.amount)'
	assert_equal "$stderr" "evpipe: aggregate: $E:5: late event: 2026-11-26T10:00:55Z falls in a window already emitted (emitted up to 2026-11-26T10:01:05Z, --lateness 0s)"
	run_to "$T/out" --dlq "$T/dlq" aggregate -k .type -w 1m --time .ts "$E"
	[[ $status -eq 1 ]]
	run jq -c '[.reason, .event.id]' "$T/dlq"
	assert_output '["late event: 2026-11-26T10:00:55Z falls in a window already emitted (emitted up to 2026-11-26T10:01:05Z, --lateness 0s)",5]'
}

@test "--lateness keeps a window open: the out-of-order event counts where it belongs" {
	agg_golden tumbling-lateness 0 -k .type -w 1m --time .ts --lateness 30s -a 'sum(.amount)'
	[[ -z $stderr ]]
}

@test "--late count: late events are counted in a late field of the key's earliest open window" {
	agg_golden late-count 0 -k .type -w 1m --time .ts --late count -a 'ids=collect(.id; 10)'
	[[ -z $stderr ]]
}

@test "hopping windows: --window 1m --every 30s, each event in two windows (golden)" {
	agg_golden hopping 0 -w 1m --every 30s --time .ts --lateness 1m -a 'ids=collect(.id; 10)'
}

@test "session windows: --gap per key (golden); an event that bridges two sessions merges them" {
	agg_golden session 0 -k .user --gap 30s --time .ts --lateness 1m -a 'ids=collect(.id; 10)'
	printf '%s\n' '{"t":0,"id":1,"v":1}' '{"t":50,"id":2,"v":2}' '{"t":25,"id":3,"v":3}' '{"t":200,"id":4,"v":4}' >"$T/in"
	run_to "$T/out" aggregate --gap 30s --time .t --lateness 2m -a 'ids=collect(.id; 5)' -a 'sum(.v)' -a 'p50(.v)' -a 'distinct(.v)' -a 'first(.id)' -a 'last(.id)' "$T/in"
	same "$T/out" '{"window_start":"1970-01-01T00:00:00Z","window_end":"1970-01-01T00:01:20Z","ids":[1,2,3],"sum_v":6,"p50_v":2,"distinct_v":3,"first_id":1,"last_id":3}\n{"window_start":"1970-01-01T00:03:20Z","window_end":"1970-01-01T00:03:50Z","ids":[4],"sum_v":4,"p50_v":4,"distinct_v":1,"first_id":4,"last_id":4}\n'
}

@test "--max-keys: a full window emits its least recently updated key early, every output of it marked partial" {
	agg_golden max-keys 0 -k .user -w 1m --time .ts --lateness 1m --max-keys 1 -a 'ids=collect(.id; 10)'
	# nothing is lost: the counts of the parts add up
	run_to "$T/out" aggregate -k .user -w 1m --time .ts --lateness 1m --max-keys 1 "$E"
	run jq -s 'map(.count) | add' "$T/out"
	assert_output 7
}

@test "arrival time: without --time the clock places events; a window holds them all" {
	run_to "$T/out" aggregate -k .type -w 1h -a n=count "$E"
	[[ $status -eq 0 ]]
	run jq -c --arg now "$(date -u +%s)" '[.type, .n,
		((.window_end | fromdate) - (.window_start | fromdate)),
		((.window_start | fromdate) <= ($now | tonumber) + 5)]' "$T/out"
	assert_output $'["order",5,3600,true]\n["search",2,3600,true]'
}

@test "event times in epoch seconds and milliseconds" {
	printf '%s\n' '{"t":1764151200,"v":1}' '{"t":1764151230500,"v":2}' '{"t":1764151260.25,"v":3}' >"$T/in"
	run_to "$T/out" aggregate -w 1m --time .t -a 'sum(.v)' "$T/in"
	same "$T/out" '{"window_start":"2025-11-26T10:00:00Z","window_end":"2025-11-26T10:01:00Z","sum_v":3}\n{"window_start":"2025-11-26T10:01:00Z","window_end":"2025-11-26T10:02:00Z","sum_v":3}\n'
	printf '%s\n' '{"t":"yesterday"}' '{"t":1764151200}' >"$T/in"
	run_to "$T/out" aggregate -w 1m --time .t "$T/in"
	[[ $status -eq 1 ]]
	[[ $stderr == *"--time"*"expected an RFC 3339 time"* ]]
	same "$T/out" '{"window_start":"2025-11-26T10:00:00Z","window_end":"2025-11-26T10:01:00Z","count":1}\n'
}

@test "sum and avg: exact on 64-bit integers (beyond 2^64 too), compensated on fractions; min/max exact on big numbers" {
	printf '%s\n' '{"a":9223372036854775807}' '{"a":9223372036854775807}' '{"a":1}' >"$T/in"
	run_to "$T/out" aggregate -a 'sum(.a)' -a 'max(.a)' -a 'min(.a)' "$T/in"
	same "$T/out" '{"sum_a":18446744073709551615,"max_a":9223372036854775807,"min_a":1}\n'
	printf '%s\n' '{"a":9007199254740993}' '{"a":1}' '{"a":-2}' >"$T/in"
	run_to "$T/out" aggregate -a 'sum(.a)' "$T/in"
	same "$T/out" '{"sum_a":9007199254740992}\n'
	for i in 1 2 3 4 5 6 7 8 9 10; do echo '{"a":0.1}'; done >"$T/in"
	run_to "$T/out" aggregate -a 'sum(.a)' -a 'avg(.a)' "$T/in"
	same "$T/out" '{"sum_a":1,"avg_a":0.1}\n'
	printf '%s\n' '{"a":100000000000000000001}' '{"a":100000000000000000000}' '{"a":1.50}' >"$T/in"
	run_to "$T/out" aggregate -a 'max(.a)' -a 'min(.a)' -a 'first(.a)' "$T/in"
	same "$T/out" '{"max_a":100000000000000000001,"min_a":1.50,"first_a":100000000000000000001}\n'
}

@test "a value that is not a number is a reject naming the aggregate, never a silent zero; null is skipped" {
	printf '%s\n' '{"k":"a","a":"12"}' '{"k":"a","a":5}' '{"k":"a"}' '{"k":"a","a":[1]}' >"$T/in"
	run_to "$T/out" --dlq "$T/dlq" aggregate -k .k -a 'total=sum(.a)' -a 'avg(.a)' -a n=count "$T/in"
	[[ $status -eq 1 ]]
	same "$T/out" '{"k":"a","total":5,"avg_a":5,"n":2}\n'
	run jq -r .reason "$T/dlq"
	assert_output $'-a total: sum(.a) needs a number, got a string ("12")\n-a total: sum(.a) needs a number, got an array ([1])'
	# a key that is an error is a reject too
	printf '%s\n' '{"k":"a"}' '{"k":1}' >"$T/in"
	run_to "$T/out" aggregate -k '.k | ascii_upcase' "$T/in"
	[[ $status -eq 1 ]]
	[[ $stderr == *"-k key:"* ]]
	same "$T/out" '{"key":"A","count":1}\n'
}

@test "usage errors: unknown function, bad arguments, names that clash, windows that do not go together" {
	check_usage() {
		run_to "$T/out" aggregate "$@" </dev/null
		[[ $status -eq 2 ]] || fail "status $status for $*"
		echo "$stderr"
	}
	check_usage -a 'median(.a)'
	[[ $stderr == *"unknown aggregate function 'median'"* ]]
	check_usage -a 'sum'
	[[ $stderr == *"sum needs (ARGS)"* ]]
	check_usage -a 'top(.a)'
	[[ $stderr == *"top takes (EXPR; N)"* ]]
	check_usage -a 'percentiles(.a; 50, 101)'
	[[ $stderr == *"a percentile is a number from 0 to 100"* ]]
	check_usage -a 'collect(.a; 0)'
	[[ $stderr == *"the bound is a number from 1 to 100000"* ]]
	check_usage -a 'top(.a; 1001)'
	[[ $stderr == *"the bound is a number from 1 to 1000, got '1001'"* ]]
	check_usage -a 'sum(.a'
	[[ $stderr == *"expected sum(ARGS)"* ]]
	check_usage -a 'sum(.a[)'
	[[ $stderr == *"expression"* ]]
	check_usage -a 'sum(.a)' -a 'sum(.b.a)'
	[[ $stderr == *"two output fields are named 'sum_a'"* ]]
	check_usage -k .late
	[[ $stderr == *"two output fields are named 'late'"* ]]
	check_usage --every 1m
	[[ $stderr == *"--every needs --window"* ]]
	check_usage -w 1m --gap 1m
	[[ $stderr == *"exclude each other"* ]]
	check_usage -w 1m --every 2m
	[[ $stderr == *"--every must not be longer than --window"* ]]
	check_usage -w 1h --every 1s
	[[ $stderr == *"under 1000"* ]]
	check_usage --lateness 1m
	[[ $stderr == *"need --window or --gap"* ]]
	check_usage --time .ts
	[[ $stderr == *"--time needs --window or --gap"* ]]
}

@test "the output feeds --to csv directly: one header, the same columns in every row" {
	run_to "$T/out" --to csv aggregate -k .type -w 1m --time .ts --lateness 1m -a 'sum(.amount)' -a 'p90(.lat)' "$E"
	same "$T/out" 'window_start,window_end,type,sum_amount,p90_lat\n2026-11-26T10:00:00Z,2026-11-26T10:01:00Z,order,15,20\n2026-11-26T10:00:00Z,2026-11-26T10:01:00Z,search,9.5,40\n2026-11-26T10:01:00Z,2026-11-26T10:02:00Z,order,1,90\n2026-11-26T10:02:00Z,2026-11-26T10:03:00Z,order,100,70\n'
}

# gen_values N KIND: N events {"k":..,"v":..,"u":..} on stdout; KIND
# uniform or skewed (log-normal); u is one of N/2 users.
gen_values() {
	python3 - "$1" "$2" <<'PY'
import json, random, sys
n, kind = int(sys.argv[1]), sys.argv[2]
r = random.Random(7)
for i in range(n):
    v = r.uniform(1, 1000) if kind == "uniform" else r.lognormvariate(3, 1.5)
    print(json.dumps({"k": "ab"[i % 2], "v": round(v, 6), "u": "user%d" % r.randrange(n // 2)}))
PY
}

# check_pct FILE OUT TOL: OUT's percentiles per key are within TOL
# (relative) of the exact nearest-rank values of FILE.
check_pct() {
	python3 - "$1" "$2" "$3" <<'PY'
import json, math, sys
vals = {}
for line in open(sys.argv[1]):
    e = json.loads(line); vals.setdefault(e["k"], []).append(e["v"])
tol, worst = float(sys.argv[3]), 0.0
for line in open(sys.argv[2]):
    o = json.loads(line); v = sorted(vals[o["k"]])
    for p in (1, 10, 50, 90, 99, 99.9):
        name = "v_p" + ("%g" % p).replace(".", "_")
        exact = v[max(0, math.ceil(p / 100 * len(v)) - 1)]
        err = abs(o[name] - exact) / abs(exact)
        worst = max(worst, err)
        assert err <= tol, (o["k"], p, o[name], exact, err)
print("ok %.5f" % worst)
PY
}

@test "percentiles: exact up to 10000 values per group, then within 1% (DDSketch) on uniform and skewed data" {
	for kind in uniform skewed; do
		gen_values 20000 $kind >"$T/small"
		run_to "$T/out" aggregate -k .k -a 'v=percentiles(.v; 1, 10, 50, 90, 99, 99.9)' "$T/small"
		run check_pct "$T/small" "$T/out" 0
		assert_output "ok 0.00000"
		gen_values 200000 $kind >"$T/big"
		run_to "$T/out" aggregate -k .k -a 'v=percentiles(.v; 1, 10, 50, 90, 99, 99.9)' "$T/big"
		run check_pct "$T/big" "$T/out" 0.01
		echo "$kind: $output"
		assert_success
	done
}

@test "distinct: exact up to 4096 values, then within 2% (HyperLogLog)" {
	gen_values 8000 uniform >"$T/in"
	run_to "$T/out" aggregate -a 'distinct(.u)' "$T/in"
	run jq -s 'map(.u) | unique | length' "$T/in"
	same "$T/out" "{\"distinct_u\":$output}\n"
	python3 -c 'import json
for i in range(300000): print(json.dumps({"u": "u%d" % i, "k": i % 3}))' >"$T/in"
	run_to "$T/out" aggregate -k .k -a 'distinct(.u)' "$T/in"
	run jq -r '(.distinct_u - 100000) / 100000 | fabs < 0.02' "$T/out"
	assert_output $'true\ntrue\ntrue'
}

# A corpus where the three tools mean the same: every group has numbers.
gen_corpus() {
	python3 - <<'PY'
import json, random
r = random.Random(11)
for i in range(5000):
    t = r.choice(["order", "search", "login", "cart"])
    amount = r.randrange(1, 100000) if r.random() < 0.5 else round(r.uniform(0, 500), 2)
    print(json.dumps({"type": t, "amount": amount, "user": "u%d" % r.randrange(300)}))
PY
}

@test "differential: mlr stats1 -a count,sum,mean,min,max gives the same per key" {
	command -v mlr >/dev/null || fail "mlr is required"
	gen_corpus >"$T/in"
	mlr --ijsonl --ojsonl stats1 -a count,sum,mean,min,max -f amount -g type "$T/in" >"$T/mlr"
	run_to "$T/out" aggregate -k .type -a amount_count=count -a 'amount_sum=sum(.amount)' -a 'amount_mean=avg(.amount)' -a 'amount_min=min(.amount)' -a 'amount_max=max(.amount)' "$T/in"
	run python3 - "$T/mlr" "$T/out" <<'PY'
import json, sys
a = [json.loads(l) for l in open(sys.argv[1])]
b = [json.loads(l) for l in open(sys.argv[2])]
assert [x["type"] for x in a] == [x["type"] for x in b], "order of keys"
for x, y in zip(a, b):
    assert x.keys() == y.keys(), (x.keys(), y.keys())
    for k in x:
        if k != "type":
            assert abs(x[k] - y[k]) <= 1e-9 * max(1, abs(x[k])), (k, x[k], y[k])
print("ok", len(a))
PY
	assert_output "ok 4"
}

@test "differential: jq group_by gives the same counts, sums, extremes and distinct counts" {
	gen_corpus >"$T/in"
	jq -sc 'group_by(.type)[] | {type: .[0].type, n: length, s: (map(.amount) | add), lo: (map(.amount) | min), hi: (map(.amount) | max), users: (map(.user) | unique | length), first: .[0].user, last: .[-1].user}' "$T/in" >"$T/jq"
	run_to "$T/out" aggregate -k .type -a n=count -a 's=sum(.amount)' -a 'lo=min(.amount)' -a 'hi=max(.amount)' -a 'users=distinct(.user)' -a 'first=first(.user)' -a 'last=last(.user)' "$T/in"
	run python3 - "$T/jq" "$T/out" <<'PY'
import json, sys
a = sorted((json.loads(l) for l in open(sys.argv[1])), key=lambda x: x["type"])
b = sorted((json.loads(l) for l in open(sys.argv[2])), key=lambda x: x["type"])
assert len(a) == len(b) == 4
for x, y in zip(a, b):
    for k in x:
        if k == "s":
            assert abs(x[k] - y[k]) <= 1e-9 * abs(x[k]), (k, x[k], y[k])
        else:
            assert x[k] == y[k], (k, x[k], y[k])
print("ok")
PY
	assert_output ok
}

@test "-v reports events, results, late, early and idle emissions" {
	run_to "$T/out" -v aggregate -k .type -w 1m --time .ts --late count "$E"
	[[ $stderr == *"evpipe: aggregate: 7 events, 5 results, 1 late, 0 emitted early (--max-keys), 0 emitted while idle, 0 groups open, 0 saves"* ]]
}

# complete SHELL LINE: what SHELL's completion of evpipe offers for LINE.
complete_in() {
	local bindir=$T/bin
	mkdir -p "$bindir"
	ln -sf "$EVPIPE" "$bindir/evpipe"
	case $1 in
	bash)
		PATH=$bindir:$PATH bash -c '
			source /usr/share/bash-completion/bash_completion || exit 1
			source "$REPO/completions/evpipe.bash" || exit 1
			COMP_LINE=$1
			COMP_POINT=${#COMP_LINE}
			read -ra COMP_WORDS <<<"$COMP_LINE"
			[[ $COMP_LINE == *" " ]] && COMP_WORDS+=("")
			COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
			COMPREPLY=()
			_evpipe 2>/dev/null
			printf "%s\n" "${COMPREPLY[@]}"
		' bash "$2"
		;;
	fish)
		PATH=$bindir:$PATH fish -c "source $REPO/completions/evpipe.fish; complete -C '$2'" | cut -f1
		;;
	zsh)
		PATH=$bindir:$PATH FPATH="$REPO/completions" zsh -f "$REPO/tests/helpers/zsh-complete.zsh" "$2"
		;;
	esac
}

@test "completion (bash, zsh, fish): the command, its options, --late's choices, --state a file" {
	[[ -r /usr/share/bash-completion/bash_completion ]] || fail "bash-completion is not installed (make deps)"
	command -v fish >/dev/null || fail "fish is required"
	command -v zsh >/dev/null || fail "zsh is required"
	cd "$T"
	touch agg.state
	for sh in bash zsh fish; do
		run -0 complete_in $sh "evpipe aggr"
		assert_line aggregate
		run -0 complete_in $sh "evpipe aggregate --la"
		assert_line --late
		assert_line --lateness
		run -0 complete_in $sh "evpipe aggregate --late "
		assert_line reject
		assert_line count
		run -0 complete_in $sh "evpipe aggregate --state agg."
		if [[ $sh == zsh ]]; then assert_line '<files>'; else assert_line agg.state; fi
		run -0 complete_in $sh "evpipe cat then aggregate -k .a --max"
		assert_line --max-keys
	done
}

@test "--max-keys without a window and with sessions: early parts marked partial, nothing lost" {
	run_to "$T/out" aggregate -k .user --max-keys 2 -a 'ids=collect(.id; 9)' "$E"
	# cid evicts bob (ann was updated after him), bob evicts ann, ...
	same "$T/out" '{"user":"bob","ids":[2],"partial":true}\n{"user":"ann","ids":[1,3],"partial":true}\n{"user":"cid","ids":[4],"partial":true}\n{"user":"bob","ids":[5],"partial":true}\n{"user":"ann","ids":[6],"partial":true}\n{"user":"dee","ids":[7],"partial":true}\n'
	run_to "$T/out" aggregate -k .user --gap 1h --time .ts --lateness 1h --max-keys 3 "$E"
	run jq -s -c '[(map(.count) | add), (map(.partial) | unique)]' "$T/out"
	assert_output '[7,[true]]'
	# with room for every key, the field says false
	run_to "$T/out" aggregate -k .user --max-keys 4 "$E"
	run jq -s -c 'map(.partial) | unique' "$T/out"
	assert_output '[false]'
}
