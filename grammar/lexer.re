/*
 * lexer.re - the .sbxpol tokenizer, compiled by re2c.
 *
 * sbx_lex() returns one token at a time.  It takes a pointer and a length
 * (never strlen: the text may hold NUL bytes), allocates nothing and reports
 * bad input through the diagnostics, then goes on, so that the parser sees a
 * clean token stream and one mistake gives one message.  Every scanner below
 * has a catch-all rule and an end rule ("$", bounded by YYLIMIT).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "parse_internal.h"
#include "parser.h"

/*!re2c
	re2c:define:YYCTYPE = "unsigned char";
	re2c:yyfill:enable = 0;
	re2c:eof = 0;

	cont    = [\x80-\xbf];
	utf8_mb = [\xc2-\xdf] cont
	        | "\xe0" [\xa0-\xbf] cont
	        | [\xe1-\xec\xee\xef] cont cont
	        | "\xed" [\x80-\x9f] cont
	        | "\xf0" [\x90-\xbf] cont cont
	        | [\xf1-\xf3] cont cont cont
	        | "\xf4" [\x80-\x8f] cont cont;
	ctl     = [\x01-\x08\x0b-\x1f\x7f];
	name    = [A-Za-z_][A-Za-z0-9_-]*;
	hex     = [0-9a-fA-F];
*/

void sbx_lex_init(struct sbx_lexer *lx, const struct sbx_source *src, struct sbx_diags *d)
{
	lx->src = src;
	lx->d = d;
	lx->cur = (const unsigned char *)src->text;
	lx->lim = lx->cur + src->len;
	/* A UTF-8 byte order mark, as some Windows editors write, is skipped;
	 * columns on line 1 count from after it (it is invisible when shown). */
	if (src->len >= 3 && memcmp(lx->cur, "\xef\xbb\xbf", 3) == 0)
		lx->cur += 3;
	lx->line_start = lx->cur;
	lx->line = 1;
	lx->nerrors = 0;
}

static struct sbx_loc loc_at(const struct sbx_lexer *lx, const unsigned char *p, size_t len)
{
	struct sbx_loc loc = { lx->src, lx->line, (uint32_t)(p - lx->line_start) + 1,
	                       len ? (uint32_t)len : 1 };
	return loc;
}

static void lex_error(struct sbx_lexer *lx, const unsigned char *p, size_t len,
                      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void lex_error(struct sbx_lexer *lx, const unsigned char *p, size_t len,
                      const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sbx_vdiag(lx->d, SBX_SEV_ERROR, loc_at(lx, p, len), fmt, ap);
	va_end(ap);
	lx->nerrors++;
}

/* A byte that starts no UTF-8 character: report it once, with the
 * continuation bytes after it, so one broken character is one message. */
static void bad_utf8(struct sbx_lexer *lx, const unsigned char *p, const char *where)
{
	const unsigned char *e = p + 1;
	while (e < lx->lim && *e >= 0x80 && *e <= 0xbf)
		e++;
	if (where)
		lex_error(lx, p, (size_t)(e - p), "invalid UTF-8 (byte 0x%02x) in %s; the file must be UTF-8",
		          *p, where);
	else
		lex_error(lx, p, (size_t)(e - p), "unexpected byte 0x%02x; the file must be UTF-8", *p);
	lx->cur = e;
}

static void nul_byte(struct sbx_lexer *lx, const unsigned char *p)
{
	lex_error(lx, p, 1, "a NUL byte is not allowed in a policy file");
}

/* Decodes the code point of a valid UTF-8 sequence of n bytes. */
static uint32_t utf8_decode(const unsigned char *p, size_t n)
{
	static const unsigned char lead_mask[5] = { 0, 0x7f, 0x1f, 0x0f, 0x07 };
	uint32_t c = p[0] & lead_mask[n];
	for (size_t i = 1; i < n; i++)
		c = (c << 6) | (p[i] & 0x3f);
	return c;
}

/* A valid character that cannot start a token. */
static void unexpected_char(struct sbx_lexer *lx, const unsigned char *p)
{
	size_t n = (size_t)(lx->cur - p);
	uint32_t c = utf8_decode(p, n);
	if (n == 1)
		lex_error(lx, p, 1, "unexpected character '%c'", *p);
	else if (c == 0x201c || c == 0x201d)
		lex_error(lx, p, n, "unexpected character '%.*s' (U+%04X); strings use straight double quotes '\"'",
		          (int)n, (const char *)p, (unsigned)c);
	else
		lex_error(lx, p, n, "unexpected character '%.*s' (U+%04X)", (int)n, (const char *)p,
		          (unsigned)c);
}

/* '#' to the end of the line; the comment must still be UTF-8 without NUL. */
static void skip_comment(struct sbx_lexer *lx)
{
	const unsigned char *mk = lx->cur;
	for (;;) {
		const unsigned char *s = lx->cur;
	/*!re2c
		re2c:define:YYCURSOR = "lx->cur";
		re2c:define:YYLIMIT = "lx->lim";
		re2c:define:YYMARKER = "mk";

		$                          { return; }
		"\n"                       { lx->cur = s; return; }
		"\x00"                     { nul_byte(lx, s); continue; }
		[\x01-\x09\x0b-\x7f]+      { continue; }
		utf8_mb                    { continue; }
		*                          { bad_utf8(lx, s, "a comment"); continue; }
	*/
	}
}

/* Appends a code point to out as UTF-8; returns the bytes written. */
static size_t utf8_put(char *out, uint32_t c)
{
	unsigned char *o = (unsigned char *)out;
	if (c < 0x80) {
		o[0] = (unsigned char)c;
		return 1;
	}
	if (c < 0x800) {
		o[0] = (unsigned char)(0xc0 | (c >> 6));
		o[1] = (unsigned char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		o[0] = (unsigned char)(0xe0 | (c >> 12));
		o[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3f));
		o[2] = (unsigned char)(0x80 | (c & 0x3f));
		return 3;
	}
	o[0] = (unsigned char)(0xf0 | (c >> 18));
	o[1] = (unsigned char)(0x80 | ((c >> 12) & 0x3f));
	o[2] = (unsigned char)(0x80 | ((c >> 6) & 0x3f));
	o[3] = (unsigned char)(0x80 | (c & 0x3f));
	return 4;
}

/* The state of one pass over a string body: lexing (lx set, reports
 * errors) or decoding (out set, silent). */
struct strscan {
	struct sbx_lexer *lx;
	char *out;
	size_t n;
};

static void emit(struct strscan *ss, const unsigned char *p, size_t len)
{
	if (!ss->out)
		return;
	for (size_t i = 0; i < len; i++)
		ss->out[ss->n + i] = (char)p[i];
	ss->n += len;
}

/* "\u{HEX}" from p to e: a Unicode scalar value other than NUL. */
static void unicode_escape(struct strscan *ss, const unsigned char *p, const unsigned char *e)
{
	const unsigned char *digits = p + 3;
	int nd = (int)(e - 1 - digits);
	const char *dg = (const char *)digits;
	uint32_t c = 0;
	for (const unsigned char *q = digits; q < e - 1; q++)
		c = c * 16 + (uint32_t)(*q <= '9' ? *q - '0' : (*q | 0x20) - 'a' + 10);
	int ok = c != 0 && (c < 0xd800 || c > 0xdfff) && c <= 0x10ffff;
	if (ok && ss->out)
		ss->n += utf8_put(ss->out + ss->n, c);
	if (ok || !ss->lx)
		return;
	size_t len = (size_t)(e - p);
	if (c == 0)
		lex_error(ss->lx, p, len, "'\\u{%.*s}' is not allowed: a string cannot hold a NUL character", nd, dg);
	else if (c <= 0xdfff)
		lex_error(ss->lx, p, len, "'\\u{%.*s}' is a surrogate, not a Unicode character", nd, dg);
	else
		lex_error(ss->lx, p, len, "'\\u{%.*s}' is past U+10FFFF, the last Unicode character", nd, dg);
}

static void string_error(struct strscan *ss, const unsigned char *p, size_t len, const char *msg)
{
	if (ss->lx)
		lex_error(ss->lx, p, len, "%s", msg);
}

static void unknown_escape(struct strscan *ss, const unsigned char *p)
{
	if (ss->lx)
		lex_error(ss->lx, p, 2, "unknown escape '\\%c' in a string; write '\\\\' for a backslash", p[1]);
}

static void control_in_string(struct strscan *ss, const unsigned char *p)
{
	if (!ss->lx)
		return;
	if (*p == '\t')
		lex_error(ss->lx, p, 1, "a tab inside a string must be written as '\\t'");
	else
		lex_error(ss->lx, p, 1, "control character 0x%02x inside a string; write it as '\\u{%x}'",
		          *p, *p);
}

/*
 * Scans a string body from p (just after the opening quote) to the closing
 * quote, the end of the line or the end of the input.  Returns where the
 * scan stopped and sets *closed when it found the closing quote.
 */
static const unsigned char *string_body(struct strscan *ss, const unsigned char *p,
                                        const unsigned char *lim, int *closed)
{
	const unsigned char *mk = p;
	*closed = 0;
	for (;;) {
		const unsigned char *s = p;
	/*!re2c
		re2c:define:YYCURSOR = "p";
		re2c:define:YYLIMIT = "lim";
		re2c:define:YYMARKER = "mk";

		$                      { return p; }
		"\""                   { *closed = 1; return p; }
		"\n" | "\r\n"          { return s; }
		"\\\\"                 { emit(ss, s + 1, 1); continue; }
		"\\\""                 { emit(ss, s + 1, 1); continue; }
		"\\n"                  { emit(ss, (const unsigned char *)"\n", 1); continue; }
		"\\t"                  { emit(ss, (const unsigned char *)"\t", 1); continue; }
		"\\u{" hex{1,6} "}"    { unicode_escape(ss, s, p); continue; }
		"\\u"                  { string_error(ss, s, 2, "'\\u' must be followed by 1 to 6 hex digits in braces, as in '\\u{e9}'"); continue; }
		"\\" [\x20-\x7e]       { unknown_escape(ss, s); continue; }
		"\\"                   { string_error(ss, s, 1, "a '\\' must be followed by \\, \", n, t or u{...}"); continue; }
		"\x00"                 { if (ss->lx) nul_byte(ss->lx, s); continue; }
		ctl | "\t"             { control_in_string(ss, s); continue; }
		[\x20-\x7e]            { emit(ss, s, 1); continue; }
		utf8_mb                { emit(ss, s, (size_t)(p - s)); continue; }
		*                      { if (ss->lx) { bad_utf8(ss->lx, s, "a string"); p = ss->lx->cur; } continue; }
	*/
	}
}

static int token(struct sbx_lexer *lx, struct sbx_token *t, const unsigned char *s, int major)
{
	t->major = major;
	t->text = (const char *)s;
	t->len = (uint32_t)(lx->cur - s);
	t->line = lx->line;
	t->col = (uint32_t)(s - lx->line_start) + 1;
	t->num = 0;
	t->bad = 0;
	return major;
}

/*
 * A string in curly quotes (pasted from a word processor): one message, and
 * a string token up to the closing quote or the end of the line, so that
 * the parser goes on as if the quotes were straight.
 */
static int curly_string_token(struct sbx_lexer *lx, struct sbx_token *t, const unsigned char *s)
{
	static const unsigned char close[] = { 0xe2, 0x80, 0x9d };
	unexpected_char(lx, s);
	const unsigned char *p = lx->cur;
	while (p < lx->lim && *p != '\n' && *p != '"' &&
	       !(lx->lim - p >= 3 && memcmp(p, close, 3) == 0))
		p++;
	lx->cur = p >= lx->lim || *p == '\n' ? p : p + (*p == '"' ? 1 : 3);
	token(lx, t, s, TK_STRING);
	t->bad = 1;
	return TK_STRING;
}

static int string_token(struct sbx_lexer *lx, struct sbx_token *t, const unsigned char *s)
{
	struct strscan ss = { lx, NULL, 0 };
	unsigned before = lx->nerrors;
	int closed;
	lx->cur = string_body(&ss, lx->cur, lx->lim, &closed);
	if (!closed && lx->cur < lx->lim)
		lex_error(lx, s, (size_t)(lx->cur - s), "strings cannot span lines; close the string with '\"'");
	else if (!closed)
		lex_error(lx, s, (size_t)(lx->cur - s), "unterminated string");
	token(lx, t, s, TK_STRING);
	t->bad = lx->nerrors != before;
	return TK_STRING;
}

size_t sbx_lex_string(const struct sbx_token *t, const char *src_end, char *out)
{
	struct strscan ss = { NULL, out, 0 };
	int closed;
	if (t->text[0] != '"') {   /* curly quotes: reported, decodes to "" */
		out[0] = '\0';
		return 0;
	}
	string_body(&ss, (const unsigned char *)t->text + 1, (const unsigned char *)src_end, &closed);
	out[ss.n] = '\0';
	return ss.n;
}

static int number_token(struct sbx_lexer *lx, struct sbx_token *t, const unsigned char *s)
{
	uint64_t v = 0;
	int over = 0;
	for (const unsigned char *p = s; p < lx->cur; p++) {
		unsigned dig = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - dig) / 10)
			over = 1;
		else
			v = v * 10 + dig;
	}
	token(lx, t, s, TK_NUMBER);
	if (over) {
		lex_error(lx, s, t->len, "number too large (the largest is 18446744073709551615)");
		t->bad = 1;
		v = UINT64_MAX;
	}
	t->num = v;
	return TK_NUMBER;
}

int sbx_lex(struct sbx_lexer *lx, struct sbx_token *t)
{
	const unsigned char *mk = lx->cur, *s;
	int major;
	for (;;) {
		s = lx->cur;
	/*!re2c
		re2c:define:YYCURSOR = "lx->cur";
		re2c:define:YYLIMIT = "lx->lim";
		re2c:define:YYMARKER = "mk";

		$               { return token(lx, t, s, 0); }
		[ \t\r]+        { continue; }
		"\n"            { lx->line++; lx->line_start = lx->cur; continue; }
		"#"             { skip_comment(lx); continue; }

		"sbxpol"        { major = TK_SBXPOL; break; }
		"import"        { major = TK_IMPORT; break; }
		"policy"        { major = TK_POLICY; break; }
		"extends"       { major = TK_EXTENDS; break; }
		"param"         { major = TK_PARAM; break; }
		"writable"      { major = TK_WRITABLE; break; }
		"readonly"      { major = TK_READONLY; break; }
		"denied"        { major = TK_DENIED; break; }
		"private"       { major = TK_PRIVATE; break; }
		"network"       { major = TK_NETWORK; break; }
		"offline"       { major = TK_OFFLINE; break; }
		"online"        { major = TK_ONLINE; break; }
		"allow"         { major = TK_ALLOW; break; }
		"limit"         { major = TK_LIMIT; break; }
		"processes"     { major = TK_PROCESSES; break; }
		"memory"        { major = TK_MEMORY; break; }
		"cpu"           { major = TK_CPU; break; }
		"wall"          { major = TK_WALL; break; }
		"none"          { major = TK_NONE; break; }
		"env"           { major = TK_ENV; break; }
		"keep"          { major = TK_KEEP; break; }
		"drop"          { major = TK_DROP; break; }
		"set"           { major = TK_SET; break; }
		"enforcement"   { major = TK_ENFORCEMENT; break; }
		"strict"        { major = TK_STRICT; break; }
		"best-effort"   { major = TK_BEST_EFFORT; break; }
		"user-namespaces" { major = TK_USER_NAMESPACES; break; }
		"deny"          { major = TK_DENY; break; }
		name            { major = TK_NAME; break; }

		[0-9]+          { return number_token(lx, t, s); }
		"\""            { return string_token(lx, t, s); }
		"\xe2\x80\x9c" { return curly_string_token(lx, t, s); }
		";"             { major = TK_SEMI; break; }
		","             { major = TK_COMMA; break; }
		"{"             { major = TK_LBRACE; break; }
		"}"             { major = TK_RBRACE; break; }
		"="             { major = TK_EQ; break; }

		"\x00"          { nul_byte(lx, s); continue; }
		ctl             { lex_error(lx, s, 1, "unexpected byte 0x%02x", *s); continue; }
		[\x21-\x7e]     { unexpected_char(lx, s); continue; }
		utf8_mb         { unexpected_char(lx, s); continue; }
		*               { bad_utf8(lx, s, NULL); continue; }
	*/
	}
	return token(lx, t, s, major);
}
