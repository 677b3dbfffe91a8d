#!/usr/bin/env bats
# http:// and https:// targets (evpipe-http(7), HTTP TARGET): retries,
# Retry-After, dead letters with the status, a connection closed
# mid-response, a server that hangs, TLS with a certificate made here,
# every event accounted for, and no checkpoint before the 2xx.  The
# server is tests/helpers/http-sink.py on 127.0.0.1, scripted per test.
load test_helper
load bg_helper
load http_target_helper

setup() {
	http_setup
}

teardown() {
	http_teardown
}

@test "http: 500 twice, then 200: the batch is sent again and arrives once, byte for byte" {
	serve a --script "500 500"
	events 2500 >in
	run_to stdout --http-backoff 10ms -o "$URL/events" cat in
	[[ $status -eq 0 ]] || fail "exit $status: $stderr"
	[[ -z $stderr ]] || fail "stderr: $stderr"
	cmp in srv-a/out
	run answers a
	assert_output "$(printf '500\n500\n200\n200\n200')"
	# the first batch, three times the same 1000 events
	run jq -c '[.path, .events, .content_type]' srv-a/log
	assert_line -n 0 '["/events",1000,"application/x-ndjson"]'
	assert_line -n 2 '["/events",1000,"application/x-ndjson"]'
	assert_line -n 4 '["/events",500,"application/x-ndjson"]'
}

@test "http: 429 with Retry-After: the retry waits what the server asks, not the backoff" {
	serve a --script "429:1"
	events 10 >in
	# a backoff of ten minutes would end in the timeout: Retry-After wins
	status=0
	timeout 60 "$EVPIPE" --http-backoff 10m -o "$URL/x" cat in >stdout 2>stderr || status=$?
	[[ $status -eq 0 ]] || fail "exit $status: $(cat stderr)"
	cmp in srv-a/out
	run answers a
	assert_output "$(printf '429:1\n200')"
}

@test "http: 400 dead-letters the batch's events with the status and the response" {
	serve a --script "200 400"
	events 9 >in
	run_to stdout --http-batch 3 --dlq dlq -o "$URL/x" cat in
	assert_equal "$status" 3
	# the second batch is in the dead letters, the others arrived
	events 9 | sed -n '1,3p;7,9p' | cmp - srv-a/out
	run jq -c '[.stage, .line, .event.i]' dlq
	assert_output "$(printf '["output",4,4]\n["output",5,5]\n["output",6,6]')"
	run jq -r '.reason' dlq
	assert_line -n 0 "$URL/x: POST /x: HTTP 400 (1 attempt); response: {\"status\": 400, \"request\": 2}"
	# one attempt: a 400 is not retried
	run answers a
	assert_output "$(printf '200\n400\n200')"
	[[ $stderr == *"in:4: $URL/x: POST /x: HTTP 400"* ]] || fail "stderr: $stderr"
}

@test "http: a connection closed mid-response is retried" {
	serve a --script "close"
	events 5 >in
	run_to stdout --http-backoff 10ms -o "$URL/x" cat in
	[[ $status -eq 0 ]] || fail "exit $status: $stderr"
	cmp in srv-a/out
	run answers a
	assert_output "$(printf 'close\n200')"
}

@test "http: a server that hangs past --http-timeout is given up on and tried again" {
	serve a --script "hang"
	events 5 >in
	run_to stdout --http-timeout 1s --http-backoff 10ms -o "$URL/x" cat in
	[[ $status -eq 0 ]] || fail "exit $status: $stderr"
	cmp in srv-a/out
	run answers a
	assert_output "$(printf 'hang\n200')"
}

@test "http: retries used up: the events are dead-lettered with the last status" {
	serve a --script "503 502 500"
	events 4 >in
	run_to stdout --http-retries 2 --http-backoff 10ms --dlq dlq -o "$URL/x" cat in
	assert_equal "$status" 3
	[[ ! -s srv-a/out ]] || fail "delivered: $(cat srv-a/out)"
	run jq -r '.reason' dlq
	assert_line -n 0 "$URL/x: POST /x: HTTP 500 (3 attempts); response: {\"status\": 500, \"request\": 3}"
	assert_equal "$(jq -c .event dlq)" "$(cat in)"
}

@test "http: nobody listening: connection errors are retried, then dead-lettered" {
	serve a
	kill "$(<srv-a/pid)"
	wait "$(<srv-a/pid)" 2>/dev/null || true
	events 3 >in
	run_to stdout --http-retries 1 --http-backoff 10ms --dlq dlq -o "$URL/x" cat in
	assert_equal "$status" 3
	assert_equal "$(jq -c .event dlq)" "$(cat in)"
	run jq -r '.reason' dlq
	assert_line -n 0 --regexp "^$URL/x: POST /x: .*(onnect|refused).* \\(2 attempts\\)\$"
}

@test "https: a self-signed certificate is refused unless trusted with --http-cacert or --http-insecure" {
	command -v openssl >/dev/null || fail "openssl is not installed"
	openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
		-addext subjectAltName=IP:127.0.0.1 -keyout key.pem -out cert.pem 2>/dev/null
	serve tls --tls cert.pem key.pem
	events 20 >in
	base=https://127.0.0.1:$PORT
	# verified against the CA file: delivered
	run_to stdout --http-cacert cert.pem -o "$base/secure" cat in
	[[ $status -eq 0 ]] || fail "exit $status: $stderr"
	cmp in srv-tls/out
	# not trusted: one attempt (retrying cannot help), dead-lettered
	run_to stdout --http-retries 3 --dlq dlq -o "$base/secure" cat in
	assert_equal "$status" 3
	assert_equal "$(jq -c .event dlq)" "$(cat in)"
	run jq -r '.reason' dlq
	assert_line -n 0 --regexp "^$base/secure: POST /secure: .*(certificate|SSL).*\\(1 attempt\\)\$"
	# --http-insecure: delivered, with a warning
	run_to stdout --http-insecure -o "$base/secure" cat in
	[[ $status -eq 0 ]] || fail "exit $status: $stderr"
	assert_equal "$stderr" "evpipe: $base/secure: --http-insecure: the server's certificate is not verified"
	cat in in | cmp - srv-tls/out
	# an https URL the server does not speak TLS on fails cleanly too
	serve plain
	run_to stdout --http-retries 0 --dlq dlq2 -o "https://127.0.0.1:$PORT/x" cat in
	assert_equal "$status" 3
	assert_equal "$(wc -l <dlq2)" 20
}

@test "http: every event is accounted for: in = delivered + dead-lettered" {
	serve a --script "200 400 500 200 503 503 503 404 429:0 200 500 500 500"
	events 3000 40 >in
	run_to stdout --http-batch 200 --http-parallel 3 --http-retries 2 \
		--http-backoff 10ms --dlq dlq -v -o "$URL/acc" cat in
	assert_equal "$status" 3
	delivered=$(wc -l <srv-a/out)
	dead=$(wc -l <dlq)
	assert_equal "$((delivered + dead))" 3000
	# none twice, none lost
	cat srv-a/out <(jq -c .event dlq) | sort | cmp - <(sort in)
	# what -v says agrees
	[[ $stderr == *"evpipe: output: $delivered events written, $dead rejected"* ]] ||
		fail "stderr: $stderr"
}

@test "http: a source is acknowledged only after the 2xx (no checkpoint while the request hangs)" {
	serve a --script "hang"
	events 50 >in
	bg_start -F --checkpoint ck.json --http-timeout 20s -o "$URL/x" cat in
	for ((i = 0; i < 400; i++)); do
		[[ -s srv-a/log ]] && break
		sleep 0.05
	done
	[[ -s srv-a/log ]] || fail "no request: $(cat err)"
	# the request is in flight: whatever the checkpoint says, not the events
	kill -9 "$pid"
	wait "$pid" 2>/dev/null || true
	pid=
	if [[ -e ck.json ]]; then
		run jq '.files[0].offset // 0' ck.json
		assert_output 0
	fi
	# a rerun sends them again, and now they are acknowledged
	bg_start -F --checkpoint ck.json -o "$URL/x" cat in
	wait_lines srv-a/out 50
	stop
	cmp in srv-a/out
	run jq '.files[0].offset' ck.json
	assert_output "$(wc -c <in)"
}
