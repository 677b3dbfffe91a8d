#!/usr/bin/env bats
# The expression language against jq 1.6, its oracle: every expression of
# fixtures/expr/exprs.txt through "evpipe map" and "evpipe filter" must
# print what jq prints (tests/expr-diff.sh), except the documented
# differences of fixtures/expr/jq16-differences.txt, checked one by one.

load test_helper

setup() {
	command -v jq >/dev/null || fail "jq is not installed (make deps)"
	jq --version | grep -q '^jq-1\.6' || fail "the oracle must be jq 1.6, not $(jq --version)"
}

# diff_range FIRST COUNT: expressions FIRST..FIRST+COUNT-1 must agree.
diff_range() {
	run "$REPO/tests/expr-diff.sh" "$EVPIPE" "$1" "$2"
	echo "$output" | head -60
	assert_success
}

@test "the expression table has at least 300 expressions" {
	local n
	n=$(grep -v '^#' "$FIXTURES/expr/exprs.txt" | grep -vc '^$')
	((n >= 300)) || fail "only $n expressions"
}

@test "same as jq 1.6: expressions 1-50" { diff_range 1 50; }
@test "same as jq 1.6: expressions 51-100" { diff_range 51 50; }
@test "same as jq 1.6: expressions 101-150" { diff_range 101 50; }
@test "same as jq 1.6: expressions 151-200" { diff_range 151 50; }
@test "same as jq 1.6: expressions 201-250" { diff_range 201 50; }
@test "same as jq 1.6: expressions 251-300" { diff_range 251 50; }
@test "same as jq 1.6: expressions 301-350" { diff_range 301 50; }
@test "same as jq 1.6: expressions 351-400" { diff_range 351 50; }
@test "same as jq 1.6: expressions 401-450" { diff_range 401 50; }
@test "same as jq 1.6: expressions 451-500" { diff_range 451 50; }

# diff_case LINE: line LINE of jq16-differences.txt holds for evpipe, and
# jq 1.6 prints something else (or fails, or does not finish in 2 s).
diff_case() {
	local line e in want why got jqout
	line=$(grep -v '^#' "$FIXTURES/expr/jq16-differences.txt" | grep -v '^$' | sed -n "${1}p")
	IFS=$'\t' read -r e in want why <<<"$line"
	[[ -n $e ]] || fail "no difference number $1"
	got=$(printf '%s\n' "$in" | "$EVPIPE" map -- "$e" | paste -sd ' ')
	[[ $got == "$want" ]] || fail "$e on $in: evpipe gave '$got', want '$want' ($why)"
	jqout=$(printf '%s\n' "$in" | timeout 2 jq -c "$e" 2>/dev/null | paste -sd ' ') || true
	[[ $jqout != "$want" ]] || fail "$e: jq 1.6 agrees ('$jqout'): not a difference"
}

@test "jq 1.6 difference 1: jq 1.6 yields the first output for limit(0; f); 1.7 fixed it" { diff_case 1; }
@test "jq 1.6 difference 2: a string times 0.5 is the empty string (jq 1.7.1)" { diff_case 2; }
@test "jq 1.6 difference 3: jq 1.6 lets try catch its internal break in |= and deletes t" { diff_case 3; }
@test "jq 1.6 difference 4: index/rindex/indices count code points, not bytes" { diff_case 4; }
@test "jq 1.6 difference 5: jq 1.6 never returns" { diff_case 5; }
@test "jq 1.6 difference 6: jq 1.6 recurses until it runs out of memory on an empty matc" { diff_case 6; }
@test "jq 1.6 difference 7: integers that fit in 64 bits are kept exactly; jq 1.6 rounds" { diff_case 7; }
@test "jq 1.6 difference 8: an unchanged event is passed on byte for byte; jq reprints i" { diff_case 8; }
@test "jq 1.6 difference 9: jq 1.6 writes a NUL as \0 in @sh @csv @tsv" { diff_case 9; }
@test "jq 1.6 difference 10: jq 1.6 lacks @base32 and @base32d" { diff_case 10; }
@test "jq 1.6 difference 11: jq 1.6 lacks @base32d" { diff_case 11; }

# jq 1.6 as first released aborts here; Debian's later 1.6 writes U+FFFD
# too, so this is no difference to test against whichever jq is installed
@test "implode of an invalid code point writes U+FFFD" {
	run "$EVPIPE" map -- implode <<<'[-1]'
	[[ $status -eq 0 ]]
	assert_output "\"$(printf '\357\277\275')\""
}

@test "jq 1.6 difference 12: jq 1.6 does not parse __loc__ as an object shorthand (1.7 d" { diff_case 12; }
@test "jq 1.6 difference 13: error(null) caught by try yields null as in jq 1.7.1" { diff_case 13; }
@test "jq 1.6 difference 14: error with a null message is caught inside a generator too" { diff_case 14; }
@test "jq 1.6 difference 15: sub with several outputs zips them (jq 1.7.1)" { diff_case 15; }
@test "jq 1.6 difference 16: sub zips the outputs of a replacement with captures" { diff_case 16; }
@test "jq 1.6 difference 17: gsub zips the outputs, null adds nothing" { diff_case 17; }
@test "jq 1.6 difference 18: sub with no replacement keeps the string (jq 1.7.1)" { diff_case 18; }
@test "jq 1.6 difference 19: ^ matches once in gsub (jq 1.7.1)" { diff_case 19; }
@test "jq 1.6 difference 20: look-behind sees the whole string in gsub (jq 1.7.1)" { diff_case 20; }
@test "jq 1.6 difference 21: an empty match at the end counts (jq 1.7.1)" { diff_case 21; }
@test "jq 1.6 difference 22: a number literal keeps its text (3.0)" { diff_case 22; }
@test "jq 1.6 difference 23: a number literal keeps its text (beyond 2^64)" { diff_case 23; }
@test "jq 1.6 difference 24: a number literal keeps its text (1e1000 | tostring)" { diff_case 24; }
@test "jq 1.6 difference 25: a negated literal keeps its text" { diff_case 25; }
@test "jq 1.6 difference 26: numbers keep their text when an event is rebuilt" { diff_case 26; }
@test "jq 1.6 difference 27: nth past the last output yields nothing (jq 1.7.1)" { diff_case 27; }
