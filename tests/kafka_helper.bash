# kafka_helper.bash -- the librdkafka mock cluster for the kafka test
# files (tests/helpers/kafka-mock.c), started once per file on 127.0.0.1.

# kafka_mock_start TOPIC:PARTITIONS...: in setup_file; the bootstrap list
# ends up in $BATS_FILE_TMPDIR/boot.  The mock runs until its stdin
# closes: a fifo held open by a sleep, which kafka_mock_stop ends.
kafka_mock_start() {
	local helpers d=$BATS_FILE_TMPDIR i
	command -v kcat >/dev/null || {
		echo "kcat is not installed (make deps)" >&2
		return 1
	}
	helpers=$(dirname "$UNITDIR")
	[[ -x $helpers/kafka-mock ]] || {
		echo "$helpers/kafka-mock is not built (make all)" >&2
		return 1
	}
	mkfifo "$d/hold"
	sleep 900 >"$d/hold" 3>&- &
	echo $! >"$d/sleep.pid"
	"$helpers/kafka-mock" "$@" <"$d/hold" >"$d/boot" 2>"$d/mock.err" 3>&- &
	echo $! >"$d/mock.pid"
	for ((i = 0; i < 500; i++)); do
		[[ -s $d/boot ]] && break
		sleep 0.02
	done
	[[ -s $d/boot ]] || {
		echo "kafka-mock did not start: $(cat "$d/mock.err")" >&2
		return 1
	}
}

# kafka_mock_stop: in teardown_file (it runs when a test failed too).
kafka_mock_stop() {
	local f pid
	for f in mock sleep; do
		pid=$(cat "$BATS_FILE_TMPDIR/$f.pid" 2>/dev/null) || continue
		kill "$pid" 2>/dev/null || true
	done
}

# kafka_mock_ctl COMMAND: one command of the mock's control channel
# (down N, up N, leader TOPIC PARTITION N; see tests/helpers/kafka-mock.c),
# written to its stdin; returns once the mock acknowledged it on stderr,
# fails if the mock refused it or gave no answer within 10 s.
kafka_mock_ctl() {
	local d=$BATS_FILE_TMPDIR i
	local n
	n=$(grep -c '^kafka-mock: \(ok\|error\): ' "$d/mock.err" || true)
	echo "$*" >"$d/hold"
	for ((i = 0; i < 500; i++)); do
		if [[ $(grep -c '^kafka-mock: \(ok\|error\): ' "$d/mock.err" || true) -gt $n ]]; then
			tail -n 1 "$d/mock.err" | grep -q "^kafka-mock: ok: $*\$" && return 0
			echo "kafka-mock refused '$*': $(tail -n 1 "$d/mock.err")" >&2
			return 1
		fi
		sleep 0.02
	done
	echo "kafka-mock did not answer '$*'" >&2
	return 1
}

# consumer OUT URLQUERY [EVPIPE ARGS...]: start evpipe in the background
# consuming into OUT (stderr in OUT.err); its pid in PID.
consumer() {
	local out=$1 url=$2
	shift 2
	"$EVPIPE" -i "kafka://$BOOT/$url" --kafka-set session.timeout.ms=6000 \
		"$@" >"$out" 2>"$out.err" &
	PID=$!
}
