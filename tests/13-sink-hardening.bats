#!/usr/bin/env bats
# Targets that event data cannot turn against the user, and that never
# lose events quietly (evpipe-security(7)): templated paths never follow
# a symbolic link, a component stays within NAME_MAX, and an exec: target
# whose command exits without reading its events fails the run.
load test_helper

setup() {
	T=$BATS_TEST_TMPDIR
	cd "$T"
	mkdir out outside
	: >outside/victim
	pid=
}

teardown() {
	[[ -n $pid ]] && kill -9 "$pid" 2>/dev/null
	true
}

@test "split: a file symlink planted in the output directory is not followed" {
	ln -s ../outside/victim out/evil.ndjson
	# the directory the user typed may be a symbolic link
	ln -s out link
	printf '{"a":"evil"}\n{"a":"good"}\n' >in
	run_to stdout --dlq dl split 'link/{.a}.ndjson' in
	[[ $status -eq 3 ]]
	[[ ! -s outside/victim ]] || fail "the symlink was followed: $(cat outside/victim)"
	same out/good.ndjson '{"a":"good"}\n'
	[[ -L out/evil.ndjson ]]
	run jq -c '[.line, .event.a]' dl
	assert_output '[1,"evil"]'
	[[ $stderr == *"'evil.ndjson' is a symbolic link"* ]] || fail "stderr: $stderr"
}

@test "split: a directory symlink in a templated component is not followed, also with --mkdir" {
	ln -s ../outside out/dir
	printf '{"a":"dir","b":"pwn"}\n{"a":"ok","b":"x"}\n' >in
	run_to stdout --dlq dl split --mkdir 'out/{.a}/{.b}.ndjson' in
	[[ $status -eq 3 ]]
	[[ ! -e outside/pwn.ndjson ]] || fail "created outside/pwn.ndjson"
	same out/ok/x.ndjson '{"a":"ok","b":"x"}\n'
	run jq -c '.event.b' dl
	assert_output '"pwn"'
	[[ $stderr == *"'dir' is a symbolic link"* ]] || fail "stderr: $stderr"
}

@test "split --max-open 1: a file replaced by a symlink during the run is not followed on reopen" {
	mkfifo feed
	"$EVPIPE" --dlq dl split --max-open 1 'out/{.a}.ndjson' <feed >/dev/null 2>err 3>&- &
	pid=$!
	exec 7>feed
	printf '{"a":"x","n":1}\n{"a":"y","n":2}\n' >&7
	# y opens only after x was written out and closed (--max-open 1)
	for ((i = 0; i < 400; i++)); do
		[[ -e out/y.ndjson ]] && break
		sleep 0.05
	done
	[[ -e out/y.ndjson ]] || fail "out/y.ndjson did not appear: $(cat err)"
	same out/x.ndjson '{"a":"x","n":1}\n'
	mv out/x.ndjson saved
	ln -s ../outside/victim out/x.ndjson
	printf '{"a":"x","n":3}\n' >&7
	exec 7>&-
	status=0
	wait "$pid" || status=$?
	pid=
	[[ $status -eq 3 ]] || fail "exit $status: $(cat err)"
	[[ ! -s outside/victim ]] || fail "the symlink was followed: $(cat outside/victim)"
	run jq -c '.event.n' dl
	assert_output '3'
	grep -q "'x.ndjson' is a symbolic link" err || fail "err: $(cat err)"
}

@test "split: two long values in one component stay within NAME_MAX, and differ past the cut" {
	a=$(printf 'a%.0s' {1..300})
	b=$(printf 'b%.0s' {1..300})
	printf '{"a":"%s","b":"%s"}\n{"a":"%s","b":"%sc"}\n' "$a" "$b" "$a" "${b:1}" >in
	run_to stdout --dlq dl split 'out/{.a}{.b}.ndjson' in
	[[ $status -eq 0 ]] || fail "exit $status: $stderr"
	[[ ! -s dl ]]
	run ls out
	[[ ${#lines[@]} -eq 2 ]] || fail "want two files: $output"
	for f in "${lines[@]}"; do
		((${#f} <= 200)) || fail "$f is ${#f} bytes"
		[[ $f == a*'%~'*.ndjson ]] || fail "$f"
		[[ $(wc -l <"out/$f") -eq 1 ]]
	done
	cat out/* | sort | cmp - <(sort in)
}

@test "split: the empty value and the value _ do not share a file" {
	printf '{"a":""}\n{"a":"_"}\n{"a":""}\n' >in
	run_to stdout split 'out/{.a}.ndjson' in
	[[ $status -eq 0 ]] || fail "$stderr"
	same out/_.ndjson '{"a":""}\n{"a":""}\n'
	same out/%5F.ndjson '{"a":"_"}\n'
}

@test "split: a name that cannot be made rejects that event, not the run" {
	long=$(printf 'x%.0s' {1..300})
	printf '{"a":"one"}\n' >in
	run_to stdout --dlq dl split --mkdir "out/{.a}/$long" in
	[[ $status -eq 1 ]] || fail "exit $status: $stderr"
	run jq -r .reason dl
	[[ $output == *"File name too long"* ]] || fail "$output"
}

# in1000: a thousand numbered events
in1000() {
	awk 'BEGIN { for (i = 1; i <= 1000; i++) printf "{\"i\":%d}\n", i }' >in1000.ndjson
}

@test "exec: a command that reads nothing: -o and tee --target both dead-letter every event, exit 3" {
	in1000
	run_to stdout --dlq d1 -o exec:true cat in1000.ndjson
	[[ $status -eq 3 ]] || fail "-o: exit $status: $stderr"
	jq -c .event d1 | cmp - in1000.ndjson
	run_to stdout --dlq d2 tee --target exec:true in1000.ndjson
	[[ $status -eq 3 ]] || fail "tee: exit $status: $stderr"
	jq -c .event d2 | cmp - in1000.ndjson
	# the same reasons, but for the stage's name
	diff <(jq -r .reason d1) <(jq -r .reason d2)
}

@test "exec: a command that exits after one line: each event is delivered or dead-lettered, exit 3" {
	in1000
	# sh's read takes one byte at a time from a pipe: exactly one line
	local cmd='exec:read -r l; printf "%s\n" "$l" >>got'
	for how in -o tee; do
		rm -f got dl
		if [[ $how == -o ]]; then
			run_to stdout --dlq dl -o "$cmd" cat in1000.ndjson
		else
			run_to stdout --dlq dl tee --target "$cmd" in1000.ndjson
		fi
		[[ $status -eq 3 ]] || fail "$how: exit $status: $stderr"
		[[ $stderr == *"restarting in"* ]] || fail "$how: $stderr"
		[[ $stderr != *"cannot open"* ]] || fail "$how: $stderr"
		[[ -s got ]] || fail "$how: nothing delivered"
		cat got <(jq -c .event dl) | sort -t: -k2 -n | cmp - in1000.ndjson || fail "$how: events lost or doubled"
	done
}

@test "exec: with --to csv (no dead letters for framed output) a command that exits unread fails the run" {
	in1000
	run_to stdout --to csv -o exec:true cat in1000.ndjson
	[[ $status -eq 3 ]] || fail "exit $status: $stderr"
	[[ $stderr == *"without reading the last"*"events were lost"* ]] || fail "$stderr"
	# a command that reads everything is fine
	run_to stdout --to csv -o 'exec:cat >got' cat in1000.ndjson
	[[ $status -eq 0 ]] || fail "exit $status: $stderr"
	[[ $(wc -l <got) -eq 1001 ]]
}

@test "batch --target: a directory symlink in a templated component is not followed" {
	ln -s ../outside out/dir
	mkdir out/ok
	printf '{"a":"dir"}\n{"a":"ok"}\n' >in
	run_to stdout --dlq dl batch -n 1 --target 'out/{.a}/x.ndjson' in
	[[ $status -eq 3 ]] || fail "exit $status: $stderr"
	[[ ! -e outside/x.ndjson ]] || fail "created outside/x.ndjson"
	same out/ok/x.ndjson '{"a":"ok"}\n'
	run jq -r .reason dl
	assert_output "batch 1: cannot create 'out/dir/x.ndjson': 'dir' is a symbolic link (paths rendered from a template never follow one)"
}

@test "split: ever new file names that cannot be opened do not grow memory" {
	[[ -x /usr/bin/time ]] || fail "/usr/bin/time is required (apt install time)"
	plain_build "measuring memory"
	awk 'BEGIN { for (i = 0; i < 300000; i++) printf "{\"a\":\"k%d\"}\n", i }' >in
	: >notadir
	status=0
	timeout 60 /usr/bin/time -o rss -f %M "$PLAIN" --dlq dl split 'notadir/{.a}.ndjson' in >/dev/null 2>err || status=$?
	[[ $status -eq 3 ]] || fail "exit $status: $(head -c 300 err)"
	[[ $(wc -l <dl) -eq 300000 ]]
	# every event is rejected with the reason, remembered or not
	run bash -c "jq -r .reason dl | sed 's/k[0-9]*\.ndjson/K/' | sort -u"
	assert_output "cannot open 'notadir/K': Not a directory"
	rss=$(tail -n 1 rss)
	((rss < 40000)) || fail "peak RSS $rss KiB for 300000 failing names"
}
