#!/usr/bin/env bats
# nats:// targets (evpipe-brokers(7)) against a real nats-server with
# JetStream on 127.0.0.1, a random port and its own store; the stream is
# read back by tests/helpers/nats-peer.c (libnats), the independent peer.
# A missing nats-server or helper fails the file.
load test_helper
load nats_helper

setup_file() {
	nats_require
	nats_server_start "$BATS_FILE_TMPDIR/ns"
}

teardown_file() {
	nats_nodes_stop
}

setup() {
	T=$BATS_TEST_TMPDIR
	NS=$(<"$BATS_FILE_TMPDIR/ns/url")
	nats_require
}

# stream NAME SUBJECT [MAX_MSG_SIZE]: a stream for this test.
stream() {
	"$PEER" "nats://$NS" stream "$@"
}

# dump NAME: SUBJECT TAB MSGID TAB DATA for each message, in order.
dump() {
	timeout 120 "$PEER" "nats://$NS" dump "$1"
}

@test "nats: 100000 events are stored exactly once, byte for byte" {
	stream RT 'rt.>'
	awk 'BEGIN { for (i = 1; i <= 100000; i++) printf "{\"id\":%d,\"k\":\"u%d\",\"pad\":\"%080d\"}\n", i, i % 7, i }' >"$T/in"
	run_to "$T/out" -o "nats://$NS/rt.{.k}" cat "$T/in"
	[[ $status -eq 0 ]] || fail "exit $status: $stderr"
	dump RT >"$T/got"
	[[ $(wc -l <"$T/got") -eq 100000 ]] || fail "$(wc -l <"$T/got") messages"
	cut -f3 "$T/got" | sort >"$T/data"
	sort "$T/in" | cmp - "$T/data"
	# the subject is rendered per event
	awk -F'\t' '{ split($3, a, "\"k\":\""); split(a[2], b, "\""); if ($1 != "rt." b[1]) { print; exit 1 } }' "$T/got"
}

@test "nats: the same events published twice are stored once (Nats-Msg-Id)" {
	stream DD 'dd.>'
	printf '{"id":"a1","n":1}\n{"id":"a2","n":2}\n{"id":"a3","n":3}\n' >"$T/in"
	run_to "$T/out" -o "nats://$NS/dd.x?msgid=order-{.id}" cat "$T/in"
	[[ $status -eq 0 ]] || fail "exit $status: $stderr"
	# a rerun with other bytes but the same ids: dropped by the server
	sed 's/"n":/"n":1/' "$T/in" >"$T/again"
	run_to "$T/out" -o "nats://$NS/dd.x?msgid=order-{.id}" cat "$T/again"
	[[ $status -eq 0 ]] || fail "exit $status: $stderr"
	dump DD >"$T/got"
	printf 'dd.x\torder-a1\t{"id":"a1","n":1}\ndd.x\torder-a2\t{"id":"a2","n":2}\ndd.x\torder-a3\t{"id":"a3","n":3}\n' | cmp - "$T/got"
	# by default the id is a hash of the bytes: the same run twice, once
	run_to "$T/out" -o "nats://$NS/dd.y" cat "$T/in"
	run_to "$T/out" -o "nats://$NS/dd.y" cat "$T/in"
	[[ $(dump DD | grep -c '^dd\.y') -eq 3 ]]
	[[ $(dump DD | grep '^dd\.y' | cut -f2 | sort -u | wc -l) -eq 3 ]]
}

@test "nats: hostile subject values are made safe or refused" {
	stream HS 'hs.>'
	printf '%s\n' '{"t":"a.b"}' '{"t":"*"}' '{"t":">"}' '{"t":"x y\tz"}' \
		'{"t":""}' '{"t":null}' '{"t":"ok"}' '{"t":"a\nb"}' '{"t":"é"}' >"$T/in"
	run_to "$T/out" --dlq "$T/dlq" -o "nats://$NS/hs.{.t}.end" cat "$T/in"
	[[ $status -eq 3 ]] || fail "exit $status: $stderr"
	dump HS | cut -f1 >"$T/got"
	printf 'hs.a_b.end\nhs._.end\nhs._.end\nhs.x_y_z.end\nhs.ok.end\nhs.a_b.end\nhs.é.end\n' | cmp - "$T/got"
	[[ $(wc -l <"$T/dlq") -eq 2 ]]
	jq -s -e '.[0].line == 5 and (.[0].reason | test("empty token"))' "$T/dlq"
	jq -s -e '.[1].line == 6 and .[1].event.t == null' "$T/dlq"
}

@test "nats: no stream for the subject, or too large: --dlq with the server's error" {
	stream SM 'sm.>' 1000
	{
		echo '{"id":1}'
		printf '{"id":2,"pad":"%02000d"}\n' 0
		echo '{"id":3}'
	} >"$T/in"
	run_to "$T/out" --dlq "$T/dlq" -o "nats://$NS/sm.x" cat "$T/in"
	[[ $status -eq 3 ]] || fail "exit $status: $stderr"
	jq -e '.line == 2 and (.reason | test("size|payload|large"; "i"))' "$T/dlq"
	dump SM | cut -f3 >"$T/got"
	printf '{"id":1}\n{"id":3}\n' | cmp - "$T/got"
	run_to "$T/out" --dlq "$T/dlq2" -o "nats://$NS/nostream.x" cat "$T/in"
	[[ $status -eq 3 ]] || fail "exit $status: $stderr"
	[[ $(wc -l <"$T/dlq2") -eq 3 ]]
	jq -s -e 'all(.reason | test("no stream"))' "$T/dlq2"
	[[ $stderr == *"in:1: nats://"*"no stream"* ]]
}

@test "nats: no server: exit 3 with a message" {
	echo '{"id":1}' >"$T/in"
	run_to "$T/out" -o "nats://127.0.0.1:1/x.y" cat "$T/in"
	[[ $status -eq 3 ]] || fail "exit $status, want 3: $stderr"
	[[ $stderr == *"nats://127.0.0.1:1/x.y: cannot connect"* ]] || fail "stderr: $stderr"
}

@test "nats: a token from --nats-token-file, never from the command line" {
	nats_server_start "$BATS_FILE_TMPDIR/ns-auth" --auth s3cret-token
	local url
	url=$(<"$BATS_FILE_TMPDIR/ns-auth/url")
	"$PEER" "nats://s3cret-token@$url" stream AU 'au.>'
	echo '{"id":1}' >"$T/in"
	run_to "$T/out" -o "nats://$url/au.x" cat "$T/in"
	[[ $status -eq 3 ]] || fail "no token: exit $status"
	[[ $stderr == *"nats://$url/au.x: cannot connect"*uthoriz* ]] || fail "stderr: $stderr"
	printf 's3cret-token\n' >"$T/token"
	run_to "$T/out" --nats-token-file "$T/token" -o "nats://$url/au.x" cat "$T/in"
	[[ $status -eq 0 ]] || fail "exit $status: $stderr"
	[[ $("$PEER" "nats://s3cret-token@$url" dump AU | cut -f3) == '{"id":1}' ]]
}

@test "nats: an NKey user from --nats-nkey (the seed in a file)" {
	command -v openssl >/dev/null || fail "openssl is not installed"
	# a fresh user NKey: the seed and, independently of evpipe, its
	# public key (ed25519 by openssl, the NKey encoding in python)
	python3 - "$T/seed" >"$T/pub" <<'PY'
import base64, os, subprocess, sys
def crc16(b):
    crc = 0
    for x in b:
        crc ^= x << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xffff
    return crc
def enc(b):
    c = crc16(b)
    return base64.b32encode(b + bytes([c & 0xff, c >> 8])).decode().rstrip("=")
seed = os.urandom(32)
S, U = 18 << 3, 20 << 3
der = bytes.fromhex("302e020100300506032b657004220420") + seed
pub = subprocess.run(["openssl", "pkey", "-inform", "DER", "-pubout", "-outform", "DER"],
                     input=der, capture_output=True, check=True).stdout[-32:]
open(sys.argv[1], "w").write(enc(bytes([S | (U >> 5), (U & 31) << 3]) + seed) + "\n")
print(enc(bytes([U]) + pub))
PY
	printf 'authorization { users = [ { user: peer, password: pw }, { nkey: "%s" } ] }\n' "$(<"$T/pub")" >"$T/conf"
	nats_server_start "$BATS_FILE_TMPDIR/ns-nkey" -c "$T/conf"
	local url
	url=$(<"$BATS_FILE_TMPDIR/ns-nkey/url")
	"$PEER" "nats://peer:pw@$url" stream NK 'nk.>'
	echo '{"id":1}' >"$T/in"
	run_to "$T/out" -o "nats://$url/nk.x" cat "$T/in"
	[[ $status -eq 3 ]] || fail "no key: exit $status"
	run_to "$T/out" --nats-nkey "$T/seed" -o "nats://$url/nk.x" cat "$T/in"
	[[ $status -eq 0 ]] || fail "exit $status: $stderr"
	[[ $("$PEER" "nats://peer:pw@$url" dump NK | cut -f3) == '{"id":1}' ]]
	echo SUNOTASEED >"$T/bad"
	run_to "$T/out" --nats-nkey "$T/bad" -o "nats://$url/nk.x" cat "$T/in"
	[[ $status -eq 2 ]] && [[ $stderr == *"--nats-nkey"*"no user NKey seed"* ]]
}

@test "nats: bad URLs and credential options are usage errors" {
	echo '{"id":1}' >"$T/in"
	local spec
	for spec in 'nats://' 'nats://h:1' 'nats://h:1/' 'nats://h/x' \
		'nats://h:1/a..b' 'nats://h:1/.a' 'nats://h:1/a.' 'nats://h:1/a.*' \
		'nats://h:1/a.>' 'nats://h:1/a b' 'nats://h:1/a.{.x' \
		'nats://h:1/a?msgid=' 'nats://h:1/a?key={.x}' 'nats://h:1/a.{.x +}'; do
		run_to "$T/out" -o "$spec" cat "$T/in"
		[[ $status -eq 2 ]] || fail "$spec: exit $status, want 2 ($stderr)"
		[[ $stderr == *"nats://"* ]] || fail "$spec: $stderr"
	done
	run_to "$T/out" --nats-token-file "$T/none" -o "nats://$NS/x" cat "$T/in"
	[[ $status -eq 2 ]] && [[ $stderr == *"--nats-token-file"*none* ]]
	run_to "$T/out" --nats-tls-cert "$T/in" -o "nats://$NS/x" cat "$T/in"
	[[ $status -eq 2 ]] && [[ $stderr == *"--nats-tls-key"* ]]
}

@test "nats: completion knows nats:// and the --nats options" {
	run "$EVPIPE" __complete targets
	assert_line 'nats://'
	assert_line 'nats+tls://'
	run "$EVPIPE" __complete global
	local o
	for o in creds nkey token-file tls-ca tls-cert tls-key; do
		assert_line "--nats-$o"
	done
}
