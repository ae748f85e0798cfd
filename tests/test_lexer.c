/* test_lexer.c - the re2c tokenizer: tokens, positions, values, and bad input. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse_internal.h"
#include "parser.h"
#include "support.h"

#define MAX_TOKENS 64

struct lexed {
	struct sbx_source src;
	struct sbx_diags d;
	struct sbx_token t[MAX_TOKENS];
	size_t n;            /* tokens before the end token */
	char *text;          /* rendered diagnostics */
};

/* Lexes len bytes of text (which may hold NUL bytes) to the end. */
static void lex(struct lexed *lx, const char *text, size_t len)
{
	struct sbx_lexer l;
	memset(lx, 0, sizeof *lx);
	lx->src.path = "test.sbxpol";
	lx->src.text = (char *)text;
	lx->src.len = len;
	sbx_diags_init(&lx->d);
	sbx_lex_init(&l, &lx->src, &lx->d);
	while (sbx_lex(&l, &lx->t[lx->n]) != 0)
		cr_assert_lt(++lx->n, MAX_TOKENS);
	size_t size = 0;
	FILE *f = open_memstream(&lx->text, &size);
	sbx_diags_render(&lx->d, f);
	fclose(f);
}

static void lex_str(struct lexed *lx, const char *text)
{
	lex(lx, text, strlen(text));
}

static void done(struct lexed *lx)
{
	sbx_diags_free(&lx->d);
	free(lx->text);
}

static void check_tok(const struct sbx_token *t, int major, uint32_t line, uint32_t col, uint32_t len)
{
	cr_expect_eq(t->major, major, "token at %u:%u: major %d, want %d", t->line, t->col, t->major, major);
	cr_expect_eq(t->line, line, "line %u, want %u", t->line, line);
	cr_expect_eq(t->col, col, "col %u, want %u", t->col, col);
	cr_expect_eq(t->len, len, "len %u, want %u", t->len, len);
}

/* The first rendered line must be exactly `want`. */
static void check_first_error(const struct lexed *lx, const char *want)
{
	const char *nl = strchr(lx->text, '\n');
	size_t n = nl ? (size_t)(nl - lx->text) : strlen(lx->text);
	cr_expect(strlen(want) == n && !memcmp(lx->text, want, n), "got:\n%s\nwant:\n%s", lx->text, want);
}

static char *decode(const struct lexed *lx, size_t i)
{
	char *out = malloc(lx->t[i].len + 1);
	cr_assert(out);
	sbx_lex_string(&lx->t[i], lx->src.text + lx->src.len, out);
	return out;
}

Test(lexer, keywords_names_punctuation_and_positions)
{
	struct lexed lx;
	lex_str(&lx, "sbxpol 1;\npolicy a-b_1 {\n\tenv set X = \"v\", best-effort}");
	cr_assert_eq(lx.n, 14);
	check_tok(&lx.t[0], TK_SBXPOL, 1, 1, 6);
	check_tok(&lx.t[1], TK_NUMBER, 1, 8, 1);
	check_tok(&lx.t[2], TK_SEMI, 1, 9, 1);
	check_tok(&lx.t[3], TK_POLICY, 2, 1, 6);
	check_tok(&lx.t[4], TK_NAME, 2, 8, 5);
	check_tok(&lx.t[5], TK_LBRACE, 2, 14, 1);
	check_tok(&lx.t[6], TK_ENV, 3, 2, 3);
	check_tok(&lx.t[7], TK_SET, 3, 6, 3);
	check_tok(&lx.t[8], TK_NAME, 3, 10, 1);
	check_tok(&lx.t[9], TK_EQ, 3, 12, 1);
	check_tok(&lx.t[10], TK_STRING, 3, 14, 3);
	check_tok(&lx.t[11], TK_COMMA, 3, 17, 1);
	check_tok(&lx.t[12], TK_BEST_EFFORT, 3, 19, 11);
	check_tok(&lx.t[13], TK_RBRACE, 3, 30, 1);
	cr_expect_eq(lx.d.nerrors, 0);
	done(&lx);
}

Test(lexer, every_keyword)
{
	static const struct { const char *word; int major; } kw[] = {
		{ "sbxpol", TK_SBXPOL }, { "import", TK_IMPORT }, { "policy", TK_POLICY },
		{ "extends", TK_EXTENDS }, { "param", TK_PARAM }, { "writable", TK_WRITABLE },
		{ "readonly", TK_READONLY }, { "denied", TK_DENIED }, { "network", TK_NETWORK },
		{ "offline", TK_OFFLINE }, { "online", TK_ONLINE }, { "allow", TK_ALLOW },
		{ "limit", TK_LIMIT }, { "processes", TK_PROCESSES }, { "memory", TK_MEMORY },
		{ "cpu", TK_CPU }, { "wall", TK_WALL }, { "none", TK_NONE }, { "env", TK_ENV },
		{ "keep", TK_KEEP }, { "drop", TK_DROP }, { "set", TK_SET },
		{ "enforcement", TK_ENFORCEMENT }, { "strict", TK_STRICT },
		{ "best-effort", TK_BEST_EFFORT },
	};
	for (size_t i = 0; i < sizeof kw / sizeof kw[0]; i++) {
		struct lexed lx;
		lex_str(&lx, kw[i].word);
		cr_expect_eq(lx.n, 1, "%s", kw[i].word);
		cr_expect_eq(lx.t[0].major, kw[i].major, "%s", kw[i].word);
		done(&lx);
	}
}

Test(lexer, keyword_prefixes_and_suffixes_are_names)
{
	struct lexed lx;
	lex_str(&lx, "online-x Policy policys best-effortx _x");
	cr_assert_eq(lx.n, 5);
	for (size_t i = 0; i < 5; i++)
		cr_expect_eq(lx.t[i].major, TK_NAME, "token %zu", i);
	cr_expect_eq(lx.t[0].len, 8);
	done(&lx);
}

Test(lexer, units_follow_numbers_with_or_without_space)
{
	struct lexed lx;
	lex_str(&lx, "4GiB 4 GiB 1h");
	cr_assert_eq(lx.n, 6);
	check_tok(&lx.t[0], TK_NUMBER, 1, 1, 1);
	check_tok(&lx.t[1], TK_NAME, 1, 2, 3);
	check_tok(&lx.t[2], TK_NUMBER, 1, 6, 1);
	check_tok(&lx.t[3], TK_NAME, 1, 8, 3);
	check_tok(&lx.t[4], TK_NUMBER, 1, 12, 1);
	check_tok(&lx.t[5], TK_NAME, 1, 13, 1);
	cr_expect_eq(lx.t[0].num, 4);
	done(&lx);
}

Test(lexer, numbers_up_to_2_64_minus_1)
{
	struct lexed lx;
	lex_str(&lx, "0 007 18446744073709551615");
	cr_assert_eq(lx.n, 3);
	cr_expect_eq(lx.t[0].num, 0);
	cr_expect_eq(lx.t[1].num, 7);
	cr_expect_eq(lx.t[2].num, UINT64_MAX);
	cr_expect_eq(lx.d.nerrors, 0);
	done(&lx);
}

Test(lexer, number_too_large)
{
	struct lexed lx;
	lex_str(&lx, "x 18446744073709551616 99999999999999999999999999999");
	cr_assert_eq(lx.n, 3);
	cr_expect(lx.t[1].bad);
	cr_expect(lx.t[2].bad);
	cr_expect_eq(lx.d.nerrors, 2);
	check_first_error(&lx, "test.sbxpol:1:3: error: number too large (the largest is 18446744073709551615)");
	cr_expect(strstr(lx.text, "    ^~~~~~~~~~~~~~~~~~~~\n"), "%s", lx.text);
	done(&lx);
}

Test(lexer, comments_run_to_the_end_of_the_line)
{
	struct lexed lx;
	lex_str(&lx, "# a comment; with \"quotes\" and { braces\nx # trailing, \xc3\xa9\n  # \n;");
	cr_assert_eq(lx.n, 2);
	check_tok(&lx.t[0], TK_NAME, 2, 1, 1);
	check_tok(&lx.t[1], TK_SEMI, 4, 1, 1);
	cr_expect_eq(lx.d.nerrors, 0);
	done(&lx);
}

Test(lexer, crlf_line_ends)
{
	struct lexed lx;
	lex_str(&lx, "a;\r\nb;\r\n");
	cr_assert_eq(lx.n, 4);
	check_tok(&lx.t[2], TK_NAME, 2, 1, 1);
	cr_expect_eq(lx.d.nerrors, 0);
	done(&lx);
}

Test(lexer, string_escapes_decode)
{
	struct lexed lx;
	lex_str(&lx, "\"a\\\\b\\\"c\\nd\\te\" \"C:\\\\tools\" \"\\u{e9}\\u{20AC}\\u{1F600}\\u{10FFFF}\" \"\"");
	cr_assert_eq(lx.n, 4);
	cr_expect_eq(lx.d.nerrors, 0, "%s", lx.text);
	char *s = decode(&lx, 0);
	cr_expect_str_eq(s, "a\\b\"c\nd\te");
	free(s);
	s = decode(&lx, 1);
	cr_expect_str_eq(s, "C:\\tools");
	free(s);
	s = decode(&lx, 2);
	cr_expect_str_eq(s, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf");
	free(s);
	s = decode(&lx, 3);
	cr_expect_str_eq(s, "");
	free(s);
	done(&lx);
}

Test(lexer, utf8_inside_strings_is_kept)
{
	struct lexed lx;
	lex_str(&lx, "\"/home/\xc3\xa9t\xc3\xa9/\xe6\x97\xa5\"");
	cr_assert_eq(lx.n, 1);
	cr_expect_eq(lx.d.nerrors, 0);
	char *s = decode(&lx, 0);
	cr_expect_str_eq(s, "/home/\xc3\xa9t\xc3\xa9/\xe6\x97\xa5");
	free(s);
	done(&lx);
}

Test(lexer, bad_escapes)
{
	static const struct { const char *text, *msg; } cases[] = {
		{ "\"C:\\Users\"", "test.sbxpol:1:4: error: unknown escape '\\U' in a string; write '\\\\' for a backslash" },
		{ "\"\\u{0}\"", "test.sbxpol:1:2: error: '\\u{0}' is not allowed: a string cannot hold a NUL character" },
		{ "\"\\u{D800}\"", "test.sbxpol:1:2: error: '\\u{D800}' is a surrogate, not a Unicode character" },
		{ "\"\\u{dfff}\"", "test.sbxpol:1:2: error: '\\u{dfff}' is a surrogate, not a Unicode character" },
		{ "\"\\u{110000}\"", "test.sbxpol:1:2: error: '\\u{110000}' is past U+10FFFF, the last Unicode character" },
		{ "\"\\u{1234567}\"", "test.sbxpol:1:2: error: '\\u' must be followed by 1 to 6 hex digits in braces, as in '\\u{e9}'" },
		{ "\"\\u00e9\"", "test.sbxpol:1:2: error: '\\u' must be followed by 1 to 6 hex digits in braces, as in '\\u{e9}'" },
		{ "\"\\u{}\"", "test.sbxpol:1:2: error: '\\u' must be followed by 1 to 6 hex digits in braces, as in '\\u{e9}'" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct lexed lx;
		lex_str(&lx, cases[i].text);
		cr_expect_eq(lx.n, 1, "%s", cases[i].text);
		cr_expect_eq(lx.t[0].major, TK_STRING);
		cr_expect(lx.t[0].bad);
		cr_expect_eq(lx.d.nerrors, 1, "%s", lx.text);
		check_first_error(&lx, cases[i].msg);
		/* What was rejected is left out: the text stays valid, NUL-free. */
		char *s = decode(&lx, 0);
		cr_expect_eq(strlen(s), strcspn(s, "\x01"));
		free(s);
		done(&lx);
	}
}

Test(lexer, unterminated_and_multiline_strings)
{
	struct lexed lx;
	lex_str(&lx, "writable \"/tmp;\nreadonly \"/usr\";");
	cr_assert_eq(lx.n, 5);   /* the broken string ends at the line end */
	check_tok(&lx.t[1], TK_STRING, 1, 10, 6);
	check_tok(&lx.t[2], TK_READONLY, 2, 1, 8);
	cr_expect_eq(lx.d.nerrors, 1);
	check_first_error(&lx, "test.sbxpol:1:10: error: strings cannot span lines; close the string with '\"'");
	done(&lx);

	lex_str(&lx, "writable \"/tmp");
	cr_assert_eq(lx.n, 2);
	check_first_error(&lx, "test.sbxpol:1:10: error: unterminated string");
	cr_expect(strstr(lx.text, "    writable \"/tmp\n             ^~~~~\n"), "%s", lx.text);
	done(&lx);
}

Test(lexer, control_characters_in_strings)
{
	struct lexed lx;
	lex_str(&lx, "\"a\tb\" \"c\x01\" \"d\re\"");
	cr_assert_eq(lx.n, 3);
	cr_expect_eq(lx.d.nerrors, 3);
	check_first_error(&lx, "test.sbxpol:1:3: error: a tab inside a string must be written as '\\t'");
	cr_expect(strstr(lx.text, "test.sbxpol:1:9: error: control character 0x01 inside a string; write it as '\\u{1}'\n"),
	          "%s", lx.text);
	cr_expect(strstr(lx.text, "test.sbxpol:1:14: error: control character 0x0d inside a string; write it as '\\u{d}'\n"),
	          "%s", lx.text);
	done(&lx);
}

Test(lexer, nul_bytes_anywhere)
{
	static const char text[] = "a\0b \"c\0d\" # e\0f\ng";
	struct lexed lx;
	lex(&lx, text, sizeof text - 1);
	cr_assert_eq(lx.n, 4);   /* a b "c?d" g: a NUL neither ends input nor a token */
	check_tok(&lx.t[3], TK_NAME, 2, 1, 1);
	cr_expect_eq(lx.d.nerrors, 3);
	check_first_error(&lx, "test.sbxpol:1:2: error: a NUL byte is not allowed in a policy file");
	char *s = decode(&lx, 2);
	cr_expect_str_eq(s, "cd");
	free(s);
	done(&lx);
}

Test(lexer, invalid_utf8_anywhere)
{
	struct lexed lx;
	lex_str(&lx, "a \xff b \"\xc3\x28\" # \xed\xa0\x80 surrogate\n\xe2\x82 c");
	cr_assert_eq(lx.n, 4);
	cr_expect_eq(lx.d.nerrors, 4, "%s", lx.text);
	check_first_error(&lx, "test.sbxpol:1:3: error: unexpected byte 0xff; the file must be UTF-8");
	cr_expect(strstr(lx.text, "test.sbxpol:1:8: error: invalid UTF-8 (byte 0xc3) in a string; the file must be UTF-8\n"));
	cr_expect(strstr(lx.text, "test.sbxpol:1:14: error: invalid UTF-8 (byte 0xed) in a comment; the file must be UTF-8\n"));
	cr_expect(strstr(lx.text, "test.sbxpol:2:1: error: unexpected byte 0xe2; the file must be UTF-8\n"));
	done(&lx);
}

Test(lexer, unexpected_characters)
{
	struct lexed lx;
	lex_str(&lx, "a @ \x01 \xc3\xa9 \xe2\x80\x9d/x ;");
	cr_expect_eq(lx.d.nerrors, 5, "%s", lx.text);
	check_first_error(&lx, "test.sbxpol:1:3: error: unexpected character '@'");
	cr_expect(strstr(lx.text, "test.sbxpol:1:5: error: unexpected byte 0x01\n"));
	cr_expect(strstr(lx.text, "test.sbxpol:1:7: error: unexpected character '\xc3\xa9' (U+00E9)\n"));
	cr_expect(strstr(lx.text, "test.sbxpol:1:10: error: unexpected character '\xe2\x80\x9d' (U+201D); "
	                          "strings use straight double quotes '\"'\n"));
	cr_expect(strstr(lx.text, "test.sbxpol:1:13: error: unexpected character '/'\n"));
	/* what remains are the tokens around the junk */
	cr_assert_eq(lx.n, 3);
	cr_expect_eq(lx.t[1].major, TK_NAME);
	cr_expect_eq(lx.t[2].major, TK_SEMI);
	done(&lx);
}

Test(lexer, end_token_position)
{
	struct lexed lx;
	struct sbx_lexer l;
	struct sbx_token t;
	lex_str(&lx, "a\n  ");
	sbx_lex_init(&l, &lx.src, &lx.d);
	sbx_lex(&l, &t);
	cr_expect_eq(sbx_lex(&l, &t), 0);
	cr_expect_eq(t.line, 2);
	cr_expect_eq(t.col, 3);
	cr_expect_eq(sbx_lex(&l, &t), 0, "the end token repeats");
	done(&lx);
}

Test(lexer, curly_quotes_make_one_string_and_one_message)
{
	struct lexed lx;
	lex_str(&lx, "readonly \xe2\x80\x9c/usr\xe2\x80\x9d, \xe2\x80\x9c/x\n;");
	cr_assert_eq(lx.n, 5);
	check_tok(&lx.t[1], TK_STRING, 1, 10, 10);
	cr_expect(lx.t[1].bad);
	check_tok(&lx.t[2], TK_COMMA, 1, 20, 1);
	check_tok(&lx.t[3], TK_STRING, 1, 22, 5);
	check_tok(&lx.t[4], TK_SEMI, 2, 1, 1);
	cr_expect_eq(lx.d.nerrors, 2, "%s", lx.text);
	check_first_error(&lx, "test.sbxpol:1:10: error: unexpected character '\xe2\x80\x9c' (U+201C); "
	                       "strings use straight double quotes '\"'");
	char *s = decode(&lx, 1);
	cr_expect_str_eq(s, "");
	free(s);
	done(&lx);
}

/* Random bytes: every token lies inside the input and the lexer ends. */
Test(lexer, random_bytes_do_not_crash)
{
	uint64_t state = 0x9e3779b97f4a7c15u;
	for (int round = 0; round < 200; round++) {
		char buf[513];
		size_t len = (size_t)(state % (sizeof buf - 1));
		for (size_t i = 0; i < len; i++) {
			state ^= state << 13;
			state ^= state >> 7;
			state ^= state << 17;
			buf[i] = (char)(state >> 56);
		}
		buf[len] = '\0';   /* sources are NUL-terminated (diag.h) */
		struct sbx_source src = { "r", buf, len };
		struct sbx_diags d;
		struct sbx_lexer l;
		struct sbx_token t;
		sbx_diags_init(&d);
		sbx_lex_init(&l, &src, &d);
		size_t guard = 0;
		while (sbx_lex(&l, &t) != 0) {
			cr_assert(t.text >= buf && t.text + t.len <= buf + len);
			if (t.major == TK_STRING) {
				char *s = malloc(t.len + 1);
				cr_assert(s);
				size_t n = sbx_lex_string(&t, buf + len, s);
				cr_assert_leq(n, t.len);
				cr_assert_eq(strlen(s), n, "no NUL inside a decoded string");
				free(s);
			}
			cr_assert_lt(++guard, len + 1);
		}
		sbx_diags_free(&d);
	}
}
