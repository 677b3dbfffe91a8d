#!/usr/bin/env bats
# The network libraries are opened on first use (src/lib/lazylib.h,
# evpipe(1) FILES): a run that reads and writes files maps none of them;
# a kafka://, nats:// or http:// source or target maps its own library,
# once, before its options are checked; a library that cannot be loaded
# is an I/O error (status 3) naming it.  What the process mapped is the
# dynamic loader's own account of it (LD_DEBUG, to a file of its own so
# that evpipe's stderr stays as it is).
load test_helper

NET_LIBS=(librdkafka.so.1 libnats.so.3.4 libcurl.so.4 libmicrohttpd.so.12 libcrypto.so.3)

setup() {
	cd "$BATS_TEST_TMPDIR"
	printf '{"x":2}\n{"x":0}\n' >in
}

# traced ARGS...: run evpipe ARGS (stdin from in, stdout to out) under
# the loader's trace.  Sets status and stderr; $loaded lists the objects
# the process mapped (one file name a line), $trace is the whole trace.
traced() {
	rm -f ld.*
	status=0
	LD_DEBUG=libs,files LD_DEBUG_OUTPUT=$BATS_TEST_TMPDIR/ld "$EVPIPE" "$@" <in >out 2>err || status=$?
	stderr=$(<err)
	trace=$(cat ld.*)
	loaded=$(sed -n 's/.*file=\([^ ]*\) \[[0-9]*\]; *generating link map.*/\1/p' ld.* | sed 's|.*/||' | sort -u)
	# the trace is there: the libraries evpipe is linked with are in it
	[[ $loaded == *libjansson.so.4* ]] || fail "no loader trace: $trace"
}

# mapped LIB: the last traced run mapped LIB; not_mapped LIB...: none.
mapped() {
	grep -qx "$1" <<<"$loaded" || fail "$1 was not loaded; loaded: $(echo $loaded)"
}
not_mapped() {
	local lib
	for lib in "$@"; do
		! grep -qx "$lib" <<<"$loaded" || fail "$lib was loaded by: $(grep -F "$lib" <<<"$trace" | head -3)"
	done
}

@test "lazy libs: --version, filter, cat and validate map none of the network libraries" {
	traced --version
	assert_equal "$status" 0
	not_mapped "${NET_LIBS[@]}" libgnutls.so.30 libssl.so.3

	traced filter '.x > 1'
	assert_equal "$status" 0
	same out '{"x":2}\n'
	not_mapped "${NET_LIBS[@]}" libgnutls.so.30 libssl.so.3

	traced -o copy.ndjson cat
	assert_equal "$status" 0
	same copy.ndjson '{"x":2}\n{"x":0}\n'
	not_mapped "${NET_LIBS[@]}" libgnutls.so.30 libssl.so.3

	echo '{"properties": {"x": {"maximum": 1}}}' >schema.json
	traced validate -s schema.json --dlq dlq.ndjson
	assert_equal "$status" 1
	same out '{"x":0}\n'
	not_mapped "${NET_LIBS[@]}" libgnutls.so.30 libssl.so.3
}

@test "lazy libs: a kafka:// target loads librdkafka, then its unknown property fails before any event" {
	traced -o kafka://127.0.0.1:1/t --kafka-set no.such.property=1 cat
	assert_equal "$status" 2
	assert_equal "$stderr" 'evpipe: -o: --kafka-set: No such configuration property: "no.such.property"'
	[[ ! -s out ]] || fail "output: $(cat out)"
	mapped librdkafka.so.1
	not_mapped libnats.so.3.4 libcurl.so.4 libmicrohttpd.so.12
}

@test "lazy libs: an http:// target loads libcurl; nobody listening is an I/O error" {
	port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	traced --http-retries 0 -o "http://127.0.0.1:$port/x" cat
	assert_equal "$status" 3
	[[ $stderr == *"http://127.0.0.1:$port/x: POST /x: "*"(1 attempt)" ]] || fail "stderr: $stderr"
	mapped libcurl.so.4
	not_mapped librdkafka.so.1 libnats.so.3.4 libmicrohttpd.so.12
}

@test "lazy libs: kafka:// and nats:// sources and targets load their library before their options are checked" {
	traced -i 'kafka://127.0.0.1:1/t?group=g' --kafka-set no.such.property=1 cat
	assert_equal "$status" 2
	assert_equal "$stderr" 'evpipe: --kafka-set: No such configuration property: "no.such.property"'
	mapped librdkafka.so.1
	not_mapped libnats.so.3.4 libcurl.so.4 libmicrohttpd.so.12

	: >cert.pem
	traced -o nats://127.0.0.1:1/a.b --nats-tls-cert cert.pem cat
	assert_equal "$status" 2
	assert_equal "$stderr" 'evpipe: -o: --nats-tls-cert and --nats-tls-key go together'
	mapped libnats.so.3.4
	not_mapped librdkafka.so.1 libcurl.so.4 libmicrohttpd.so.12

	traced -i 'nats://127.0.0.1:1/S?consumer=c' --nats-tls-cert cert.pem cat
	assert_equal "$status" 2
	assert_equal "$stderr" 'evpipe: --nats-tls-cert and --nats-tls-key go together'
	mapped libnats.so.3.4
	not_mapped librdkafka.so.1 libcurl.so.4 libmicrohttpd.so.12
}

@test "lazy libs: an http:// source loads libmicrohttpd, and libcrypto only for a token or a signature" {
	traced -i https://127.0.0.1:0/ cat
	assert_equal "$status" 2
	assert_equal "$stderr" 'evpipe: -i https://127.0.0.1:0/: https needs --tls-cert and --tls-key'
	mapped libmicrohttpd.so.12
	not_mapped libcrypto.so.3 librdkafka.so.1 libnats.so.3.4 libcurl.so.4

	echo secret >token
	traced --http-token-file token -i https://127.0.0.1:0/ cat
	assert_equal "$status" 2
	mapped libmicrohttpd.so.12
	mapped libcrypto.so.3
}

@test "lazy libs: a second kafka:// target does not open librdkafka again" {
	: >in
	traced -o kafka://127.0.0.1:1/a tee -t kafka://127.0.0.1:1/b
	assert_equal "$status" 0
	# one dlopen() of it; a second would say direct_opencount=2
	run grep -c 'opening file=.*/librdkafka\.so\.1 .*direct_opencount' <<<"$trace"
	assert_output 1
	[[ $trace == *"librdkafka.so.1 [0]; direct_opencount=1"* ]] || fail "$(grep opencount <<<"$trace")"
}

@test "lazy libs: a library that cannot be loaded is an I/O error naming it and the reason" {
	mkdir libs
	# not a shared object at all
	echo 'not a shared object' >libs/librdkafka.so.1
	LD_LIBRARY_PATH=$PWD/libs run -3 "$EVPIPE" -o kafka://127.0.0.1:1/t cat in
	assert_output --regexp "^evpipe: -o: kafka://127\\.0\\.0\\.1:1/t: librdkafka\\.so\\.1 cannot be loaded: $PWD/libs/librdkafka\\.so\\.1: .+\$"
	LD_LIBRARY_PATH=$PWD/libs run -3 "$EVPIPE" tee -t kafka://127.0.0.1:1/t in
	assert_output --regexp "^evpipe: tee: kafka://127\\.0\\.0\\.1:1/t: librdkafka\\.so\\.1 cannot be loaded: "
	# a library without the functions evpipe calls
	cc -shared -fPIC -o libs/libnats.so.3.4 -x c /dev/null
	LD_LIBRARY_PATH=$PWD/libs run -3 "$EVPIPE" -i 'nats://127.0.0.1:1/S?consumer=c' cat
	assert_output --regexp "^evpipe: -i nats://127\\.0\\.0\\.1:1/S\\?consumer=c: libnats\\.so\\.3\\.4 cannot be loaded: $PWD/libs/libnats\\.so\\.3\\.4: undefined symbol: [A-Za-z_]+\$"
	cp libs/libnats.so.3.4 libs/libcurl.so.4
	LD_LIBRARY_PATH=$PWD/libs run -3 "$EVPIPE" --dlq http://127.0.0.1:1/dead cat in
	assert_output --regexp "^evpipe: --dlq: http://127\\.0\\.0\\.1:1/dead: libcurl\\.so\\.4 cannot be loaded: .*undefined symbol: curl_[a-z_]+\$"
	# the rest of evpipe does not need them
	LD_LIBRARY_PATH=$PWD/libs run -0 "$EVPIPE" filter '.x > 1' in
	assert_output '{"x":2}'
}
