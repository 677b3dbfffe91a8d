#!/usr/bin/env bats
# The HTTP source (-i http://HOST:PORT/PATH, evpipe-http(7)): bodies of
# NDJSON, JSON and gzip; answers only after delivery, with counts;
# limits, tokens, signatures; metadata; clients that go away, a stalled
# output, SIGTERM and kill -9.  evpipe listens on 127.0.0.1 (port 0: the
# system picks one), clients are curl, and every wait is bounded.

load test_helper
load bg_helper

setup() {
	bg_setup
	command -v curl >/dev/null || fail "curl is required"
	command -v openssl >/dev/null || fail "openssl is required"
}

teardown() {
	bg_teardown
}

# url: the address evpipe said it listens on (waits for it).
url() {
	local i
	for ((i = 0; i < 400; i++)); do
		if grep -q "^evpipe: listening on http" err 2>/dev/null; then
			grep -o 'https\?://[^ ]*' err | head -1
			return 0
		fi
		sleep 0.05
	done
	fail "evpipe did not say where it listens: $(cat err)"
}

# post URL BODY-FILE [CURL ARGS...]: POST it as NDJSON (or as $CT); prints the
# answer's body then " [CODE]".
post() {
	local u=$1 f=$2
	shift 2
	curl -sS --max-time 20 -w ' [%{http_code}]' \
		-H "Content-Type: ${CT:-application/x-ndjson}" "$@" \
		--data-binary @"$f" "$u"
}

# sign KEY FILE: GitHub's X-Hub-Signature-256 value for the file.
sign() {
	echo "sha256=$(openssl dgst -sha256 -hmac "$1" -r <"$2" | cut -d' ' -f1)"
}

# lines_of N PREFIX: N NDJSON events {"c":"PREFIX","i":1..N}.
lines_of() {
	local i
	for ((i = 1; i <= $1; i++)); do
		printf '{"c":"%s","i":%d}\n' "$2" "$i"
	done
}

@test "an NDJSON body: answered 200 with its count once written, bytes unchanged" {
	bg_start -i http://:0/ingest cat
	local u
	u=$(url)
	printf '{"b": 1,  "x":"\\u00e9"}\r\n\n{"n":12345678901234567890}\n{"last":true}' >body
	run post "$u" body
	assert_output '{"accepted":3,"rejected":0}
 [200]'
	wait_lines out 3
	same out '{"b": 1,  "x":"\\u00e9"}\n{"n":12345678901234567890}\n{"last":true}\n'
	stop
	assert_equal "$status" 143
	same err "evpipe: listening on $u\n"
}

@test "a JSON array, one JSON object, and a gzip body" {
	bg_start -i http://:0/in cat
	local u
	u=$(url)
	run curl -sS -w ' [%{http_code}]' -H 'Content-Type: application/json' \
		--data-binary '[{"a":1},{"a":2}]' "$u"
	assert_output '{"accepted":2,"rejected":0}
 [200]'
	run curl -sS -w ' [%{http_code}]' -H 'Content-Type: application/json; charset=utf-8' \
		--data-binary '{"one":{"x":[1,2]}}' "$u"
	assert_output '{"accepted":1,"rejected":0}
 [200]'
	lines_of 3 gz | gzip >body.gz
	run post "$u" body.gz -H 'Content-Encoding: gzip'
	assert_output '{"accepted":3,"rejected":0}
 [200]'
	wait_lines out 6
	stop
	same out '{"a":1}\n{"a":2}\n{"one":{"x":[1,2]}}\n{"c":"gz","i":1}\n{"c":"gz","i":2}\n{"c":"gz","i":3}\n'
}

@test "10 clients in parallel: every event arrives once, each answer counts its own" {
	bg_start -i http://:0/in cat
	local u c pids=()
	u=$(url)
	for c in {0..9}; do
		lines_of 2000 "c$c" >"b$c"
		post "$u" "b$c" >"a$c" &
		pids+=($!)
	done
	wait "${pids[@]}" || true
	for c in {0..9}; do
		same "a$c" '{"accepted":2000,"rejected":0}\n [200]'
	done
	wait_lines out 20000
	stop
	for c in {0..9}; do
		grep "\"c\":\"c$c\"" out >"got$c"
		cmp "got$c" "b$c" || fail "client $c: its events differ"
	done
	assert_equal "$(wc -l <out)" 20000
}

@test "bodies over --http-max-body: 413 by length, while streaming and once inflated" {
	bg_start -i http://:0/in --http-max-body 1k cat
	local u
	u=$(url)
	head -c 1025 /dev/zero | tr '\0' ' ' >big
	run post "$u" big
	assert_output '{"error":"body over --http-max-body"}
 [413]'
	run post "$u" big -H 'Transfer-Encoding: chunked'
	assert_output '{"error":"body over --http-max-body"}
 [413]'
	# a gzip bomb: 200 bytes that inflate to 10 MB
	head -c 10000000 /dev/zero | gzip -9 >bomb.gz
	run post "$u" bomb.gz -H 'Content-Encoding: gzip'
	assert_output '{"error":"body over --http-max-body"}
 [413]'
	echo 'not gzip' >bad.gz
	run post "$u" bad.gz -H 'Content-Encoding: gzip'
	assert_output '{"error":"bad gzip body"}
 [400]'
	lines_of 1 ok >small
	run post "$u" small
	assert_output '{"accepted":1,"rejected":0}
 [200]'
	wait_lines out 1
	stop
	same out '{"c":"ok","i":1}\n'
}

@test "bad JSON lines among good ones: counted as rejected, dead-lettered with the request as their place" {
	bg_start -i http://:0/in --dlq dlq.ndjson cat
	local u
	u=$(url)
	printf '{"ok":1}\n{"broken":\n{"ok":2}\nnope\n' >body
	run post "$u" body
	assert_output '{"accepted":2,"rejected":2}
 [200]'
	stop
	same out '{"ok":1}\n{"ok":2}\n'
	run jq -c '[.source, .line, .event]' dlq.ndjson
	assert_output "[\"$u#1\",2,\"{\\\"broken\\\":\"]
[\"$u#1\",4,\"nope\"]"
	run grep -c "^evpipe: input: $u#1:[24]: invalid JSON" err
	assert_output 2
}

@test "--http-reject-status 400: a request with a rejected event gets 400, with the same counts" {
	bg_start -i http://:0/in --http-reject-status 400 -q cat
	local u
	u=$(url)
	printf '{"ok":1}\n[\n' >body
	run post "$u" body
	assert_output '{"accepted":1,"rejected":1}
 [400]'
	printf '{"ok":2}\n' >good
	run post "$u" good
	assert_output '{"accepted":1,"rejected":0}
 [200]'
	stop
	same out '{"ok":1}\n{"ok":2}\n'
}

@test "--http-token-file: 401 without the token or with a wrong one" {
	printf 'tok-123\n' >token
	bg_start -i http://:0/in --http-token-file token cat
	local u
	u=$(url)
	lines_of 1 t >body
	run post "$u" body
	assert_output '{"error":"bad or missing token"}
 [401]'
	run post "$u" body -H 'Authorization: Bearer tok-124'
	assert_output '{"error":"bad or missing token"}
 [401]'
	run post "$u" body -H 'Authorization: Basic dG9rLTEyMw=='
	assert_output --partial '[401]'
	run curl -sS -o /dev/null -D - -H 'Content-Type: application/x-ndjson' --data-binary @body "$u"
	assert_output --partial 'WWW-Authenticate: Bearer'
	run post "$u" body -H 'Authorization: Bearer tok-123'
	assert_output '{"accepted":1,"rejected":0}
 [200]'
	stop
	same out '{"c":"t","i":1}\n'
}

@test "--http-hmac-file: a bad signature is 401, a good one 200; --http-hmac-header names another header" {
	printf 'hook-secret' >key
	bg_start -i http://:0/in --http-hmac-file key cat
	local u good
	u=$(url)
	printf '{"action":"opened"}' >body
	good=$(sign hook-secret body)
	run post "$u" body
	assert_output '{"error":"bad or missing signature"}
 [401]'
	run post "$u" body -H "X-Hub-Signature-256: $(sign other-secret body)"
	assert_output '{"error":"bad or missing signature"}
 [401]'
	run post "$u" body -H "X-Hub-Signature-256: sha256=zz"
	assert_output --partial '[401]'
	run post "$u" body -H "X-Hub-Signature-256: $good"
	assert_output '{"accepted":1,"rejected":0}
 [200]'
	stop
	same out '{"action":"opened"}\n'
	rm -f out err
	bg_start -i http://:0/in --http-hmac-file key --http-hmac-header X-Signature cat
	u=$(url)
	run post "$u" body -H "X-Hub-Signature-256: $good"
	assert_output --partial '[401]'
	run post "$u" body -H "X-Signature: ${good#sha256=}"
	assert_output --partial '[200]'
	stop
	same out '{"action":"opened"}\n'
}

@test "405 for other methods, 415 for unknown types and encodings, 404 elsewhere, /healthz and /metrics" {
	bg_start -i http://:0/in --http-metrics cat
	local u base
	u=$(url)
	base=${u%/in}
	run curl -sS -D - -o /dev/null "$u"
	assert_output --partial 'HTTP/1.1 405'
	assert_output --partial 'Allow: POST'
	run curl -sS -w ' [%{http_code}]' -H 'Content-Type: image/png' -d x "$u"
	assert_output '{"error":"unknown Content-Type"}
 [415]'
	run curl -sS -w ' [%{http_code}]' -H 'Content-Type: application/json' -H 'Content-Encoding: br' -d x "$u"
	assert_output '{"error":"unknown Content-Encoding"}
 [415]'
	run curl -sS -w ' [%{http_code}]' -H 'Content-Type: application/json' -d '{}' "$base/other"
	assert_output '{"error":"no such path"}
 [404]'
	run curl -sS -w ' [%{http_code}]' "$base/healthz"
	assert_output 'ok
 [200]'
	printf '{"a":1}\nx\n' >body
	post "$u" body >/dev/null
	run curl -sS "$base/metrics"
	assert_line 'evpipe_events_total 2'
	assert_line 'evpipe_bytes_total 10'
	assert_line 'evpipe_rejects_total{stage="input",reason="invalid JSON: unexpected '"'"'x'"'"' at column 1"} 1'
	assert_line 'evpipe_http_requests_total{code="200"} 2'
	assert_line 'evpipe_http_requests_total{code="415"} 2'
	assert_line 'evpipe_http_inflight_bytes 0'
	stop
	rm -f err
	bg_start -i http://:0/in cat
	u=$(url)
	run curl -sS -w ' [%{http_code}]' "${u%/in}/metrics"
	assert_output --partial '[404]'
	stop
}

@test "input_meta: method, path, remote address, request number and headers; route by X-GitHub-Event" {
	bg_start -i http://:0/hook route -w 'input_meta.headers["x-github-event"] == "push"' -t push.ndjson \
		-w 'input_meta.headers["x-github-event"] == "issues"' -t issues.ndjson
	local u
	u=$(url)
	printf '{"ref":"main"}\n' >p
	printf '{"issue":7}\n' >i
	post "$u" p -H 'X-GitHub-Event: push' >/dev/null
	post "$u" i -H 'X-GitHub-Event: issues' -H 'X-Extra: a' >/dev/null
	stop
	same push.ndjson '{"ref":"main"}\n'
	same issues.ndjson '{"issue":7}\n'
	rm -f out err
	bg_start -i http://:0/hook map 'input_meta.headers | with_entries(select(.key | startswith("x-")))'
	u=$(url)
	post "$u" i -H 'X-GitHub-Event: issues' -H 'X-Extra: a' -H 'x-extra: b' >/dev/null
	post "$u" i -H 'X-GitHub-Event: push' >/dev/null
	stop
	same out '{"x-extra":"b","x-github-event":"issues"}\n{"x-github-event":"push"}\n'
	rm -f out err
	bg_start -i http://:0/hook map 'input_meta | [.method, .path, .request, (.remote | test("^127\\.0\\.0\\.1:[0-9]+$"))]'
	u=$(url)
	post "$u" i >/dev/null
	post "$u" i >/dev/null
	stop
	same out '["POST","/hook",1,true]\n["POST","/hook",2,true]\n'
}

@test "a client that goes away before its answer: its events are still delivered, once" {
	# 50 events at 25 a second: the answer comes after 2 s, the client
	# gives up after 0.5 s
	bg_start -i http://:0/in --http-metrics throttle -r 25/1s --mode delay --max-delay 10s
	local u
	u=$(url)
	lines_of 50 gone >body
	run post "$u" body --max-time 0.5
	assert_failure 28
	wait_lines out 50
	lines_of 1 next >next
	run post "$u" next
	assert_output '{"accepted":1,"rejected":0}
 [200]'
	stop
	cat body next | cmp - out
	run grep -c '"c":"gone"' out
	assert_output 50
}

@test "a stalled output: 429 with Retry-After past --http-inflight, memory stays bounded" {
	# a tcp peer that takes the connection and never reads
	python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
print(s.getsockname()[1], flush=True)
c, _ = s.accept(); time.sleep(60)' >port &
	local peer=$! u p c n429=0 hwm pids=()
	wait_lines port 1
	p=$(<port)
	bg_start -i http://:0/in --http-max-body 2M --http-inflight 4M --linger 0.1s -o "tcp://127.0.0.1:$p" cat
	u=$(url)
	python3 -c 'print("\n".join("{\"i\":%d,\"pad\":\"%s\"}" % (i, "x" * 500) for i in range(2000)))' >body
	for c in {1..30}; do
		curl -sS --max-time 20 -o /dev/null -D "h$c" -H 'Content-Type: application/x-ndjson' \
			--data-binary @body "$u" &
		pids+=($!)
	done
	wait "${pids[@]}" || true
	for c in {1..30}; do
		if grep -q '^HTTP/1.1 429' "h$c"; then
			n429=$((n429 + 1))
			grep -qi '^Retry-After: 1' "h$c" || fail "a 429 without Retry-After"
		fi
	done
	((n429 > 0)) || fail "no request was refused: $(head -1 h*)"
	hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status")
	# 30 bodies of 1 MB were sent; what is kept stays near the budget
	((hwm < 60000)) || fail "peak RSS $hwm kB"
	kill "$peer"
	stop
}

@test "SIGTERM: delivered requests are answered, new ones are refused, exit 143" {
	bg_start -i http://:0/in throttle -r 20/1s --mode delay --max-delay 10s
	local u c
	u=$(url)
	lines_of 2 a >a
	lines_of 40 slow >slow
	run post "$u" a
	assert_output '{"accepted":2,"rejected":0}
 [200]'
	post "$u" slow >answer &
	c=$!
	wait_lines out 4
	stop
	assert_equal "$status" 143
	wait "$c" || true
	# its events were handed out when the signal came: some left
	# evpipe; the client is told to try again
	run cat answer
	assert_output '{"error":"shutting down, retry later"}
 [503]'
	run curl -sS --max-time 5 "$u" -d x
	assert_failure 7
}

@test "kill -9 with requests in flight: every event of a request answered 200 is in the output" {
	bg_start -i http://:0/in -o out.ndjson cat
	local u c pids=()
	u=$(url)
	for c in {0..5}; do
		(
			for ((k = 1; k <= 200; k++)); do
				lines_of 50 "c$c-$k" >"b$c"
				r=$(post "$u" "b$c" 2>/dev/null) || break
				[[ $r == *'[200]' ]] && echo "c$c-$k" >>"ok$c"
			done
		) &
		pids+=($!)
	done
	wait_lines ok0 5 60
	kill -9 "$pid"
	wait "$pid" 2>/dev/null || true
	pid=
	wait "${pids[@]}" || true
	for c in {0..5}; do
		while read -r id; do
			run grep -c "\"c\":\"$id\"" out.ndjson
			assert_output 50
		done <"ok$c"
	done
}

@test "https:// with --tls-cert and --tls-key" {
	openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem \
		-days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null
	bg_start -i https://:0/in --tls-cert cert.pem --tls-key key.pem cat
	local u
	u=$(url)
	assert_equal "${u%%://*}" https
	lines_of 2 tls >body
	run post "$u" body --cacert cert.pem
	assert_output '{"accepted":2,"rejected":0}
 [200]'
	run curl -sS --max-time 5 -o /dev/null "http${u#https}" -d x
	assert_failure
	stop
	same out '{"c":"tls","i":1}\n{"c":"tls","i":2}\n'
}

@test "--from csv: a text/csv body is read with its own header, per request" {
	bg_start -i http://:0/in --from csv --csv-types cat
	local u
	u=$(url)
	printf 'a,b\n1,x\n' >one.csv
	printf 'z\ntrue\n' >two.csv
	CT=text/csv run post "$u" one.csv
	assert_output --partial '[200]'
	CT='text/csv; header=present' run post "$u" two.csv
	assert_output --partial '[200]'
	stop
	same out '{"a":1,"b":"x"}\n{"z":true}\n'
}

@test "usage errors: https without a certificate, bad addresses, options that need others" {
	run "$EVPIPE" -i https://:0/in cat
	assert_equal "$status" 2
	assert_output "evpipe: -i https://:0/in: https needs --tls-cert and --tls-key"
	run "$EVPIPE" -i http://:0/in --tls-cert x --tls-key y cat
	assert_equal "$status" 2
	assert_output "evpipe: -i http://:0/in: --tls-cert and --tls-key are for https://"
	run "$EVPIPE" -i http://nohostport/in cat
	assert_equal "$status" 2
	assert_output "evpipe: -i http://nohostport/in: expected HOST:PORT"
	run "$EVPIPE" -i 'http://:0/in?x=1' cat
	assert_equal "$status" 2
	assert_output "evpipe: -i http://:0/in?x=1: the path may not hold '?', '#' or blanks"
	run "$EVPIPE" -i http://:0/in --http-hmac-header X-Sig cat
	assert_equal "$status" 2
	assert_output "evpipe: --http-hmac-header needs --http-hmac-file"
	run "$EVPIPE" -i http://:0/in --http-token-file missing cat
	assert_equal "$status" 2
	assert_output --partial "evpipe: --http-token-file: cannot open 'missing'"
	: >empty
	run "$EVPIPE" -i http://:0/in --http-token-file empty cat
	assert_equal "$status" 2
	assert_output "evpipe: --http-token-file: 'empty' holds no token"
	run "$EVPIPE" -i http://:0/in --http-reject-status 500 cat
	assert_equal "$status" 2
	run "$EVPIPE" -i http://:0/in --http-inflight 1M cat
	assert_equal "$status" 2
	assert_output "evpipe: --http-inflight must be at least --http-max-body"
}

@test "unit: the in-flight ring and the header readers" {
	run_unit t-http-src
}

@test "completion words: http:// and https:// for -i, the options' kinds and choices" {
	run -0 "$EVPIPE" __complete addresses
	assert_line 'http://'
	assert_line 'https://'
	run -0 "$EVPIPE" __complete choices --http-reject-status
	assert_output $'200\n400'
	run -0 "$EVPIPE" __complete choices --http-hmac-file
	assert_output '@file'
	run -0 "$EVPIPE" __complete choices --tls-key
	assert_output '@file'
}
