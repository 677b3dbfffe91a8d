/*
 * t-json-scan.c -- unit tests for the JSON scanner and lazy access.
 *
 * The tables follow JSONTestSuite's naming: y_ must be accepted, n_ must be
 * rejected, i_ is implementation-defined and the expected verdict is our
 * documented choice (see json-scan.h).  Every table entry is also checked
 * against jansson (jscan-diff.h), as is every line of the files in
 * tests/fixtures/scan/.
 */
#include <dirent.h>
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lib/buf.h"
#include "lib/errbuf.h"
#include "json/json-scan.h"
#include "jscan-diff.h"
#include "tap.h"

struct scase {
	char kind; /* 'y', 'n', 'i' (then want says what we chose) */
	int want;  /* 1 accept, 0 reject */
	const char *name;
	const char *text;
	size_t len;
};

/* sizeof - 1 so that inputs may hold NUL bytes. */
#define Y(name, s)                                                             \
	{                                                                      \
		'y', 1, name, s, sizeof(s) - 1                                 \
	}
#define N(name, s)                                                             \
	{                                                                      \
		'n', 0, name, s, sizeof(s) - 1                                 \
	}
#define I(want, name, s)                                                       \
	{                                                                      \
		'i', want, name, s, sizeof(s) - 1                              \
	}

static const struct scase cases[] = {
	/* structure */
	Y("y_array_empty", "[]"),
	Y("y_array_empty_ws", "[ ]"),
	Y("y_array_nested", "[[],[[]],[[[1]]]]"),
	Y("y_array_mixed", "[1,\"a\",true,false,null,{},[]]"),
	Y("y_array_ws_everywhere", " [ 1 , [ ] , { } ] "),
	Y("y_object_empty", "{}"),
	Y("y_object_empty_ws", "{ \t\r\n}"),
	Y("y_object_simple", "{\"a\":1}"),
	Y("y_object_nested", "{\"a\":{\"b\":{\"c\":[1,2]}}}"),
	Y("y_object_empty_key", "{\"\":0}"),
	Y("y_object_ws_everywhere", " { \"a\" : [ 1 , 2 ] , \"b\" : null } "),
	Y("y_object_many", "{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5}"),
	Y("y_object_escaped_key", "{\"a\\u0062\":1}"),
	Y("y_object_utf8_key", "{\"\xc3\xa9t\xc3\xa9\":1}"),
	Y("y_scalar_true", "true"),
	Y("y_scalar_false", "false"),
	Y("y_scalar_null", "null"),
	Y("y_scalar_string", "\"x\""),
	Y("y_scalar_zero", "0"),
	Y("y_literals_in_array", "[true,false,null]"),
	/* whitespace */
	Y("y_ws_lead_trail", " \t\r\n1\n\r\t "),
	Y("y_ws_crlf_end", "{}\r\n"),
	Y("y_ws_lf_end", "{}\n"),
	Y("y_ws_tabs_inside", "{\t\"a\"\t:\t1\t}"),
	/* numbers */
	Y("y_num_neg_zero", "-0"),
	Y("y_num_int", "123"),
	Y("y_num_neg_int", "-123"),
	Y("y_num_frac", "1.5"),
	Y("y_num_neg_frac", "-0.5"),
	Y("y_num_exp", "1e2"),
	Y("y_num_exp_upper", "1E2"),
	Y("y_num_exp_plus", "1E+2"),
	Y("y_num_exp_minus", "1e-2"),
	Y("y_num_zero_exp", "0e0"),
	Y("y_num_neg_zero_frac", "-0.0"),
	Y("y_num_frac_exp", "1.5e10"),
	Y("y_num_tiny", "1e-999"),
	Y("y_num_int64_max", "9223372036854775807"),
	Y("y_num_int64_min", "-9223372036854775808"),
	Y("y_num_long_frac", "0.00000000000000000000000000000000001"),
	Y("y_num_exp_leading_zero", "1e007"),
	Y("y_num_in_array", "[-1,0.1,2e3,0]"),
	Y("y_num_in_object", "{\"n\":-12.5e-3}"),
	Y("y_num_dbl_max", "1.7976931348623157e308"),
	/* strings */
	Y("y_str_empty", "\"\""),
	Y("y_str_escapes", "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\""),
	Y("y_str_u0000", "\"\\u0000\""),
	Y("y_str_u_lower", "\"\\u00e9\""),
	Y("y_str_u_upper", "\"\\u00E9\""),
	Y("y_str_u_mixed_case", "\"\\uAbCd\""),
	Y("y_str_pair", "\"\\ud83d\\ude00\""),
	Y("y_str_pair_upper", "\"\\uD834\\uDD1E\""),
	Y("y_str_pair_max", "\"\\udbff\\udfff\""),
	Y("y_str_pair_min", "\"\\ud800\\udc00\""),
	Y("y_str_u_ffff", "\"\\uffff\""),
	Y("y_str_u_d7ff", "\"\\ud7ff\""),
	Y("y_str_u_e000", "\"\\ue000\""),
	Y("y_str_utf8_2", "\"\xc3\xa9\""),
	Y("y_str_utf8_3", "\"\xe2\x82\xac\""),
	Y("y_str_utf8_4", "\"\xf0\x9f\x98\x80\""),
	Y("y_str_utf8_max", "\"\xf4\x8f\xbf\xbf\""),
	Y("y_str_utf8_min2", "\"\xc2\x80\""),
	Y("y_str_utf8_max2", "\"\xdf\xbf\""),
	Y("y_str_utf8_min3", "\"\xe0\xa0\x80\""),
	Y("y_str_utf8_min4", "\"\xf0\x90\x80\x80\""),
	Y("y_str_utf8_before_surr", "\"\xed\x9f\xbf\""),
	Y("y_str_utf8_after_surr", "\"\xee\x80\x80\""),
	Y("y_str_utf8_f3", "\"\xf3\xbf\xbf\xbf\""),
	Y("y_str_del", "\"\x7f\""),
	Y("y_str_slash", "\"/\""),
	Y("y_str_escaped_ctrl", "\"\\u001f\""),
	Y("y_str_json_inside", "\"{\\\"a\\\":1}\""),
	Y("y_str_backslash_only", "\"\\\\\""),
	Y("y_str_quote_u", "\"\\u0022\""),
	Y("y_str_utf8_mid_long", "\"aaaaaaaaaaaaaaaaaaaaa\xc3\xa9"
				 "bbbbbbbbbbbbbbbbbbbb\""),
	Y("y_str_utf8_run", "\"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\""),
	Y("y_str_escape_run", "\"\\n\\n\\n\\n\\n\\n\\n\\n\\n\\n\\n\\n\\n\\n\""),
	Y("y_str_pair_then_text", "\"\\ud83d\\ude00abc\""),
	Y("y_str_escaped_backslash_u", "\"\\\\u0000\""),
	/* n_: structure */
	N("n_empty", ""),
	N("n_ws_only", " "),
	N("n_ws_only_lf", "\n"),
	N("n_array_unclosed", "["),
	N("n_array_unclosed_val", "[1"),
	N("n_array_unclosed_comma", "[1,"),
	N("n_array_trailing_comma", "[1,]"),
	N("n_array_leading_comma", "[,1]"),
	N("n_array_double_comma", "[1,,2]"),
	N("n_array_missing_comma", "[1 2]"),
	N("n_array_colon", "[1:2]"),
	N("n_array_extra_close", "[1]]"),
	N("n_object_unclosed", "{"),
	N("n_object_unclosed_key", "{\"a\""),
	N("n_object_unclosed_colon", "{\"a\":"),
	N("n_object_trailing_comma", "{\"a\":1,}"),
	N("n_object_missing_colon", "{\"a\" 1}"),
	N("n_object_missing_value", "{\"a\":}"),
	N("n_object_nonstring_key", "{1:1}"),
	N("n_object_unquoted_key", "{a:1}"),
	N("n_object_single_quote", "{'a':1}"),
	N("n_object_double_colon", "{\"a\"::1}"),
	N("n_object_comma_for_colon", "{\"a\",1}"),
	N("n_object_missing_key", "{:1}"),
	N("n_object_extra_close", "{\"a\":1}}"),
	N("n_object_key_only", "{\"a\"}"),
	N("n_object_literal_key", "{null:1}"),
	N("n_mismatched_1", "[}"),
	N("n_mismatched_2", "{]"),
	N("n_mismatched_3", "[{]}"),
	N("n_close_only", "]"),
	N("n_close_brace_only", "}"),
	N("n_two_values", "1 2"),
	N("n_two_objects", "{}{}"),
	N("n_two_objects_lf", "{}\n{}"),
	N("n_trailing_garbage", "{}x"),
	N("n_trailing_comma_top", "1,"),
	N("n_nul_after", "{}\0"),
	N("n_nul_before", "\0{}"),
	N("n_nul_in_array", "[\0]"),
	N("n_nul_only", "\0"),
	N("n_nul_after_number", "[1\0]"),
	N("n_nul_after_neg_zero", "-0\0"),
	N("n_nul_after_literal", "[true\0]"),
	N("n_nul_after_number_top", "1\0 "),
	N("n_comment_line", "[1]//"),
	N("n_comment_block", "/**/[]"),
	N("n_hash_comment", "# x\n1"),
	/* n_: literals */
	N("n_lit_caps", "True"),
	N("n_lit_truncated", "tru"),
	N("n_lit_long", "truex"),
	N("n_lit_nul", "nul"),
	N("n_lit_fals", "fals"),
	N("n_lit_NaN", "NaN"),
	N("n_lit_Infinity", "Infinity"),
	N("n_lit_neg_Infinity", "-Infinity"),
	N("n_lit_undefined", "undefined"),
	N("n_lit_nulll_in_array", "[nulll]"),
	N("n_lit_trueFalse", "[truefalse]"),
	/* n_: numbers */
	N("n_num_plus", "+1"),
	N("n_num_leading_zero", "01"),
	N("n_num_neg_leading_zero", "-01"),
	N("n_num_leading_zeros_frac", "00.5"),
	N("n_num_dot_start", ".5"),
	N("n_num_neg_dot_start", "-.5"),
	N("n_num_dot_end", "1."),
	N("n_num_dot_end_in_array", "[1.]"),
	N("n_num_exp_empty", "1e"),
	N("n_num_exp_sign_only", "1e+"),
	N("n_num_exp_sign_only_array", "[1e-]"),
	N("n_num_minus_only", "-"),
	N("n_num_minus_space", "- 1"),
	N("n_num_hex", "0x1"),
	N("n_num_dot_exp", "1.e5"),
	N("n_num_double_dot", "1.2.3"),
	N("n_num_double_minus", "--1"),
	N("n_num_comma_decimal", "1,5"),
	N("n_num_e_start", "e5"),
	N("n_num_exp_frac", "1e5.5"),
	N("n_num_double_exp", "1e5e5"),
	N("n_num_arabic_digit", "\xd9\xa1"),
	N("n_num_fullwidth_digit", "\xef\xbc\x91"),
	N("n_num_minus_letter", "-a"),
	/* n_: strings */
	N("n_str_unclosed", "\"abc"),
	N("n_str_unclosed_long", "\"abcdefghijklmnopqrstuvwxyz0123456789"),
	N("n_str_single_quotes", "'a'"),
	N("n_str_raw_newline", "\"a\nb\""),
	N("n_str_raw_cr", "\"a\rb\""),
	N("n_str_raw_tab", "\"a\tb\""),
	N("n_str_raw_nul", "\"a\0b\""),
	N("n_str_raw_nul_long", "\"aaaaaaaaaaaaaaaaaaaaaaaaaa\0b\""),
	N("n_str_raw_1f", "\"\x1f\""),
	N("n_str_raw_01", "\"\x01\""),
	N("n_str_bad_escape_x", "\"\\x41\""),
	N("n_str_bad_escape_a", "\"\\a\""),
	N("n_str_bad_escape_U", "\"\\U0041\""),
	N("n_str_bad_escape_0", "\"\\0\""),
	N("n_str_bad_escape_apos", "\"\\'\""),
	N("n_str_escaped_nul_byte", "\"\\\0\""),
	N("n_str_u_short", "\"\\u12\""),
	N("n_str_u_bad_hex", "\"\\u12g4\""),
	N("n_str_u_no_digits", "\"\\u\""),
	N("n_str_escape_at_end", "\"\\"),
	N("n_str_escaped_quote_unclosed", "\"\\\""),
	N("n_str_u_truncated_eof", "\"\\u00"),
	N("n_str_lone_high", "\"\\ud800\""),
	N("n_str_lone_high_then_char", "\"\\ud800x\""),
	N("n_str_lone_high_then_text", "\"\\ud800abcdefgh\""),
	N("n_str_lone_low", "\"\\udc00\""),
	N("n_str_lone_low_max", "\"\\udfff\""),
	N("n_str_high_high", "\"\\ud800\\ud800\""),
	N("n_str_high_then_bmp", "\"\\ud800\\u0041\""),
	N("n_str_high_then_escape_n", "\"\\ud800\\n\""),
	N("n_str_low_then_high", "\"\\udc00\\ud800\""),
	N("n_str_high_at_eof", "\"\\ud800"),
	N("n_str_high_then_bad_hex", "\"\\ud800\\udcxx\""),
	N("n_str_pair_split_by_char", "\"\\ud800a\\udc00\""),
	N("n_str_utf8_ff", "\"\xff\""),
	N("n_str_utf8_fe", "\"\xfe\""),
	N("n_str_utf8_c0_overlong", "\"\xc0\xaf\""),
	N("n_str_utf8_c1_overlong", "\"\xc1\xbf\""),
	N("n_str_utf8_c0_80_nul", "\"\xc0\x80\""),
	N("n_str_utf8_e0_overlong", "\"\xe0\x80\xaf\""),
	N("n_str_utf8_e0_9f", "\"\xe0\x9f\xbf\""),
	N("n_str_utf8_f0_overlong", "\"\xf0\x80\x80\xaf\""),
	N("n_str_utf8_f0_8f", "\"\xf0\x8f\xbf\xbf\""),
	N("n_str_utf8_surrogate_d800", "\"\xed\xa0\x80\""),
	N("n_str_utf8_surrogate_dfff", "\"\xed\xbf\xbf\""),
	N("n_str_utf8_cesu_pair", "\"\xed\xa0\xbd\xed\xb8\x80\""),
	N("n_str_utf8_above_max", "\"\xf4\x90\x80\x80\""),
	N("n_str_utf8_f5", "\"\xf5\x80\x80\x80\""),
	N("n_str_utf8_f8_5byte", "\"\xf8\x88\x80\x80\x80\""),
	N("n_str_utf8_fc_6byte", "\"\xfc\x84\x80\x80\x80\x80\""),
	N("n_str_utf8_lone_cont_80", "\"\x80\""),
	N("n_str_utf8_lone_cont_bf", "\"\xbf\""),
	N("n_str_utf8_trunc2", "\"\xc3\""),
	N("n_str_utf8_trunc3", "\"\xe2\x82\""),
	N("n_str_utf8_trunc4", "\"\xf0\x9f\x98\""),
	N("n_str_utf8_trunc_eof", "\"\xe2\x82"),
	N("n_str_utf8_lead_at_eof", "\"\xc3"),
	N("n_str_high_then_u_bad_hex_eof", "\"\\ud800\\u12x"),
	N("n_str_high_then_u_eof", "\"\\ud800\\u1"),
	N("n_object_eof_after_comma", "{\"a\":1,"),
	N("n_object_eof_after_comma_ws", "{\"a\":1, "),
	N("n_str_utf8_bad_second", "\"\xc3\x28\""),
	N("n_str_utf8_bad_third", "\"\xe2\x28\xa1\""),
	N("n_str_utf8_bad_fourth", "\"\xf0\x9f\x98\x28\""),
	N("n_str_utf8_latin1", "\"caf\xe9\""),
	N("n_str_utf8_latin1_long", "\"cafe cafe cafe cafe caf\xe9 cafe\""),
	N("n_str_utf8_extra_cont", "\"\xc3\xa9\xa9\""),
	N("n_utf8_outside_string", "\xc3\xa9"),
	N("n_str_bad_utf8_in_key", "{\"\xff\":1}"),
	N("n_str_lone_surrogate_in_key", "{\"\\udc00\":1}"),
	/* n_: whitespace */
	N("n_ws_formfeed", "\f[]"),
	N("n_ws_vtab", "[\v]"),
	N("n_ws_nbsp", "[\xc2\xa0]"),
	N("n_ws_u2028", "[\xe2\x80\xa8]"),
	N("n_ws_zwsp", "\xe2\x80\x8b[]"),
	/* i_: implementation-defined, our documented choices */
	I(1, "i_num_huge_exp", "1e999"),
	I(1, "i_num_neg_huge_exp", "-1e999"),
	I(1, "i_num_huge_exp_in_object", "{\"x\":1.5E+9999}"),
	I(1, "i_num_huge_underflow", "1e-99999"),
	I(1, "i_num_int64_max_plus1", "9223372036854775808"),
	I(1, "i_num_int64_min_minus1", "-9223372036854775809"),
	I(1, "i_num_big_int", "100000000000000000000000001"),
	I(1, "i_num_big_neg_int", "[-100000000000000000000000001]"),
	I(1, "i_obj_dup_keys", "{\"a\":1,\"a\":2}"),
	I(1, "i_obj_dup_keys_escaped", "{\"a\":1,\"\\u0061\":2}"),
	I(1, "i_str_noncharacter_ffff", "\"\xef\xbf\xbf\""),
	I(1, "i_str_noncharacter_fdd0", "\"\xef\xb7\x90\""),
	I(1, "i_str_noncharacter_10ffff", "\"\\udbff\\udfff\""),
	I(1, "i_key_u0000", "{\"a\\u0000b\":1}"),
	I(0, "i_str_lone_surrogate_pair_reversed", "\"\\udfff\\udbff\""),
	I(0, "i_bom", "\xef\xbb\xbf{}"),
	I(0, "i_bom_only", "\xef\xbb\xbf"),
	I(0, "i_bom_in_array", "[\xef\xbb\xbf]"),
	I(0, "i_utf16_bom", "\xfe\xff\x00\x31"),
};

/* ---- the tables --------------------------------------------------------- */

static void
test_tables(void)
{
	struct jscan js;
	size_t i, ny = 0, nn = 0, ni = 0;

	jscan_init(&js);
	for (i = 0; i < NELEM(cases); i++) {
		const struct scase *c = &cases[i];
		struct errbuf eb = { 0 };
		const char *exc;
		char msg[300];
		int r = jscan_parse(&js, c->text, c->len, &eb);

		ny += c->kind == 'y';
		nn += c->kind == 'n';
		ni += c->kind == 'i';
		if (c->want)
			ok(r == 0, "%s accepted%s%s", c->name, r ? ": " : "",
			   r ? eb.msg : "");
		else
			ok(r == -1 && eb.msg[0] && eb.status == STATUS_REJECT &&
				   jscan_error_column(&js) >= 1 &&
				   jscan_error_column(&js) <= c->len + 1,
			   "%s rejected (%s)", c->name, eb.msg);
		r = jscan_diff_check(&js, c->text, c->len, &exc, msg,
				     sizeof msg);
		ok(r == 0, "%s: same verdict as jansson%s%s%s", c->name,
		   exc ? " except " : "", exc ? exc : "", msg);
	}
	diag("%zu y_, %zu n_, %zu i_ cases", ny, nn, ni);
	ok(ny + nn + ni >= 150, "at least 150 table cases");
	jscan_release(&js);
}

/* ---- error messages ------------------------------------------------------ */

static void
expect_error(struct jscan *js, const char *text, size_t len, const char *msg,
	     size_t col)
{
	struct errbuf eb = { 0 };
	int r = jscan_parse(js, text, len, &eb);

	ok(r == -1 && strcmp(eb.msg, msg) == 0 && jscan_error_column(js) == col,
	   "error for %.20s: \"%s\" col %zu (want \"%s\" col %zu)", text,
	   eb.msg, jscan_error_column(js), msg, col);
}
#define EXPECT(t, m, c) expect_error(&js, t, sizeof(t) - 1, m, c)

static void
test_messages(void)
{
	struct jscan js;

	jscan_init(&js);
	EXPECT("{\"msg\":\"ab\xff\"}", "invalid UTF-8 byte 0xff at column 11",
	       11);
	EXPECT("{\"a\":", "unexpected end of input at column 6", 6);
	EXPECT("", "unexpected end of input at column 1", 1);
	ok(jscan_parse(&js, NULL, 0, NULL) == -1 &&
		   jscan_error_column(&js) == 1,
	   "NULL, 0 is an empty line");
	EXPECT("[1,]", "unexpected ']' at column 4", 4);
	EXPECT("{\"a\":1}x", "trailing data after the value: 'x' at column 8",
	       8);
	EXPECT("[\0]", "unexpected NUL byte at column 2", 2);
	EXPECT("\"a\0\"", "NUL byte in string at column 3", 3);
	EXPECT("\"a\nb\"",
	       "unescaped control character 0x0a in string at column 3", 3);
	EXPECT("\"\\ud800\"", "lone surrogate \\ud800 at column 2", 2);
	EXPECT("\"\\udc00\"", "lone surrogate \\udc00 at column 2", 2);
	EXPECT("\"\\q\"", "invalid escape at column 2", 2);
	EXPECT("\"\\u12x4\"", "invalid \\u escape at column 2", 2);
	EXPECT("01", "leading zero in number at column 2", 2);
	EXPECT("1.x", "invalid number: unexpected 'x' at column 3", 3);
	EXPECT("nul!", "invalid literal at column 1", 1);
	EXPECT("{1:2}", "expected a string key, found '1' at column 2", 2);
	EXPECT("{\"a\" 1}",
	       "expected ':' after object key, found '1' at "
	       "column 6",
	       6);
	EXPECT("[1 2]", "expected ',' or ']', found '2' at column 4", 4);
	EXPECT("{\"a\":1 2}", "expected ',' or '}', found '2' at column 8", 8);
	EXPECT("\xef\xbb\xbf{}", "byte order mark at column 1", 1);
	EXPECT("\xc3\xa9", "unexpected byte 0xc3 at column 1", 1);
	jscan_release(&js);
}

/* ---- depth ----------------------------------------------------------------
 */

static char *
nested(size_t depth, size_t *len)
{
	char *s = malloc(2 * depth + 1);

	memset(s, '[', depth);
	memset(s + depth, ']', depth);
	s[2 * depth] = '\0';
	*len = 2 * depth;
	return s;
}

static void
test_depth(void)
{
	struct jscan js;
	struct errbuf eb = { 0 };
	size_t len;
	char *s;
	json_t *j;

	jscan_init(&js);
	s = nested(512, &len);
	ok(jscan_parse(&js, s, len, &eb) == 0, "depth 512 accepted");
	j = jscan_json(&js, jscan_root(&js), &eb);
	ok(j != NULL && json_is_array(j), "depth 512 materializes");
	json_decref(j);
	free(s);
	s = nested(513, &len);
	ok(jscan_parse(&js, s, len, &eb) == -1 &&
		   strcmp(eb.msg, "nesting deeper than 512 at column 513") == 0,
	   "depth 513 rejected: %s", eb.msg);
	free(s);
	s = nested(100000, &len);
	ok(jscan_parse(&js, s, len, &eb) == -1 &&
		   strstr(eb.msg, "nesting deeper than 512") != NULL,
	   "depth 100000 rejected cleanly: %s", eb.msg);
	jscan_set_max_depth(&js, 200000);
	ok(jscan_parse(&js, s, len, &eb) == 0,
	   "depth 100000 accepted with a raised limit (no recursion)");
	j = jscan_json(&js, jscan_root(&js), &eb);
	ok(j != NULL, "depth 100000 materializes without recursion");
	json_decref(j);
	/* Unclosed: 100000 opens and nothing else. */
	s[100000] = '\0';
	ok(jscan_parse(&js, s, 100000, &eb) == -1 &&
		   strcmp(eb.msg, "unexpected end of input at column 100001") ==
			   0,
	   "100000 unclosed brackets: %s", eb.msg);
	free(s);
	jscan_set_max_depth(&js, 2);
	ok(jscan_parse(&js, "[{}]", 4, &eb) == 0, "limit 2: [{}] ok");
	ok(jscan_parse(&js, "[{\"a\":[]}]", 10, &eb) == -1,
	   "limit 2: [{\"a\":[]}] rejected");
	jscan_set_max_depth(&js, 0);
	s = nested(512, &len);
	ok(jscan_parse(&js, s, len, &eb) == 0, "limit 0 means the default");
	free(s);
	jscan_release(&js);
}

/* ---- generated inputs: long strings, SIMD boundaries, big numbers ------- */

static void
test_generated(void)
{
	struct jscan js;
	struct errbuf eb = { 0 };
	char s[128];
	size_t n, pos, bad = 0, checked = 0;
	static const char specials[] = { '"', '\\', '\n', '\0', (char)0xff };
	char *big;
	const char *exc;
	char msg[300];

	jscan_init(&js);
	/*
	 * Strings of every length 0..80, with a special byte at every
	 * position: the 16-byte blocks, the tail window and the byte loop
	 * must all agree with jansson.
	 */
	for (n = 0; n <= 80; n++) {
		for (pos = 0; pos <= n; pos++) {
			size_t k;

			for (k = 0; k < sizeof specials; k++) {
				s[0] = '"';
				memset(s + 1, 'a', n);
				if (pos < n)
					s[1 + pos] = specials[k];
				s[1 + n] = '"';
				checked++;
				if (jscan_diff_check(&js, s, n + 2, &exc, msg,
						     sizeof msg) != 0) {
					if (bad++ < 5)
						diag("len %zu pos %zu byte "
						     "%02x: %s",
						     n, pos,
						     (unsigned char)specials[k],
						     msg);
				}
				/* Unterminated variant. */
				if (jscan_diff_check(&js, s, n + 1, &exc, msg,
						     sizeof msg) != 0)
					bad++;
			}
		}
	}
	ok(bad == 0, "%zu generated strings agree with jansson", checked);

	big = malloc(5001);
	big[0] = '-';
	memset(big + 1, '7', 5000);
	ok(jscan_parse(&js, big, 5001, &eb) == 0,
	   "5000-digit negative integer accepted");
	{
		size_t rl;
		const char *raw = jscan_raw(jscan_root(&js), &rl);
		double d;
		int64_t i;

		ok(raw == big && rl == 5001, "big integer raw text is exact");
		ok(jscan_num_is_int(jscan_root(&js)) &&
			   jscan_num_int64(jscan_root(&js), &i) == -1,
		   "big integer is an int that does not fit int64");
		ok(jscan_num_double(jscan_root(&js), &d) == 0 && d == -DBL_MAX,
		   "big integer as double clamps to -DBL_MAX");
	}
	free(big);
	jscan_release(&js);
}

/* ---- lazy access -----------------------------------------------------------
 */

static const char event[] =
	"{\"id\":42,\"type\":\"click\",\"user\":{\"name\":\"Ann \\\"A\\\"\","
	"\"email\":\"ann@example.com\",\"tags\":[\"a\",\"b\",\"c\"]},"
	"\"a\\u0062\":1,\"dup\":1,\"n\":null,\"arr\":[10,[20,21],{\"x\":30}],"
	"\"dup\":2,\"big\":100000000000000000000000001,\"t\":true,\"f\":false,"
	"\"key with spaces\":\"s\",\"\":\"empty\"}";

static struct jscan_val
path(struct jscan *js, const char *p, int *rc, struct errbuf *eb)
{
	struct jscan_path jp;
	struct jscan_val out;

	if (jscan_path_parse(&jp, p, strlen(p), eb) != 0) {
		*rc = -2;
		jscan_path_release(&jp);
		out.js = NULL;
		out.i = JSCAN_ABSENT;
		return out;
	}
	*rc = jscan_lookup(jscan_root(js), jp.steps, jp.nsteps, &out, eb);
	jscan_path_release(&jp);
	return out;
}

static int
raw_is(struct jscan_val v, const char *want)
{
	size_t len;
	const char *raw = jscan_raw(v, &len);

	return raw && len == strlen(want) && memcmp(raw, want, len) == 0;
}

static void
test_lazy(void)
{
	struct jscan js;
	struct errbuf eb = { 0 };
	struct buf scratch = BUF_INIT;
	struct jscan_val root, v, k;
	struct jscan_iter it;
	const char *s;
	size_t len, n;
	int rc;
	int64_t i64;

	jscan_init(&js);
	ok(jscan_parse(&js, event, sizeof event - 1, &eb) == 0,
	   "event scans: %s", eb.msg);
	root = jscan_root(&js);
	ok(jscan_type(root) == JSCAN_OBJECT, "root is an object");
	ok(jscan_count(root) == 13, "13 members, duplicates counted (%zu)",
	   jscan_count(root));

	v = path(&js, ".id", &rc, &eb);
	ok(rc == 1 && jscan_num_int64(v, &i64) == 0 && i64 == 42, ".id is 42");
	v = path(&js, ".user.name", &rc, &eb);
	s = jscan_str(v, &scratch, &len);
	ok(rc == 1 && s && len == 7 && memcmp(s, "Ann \"A\"", 7) == 0 &&
		   s == scratch.data && jscan_str_has_escapes(v),
	   ".user.name unescaped into the scratch buffer");
	v = path(&js, ".user.email", &rc, &eb);
	s = jscan_str(v, &scratch, &len);
	ok(rc == 1 && s && len == 15 && s > event && s < event + sizeof event &&
		   memcmp(s, "ann@example.com", 15) == 0,
	   ".user.email points into the line");
	v = path(&js, ".user.tags[-1]", &rc, &eb);
	ok(rc == 1 && raw_is(v, "\"c\""), ".user.tags[-1] is \"c\"");
	v = path(&js, ".user.tags[-3]", &rc, &eb);
	ok(rc == 1 && raw_is(v, "\"a\""), ".user.tags[-3] is \"a\"");
	v = path(&js, ".user.tags[-4]", &rc, &eb);
	ok(rc == 0 && jscan_type(v) == JSCAN_NONE, ".user.tags[-4] is absent");
	v = path(&js, ".user.tags[3]", &rc, &eb);
	ok(rc == 0, ".user.tags[3] is absent");
	v = path(&js, ".arr[1][0]", &rc, &eb);
	ok(rc == 1 && raw_is(v, "20"), ".arr[1][0] is 20");
	v = path(&js, ".arr[2].x", &rc, &eb);
	ok(rc == 1 && raw_is(v, "30"), ".arr[2].x is 30");
	v = path(&js, ".arr[1]", &rc, &eb);
	ok(rc == 1 && raw_is(v, "[20,21]") && jscan_count(v) == 2,
	   ".arr[1] raw is [20,21]");
	v = path(&js, ".ab", &rc, &eb);
	ok(rc == 1 && raw_is(v, "1"), "escaped key \"a\\u0062\" found as ab");
	v = path(&js, ".dup", &rc, &eb);
	ok(rc == 1 && raw_is(v, "2"), "duplicate key: the last one wins");
	v = path(&js, ".\"key with spaces\"", &rc, &eb);
	ok(rc == 1 && raw_is(v, "\"s\""), ".\"key with spaces\"");
	v = path(&js, ".[\"user\"][\"email\"]", &rc, &eb);
	ok(rc == 1 && raw_is(v, "\"ann@example.com\""),
	   ".[\"user\"][\"email\"]");
	v = path(&js, ".[\"\"]", &rc, &eb);
	ok(rc == 1 && raw_is(v, "\"empty\""), "empty key via .[\"\"]");
	v = path(&js, ".missing", &rc, &eb);
	ok(rc == 0 && jscan_type(v) == JSCAN_NONE, "missing key is absent");
	v = path(&js, ".n.deeper[3]", &rc, &eb);
	ok(rc == 0, "stepping into null is absent, like jq");
	v = path(&js, ".type.x", &rc, &eb);
	ok(rc == -1 && strcmp(eb.msg, "cannot index string with \"x\"") == 0,
	   ".type.x: %s", eb.msg);
	v = path(&js, ".id[0]", &rc, &eb);
	ok(rc == -1 && strcmp(eb.msg, "cannot index number with number") == 0,
	   ".id[0]: %s", eb.msg);
	v = path(&js, ".[0]", &rc, &eb);
	ok(rc == -1 && strcmp(eb.msg, "cannot index object with number") == 0,
	   ".[0] on an object: %s", eb.msg);
	v = path(&js, ".arr.x", &rc, &eb);
	ok(rc == -1 && strcmp(eb.msg, "cannot index array with \"x\"") == 0,
	   ".arr.x: %s", eb.msg);
	v = path(&js, ".", &rc, &eb);
	ok(rc == 1 && v.i == root.i, "\".\" is the root");
	v = path(&js, ".t", &rc, &eb);
	ok(jscan_bool(v) == 1, ".t is true");
	v = path(&js, ".f", &rc, &eb);
	ok(jscan_bool(v) == 0, ".f is false");
	ok(jscan_bool(root) == -1, "an object is not a boolean");
	v = path(&js, ".n", &rc, &eb);
	ok(rc == 1 && jscan_is_null(v) && jscan_type(v) == JSCAN_NULL,
	   ".n is null (present)");
	v = path(&js, ".big", &rc, &eb);
	ok(rc == 1 && raw_is(v, "100000000000000000000000001") &&
		   jscan_num_int64(v, &i64) == -1,
	   ".big keeps its exact text");

	/* Iteration sees every member in line order, duplicates included. */
	n = 0;
	jscan_iter_init(&it, root);
	while (jscan_iter_next(&it, &k, &v)) {
		s = jscan_str(k, &scratch, &len);
		if (n == 0)
			ok(len == 2 && memcmp(s, "id", 2) == 0 &&
				   raw_is(v, "42"),
			   "first member is id:42");
		if (n == 3)
			ok(len == 2 && memcmp(s, "ab", 2) == 0,
			   "fourth key unescapes to ab");
		n++;
	}
	ok(n == 13, "iterated over 13 members");
	v = path(&js, ".arr", &rc, &eb);
	n = 0;
	jscan_iter_init(&it, v);
	while (jscan_iter_next(&it, &k, &v)) {
		ok(jscan_type(k) == JSCAN_NONE, "array element %zu has no key",
		   n);
		n++;
	}
	ok(n == 3, "array has 3 elements");
	jscan_iter_init(&it, path(&js, ".id", &rc, &eb));
	ok(!jscan_iter_next(&it, &k, &v), "iterating a number is empty");

	/* Materialization. */
	{
		json_error_t jerr;
		json_t *want = json_loadb(event, sizeof event - 1,
					  JSCAN_DIFF_FLAGS, &jerr);
		json_t *got =
			jscan_json(&js, path(&js, ".user", &rc, &eb), &eb);
		json_t *expv;

		ok(want == NULL && strstr(jerr.text, "too big integer"),
		   "jansson refuses the event's big integer");
		expv = json_pack("{s:s,s:s,s:[sss]}", "name", "Ann \"A\"",
				 "email", "ann@example.com", "tags", "a", "b",
				 "c");
		ok(got && json_equal(got, expv), "subtree .user materializes");
		json_decref(expv);
		json_decref(got);
		got = jscan_json(&js, root, &eb);
		ok(got && json_integer_value(json_object_get(got, "dup")) == 2,
		   "materialized duplicates: last wins");
		ok(got && json_is_real(json_object_get(got, "big")) &&
			   json_real_value(json_object_get(got, "big")) == 1e26,
		   "materialized big integer is the nearest double");
		ok(got && json_object_size(got) == 12,
		   "materialized object has 12 distinct keys");
		json_decref(got);
	}

	/* Handles die with the next scan; a failed scan leaves none. */
	ok(jscan_parse(&js, "[", 1, &eb) == -1, "failed scan");
	ok(jscan_type(jscan_root(&js)) == JSCAN_NONE,
	   "no root after a failed scan");
	ok(jscan_type(root) == JSCAN_NONE,
	   "old handle is absent after failure");

	ok(jscan_parse(&js, "\"a\\u0000b\"", 10, &eb) == 0, "\\u0000 string");
	s = jscan_str(jscan_root(&js), &scratch, &len);
	ok(len == 3 && memcmp(s, "a\0b", 3) == 0, "\\u0000 unescapes to NUL");
	ok(jscan_parse(&js, "\"\\ud83d\\ude00\\u00e9\\/\"", 22, &eb) == 0 &&
		   (s = jscan_str(jscan_root(&js), &scratch, &len)) &&
		   len == 7 && memcmp(s, "\xf0\x9f\x98\x80\xc3\xa9/", 7) == 0,
	   "surrogate pair, \\u00e9 and \\/ unescape to UTF-8");
	ok(jscan_parse(&js, "{\"a\\u0000\":1,\"a\":2}", 19, &eb) == 0 &&
		   raw_is(jscan_get(jscan_root(&js), "a\0", 2), "1") &&
		   raw_is(jscan_get(jscan_root(&js), "a", 1), "2"),
	   "keys with NUL are distinct and found by length");

	/* Escaped keys: text after the escape, and near misses. */
	{
		static const char obj[] = "{\"a\\u0062c\":1,\"x\\ny\":2}";

		ok(jscan_parse(&js, obj, strlen(obj), &eb) == 0,
		   "object with escaped keys: %s", eb.msg);
	}
	root = jscan_root(&js);
	ok(raw_is(jscan_get(root, "abc", 3), "1"), "key a\\u0062c is abc");
	ok(jscan_type(jscan_get(root, "abd", 3)) == JSCAN_NONE &&
		   jscan_type(jscan_get(root, "abcd", 4)) == JSCAN_NONE &&
		   jscan_type(jscan_get(root, "ab", 2)) == JSCAN_NONE &&
		   jscan_type(jscan_get(root, "aXc", 3)) == JSCAN_NONE,
	   "near misses of an escaped key are absent");
	ok(raw_is(jscan_get(root, "x\ny", 3), "2"), "key x\\ny is x LF y");

	/* Accessors on the wrong type or an absent handle. */
	v = jscan_get(root, "nope", 4);
	ok(jscan_raw(v, &len) == NULL && len == 0, "raw of absent is NULL");
	ok(jscan_str(root, &scratch, &len) == NULL && len == 0,
	   "str of an object is NULL");
	ok(jscan_type(jscan_get(jscan_get(root, "abc", 3), "a", 1)) ==
			   JSCAN_NONE &&
		   jscan_type(jscan_index(root, 0)) == JSCAN_NONE,
	   "get on a number and index on an object are absent");
	ok(jscan_count(v) == 0 && jscan_count(jscan_get(root, "abc", 3)) == 0,
	   "count of absent and of a number is 0");
	ok(jscan_lookup(v, NULL, 0, &k, &eb) == 0, "lookup from absent is 0");
	ok(jscan_json(&js, v, &eb) == NULL && eb.msg[0],
	   "jscan_json of absent fails: %s", eb.msg);
	{
		double d;
		int64_t i;

		ok(jscan_num_double(root, &d) == -1 &&
			   jscan_num_int64(root, &i) == -1 &&
			   !jscan_num_is_int(root) && !jscan_is_null(root) &&
			   !jscan_str_has_escapes(root),
		   "number and string readers refuse an object");
	}
	ok(strcmp(jscan_type_name(JSCAN_NULL), "null") == 0 &&
		   strcmp(jscan_type_name(JSCAN_BOOL), "boolean") == 0 &&
		   strcmp(jscan_type_name(JSCAN_NUMBER), "number") == 0 &&
		   strcmp(jscan_type_name(JSCAN_STRING), "string") == 0 &&
		   strcmp(jscan_type_name(JSCAN_ARRAY), "array") == 0 &&
		   strcmp(jscan_type_name(JSCAN_OBJECT), "object") == 0 &&
		   strcmp(jscan_type_name(JSCAN_NONE), "absent") == 0,
	   "type names are jq's");

	/* A key handle from iteration materializes as a string. */
	jscan_iter_init(&it, root);
	ok(jscan_iter_next(&it, &k, &v), "first member");
	{
		json_t *kj = jscan_json(&js, k, &eb);

		ok(kj && json_is_string(kj) &&
			   strcmp(json_string_value(kj), "abc") == 0,
		   "key handle materializes as \"abc\"");
		json_decref(kj);
	}

	buf_release(&scratch);
	jscan_release(&js);
}

/* ---- numbers
 * ----------------------------------------------------------------- */

static int
ncmp(const char *a, const char *b)
{
	return jscan_numcmp(a, strlen(a), b, strlen(b));
}

static void
test_numbers(void)
{
	static const struct {
		const char *a, *b;
		int want;
	} t[] = {
		{ "1", "1.0", 0 },
		{ "1", "1e0", 0 },
		{ "100000000000000000000000001", "100000000000000000000000000",
		  1 },
		{ "100000000000000000000000000", "100000000000000000000000001",
		  -1 },
		{ "-100000000000000000000000001",
		  "-100000000000000000000000000", -1 },
		{ "-0", "0", 0 },
		{ "-0", "0.0", 0 },
		{ "-0.0", "0", 0 },
		{ "0", "-1", 1 },
		{ "-1", "0", -1 },
		{ "-5", "3", -1 },
		{ "9", "10", -1 },
		{ "99", "100", -1 },
		{ "-99", "-100", 1 },
		{ "123456789012345678901234567890",
		  "123456789012345678901234567890", 0 },
		{ "9007199254740993", "9007199254740992", 1 },
		{ "9007199254740993", "9007199254740992.0", 0 },
		{ "1.5", "1.25", 1 },
		{ "1e2", "100", 0 },
		{ "1e999", "1e998", 0 },
		{ "1e999", "100000000000000000000000000000000000", 1 },
		{ "-1e999", "0", -1 },
		{ "2.5e-3", "0.0025", 0 },
		/* Longer than the on-stack copy: the heap fallback. */
		{ "1."
		  "00000000000000000000000000000000000000000000000000000000000"
		  "000000000000000000000000000000000000000000000000000000000000"
		  "0"
		  "000000000000000000000001",
		  "1", 0 },
		{ "2",
		  "1.0000000000000000000000000000000000000000000000000000000"
		  "000000000000000000000000000000000000000000000000000000000"
		  "0000000000000000000000000000000000001",
		  1 },
	};
	struct jscan js;
	struct errbuf eb = { 0 };
	size_t i;

	for (i = 0; i < NELEM(t); i++) {
		int r = ncmp(t[i].a, t[i].b), back = ncmp(t[i].b, t[i].a);

		ok(r == t[i].want && back == -t[i].want, "cmp(%s, %s) = %d",
		   t[i].a, t[i].b, r);
	}
	jscan_init(&js);
	ok(jscan_parse(&js, "[1,1.0,-0]", 10, &eb) == 0 &&
		   jscan_num_cmp(jscan_index(jscan_root(&js), 0),
				 jscan_index(jscan_root(&js), 1)) == 0,
	   "jscan_num_cmp on handles: 1 == 1.0");
	{
		int64_t v;
		double d;

		ok(jscan_num_int64(jscan_index(jscan_root(&js), 2), &v) == 0 &&
			   v == 0,
		   "-0 as int64 is 0");
		ok(jscan_num_int64(jscan_index(jscan_root(&js), 1), &v) == -1,
		   "1.0 is not an int64");
		ok(jscan_num_double(jscan_index(jscan_root(&js), 1), &d) == 0 &&
			   d == 1.0,
		   "1.0 as double");
	}
	jscan_release(&js);
}

/* ---- path parser
 * --------------------------------------------------------------- */

static void
test_paths(void)
{
	static const struct {
		const char *p;
		const char *want; /* steps as k:KEY / i:N, space-separated */
	} good[] = {
		{ ".", "" },
		{ ".a", "k:a" },
		{ ".a.b", "k:a k:b" },
		{ ".a.b[3]", "k:a k:b i:3" },
		{ ".a[-1]", "k:a i:-1" },
		{ ".[0]", "i:0" },
		{ ".[0][1]", "i:0 i:1" },
		{ ".a.[0]", "k:a i:0" },
		{ ".\"key with spaces\"", "k:key with spaces" },
		{ ".[\"k\"]", "k:k" },
		{ ".a[\"b\"].c", "k:a k:b k:c" },
		{ ".\"a\\u0062\\n\"", "k:ab\n" },
		{ "._x1.Y_2", "k:_x1 k:Y_2" },
		{ ".a.\"b\"", "k:a k:b" },
		{ ".[-9223372036854775808]", "i:-9223372036854775808" },
	};
	static const char *bad[] = {
		"",
		"a",
		"..",
		".a.",
		".a..b",
		".[",
		".[]",
		".[1",
		".[a]",
		".[-]",
		".1a",
		".a b",
		".a?",
		".\"abc",
		".\"\\x\"",
		"[0]",
		".[99999999999999999999]",
		".a[0]x",
		".\"\\ud800\"",
		".[\"a\"",
		". a",
		".[\"\\q\"]",
	};
	size_t i;

	for (i = 0; i < NELEM(good); i++) {
		struct jscan_path jp;
		struct errbuf eb = { 0 };
		struct buf got = BUF_INIT;
		size_t s;
		int r = jscan_path_parse(&jp, good[i].p, strlen(good[i].p),
					 &eb);

		for (s = 0; r == 0 && s < jp.nsteps; s++) {
			if (s)
				buf_addc(&got, ' ');
			if (jp.steps[s].kind == JSCAN_STEP_KEY) {
				buf_adds(&got, "k:");
				buf_add(&got, jp.steps[s].key,
					jp.steps[s].keylen);
			} else {
				buf_addf(&got, "i:%lld",
					 (long long)jp.steps[s].index);
			}
		}
		ok(r == 0 &&
			   strcmp(got.data ? got.data : "", good[i].want) == 0,
		   "path %s parses (%s)", good[i].p, r ? eb.msg : got.data);
		buf_release(&got);
		jscan_path_release(&jp);
	}
	for (i = 0; i < NELEM(bad); i++) {
		struct jscan_path jp;
		struct errbuf eb = { 0 };
		int r = jscan_path_parse(&jp, bad[i], strlen(bad[i]), &eb);

		ok(r == -1 && eb.status == STATUS_USAGE &&
			   strncmp(eb.msg, "invalid path", 12) == 0,
		   "path '%s' rejected: %s", bad[i], eb.msg);
		jscan_path_release(&jp);
	}
}

/* ---- fixtures: differential against jansson
 * ------------------------------------ */

static void
test_fixtures(const char *dir)
{
	struct jscan js;
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t lines = 0, bad = 0, files = 0, i;
	const char *exc;
	char msg[300];

	ok(d != NULL, "fixture directory %s", dir);
	if (d == NULL)
		return;
	jscan_init(&js);
	while ((de = readdir(d)) != NULL) {
		char path[4096], *data = NULL;
		size_t cap = 0, len = 0, got, off, lineno = 0;
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		f = fopen(path, "rb");
		if (f == NULL)
			continue;
		files++;
		do {
			if (len == cap)
				data = realloc(data,
					       cap = cap ? cap * 2 : 65536);
			got = fread(data + len, 1, cap - len, f);
			len += got;
		} while (got > 0);
		fclose(f);
		for (off = 0; off < len;) {
			char *nl = memchr(data + off, '\n', len - off);
			size_t end = nl ? (size_t)(nl - data) : len;

			lineno++;
			lines++;
			if (jscan_diff_check(&js, data + off, end - off, &exc,
					     msg, sizeof msg) != 0) {
				bad++;
				diag("%s:%zu: %s", de->d_name, lineno, msg);
			}
			off = end + 1;
		}
		free(data);
	}
	closedir(d);
	ok(files > 0 && lines > 0 && bad == 0,
	   "%zu fixture lines in %zu files agree with jansson", lines, files);
	/* Every documented difference must actually have been seen. */
	for (i = 0; i < NELEM(jscan_diff_exceptions); i++)
		ok(jscan_diff_exceptions[i].hits > 0,
		   "exception %s exercised %lu times (%s)",
		   jscan_diff_exceptions[i].name, jscan_diff_exceptions[i].hits,
		   jscan_diff_exceptions[i].why);
	jscan_release(&js);
}

int
main(int argc, char **argv)
{
	const char *fixtures = argc > 1 ? argv[1] : "tests/fixtures/scan";

	test_tables();
	test_messages();
	test_depth();
	test_generated();
	test_lazy();
	test_numbers();
	test_paths();
	test_fixtures(fixtures);
	return done_testing();
}
