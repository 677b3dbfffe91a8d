#!/usr/bin/env bats
# Limits (evpipe-security(7), LIMITS): each one reached through the binary.
# Reaching a limit gives a clear reject (status 1) or usage error (status
# 2), or a documented bounded behaviour (eviction, early release) -- never
# a crash, a hang or memory that grows with the input.  Peak memory is
# measured with /usr/bin/time -f %M (KiB); the bounds are generous, the
# point is that they do not depend on the input size.  Every run is
# bounded with timeout.
load test_helper

setup() {
	T=$BATS_TEST_TMPDIR
	[[ -x /usr/bin/time ]] || fail "/usr/bin/time is required (apt install time)"
	# Memory is measured on the plain build: a sanitizer's quarantine
	# and shadow memory would be measured instead.
	plain_build "measuring memory"
	RSSBIN=$PLAIN
}

# rss ARGS...: run evpipe (the plain build) ARGS under timeout 60 with stdin as given,
# stdout to $T/out, stderr to $T/err; status in $status, peak RSS (KiB)
# in $rss.
rss() {
	status=0
	timeout 60 /usr/bin/time -o "$T/rss" -f %M "$RSSBIN" "$@" >"$T/out" 2>"$T/err" || status=$?
	rss=$(tail -n 1 "$T/rss")
	[[ $status -ne 124 ]] || fail "evpipe timed out"
	[[ $rss =~ ^[0-9]+$ ]] || fail "no peak RSS: $(cat "$T/rss")"
}

# lines N: N small events with distinct keys {"k":I}.
lines() {
	awk -v n="$1" 'BEGIN { for (i = 1; i <= n; i++) printf "{\"k\":%d,\"t\":%d}\n", i, i }'
}

# map_rejects EXPR TEXT: map EXPR on $T/in rejects the event (status 1)
# with TEXT in its message.
map_rejects() {
	run_to "$T/out" map "$1" "$T/in"
	[[ $status -eq 1 ]] || fail "status $status for $1"
	[[ $stderr == *"$2"* ]] || fail "for $1: $stderr"
}

@test "--max-line: a longer line is rejected (status 1), the next one passes" {
	{
		printf '{"a":"%0200d"}\n' 0
		printf '{"b":1}\n'
	} >"$T/in"
	run_to "$T/out" --max-line 100 --dlq "$T/dlq" cat "$T/in"
	[[ $status -eq 1 ]]
	same "$T/out" '{"b":1}\n'
	[[ $stderr == *"in:1: line longer than 100 bytes (--max-line)"* ]]
	grep -q '"truncated":true' "$T/dlq"
	# the dead letter keeps a sample of the line, not all of it
	(($(wc -c <"$T/dlq") < 400))
}

@test "--max-line: 0 and sizes past 4G are usage errors" {
	for m in 0 4G 18446744073709551615; do
		run -2 --separate-stderr "$EVPIPE" --max-line "$m" cat /dev/null
		assert_equal "$stderr" "evpipe: --max-line must be between 1 and 4294967294 bytes"
	done
	run -2 --separate-stderr "$EVPIPE" --max-line 1T cat /dev/null
	[[ $stderr == *"is not a size"* ]]
}

@test "a 200 MB line with the default --max-line (16M): rejected, memory bounded" {
	rss cat < <(
		printf '{"a":"'
		head -c 200M /dev/zero | tr '\0' x
		printf '"}\n{"b":1}\n'
	)
	[[ $status -eq 1 ]]
	same "$T/out" '{"b":1}\n'
	grep -q 'line longer than 16777216 bytes (--max-line)' "$T/err"
	((rss < 100000)) || fail "peak RSS $rss KiB"
}

@test "JSON nesting: 512 levels pass, 513 are rejected" {
	python3 -c 'print("{\"a\":" + "[" * 511 + "]" * 511 + "}")' >"$T/in"
	python3 -c 'print("{\"a\":" + "[" * 512 + "]" * 512 + "}")' >>"$T/in"
	python3 -c 'print("[" * 100000 + "]" * 100000)' >>"$T/in"
	run_to "$T/out" map '.a | length' "$T/in"
	[[ $status -eq 1 ]]
	same "$T/out" '1\n'
	[[ $stderr == *"in:2: invalid JSON: nesting deeper than 512"* ]]
	[[ $stderr == *"in:3: invalid JSON: nesting deeper than 512"* ]]
}

@test "expressions: nesting is a usage error; steps and array indexes are rejects" {
	local deep
	deep=$(python3 -c 'print("(" * 1000 + "." + ")" * 1000)')
	run -2 --separate-stderr "$EVPIPE" map "$deep" /dev/null
	[[ $stderr == *"expression nested too deeply"* ]]
	echo '{}' >"$T/in"
	map_rejects '[range(100000000)] | length' "expression evaluation exceeded 20000000 steps"
	map_rejects '.a[2000000] = 1' "Array index too large"
	# errors caught by ? count too: each formats a message
	map_rejects '[range(3000000) | (.a? // 1) | .[0]?] | length' "expression evaluation exceeded 20000000 steps"
}

@test "a value that shares its parts prints to at most 64 MiB; error messages show a prefix only" {
	echo '{}' >"$T/in"
	# 40 assignments make 2^40 leaves: a reject, not hours of output
	map_rejects 'reduce range(40) as $i (1; [., .])' "the value is too large to print (over 64 MiB)"
	map_rejects 'reduce range(40) as $i (1; [., .]) | tojson' "value too large to print (over 67108864 bytes)"
	# the message of a failed operation on such a value, as jq words it
	map_rejects 'reduce range(40) as $i (1; [., .]) | . - 1' 'array ([[[[[[[[[[[...) and number (1) cannot be subtracted'
	# a path counts its length: 135,000 paths 150 long on average are
	# 20 million steps (a fuzz case of nested |= over such values took
	# 66 s and 6.7 GB when a path counted one)
	map_rejects 'reduce range(300) as $i (0; [.]) | . as $v | [range(450) | $v | paths | length] | add' "expression evaluation exceeded 20000000 steps"
	# the nulls an assignment pads an array with count: 65,540 arrays
	# of up to 65,540 members are 2 billion steps (a fuzz case: it would take 17 GB
	# when padding was free)
	map_rejects 'reduce range(65540) as $i ([]; .[$i][$i] = $i) | length' "expression evaluation exceeded 20000000 steps"
	# so do the members a slice copies: 100,000 slices of 70,000 members
	# are 7 billion steps, a reject, not minutes of copying
	map_rejects '[range(70000)] as $a | reduce range(100000) as $i (0; . + ($a[1:] | length))' "expression evaluation exceeded 20000000 steps"
	# and every string an interpolation builds counts its bytes: 400,000
	# strings of 1 KiB are 26 million steps (a fuzz case of \(..) parts
	# built 200 million strings, 56 GB, in 139 s when each counted one)
	local x
	x=$(printf 'x%.0s' {1..1024})
	map_rejects "\"\\(range(400000))$x\" | length" "expression evaluation exceeded 20000000 steps"
}

@test "string repetition: built whole up to 64 MB (a fuzz case), a reject past it" {
	echo '{"s":"ab","n":30000000}' >"$T/in"
	run_to "$T/out" map '.s * .n | [length, .[0:5], .[-3:]]' "$T/in"
	[[ $status -eq 0 ]]
	same "$T/out" '[60000000,"ababa","bab"]\n'
	map_rejects '.s * (.n + 3000000)' "Repeat string result too long"
	run_to "$T/out" map '[.s * 2.5, .s * 1, .s * 0.5, .s * -1, "" * 9]' "$T/in"
	[[ $status -eq 0 ]]
	same "$T/out" '["abab","ab","",null,""]\n'
}

@test "regular expressions: catastrophic backtracking hits the match limit at once" {
	printf '{"s":"%s!"}\n' "$(printf 'a%.0s' {1..200})" >"$T/in"
	printf '{"s":"aaa"}\n' >>"$T/in"
	SECONDS=0
	run_to "$T/out" filter '.s | test("^(a+)+$")' "$T/in"
	[[ $status -eq 1 ]]
	((SECONDS < 10))
	same "$T/out" '{"s":"aaa"}\n'
	[[ $stderr == *"in:1: regex match failed: match limit exceeded"* ]]
}

@test "--max-open: 500 keys under a 40-descriptor limit all arrive (LRU of open files)" {
	lines 5000 | awk -F'[:,]' '{ print $0 }' >"$T/in"
	(
		ulimit -n 40
		timeout 60 "$EVPIPE" split "$T/o/{.k % 500}.ndjson" --mkdir "$T/in"
	) 2>"$T/err" || fail "split failed: $(cat "$T/err")"
	[[ $(find "$T/o" -type f | wc -l) -eq 500 ]]
	[[ $(cat "$T"/o/*.ndjson | wc -l) -eq 5000 ]]
	[[ $(wc -l <"$T/o/7.ndjson") -eq 10 ]]
	# an explicit --max-open 2 works too, just with more reopening
	rm -r "$T/o"
	run_to "$T/out" split --max-open 2 --mkdir "$T/o/{.k % 50}.ndjson" "$T/in"
	[[ $status -eq 0 ]]
	[[ $(cat "$T"/o/*.ndjson | wc -l) -eq 5000 ]]
}

@test "key tables: dedup --capacity, throttle --max-keys, batch --max-keys keep memory bounded" {
	lines 1000000 >"$T/in"
	rss dedup -k .k --capacity 1000 "$T/in"
	[[ $status -eq 0 ]]
	[[ $(wc -l <"$T/out") -eq 1000000 ]]
	((rss < 60000)) || fail "dedup peak RSS $rss KiB"
	rss throttle --rate 1/h -k .k --max-keys 1000 "$T/in"
	[[ $status -eq 0 ]]
	[[ $(wc -l <"$T/out") -eq 1000000 ]]
	((rss < 60000)) || fail "throttle peak RSS $rss KiB"
	rss batch -k '.k % 100000' --max-keys 10 -n 1000 "$T/in"
	[[ $status -eq 0 ]]
	((rss < 60000)) || fail "batch peak RSS $rss KiB"
	[[ $(jq -s 'map(length) | add' "$T/out") -eq 1000000 ]]
}

@test "dedup --capacity: the least recently seen key is forgotten first (LRU)" {
	printf '{"k":1}\n{"k":2}\n{"k":2}\n{"k":3}\n{"k":1}\n{"k":3}\n' >"$T/in"
	run_to "$T/out" dedup -k .k --capacity 2 "$T/in"
	[[ $status -eq 0 ]]
	same "$T/out" '{"k":1}\n{"k":2}\n{"k":3}\n{"k":1}\n'
}

@test "sort --max-held: past it the oldest event is released early, memory bounded" {
	# one million events, every one an hour ahead of the last: a window
	# of a year would hold them all without --max-held
	rss sort --by '.t * 3600' --window 365d --max-held 1000 -v < <(lines 1000000)
	[[ $status -eq 0 ]]
	[[ $(wc -l <"$T/out") -eq 1000000 ]]
	grep -q 'released early (--max-held)' "$T/err"
	((rss < 60000)) || fail "sort peak RSS $rss KiB"
}

@test "key table sizes out of range are usage errors" {
	run -2 --separate-stderr "$EVPIPE" dedup --capacity 0 /dev/null
	[[ $stderr == *"--capacity must be between 1 and 4294967294"* ]]
	run -2 --separate-stderr "$EVPIPE" dedup --capacity 4294967295 /dev/null
	run -2 --separate-stderr "$EVPIPE" throttle --rate 1/s --max-keys 0 /dev/null
	[[ $stderr == *"--max-keys must be between 1 and 4294967294"* ]]
	run -2 --separate-stderr "$EVPIPE" batch -k .k --max-keys 0 /dev/null
	[[ $stderr == *"--max-keys must be at least 1"* ]]
	run -2 --separate-stderr "$EVPIPE" sort --by .t --window 1s --max-held 0 /dev/null
	[[ $stderr == *"--max-held must be at least 1"* ]]
	run -2 --separate-stderr "$EVPIPE" stats --top 100001 /dev/null
	[[ $stderr == *"at most 100000"* ]]
	run -2 --separate-stderr "$EVPIPE" batch --exec cat --parallel 1025 /dev/null
	[[ $stderr == *"--parallel must be at most 1024"* ]]
	run -2 --separate-stderr "$EVPIPE" batch --exec cat --retries 1001 /dev/null
	[[ $stderr == *"--retries must be at most 1000"* ]]
	run -2 --separate-stderr "$EVPIPE" -i tcp://127.0.0.1:0 --max-clients 0 cat
	[[ $stderr == *"--max-clients must be at least 1"* ]]
	run -2 --separate-stderr "$EVPIPE" head -n 99999999999999999999 /dev/null
	[[ $stderr == *"is too large"* ]]
}

@test "batch without --bytes: a batch is bounded by -n; with --bytes by its size" {
	lines 1000 >"$T/in"
	run_to "$T/out" batch -n 1000000 --bytes 1k "$T/in"
	[[ $status -eq 0 ]]
	jq -e 'tostring | length < 1100' "$T/out" >/dev/null
	[[ $(jq -s 'map(length) | add' "$T/out") -eq 1000 ]]
}

@test "templates: a rendered value is cut at 200 bytes and confined to the prefix" {
	python3 -c 'print("{\"t\":\"" + "x" * 5000 + "\"}")' >"$T/in"
	printf '{"t":"../../escape"}\n{"t":"/etc/passwd"}\n{"t":""}\n{"t":".."}\n' >>"$T/in"
	mkdir "$T/o"
	run_to "$T/out" split "$T/o/{.t}.ndjson" "$T/in"
	[[ $status -eq 0 ]]
	[[ $(find "$T" -name '*.ndjson' | wc -l) -eq 5 ]]
	[[ -z $(find "$T" -name '*.ndjson' ! -path "$T/o/*") ]]
	local f
	for f in "$T"/o/*; do
		((${#f} - ${#T} < 230)) || fail "name too long: $f"
	done
}

@test "schemas: depth, \$ref loops, network and parent-directory references" {
	python3 -c 'print("{\"items\":" * 1100 + "{}" + "}" * 1100)' >"$T/deep.json"
	run -2 --separate-stderr "$EVPIPE" validate -s "$T/deep.json" /dev/null
	[[ $stderr == *"schema nested more than 1000 levels deep at /items/items"* ]]
	printf '{"$defs":{"a":{"$ref":"#/$defs/a"}},"$ref":"#/$defs/a"}\n' >"$T/loop.json"
	echo '{}' >"$T/in"
	run_to "$T/out" validate -s "$T/loop.json" "$T/in"
	[[ $status -eq 1 ]]
	[[ $stderr == *'$ref loop'* ]]
	printf '{"$ref":"http://example.com/s.json"}\n' >"$T/net.json"
	run -2 --separate-stderr "$EVPIPE" validate -s "$T/net.json" /dev/null
	[[ $stderr == *"no network access"* ]]
	mkdir "$T/sub"
	printf '{"$ref":"../loop.json"}\n' >"$T/sub/up.json"
	run -2 --separate-stderr "$EVPIPE" validate -s "$T/sub/up.json" /dev/null
	[[ $stderr == *"leaves the schema directory"* ]]
}

@test "a deeply recursive schema on a deep event ends with a clear result" {
	printf '{"type":"array","items":{"$ref":"#"}}\n' >"$T/rec.json"
	python3 -c 'print("[" * 500 + "]" * 500)' >"$T/in"
	SECONDS=0
	run_to "$T/out" --from json validate -s "$T/rec.json" "$T/in"
	((SECONDS < 20))
	[[ $status -eq 0 || $status -eq 1 ]]
}

@test "a pipeline file over 1 MiB is refused" {
	head -c 2M /dev/zero | tr '\0' '#' >"$T/big.pipe"
	run -2 --separate-stderr "$EVPIPE" run "$T/big.pipe"
	[[ $stderr == *"longer than 1048576 bytes"* ]]
}

@test "--client-buffers: 20 clients each sending 10 MB without a newline stay within it" {
	"$RSSBIN" -i tcp://127.0.0.1:0 --client-buffers 32M cat >"$T/out" 2>"$T/err" &
	local ev=$! i u hwm
	for ((i = 0; i < 200; i++)); do
		u=$(grep -o 'tcp://[^ ]*' "$T/err" 2>/dev/null | head -1)
		[[ -n $u ]] && break
		sleep 0.05
	done
	[[ -n $u ]] || { kill -9 "$ev"; fail "no listener: $(cat "$T/err")"; }
	timeout 60 python3 - "$u" <<-'PY' || { kill -9 "$ev"; fail "clients failed"; }
		import socket, sys, time
		host, port = sys.argv[1][6:].rsplit(":", 1)
		socks = [socket.create_connection((host, int(port))) for _ in range(20)]
		for rnd in range(100):
		    for s in list(socks):
		        try:
		            s.sendall(b"x" * 100000)
		        except OSError:
		            socks.remove(s)
		    time.sleep(0.01)
		time.sleep(0.5)
		assert 0 < len(socks) < 20, len(socks)
	PY
	hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$ev/status")
	kill "$ev"
	wait "$ev" || true
	echo "peak RSS ${hwm} kB; $(grep -c 'closed: the clients' "$T/err") clients closed"
	# 20 x 10 MB would be 200 MB; the buffers stay under 32 MB.
	((hwm < 65536)) || fail "peak RSS ${hwm} kB"
	grep -q "closed: the clients' buffers are over --client-buffers (33554432 bytes)" "$T/err"
}

@test "a tcp target that never reads: evpipe waits (backpressure), memory bounded" {
	python3 - "$T/port" <<-'PY' &
		import os, socket, sys, time
		s = socket.socket()
		s.bind(("127.0.0.1", 0))
		s.listen(1)
		open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
		os.rename(sys.argv[1] + ".tmp", sys.argv[1])
		c, _ = s.accept()
		time.sleep(30)  # never reads
	PY
	local peer=$! i ev hwm
	for ((i = 0; i < 200; i++)); do [[ -s $T/port ]] && break; sleep 0.05; done
	yes '{"pad":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}' |
		head -n 2000000 | "$RSSBIN" -o "tcp://127.0.0.1:$(<"$T/port")" cat 2>"$T/err" &
	ev=$!
	sleep 4
	kill -0 "$ev" || fail "evpipe is not running: $(cat "$T/err")"
	hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$ev/status")
	kill -9 "$ev" "$peer" 2>/dev/null || true
	wait 2>/dev/null || true
	((hwm < 100000)) || fail "peak RSS $hwm KiB"
}

@test "csv: a header of 200,000 columns (all empty or all the same name) takes linear time" {
	python3 -c 'print("," * 199999); print("1" + "," * 199999)' >"$T/empty.csv"
	python3 -c 'print(",".join(["a"] * 200000)); print(",".join(["1"] * 200000))' >"$T/same.csv"
	python3 -c 'print(",".join("x.%d" % i for i in range(1, 200001))); print(",".join(["1"] * 200000))' >"$T/nested.csv"
	SECONDS=0
	rss --from csv cat "$T/empty.csv"
	[[ $status -eq 0 ]]
	[[ $(jq 'length' "$T/out") -eq 200000 ]]
	rss --from csv cat "$T/same.csv"
	[[ $status -eq 0 ]]
	[[ $(jq -r 'keys_unsorted[-1]' "$T/out") == a_200000 ]]
	rss --from csv cat "$T/nested.csv"
	[[ $status -eq 0 ]]
	[[ $(jq '.x | length' "$T/out") -eq 200000 ]]
	((SECONDS < 20)) || fail "took $SECONDS s"
}

# ---- files evpipe creates (evpipe-security(7), FILES AND PATHS) ------------

@test "regex functions on a string with 100,000 matches: one pass, no nesting limit" {
	# gsub recursed once per match ("expression nesting too deep" past
	# about 1000), and match/splits offsets were counted from the start
	# of the string for each match (80,000 matches took 9 s and 73 s)
	awk 'BEGIN { printf "{\"s\":\""; for (i = 0; i < 50000; i++) printf "ab"; print "\"}" }' >"$T/in"
	awk 'BEGIN { printf "\""; for (i = 0; i < 50000; i++) printf "Xb"; print "\"" }' >"$T/want"
	run_to "$T/out" map '.s | gsub("a"; "X")' "$T/in"
	[[ $status -eq 0 ]] || fail "$stderr"
	cmp "$T/want" "$T/out"
	run_to "$T/out" map -- '[.s | match("b"; "g")] | [length, .[-1].offset]' "$T/in"
	same "$T/out" '[50000,99999]\n'
	run_to "$T/out" map -- '[.s | splits("a")] | length' "$T/in"
	same "$T/out" '50001\n'
	# offsets count code points: "é" is two bytes, one code point
	sed 's/ab/éb/g' "$T/in" >"$T/in2"
	run_to "$T/out" map -- '[.s | match("b"; "g") | .offset] | .[-1]' "$T/in2"
	[[ $status -eq 0 ]] || fail "$stderr"
	same "$T/out" '99999\n'
	run_to "$T/out" map -- '.s | gsub("(?<c>é)"; "<\(.c)>") | [length, .[-8:]]' "$T/in2"
	[[ $status -eq 0 ]] || fail "$stderr"
	same "$T/out" '[200000,"<é>b<é>b"]\n'
}

@test "output files are 0644 less the umask; dedup state is 0600 whatever the umask" {
	printf '{"k":1}\n{"k":1}\n' >"$T/in"
	(
		umask 027
		"$EVPIPE" -o "$T/out.ndjson" dedup -k .k --state "$T/state" "$T/in"
	) || fail "dedup failed"
	[[ $(stat -c %a "$T/out.ndjson") == 640 ]]
	[[ $(stat -c %a "$T/state") == 600 ]]
	rm "$T/state"
	(
		umask 000
		"$EVPIPE" dedup -k .k --state "$T/state" "$T/in" >/dev/null
	) || fail "dedup failed"
	[[ $(stat -c %a "$T/state") == 600 ]]
}

@test "dedup --state: a symbolic link at the state file is replaced, never written through" {
	printf '{"k":1}\n' >"$T/in"
	"$EVPIPE" dedup -k .k --state "$T/real" "$T/in" >/dev/null
	cp "$T/real" "$T/victim"
	cp "$T/real" "$T/victim.orig"
	ln -s victim "$T/state"
	printf '{"k":2}\n' >"$T/in2"
	run_to "$T/out" dedup -k .k --state "$T/state" "$T/in2"
	[[ $status -eq 0 ]]
	same "$T/out" '{"k":2}\n'
	cmp "$T/victim" "$T/victim.orig"
	[[ -f $T/state && ! -L $T/state ]]
	[[ $(stat -c %a "$T/state") == 600 ]]
}

@test "--checkpoint: a symbolic link left at its temporary name is not followed" {
	printf '{"a":1}\n' >"$T/app.ndjson"
	echo secret >"$T/victim"
	ln -s victim "$T/ck.tmp"
	"$EVPIPE" -F --checkpoint "$T/ck" cat "$T/app.ndjson" >"$T/out" 2>"$T/err" &
	local pid=$! i
	for ((i = 0; i < 200; i++)); do [[ -s $T/out ]] && break; sleep 0.05; done
	kill -TERM $pid
	timeout 20 tail --pid=$pid -f /dev/null || fail "evpipe did not stop"
	wait $pid || true
	[[ $(cat "$T/victim") == secret ]]
	[[ -f $T/ck && ! -L $T/ck ]]
	[[ $(stat -c %a "$T/ck") == 600 ]]
}

@test "--prometheus: the file is replaced by rename, 0644 less the umask" {
	printf '{"a":1}\n' >"$T/in"
	echo secret >"$T/victim"
	ln -s victim "$T/metrics.prom"
	(
		umask 022
		"$EVPIPE" stats --prometheus "$T/metrics.prom" "$T/in" >/dev/null
	) || fail "stats failed"
	[[ $(cat "$T/victim") == secret ]]
	[[ -f $T/metrics.prom && ! -L $T/metrics.prom ]]
	[[ $(stat -c %a "$T/metrics.prom") == 644 ]]
	grep -q evpipe "$T/metrics.prom"
}

@test "event data never reaches a shell: templates are refused in exec: targets" {
	echo '{"x":"a; touch pwned"}' >"$T/in"
	cd "$T"
	run -2 --separate-stderr "$EVPIPE" tee --target 'exec:cat >{.x}' "$T/in"
	[[ $stderr == *"templates are for file paths only"* ]]
	run -2 --separate-stderr "$EVPIPE" route --when true --target 'tcp://{.x}:1' "$T/in"
	[[ ! -e pwned ]]
	# batch --exec: the key reaches the command only as a variable
	run_to "$T/out" batch -k .x --exec 'printf "%s\n" "$EVPIPE_BATCH_KEY" >key' "$T/in"
	[[ $status -eq 0 ]]
	[[ ! -e pwned ]]
	[[ $(cat key) == "a; touch pwned" ]]
}

@test "validate: SIGTERM or SIGINT while a big schema loads ends the run at once, 128+N" {
	printf '{"a":1}\n' >"$T/in"
	{
		printf '{"type":"object","properties":{'
		seq 1 700000 | sed 's/.*/"p&":{"type":"string","minLength":1},/'
		printf '"last":{}}}\n'
	} >"$T/big.json"
	for sig in TERM INT; do
		"$EVPIPE" validate --max-schema-size 1G -s "$T/big.json" "$T/in" >"$T/out" 2>"$T/err" &
		pid=$!
		# wait until the load is under way (memory grows), then signal
		for _ in $(seq 1 400); do
			kb=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
			[[ ${kb:-0} -gt 40000 ]] && break
			sleep 0.05
		done
		kill -"$sig" "$pid"
		timeout 30 tail --pid="$pid" -f /dev/null || {
			kill -KILL "$pid"
			fail "evpipe went on loading after SIG$sig"
		}
		status=0
		wait "$pid" || status=$?
		want=143
		[[ $sig == INT ]] && want=130
		[[ $status -eq $want ]] || fail "SIG$sig: status $status: $(cat "$T/err")"
		grep -q "interrupted while loading the schema" "$T/err"
		[[ ! -s $T/out ]]
	done
}

# big N: one event {"a":[0,1,...,N-1]}.
big() {
	awk -v n="$1" 'BEGIN { printf "{\"a\":["; for (i = 0; i < n; i++) printf "%s%d", (i ? "," : ""), i; print "]}" }'
}

@test "reduce appends and assignments to its accumulator are in place: 80,000 elements" {
	big 80000 >"$T/in"
	# each was quadratic (a copy per element, 41 s for the first); now
	# linear.  Several in one run, so that the guard cannot be met by
	# the old code.
	run timeout -k 5 60 "$EVPIPE" map '[reduce .a[] as $x ([]; . + [$x]),
		reduce .a[] as $x ({}; .["k\($x)"] = $x),
		reduce .a[] as $x ({}; .["k\($x % 7)"] += [$x]),
		reduce .a[] as $x ([]; .[$x] = $x),
		(reduce .a[] as $x ({}; setpath(["p", "\($x)"]; $x)) | .p),
		(reduce .a[] as $x ({a: {b: []}}; .a.b += [$x]) | .a.b)] | map(length)' "$T/in"
	[[ $status -eq 0 ]] || fail "status $status: $output"
	[[ $output == "[80000,80000,7,80000,80000,80000]" ]] || fail "$output"
}

@test "reduce range(1e6) appending to an array ends (it ran for minutes)" {
	echo '{}' >"$T/in"
	run timeout -k 5 60 "$EVPIPE" map 'reduce range(1e6) as $i ([]; .+[$i]) | [length, .[-1]]' "$T/in"
	[[ $status -eq 0 ]] || fail "status $status: $output"
	[[ $output == "[1000000,999999]" ]] || fail "$output"
}

# rejects_bounded EXPR TEXT: like map_rejects, under timeout (SIGKILL if
# SIGTERM is not enough).
rejects_bounded() {
	run timeout -k 5 60 "$EVPIPE" map "$1" "$T/in"
	[[ $status -eq 1 ]] || fail "status $status for $1"
	[[ $output == *"$2"* ]] || fail "for $1: $output"
}

@test "copying counts against the step limit: a copy per element is a reject, not minutes" {
	big 80000 >"$T/in"
	# the accumulator is shared ($keep holds it): every + copies it
	rejects_bounded 'reduce .a[] as $x ([]; . as $keep | $keep + [$x])' "expression evaluation exceeded 20000000 steps"
	rejects_bounded '.a as $a | reduce range(100000) as $i (0; . + ($a | sort | length))' "expression evaluation exceeded 20000000 steps"
	rejects_bounded '.a as $a | reduce range(100000) as $i (0; . + ($a | tojson | length))' "expression evaluation exceeded 20000000 steps"
	rejects_bounded '(.a | tojson) as $s | reduce range(100000) as $i (0; . + ($s + $s | length))' "expression evaluation exceeded 20000000 steps"
	rejects_bounded '.a - .a' "expression evaluation exceeded 20000000 steps"
	# so does comparing: == walks both arrays
	rejects_bounded '.a as $a | (.a | map(.)) as $b | [range(100000) | select($a == $b)] | length' "expression evaluation exceeded 20000000 steps"
}

# cpu PID: the CPU time (clock ticks) that process PID has used.
cpu() {
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

@test "SIGTERM stops an evaluation in progress: the event is rejected, the run exits 143" {
	big 80000 >"$T/big"
	mkfifo "$T/fifo"
	"$EVPIPE" --dlq "$T/dlq" map '.a as $a | reduce range(200) as $i (0; . + ($a | sort | length))' \
		<"$T/fifo" >"$T/out" 2>"$T/err" &
	pid=$!
	exec {w}>"$T/fifo"
	# a small event first: once it is out, evpipe waits for the next
	printf '{"a":[1]}\n' >&"$w"
	for _ in $(seq 1 100); do [[ -s $T/out ]] && break; sleep 0.1; done
	[[ -s $T/out ]] || fail "no output for the first event"
	local c0 i
	c0=$(cpu "$pid")
	cat "$T/big" >&"$w"
	# the big event is being evaluated once evpipe has used some CPU
	# time on it (reading it takes a small part of that)
	for i in $(seq 1 600); do (($(cpu "$pid") >= c0 + 15)) && break; sleep 0.05; done
	kill -TERM "$pid"
	# bounded wait: the old code went on to the end of the event
	for i in $(seq 1 600); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$pid" 2>/dev/null && { kill -KILL "$pid"; fail "SIGTERM did not end the run"; }
	rc=0
	wait "$pid" || rc=$?
	exec {w}>&-
	[[ $rc -eq 143 ]] || fail "status $rc: $(cat "$T/err")"
	grep -q "interrupted by SIGTERM" "$T/err" || fail "stderr: $(cat "$T/err")"
	same "$T/out" '200\n'
	[[ $(wc -l <"$T/dlq") -eq 1 ]] || fail "dead letters: $(head -c 300 "$T/dlq")"
	grep -q 'interrupted by SIGTERM' "$T/dlq" || fail "dead letter: $(head -c 300 "$T/dlq")"
}

@test "a regex match that gives up at its match limit counts: '?' cannot catch them for minutes" {
	printf '{"s":"%s!"}\n' "$(printf 'a%.0s' {1..200})" >"$T/in"
	run timeout -k 5 60 "$EVPIPE" map '.s as $s | [range(90) | $s | test("^(a+)+$")?] | length' "$T/in"
	[[ $status -eq 0 && $output == 0 ]] || fail "status $status: $output"
	# each took about a millisecond and counted 8 steps: 100,000 of
	# them ran for minutes within the step limit
	rejects_bounded '.s as $s | [range(100000) | $s | test("^(a+)+$")?] | length' "expression evaluation exceeded 20000000 steps"
}
