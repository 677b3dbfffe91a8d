# http_target_helper.bash -- the HTTP servers of 85-http-target.bats and
# 86-http-target-options.bats: tests/helpers/http-sink.py on 127.0.0.1,
# scripted per test.  Loaded after test_helper and bg_helper.

SINKPY=$BATS_TEST_DIRNAME/helpers/http-sink.py

http_setup() {
	bg_setup
	# a proxy of the environment must not stand between us and the server
	unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
	export no_proxy=127.0.0.1 NO_PROXY=127.0.0.1
}

http_teardown() {
	local f
	bg_teardown
	for f in srv-*/pid; do
		[[ -e $f ]] && kill "$(<"$f")" 2>/dev/null
	done
	true
}

# serve NAME [ARGS...]: start http-sink.py with ARGS (--script ...) in
# srv-NAME/ (log, out); its base URL in $URL, its port in $PORT.
serve() {
	local d=srv-$1 i
	shift
	mkdir -p "$d"
	: >"$d/log"
	: >"$d/out"
	python3 "$SINKPY" --port-file "$d/port" --log "$d/log" --out "$d/out" "$@" 3>&- &
	echo $! >"$d/pid"
	for ((i = 0; i < 500; i++)); do
		[[ -s $d/port ]] && break
		sleep 0.02
	done
	[[ -s $d/port ]] || fail "http-sink.py did not start"
	PORT=$(<"$d/port")
	URL=http://127.0.0.1:$PORT
}

# answers NAME: the server's answers, in order, one a line.
answers() {
	jq -r '.answer' "srv-$1/log"
}

# events N [PAD]: N events {"i":1,...} one a line.
events() {
	awk -v n="$1" -v pad="${2:-0}" 'BEGIN { for (i = 1; i <= n; i++) { printf "{\"i\":%d,\"k\":\"k%d\"", i, i % 3; if (pad) printf ",\"pad\":\"%0" pad "d\"", i; print "}" } }'
}
