#!/usr/bin/env bats
# Targets (DESIGN 2.2): -, files (append), PATH.gz, exec:COMMAND; tee.
load test_helper

setup() {
	T=$BATS_TEST_TMPDIR
	printf '{"a":1}\n{"a":2}\n' >"$T/in"
}

@test "-o PATH replaces the file (--append appends), creating it 0644 less umask" {
	printf '{"old":1}\n' >"$T/out"
	run_to "$T/stdout" cat -o "$T/out" "$T/in"
	[[ $status -eq 0 ]]
	same "$T/out" '{"a":1}\n{"a":2}\n'
	printf '{"old":1}\n' >"$T/out"
	run_to "$T/stdout" --append cat -o "$T/out" "$T/in"
	[[ $status -eq 0 ]]
	same "$T/out" '{"old":1}\n{"a":1}\n{"a":2}\n'
	(umask 022; "$EVPIPE" cat -o "$T/new" "$T/in")
	[[ $(stat -c %a "$T/new") == 644 ]]
	(umask 077; "$EVPIPE" cat -o "$T/private" "$T/in")
	[[ $(stat -c %a "$T/private") == 600 ]]
}

@test "parent directories are not created" {
	run_to "$T/stdout" cat -o "$T/no/such/dir/out" "$T/in"
	[[ $status -eq 3 ]]
	assert_equal "$stderr" "evpipe: -o: cannot open '$T/no/such/dir/out': No such file or directory"
}

@test "a directory or an unwritable path as target is an I/O error" {
	run_to "$T/stdout" cat -o "$T" "$T/in"
	[[ $status -eq 3 ]]
	[[ $stderr == "evpipe: -o: cannot open '$T': Is a directory" ]]
}

@test "PATH.gz writes gzip, with --append a member per run" {
	run_to "$T/stdout" cat -o "$T/out.gz" "$T/in"
	[[ $status -eq 0 ]]
	run_to "$T/stdout" --append cat -o "$T/out.gz" "$T/in"
	zcat "$T/out.gz" >"$T/plain"
	same "$T/plain" '{"a":1}\n{"a":2}\n{"a":1}\n{"a":2}\n'
	# evpipe reads its own output back
	run_to "$T/back" cat "$T/out.gz"
	cmp "$T/plain" "$T/back"
}

@test "a .gz target is readable while evpipe still runs (sync flush when idle)" {
	mkfifo "$T/fifo"
	"$EVPIPE" cat -o "$T/live.gz" <"$T/fifo" &
	exec {w}>"$T/fifo"
	printf '{"a":1}\n' >&"$w"
	got=
	for _ in $(seq 1 50); do
		got=$(zcat "$T/live.gz" 2>/dev/null || true)
		[[ -n $got ]] && break
		sleep 0.1
	done
	exec {w}>&-
	wait
	assert_equal "$got" '{"a":1}'
}

@test "exec:COMMAND feeds a long-lived child on stdin" {
	run_to "$T/stdout" cat -o "exec:wc -l >'$T/count'; echo started >>'$T/starts'" "$T/in"
	[[ $status -eq 0 ]]
	same "$T/count" '2\n'
	[[ $(wc -l <"$T/starts") -eq 1 ]]
}

@test "exec: child's non-zero exit status is reported as an I/O failure" {
	run_to "$T/stdout" cat -o "exec:cat >/dev/null; exit 7" "$T/in"
	[[ $status -eq 3 ]]
	assert_equal "$stderr" "evpipe: exec:cat >/dev/null; exit 7: command exited with status 7"
}

@test "exec: a child that exits early is restarted with backoff" {
	# each child takes one line and exits; the next write finds it gone
	run bash -c 'for i in 1 2 3; do echo "{\"i\":$i}"; sleep 0.3; done |
		"$EVPIPE" cat -o "exec:head -n 1 >>\"$1\""' _ "$T/got"
	assert_success
	assert_output --partial "command exited with status 0; restarting in 100 ms"
	same "$T/got" '{"i":1}\n{"i":2}\n{"i":3}\n'
}

@test "exec: a child that keeps dying at once is given up on" {
	seq 1 300000 | sed 's/.*/{"i":&}/' >"$T/many"
	run_to "$T/stdout" cat -o "exec:exit 1" "$T/many"
	[[ $status -eq 3 ]]
	[[ $stderr == *"exec:exit 1: command exited with status 1 5 times within a second of starting; giving up"* ]]
}

@test "exec: a command that cannot run is reported" {
	run_to "$T/stdout" cat -o "exec:/no/such/program" "$T/in"
	[[ $status -eq 3 ]]
	[[ $stderr == *"command exited with status 127"* ]]
}

@test "tee copies every event to each target and passes it on" {
	run_to "$T/out" tee --target "$T/copy1" -t "$T/copy2.gz" "$T/in"
	[[ $status -eq 0 ]]
	cmp "$T/in" "$T/out"
	cmp "$T/in" "$T/copy1"
	zcat "$T/copy2.gz" | cmp "$T/in" -
}

@test "tee then head: the copy sees what was read" {
	run_to "$T/out" tee --target "$T/copy" then head -n 1 "$T/in"
	[[ $status -eq 0 ]]
	same "$T/out" '{"a":1}\n'
	same "$T/copy" '{"a":1}\n'
}

@test "tee --target exec:" {
	run_to "$T/out" tee --target "exec:cat >'$T/copy'" "$T/in"
	[[ $status -eq 0 ]]
	cmp "$T/in" "$T/copy"
}

@test "tee needs a target, and a full one fails the run" {
	run -2 --separate-stderr "$EVPIPE" tee "$T/in"
	assert_equal "$stderr" "evpipe: tee: at least one -t/--target TARGET is needed"
	run_to "$T/out" tee --target /dev/full "$T/in"
	[[ $status -eq 3 ]]
}

@test "bad targets are refused as usage errors, before any I/O" {
	run -2 --separate-stderr "$EVPIPE" cat -o udp://127.0.0.1:9 "$T/in"
	[[ $stderr == *"udp:// is for inputs (-i) only"* ]]
	for t in tcp://127.0.0.1 tcp://127.0.0.1:0 tcp://127.0.0.1:65536 \
		tcp://::1:9 tcp://127.0.0.1:http unix:; do
		run -2 --separate-stderr "$EVPIPE" tee --target "$t" "$T/in"
		[[ -n $stderr ]]
	done
	run -2 --separate-stderr "$EVPIPE" stats --target 'out/{.type}.ndjson' "$T/in"
	[[ $stderr == *"templates are for -o, split, route -t and tee -t"* ]]
	run -2 --separate-stderr "$EVPIPE" cat -o 'exec:cat >{.a}' "$T/in"
	[[ $stderr == *"templates are for file paths only"* ]]
	run -2 --separate-stderr "$EVPIPE" cat -o 'tcp://{.a}:9' "$T/in"
	[[ $stderr == *"templates are for file paths only"* ]]
	run -2 --separate-stderr "$EVPIPE" --to csv -o 'out/{.a}.csv' cat "$T/in"
	[[ $stderr == *"a template writes NDJSON only (--to csv"* ]]
	run -2 --separate-stderr "$EVPIPE" --dlq 'bad/{.stage}.ndjson' cat "$T/in"
	[[ $stderr == *"templates are not allowed for the dead-letter target"* ]]
	run -2 --separate-stderr "$EVPIPE" -o 'out/{.a | bogus}.ndjson' cat "$T/in"
	[[ -n $stderr ]]
	run -2 --separate-stderr "$EVPIPE" tee --target 'exec:echo {.type}' "$T/in"
	[[ $stderr == *"templates are for file paths only"* ]]
	run -2 --separate-stderr "$EVPIPE" cat -o exec: "$T/in"
	assert_equal "$stderr" "evpipe: -o: target 'exec:' needs a command"
	run -2 --separate-stderr "$EVPIPE" cat -o '' "$T/in"
}

@test "exec: giving up is reported once, as the reason of the events it rejects" {
	seq 1 300000 | sed 's/.*/{"i":&}/' >"$T/many"
	run_to "$T/stdout" cat -o "exec:exit 1" "$T/many"
	[[ $status -eq 3 ]]
	# each event is rejected with the reason (the first 100 shown), and
	# the give-up is not reported again as a failure of its own
	[[ $(grep -c 'giving up' <<<"$stderr") -eq 100 ]]
	[[ $(grep 'giving up' <<<"$stderr" | grep -vEc '^evpipe: output: [^ ]*many:[0-9]+: exec:exit 1: ') -eq 0 ]]
	[[ $stderr == *"300000 events rejected (100 reported above)"* ]]
	[[ $stderr != *"could not be waited for"* ]]
}

@test "-o TEMPLATE writes each event to the file it renders, as split does" {
	cd "$T"
	mkdir out
	printf '{"t":"a","i":1}\n{"t":"b","i":2}\n{"t":"a","i":3}\n' >ev
	run_to stdout -v -o 'out/{.t}.ndjson' cat ev
	[[ $status -eq 0 ]]
	same stdout ''
	same out/a.ndjson '{"t":"a","i":1}\n{"t":"a","i":3}\n'
	same out/b.ndjson '{"t":"b","i":2}\n'
	[[ $stderr == *"evpipe: output: 3 events written, 0 rejected; 2 opens"* ]]
	# after a chain, and appending like any file target
	run_to stdout -o 'out/{.t}.ndjson' filter '.i > 1' then map '.i' ev
	[[ $status -eq 1 ]] # .i is a number: the template cannot index it
	[[ $stderr == *"evpipe: output: ev:2: "* ]]
	run_to stdout -o 'out/{.t}-{.i}.ndjson' filter '.i > 1' ev
	[[ $status -eq 0 ]]
	same out/b-2.ndjson '{"t":"b","i":2}\n'
	same out/a-3.ndjson '{"t":"a","i":3}\n'
}

@test "-o TEMPLATE: hostile values stay inside its directory; failures are dead-lettered" {
	cd "$T"
	mkdir out
	run_to stdout -o 'out/{.k}.ndjson' cat "$FIXTURES/route/hostile.ndjson"
	[[ $status -eq 0 ]]
	# the same files split makes, none outside out/, no directory in it
	mkdir ref
	"$EVPIPE" split 'ref/{.k}.ndjson' "$FIXTURES/route/hostile.ndjson"
	diff -r out ref
	[[ $(find out -mindepth 1 -type d | wc -l) -eq 0 ]]
	[[ ! -e etc && ! -e ../etc/passwd.ndjson && ! -e /abs.ndjson ]]
	# a value that renders to no string, a directory that is missing:
	# rejected to the dead-letter target with stage "output", exit 1 / 3
	printf '{"k":[1]}\n{"k":"ok"}\n' >ev
	run_to stdout --dlq dl -o 'out/{.k}.ndjson' cat ev
	[[ $status -eq 1 ]]
	[[ $(jq -r .stage dl) == output && $(jq -c .event dl) == '{"k":[1]}' ]]
	same out/ok.ndjson '{"k":"ok"}\n'
	run_to stdout --dlq dl2 -o 'missing/{.k}.ndjson' cat ev
	[[ $status -eq 3 && ! -e dl2 ]]
	[[ $stderr == "evpipe: -o: target 'missing/{.k}.ndjson': directory 'missing/' does not exist (--mkdir creates it)" ]]
	run_to stdout --dlq dl2 -o 'out/{.k}/x.ndjson' cat ev
	[[ $status -eq 3 ]]
	[[ $(jq -r .stage dl2 | sort -u) == output && $(wc -l <dl2) -eq 2 ]]
}

@test "-o TEMPLATE keeps its files in an LRU within the fd limit, losing nothing" {
	cd "$T"
	awk 'BEGIN { for (i = 0; i < 3000; i++) printf "{\"k\":%d,\"i\":%d}\n", i % 300, i }' >in
	mkdir out
	# 140 fds: the automatic --max-open is (140 - 64) / 2 = 38 files
	(
		ulimit -n 140
		"$EVPIPE" -v -o 'out/{.k}.ndjson' cat in 2>err
	) || fail "cat -o TEMPLATE under ulimit -n 140 failed"
	grep -q 'evpipe: output: 3000 events written, 0 rejected; .* closes to stay within --max-open 38' err ||
		fail "$(cat err)"
	[[ $(find out -type f | wc -l) -eq 300 ]]
	# each file holds its key's ten events, whole and in order
	bad=$(find out -type f -print0 | xargs -0 awk '
		FNR == 1 { k = FILENAME; sub(/.*\//, "", k); sub(/\.ndjson$/, "", k) }
		$0 != sprintf("{\"k\":%d,\"i\":%d}", k, k + (FNR - 1) * 300) { bad++ }
		{ lines[FILENAME]++ }
		END { for (f in lines) if (lines[f] != 10) bad++; print bad + 0 }' | awk '{ s += $1 } END { print s }')
	[[ $bad -eq 0 ]] || fail "$bad bad lines or files"
}
