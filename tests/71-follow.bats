#!/usr/bin/env bats
# Follow mode (-F): growing files, partial lines, files that appear
# later, rotation by rename and by copytruncate, truncation in place,
# inotify and the polling fallback, and --checkpoint (restart, mismatch,
# kill -9 under load).  Every wait is bounded; writers are in
# tests/helpers/follow-writer.py.

load test_helper
load bg_helper

WRITER=$BATS_TEST_DIRNAME/helpers/follow-writer.py

setup() {
	bg_setup
}

teardown() {
	bg_teardown
}

# follow ARGS...: start evpipe ARGS in the background (bg_helper.bash).
follow() {
	bg_start "$@"
}

# wait_grep PATTERN FILE: until FILE has a line matching PATTERN.
wait_grep() {
	local i
	for ((i = 0; i < 400; i++)); do
		grep -q -- "$1" "$2" 2>/dev/null && return 0
		sleep 0.05
	done
	fail "no '$1' in $2: $(cat "$2" 2>/dev/null)"
}

@test "-F reads a file, then what is appended; a partial line waits for its newline" {
	printf '{"a":1}\n' >app.ndjson
	follow -F cat app.ndjson
	wait_lines out 1
	printf '{"a":2}\n{"a"' >>app.ndjson
	wait_lines out 2
	printf ':3}\n' >>app.ndjson
	wait_lines out 3
	stop
	assert_equal "$status" 143
	same out '{"a":1}\n{"a":2}\n{"a":3}\n'
	same err ''
}

@test "-F ends on SIGINT with status 130 after draining; a partial last line is reported" {
	printf '{"a":1}\n{"a":' >app.ndjson
	follow -F head -n 5 app.ndjson
	wait_lines out 1
	stop INT
	assert_equal "$status" 130
	same out '{"a":1}\n'
	same err 'evpipe: app.ndjson: unfinished line (5 bytes) dropped at exit\n'
}

@test "--from-end starts after the last newline of a file that exists" {
	printf '{"old":1}\n{"old":2}\n{"a":' >app.ndjson
	follow -F --from-end --checkpoint ck.json cat app.ndjson
	# The first checkpoint says the file is open (at its end).
	wait_grep '"offset":20' ck.json
	# Nothing of the old content; the partial line is completed whole.
	printf '1}\n{"a":2}\n' >>app.ndjson
	wait_lines out 2
	stop
	same out '{"a":1}\n{"a":2}\n'
}

@test "a file that does not exist yet is waited for, then read from its start (even with --from-end)" {
	follow -F --from-end cat later.ndjson
	wait_grep "cannot open 'later.ndjson' for reading: No such file or directory; following its name" err
	printf '{"a":1}\n{"a":2}\n' >later.ndjson
	wait_lines out 2
	stop
	same out '{"a":1}\n{"a":2}\n'
	run cat err
	assert_line --partial "'later.ndjson' has appeared; following it"
}

@test "-F refuses a directory and a gzip file at start, with exit 2" {
	mkdir "$BATS_TEST_TMPDIR/dir"
	run -2 --separate-stderr timeout 20 "$EVPIPE" -F cat "$BATS_TEST_TMPDIR/dir"
	[[ $stderr == *"-F '$BATS_TEST_TMPDIR/dir': a directory cannot be followed; name the files in it"* ]]
	printf '{"a":1}\n' | gzip >"$BATS_TEST_TMPDIR/in.ndjson.gz"
	run -2 --separate-stderr timeout 20 "$EVPIPE" -F cat "$BATS_TEST_TMPDIR/in.ndjson.gz"
	assert_equal "$stderr" "evpipe: -F '$BATS_TEST_TMPDIR/in.ndjson.gz': a gzip-compressed file cannot be followed; read it without -F"
	[[ -z $output ]]
	# read once, without -F, the same file is fine
	run -0 "$EVPIPE" cat "$BATS_TEST_TMPDIR/in.ndjson.gz"
	assert_output '{"a":1}'
}

@test "several files are followed at once; each event names its file" {
	printf '{"f":1}\n' >one.ndjson
	printf 'not json\n' >two.ndjson
	follow -F --dlq dlq.ndjson cat one.ndjson two.ndjson
	wait_lines dlq.ndjson 1
	printf '{"f":2}\n' >>two.ndjson
	printf '{"f":3}\n' >>one.ndjson
	wait_lines out 3
	stop
	run sort out
	assert_output $'{"f":1}\n{"f":2}\n{"f":3}'
	run cat dlq.ndjson
	assert_output '{"stage":"input","reason":"invalid JSON: invalid literal at column 1","source":"two.ndjson","line":1,"event":"not json"}'
	run cat err
	assert_line "evpipe: input: two.ndjson:1: invalid JSON: invalid literal at column 1"
}

@test "a file truncated in place is read again from its start" {
	printf '{"a":1}\n{"a":2}\n' >app.ndjson
	follow -F cat app.ndjson
	wait_lines out 2
	: >app.ndjson
	wait_grep "app.ndjson: file truncated: reading it from the start" err
	printf '{"b":1}\n' >>app.ndjson
	wait_lines out 3
	stop
	same out '{"a":1}\n{"a":2}\n{"b":1}\n'
}

@test "a file rewritten past its old size is seen as truncated by its first bytes" {
	printf '{"a":1}\n' >app.ndjson
	EVPIPE_FOLLOW_POLL=1 follow -F cat app.ndjson
	wait_lines out 1
	# Truncate and grow past the old size before the next look.
	printf '{"b":1}\n{"b":2}\n{"b":3}\n' >app.ndjson.new
	cp app.ndjson.new app.ndjson
	wait_lines out 4
	stop
	same out '{"a":1}\n{"b":1}\n{"b":2}\n{"b":3}\n'
}

# rotation MODE [ENV]: a writer rotating every 700 of 5000 lines; every
# line must arrive exactly once.
rotation() {
	local mode=$1
	: >app.ndjson
	follow -F cat app.ndjson
	timeout 60 python3 "$WRITER" write "$mode" app.ndjson 5000 700 out ||
		fail "the writer failed: $(cat err)"
	wait_lines out 5000 30
	sleep 0.3 # nothing more may come
	stop
	run python3 "$WRITER" check out 5000
	assert_success
	assert_output "ok 5000 0"
}

@test "rename+create rotation, with lines written to the old file after the rename (inotify)" {
	rotation rename
	run ls app.ndjson.7
	assert_success
}

@test "rename+create rotation (polling)" {
	export EVPIPE_FOLLOW_POLL=1
	rotation rename
}

@test "copytruncate rotation (inotify)" {
	rotation copytruncate
	assert_equal "$(grep -c 'file truncated' err)" 7
}

@test "copytruncate rotation (polling)" {
	export EVPIPE_FOLLOW_POLL=1
	rotation copytruncate
}

@test "--checkpoint records where the file was delivered up to, mode 0600" {
	printf '{"a":1}\n{"a":2}\n{"a":' >app.ndjson
	follow -F --checkpoint ck.json cat app.ndjson
	wait_lines out 2
	stop
	run stat -c %a ck.json
	assert_output 600
	run python3 -c '
import json, os, sys
c = json.load(open("ck.json"))
st = os.stat("app.ndjson")
(f,) = c["files"]
assert c["evpipe_checkpoint"] == 1
assert f["path"] == "app.ndjson", f
assert (f["dev"], f["ino"]) == (st.st_dev, st.st_ino), f
assert f["offset"] == 16, f  # the partial line is not delivered
assert f["fingerprint_bytes"] == 21 and len(f["fingerprint"]) == 16, f
print("ok")'
	assert_output ok
	[[ ! -e ck.json.tmp ]] || fail "temporary file left"
}

@test "a restart with --checkpoint resumes exactly where the last run ended" {
	printf '{"a":1}\n{"a":2}\n{"a":' >app.ndjson
	follow -F --checkpoint ck.json cat app.ndjson
	wait_lines out 2
	stop
	printf '3}\n{"a":4}\n' >>app.ndjson
	follow -F --checkpoint ck.json cat app.ndjson
	wait_lines out 4
	stop
	same out '{"a":1}\n{"a":2}\n{"a":3}\n{"a":4}\n'
	same err ''
}

@test "a checkpoint that does not match the file: reported, read from the start" {
	printf '{"a":1}\n{"a":2}\n' >app.ndjson
	follow -F --checkpoint ck.json cat app.ndjson
	wait_lines out 2
	stop
	printf '{"b":1}\n{"b":2}\n{"b":3}\n' >app.ndjson.new
	mv app.ndjson.new app.ndjson
	: >out
	follow -F --checkpoint ck.json cat app.ndjson
	wait_lines out 3
	stop
	same out '{"b":1}\n{"b":2}\n{"b":3}\n'
	run cat err
	assert_line "evpipe: app.ndjson: not the file of the checkpoint (rotated or rewritten): reading it from the start"
}

@test "a file moved away and back keeps its checkpoint (matched by its first bytes)" {
	printf '{"a":1}\n' >app.ndjson
	follow -F --checkpoint ck.json cat app.ndjson
	wait_lines out 1
	stop
	cp app.ndjson copy && rm app.ndjson && mv copy app.ndjson
	printf '{"a":2}\n' >>app.ndjson
	follow -F --checkpoint ck.json cat app.ndjson
	wait_lines out 2
	stop
	same out '{"a":1}\n{"a":2}\n'
}

# restart_all WRITER N: start following again, wait for the writer and
# for N lines in events.ndjson; each n from 1 to N at least once.
restart_all() {
	follow -F --checkpoint ck.json -o events.ndjson cat app.ndjson
	wait "$1" || fail "the writer failed"
	wait_lines events.ndjson "$2" 60
	sleep 0.3
	stop
	run python3 "$WRITER" check events.ndjson "$2" dups
	assert_success
	assert_output --regexp "^ok $2 [0-9]+\$"
}

@test "kill -9 under load, then restart: every line at least once, duplicates from one window" {
	: >app.ndjson
	timeout 120 python3 "$WRITER" write plain app.ndjson 40000 400 &
	local writer=$!
	follow -F --checkpoint ck.json -o events.ndjson cat app.ndjson
	wait_lines events.ndjson 8000 60
	stop KILL
	assert_equal "$status" 137
	restart_all "$writer" 40000
}

@test "the checkpoint file is an untrusted input: bad ones are usage errors" {
	printf '{"a":1}\n' >app.ndjson
	printf 'not json' >ck.json
	run "$EVPIPE" -F --checkpoint ck.json cat app.ndjson
	assert_equal "$status" 2
	assert_output --partial "evpipe: --checkpoint: 'ck.json': not JSON:"
	printf '{"evpipe_checkpoint":1,"files":[{"path":"a","dev":1,"ino":2,"fingerprint":"xyz","fingerprint_bytes":1,"offset":0}]}' >ck.json
	run "$EVPIPE" -F --checkpoint ck.json cat app.ndjson
	assert_equal "$status" 2
	assert_output "evpipe: --checkpoint: 'ck.json': files[0]: \"fingerprint\" must be 16 lowercase hex digits"
	printf '{"evpipe_checkpoint":2,"files":[]}' >ck.json
	run "$EVPIPE" -F --checkpoint ck.json cat app.ndjson
	assert_equal "$status" 2
	assert_output "evpipe: --checkpoint: 'ck.json': not an evpipe checkpoint (version 1)"
	run "$EVPIPE" -F --checkpoint . cat app.ndjson
	assert_equal "$status" 2
	assert_output "evpipe: --checkpoint: '.' is not a regular file of at most 64M"
}

@test "a checkpoint that cannot be written is an I/O error (exit 3)" {
	printf '{"a":1}\n' >app.ndjson
	status=0
	timeout 10 "$EVPIPE" -F --checkpoint nodir/ck.json cat app.ndjson >out 2>err || status=$?
	assert_equal "$status" 3
	same err "evpipe: --checkpoint: cannot write 'nodir/ck.json.tmp': No such file or directory\n"
	same out '{"a":1}\n'
}

@test "--from-end and --checkpoint need --follow; stdin under -F is read as usual" {
	run "$EVPIPE" --from-end cat
	assert_equal "$status" 2
	assert_output "evpipe: --from-end needs --follow"
	run "$EVPIPE" --checkpoint ck cat
	assert_equal "$status" 2
	assert_output "evpipe: --checkpoint needs --follow"
	run "$EVPIPE" -F cat <<<'{"a":1}'
	assert_success
	assert_output '{"a":1}'
}

@test "-F --from csv: each file has its header; after a rotation the new file's header is read" {
	printf 'a,b\n1,2\n' >app.csv
	follow -F --from csv cat app.csv
	wait_lines out 1
	printf '3,4\n' >>app.csv
	wait_lines out 2
	mv app.csv app.csv.1
	printf '5,6\n' >>app.csv.1 # the old file drains
	printf 'x,y,z\n7,8,9\n' >app.csv
	wait_lines out 4
	printf '10,11,12\n' >>app.csv
	wait_lines out 5
	stop
	assert_equal "$status" 143
	run cat out
	assert_line --index 0 '{"a":"1","b":"2"}'
	assert_line --index 1 '{"a":"3","b":"4"}'
	assert_line '{"a":"5","b":"6"}'
	assert_line '{"x":"7","y":"8","z":"9"}'
	assert_line --index 4 '{"x":"10","y":"11","z":"12"}'
}

@test "-F --from csv: a truncated file's header is read again; two files keep their own" {
	printf 'a\n1\n' >one.csv
	printf 'b\n2\n' >two.csv
	follow -F --from csv cat one.csv two.csv
	wait_lines out 2
	printf 'c\n3\n' >one.csv
	wait_lines out 3
	printf '4\n' >>two.csv
	wait_lines out 4
	stop
	run cat out
	assert_line '{"a":"1"}'
	assert_line '{"b":"2"}'
	assert_line '{"c":"3"}'
	assert_line '{"b":"4"}'
}

@test "-F --from csv --checkpoint: a restart reads the header again and resumes after the last row" {
	printf 'a,b\n1,"x\ny"\n2,z\n' >app.csv
	follow -F --from csv --checkpoint ck.json cat app.csv
	wait_lines out 2
	stop
	printf '3,w\n' >>app.csv
	follow -F --from csv --checkpoint ck.json cat app.csv
	wait_lines out 3
	stop
	same out '{"a":"1","b":"x\\ny"}\n{"a":"2","b":"z"}\n{"a":"3","b":"w"}\n'
	same err ''
}

@test "-F --from logfmt: records from a followed file" {
	printf 'level=info msg="a b"\n' >app.log
	follow -F --from logfmt cat app.log
	wait_lines out 1
	printf 'level=warn n=2\n' >>app.log
	wait_lines out 2
	stop
	same out '{"level":"info","msg":"a b"}\n{"level":"warn","n":"2"}\n'
}

# ckpt_run N: follow app.ndjson with --checkpoint ck.json until out has
# N lines, then stop it (SIGTERM).
ckpt_run() {
	follow -F --checkpoint ck.json cat app.ndjson
	wait_lines out "$1"
	stop
}

# all_t FILE N: FILE holds events with every .t from 1 to N, no other.
all_t() {
	run python3 -c '
import json, sys
ts = sorted({json.loads(l)["t"] for l in open(sys.argv[1])})
print("ok" if ts == list(range(1, int(sys.argv[2]) + 1)) else ts)' "$1" "$2"
	assert_output ok
}

# checkpoint_offset: the one file's offset in ck.json.
checkpoint_offset() {
	python3 -c 'import json; print(json.load(open("ck.json"))["files"][0]["offset"])'
}

@test "kill -9 while sort holds events: the checkpoint stays before them; a restart delivers them" {
	local i
	for ((i = 1; i <= 30; i++)); do printf '{"t":%d}\n' "$i"; done >app.ndjson
	local first=$(stat -c %s app.ndjson)
	follow -F --checkpoint ck.json -o events.ndjson \
		sort --by '.t * 60' --window 600s app.ndjson
	wait_lines events.ndjson 20
	for ((i = 31; i <= 60; i++)); do printf '{"t":%d}\n' "$i"; done >>app.ndjson
	wait_lines events.ndjson 50
	# idle: flushed and checkpointed; t 51..60 still held (a minute of
	# event time apart, so the idle clock would take a minute to pass
	# t 51 on: a loaded machine cannot make this test race it)
	sleep 0.5
	stop KILL
	assert_equal "$status" 137
	assert_equal "$(lines events.ndjson)" 50
	# Past the first write (those were delivered), never past t 50:
	# t 51 and on are held.
	local off=$(checkpoint_offset)
	((off >= first && off <= first + 20 * 9)) ||
		fail "checkpoint at $off: want $first to $((first + 20 * 9))"
	follow -F --checkpoint ck.json -o events.ndjson cat app.ndjson
	wait_grep '"t":60' events.ndjson
	stop
	all_t events.ndjson 60
}

@test "kill -9 while batch holds events (--interval): a restart delivers every line" {
	local i
	for ((i = 1; i <= 40; i++)); do printf '{"n":%d}\n' "$i"; done >app.ndjson
	follow -F --checkpoint ck.json -o events.ndjson \
		batch -n 1000 --interval 1h app.ndjson
	local k
	for ((k = 0; k < 100; k++)); do
		[[ -s ck.json ]] && break
		sleep 0.05
	done
	sleep 0.5
	stop KILL
	assert_equal "$(lines events.ndjson)" 0
	assert_equal "$(checkpoint_offset)" 0
	follow -F --checkpoint ck.json -o events.ndjson \
		batch -n 40 --interval 1h app.ndjson
	wait_lines events.ndjson 1
	stop
	run python3 -c '
(b,) = [__import__("json").loads(l) for l in open("events.ndjson")]
print("ok" if [e["n"] for e in b] == list(range(1, 41)) else b)'
	assert_output ok
}

@test "-F --from-end --from csv: the header is still read, the rows before the end are not" {
	printf 'a,b\n1,2\n3,4\n' >app.csv
	follow -F --from-end --from csv cat app.csv
	sleep 0.5
	printf '5,6\n' >>app.csv
	wait_lines out 1
	stop
	same out '{"a":"5","b":"6"}\n'
}

@test "kill -9 while a batch --exec command runs: the checkpoint stays before its batch" {
	local i k
	for ((i = 1; i <= 5; i++)); do printf '{"n":%d}\n' "$i"; done >app.ndjson
	follow -F --checkpoint ck.json batch -n 5 --exec 'sleep 2; cat >>got' app.ndjson
	for ((k = 0; k < 100; k++)); do
		[[ -s ck.json ]] && break
		sleep 0.05
	done
	sleep 0.5 # idle, checkpointed: the command still runs
	assert_equal "$(checkpoint_offset)" 0
	stop KILL
	: >out
	follow -F --checkpoint ck.json cat app.ndjson
	wait_lines out 5
	stop
	same out '{"n":1}\n{"n":2}\n{"n":3}\n{"n":4}\n{"n":5}\n'
	sleep 2 # the first run's command ends on its own
}

# ckpt_files: the entries of ck.json, one "path offset rotated" line each.
ckpt_files() {
	python3 -c '
import json
for f in json.load(open("ck.json"))["files"]:
    print(f["path"], f["offset"], f.get("rotated", False))'
}

@test "kill -9 after a rotation while sort holds events of the old file: a restart delivers them" {
	local i k
	for ((i = 1; i <= 30; i++)); do printf '{"t":%d}\n' "$i"; done >app.ndjson
	follow -F --checkpoint ck.json -o events.ndjson \
		sort --by '.t * 60' --window 600s app.ndjson
	wait_lines events.ndjson 20
	mv app.ndjson app.ndjson.1
	for ((i = 31; i <= 35; i++)); do printf '{"t":%d}\n' "$i"; done >app.ndjson
	wait_lines events.ndjson 25
	# Idle, flushed, checkpointed: t 26..30 of the old file and 31..35
	# of the new one are held (a minute of event time apart, so for a
	# minute of idle clock); the old file is listed as rotated.
	for ((k = 0; k < 100; k++)); do
		ckpt_files | grep -q 'True$' && break
		sleep 0.05
	done
	run ckpt_files
	assert_line --regexp '^app\.ndjson [0-9]+ True$'
	stop KILL
	assert_equal "$(lines events.ndjson)" 25
	follow -F --checkpoint ck.json -o events.ndjson cat app.ndjson
	wait_grep '"t":35' events.ndjson
	wait_grep '"t":30' events.ndjson
	stop
	all_t events.ndjson 35
	run cat err
	assert_line --regexp "^evpipe: app\.ndjson: rotated away since the checkpoint: reading the rest of it, now 'app\.ndjson\.1', from offset [0-9]+$"
}

@test "a file rotated by rename while evpipe was stopped: the rest of the old file, then the new one" {
	printf '{"a":1}\n{"a":2}\n' >app.ndjson
	ckpt_run 2
	printf '{"a":3}\n{"a":4}\n' >>app.ndjson
	mv app.ndjson app.ndjson.1
	mkdir other && printf '{"a":3}\n{"a":4}\n' >other/app.ndjson.1 # not its directory
	printf '{"b":1}\n' >app.ndjson
	: >err
	follow -F --checkpoint ck.json cat app.ndjson
	wait_lines out 5
	sleep 1.5 # the old file stays quiet: it is done with
	run ckpt_files
	assert_output "app.ndjson 8 False"
	stop
	sort out >sorted
	same sorted '{"a":1}\n{"a":2}\n{"a":3}\n{"a":4}\n{"b":1}\n'
	same err "evpipe: app.ndjson: rotated away since the checkpoint: reading the rest of it, now 'app.ndjson.1', from offset 16\n"
}

@test "copytruncate while evpipe was stopped: the rest is read from the copy (matched by its first bytes)" {
	printf '{"a":1}\n{"a":2}\n' >app.ndjson
	ckpt_run 2
	printf '{"a":3}\n' >>app.ndjson
	cp app.ndjson app.ndjson.1
	: >app.ndjson
	printf '{"b":1}\n' >>app.ndjson
	: >err
	ckpt_run 4
	sort out >sorted
	same sorted '{"a":1}\n{"a":2}\n{"a":3}\n{"b":1}\n'
	same err "evpipe: app.ndjson: rotated away since the checkpoint: reading the rest of it, now 'app.ndjson.1', from offset 16\n"
}

@test "two copies with the same first bytes: neither is guessed; the new file is read from its start" {
	printf '{"a":1}\n' >app.ndjson
	ckpt_run 1
	cp app.ndjson app.ndjson.1
	cp app.ndjson app.ndjson.2
	printf '{"b":1}\n' >app.ndjson
	: >err
	ckpt_run 2
	same out '{"a":1}\n{"b":1}\n'
	same err "evpipe: app.ndjson: not the file of the checkpoint (rotated or rewritten): reading it from the start\n"
}

@test "a rotated file listed in the checkpoint but gone: reported, the rest goes on" {
	printf '{"a":1}\n' >app.ndjson
	local ino=$(stat -c %i app.ndjson) dev=$(stat -c %d app.ndjson)
	printf '{"evpipe_checkpoint":1,"files":[{"path":"app.ndjson","dev":%s,"ino":%s,"fingerprint":"0000000000000000","fingerprint_bytes":0,"offset":0},{"path":"app.ndjson","dev":1,"ino":99999999,"fingerprint":"0123456789abcdef","fingerprint_bytes":8,"offset":8,"rotated":true},{"path":"other.ndjson","dev":1,"ino":2,"fingerprint":"0123456789abcdef","fingerprint_bytes":8,"offset":8,"rotated":true}]}' "$dev" "$ino" >ck.json
	ckpt_run 1
	same out '{"a":1}\n'
	same err "evpipe: app.ndjson: the file rotated away from it (device 1, inode 99999999) is not in its directory any more: what it held after offset 8 was not read\n"
	printf '{"evpipe_checkpoint":1,"files":[{"path":"a","dev":1,"ino":2,"fingerprint":"0123456789abcdef","fingerprint_bytes":8,"offset":8,"rotated":1}]}' >ck.json
	run "$EVPIPE" -F --checkpoint ck.json cat app.ndjson
	assert_equal "$status" 2
	assert_output "evpipe: --checkpoint: 'ck.json': files[0]: \"rotated\" must be true or false"
}

@test "kill -9 under load with rename rotations: every line at least once" {
	: >app.ndjson
	follow -F --checkpoint ck.json -o events.ndjson cat app.ndjson
	timeout 120 python3 "$WRITER" write rename app.ndjson 30000 3000 events.ndjson &
	local writer=$! k
	# Kill it while a rotated file is still being drained.
	for ((k = 0; k < 400; k++)); do
		[[ -e app.ndjson.2 ]] && break
		sleep 0.05
	done
	[[ -e app.ndjson.2 ]] || fail "no second rotation: $(cat err)"
	sleep 0.2
	stop KILL
	restart_all "$writer" 30000
}

@test "-F --from csv: a file rotated while evpipe was stopped is resumed with its own header" {
	printf 'a,b\n1,2\n' >app.csv
	follow -F --from csv --checkpoint ck.json cat app.csv
	wait_lines out 1
	stop
	printf '3,4\n' >>app.csv
	mv app.csv app.csv.1
	printf 'x\n9\n' >app.csv
	follow -F --from csv --checkpoint ck.json cat app.csv
	wait_lines out 3
	stop
	sort out >sorted
	same sorted '{"a":"1","b":"2"}\n{"a":"3","b":"4"}\n{"x":"9"}\n'
}
