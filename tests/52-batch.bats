#!/usr/bin/env bats
# batch: count, size, age and key; JSON arrays, a command per batch (with
# retries, --parallel, --timeout, the dead-letter target) and a file per
# batch.  Time is driven by the test through a FIFO: every wait is bounded
# with timeout(1), and no test sleeps to let something happen.
load test_helper

setup() {
	T=$BATS_TEST_TMPDIR
	seq 1 7 | sed 's/.*/{"i":&}/' >"$T/seven"
}

# events N FILE: N events {"i":1}... into FILE.
events() {
	seq 1 "$1" | sed 's/.*/{"i":&}/' >"$2"
}

@test "-n N: arrays of N events, the rest at the end of input" {
	run_to "$T/out" batch -n 3 "$T/seven"
	[[ $status -eq 0 ]]
	same "$T/out" '[{"i":1},{"i":2},{"i":3}]\n[{"i":4},{"i":5},{"i":6}]\n[{"i":7}]\n'
}

@test "default -n is 100; bytes pass through unchanged" {
	events 250 "$T/in"
	printf '{ "sp" : [1, 2.50] }\n' >>"$T/in"
	run_to "$T/out" batch "$T/in"
	[[ $status -eq 0 ]]
	[[ $(wc -l <"$T/out") -eq 3 ]]
	run jq -c 'length' "$T/out"
	assert_output $'100\n100\n51'
	[[ $(tail -n 1 "$T/out") == *',{ "sp" : [1, 2.50] }]' ]]
}

@test "golden: -k keeps a batch per key, closed in the order they fill" {
	golden batch keyed batch -n 2 -k .user
}

@test "-k: a key that cannot be computed is a reject, the rest go on" {
	printf '{"u":"a"}\n{"u":[1]}\n{"u":"a"}\n' >"$T/in"
	run_to "$T/out" batch -k '.u | ascii_downcase' "$T/in"
	[[ $status -eq 1 ]]
	same "$T/out" '[{"u":"a"},{"u":"a"}]\n'
	assert_equal "$stderr" "evpipe: batch: $T/in:2: explode input must be a string"
}

@test "--bytes: a batch never grows past SIZE; a larger event is a batch alone" {
	# each event is 8 bytes (+1 newline): two fit in 20, three do not
	printf '{"i":11}\n{"i":12}\n{"i":13}\n{"big":"0123456789012345678901234567890"}\n{"i":14}\n' >"$T/in"
	run_to "$T/out" batch --bytes 20 "$T/in"
	[[ $status -eq 0 ]]
	same "$T/out" '[{"i":11},{"i":12}]\n[{"i":13}]\n[{"big":"0123456789012345678901234567890"}]\n[{"i":14}]\n'
	# exactly full closes at once
	run_to "$T/out" batch --bytes 18 "$T/in"
	same "$T/out" '[{"i":11},{"i":12}]\n[{"i":13}]\n[{"big":"0123456789012345678901234567890"}]\n[{"i":14}]\n'
	run_to "$T/out" batch --bytes 1k -n 2 "$T/in"
	same "$T/out" '[{"i":11},{"i":12}]\n[{"i":13},{"big":"0123456789012345678901234567890"}]\n[{"i":14}]\n'
}

@test "-k with --max-keys: a new key beyond the bound closes the oldest batch" {
	printf '{"k":1}\n{"k":2}\n{"k":3}\n{"k":2}\n{"k":1}\n' >"$T/in"
	run_to "$T/out" batch -k .k --max-keys 2 "$T/in"
	[[ $status -eq 0 ]]
	same "$T/out" '[{"k":1}]\n[{"k":2},{"k":2}]\n[{"k":3}]\n[{"k":1}]\n'
}

# start_fifo ARGS...: run evpipe ARGS with stdin from a FIFO held open on
# fd 7, stdout to $T/out; the pid in $pid.
start_fifo() {
	mkfifo "$T/fifo"
	"$EVPIPE" "$@" <"$T/fifo" >"$T/out" 2>"$T/err" &
	pid=$!
	exec 7>"$T/fifo"
}

# wait_lines FILE N: wait (at most 10 s) until FILE has N lines.
wait_lines() {
	timeout 10 sh -c 'while [ "$(cat "$1" 2>/dev/null | wc -l)" -lt "$2" ]; do sleep 0.02; done' _ "$1" "$2" ||
		fail "$1 did not reach $2 lines: $(cat "$1" 2>/dev/null)"
}

@test "--interval: a partial batch is flushed while the input is idle" {
	start_fifo batch -n 100 --interval 50ms
	printf '{"i":1}\n{"i":2}\n' >&7
	# the input stays open: only the interval can close this batch
	wait_lines "$T/out" 1
	same "$T/out" '[{"i":1},{"i":2}]\n'
	printf '{"i":3}\n' >&7
	wait_lines "$T/out" 2
	exec 7>&-
	timeout 10 tail --pid="$pid" -f /dev/null
	wait "$pid"
	same "$T/out" '[{"i":1},{"i":2}]\n[{"i":3}]\n'
}

@test "--interval is measured from a batch's first event, per key" {
	start_fifo batch -k .k --interval 100ms
	printf '{"k":"a","n":1}\n' >&7
	wait_lines "$T/out" 1
	# one write: evpipe reads these three together
	printf '{"k":"b","n":2}\n{"k":"a","n":3}\n{"k":"b","n":4}\n' >&7
	wait_lines "$T/out" 3
	exec 7>&-
	wait "$pid"
	# nothing was left for the end of input: the interval closed them all
	run jq -c 'map(.n)' "$T/out"
	assert_output $'[1]\n[2,4]\n[3]'
}

@test "SIGTERM: open batches are flushed before exit 143" {
	# tee writes its copy out when the input goes idle: then the
	# events have been read
	start_fifo tee --target "$T/seen" then batch -n 100 -k .i
	printf '{"i":1}\n{"i":2}\n{"i":1}\n' >&7
	wait_lines "$T/seen" 3
	kill -TERM "$pid"
	rc=0
	timeout 10 tail --pid="$pid" -f /dev/null
	wait "$pid" || rc=$?
	exec 7>&-
	[[ $rc -eq 143 ]]
	same "$T/out" '[{"i":1},{"i":1}]\n[{"i":2}]\n'
}

@test "batch then another stage; batch after a change serializes the new value" {
	run_to "$T/out" map '{j: .i}' then batch -n 4 then map 'length' "$T/seven"
	[[ $status -eq 0 ]]
	same "$T/out" '4\n3\n'
	run_to "$T/out" map '{j: .i}' then batch -n 4 then head -n 1 "$T/seven"
	same "$T/out" '[{"j":1},{"j":2},{"j":3},{"j":4}]\n'
}

@test "--exec: one command per batch, the batch as NDJSON on stdin, facts in the environment" {
	printf '{"u":"a b","i":1}\n{"u":7,"i":2}\n{"u":"a b","i":3}\n' >"$T/in"
	cat >"$T/cmd" <<-'EOF'
		{
			env | grep '^EVPIPE_BATCH_' | sort
			cat
			echo --
		} >>"$OUT"
	EOF
	OUT=$T/log run_to "$T/out" batch -n 2 -k .u --exec ". '$T/cmd'" "$T/in"
	[[ $status -eq 0 ]]
	same "$T/out" ''
	same "$T/log" "EVPIPE_BATCH_ATTEMPT=1
EVPIPE_BATCH_BYTES=36
EVPIPE_BATCH_COUNT=2
EVPIPE_BATCH_KEY=a b
EVPIPE_BATCH_KEY_JSON=\"a b\"
EVPIPE_BATCH_LINE=1
EVPIPE_BATCH_REASON=count
EVPIPE_BATCH_SEQ=1
EVPIPE_BATCH_SOURCE=$T/in
{\"u\":\"a b\",\"i\":1}
{\"u\":\"a b\",\"i\":3}
--
EVPIPE_BATCH_ATTEMPT=1
EVPIPE_BATCH_BYTES=14
EVPIPE_BATCH_COUNT=1
EVPIPE_BATCH_KEY=7
EVPIPE_BATCH_KEY_JSON=7
EVPIPE_BATCH_LINE=2
EVPIPE_BATCH_REASON=end
EVPIPE_BATCH_SEQ=2
EVPIPE_BATCH_SOURCE=$T/in
{\"u\":7,\"i\":2}
--
"
}

@test "--exec: EVPIPE_BATCH_* from the caller's environment never leak in" {
	EVPIPE_BATCH_KEY=stale run_to "$T/out" batch -n 7 --exec 'echo "[${EVPIPE_BATCH_KEY-unset}]"; cat >/dev/null' "$T/seven"
	[[ $status -eq 0 ]]
	same "$T/out" '[unset]\n'
}

@test "--exec: a command that fails twice then succeeds is retried with backoff" {
	cat >"$T/flaky" <<-'EOF'
		n=$(cat "$STATE" 2>/dev/null || echo 0)
		echo $((n + 1)) >"$STATE"
		echo "attempt $EVPIPE_BATCH_ATTEMPT of batch $EVPIPE_BATCH_SEQ" >>"$LOG"
		[ "$n" -ge 2 ] || exit 5
		cat >>"$GOT"
	EOF
	STATE=$T/state LOG=$T/log GOT=$T/got run_to "$T/out" \
		batch -n 7 --backoff 1ms --exec ". '$T/flaky'" "$T/seven"
	[[ $status -eq 0 ]]
	cmp "$T/seven" "$T/got"
	same "$T/log" 'attempt 1 of batch 1\nattempt 2 of batch 1\nattempt 3 of batch 1\n'
	assert_equal "$stderr" "evpipe: batch: batch 1: command exited with status 5 (attempt 1 of 4); retrying in 1 ms
evpipe: batch: batch 1: command exited with status 5 (attempt 2 of 4); retrying in 2 ms"
}

@test "--exec: a batch that always fails goes to --dlq, every event with the reason" {
	run_to "$T/out" --dlq "$T/dlq" batch -n 4 --retries 2 --backoff 1ms \
		--exec 'cat >/dev/null; exit 3' "$T/seven"
	[[ $status -eq 1 ]]
	[[ $(wc -l <"$T/dlq") -eq 7 ]]
	run jq -c '[.stage, .reason, .line, .batch, .event]' "$T/dlq"
	assert_line --index 0 '["batch","batch 1: command exited with status 3 (3 attempts)",1,{"seq":1,"count":4,"attempts":3,"exit_status":3},{"i":1}]'
	assert_line --index 6 '["batch","batch 2: command exited with status 3 (3 attempts)",7,{"seq":2,"count":3,"attempts":3,"exit_status":3},{"i":7}]'
	[[ $(grep -c 'retrying in' <<<"$stderr") -eq 4 ]]
	[[ $stderr == *"evpipe: batch: $T/seven:7: batch 2: command exited with status 3 (3 attempts)"* ]]
}

@test "--exec: events of a failed batch keep their own source names" {
	events 2 "$T/a"
	events 2 "$T/b"
	run_to "$T/out" --dlq "$T/dlq" batch -n 3 --retries 0 --exec 'kill -9 $$' "$T/a" "$T/b"
	[[ $status -eq 1 ]]
	run jq -c '[.source == $a, .source == $b, .line, .batch.signal, .reason]' --arg a "$T/a" --arg b "$T/b" "$T/dlq"
	assert_output '[true,false,1,9,"batch 1: command was killed by signal 9 (1 attempt)"]
[true,false,2,9,"batch 1: command was killed by signal 9 (1 attempt)"]
[false,true,1,9,"batch 1: command was killed by signal 9 (1 attempt)"]
[false,true,2,9,"batch 2: command was killed by signal 9 (1 attempt)"]'
}

@test "--exec with --on-error stop: reading stops, the batch read is still dead-lettered" {
	events 10 "$T/in"
	run_to "$T/out" --on-error stop --dlq "$T/dlq" batch -n 2 --retries 0 --exec 'exit 1' "$T/in"
	[[ $status -eq 1 ]]
	# the first batch failed: its two events and whatever was open
	(($(wc -l <"$T/dlq") >= 2 && $(wc -l <"$T/dlq") < 10))
}

@test "--exec: a command that does not read a large batch does not hang evpipe" {
	# 4 MB in one batch, far more than a pipe holds
	head -c 4000000 /dev/zero | tr '\0' 'x' | fold -w 1000 | sed 's/.*/{"s":"&"}/' >"$T/big"
	run timeout 20 "$EVPIPE" batch -n 100000 --exec 'exit 0' "$T/big"
	assert_success
	run timeout 20 "$EVPIPE" batch -n 100000 --retries 0 --exec 'head -c 10 >/dev/null; exit 4' "$T/big"
	[[ $status -eq 1 ]]
	[[ $output == *"command exited with status 4 (1 attempt)"* ]]
}

@test "--exec: a command that does not read yet holds evpipe back, nothing is buffered without bound" {
	# ~10 MB through a FIFO, batches of ~100 kB; batch 1's command reads
	# nothing until told, so evpipe may take batch 1, fill batch 2 and
	# must then stop reading.
	mkfifo "$T/in"
	cat >"$T/cmd" <<-'EOF'
		i=0
		while [ ! -e "$DIR/go" ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i + 1)); done
		cat >/dev/null
		echo "$EVPIPE_BATCH_COUNT" >>"$DIR/counts"
	EOF
	DIR=$T "$EVPIPE" batch -n 1000 --exec ". '$T/cmd'" <"$T/in" >"$T/out" 2>"$T/err" 3>&- &
	pid=$!
	yes '{"pad":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}' |
		head -n 100000 >"$T/in" 3>&- &
	for _ in $(seq 1 200); do
		[[ -e $T/counts || $(awk '/^rchar/ {print $2}' "/proc/$pid/io") -gt 200000 ]] && break
		sleep 0.05
	done
	sleep 1 # time to read on, were it not held back
	read_now=$(awk '/^rchar/ {print $2}' "/proc/$pid/io")
	((read_now < 4000000)) || fail "evpipe read $read_now bytes while the command read none"
	touch "$T/go"
	rc=0
	timeout 60 tail --pid="$pid" -f /dev/null || rc=$?
	wait "$pid" || rc=$?
	[[ $rc -eq 0 ]] || fail "exit $rc: $(cat "$T/err")"
	[[ $(wc -l <"$T/counts") -eq 100 ]]
	[[ $(awk '{ n += $1 } END { print n }' "$T/counts") -eq 100000 ]]
}

@test "--exec --timeout: a command that runs too long is stopped and counts as failed" {
	run_to "$T/out" --dlq "$T/dlq" batch -n 7 --retries 1 --backoff 1ms --timeout 50ms --exec 'sleep 30' "$T/seven"
	[[ $status -eq 1 ]]
	run jq -r '.reason' "$T/dlq"
	assert_line --index 0 'batch 1: command timed out and was killed by signal 15 (2 attempts)'
}

@test "--parallel N: commands overlap, at most N at once, started in order" {
	# batch 1 waits (bounded) until batch 2 has started: only possible
	# when two run at once
	cat >"$T/cmd" <<-'EOF'
		echo "start $EVPIPE_BATCH_SEQ" >>"$LOG"
		if [ "$EVPIPE_BATCH_SEQ" = 1 ]; then
			i=0
			while [ ! -e "$DIR/started2" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
			[ -e "$DIR/started2" ] || exit 9
		fi
		[ "$EVPIPE_BATCH_SEQ" = 2 ] && touch "$DIR/started2"
		mkdir "$DIR/run.$EVPIPE_BATCH_SEQ"
		ls -d "$DIR"/run.* | wc -l >>"$DIR/concurrency"
		cat >/dev/null
		rmdir "$DIR/run.$EVPIPE_BATCH_SEQ"
	EOF
	events 20 "$T/in"
	LOG=$T/log DIR=$T run_to "$T/out" batch -n 2 --parallel 2 --exec ". '$T/cmd'" "$T/in"
	[[ $status -eq 0 ]]
	head -n 2 "$T/log" | sort >"$T/first2"
	same "$T/first2" 'start 1\nstart 2\n'
	[[ $(wc -l <"$T/log") -eq 10 ]]
	(($(sort -n "$T/concurrency" | tail -n 1) <= 2))
}

@test "--parallel 1: a failing batch holds back later ones (delivery in order)" {
	cat >"$T/cmd" <<-'EOF'
		if [ "$EVPIPE_BATCH_SEQ" = 1 ] && [ "$EVPIPE_BATCH_ATTEMPT" = 1 ]; then exit 1; fi
		echo "batch $EVPIPE_BATCH_SEQ attempt $EVPIPE_BATCH_ATTEMPT" >>"$LOG"
		cat >/dev/null
	EOF
	LOG=$T/log run_to "$T/out" batch -n 3 --backoff 1ms --exec ". '$T/cmd'" "$T/seven"
	[[ $status -eq 0 ]]
	same "$T/log" 'batch 1 attempt 2\nbatch 2 attempt 1\nbatch 3 attempt 1\n'
}

@test "--exec: a command that cannot be found fails with status 127" {
	run_to "$T/out" --dlq "$T/dlq" batch --retries 0 --exec 'no-such-command-xyz' "$T/seven"
	[[ $status -eq 1 ]]
	run jq -r '.reason' "$T/dlq"
	assert_line --index 0 'batch 1: command exited with status 127 (1 attempt)'
}

@test "--exec and SIGTERM: open batches still run, then exit 143" {
	start_fifo tee --target "$T/seen" then batch -n 100 --exec "cat >>'$T/got'"
	printf '{"i":1}\n{"i":2}\n' >&7
	wait_lines "$T/seen" 2
	kill -TERM "$pid"
	rc=0
	timeout 10 tail --pid="$pid" -f /dev/null
	wait "$pid" || rc=$?
	exec 7>&-
	[[ $rc -eq 143 ]]
	same "$T/got" '{"i":1}\n{"i":2}\n'
}

@test "--target: each batch in a new file; an existing name gets .N, nothing is overwritten" {
	mkdir "$T/d"
	echo keep >"$T/d/b-x.ndjson"
	printf '{"t":"x","i":1}\n{"t":"x","i":2}\n{"t":"y","i":3}\n{"t":"x","i":4}\n{"t":"x","i":5}\n' >"$T/in"
	run_to "$T/out" batch -n 2 -k .t --target "$T/d/b-{.t}.ndjson" "$T/in"
	[[ $status -eq 0 ]]
	same "$T/out" ''
	same "$T/d/b-x.ndjson" 'keep\n'
	same "$T/d/b-x.1.ndjson" '{"t":"x","i":1}\n{"t":"x","i":2}\n'
	same "$T/d/b-x.2.ndjson" '{"t":"x","i":4}\n{"t":"x","i":5}\n'
	same "$T/d/b-y.ndjson" '{"t":"y","i":3}\n'
	[[ $(stat -c %a "$T/d/b-y.ndjson") == 644 ]]
	# names without an extension, and a second run going on numbering
	run_to "$T/out" batch -n 3 --target "$T/d/plain" "$T/seven"
	run_to "$T/out" batch -n 7 --target "$T/d/plain" "$T/seven"
	[[ $(cat "$T/d/plain" "$T/d/plain.1" "$T/d/plain.2" | wc -l) -eq 7 ]]
	cmp "$T/d/plain.3" "$T/seven"
}

@test "--target NAME.gz: each batch is a gzip file" {
	run_to "$T/out" batch -n 4 --target "$T/part.ndjson.gz" "$T/seven"
	[[ $status -eq 0 ]]
	zcat "$T/part.ndjson.gz" "$T/part.1.ndjson.gz" | cmp - "$T/seven"
}

@test "--to: rendered values stay inside the directory" {
	mkdir "$T/d"
	printf '{"t":"../../evil"}\n{"t":"/abs"}\n' >"$T/in"
	run_to "$T/out" batch -n 1 --target "$T/d/{.t}.ndjson" "$T/in"
	[[ $status -eq 0 ]]
	run ls -A "$T/d"
	assert_output $'%2E%2E%2F..%2Fevil.ndjson\n%2Fabs.ndjson'
}

@test "--target: a batch whose file cannot be created or named is dead-lettered" {
	# the directory typed is missing: one error at start, naming --mkdir
	run_to "$T/out" --dlq "$T/dlq" batch -n 4 --target "$T/no/such/dir/x.ndjson" "$T/seven"
	[[ $status -eq 3 && ! -e $T/dlq ]]
	assert_equal "$stderr" "evpipe: batch: --target '$T/no/such/dir/x.ndjson': directory '$T/no/such/dir/' does not exist (--mkdir creates it)"
	# a directory a value names is missing: those batches are dead-lettered
	run_to "$T/out" --dlq "$T/dlq" batch -n 4 --target "$T/{.n // \"x\"}/x.ndjson" "$T/seven"
	[[ $status -eq 3 ]]
	[[ $(wc -l <"$T/dlq") -eq 7 ]]
	run jq -r '.reason' "$T/dlq"
	assert_line --index 0 --regexp "^batch 1: cannot create '$T/[^/]*/x.ndjson': No such file or directory \(--mkdir creates missing directories\)$"
	# --mkdir makes them
	run_to "$T/out" batch -n 4 --mkdir --target "$T/no/such/dir/x.ndjson" "$T/seven"
	[[ $status -eq 0 ]]
	[[ $(cat "$T"/no/such/dir/* | wc -l) -eq 7 ]]
	printf '{"t":null}\n' >"$T/in"
	run_to "$T/out" --dlq "$T/dlq2" batch --target "$T/{.t}.ndjson" "$T/in"
	[[ $status -eq 1 ]]
	run jq -r '.reason' "$T/dlq2"
	assert_output --partial 'batch 1: --target: '
}

@test "-v reports the batches" {
	run_to "$T/out" -v batch -n 3 "$T/seven"
	[[ $stderr == *"evpipe: batch: 3 batches closed (count 2, bytes 0, interval 0, max-keys 0, end 1), 7 events delivered, 0 batches failed"* ]]
}

@test "usage errors exit 2 before reading input" {
	local bad
	while IFS='|' read -r args msg; do
		# shellcheck disable=SC2086
		run -2 --separate-stderr "$EVPIPE" batch $args /no/such/input
		assert_equal "$stderr" "evpipe: batch: $msg"
	done <<-'EOF'
		-n 0|-n must be at least 1
		--bytes 0|--bytes must be at least 1
		--interval 0|--interval must be more than 0
		--exec true --target x|--exec and --target cannot be used together
		--retries 2|--retries needs --exec
		--parallel 2|--parallel needs --exec
		--backoff 1s|--backoff needs --exec
		--timeout 1s|--timeout needs --exec
		--exec true --parallel 0|--parallel must be at least 1
		--exec true --timeout 0|--timeout must be more than 0
		--max-keys 3|--max-keys needs -k
		-k .a --max-keys 0|--max-keys must be at least 1
	EOF
	run -2 --separate-stderr "$EVPIPE" batch --exec '' /no/such/input
	assert_equal "$stderr" "evpipe: batch: --exec needs a command"
	run -2 --separate-stderr "$EVPIPE" batch -k '.a |' /no/such/input
	[[ $stderr == "evpipe: batch: "* ]]
	run -2 --separate-stderr "$EVPIPE" batch --target 'x{.a' /no/such/input
	[[ $stderr == "evpipe: batch: --target: "* ]]
	run -2 --separate-stderr "$EVPIPE" batch -n x /no/such/input
	run -2 --separate-stderr "$EVPIPE" batch --interval 5parsecs /no/such/input
}

@test "--exec works when evpipe's own stdin is closed" {
	"$EVPIPE" batch -n 3 --exec "wc -l >>'$T/counts'" "$T/seven" <&-
	same "$T/counts" '3\n3\n1\n'
}

@test "-k with many keys and a small --max-keys: nothing lost, no batch mixes keys" {
	seq 1 6000 | awk '{ printf "{\"k\":%d,\"i\":%d}\n", $1 % 1500, $1 }' >"$T/in"
	run_to "$T/out" batch -n 3 -k .k --max-keys 100 "$T/in"
	[[ $status -eq 0 ]]
	run jq -s -c '[.[][]] | length' "$T/out"
	assert_output 6000
	run jq -c 'select(map(.k) | unique | length != 1)' "$T/out"
	assert_output ''
	run jq -s -c '[.[][] .i] | sort == [range(1; 6001)]' "$T/out"
	assert_output true
}

@test "--exec while the input is idle: the interval starts the command, a retry runs on time" {
	cat >"$T/cmd" <<-'EOF2'
		[ "$EVPIPE_BATCH_ATTEMPT" = 1 ] && exit 1
		cat >>"$GOT"
	EOF2
	GOT=$T/got start_fifo -q batch --interval 20ms --backoff 10ms --exec ". '$T/cmd'"
	printf '{"i":1}\n{"i":2}\n' >&7
	# the input stays open: the batch must be delivered anyway
	wait_lines "$T/got" 2
	exec 7>&-
	wait "$pid"
	same "$T/got" '{"i":1}\n{"i":2}\n'
}

@test "--exec: a dead-letter target that fails is fatal (exit 3)" {
	run_to "$T/out" --dlq /dev/full batch -n 3 --retries 0 --exec 'exit 1' "$T/seven"
	[[ $status -eq 3 ]]
	[[ $stderr == *"evpipe: --dlq: cannot write to '/dev/full': No space left on device"* ]]
}

@test "--exec: simple commands run without sh behave exactly as through sh" {
	# words and >, >>, 2>, 2>&1 only: evpipe runs these directly;
	# EVPIPE_NO_DIRECT=1 sends every command through sh
	local cmds=(
		"tee -a $T/OUT"
		"cat >>$T/OUT"
		"wc -c > $T/OUT"
		"ls -d $T/none $T >>$T/OUT 2>&1"
		"cat >$T/no/such/dir"
		"ls $T/none 2>>$T/OUT"
		"no-such-command-xyz"
		"exit 3"
		"env >$T/OUT"
	)
	local c mode
	for c in "${cmds[@]}"; do
		for mode in direct sh; do
			rm -f "$T/OUT"
			if [[ $mode == sh ]]; then
				EVPIPE_NO_DIRECT=1 run_to "$T/out.$mode" --dlq "$T/dlq.$mode" batch -n 4 --retries 0 --exec "$c" "$T/seven"
			else
				run_to "$T/out.$mode" --dlq "$T/dlq.$mode" batch -n 4 --retries 0 --exec "$c" "$T/seven"
			fi
			echo "$status" >"$T/status.$mode"
			if [[ -e $T/OUT ]]; then
				grep -v '^_=\|^SHLVL=\|^PWD=\|^OLDPWD=\|^EVPIPE_NO_DIRECT=' "$T/OUT" | sort >"$T/file.$mode"
			else
				: >"$T/file.$mode"
			fi
		done
		cmp "$T/out.direct" "$T/out.sh" || fail "$c: stdout differs"
		cmp "$T/status.direct" "$T/status.sh" || fail "$c: exit status differs"
		cmp "$T/dlq.direct" "$T/dlq.sh" || fail "$c: dead letters differ"
		diff -u "$T/file.sh" "$T/file.direct" || fail "$c: file differs"
	done
}
