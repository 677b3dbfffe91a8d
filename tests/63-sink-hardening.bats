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
