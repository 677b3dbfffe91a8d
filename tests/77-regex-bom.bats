#!/usr/bin/env bats
# Regular expressions iterate as jq 1.7.1 does, and a UTF-8 byte order
# mark at the very start of an input is skipped.
#
# Regex: every expected value below is what jq 1.7.1 prints (its
# builtin.jq: sub is a reduce over match($re; $flags), gsub is sub with
# "g", scan and splits are built on match(...; "g"); its f_match searches
# the whole string from where the last match ended, and searches again at
# the very end).  Debian's /usr/bin/jq is 1.6, which differs on most of
# these; where it does, a comment says what 1.6 prints.  Where evpipe
# does not follow 1.7.1 either (an empty match steps one code point, not
# one byte), the comment says so.
#
# BOM: NDJSON (the prescan's fast path and the plain reader), stdin,
# --from json, json-seq, logfmt, a TCP client, -F across a rotation, -v,
# a BOM that is not at the start, and a checkpoint resumed after one.

load test_helper
load bg_helper

setup() {
	bg_setup
}

teardown() {
	bg_teardown
}

# jqmap INPUT EXPR: what "evpipe map EXPR" prints for the one event INPUT.
jqmap() {
	run --separate-stderr "$EVPIPE" map -- "$2" <<<"$1"
}

BOM=$'\xef\xbb\xbf'

# ---- regular expressions ----------------------------------------------------

@test "regex: ^ and look-behind see the whole string in gsub (1.6: [\"XXX\",\"aXa\"])" {
	jqmap '{"s":"aaa"}' '.s|[gsub("^a";"X"), gsub("(?<=a)a";"X")]'
	assert_success
	assert_output '["Xaa","aXX"]'
}

@test "regex: gsub(\"^\"; \">\") inserts once (1.6: \">f>o>o\")" {
	jqmap '"foo"' 'gsub("^";">")'
	assert_success
	assert_output '">foo"'
}

@test "regex: an empty match at the end counts (1.6: \"-a-b-c\" and 3)" {
	jqmap '"abc"' '[gsub("";"-"), ([match("";"g")]|length)]'
	assert_success
	assert_output '["-a-b-c-",4]'
}

@test "regex: match offsets with g" {
	jqmap '"aaa"' '[match("a";"g")|.offset]'
	assert_success
	assert_output '[0,1,2]'
}

@test "regex: gsub(\"a*\") matches the empty string after aaa too, as jq 1.7.1, Perl and PCRE do" {
	# after "aaa" the search at the c finds an empty match: jq 1.7.1
	# prints "-b--c-" (1.6 does not finish)
	jqmap '"baaac"' 'gsub("a*";"-")'
	assert_success
	assert_output '"-b--c-"'
}

@test "regex: splits and split/2" {
	jqmap '"ab,cd,   ef, gh"' '[splits(", *")]'
	assert_success
	assert_output '["ab","cd","ef","gh"]'
	# an empty match at the end splits off an empty string (1.6: ["","a","b"])
	jqmap '"ab"' '[splits("")]'
	assert_output '["","a","b",""]'
	jqmap '"aXbX"' 'split("x";"gi")'
	assert_output '["a","b",""]'
}

@test "regex: scan, with and without groups, and scan/2 with flags" {
	jqmap '"abcdefabc"' '[scan("c")]'
	assert_success
	assert_output '["c","c"]'
	jqmap '"abab"' '[scan("(a)(b)?")]'
	assert_output '[["a","b"],["a","b"]]'
	jqmap '"xaa"' '[scan("(a)(b)?")]'
	assert_output '[["a",null],["a",null]]'
	# scan/2 is jq 1.7's (1.6 has scan/1 only)
	jqmap '"aAbB"' '[scan("a";"i")]'
	assert_output '["a","A"]'
}

@test "regex: sub with a named capture in the replacement" {
	jqmap '"abc"' 'sub("(?<x>a)";"\(.x)!")'
	assert_success
	assert_output '"a!bc"'
	jqmap '"abcabc"' 'sub("(?<x>b)";"[\(.x)]";"g")'
	assert_output '"a[b]ca[b]c"'
	jqmap '"abc"' 'capture("(?<x>b)(?<y>z)?")'
	assert_output '{"x":"b","y":null}'
}

@test "regex: gsub(\"\\\\b\") marks each word boundary once (1.6: recurses)" {
	jqmap '"ab cd"' 'gsub("\\b";"|")'
	assert_success
	assert_output '"|ab| |cd|"'
}

@test "regex: non-ASCII subjects: an empty match steps one code point, offsets count code points" {
	# jq 1.7.1 steps one byte after an empty match and so matches inside
	# a character: it prints "-ä--ö--ü--" and offsets [0,1,1,2,2,3,3];
	# evpipe never splits a UTF-8 sequence
	jqmap '"äöü"' 'gsub("";"-")'
	assert_success
	assert_output '"-ä-ö-ü-"'
	jqmap '"äöü"' '[match("";"g")|.offset]'
	assert_output '[0,1,2,3]'
	jqmap '"aé-b"' '[match("[a-z]";"g")|.offset]'
	assert_output '[0,3]'
}

@test "regex: look-behind for ^ matches only at the start of the whole string (1.6: \"aXX\")" {
	jqmap '"aaa"' 'gsub("(?<=^a)a";"X")'
	assert_success
	assert_output '"aXa"'
}

@test "regex: several outputs of the replacement are zipped over the matches (1.6 combines them)" {
	jqmap '"abcbd"' '[gsub("(?<x>[bd])"; if .x=="b" then "1","2" else "3" end)]'
	assert_success
	assert_output '["a1c13","a2c2"]'
	# no output at all leaves the string as it is (1.6: no output)
	jqmap '"abcb"' '[gsub("b"; empty)]'
	assert_output '["abcb"]'
	jqmap '"abc"' 'sub("b"; null)'
	assert_output '"ac"'
}

@test "regex: a replacement that is not a string is jq's error" {
	jqmap '"abc"' 'sub("b"; 1)'
	assert_failure 1
	assert_equal "$stderr" 'evpipe: map: <stdin>:1: string ("a") and number (1) cannot be added'
	jqmap '"abc"' 'try sub("b"; error("boom")) catch .'
	assert_output '"boom"'
}

@test "regex: the flags g i x n s l p" {
	jqmap '"a\nb"' '[test("a.b"), test("a.b";"p"), test("a.b";"s"), test("A";"i"), test("a b";"x"), test("T";"xi")]'
	assert_success
	assert_output '[false,true,false,true,false,false]'
	jqmap '"abc"' '[([match("";"gn")]|length), ([match("b";"l")]|length)]'
	assert_output '[0,1]'
	jqmap '"ab\ncd"' '[([match("^c";"g")]|length), ([match("b$";"g")]|length)]'
	assert_output '[0,0]'
	jqmap '"abc"' '"q" as $f | try test("a";$f) catch .'
	assert_output '"q is not a valid modifier string"'
}

@test "regex: a pattern that does not compile is jq's Regex failure, with the offset" {
	# computed per event: jq's error for the event
	jqmap '"abc"' '"(" as $re | test($re)'
	assert_failure 1
	assert_equal "$stderr" 'evpipe: map: <stdin>:1: Regex failure: missing closing parenthesis (at offset 1 of "(")'
	jqmap '"abc"' '"[" as $re | try sub($re;"x") catch (.|startswith("Regex failure: "))'
	assert_output 'true'
	# written as a literal: the same message when the command line is read
	jqmap '"abc"' 'test("(")'
	assert_failure 2
	[[ $stderr == *'Regex failure: missing closing parenthesis (at offset 1 of "(")'* ]] || fail "$stderr"
}

@test "regex: a million matches in gsub stay within the step limit, and too many are an error" {
	jqmap '{}' '("ab" * 1000000) | gsub("(?<x>a)";"\(.x)x") | length'
	assert_success
	assert_output '3000000'
	jqmap '{}' '("ab" * 2000000) | [match("";"g")] | length'
	assert_failure 1
	assert_equal "$stderr" 'evpipe: map: <stdin>:1: expression evaluation exceeded 20000000 steps'
}

# ---- the byte order mark ----------------------------------------------------

@test "BOM: an NDJSON file, on the prescan's path and the plain reader's, with -v said once" {
	printf '%s{"a":1}\n{"a":2}\n' "$BOM" >f.ndjson
	run --separate-stderr "$EVPIPE" cat f.ndjson
	assert_success
	assert_output $'{"a":1}\n{"a":2}'
	assert_equal "$stderr" ''
	EVPIPE_NO_PRESCAN=1 run --separate-stderr "$EVPIPE" filter '.a > 0' f.ndjson
	assert_success
	assert_output $'{"a":1}\n{"a":2}'
	run --separate-stderr "$EVPIPE" -v map '.a' f.ndjson f.ndjson
	assert_success
	assert_output $'1\n2\n1\n2'
	run grep -c 'byte order mark' <<<"$stderr"
	assert_output 2
	run grep -Fx 'evpipe: f.ndjson: skipped a UTF-8 byte order mark' <<<"$stderr"
	assert_success
	EVPIPE_NO_PRESCAN=1 run --separate-stderr "$EVPIPE" -v cat f.ndjson
	run grep -c 'evpipe: f.ndjson: skipped a UTF-8 byte order mark' <<<"$stderr"
	assert_output 1
}

@test "BOM: stdin, --from json (an array), --from json-seq, --from logfmt, --from csv" {
	run --separate-stderr "$EVPIPE" -v cat < <(printf '%s{"a":1}\n' "$BOM")
	assert_success
	assert_output '{"a":1}'
	[[ $stderr == *'evpipe: <stdin>: skipped a UTF-8 byte order mark'* ]] || fail "$stderr"
	run --separate-stderr "$EVPIPE" --from json cat < <(printf '%s[{"a":1},\n {"b":2}]' "$BOM")
	assert_success
	assert_output $'{"a":1}\n{"b":2}'
	run --separate-stderr "$EVPIPE" --from json-seq cat < <(printf '%s\x1e{"a":1}\n\x1e{"a":2}\n' "$BOM")
	assert_success
	assert_output $'{"a":1}\n{"a":2}'
	run --separate-stderr "$EVPIPE" --from logfmt cat < <(printf '%sa=1 b=x\n' "$BOM")
	assert_success
	assert_output '{"a":"1","b":"x"}'
	run --separate-stderr "$EVPIPE" -v --from csv cat < <(printf '%sa,b\n1,2\n' "$BOM")
	assert_success
	assert_output '{"a":"1","b":"2"}'
	[[ $stderr == *'skipped a UTF-8 byte order mark'* ]] || fail "$stderr"
}

@test "BOM: --from json reads a mark that arrives a byte at a time" {
	python3 -c '
import os, sys, time
for b in b"\xef\xbb\xbf[1,2]":
    os.write(1, bytes([b])); time.sleep(0.02)' | {
		run --separate-stderr "$EVPIPE" --from json cat
		assert_success
		assert_output $'1\n2'
	}
}

@test "BOM: only at the start: one in line 2 is still invalid JSON, as is a second one" {
	printf '{"a":1}\n%s{"a":2}\n' "$BOM" >f.ndjson
	run --separate-stderr "$EVPIPE" cat f.ndjson
	assert_failure 1
	assert_output '{"a":1}'
	assert_equal "$stderr" 'evpipe: input: f.ndjson:2: invalid JSON: byte order mark at column 1'
	printf '%s%s{"a":1}\n' "$BOM" "$BOM" >g.ndjson
	run --separate-stderr "$EVPIPE" cat g.ndjson
	assert_failure 1
	assert_equal "$stderr" 'evpipe: input: g.ndjson:1: invalid JSON: byte order mark at column 1'
	run --separate-stderr "$EVPIPE" --from json cat < <(printf '[1,%s2]' "$BOM")
	assert_failure 1
}

@test "BOM: each TCP client's first bytes" {
	bg_start -v -i tcp://127.0.0.1:0 cat
	local u i port
	for ((i = 0; i < 400; i++)); do
		u=$(grep -o 'tcp://[^ ]*' err 2>/dev/null | head -1)
		[[ -n $u ]] && break
		sleep 0.05
	done
	[[ -n $u ]] || fail "evpipe did not say where it listens: $(cat err)"
	port=${u##*:}
	python3 - "$port" <<'EOF'
import socket, sys
for n in (1, 2):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    s.sendall(b'\xef\xbb\xbf{"c":%d}\n\xef\xbb\xbf{"bad":%d}\n' % (n, n))
    s.close()
EOF
	wait_lines out 2
	for ((i = 0; i < 400; i++)); do
		(($(grep -c 'invalid JSON' err) >= 2)) && break
		sleep 0.05
	done
	stop
	run sort out
	assert_output $'{"c":1}\n{"c":2}'
	run grep -c 'skipped a UTF-8 byte order mark' err
	assert_output 2
	run grep -c ':2: invalid JSON: byte order mark at column 1' err
	assert_output 2
}

@test "BOM: -F skips one at the start of the file and of the file that replaces it after a rotation" {
	printf '%s{"a":1}\n' "$BOM" >app.ndjson
	export EVPIPE_FOLLOW_POLL=1
	bg_start -v -F cat app.ndjson
	wait_lines out 1
	printf '%s{"a":2}\n' "$BOM" >>app.ndjson # appended: not the start
	mv app.ndjson app.ndjson.1
	printf '%s{"a":3}\n' "$BOM" >app.ndjson
	wait_lines out 2
	for ((i = 0; i < 400; i++)); do
		grep -q 'invalid JSON' err && break
		sleep 0.05
	done
	stop
	same out '{"a":1}\n{"a":3}\n'
	run grep -c 'evpipe: app.ndjson: skipped a UTF-8 byte order mark' err
	assert_output 2
	run grep -c 'app.ndjson:2: invalid JSON: byte order mark at column 1' err
	assert_output 1
}

@test "BOM: a checkpoint counts the mark's bytes, and a restart neither reads an event again nor skips one" {
	printf '%s{"a":1}\n{"a":2}\n' "$BOM" >app.ndjson
	bg_start -F --checkpoint ck.json cat app.ndjson
	wait_lines out 2
	stop
	run python3 -c 'import json; print(json.load(open("ck.json"))["files"][0]["offset"])'
	assert_output 19
	printf '{"a":3}\n' >>app.ndjson
	bg_start -F --checkpoint ck.json cat app.ndjson
	wait_lines out 3
	stop
	same out '{"a":1}\n{"a":2}\n{"a":3}\n'
	same err ''
}

@test "BOM: --from json with a checkpoint reads the file from its start again and skips what was delivered" {
	printf '%s[{"a":1},\n{"a":2}' "$BOM" >app.json
	bg_start -F --from json --checkpoint ck.json cat app.json
	wait_lines out 2
	stop
	printf ',\n{"a":3}]\n' >>app.json
	bg_start -F --from json --checkpoint ck.json cat app.json
	wait_lines out 3
	stop
	same out '{"a":1}\n{"a":2}\n{"a":3}\n'
}
