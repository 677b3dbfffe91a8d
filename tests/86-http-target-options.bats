#!/usr/bin/env bats
# http:// targets, the rest (evpipe-http(7), HTTP TARGET): {EXPR} in the
# path and its sanitizing, URL errors, headers from a file and from the
# environment (their values never printed), gzip and array bodies,
# --http-parallel and the order of batches, kept-alive connections,
# batch sizes, and route -t / tee -t / split / batch -t to http.
load test_helper
load bg_helper
load http_target_helper

setup() {
	http_setup
}

teardown() {
	http_teardown
}

@test "http: {EXPR} in the path is one sanitized segment; an event it cannot render is dead-lettered" {
	serve a
	printf '%s\n' '{"t":"orders"}' '{"t":"../etc"}' '{"t":"a/b?c#d"}' '{"t":".."}' \
		'{"t":"caf\u00e9 x"}' '{"t":"orders"}' '{"x":1}' >in
	run_to stdout --dlq dlq -o "$URL/in/{.t}/v1?src=evpipe" cat in
	assert_equal "$status" 3
	run jq -r '[.path, .query, .events] | @tsv' srv-a/log
	assert_line "$(printf '/in/orders/v1\tsrc=evpipe\t2')"
	assert_line "$(printf '/in/%%2E%%2E%%2Fetc/v1\tsrc=evpipe\t1')"
	assert_line "$(printf '/in/a%%2Fb%%3Fc%%23d/v1\tsrc=evpipe\t1')"
	assert_line "$(printf '/in/%%2E%%2E/v1\tsrc=evpipe\t1')"
	assert_line "$(printf '/in/caf%%C3%%A9%%20x/v1\tsrc=evpipe\t1')"
	assert_equal "${#lines[@]}" 5
	run jq -c '[.event, .reason]' dlq
	assert_output --regexp '^\[\{"x":1\},"http://127.0.0.1:[0-9]+/in/\{.t\}/v1\?src=evpipe: the path: .*\]$'
}

@test "http: the path reads input_meta: webhooks forwarded by tenant, each body byte for byte" {
	serve a
	bg_start -i http://127.0.0.1:0/hook head -n 3 \
		-o "$URL/tenant/{input_meta.headers[\"x-tenant\"]}"
	local u i
	for ((i = 0; i < 400; i++)); do
		grep -q "^evpipe: listening on http" err 2>/dev/null && break
		sleep 0.05
	done
	u=$(grep -o 'http://[^ ]*' err | head -1)
	[[ -n $u ]] || fail "evpipe did not say where it listens: $(cat err)"
	printf '{"id":1, "v":1.50}\n{"id":2}\n' >b1
	printf '{"id":3}\n' >b2
	curl -sS --max-time 20 -H 'Content-Type: application/x-ndjson' -H 'X-Tenant: acme' --data-binary @b1 "$u" >/dev/null
	curl -sS --max-time 20 -H 'Content-Type: application/x-ndjson' -H 'X-Tenant: glo/bex' --data-binary @b2 "$u" >/dev/null
	exit_wait "$pid"
	pid=
	[[ $STOPPED -eq 0 ]] || fail "exit $STOPPED: $(cat err)"
	# one request a path; a "/" in a value is one segment's, escaped
	run jq -r '[.path, .events] | @tsv' srv-a/log
	assert_output "$(printf '/tenant/acme\t2\n/tenant/glo%%2Fbex\t1')"
	cat b1 b2 | cmp - srv-a/out
}

@test "http: URL errors are usage errors, and credentials in a URL are never shown" {
	run "$EVPIPE" -o 'http://alice:s3cret@127.0.0.1:9/x' cat /dev/null
	assert_equal "$status" 2
	assert_output "evpipe: -o: target 'http://***@127.0.0.1:9/x': credentials in the URL are refused (they would show in ps and in logs); use --http-header-file or --http-header-env"
	run "$EVPIPE" -o 'http://{.host}:80/x' cat /dev/null
	assert_equal "$status" 2
	assert_output --partial "{EXPR} is allowed in the path only (event data never picks the host)"
	run "$EVPIPE" -o 'http://127.0.0.1:80/x?k={.v}' cat /dev/null
	assert_equal "$status" 2
	assert_output --partial "{EXPR} is allowed in the path only, not in the query"
	for port in 0 65536 99999999999 x8; do
		run "$EVPIPE" -o "http://127.0.0.1:$port/x" cat /dev/null
		assert_equal "$status" 2
		assert_output --partial "bad port"
	done
	run "$EVPIPE" -o 'http://127.0.0.1:8/x#frag' cat /dev/null
	assert_output --partial "a #fragment is never sent"
	run "$EVPIPE" -o 'http://127.0.0.1:8/x/{.a' cat /dev/null
	assert_output --partial "unbalanced { in the path"
	run "$EVPIPE" -o 'http://127.0.0.1:8/a b' cat /dev/null
	assert_output --partial "the path may not hold ' ' (write it %20)"
	run "$EVPIPE" -o 'http:///x' cat /dev/null
	assert_output --partial "no host after the scheme"
	run "$EVPIPE" --to json -o 'http://127.0.0.1:8/x' cat /dev/null
	assert_equal "$status" 2
	assert_output "evpipe: -o 'http://127.0.0.1:8/x': an HTTP target takes NDJSON events (--http-format array sends a JSON array), not --to, -r or -j"
	# input_meta: only where the target is handed each event's metadata
	run "$EVPIPE" stats -t 'http://127.0.0.1:8/{input_meta.topic}' /dev/null
	assert_equal "$status" 2
	assert_output --partial "input_meta is null here (only -o, route -t, tee -t and split"
	run "$EVPIPE" batch -n 2 -t 'http://127.0.0.1:8/{input_meta.topic}' /dev/null
	assert_equal "$status" 2
	assert_output --partial "input_meta is null here"
	run "$EVPIPE" --http-parallel 0 -o 'http://127.0.0.1:8/x' cat /dev/null
	assert_output "evpipe: -o: --http-parallel must be 1 to 64"
	# in the other places a target is written too
	run "$EVPIPE" tee -t 'https://bob:hunter2@127.0.0.1:8/' /dev/null
	assert_equal "$status" 2
	refute_output --partial hunter2
	run "$EVPIPE" batch -t 'http://{.h}/x' /dev/null
	assert_equal "$status" 2
	assert_output --partial "event data never picks the host"
}

@test "http: headers from a file and from the environment reach the server; their values are never printed" {
	serve a
	printf '# the token\nAuthorization: Bearer tok-FILE-123\n\nX-Team:  blue \n' >hdr
	chmod 600 hdr
	events 3 >in
	SECRET_KEY=key-ENV-456 run_to stdout --http-header-file hdr \
		--http-header-env X-Api-Key=SECRET_KEY --http-header 'X-Plain: yes' \
		-v -o "$URL/h" cat in
	[[ $status -eq 0 ]] || fail "exit $status: $stderr"
	run jq -r '.headers | [.authorization, ."x-api-key", ."x-team", ."x-plain", ."user-agent"] | @tsv' srv-a/log
	assert_output "$(printf 'Bearer tok-FILE-123\tkey-ENV-456\tblue \tyes\tevpipe')"
	[[ $stderr != *tok-FILE* && $stderr != *key-ENV* ]] || fail "a secret in -v: $stderr"
	# a secret header on the command line is refused, without its value
	run "$EVPIPE" --http-header 'Authorization: Bearer tok-CLI-789' -o "$URL/h" cat in
	assert_equal "$status" 2
	assert_output "evpipe: -o: --http-header: header Authorization carries a secret and would show in ps: give it with --http-header-file or --http-header-env"
	# bad lines: the file and line, never the value
	printf 'X-Ok: 1\nAuthorization Bearer tok-BAD-000\n' >bad
	run "$EVPIPE" --http-header-file bad -o "$URL/h" cat in
	assert_equal "$status" 2
	assert_output "evpipe: -o: --http-header-file bad:2: expected 'NAME: VALUE'"
	printf 'X-Ok: a\001tok-CTL-111\n' >bad
	run "$EVPIPE" --http-header-file bad -o "$URL/h" cat in
	assert_output "evpipe: -o: --http-header-file bad:1: header X-Ok: the value holds a control character (no CR, LF or NUL)"
	run "$EVPIPE" --http-header-env X-Api-Key=NO_SUCH_VAR_HERE -o "$URL/h" cat in
	assert_equal "$status" 2
	assert_output "evpipe: -o: --http-header-env X-Api-Key=NO_SUCH_VAR_HERE: the variable NO_SUCH_VAR_HERE is not set"
	printf 'Host: evil.example\n' >bad
	run "$EVPIPE" --http-header-file bad -o "$URL/h" cat in
	assert_output "evpipe: -o: --http-header-file bad:1: header Host is set by evpipe itself (--http-gzip sets Content-Encoding)"
	run "$EVPIPE" --http-header-file missing -o "$URL/h" cat in
	assert_output "evpipe: -o: --http-header-file missing: No such file or directory"
	# nothing of this reached the server
	assert_equal "$(wc -l <srv-a/log)" 1
}

@test "http: --http-gzip bodies inflate at the server to the same bytes" {
	serve a
	events 5000 30 >in
	run_to stdout --http-gzip -o "$URL/gz" cat in
	[[ $status -eq 0 ]] || fail "exit $status: $stderr"
	cmp in srv-a/out
	run jq -r '[.content_encoding, .gzip_ok, .events, (.bytes < 60000)] | @tsv' srv-a/log
	assert_output "$(for i in 1 2 3 4 5; do printf 'gzip\ttrue\t1000\ttrue\n'; done)"
}

@test "http: --http-format array sends a JSON array" {
	serve a
	events 7 >in
	run_to stdout --http-format array --http-batch 4 -o "$URL/arr" cat in
	[[ $status -eq 0 ]] || fail "exit $status: $stderr"
	cmp in srv-a/out
	run jq -r '[.content_type, .events] | @tsv' srv-a/log
	assert_output "$(printf 'application/json\t4\napplication/json\t3')"
	# --http-header may name another content type
	serve b
	run_to stdout --http-format array --http-header 'Content-Type: application/vnd.x+json' -o "$URL/arr" cat in
	run jq -r '.headers."content-type"' srv-b/log
	assert_output application/vnd.x+json
	run "$EVPIPE" --http-format xml -o "$URL/arr" cat in
	assert_equal "$status" 2
}

@test "http: --http-parallel 1 keeps the order of batches behind a slow one; 2 does not wait for it" {
	events 6 >in
	serve one --script "hang"
	run_to stdout --http-batch 2 --http-timeout 2s --http-backoff 10ms -o "$URL/p" cat in
	[[ $status -eq 0 ]] || fail "exit $status: $stderr"
	cmp in srv-one/out
	serve two --script "hang"
	run_to stdout --http-batch 2 --http-timeout 2s --http-backoff 10ms --http-parallel 2 -o "$URL/p" cat in
	[[ $status -eq 0 ]] || fail "exit $status: $stderr"
	# all of them, but the first batch after the ones sent beside it
	sort in | cmp - <(sort srv-two/out)
	run head -n 1 srv-two/out
	refute_output '{"i":1,"k":"k1"}'
	run tail -n 2 srv-two/out
	assert_output "$(head -n 2 in)"
}

@test "http: one connection is kept alive across requests" {
	serve a
	events 5000 >in
	run_to stdout --http-batch 500 -o "$URL/ka" cat in
	[[ $status -eq 0 ]] || fail "exit $status: $stderr"
	assert_equal "$(wc -l <srv-a/log)" 10
	assert_equal "$(jq .port srv-a/log | sort -u | wc -l)" 1
}

@test "http: --http-batch-bytes closes a body before it grows past SIZE; a bigger event goes alone" {
	serve a
	{
		events 10 100
		printf '{"big":"%0600d"}\n' 1
		events 3 100
	} >in
	run_to stdout --http-batch-bytes 400 -o "$URL/b" cat in
	[[ $status -eq 0 ]] || fail "exit $status: $stderr"
	cmp in srv-a/out
	run jq -r 'select(.events > 1 and .bytes > 400) | .n' srv-a/log
	assert_output ""
	run jq -r 'select(.bytes > 600) | .events' srv-a/log
	assert_output 1
	run "$EVPIPE" --http-batch 0 -o "$URL/b" cat in
	assert_equal "$status" 2
}

@test "http: route -t, tee -t, split and batch -t send to http:// targets" {
	serve a
	events 12 >in
	run_to stdout route --when '.k == "k0"' -t "$URL/route/{.k}" in
	[[ $status -eq 0 ]] || fail "route: exit $status: $stderr"
	grep -v '"k0"' in | cmp - stdout
	run_to stdout tee -t "$URL/tee" in
	[[ $status -eq 0 ]] || fail "tee: exit $status: $stderr"
	cmp in stdout
	run_to stdout split "$URL/split/{.k}" in
	[[ $status -eq 0 ]] || fail "split: exit $status: $stderr"
	run_to stdout batch -n 5 -t "$URL/batch" in
	[[ $status -eq 0 ]] || fail "batch: exit $status: $stderr"
	[[ ! -s stdout ]] || fail "batch -t wrote $(cat stdout)"
	run bash -c "jq -r '[.path, .events] | @tsv' srv-a/log | sort"
	assert_output "$(printf '/batch\t2\n/batch\t5\n/batch\t5\n/route/k0\t4\n/split/k0\t4\n/split/k1\t4\n/split/k2\t4\n/tee\t12')"
	# each event reached the server once per command that sent it
	assert_equal "$(grep -c '"k0"' srv-a/out)" 16
	assert_equal "$(wc -l <srv-a/out)" 40
}

@test "http: batch -t dead-letters a refused batch with its seq and the status" {
	serve a --script "200 400"
	events 6 >in
	run_to stdout --dlq dlq batch -n 2 -t "$URL/batch" in
	assert_equal "$status" 3
	run jq -c '[.stage, .batch.seq, .event.i]' dlq
	assert_output "$(printf '["batch",2,3]\n["batch",2,4]')"
	run jq -r '.reason' dlq
	assert_line -n 0 "batch 2: $URL/batch: POST /batch: HTTP 400 (1 attempt); response: {\"status\": 400, \"request\": 2}"
	events 6 | sed '3,4d' | cmp - srv-a/out
	run "$EVPIPE" batch -n 2 --mkdir -t "$URL/batch" in
	assert_equal "$status" 2
}

@test "http: bash, zsh and fish complete the http:// and https:// schemes and the --http-* options" {
	local b=/usr/share/bash-completion/bash_completion
	command -v zsh >/dev/null || fail "zsh is not installed (make deps)"
	command -v fish >/dev/null || fail "fish is not installed (make deps)"
	[[ -r $b ]] || fail "bash-completion is not installed (make deps)"
	PATH=$(cd "$(dirname "$EVPIPE")" && pwd):$PATH
	[[ $(basename "$EVPIPE") == evpipe ]] || {
		mkdir -p bin
		ln -s "$EVPIPE" bin/evpipe
		PATH=$PWD/bin:$PATH
	}
	bc() {
		bash -c '
			source "$2" || exit 1
			source "$3/completions/evpipe.bash" || exit 1
			COMP_LINE=$1
			COMP_POINT=${#COMP_LINE}
			read -ra COMP_WORDS <<<"$COMP_LINE"
			[[ $COMP_LINE == *" " ]] && COMP_WORDS+=("")
			COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
			COMPREPLY=()
			_evpipe 2>/dev/null
			printf "%s\n" "${COMPREPLY[@]}"
		' bash "$1" "$b" "$REPO"
	}
	run -0 bc "evpipe -o ht"
	assert_line http://
	assert_line https://
	run -0 bc "evpipe --http-format "
	assert_line ndjson
	assert_line array
	run -0 bc "evpipe --http-p"
	assert_line --http-parallel
	run -0 env FPATH="$REPO/completions" zsh -f "$REPO/tests/helpers/zsh-complete.zsh" "evpipe tee --target ht"
	assert_line http://
	assert_line https://
	run -0 env FPATH="$REPO/completions" zsh -f "$REPO/tests/helpers/zsh-complete.zsh" "evpipe --http-header-file "
	assert_line '<files>'
	run -0 fish -c "source $REPO/completions/evpipe.fish; complete -C 'evpipe -o ht'"
	assert_line --partial http://
	assert_line --partial https://
	run -0 fish -c "source $REPO/completions/evpipe.fish; complete -C 'evpipe --http-g'"
	assert_line --partial --http-gzip
}
