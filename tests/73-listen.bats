#!/usr/bin/env bats
# Listeners (-i): tcp, unix and udp; many concurrent clients framed
# independently; per-client limits (--max-line), --max-clients; source
# names in messages and dead letters; bad targets.  Servers listen on
# 127.0.0.1 (port 0: the system picks one) or in $BATS_TEST_TMPDIR, and
# every wait is bounded.  Clients are in tests/helpers/listen-clients.py.

load test_helper
load bg_helper

CLIENTS=$BATS_TEST_DIRNAME/helpers/listen-clients.py

setup() {
	bg_setup
}

teardown() {
	bg_teardown
}

# serve ARGS...: start evpipe ARGS in the background (bg_helper.bash).
serve() {
	bg_start "$@"
}

# url SCHEME: the address evpipe said it listens on (waits for it).
url() {
	local i
	for ((i = 0; i < 400; i++)); do
		if grep -q "^evpipe: listening on $1://" err 2>/dev/null; then
			grep -o "$1://[^ ]*" err | head -1
			return 0
		fi
		sleep 0.05
	done
	fail "evpipe did not say where it listens: $(cat err)"
}

@test "50 concurrent tcp clients sending 10,000 events each: all arrive, intact, in each client's order" {
	serve -i tcp://:0 cat
	local u
	u=$(url tcp)
	timeout 120 python3 "$CLIENTS" load "$u" 50 10000 || fail "clients failed"
	wait_lines out 500000 60
	stop
	assert_equal "$status" 143
	run python3 "$CLIENTS" check out 50 10000
	assert_success
	assert_output "ok 500000"
	same err "evpipe: listening on $u\n"
}

@test "tcp://:PORT listens on the loopback address only" {
	serve -i tcp://:0 cat
	run url tcp
	assert_output --regexp '^tcp://127\.0\.0\.1:[0-9]+$'
	stop
}

@test "unix socket clients; the socket file is removed at exit" {
	serve -i "unix:$PWD/s.sock" cat
	wait_file s.sock
	timeout 60 python3 "$CLIENTS" load "unix:$PWD/s.sock" 10 2000 || fail "clients failed"
	wait_lines out 20000
	stop
	run python3 "$CLIENTS" check out 10 2000
	assert_output "ok 20000"
	[[ ! -e s.sock ]] || fail "socket file left behind"
}

@test "a unix socket file left behind is replaced; one in use is an error (exit 3)" {
	python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$PWD/s.sock"
	[[ -S s.sock ]] || fail "no stale socket"
	serve -i "unix:$PWD/s.sock" cat
	echo '{"a":1}' >in.ndjson
	local i
	for ((i = 0; i < 400; i++)); do
		python3 "$CLIENTS" send "unix:$PWD/s.sock" <in.ndjson 2>/dev/null && break
		sleep 0.05
	done
	wait_lines out 1
	run "$EVPIPE" -i "unix:$PWD/s.sock" cat
	assert_equal "$status" 3
	assert_output "evpipe: cannot listen on unix:$PWD/s.sock: Address already in use"
	stop
	same out '{"a":1}\n'
}

@test "udp: a datagram holds one or more lines; its end ends the last one; sources name the peer" {
	serve -i udp://:0 --dlq dlq.ndjson cat
	local u
	u=$(url udp)
	python3 "$CLIENTS" send "$u" '{"d":1}\n{"d":2}' '{"d":3}\n' 'oops'
	wait_lines out 3
	wait_lines dlq.ndjson 1
	stop
	same out '{"d":1}\n{"d":2}\n{"d":3}\n'
	run cat dlq.ndjson
	assert_output --regexp '^\{"stage":"input","reason":"invalid JSON: unexpected '"'o'"' at column 1","source":"udp://127\.0\.0\.1:[0-9]+","line":4,"event":"oops"\}$'
}

@test "the source of a tcp event is tcp://PEER:PORT, with line numbers per client" {
	serve -i tcp://:0 --dlq dlq.ndjson cat
	local u
	u=$(url tcp)
	printf '{"a":1}\nbad\n' | python3 "$CLIENTS" send "$u"
	printf 'worse\n' | python3 "$CLIENTS" send "$u"
	wait_lines dlq.ndjson 2
	stop
	run cat dlq.ndjson
	assert_line --index 0 --regexp '^\{"stage":"input","reason":"invalid JSON: unexpected '"'b'"' at column 1","source":"tcp://127\.0\.0\.1:[0-9]+","line":2,"event":"bad"\}$'
	assert_line --index 1 --regexp '"source":"tcp://127\.0\.0\.1:[0-9]+","line":1,"event":"worse"'
	run cat err
	assert_line --regexp '^evpipe: input: tcp://127\.0\.0\.1:[0-9]+:2: invalid JSON: unexpected '"'b'"' at column 1$'
}

@test "a client's over-long line is rejected; the client and the others go on" {
	serve -i tcp://:0 --max-line 100 --dlq dlq.ndjson cat
	local u
	u=$(url tcp)
	python3 - "$u" <<-'PY' || fail "client failed"
		import socket, sys, time
		host, port = sys.argv[1][6:].rsplit(":", 1)
		a = socket.create_connection((host, int(port)))
		b = socket.create_connection((host, int(port)))
		a.sendall(b'{"a":')           # a partial line from a...
		b.sendall(b'"' + b"x" * 5000)  # ...while b floods one line
		time.sleep(0.2)
		b.sendall(b'"\n{"b":2}\n')
		a.sendall(b'1}\n')
		b.close(); a.close()
	PY
	wait_lines out 2
	wait_lines dlq.ndjson 1
	stop
	run sort out
	assert_output $'{"a":1}\n{"b":2}'
	run cat dlq.ndjson
	assert_output --regexp '"reason":"line longer than 100 bytes \(--max-line\)","source":"tcp://127\.0\.0\.1:[0-9]+","line":1,"event":"\\"x{99}","truncated":true\}$'
}

@test "--max-clients: a connection beyond the limit is closed at once, with a warning" {
	serve -i tcp://:0 --max-clients 2 cat
	local u
	u=$(url tcp)
	python3 - "$u" "$CLIENTS" <<-'PY' || fail "clients failed"
		import socket, subprocess, sys
		host, port = sys.argv[1][6:].rsplit(":", 1)
		a = socket.create_connection((host, int(port)))
		b = socket.create_connection((host, int(port)))
		a.sendall(b'{"a":1}\n'); b.sendall(b'{"b":1}\n')
		third = subprocess.run([sys.executable, sys.argv[2], "hold", sys.argv[1]],
				       capture_output=True, text=True).stdout.strip()
		assert third == "closed", third
		a.close()
		import time; time.sleep(0.3)
		fourth = socket.create_connection((host, int(port)))
		fourth.sendall(b'{"d":1}\n'); fourth.close(); b.close()
	PY
	wait_lines out 3
	stop
	run sort out
	assert_output $'{"a":1}\n{"b":1}\n{"d":1}'
	run cat err
	assert_line --regexp "^evpipe: $u: 1 connection\(s\) refused: already 2 clients \(--max-clients\)$"
}

@test "--client-buffers: past it the client with the longest unfinished line is closed; the others go on" {
	serve -i tcp://:0 --max-line 16M --client-buffers 2M cat
	local u
	u=$(url tcp)
	python3 - "$u" <<-'PY' || fail "client failed"
		import socket, sys, time
		host, port = sys.argv[1][6:].rsplit(":", 1)
		small = socket.create_connection((host, int(port)))
		small.sendall(b'{"small":')     # an unfinished line that fits
		big = socket.create_connection((host, int(port)))
		closed = False
		try:                             # 8 MB with no newline
		    for i in range(80):
		        big.sendall(b'"' + b"x" * 99999)
		        time.sleep(0.005)
		    big.settimeout(20)
		    closed = big.recv(1) == b""
		except OSError:
		    closed = True
		assert closed, "the big client was not closed"
		small.sendall(b'1}\n{"small":2}\n')
		later = socket.create_connection((host, int(port)))
		later.sendall(b'{"later":1}\n')
		later.close(); small.close()
	PY
	wait_lines out 3
	stop
	run sort out
	assert_output $'{"later":1}\n{"small":1}\n{"small":2}'
	run cat err
	assert_line --regexp "^evpipe: tcp://127\.0\.0\.1:[0-9]+: closed: the clients' buffers are over --client-buffers \(2097152 bytes\); its unfinished line \([0-9]+ bytes\) is dropped$"
	run -2 --separate-stderr "$EVPIPE" -i tcp://:0 --client-buffers 0 cat
	assert_equal "$stderr" "evpipe: --client-buffers must be at least 1"
}

@test "listeners with files: both are read; stdin is not read unless named" {
	echo '{"f":1}' >in.ndjson
	serve -i tcp://:0 cat in.ndjson </dev/zero
	local u
	u=$(url tcp)
	echo '{"t":1}' | python3 "$CLIENTS" send "$u"
	wait_lines out 2
	stop
	run sort out
	assert_output $'{"f":1}\n{"t":1}'
}

@test "several listeners at once" {
	serve -i tcp://:0 -i udp://:0 -i "unix:$PWD/s.sock" cat
	local t u
	t=$(url tcp)
	u=$(url udp)
	wait_file s.sock
	echo '{"k":"tcp"}' | python3 "$CLIENTS" send "$t"
	echo '{"k":"unix"}' | python3 "$CLIENTS" send "unix:$PWD/s.sock"
	python3 "$CLIENTS" send "$u" '{"k":"udp"}'
	wait_lines out 3
	stop
	run sort out
	assert_output $'{"k":"tcp"}\n{"k":"udp"}\n{"k":"unix"}'
}

@test "SIGTERM: a client's unfinished line is reported, not silently dropped" {
	serve -i tcp://:0 cat
	local u
	u=$(url tcp)
	python3 - "$u" <<-'PY' &
		import socket, sys, time
		host, port = sys.argv[1][6:].rsplit(":", 1)
		a = socket.create_connection((host, int(port)))
		a.sendall(b'{"a":1}\n{"a":')
		time.sleep(5)
	PY
	local client=$!
	wait_lines out 1
	stop
	kill "$client" 2>/dev/null || true
	same out '{"a":1}\n'
	run cat err
	assert_line --regexp '^evpipe: tcp://127\.0\.0\.1:[0-9]+: unfinished line \(5 bytes\) dropped at exit$'
}

@test "bad listener targets are usage errors before any I/O" {
	local t
	for t in tcp://:99999 ftp://x tcp://nohostport unix: udp://:-1 'tcp://[::1:80'; do
		run "$EVPIPE" -i "$t" -o made.ndjson cat
		assert_equal "$status" 2
		assert_output --partial "evpipe: -i $t:"
		[[ ! -e made.ndjson ]] || fail "output opened for $t"
	done
	run "$EVPIPE" --max-clients 0 -i tcp://:0 cat
	assert_equal "$status" 2
	assert_output "evpipe: --max-clients must be at least 1"
}

@test "a port in use is an I/O error (exit 3)" {
	serve -i tcp://:0 cat
	local u
	u=$(url tcp)
	run "$EVPIPE" -i "$u" cat
	assert_equal "$status" 3
	assert_output "evpipe: cannot listen on $u: Address already in use"
	stop
}

@test "out of file descriptors: connections wait in the backlog and are served later" {
	(
		ulimit -n 24
		exec "$EVPIPE" -i tcp://:0 --max-clients 1000 cat >>out 2>>err
	) &
	pid=$!
	local u
	u=$(url tcp)
	python3 - "$u" <<-'PY' || fail "clients failed"
		import socket, sys
		host, port = sys.argv[1][6:].rsplit(":", 1)
		conns = [socket.create_connection((host, int(port))) for _ in range(40)]
		for i, c in enumerate(conns):
		    c.sendall(b'{"c":%d}\n' % i)
		for c in conns:
		    c.close()
	PY
	wait_lines out 40
	stop
	assert_equal "$(sort -u out | wc -l)" 40
	run cat err
	assert_line --regexp "^evpipe: $u: accept: Too many open files$"
	# Rate-limited (once a second), not once per spin of the loop.
	(($(grep -c 'accept:' err) <= 10)) || fail "$(grep -c 'accept:' err) warnings"
}

@test "tcp --from logfmt: each line of a client is an event" {
	serve -i tcp://:0 --from logfmt cat
	local u
	u=$(url tcp)
	printf 'level=info msg="a b"\nlevel=warn n=2\n' | python3 "$CLIENTS" send "$u"
	wait_lines out 2
	stop
	same out '{"level":"info","msg":"a b"}\n{"level":"warn","n":"2"}\n'
}

@test "tcp --from json-seq: records framed per client, multi-line ones too" {
	serve -i tcp://:0 --from json-seq cat
	local u
	u=$(url tcp)
	printf '\x1e{"a":1}\n\x1e{"a":\n 2}\n' | python3 "$CLIENTS" send "$u"
	printf '\x1e{"b":1}\n' | python3 "$CLIENTS" send "$u"
	wait_lines out 3
	stop
	run sort out
	assert_output "$(printf '{"a":1}\n{"a":2}\n{"b":1}')"
}

@test "tcp --from json-seq: a whole record is handed out when the client pauses, not at the next RS" {
	serve -i tcp://:0 --from json-seq cat
	local u
	u=$(url tcp)
	python3 - "${u#tcp://}" <<'PY' &
import socket, sys, time
host, port = sys.argv[1].rsplit(":", 1)
s = socket.create_connection((host, int(port)))
s.sendall(b'\x1e{"a":\n')
time.sleep(0.3)
s.sendall(b' [1, "]"]}\n')
time.sleep(5)
s.close()
PY
	local client=$!
	wait_lines out 1 3
	stop
	kill "$client" 2>/dev/null || true
	same out '{"a":[1,"]"]}\n'
}

@test "tcp --from csv: clients at once, each with its own header and partial rows" {
	serve -i tcp://:0 --from csv --dlq dlq.ndjson cat
	local u
	u=$(url tcp)
	python3 - "${u#tcp://}" <<'PY' || fail "the clients failed"
import socket, sys, time
host, port = sys.argv[1].rsplit(":", 1)
a = socket.create_connection((host, int(port)))
b = socket.create_connection((host, int(port)))
for s, d in ((a, b"x,y\n1,"), (b, b"name,age\n\"bo"), (a, b"2\n3,4\n"),
             (b, b"b\",3\nann,4"), (a, b"5,6\n")):
    s.sendall(d)
    time.sleep(0.1)
a.close()
b.close()
PY
	wait_lines out 5
	stop
	run grep -c '"x"' out
	assert_output 3
	run grep -v '"x"' out
	assert_output "$(printf '{"name":"bob","age":"3"}\n{"name":"ann","age":"4"}')"
	[[ ! -s dlq.ndjson ]] || fail "rejects: $(cat dlq.ndjson)"
}

@test "udp with a format that keeps state across records is a usage error" {
	local f
	for f in csv tsv json json-seq; do
		run "$EVPIPE" --from "$f" -i udp://:0 -o made.ndjson cat
		assert_equal "$status" 2
		assert_output "evpipe: -i udp://:0: --from $f cannot be read from udp (datagrams of every peer share one reader); use ndjson or logfmt"
		[[ ! -e made.ndjson ]] || fail "output opened for $f"
	done
	serve -i udp://:0 --from logfmt cat
	local u
	u=$(url udp)
	python3 "$CLIENTS" send "$u" 'a=1\nb=2'
	wait_lines out 2
	stop
	same out '{"a":"1"}\n{"b":"2"}\n'
}

@test "input_filename is the client: tcp://PEER:PORT, unix:PATH, udp://PEER:PORT" {
	serve -i tcp://:0 -i "unix:$BATS_TEST_TMPDIR/s.sock" -i udp://:0 \
		map '{f: input_filename}'
	local t u
	t=$(url tcp)
	u=$(url udp)
	wait_file s.sock
	printf '{}\n' | python3 "$CLIENTS" send "$t"
	printf '{}\n' | python3 "$CLIENTS" send "unix:$BATS_TEST_TMPDIR/s.sock"
	python3 "$CLIENTS" send "$u" '{}'
	wait_lines out 3
	stop
	run sort out
	assert_line --index 0 --regexp '^\{"f":"tcp://127\.0\.0\.1:[0-9]+"\}$'
	assert_line --index 1 --regexp '^\{"f":"udp://127\.0\.0\.1:[0-9]+"\}$'
	assert_line --index 2 "{\"f\":\"unix:$BATS_TEST_TMPDIR/s.sock\"}"
	# The peer's port, not the listener's.
	refute_line "{\"f\":\"$t\"}"
}

@test "a unix listener's socket is created 0600 whatever the umask; --socket-mode sets another" {
	(umask 000 && exec "$EVPIPE" -i "unix:$PWD/a.sock" cat >>out 2>>err) &
	pid=$!
	wait_file a.sock
	run stat -c %a a.sock
	stop
	assert_output 600
	(umask 000 && exec "$EVPIPE" --socket-mode 0660 -i "unix:$PWD/b.sock" cat >>out 2>>err) &
	pid=$!
	wait_file b.sock
	run stat -c %a b.sock
	stop
	assert_output 660
	# The umask still takes bits away from what is not asked for.
	(umask 077 && exec "$EVPIPE" --socket-mode 640 -i "unix:$PWD/c.sock" cat >>out 2>>err) &
	pid=$!
	wait_file c.sock
	run stat -c %a c.sock
	stop
	assert_output 640
}

@test "--socket-mode takes an octal mode up to 0777; anything else is a usage error" {
	local m
	for m in 0800 1777 rw '' 12345 -1; do
		run "$EVPIPE" --socket-mode "$m" -i "unix:$PWD/s.sock" cat </dev/null
		assert_equal "$status" 2
		assert_output "evpipe: --socket-mode '$m': expected an octal mode from 0 to 0777 (e.g. 0660)"
		[[ ! -e s.sock ]] || fail "socket made for $m"
	done
}

@test "--max-clients: every refused connection is counted, in the warnings by the exit and in stats" {
	serve -i tcp://:0 --max-clients 10 stats
	local u
	u=$(url tcp)
	# 300 clients connect and stay; the server closes all but 10.
	timeout 60 python3 - "$u" <<-'PY' || fail "clients failed"
		import select, socket, sys, time
		host, port = sys.argv[1][6:].rsplit(":", 1)
		socks = [socket.create_connection((host, int(port))) for _ in range(300)]
		open_ = set(socks)
		end = time.monotonic() + 30
		while len(open_) > 10 and time.monotonic() < end:
		    r, _, _ = select.select(list(open_), [], [], 0.5)
		    for s in r:
		        try:
		            data = s.recv(1)
		        except ConnectionResetError:
		            data = b""
		        assert data == b"", data
		        open_.discard(s)
		assert len(open_) == 10, "%d still open" % len(open_)
	PY
	stop
	local sum
	sum=$(sed -n 's/^evpipe: .*: \([0-9]*\) connection(s) refused: already 10 clients (--max-clients)$/\1/p' err |
		awk '{ s += $1 } END { print s + 0 }')
	assert_equal "$sum" 290
	run jq -c '.refused_connections' out
	assert_output 290
}

@test "300 tcp clients into a template target: every event once, in its client's file (source names are released)" {
	# Each client is a source with a name of its own; the target keeps
	# the names of events still waiting in its buffers only, so it does
	# not grow with every client of a long run.
	mkdir outs
	serve -i tcp://:0 -o 'outs/{.c % 7}.ndjson' cat
	local u
	u=$(url tcp)
	timeout 120 python3 "$CLIENTS" load "$u" 300 200 || fail "clients failed"
	local i n=0
	for ((i = 0; i < 600; i++)); do
		n=$(cat outs/*.ndjson 2>/dev/null | wc -l)
		((n >= 60000)) && break
		sleep 0.1
	done
	stop
	assert_equal "$status" 143
	cat outs/*.ndjson >out.all
	run python3 "$CLIENTS" check out.all 300 200
	assert_success
	assert_output "ok 60000"
	run jq -rs 'map(.c % 7) | unique | length' outs/3.ndjson
	assert_output 1
}
