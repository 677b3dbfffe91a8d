#!/usr/bin/env bats
# The jq language beyond builtins: def (functions with closure and value
# parameters, recursion, lexical scope, path expressions through them).
#
# Every expected value is what jq 1.7.1 prints; where a case is one of
# the vendored jq.test/man.test groups, the comment names its line.
# Debian's /usr/bin/jq (1.6) agrees on all of the def cases.

load test_helper

# jqmap INPUT EXPR: what "evpipe map EXPR" prints for the one event INPUT.
jqmap() {
	run --separate-stderr "$EVPIPE" map -- "$2" <<<"$1"
}

# ---- def ----------------------------------------------------------------------

@test "def: recursion (jq.test:750)" {
	jqmap '[1,2,3,4]' 'def fac: if . == 1 then 1 else . * (. - 1 | fac) end; [.[] | fac]'
	assert_success
	assert_output '[1,2,6,24]'
}

@test "def: a generator body, nested and shadowing definitions (jq.test:645, 650, 659)" {
	jqmap '3' 'def f: . + 1; def g: def g: . + 100; f | g | f; (f | g), g'
	assert_success
	assert_output $'106\n105'
	jqmap '123412345' 'def f: (1000,2000); f'
	assert_output $'1000\n2000'
	jqmap 'null' 'def f: 1; def g: f, def f: 2; def g: 3; f, def f: g; f, g; def f: 4; [f, def f: g; def g: 5; f, g]+[f,g]'
	assert_success
	assert_output '[4,1,2,3,3,5,4,1,2,3,3]'
}

@test "def: a long list of definitions does not nest (500 in a row)" {
	local e="" i
	for ((i = 1; i <= 500; i++)); do e+="def f$i: $i; "; done
	jqmap 'null' "$e [f1, f250, f500]"
	assert_success
	assert_output '[1,250,500]'
}

@test "def: closure parameters are evaluated where the call is (jq.test:721, 669)" {
	jqmap '[1,2,3]' 'def f(x): x | x; f([.], . + [42])'
	assert_success
	assert_output $'[[[1,2,3]]]\n[[1,2,3],42]\n[[1,2,3,42]]\n[1,2,3,42,42]'
	jqmap '[0,1,2,3,4,5,6,7,8,9]' 'def f(a;b;c;d;e;f;g;h;i;j): [j,i,h,g,f,e,d,c,b,a]; f(.[0];.[1];.[2];.[3];.[4];.[5];.[6];.[7];.[8];.[9])'
	assert_output '[9,8,7,6,5,4,3,2,1,0]'
}

@test "def: lexical scope of variables and functions (jq.test:734, 745, 729)" {
	jqmap '"more testing"' 'def id(x):x; 2000 as $x | def f(x):1 as $x | id([$x, x, x]); def g(x): 100 as $x | f($x,$x+x); g($x)'
	assert_success
	assert_output '[1,100,2100,100,2100]'
	jqmap '999999999' '[[20,10][1,0] as $x | def f: (100,200) as $y | def g: [$x + $y, .]; . + $x | g; f[0] | [f][0][1] | f]'
	assert_output '[[110,130],[210,130],[110,230],[210,230],[120,160],[220,160],[120,260],[220,260]]'
	jqmap '1' 'def f: .+1; def g: f; def f: .+100; def f(a):a+.+11; [(g|f(20)), f]'
	assert_output '[33,101]'
}

@test "def: a closure sees the variables of its own call, not of a deeper recursion" {
	# the argument $x of each call is that call's $x
	jqmap 'null' 'def f(g): . as $x | if $x == 0 then g else ($x - 1 | f($x)) end; [range(0;5) | f(.)]'
	assert_success
	assert_output '[0,1,1,1,1]'
	# a function passed down keeps the frame it was defined in
	jqmap 'null' 'def r(c): . as $x | def g: $x; if $x > 0 then (. - 1 | r(g)) else c end; 3 | r(.)'
	assert_output '1'
	# a recursive call's bindings do not leak into its caller's rest
	jqmap '0' 'def f: . as $x | if $x > 3 then [$x] else (($x + 1 | f) + [$x]) end; f'
	assert_output '[4,3,2,1,0]'
}

@test "def: value parameters are bound as 'x as \$x', and x is a filter too (jq.test:739)" {
	jqmap '[1,2,3]' 'def x(a;b): a as $a | b as $b | $a + $b; def y($a;$b): $a + $b; def check(a;b): [x(a;b)] == [y(a;b)]; check(.[];.[]*2)'
	assert_success
	assert_output 'true'
	jqmap 'null' 'def f($a; $b): [$a, $b, a, b]; [f(1,2; 3,4)]'
	assert_output '[[1,3,1,2,3,4],[1,4,1,2,3,4],[2,3,1,2,3,4],[2,4,1,2,3,4]]'
}

@test "def: path expressions and assignments through functions (jq.test:1094, 1139)" {
	jqmap '[{"a":1,"b":2},{"a":2,"b":4},{"a":7,"b":8}]' 'def inc(x): x |= .+1; inc(.[].a)'
	assert_success
	assert_output '[{"a":2,"b":2},{"a":3,"b":4},{"a":8,"b":8}]'
	jqmap '[0,1,2]' 'def x: .[1,2]; x=10'
	assert_output '[0,10,10]'
	jqmap '{"a":{"b":1}}' 'def f: .a; def g: f | .b; [path(g)], (g |= . + 1), del(f)'
	assert_output $'[["a","b"]]\n{"a":{"b":2}}\n{}'
}

@test "def: a definition shadows a builtin, but not inside other builtins" {
	jqmap '[1,2]' 'def select(f): "mine"; [select(true)], map(select(. > 1))'
	assert_success
	assert_output $'["mine"]\n["mine","mine"]'
	# map/1 is written with .[] inside; a def of "empty" does not reach it
	jqmap '[1,2]' 'def empty: 0; [empty], map(. + 1)'
	assert_output $'[0]\n[2,3]'
}

@test "def: recursion deeper than a C stack would allow on other engines, Fibonacci through +" {
	jqmap 'null' 'def fib: if . < 2 then . else (. - 1 | fib) + (. - 2 | fib) end; [range(20) | fib] | .[-1]'
	assert_success
	assert_output '4181'
	jqmap 'null' 'def ack(m;n): if m == 0 then n+1 elif n == 0 then ack(m-1;1) else ack(m-1; ack(m;n-1)) end; ack(2;3)'
	assert_output '9'
	# a loop written as recursion through a pipe: 900 calls deep
	jqmap '0' 'def f: if . >= 900 then . else (. + 1 | f) end; f'
	assert_output '900'
	jqmap 'null' 'def f($n): if $n == 0 then 0 else f($n - 1) + 1 end; f(700)'
	assert_output '700'
	# lazily: only what limit asks for of an endless recursion
	jqmap '0' '[limit(5; def f: ., (. + 1 | f); f)]'
	assert_output '[0,1,2,3,4]'
}

@test "def: runaway recursion is an error of the event, never a crash" {
	for e in 'def f: f; f' 'def f: 1, f; [f]' 'def f: [f]; f'; do
		jqmap '{"a":1}' "$e"
		assert_failure 1
		assert_equal "$stderr" "evpipe: map: <stdin>:1: f/0: recursion too deep (more than 1000 nested calls)"
	done
	jqmap 'null' 'def f($n): if $n == 0 then 0 else f($n - 1) + 1 end; f(100000)'
	assert_failure 1
	[[ $stderr == "evpipe: map: <stdin>:1: expression nesting too deep (in "*" nested calls of def'd functions)" ]] || fail "$stderr"
	jqmap '0' 'def f: if . >= 100000 then . else (. + 1 | f) end; f'
	assert_failure 1
	assert_equal "$stderr" "evpipe: map: <stdin>:1: f/0: recursion too deep (more than 1000 nested calls)"
	# an endless loop that does not nest is stopped by the step limit
	jqmap 'null' 'def spin: until(false; .); 1 | spin'
	assert_failure 1
	assert_equal "$stderr" "evpipe: map: <stdin>:1: expression evaluation exceeded 20000000 steps"
	# the next event is evaluated afresh
	run --separate-stderr "$EVPIPE" map -- 'def f($n): if $n == 0 then . else f($n - 1) end; f(.n)' <<<$'{"n":100000}\n{"n":3}'
	assert_failure 1
	assert_output '{"n":3}'
}

@test "def: compile errors name the function and its arity, with a caret" {
	run --separate-stderr "$EVPIPE" map -- 'def f: g; f'
	assert_failure 2
	assert_equal "$stderr" "evpipe: map: expression: column 8: g/0 is not defined
  def f: g; f
         ^"
	run --separate-stderr "$EVPIPE" map -- 'def f(a): a; f'
	assert_failure 2
	[[ $stderr == *"column 14: f/0 is not defined"* ]] || fail "$stderr"
	run --separate-stderr "$EVPIPE" map -- 'def f: 1; f(2)'
	assert_failure 2
	[[ $stderr == *"column 11: f/1 is not defined"* ]] || fail "$stderr"
	# parameters are visible in the body only
	run --separate-stderr "$EVPIPE" map -- 'def f($a): $a; $a'
	assert_failure 2
	[[ $stderr == *'column 16: $a is not defined'* ]] || fail "$stderr"
	run --separate-stderr "$EVPIPE" map -- 'def f: 1'
	assert_failure 2
	[[ $stderr == *"column 9: syntax error: expected ';' ending the definition, found end of expression"* ]] || fail "$stderr"
	run --separate-stderr "$EVPIPE" map -- 'def (a): 1; 2'
	assert_failure 2
	[[ $stderr == *"column 5: syntax error: expected a function name after 'def'"* ]] || fail "$stderr"
}

@test "def: in filter, and the fast paths decline a def'd function" {
	printf '%s\n' '{"type":"a","n":1}' '{"type":"b","n":2}' '{"type":"a","n":3}' >"$BATS_TEST_TMPDIR/in"
	run --separate-stderr "$EVPIPE" filter -- 'def kind: .type; kind == "a"' "$BATS_TEST_TMPDIR/in"
	assert_success
	assert_output $'{"type":"a","n":1}\n{"type":"a","n":3}'
	run --separate-stderr "$EVPIPE" map -- 'def twice(f): f | f; {n: (.n | twice(. * 10))}' "$BATS_TEST_TMPDIR/in"
	assert_output $'{"n":100}\n{"n":200}\n{"n":300}'
}

# ---- if without else ------------------------------------------------------------

@test "if without else is 'else .' (jq.test:1179, 1183, 1191)" {
	jqmap '7' '[if true then 3 end]'
	assert_success
	assert_output '[3]'
	jqmap '7' '[if false then 3 end]'
	assert_output '[7]'
	jqmap '7' '[if false then 3 elif false then 4 end]'
	assert_output '[7]'
	# each output of the condition chooses
	jqmap '7' '[if (true, false, null) then . + 1 end]'
	assert_output '[8,7,7]'
}

@test "if without else: a path expression, in filter, and still an error when cut short" {
	jqmap '{"a":1,"b":[2]}' '[path(.[] | if type == "array" then .[0] end)], ((.[] | if type == "array" then .[0] end) |= . + 1)'
	assert_success
	assert_output $'[["a"],["b",0]]\n{"a":2,"b":[3]}'
	printf '%s\n' '{"n":1}' '{"n":5}' >"$BATS_TEST_TMPDIR/in"
	run --separate-stderr "$EVPIPE" filter -- 'if .n > 2 then true end | . == true' "$BATS_TEST_TMPDIR/in"
	assert_success
	assert_output '{"n":5}'
	run --separate-stderr "$EVPIPE" map -- 'if . then 1'
	assert_failure 2
	[[ $stderr == *"column 12: syntax error: expected 'elif', 'else' or 'end', found end of expression"* ]] || fail "$stderr"
}

# ---- label / break ----------------------------------------------------------------

@test "label/break: break stops the label's generator, outputs so far stand (jq.test:283, 287, 1903)" {
	jqmap '[0,1,2]' '[(label $here | .[] | if .>1 then break $here else . end), "hi!"]'
	assert_success
	assert_output '[0,1,"hi!"]'
	jqmap '[0,2,1]' '[(label $here | .[] | if .>1 then break $here else . end), "hi!"]'
	assert_output '[0,"hi!"]'
	jqmap 'null' '[ label $if | range(10) | ., (select(. == 5) | break $if) ]'
	assert_output '[0,1,2,3,4,5]'
}

@test "label/break: through foreach, nested labels, first and limit (jq.test:299)" {
	jqmap '[11,22,33,44,55,66,77,88,99]' '[label $out | foreach .[] as $item ([3, null]; if .[0] < 1 then break $out else [.[0] -1, $item] end; .[1])]'
	assert_success
	assert_output '[11,22,33]'
	jqmap 'null' '[label $a | (label $b | 1, break $b, 2), 3], [label $a | label $b | 1, break $a, 2]'
	assert_output $'[1,3]\n[1]'
	jqmap 'null' '[label $f | first(1, break $f, 2)], [limit(3; label $x | range(10) | if . == 5 then break $x else . end)]'
	assert_output $'[1]\n[0,1,2]'
	# once per input of the label: each evaluation is its own
	jqmap '[1,2,3]' '[.[] | label $x | if . > 1 then break $x else . end]'
	assert_output '[1]'
}

@test "label/break: a break reaches its own label through def'd calls and recursion" {
	jqmap 'null' 'def f(g): label $x | g, (1 | break $x), 9; [f(5)]'
	assert_success
	assert_output '[5]'
	jqmap 'null' '[label $x | def f: ., break $x; 1 | f, 2]'
	assert_output '[1]'
	# each recursive call's label is another one: only the innermost stops
	jqmap '0' 'def f: label $x | ., (if . > 2 then break $x else (. + 1 | f) end); [f]'
	assert_output '[0,1,2,3]'
	# a break passed down as a closure stops the label of the frame it
	# came from (the second call's: its 7 and the third call's are cut)
	jqmap '0' 'def f(b): label $x | ., (if . < 2 then (. + 1 | f(break $x)) else b end), 7; [f(empty)]'
	assert_output '[0,1,2,7]'
	jqmap '{"a":1,"b":2}' 'path(label $x | .a, break $x, .b)'
	assert_output '["a"]'
}

@test "label/break: a break without its label is a compile error (jq.test:292)" {
	run --separate-stderr "$EVPIPE" map -- '. as $foo | break $foo'
	assert_failure 2
	assert_equal "$stderr" 'evpipe: map: expression: column 19: break $foo: no label $foo around it
  . as $foo | break $foo
                    ^'
	run --separate-stderr "$EVPIPE" map -- '(label $x | 1), break $x'
	assert_failure 2
	[[ $stderr == *'break $x: no label $x around it'* ]] || fail "$stderr"
	run --separate-stderr "$EVPIPE" map -- 'label x | 1'
	assert_failure 2
	[[ $stderr == *"expected \$name after 'label'"* ]] || fail "$stderr"
}

# ---- ?// destructuring alternatives -------------------------------------------------

@test "?//: the first pattern that destructures, every variable bound, null if not its pattern's (jq.test:787)" {
	jqmap '[{"a":1, "b":[2,{"d":3}]}, [4, {"b":5, "c":6}, 7, 8, 9], "foo"]' '.[] | . as {$a, b: [$c, {$d}]} ?// [$a, {$b}, $e] ?// $f | [$a, $b, $c, $d, $e, $f]'
	assert_success
	assert_output $'[1,null,2,3,null,null]\n[4,5,null,null,7,null]\n[null,null,null,null,null,"foo"]'
	jqmap '[{"a": 1, "b": 2, "c": {"d": 3, "e": 4}}, {"a": 1, "b": 2, "c": [{"d": 3, "e": 4}]}]' '.[] as {$a, $b, c: {$d}} ?// {$a, $b, c: [{$e}]} | {$a, $b, $d, $e}'
	assert_output $'{"a":1,"b":2,"d":3,"e":null}\n{"a":1,"b":2,"d":null,"e":4}'
}

@test "?//: an error in the body tries the next alternative; the last one's error stands (man.test:842, jq.test:794, 810)" {
	jqmap '[[3]]' '.[] as [$a] ?// [$b] | if $a != null then error("err: \($a)") else {$a,$b} end'
	assert_success
	assert_output '{"a":null,"b":3}'
	jqmap '[[3],[4],[5],6]' '.[] | . as {a:$a} ?// {a:$a} ?// $a | $a'
	assert_output $'[3]\n[4]\n[5]\n6'
	jqmap '[[3],[4],[5],6]' '.[] | . as {a:$a} ?// {a:$a} ?// {a:$a} | $a'
	assert_failure 1
	assert_output ''
	assert_equal "$stderr" 'evpipe: map: <stdin>:1: Cannot index array with "a"'
	# outputs given before the error stand: the second alternative's,
	# then its error, which the ? drops with the whole array
	jqmap '[1]' '[. as [$a] ?// $b | ($a, $b, error("x"))]?, [. as [$a] ?// $b | $a, $b]'
	assert_output '[1,null]'
}

@test "?//: an error of the consumer is not the body's, limit and path see the alternatives" {
	jqmap '[[1],2]' '[(.[] as [$a] ?// $a | $a) | if . == 1 then error("consumer") else . end]'
	assert_failure 1
	assert_equal "$stderr" 'evpipe: map: <stdin>:1: consumer'
	jqmap '[[1],2,[3]]' '[limit(2; .[] as [$a] ?// $a | $a)]'
	assert_success
	assert_output '[1,2]'
	# the body's paths are of the input of the whole "as" (jq 1.6 fails here)
	jqmap '[[1],{"a":2}]' '[path(.[] as [$a] ?// {$a} | .[0]?)]'
	assert_output '[[0],[0]]'
}

@test "?//: refused in reduce and foreach (not supported there), and after a pattern only" {
	run --separate-stderr "$EVPIPE" map -- 'reduce .[] as [$a] ?// $a (0; . + $a)'
	assert_failure 2
	[[ $stderr == *"column 1: destructuring alternatives (?//) are not supported in reduce"* ]] || fail "$stderr"
	run --separate-stderr "$EVPIPE" map -- '. as [$a] ?// | $a'
	assert_failure 2
	[[ $stderr == *"expected a pattern"* ]] || fail "$stderr"
}

@test "jq 1.7.1 builtins: abs, pick, builtins" {
	run --separate-stderr "$EVPIPE" map -- 'map(abs)' <<<'[-10, -1.1, 3, "abc", null]'
	[[ $status -eq 0 ]] || fail "$stderr"
	assert_output '[10,1.1,3,"abc",null]'
	run --separate-stderr "$EVPIPE" map -- 'pick(.a.b, .c[1])' <<<'{"a":{"b":1,"x":2},"c":[5,6,7],"d":0}'
	assert_output '{"a":{"b":1},"c":[null,6]}'
	run --separate-stderr "$EVPIPE" map -- 'try pick(last) catch .' <<<'[1,2]'
	assert_output '"Out of bounds negative array index"'
	run --separate-stderr "$EVPIPE" map -- '[builtins | length > 100, (builtins | index("length/0") != null), (builtins | any(startswith("_")))]' <<<'null'
	assert_output '[true,true,false]'
}

# ---- jq 1.7.1's results where evpipe used to differ ---------------------------

@test "del and delpaths: all paths at once, from the value as it was (jq.test:1018, 1033)" {
	jqmap '[0,1,2,3,4,5,6,7,8,9]' 'del(.[1], .[-6], .[2], .[-3:9])'
	assert_success
	assert_output '[0,3,5,6,9]'
	jqmap '[1,2,3]' 'delpaths([[-200]])'
	assert_success
	assert_output '[1,2,3]'
	jqmap '{"a":[1,{"b":2,"c":3}],"d":4}' 'del(.a[1].b, .a[0], .d)'
	assert_output '{"a":[{"c":3}]}'
	jqmap '{"a":1}' 'try delpaths([[0]]) catch .'
	assert_output '"Cannot delete number field of object"'
}

@test "|= empty deletes the paths at the end, as jq 1.7.1 (jq.test:1111, 1115, 1119, 2002)" {
	jqmap '[1,5,3,0,7]' '(.[] | select(. >= 2)) |= empty'
	assert_success
	assert_output '[1,0]'
	jqmap '{"foo":[0,1,2,3,4,5]}' '.foo[1,4,2,3] |= empty'
	assert_output '{"foo":[0,5]}'
	jqmap '[0,1,2,3,4,5]' '.[] |= select(. % 2 == 0)'
	assert_output '[0,2,4]'
	jqmap '["1", "2a", "3", 4]' '.[] |= try tonumber'
	assert_output '[1,3,4]'
}

@test "nth, bsearch, repeat and walk as jq 1.7.1 (jq.test:331, 1550, 2033, 2038; man.test:629)" {
	jqmap '10' '[nth(0,5,9,10,15; range(.)), try nth(-1; range(.)) catch .]'
	assert_success
	assert_output '[0,5,9,"nth doesn'"'"'t support negative indices"]'
	jqmap '[1,2,3]' 'bsearch(0,2,4)'
	assert_output $'-1\n1\n-4'
	jqmap '1' '[repeat(.*2, error)?]'
	assert_output '[2]'
	jqmap '1' '[limit(5; repeat(.*2))]'
	assert_output '[2,2,2,2,2]'
	jqmap '{"x":0}' '[walk(.,1)]'
	assert_output '[{"x":0},1]'
	jqmap '{"a":1,"b":[]}' 'walk(select(IN({}, []) | not))'
	assert_output '{"a":1}'
}

@test "a string times a number: (int)n copies, null below 0 (jq.test:1360)" {
	jqmap '[-1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 3.7, 10.0]' '[.[] * "abc"]'
	assert_success
	assert_output '[null,null,"","","abc","abc","abcabcabc","abcabcabcabcabcabcabcabcabcabc"]'
	jqmap '2' '"ab" * ., . * "ab", ("x" * nan)'
	assert_output $'"abab"\n"abab"\nnull'
}

@test "fractional and huge indices and slices (jq.test:2043-2091)" {
	jqmap 'null' '[range(10)] | .[1.7:-4294967296], .[1.2:3.5], .[1.7:4294967295]'
	assert_success
	assert_output $'[]\n[1,2,3]\n[1,2,3,4,5,6,7,8,9]'
	jqmap 'null' '[[range(10)] | .[1.1,1.5,1.7]], ([range(5)] | .[1.1] = 5), ([range(3)] | .[nan])'
	assert_output $'[1,1,1]\n[0,5,2,3,4]\nnull'
	jqmap 'null' 'try ([range(3)] | .[nan] = 9) catch ., try ("foobar" | .[1.5:3.5] = "xyz") catch .'
	assert_output $'"Cannot set array element at NaN index"\n"Cannot update string slices"'
}

@test "error messages jq.test compares: invalid path expressions, remainder by zero (jq.test:976-984, 1131, 1709)" {
	jqmap '{"a":[{"b":0}]}' 'try path(.a | map(select(.b == 0)) | .[0]) catch ., try path(.a | map(select(.b == 0)) | .c) catch ., try path(.a | map(select(.b == 0)) | .[]) catch .'
	assert_success
	assert_output $'"Invalid path expression near attempt to access element 0 of [{\\"b\\":0}]"\n"Invalid path expression near attempt to access element \\"c\\" of [{\\"b\\":0}]"\n"Invalid path expression near attempt to iterate through [{\\"b\\":0}]"'
	jqmap '[{"a":0},{"a":1}]' 'try ((map(select(.a == 1))[].b) = 10) catch .'
	assert_output '"Invalid path expression near attempt to iterate through [{\"a\":1}]"'
	jqmap '{"a":1}' 'try path(1) catch ., try path(tostream) catch .'
	assert_output $'"Invalid path expression with result 1"\n"Invalid path expression with result [[\\"a\\"],1]"'
	jqmap '0' 'try (1%.) catch ., [nan % 1, 1 % nan | isnan]'
	assert_output $'"number (1) and number (0) cannot be divided (remainder) because the divisor is zero"\n[true,true]'
}

@test "big numbers: literals compare exactly, a computed number as a double (jq.test:1847, 1871)" {
	jqmap 'null' '13911860366432393 == 13911860366432392'
	assert_success
	assert_output 'false'
	jqmap '[-9007199254740993, 9007199254740993, 13911860366432393]' '.[] as $n | $n+0 | [., tostring, . == $n]'
	assert_output $'[-9007199254740992,"-9007199254740992",true]\n[9007199254740992,"9007199254740992",true]\n[13911860366432392,"13911860366432392",true]'
}

@test "implode's errors, on a nan the expression makes (jq.test:2019 reads nan from its input)" {
	jqmap 'null' '[123,["a"],[nan]] | map(try implode catch .)'
	assert_success
	assert_output '["implode input must be an array","string (\"a\") can'"'"'t be imploded, unicode codepoint needs to be numeric","number (null) can'"'"'t be imploded, unicode codepoint needs to be numeric"]'
}

@test "unary minus after try and catch, and in object values (jq.test:1665)" {
	jqmap '"a"' 'try -. catch .'
	assert_success
	assert_output '"string (\"a\") cannot be negated"'
	jqmap '3' 'try - - . catch ., {a: -., b: - . | -.}, [-.]'
	assert_output $'3\n{"a":-3,"b":3}\n[-3]'
	jqmap '1' 'try error catch -.'
	assert_output '-1'
}

@test "keywords as object keys and fields, {\$x: v} (jq.test:1926)" {
	jqmap 'null' '1 as $x | "2" as $y | "3" as $z | { $x, as, $y: 4, ($z): 5, if: 6, foo: 7 }'
	assert_success
	assert_output '{"x":1,"as":null,"2":4,"3":5,"if":6,"foo":7}'
	jqmap '{"as":1,"then":2,"reduce":3}' '.as, .then, {reduce, $__loc__}'
	assert_output $'1\n2\n{"reduce":3,"__loc__":{"file":"<top-level>","line":1}}'
}

@test "a constant object key that is no string is an error of the program (jq.test:113, 117)" {
	jqmap 'null' '{(0):1}'
	assert_failure 2
	[[ $stderr == *"Cannot use number (0) as object key"* ]] || fail "$stderr"
	jqmap 'null' '{non_const:., (true):1}'
	assert_failure 2
	[[ $stderr == *"Cannot use boolean (true) as object key"* ]] || fail "$stderr"
	jqmap 'null' '{(1,"a"):1}'
	assert_failure 1
	[[ $stderr == *"Cannot use number (1) as object key"* ]] || fail "$stderr"
}

@test "debug and stderr write to stderr, the value goes on (jq.test:1953)" {
	jqmap '1' 'debug, debug("m", "n"), stderr'
	assert_success
	assert_output $'1\n1\n1'
	assert_equal "$stderr" $'["DEBUG:",1]\n["DEBUG:","m"]\n["DEBUG:","n"]\n1'
}

@test "localtime, strflocaltime, mktime and gmtime with the zone of TZ (jq.test:1566, 1575)" {
	TZ=Asia/Tokyo run --separate-stderr "$EVPIPE" map -- 'localtime, strflocaltime("%Y-%m-%dT%H:%M:%S %Z"), (localtime | mktime), (gmtime | mktime), strftime("%H %Z")' <<<1425599507
	assert_success
	assert_output $'[2015,2,6,8,51,47,5,64]\n"2015-03-06T08:51:47 JST"\n1425631907\n1425599507\n"23 UTC"'
	TZ=UTC run --separate-stderr "$EVPIPE" map -- 'localtime == gmtime' <<<1425599507
	assert_output 'true'
	jqmap '["a",1,2,3,4,5,6,7]' 'try strflocaltime("%Y") catch ., try mktime catch ., try localtime catch .'
	assert_output $'"strflocaltime/1 requires parsed datetime inputs"\n"mktime requires parsed datetime inputs"\n"localtime() requires a number"'
}

@test "trim, ltrim, rtrim, toarray, have_literal_numbers, have_decnum, frexp, modf, lgamma_r" {
	jqmap '" \t a b \n"' '[trim, ltrim, rtrim], try (1 | trim) catch .'
	assert_success
	assert_output $'["a b","a b \\n"," \\t a b"]\n"number (1) trim input must be a string"'
	jqmap '1' '[toarray, ([2] | toarray), have_literal_numbers, have_decnum]'
	assert_output '[[1],[2],true,false]'
	jqmap '8.5' '[frexp, modf, (2 | lgamma_r)]'
	assert_output '[[0.53125,4],[0.5,8],[0,1]]'
}

@test "\$ENV and env read the real environment (man.test:661, 665)" {
	PAGER=less run --separate-stderr "$EVPIPE" map -- '$ENV.PAGER, env.PAGER' <<<null
	assert_success
	assert_output $'"less"\n"less"'
}

@test "@uri keeps only the unreserved characters, @html writes &apos; (jq.test:64)" {
	jqmap '"!()<>&'"'"'\"\t~-_.a\u0000"' '@uri, @html'
	assert_success
	assert_output $'"%21%28%29%3C%3E%26%27%22%09~-_.a%00"\n"!()&lt;&gt;&amp;&apos;&quot;\\t~-_.a\\u0000"'
}

@test "still refused, with a clear message: modules, input, halt, \$__prog_args" {
	jqmap 'null' 'import "a" as a; .'
	assert_failure 2
	[[ $stderr == *"modules (import) are not supported by evpipe"* ]] || fail "$stderr"
	jqmap 'null' 'modulemeta'
	[[ $stderr == *"modulemeta is not supported by evpipe"* ]] || fail "$stderr"
	jqmap 'null' '[inputs]'
	[[ $stderr == *"inputs is not supported by evpipe"* ]] || fail "$stderr"
	jqmap 'null' 'halt_error'
	[[ $stderr == *"halt_error is not supported by evpipe"* ]] || fail "$stderr"
	jqmap 'null' '$__prog_args'
	assert_failure 2
	[[ $stderr == *'$__prog_args is not supported by evpipe'* ]] || fail "$stderr"
	jqmap '1' '. as $__prog_args | $__prog_args'
	assert_success
	assert_output '1'
}

@test "while and until: a condition with several outputs, or none, takes a branch for each (as jq)" {
	jqmap '0' '[while(. < 3, . < 2; . + 1)]'
	assert_success
	assert_output '[0,1,2,1,2,0,1,2,1,2]'
	jqmap '[0,2]' '[.[] | while(. < 3, . < 1; . + 1)], [.[] | until(. > 2, . > 3; . + 2)], [while(empty; . + 1)]'
	assert_output $'[0,1,2,0,1,2,2]\n[4,4,4,4,4,4,4,4,4,4,4,4]\n[]'
}

@test "del under every member of a long array copies the array once (it ran out of steps)" {
	jqmap 'null' '[range(20000) | {a: ., b: .}] | del(.[].a) | length, .[-1], ([.[].a] | unique)'
	assert_success
	assert_output $'20000\n{"b":19999}\n[null]'
}
