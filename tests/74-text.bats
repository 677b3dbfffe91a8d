#!/usr/bin/env bats
# Text in and out as jq users expect (evpipe(1) GLOBAL OPTIONS,
# evpipe-formats(7)): -r/-j raw output, -R/--from lines, --from combined
# and syslog, colours (-C, -M, NO_COLOR, JQ_COLORS).
load test_helper

setup() {
	T=$BATS_TEST_TMPDIR
	F=$FIXTURES/text
	PTY=$REPO/tests/helpers/pty-run.py
}

# ---- -r, -j ----------------------------------------------------------------

@test "-r writes strings without quotes, other values as JSON" {
	printf '{"p":"/a"}\n{"p":"/b\\tc \\u00e9 \\"q\\""}\n{"p":3}\n{"p":null}\n{"p":{"x":"y"}}\n{"p":"/a"}\n' >"$T/in"
	run_to "$T/out" -r map .p "$T/in"
	[[ $status -eq 0 ]] || fail "$stderr"
	same "$T/out" '/a\n/b\tc \xc3\xa9 "q"\n3\nnull\n{"x":"y"}\n/a\n'
	run_to "$T/out" --raw-output map .p "$T/in"
	same "$T/out" '/a\n/b\tc \xc3\xa9 "q"\n3\nnull\n{"x":"y"}\n/a\n'
}

@test "-r makes evpipe map .path | sort | uniq -c work" {
	printf '{"path":"/b"}\n{"path":"/a"}\n{"path":"/b"}\n' >"$T/in"
	run bash -c '"$EVPIPE" -r map .path "$1" | sort | uniq -c' _ "$T/in"
	assert_output "      1 /a
      2 /b"
}

@test "-r: an unchanged event that is a string is written raw too" {
	printf '"plain"\n  "lead"\n{"a":1}\n' >"$T/in"
	run_to "$T/out" -r cat "$T/in"
	same "$T/out" 'plain\nlead\n{"a":1}\n'
}

@test "-j writes no newline after each event, strings raw" {
	printf '{"p":"a"}\n{"p":"b\\n"}\n{"p":1}\n' >"$T/in"
	run_to "$T/out" -j map .p "$T/in"
	[[ $status -eq 0 ]] || fail "$stderr"
	same "$T/out" 'ab\n1'
	run_to "$T/out" --join-output map .p "$T/in"
	same "$T/out" 'ab\n1'
}

@test "-r with --to pretty: strings raw, the rest indented" {
	printf '{"p":"a"}\n{"p":{"x":1}}\n' >"$T/in"
	run_to "$T/out" -r --to pretty map .p "$T/in"
	[[ $status -eq 0 ]] || fail "$stderr"
	same "$T/out" 'a\n{\n  "x": 1\n}\n'
}

@test "-r and -j refuse --to formats with their own framing" {
	for to in json json-seq csv tsv; do
		run_to "$T/out" -r --to $to cat /dev/null
		[[ $status -eq 2 ]] || fail "--to $to: status $status"
		assert_equal "$stderr" "evpipe: -r writes text, not --to $to (use it with ndjson or pretty output)"
	done
	run_to "$T/out" -j --to csv cat /dev/null
	[[ $status -eq 2 ]]
	assert_equal "$stderr" "evpipe: -j writes text, not --to csv (use it with ndjson or pretty output)"
	run_to "$T/out" -r -o "$T/{.a}.ndjson" cat /dev/null
	[[ $status -eq 2 ]]
	[[ $stderr == *"a template writes NDJSON only, not -r or -j text"* ]]
}

@test "-r: dead letters stay JSON" {
	printf '{"p":"a"}\nnot json\n{"p":"b"}\n' >"$T/in"
	run_to "$T/out" -r --dlq "$T/dlq" map .p "$T/in"
	[[ $status -eq 1 ]]
	same "$T/out" 'a\nb\n'
	run jq -c '[.line, .event]' "$T/dlq"
	assert_output '[2,"not json"]'
}

@test "-r into an exec: target and a file" {
	printf '{"p":"a"}\n{"p":"b"}\n' >"$T/in"
	run_to "$T/out" -r -o "exec:cat >$T/exec.out" map .p "$T/in"
	[[ $status -eq 0 ]] || fail "$stderr"
	same "$T/exec.out" 'a\nb\n'
	run_to "$T/out" -j -o "$T/file.out" map .p "$T/in"
	same "$T/file.out" 'ab'
}

# ---- -R, --from lines ------------------------------------------------------

@test "-R: each line is one string event, empty lines and CR kept" {
	printf 'GET /a 200\r\n\n  spaced  \n"quoted" \\ back\nlast' >"$T/in"
	run_to "$T/out" -R cat "$T/in"
	[[ $status -eq 0 ]] || fail "$stderr"
	same "$T/out" '"GET /a 200\\r"\n""\n"  spaced  "\n"\\"quoted\\" \\\\ back"\n"last"\n'
	run_to "$T/out2" --from lines cat "$T/in"
	cmp "$T/out" "$T/out2"
	run_to "$T/out2" --raw-input cat "$T/in"
	cmp "$T/out" "$T/out2"
}

@test "-R: invalid UTF-8 is replaced by U+FFFD as jq does" {
	# a bad byte, a lead byte without its continuation, an overlong
	# sequence, a surrogate, a sequence cut by the end of the line
	printf 'a\xffb\n\xc3x\n\xc0\xaf\n\xed\xa0\x80\n\xe2\x82\n\xc3\xa9\n' >"$T/in"
	run_to "$T/out" -R cat "$T/in"
	[[ $status -eq 0 ]] || fail "$stderr"
	same "$T/out" '"a\xef\xbf\xbdb"\n"\xef\xbf\xbdx"\n"\xef\xbf\xbd"\n"\xef\xbf\xbd"\n"\xef\xbf\xbd"\n"\xc3\xa9"\n'
}

@test "-R with capture parses plain-text logs; rejects carry the line number" {
	printf 'user=ann took 12ms\ngarbage\nuser=bob took 7ms\nuser=cy took ?ms\n' >"$T/in"
	run_to "$T/out" -R --dlq "$T/dlq" map 'capture("user=(?<user>\\w+) took (?<ms>\\S+)ms") | .ms |= tonumber' "$T/in"
	[[ $status -eq 1 ]]
	same "$T/out" '{"user":"ann","ms":12}\n{"user":"bob","ms":7}\n'
	run jq -c '[.line, .event]' "$T/dlq"
	assert_output '[4,"user=cy took ?ms"]'
}

@test "-R: a line longer than --max-line is rejected with its line number" {
	printf 'short\n%0100d\nafter\n' 0 >"$T/in"
	run_to "$T/out" -R --max-line 50 cat "$T/in"
	[[ $status -eq 1 ]]
	same "$T/out" '"short"\n"after"\n'
	[[ $stderr == *"$T/in:2:"* ]] || fail "$stderr"
}

@test "-R -r gives the lines back as they were" {
	printf 'one\ntwo \xc3\xa9\n' >"$T/in"
	run_to "$T/out" -R -r cat "$T/in"
	cmp "$T/in" "$T/out"
}

@test "-R refuses another --from" {
	run_to "$T/out" -R --from csv cat /dev/null
	[[ $status -eq 2 ]]
	assert_equal "$stderr" "evpipe: -R reads lines; it cannot go with --from csv"
}

# ---- colours ---------------------------------------------------------------

E=$'\033'
COMPACT="$E[1;37m{$E[0m$E[34;1m\"a\"$E[0m$E[1;37m:$E[0m$E[1;37m[$E[0;37m1$E[0m$E[1;37m,$E[0;32m\"x\"$E[0m$E[1;37m,$E[0;90mnull$E[0m$E[1;37m,$E[0;37mtrue$E[0m$E[1;37m,$E[0;37mfalse$E[0m$E[1;37m,$E[1;37m{}$E[0m$E[1;37m$E[1;37m]$E[0m$E[1;37m$E[1;37m}$E[0m"

@test "-C colours as jq 1.7.1 does, with its default colours" {
	printf '{"a":[1,"x",null,true,false,{}]}\n' >"$T/in"
	run_to "$T/out" -C cat "$T/in"
	[[ $status -eq 0 ]] || fail "$stderr"
	printf '%s\n' "$COMPACT" >"$T/want"
	cmp "$T/want" "$T/out"
	run_to "$T/out" --color-output cat "$T/in"
	cmp "$T/want" "$T/out"
}

@test "-C --to pretty indents with colours" {
	printf '{"a":{"b":[]}}\n' >"$T/in"
	run_to "$T/out" -C --to pretty cat "$T/in"
	printf '%s\n' "$E[1;37m{
  $E[0m$E[34;1m\"a\"$E[0m$E[1;37m: $E[0m$E[1;37m{
    $E[0m$E[34;1m\"b\"$E[0m$E[1;37m: $E[0m$E[1;37m[]$E[0m$E[1;37m
  $E[1;37m}$E[0m$E[1;37m
$E[1;37m}$E[0m" >"$T/want"
	cmp "$T/want" "$T/out"
}

@test "colours on a terminal by default; never with -M, NO_COLOR, a pipe or a file" {
	printf '{"a":[1,"x",null,true,false,{}]}\n' >"$T/in"
	printf '%s\n' "$COMPACT" >"$T/want"
	python3 "$PTY" "$EVPIPE" cat "$T/in" >"$T/out"
	cmp "$T/want" "$T/out"
	python3 "$PTY" "$EVPIPE" -M cat "$T/in" >"$T/out"
	cmp "$T/in" "$T/out"
	python3 "$PTY" "$EVPIPE" --monochrome-output -C cat "$T/in" >"$T/out"
	cmp "$T/in" "$T/out"
	NO_COLOR=1 python3 "$PTY" "$EVPIPE" cat "$T/in" >"$T/out"
	cmp "$T/in" "$T/out"
	python3 "$PTY" "$EVPIPE" -o "$T/file" cat "$T/in" >"$T/out"
	cmp "$T/in" "$T/file"
	"$EVPIPE" cat "$T/in" | cat >"$T/out"
	cmp "$T/in" "$T/out"
	# --to csv is never coloured; -C asks for what cannot be
	python3 "$PTY" "$EVPIPE" --to csv cat "$T/in" >"$T/out"
	[[ $(<"$T/out") != *"$E"* ]]
	run_to "$T/out" -C --to csv cat "$T/in"
	[[ $status -eq 2 ]]
	assert_equal "$stderr" "evpipe: -C colours JSON text, not --to csv (use it with ndjson or pretty output)"
}

@test "-C with -r: strings raw and plain, the rest coloured; dead letters plain" {
	printf '{"p":"a"}\n{"p":1}\nbad\n' >"$T/in"
	run_to "$T/out" -C -r --dlq "$T/dlq" map .p "$T/in"
	printf 'a\n%s\n' "$E[0;37m1$E[0m" >"$T/want"
	cmp "$T/want" "$T/out"
	[[ $(<"$T/dlq") != *"$E"* ]]
}

@test "JQ_COLORS overrides the colours in jq's format; a bad one is a warning" {
	printf '[null,false,true,1,"s",{"k":[]}]\n' >"$T/in"
	JQ_COLORS='1;30:0;31:0;32:0;36:0;33:1;35:1;36:4;34' run_to "$T/out" -C cat "$T/in"
	printf '%s\n' "$E[1;35m[$E[1;30mnull$E[0m$E[1;35m,$E[0;31mfalse$E[0m$E[1;35m,$E[0;32mtrue$E[0m$E[1;35m,$E[0;36m1$E[0m$E[1;35m,$E[0;33m\"s\"$E[0m$E[1;35m,$E[1;36m{$E[0m$E[4;34m\"k\"$E[0m$E[1;36m:$E[0m$E[1;35m[]$E[0m$E[1;36m$E[1;36m}$E[0m$E[1;35m$E[1;35m]$E[0m" >"$T/want"
	cmp "$T/want" "$T/out"
	# fewer colours than eight: the rest keep their defaults
	printf 'null\n"s"\n' >"$T/in"
	JQ_COLORS='4;31' run_to "$T/out" -C cat "$T/in"
	printf '%s\n%s\n' "$E[4;31mnull$E[0m" "$E[0;32m\"s\"$E[0m" >"$T/want"
	cmp "$T/want" "$T/out"
	JQ_COLORS='red' run_to "$T/out" -C cat "$T/in"
	[[ $status -eq 0 ]]
	[[ $stderr == *"JQ_COLORS: 'r' in colour 1: only digits and ';' are allowed"* ]] || fail "$stderr"
	printf '%s\n%s\n' "$E[0;90mnull$E[0m" "$E[0;32m\"s\"$E[0m" >"$T/want"
	cmp "$T/want" "$T/out"
}

# ---- --from combined -------------------------------------------------------

@test "--from combined: typed fields, the common format, junk requests; bad lines rejected with their line" {
	cd "$F"
	run_to "$T/out" --from combined --dlq "$T/dlq" cat access.log
	[[ $status -eq 1 ]]
	diff -u access.out.ndjson "$T/out"
	diff -u access.err <(printf '%s\n' "$stderr")
	run jq -c '[.line, .stage]' "$T/dlq"
	assert_output "$(printf '[8,"input"]\n[9,"input"]\n[10,"input"]\n[11,"input"]\n[12,"input"]\n[14,"input"]')"
}

@test "--from combined: filter on the typed fields" {
	run_to "$T/out" --from combined filter '.status >= 400' then map '{remote_addr, status, bytes}' "$F/access.log"
	same "$T/out" '{"remote_addr":"192.0.2.8","status":400,"bytes":157}\n{"remote_addr":"192.0.2.9","status":408,"bytes":0}\n'
}

# ---- --from syslog ---------------------------------------------------------

# year_for MM-DD HH:MM:SS: the year a syslog line of that date is read in
# now (the current one, or the one before if more than 31 days ahead).
year_for() {
	local y t
	y=$(date +%Y)
	t=$(date -d "$y-$1" +%s)
	((t - $(date +%s) > 31 * 86400)) && y=$((y - 1))
	echo "$y"
}

@test "--from syslog: RFC 5424 and 3164 line by line; bad lines rejected with their line" {
	cd "$F"
	export TZ=UTC
	sed "s/@Y11@/$(year_for '10-11 22:14:15')/; s/@Y1@/$(year_for '10-01 17:32:18')/" syslog.out.ndjson >"$T/want"
	run_to "$T/out" --from syslog --dlq "$T/dlq" cat syslog.log
	[[ $status -eq 1 ]]
	diff -u "$T/want" "$T/out"
	diff -u syslog.err <(printf '%s\n' "$stderr")
	run jq -c '.line' "$T/dlq"
	assert_output "$(printf '12\n13\n14\n15\n16\n17')"
}

@test "--from syslog: a 3164 time is local (TZ) and in the year that is not far ahead" {
	printf '<13>Jun 15 12:00:00 h app: summer\n<13>Jan 15 12:00:00 h app: winter\n' >"$T/in"
	TZ=Europe/Berlin run_to "$T/out" --from syslog map .timestamp "$T/in"
	same "$T/out" "\"$(year_for '06-15 12:00:00')-06-15T12:00:00+02:00\"\n\"$(year_for '01-15 12:00:00')-01-15T12:00:00+01:00\"\n"
	ahead=$(date -d '+60 days' '+%b %e %H:%M:%S')
	behind=$(date -d '-2 days' '+%b %e %H:%M:%S')
	printf '%s h a: x\n%s h a: y\n' "$ahead" "$behind" >"$T/in"
	TZ=UTC run_to "$T/out" --from syslog map '.timestamp[0:4]' "$T/in"
	same "$T/out" "\"$(($(date -d '+60 days' +%Y) - 1))\"\n\"$(date -d '-2 days' +%Y)\"\n"
}
