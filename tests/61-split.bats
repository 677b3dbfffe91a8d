#!/usr/bin/env bats
# split TEMPLATE (DESIGN 2.2, 2.4): templated file targets, sanitizing and
# confinement, partitions, the LRU of open files, rotation, --mkdir, and
# targets that fail for good.
load test_helper

setup() {
	T=$BATS_TEST_TMPDIR
	EV=$FIXTURES/route/events.ndjson
	cd "$T"
}

# without_dac CMD...: run CMD unable to override file permissions, even
# as root (so a read-only directory is read-only for the test).
without_dac() {
	if [[ $(id -u) -eq 0 ]]; then
		command -v setpriv >/dev/null || fail "setpriv is not installed"
		setpriv --bounding-set=-dac_override,-dac_read_search "$@"
	else
		"$@"
	fi
}

@test "split writes each event, byte for byte, to the file its template names" {
	run_to stdout split --mkdir 'out/{.ts[0:10]}/{.type}.ndjson' "$EV"
	[[ $status -eq 0 ]]
	same stdout ''
	run find out -type f
	assert_equal "$(sort <<<"$output")" "out/2024-03-01/order.paid.ndjson
out/2024-03-01/user.login.ndjson
out/2024-03-02/order.paid.ndjson
out/2024-03-02/page.view.ndjson
out/2024-03-03/order.refunded.ndjson
out/2024-03-03/user.login.ndjson"
	same out/2024-03-03/user.login.ndjson '{"id":5, "type": "user.login",   "ts":"2024-03-03T08:00:00Z"}\n'
	same out/2024-03-02/order.paid.ndjson '{"id":3,"type":"order.paid","ts":"2024-03-02T09:30:00Z","amount":250}\n'
	# every event once, in input order within a file
	cat out/*/*.ndjson | sort | cmp - <(sort "$EV")
}

@test "split appends to existing files, and passes nothing on" {
	mkdir out
	printf '{"old":1}\n' >out/page.view.ndjson
	run_to stdout split 'out/{.type}.ndjson' then cat "$EV"
	[[ $status -eq 0 ]]
	same stdout ''
	same out/page.view.ndjson '{"old":1}\n{"id":4,"type":"page.view","ts":"2024-03-02T12:00:00Z"}\n'
}

@test "hostile values stay inside the template's directory, each in its own file" {
	mkdir out
	{
		cat "$FIXTURES/route/hostile.ndjson"
		printf '{"k":"%s"}\n' "$(head -c 4096 /dev/zero | tr '\0' x)"
	} >in
	run_to stdout split 'out/{.k}.ndjson' in
	[[ $status -eq 0 ]]
	run find . -path ./in -o -path ./stdout -o -path ./stderr -o -type f -print
	assert_equal "$(LC_ALL=C sort <<<"$output")" "./out/%252e%252e.ndjson
./out/%2E%2E%2F..%2Fetc%2Fpasswd.ndjson
./out/%2E%2E.ndjson
./out/%2E.ndjson
./out/%2Fabs.ndjson
./out/-rf.ndjson
./out/_.ndjson
./out/a%00b.ndjson
./out/back%5Cslash.ndjson
./out/h$(printf '\303\251')llo%20w$(printf '\303\266')rld.ndjson
./out/line%0Abreak.ndjson
./out/$(printf 'x%.0s' {1..159})%~4abfe2f9c234538a0bd416c0a7cc8886.ndjson
./out/~user.ndjson"
	# nothing was created outside out/, no directory inside it
	[[ $(find out -mindepth 1 -type d | wc -l) -eq 0 ]]
	[[ ! -e etc && ! -e ../etc/passwd.ndjson && ! -e /abs.ndjson ]]
	[[ $(cat out/*.ndjson | wc -l) -eq 13 ]]
}

@test "a template part that is not a string, number or boolean rejects the event, quoting the part" {
	printf '{"k":"a"}\n{"k":null}\n{"k":[1]}\n{"j":1}\nnot json\n{"k":2}\n' >in
	run_to stdout --dlq dlq split 'o-{.k}.ndjson' in
	[[ $status -eq 1 ]]
	same o-a.ndjson '{"k":"a"}\n'
	same o-2.ndjson '{"k":2}\n'
	run jq -c '[.stage, .line, .reason]' dlq
	assert_output '["split",2,"template part {.k} is null: it must be a string, a number or a boolean"]
["split",3,"template part {.k} is an array: it must be a string, a number or a boolean"]
["split",4,"template part {.k} is null: it must be a string, a number or a boolean"]
["input",5,"invalid JSON: invalid literal at column 1"]'
}

@test "split -k --partitions: {partition} is a stable hash of the key" {
	printf '{"k":"a"}\n{"k":"b"}\n{"k":1}\n{"k":"user-42"}\n{"k":"\\u0061"}\n{"k":1.0}\n' >in
	run_to stdout split -k .k --partitions 8 --mkdir 'p/{partition}.ndjson' in
	[[ $status -eq 0 ]]
	# frozen values: XXH3 of the key as jq -c prints it, mod 8
	same p/3.ndjson '{"k":"a"}\n{"k":"\\u0061"}\n'
	same p/7.ndjson '{"k":"b"}\n'
	same p/0.ndjson '{"k":1}\n{"k":1.0}\n'
	same p/2.ndjson '{"k":"user-42"}\n'
	[[ $(find p -type f | wc -l) -eq 4 ]]
	# a key with no single value is a reject
	printf '{"k":[1,2]}\n' | "$EVPIPE" split -k '.k[]' --partitions 2 'q{partition}' 2>err && fail "accepted"
	grep -q 'split: <stdin>:1: -k: expression yielded more than one value' err
}

@test "split usage errors come before any file is touched" {
	mkdir work
	cd work
	run -2 --separate-stderr "$EVPIPE" split -k .a 'o{partition}' "$EV"
	assert_equal "$stderr" "evpipe: split: -k EXPR and --partitions N go together"
	run -2 --separate-stderr "$EVPIPE" split --partitions 2 'o{.a}' "$EV"
	assert_equal "$stderr" "evpipe: split: -k EXPR and --partitions N go together"
	run -2 --separate-stderr "$EVPIPE" split -k .a --partitions 2 'o{.a}' "$EV"
	assert_equal "$stderr" "evpipe: split: --partitions needs {partition} in the template"
	run -2 --separate-stderr "$EVPIPE" split -k .a --partitions 0 'o{partition}' "$EV"
	assert_equal "$stderr" "evpipe: split: --partitions must be at least 1"
	run -2 --separate-stderr "$EVPIPE" split 'o{partition}' "$EV"
	assert_equal "$stderr" "evpipe: split: {partition} needs -k EXPR and --partitions N"
	run -2 --separate-stderr "$EVPIPE" split 'o/{.a' "$EV"
	assert_equal "$stderr" "evpipe: split: target 'o/{.a': template column 3: '{' without its '}'"
	run -2 --separate-stderr "$EVPIPE" split 'exec:cat >{.a}' "$EV"
	[[ $stderr == *"templates are for file paths only"* ]]
	run -2 --separate-stderr "$EVPIPE" split </dev/null
	assert_equal "$stderr" "evpipe: split: missing argument
usage: evpipe split [-k EXPR] [--partitions N] [--max-open N] [--max-size SIZE] [--mkdir] [--arg NAME VALUE]... [--argjson NAME JSON]... TEMPLATE"
	run find . -mindepth 1
	assert_output ''
}

@test "2,000 distinct keys under a 256 fd limit: nothing lost, every file complete" {
	# every event goes to a file closed since its key's last event
	awk 'BEGIN { for (i = 0; i < 4000; i++) printf "{\"k\":%d,\"i\":%d}\n", i % 2000, i }' >in
	mkdir out
	run_to stdout -v split --max-open 100 'out/{.k}.ndjson' in
	# run it again under the fd limit with the automatic --max-open
	mkdir auto
	(
		ulimit -n 256
		"$EVPIPE" split 'auto/{.k}.ndjson' in
	) || fail "split under ulimit -n 256 failed"
	[[ $status -eq 0 ]]
	[[ $stderr == *"evpipe: split: 4000 events written, 0 rejected; "*" closes to stay within --max-open 100"* ]]
	for d in out auto; do
		[[ $(find "$d" -type f | wc -l) -eq 2000 ]]
		# each file holds exactly its key's two events, whole, in order
		bad=$(find "$d" -type f -print0 | xargs -0 awk '
			FNR == 1 { k = FILENAME; sub(/.*\//, "", k); sub(/\.ndjson$/, "", k) }
			$0 != sprintf("{\"k\":%d,\"i\":%d}", k, k + (FNR - 1) * 2000) { bad++ }
			{ lines[FILENAME]++ }
			END { for (f in lines) if (lines[f] != 2) bad++; print bad + 0 }' | awk '{ s += $1 } END { print s }')
		[[ $bad -eq 0 ]] || fail "$d: $bad bad lines or files"
	done
}

@test "--max-size rotates to NAME.1.EXT, NAME.2.EXT, and a new run goes on in the last one" {
	# each event is 16 bytes with its newline: two fit in 40
	awk 'BEGIN { for (i = 0; i < 7; i++) printf "{\"t\":\"a\",\"i\":%d}\n", i }' >in
	run_to stdout split --max-size 40 'o-{.t}.ndjson' in
	[[ $status -eq 0 ]]
	[[ $(wc -l <o-a.ndjson) -eq 2 && $(wc -l <o-a.1.ndjson) -eq 2 ]]
	[[ $(wc -l <o-a.2.ndjson) -eq 2 && $(wc -l <o-a.3.ndjson) -eq 1 ]]
	cat o-a.ndjson o-a.1.ndjson o-a.2.ndjson o-a.3.ndjson | cmp - in
	run_to stdout split --max-size 40 'o-{.t}.ndjson.gz' in
	[[ $(zcat o-a.ndjson.gz | wc -l) -eq 2 && $(zcat o-a.3.ndjson.gz | wc -l) -eq 1 ]]
	# the next run goes on in the last file of the series
	head -n 3 in >in3
	run_to stdout split --max-size 40 'o-{.t}.ndjson' in3
	[[ $(wc -l <o-a.3.ndjson) -eq 2 && $(wc -l <o-a.4.ndjson) -eq 2 ]]
	[[ ! -e o-a.5.ndjson ]]
	# an event larger than the limit gets a file of its own
	printf '{"t":"b","pad":"%s"}\n' "$(printf 'y%.0s' {1..80})" >big
	cat big big >in4
	run_to stdout split --max-size 40 'o-{.t}.ndjson' in4
	cmp o-b.ndjson big
	cmp o-b.1.ndjson big
}

@test "without --mkdir a directory a value names fails its events to the dead-letter target" {
	mkdir out
	run_to stdout --dlq dlq split 'out/{.type}/all.ndjson' "$EV"
	[[ $status -eq 3 ]]
	[[ $(wc -l <dlq) -eq 6 ]]
	run jq -r '[.stage, .line, .reason, .event.id] | @tsv' dlq
	assert_line --index 0 "split	1	cannot open 'out/order.paid/all.ndjson': No such file or directory (--mkdir creates missing directories)	1"
	assert_line --index 4 "split	5	cannot open 'out/user.login/all.ndjson': No such file or directory (--mkdir creates missing directories)	5"
	[[ $stderr == *"evpipe: split: $EV:1: cannot open 'out/order.paid/all.ndjson': No such file or directory (--mkdir creates missing directories)"* ]]
}

@test "a read-only directory: its events are dead-lettered, the others written, exit 3" {
	mkdir -p out/order.paid out/user.login out/page.view out/order.refunded
	chmod 555 out/order.paid
	run without_dac "$EVPIPE" --dlq dlq split 'out/{.type}/all.ndjson' "$EV"
	[[ $status -eq 3 ]]
	run jq -c '[.line, .reason]' dlq
	assert_output "[1,\"cannot open 'out/order.paid/all.ndjson': Permission denied\"]
[3,\"cannot open 'out/order.paid/all.ndjson': Permission denied\"]"
	[[ $(cat out/*/all.ndjson | wc -l) -eq 4 ]]
	chmod 755 out/order.paid
}

@test "a full disk: every buffered event is dead-lettered, none lost, exit 3" {
	awk 'BEGIN { for (i = 0; i < 5000; i++) printf "{\"d\":\"full\",\"i\":%d}\n", i }' >in
	run_to stdout --dlq dlq split '/dev/{.d}' in
	[[ $status -eq 3 ]]
	[[ $(wc -l <dlq) -eq 5000 ]]
	jq -c .event dlq | cmp - in
	run jq -r .reason dlq
	[[ $(sort -u <<<"$output") == "cannot write to '/dev/full': No space left on device" ]]
	[[ $stderr == *"events rejected (100 reported above)"* ]]
}

@test "gzip templates survive the LRU: each reopen appends a gzip member" {
	run_to stdout split --max-open 1 'o-{.type}.ndjson.gz' "$EV"
	[[ $status -eq 0 ]]
	zcat o-*.ndjson.gz | sort | cmp - <(sort "$EV")
	[[ $(zcat o-user.login.ndjson.gz | wc -l) -eq 2 ]]
}

@test "split -v reports what it wrote" {
	run_to stdout -v split --max-open 2 'o-{.type}.ndjson' "$EV"
	[[ $status -eq 0 ]]
	[[ $stderr == *"evpipe: split: 6 events written, 0 rejected; 5 opens, 3 closes to stay within --max-open 2, 0 rotations"* ]]
}

@test "split templates take input_filename, sanitized; stdin's null is a reject" {
	mkdir -p logs
	printf '{"n":1}\n' >logs/a.ndjson
	printf '{"n":2}\n' >b.ndjson
	run_to stdout split --mkdir 'out/{input_filename}.ndjson' logs/a.ndjson b.ndjson
	[[ $status -eq 0 ]]
	same out/logs%2Fa.ndjson.ndjson '{"n":1}\n'
	same out/b.ndjson.ndjson '{"n":2}\n'
	run_to stdout split --mkdir 'out/{input_filename // "stdin"}.ndjson' <b.ndjson
	[[ $status -eq 0 ]]
	same out/stdin.ndjson '{"n":2}\n'
	run_to stdout split 'out/{input_filename}.ndjson' <b.ndjson
	[[ $status -eq 1 ]]
	[[ $stderr == *"<stdin>:1: template part {input_filename} is null: it must be a string, a number or a boolean"* ]]
}

@test "a missing output directory: one error at start naming --mkdir, not one per event" {
	printf '{"a":1}\n{"a":2}\n' >in
	run_to stdout split 'nodir/x/{.a}.ndjson' in
	[[ $status -eq 3 ]] || fail "exit $status"
	assert_equal "$stderr" "evpipe: split: target 'nodir/x/{.a}.ndjson': directory 'nodir/x/' does not exist (--mkdir creates it)"
	run_to stdout -o 'nodir/{.a}.ndjson' cat in
	[[ $status -eq 3 ]] || fail "exit $status"
	assert_equal "$stderr" "evpipe: -o: target 'nodir/{.a}.ndjson': directory 'nodir/' does not exist (--mkdir creates it)"
	[[ ! -e nodir ]]
	# a directory a value names: the reject says how to have it made
	mkdir od
	run_to stdout --dlq dlq split 'od/{.a}/x.ndjson' in
	[[ $status -eq 3 ]] || fail "exit $status"
	run jq -r .reason dlq
	assert_output "cannot open 'od/1/x.ndjson': No such file or directory (--mkdir creates missing directories)
cannot open 'od/2/x.ndjson': No such file or directory (--mkdir creates missing directories)"
	# --mkdir, also for -o (a template, or a file)
	run_to stdout --mkdir -o 'nd2/{.a}/x.ndjson' cat in
	[[ $status -eq 0 ]] || fail "exit $status: $stderr"
	same nd2/1/x.ndjson '{"a":1}\n'
	run_to stdout --mkdir -o 'nd3/y/all.ndjson' cat in
	[[ $status -eq 0 ]] || fail "exit $status: $stderr"
	same nd3/y/all.ndjson '{"a":1}\n{"a":2}\n'
	run_to stdout --mkdir -o 'exec:cat' cat in
	[[ $status -eq 2 ]]
	assert_equal "$stderr" "evpipe: --mkdir: only for an -o file or template (the output is 'exec:cat')"
}
