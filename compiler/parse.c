/*
 * parse.c - builds the syntax tree of one .sbxpol file.
 *
 * sbx_parse() feeds the tokens of grammar/lexer.re to the lemon parser of
 * grammar/parser.y; the grammar actions call the sbx_p_* functions below,
 * which decode values, check what needs no other context (the header,
 * units, caps) and append to the tree.  Syntax errors get their words in
 * sbx_p_syntax_error() from what the parser expected at that point.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler.h"
#include "parse_internal.h"
#include "parser.h"

enum { CAP_POLICIES = 1, CAP_STMTS = 2, CAP_IMPORTS = 4 };

#define HAS(set, tk) ((((set) >> (tk)) & 1) != 0)

/* ---- locations and messages ---- */

static struct sbx_loc tok_loc(const struct sbx_parse_state *ps, const struct sbx_token *t)
{
	struct sbx_loc loc = { ps->src, t->line, t->col, t->len ? t->len : 1 };
	return loc;
}

/* Just past the token fed before the lookahead: where a missing ';' goes. */
static struct sbx_loc after_prev(const struct sbx_parse_state *ps)
{
	if (!ps->prev.line)
		return tok_loc(ps, &ps->cur);
	struct sbx_loc loc = { ps->src, ps->prev.line, ps->prev.col + ps->prev.len, 1 };
	return loc;
}

static void perr(struct sbx_parse_state *ps, struct sbx_loc loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void perr(struct sbx_parse_state *ps, struct sbx_loc loc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sbx_vdiag(ps->d, SBX_SEV_ERROR, loc, fmt, ap);
	va_end(ap);
}

/* ---- tree building ---- */

/* Makes room for one more element of `size` bytes in *v (n used, *cap). */
static int grow(struct sbx_parse_state *ps, void **v, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return 0;
	size_t ncap = *cap ? *cap * 2 : 4;
	void *nv = realloc(*v, ncap * size);
	if (!nv) {
		ps->oom = 1;
		return -1;
	}
	*v = nv;
	*cap = ncap;
	return 0;
}

/* A name is copied as written; a string is decoded. */
static int make_item(struct sbx_parse_state *ps, const struct sbx_token *t, struct sbx_ast_item *it)
{
	char *buf = malloc((size_t)t->len + 1);
	if (!buf) {
		ps->oom = 1;
		return -1;
	}
	if (t->major == TK_STRING) {
		it->len = sbx_lex_string(t, ps->src->text + ps->src->len, buf);
	} else {
		memcpy(buf, t->text, t->len);
		buf[t->len] = '\0';
		it->len = t->len;
	}
	it->text = buf;
	it->loc = tok_loc(ps, t);
	return 0;
}

static void item_free(struct sbx_ast_item *it)
{
	free(it->text);
	it->text = NULL;
}

void sbx_items_free(struct sbx_items *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		item_free(&l->v[i]);
	free(l->v);
	free(l);
}

/* names/strings := X | names ',' X */
struct sbx_items *sbx_p_list(struct sbx_parse_state *ps, struct sbx_items *l,
                             const struct sbx_token *t)
{
	if (!l && !(l = calloc(1, sizeof *l))) {
		ps->oom = 1;
		return NULL;
	}
	if (l->n >= SBX_MAX_ITEMS) {
		if (!l->capped)
			perr(ps, tok_loc(ps, t), "too many values in one statement (limit is %d)", SBX_MAX_ITEMS);
		l->capped = 1;
		return l;
	}
	if (grow(ps, (void **)&l->v, &l->cap, l->n, sizeof *l->v) == 0 &&
	    make_item(ps, t, &l->v[l->n]) == 0)
		l->n++;
	return l;
}

static struct sbx_ast_policy *open_policy(struct sbx_parse_state *ps)
{
	return ps->policy == SIZE_MAX ? NULL : &ps->file->policies[ps->policy];
}

/* Appends an empty statement to the open policy; NULL when there is none
 * (capped, or out of memory). */
static struct sbx_ast_stmt *new_stmt(struct sbx_parse_state *ps, enum sbx_stmt_kind kind,
                                     const struct sbx_token *kw)
{
	struct sbx_ast_policy *p = open_policy(ps);
	if (!p)
		return NULL;
	if (p->nstmts >= SBX_MAX_STMTS) {
		if (!(ps->capped & CAP_STMTS))
			perr(ps, tok_loc(ps, kw), "too many statements in policy '%s' (limit is %d)",
			     p->name.text, SBX_MAX_STMTS);
		ps->capped |= CAP_STMTS;
		return NULL;
	}
	if (grow(ps, (void **)&p->stmts, &ps->cap_stmts, p->nstmts, sizeof *p->stmts) < 0)
		return NULL;
	struct sbx_ast_stmt *s = &p->stmts[p->nstmts++];
	memset(s, 0, sizeof *s);
	s->kind = kind;
	s->loc = tok_loc(ps, kw);
	return s;
}

/* statement := KEYWORD list ';' | KEYWORD mode ';' (takes l) */
void sbx_p_stmt(struct sbx_parse_state *ps, enum sbx_stmt_kind kind,
                const struct sbx_token *kw, struct sbx_items *l, int arg)
{
	struct sbx_ast_stmt *s = new_stmt(ps, kind, kw);
	if (s) {
		s->arg = arg;
		if (l) {
			s->items = l->v;
			s->nitems = l->n;
			l->v = NULL;
			l->n = 0;
		}
	}
	sbx_items_free(l);
}

/* policy := 'policy' NAME [ 'extends' NAME ] '{' ...  (name NULL: it was broken) */
void sbx_p_policy(struct sbx_parse_state *ps, const struct sbx_token *kw,
                  const struct sbx_token *name, const struct sbx_token *parent)
{
	struct sbx_ast_file *f = ps->file;
	ps->policy = SIZE_MAX;
	if (f->npolicies >= SBX_MAX_POLICIES) {
		if (!(ps->capped & CAP_POLICIES))
			perr(ps, tok_loc(ps, kw), "too many policies in one file (limit is %d)", SBX_MAX_POLICIES);
		ps->capped |= CAP_POLICIES;
		return;
	}
	if (grow(ps, (void **)&f->policies, &ps->cap_policies, f->npolicies, sizeof *f->policies) < 0)
		return;
	struct sbx_ast_policy *p = &f->policies[f->npolicies];
	memset(p, 0, sizeof *p);
	p->loc = tok_loc(ps, kw);
	struct sbx_token none = *kw;
	none.major = TK_NAME;
	none.len = 0;   /* a broken name becomes "" */
	if (make_item(ps, name ? name : &none, &p->name) < 0)
		return;
	if (!name)
		p->name.loc = tok_loc(ps, kw);
	if (parent && make_item(ps, parent, &p->parent) < 0) {
		item_free(&p->name);
		return;
	}
	ps->policy = f->npolicies++;
	ps->cap_stmts = 0;
}

/* import := 'import' STRING ';' */
void sbx_p_import(struct sbx_parse_state *ps, const struct sbx_token *path)
{
	struct sbx_ast_file *f = ps->file;
	if (f->nimports >= SBX_MAX_IMPORTS) {
		if (!(ps->capped & CAP_IMPORTS))
			perr(ps, tok_loc(ps, path), "too many imports in one file (limit is %d)", SBX_MAX_IMPORTS);
		ps->capped |= CAP_IMPORTS;
		return;
	}
	if (grow(ps, (void **)&f->imports, &ps->cap_imports, f->nimports, sizeof *f->imports) == 0 &&
	    make_item(ps, path, &f->imports[f->nimports]) == 0)
		f->nimports++;
}

/* ---- the header: 'sbxpol' NUMBER ';' ---- */

void sbx_p_header(struct sbx_parse_state *ps, const struct sbx_token *kw,
                  const struct sbx_token *num, int has_semi)
{
	int quiet = ps->quiet;   /* the lexer may have explained it already */
	(void)kw;
	ps->quiet = 1;           /* one message for a broken header */
	if (quiet)
		return;
	if (!num) {
		perr(ps, tok_loc(ps, &ps->cur),
		     "expected the language version after 'sbxpol', as in 'sbxpol 1;'");
		return;
	}
	ps->file->version = num->num > UINT32_MAX ? UINT32_MAX : (uint32_t)num->num;
	ps->file->version_loc = tok_loc(ps, num);
	if (!num->bad && num->num != SBX_LANG_VERSION)
		perr(ps, tok_loc(ps, num), "unsupported language version %llu (this sbxc knows version %d)",
		     (unsigned long long)num->num, SBX_LANG_VERSION);
	else if (!has_semi)
		perr(ps, after_prev(ps), "expected ';' after 'sbxpol %.*s'", (int)num->len, num->text);
	else
		ps->quiet = 0;
}

void sbx_p_no_header(struct sbx_parse_state *ps)
{
	perr(ps, tok_loc(ps, &ps->cur), "a policy file must start with 'sbxpol %d;'", SBX_LANG_VERSION);
	ps->quiet = 1;
}

/* ---- limits ---- */

static const char *const limit_names[] = { "", "processes", "memory", "cpu", "wall" };

static int tok_is(const struct sbx_token *t, const char *s)
{
	return strlen(s) == t->len && memcmp(t->text, s, t->len) == 0;
}

static uint64_t memory_unit(struct sbx_parse_state *ps, const struct sbx_token *u)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
	for (unsigned i = 0; i < 4; i++)
		if (tok_is(u, units[i]))
			return (uint64_t)1 << (10 * (i + 1));
	perr(ps, tok_loc(ps, u), "unknown memory unit '%.*s'; use KiB, MiB, GiB or TiB (powers of 1024)",
	     (int)u->len, u->text);
	return 0;
}

/* Words people write for time units, and what to write instead. */
static const char *time_hint(const struct sbx_token *u)
{
	static const struct { const char *word, *hint; } hints[] = {
		{ "sec", " ('s' means seconds)" }, { "secs", " ('s' means seconds)" },
		{ "second", " ('s' means seconds)" }, { "seconds", " ('s' means seconds)" },
		{ "min", " ('m' means minutes)" }, { "mins", " ('m' means minutes)" },
		{ "minute", " ('m' means minutes)" }, { "minutes", " ('m' means minutes)" },
		{ "hr", " ('h' means hours)" }, { "hrs", " ('h' means hours)" },
		{ "hour", " ('h' means hours)" }, { "hours", " ('h' means hours)" },
		{ "ms", " (limits are whole seconds)" }, { "us", " (limits are whole seconds)" },
	};
	for (size_t i = 0; i < sizeof hints / sizeof hints[0]; i++)
		if (tok_is(u, hints[i].word))
			return hints[i].hint;
	return "";
}

static uint64_t time_unit(struct sbx_parse_state *ps, const struct sbx_token *u)
{
	if (tok_is(u, "s"))
		return 1;
	if (tok_is(u, "m"))
		return 60;
	if (tok_is(u, "h"))
		return 3600;
	perr(ps, tok_loc(ps, u), "unknown time unit '%.*s'; use s, m or h%s", (int)u->len, u->text,
	     time_hint(u));
	return 0;
}

/* The multiplier of `unit` for limit `kind`; 0 after reporting an error. */
static uint64_t limit_scale(struct sbx_parse_state *ps, int kind, const struct sbx_token *num,
                            const struct sbx_token *unit)
{
	if (kind == SBX_LIMIT_PROCESSES) {
		if (!unit)
			return 1;
		perr(ps, tok_loc(ps, unit), "'limit processes' takes a plain number, without a unit");
		return 0;
	}
	if (!unit) {
		perr(ps, tok_loc(ps, num), "%s needs a unit: %s", limit_names[kind],
		     kind == SBX_LIMIT_MEMORY ? "KiB, MiB, GiB or TiB" : "s, m or h");
		return 0;
	}
	return kind == SBX_LIMIT_MEMORY ? memory_unit(ps, unit) : time_unit(ps, unit);
}

/* limit := 'limit' KIND NUMBER [UNIT] ';' | 'limit' KIND 'none' ';' (num NULL) */
void sbx_p_limit(struct sbx_parse_state *ps, const struct sbx_token *kw, int kind,
                 const struct sbx_token *num, const struct sbx_token *unit)
{
	uint64_t value = SBX_LIMIT_NONE;
	if (num) {
		uint64_t scale = limit_scale(ps, kind, num, unit);
		if (!scale || num->bad)
			return;
		if (num->num == 0) {
			perr(ps, tok_loc(ps, num), "a limit of 0 is not allowed; write 'limit %s none;' to remove a limit",
			     limit_names[kind]);
			return;
		}
		/* UINT64_MAX itself means "none", so the largest limit is one less. */
		if (num->num > (UINT64_MAX - 1) / scale) {
			perr(ps, tok_loc(ps, num), "limit too large");
			return;
		}
		value = num->num * scale;
	}
	struct sbx_ast_stmt *s = new_stmt(ps, SBX_STMT_LIMIT, kw);
	if (s) {
		s->arg = kind;
		s->value = value;
	}
}

/* ---- env set NAME = "VALUE"; ---- */

static int env_name_ok(const struct sbx_token *t)
{
	for (uint32_t i = 0; i < t->len; i++)
		if (t->text[i] == '-')
			return 0;
	return 1;   /* the lexer's NAME already is [A-Za-z_][A-Za-z0-9_-]* */
}

void sbx_p_env_set(struct sbx_parse_state *ps, const struct sbx_token *kw,
                   const struct sbx_token *name, const struct sbx_token *value)
{
	if (!env_name_ok(name)) {
		perr(ps, tok_loc(ps, name),
		     "'%.*s' is not a variable name: use letters, digits and '_' (no '-')",
		     (int)name->len, name->text);
		return;
	}
	struct sbx_items *l = sbx_p_list(ps, NULL, name);
	l = sbx_p_list(ps, l, value);
	if (l && l->n == 2)
		sbx_p_stmt(ps, SBX_STMT_ENV_SET, kw, l, 0);
	else
		sbx_items_free(l);
}

void sbx_p_overflow(struct sbx_parse_state *ps)
{
	perr(ps, tok_loc(ps, &ps->cur), "the file is nested too deeply");
	ps->failed = 1;
}

/* ---- syntax errors in words ---- */

static const char *const statement_words[] = {
	"param", "writable", "readonly", "denied", "private", "network", "limit", "env", "enforcement",
	"user-namespaces",
};

static int is_word(int major)
{
	return major >= TK_SBXPOL && major <= TK_NAME;   /* keywords are declared first */
}

static int is_statement_keyword(int major)
{
	switch (major) {
	case TK_PARAM: case TK_WRITABLE: case TK_READONLY: case TK_DENIED: case TK_PRIVATE:
	case TK_NETWORK: case TK_LIMIT: case TK_ENV: case TK_ENFORCEMENT:
		return 1;
	default:
		return 0;
	}
}

/* Edit distance, for "did you mean"; words longer than 32 bytes never match. */
static size_t edit_distance(const char *a, size_t na, const char *b, size_t nb)
{
	size_t row[33];
	if (na > 32 || nb > 32)
		return SIZE_MAX;
	for (size_t j = 0; j <= nb; j++)
		row[j] = j;
	for (size_t i = 1; i <= na; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= nb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[nb];
}

static size_t common_prefix(const char *a, size_t na, const char *b)
{
	size_t i = 0;
	while (i < na && b[i] && a[i] == b[i])
		i++;
	return i;
}

/*
 * The closest of `words` to t, or NULL when none is close enough to guess.
 * A shared start of three letters counts as one edit less: "deny" means
 * "denied" more likely than "env".
 */
static const char *closest(const struct sbx_token *t, const char *const *words, size_t n)
{
	const char *best = NULL;
	size_t bestd = SIZE_MAX, bestp = 0;
	for (size_t i = 0; i < n; i++) {
		size_t wl = strlen(words[i]);
		size_t dist = edit_distance(t->text, t->len, words[i], wl);
		size_t pre = common_prefix(t->text, t->len, words[i]);
		size_t longer = wl > t->len ? wl : t->len;
		if (dist != SIZE_MAX && pre >= 3)
			dist--;
		if (dist <= 3 && dist * 2 <= longer && (dist < bestd || (dist == bestd && pre > bestp))) {
			best = words[i];
			bestd = dist;
			bestp = pre;
		}
	}
	return best;
}

/* How to name the token found, e.g. "'foo'", "a string". */
static const char *describe(const struct sbx_token *t, char *buf, size_t size)
{
	if (t->major == 0)
		return "the end of the file";
	if (t->major == TK_STRING)
		return "a string";
	if (t->major == TK_NUMBER)
		return "a number";
	snprintf(buf, size, "'%.*s'", t->len > 40 ? 40 : (int)t->len, t->text);
	return buf;
}

/* What the strings of the current statement are: "path", "pattern", ... */
static const char *string_noun(const struct sbx_parse_state *ps, int plural)
{
	switch (ps->stmt[0]) {
	case TK_IMPORT: return plural ? "file names" : "file name";
	case TK_WRITABLE: case TK_READONLY: case TK_DENIED: case TK_PRIVATE:
		return plural ? "paths" : "path";
	case TK_NETWORK: return plural ? "addresses" : "address";
	case TK_PARAM: return plural ? "parameter names" : "parameter name";
	case TK_ENV: return ps->stmt[1] == TK_SET ? "value" : plural ? "patterns" : "pattern";
	default: return plural ? "strings" : "string";
	}
}

/* The token before the error, as in "after the path", "after 'writable'". */
static const char *describe_prev(const struct sbx_parse_state *ps, char *buf, size_t size)
{
	if (ps->prev.major == TK_STRING)
		snprintf(buf, size, "the %s", string_noun(ps, 0));
	else
		describe(&ps->prev, buf, size);
	return buf;
}

/* At the start of a statement, inside a policy. */
static void statement_error(struct sbx_parse_state *ps, const struct sbx_token *t)
{
	char buf[64];
	const struct sbx_ast_policy *p = open_policy(ps);
	const char *hint;
	if (t->major == 0)
		perr(ps, after_prev(ps), "expected '}' at the end of policy '%s'", p ? p->name.text : "");
	else if (t->major == TK_POLICY)
		perr(ps, after_prev(ps), "expected '}' before the next policy");
	else if (t->major == TK_IMPORT)
		perr(ps, tok_loc(ps, t), "'import' cannot be inside a policy");
	else if (!is_word(t->major))
		perr(ps, tok_loc(ps, t), "expected a statement or '}', found %s", describe(t, buf, sizeof buf));
	else if ((hint = closest(t, statement_words, sizeof statement_words / sizeof *statement_words)))
		perr(ps, tok_loc(ps, t), "unknown statement '%.*s'; did you mean '%s'?", (int)t->len, t->text, hint);
	else
		perr(ps, tok_loc(ps, t), "unknown statement '%.*s'; a statement starts with param, writable, "
		     "readonly, denied, private, network, limit, env, enforcement or user-namespaces",
		     (int)t->len, t->text);
}

/* Between policies. */
static void top_level_error(struct sbx_parse_state *ps, const struct sbx_token *t)
{
	static const char *const top_words[] = { "policy", "import" };
	char buf[64];
	const char *hint;
	if (is_statement_keyword(t->major))
		perr(ps, tok_loc(ps, t), "statements must be inside a policy { ... }");
	else if (t->major == TK_SBXPOL)
		perr(ps, tok_loc(ps, t), "'sbxpol' must come first in the file, and only once");
	else if (t->major == TK_RBRACE)
		perr(ps, tok_loc(ps, t), "unexpected '}': no policy is open");
	else if (is_word(t->major) && (hint = closest(t, top_words, 2)))
		perr(ps, tok_loc(ps, t), "expected 'policy' or 'import', found '%.*s'; did you mean '%s'?",
		     (int)t->len, t->text, hint);
	else
		perr(ps, tok_loc(ps, t), "expected 'policy' or 'import', found %s", describe(t, buf, sizeof buf));
}

/* A ';' (or a ',' in a list) was expected. */
static void semi_error(struct sbx_parse_state *ps, const struct sbx_token *t, uint64_t exp)
{
	char buf[64];
	int list_elem = ps->stmt[0] == TK_PARAM ? is_word(t->major) : t->major == TK_STRING;
	if (HAS(exp, TK_COMMA) && list_elem && t->line == ps->prev.line && !is_statement_keyword(t->major))
		perr(ps, after_prev(ps), "expected ',' between %s", string_noun(ps, 1));
	else
		perr(ps, after_prev(ps), "expected ';' after %s", describe_prev(ps, buf, sizeof buf));
}

/* A string was expected: "expected a path in double quotes after 'writable'". */
static void string_expected(struct sbx_parse_state *ps, const struct sbx_token *t)
{
	char buf[64];
	const char *noun = string_noun(ps, 0);
	perr(ps, tok_loc(ps, t), "expected %s %s in double quotes after %s",
	     strchr("aeiou", noun[0]) ? "an" : "a", noun, describe(&ps->prev, buf, sizeof buf));
}

/* A name was expected: a policy, parameter or variable name. */
static void name_expected(struct sbx_parse_state *ps, const struct sbx_token *t)
{
	char buf[64];
	const char *what = "a name";
	switch (ps->prev.major == TK_COMMA ? ps->stmt[0] : ps->prev.major) {
	case TK_POLICY: case TK_EXTENDS: what = "a policy name"; break;
	case TK_PARAM: what = "a parameter name"; break;
	case TK_SET: case TK_ENV: what = "a variable name"; break;
	}
	perr(ps, tok_loc(ps, t), "expected %s after %s%s", what, describe(&ps->prev, buf, sizeof buf),
	     t->major == TK_STRING ? ", without quotes" : "");
}

/* Inside a statement or a policy header, by what the parser could take. */
static void inner_error(struct sbx_parse_state *ps, const struct sbx_token *t, uint64_t exp)
{
	char buf[64];
	struct sbx_loc at = tok_loc(ps, t);
	if (HAS(exp, TK_SEMI))
		semi_error(ps, t, exp);
	else if (HAS(exp, TK_NAME))
		name_expected(ps, t);
	else if (HAS(exp, TK_STRING))
		string_expected(ps, t);
	else if (HAS(exp, TK_LBRACE))
		perr(ps, after_prev(ps), "expected '{' after the policy name");
	else if (HAS(exp, TK_EQ))
		perr(ps, after_prev(ps), "expected '=' after the variable name");
	else if (HAS(exp, TK_OFFLINE))
		perr(ps, at, "expected 'offline' or 'online' after 'network'");
	else if (HAS(exp, TK_KEEP))
		perr(ps, at, "expected 'keep', 'drop' or 'set' after 'env'");
	else if (HAS(exp, TK_STRICT))
		perr(ps, at, "expected 'strict' or 'best-effort' after 'enforcement'");
	else if (HAS(exp, TK_DENY))
		perr(ps, at, "expected 'deny' or 'allow' after 'user-namespaces'");
	else if (HAS(exp, TK_PROCESSES) && t->major == TK_NAME)
		perr(ps, at, "unknown limit '%.*s'; use processes, memory, cpu or wall", (int)t->len, t->text);
	else if (HAS(exp, TK_PROCESSES))
		perr(ps, at, "expected processes, memory, cpu or wall after 'limit'");
	else if (HAS(exp, TK_NUMBER))
		perr(ps, at, "expected a number or 'none' after %s", describe(&ps->prev, buf, sizeof buf));
	else
		perr(ps, at, "unexpected %s", describe(t, buf, sizeof buf));
}

void sbx_p_syntax_error(struct sbx_parse_state *ps, int major,
                        const struct sbx_token *t, uint64_t expected)
{
	(void)major;
	if (ps->quiet)
		return;   /* this statement already has its message */
	ps->quiet = 1;
	if (HAS(expected, TK_PARAM))
		statement_error(ps, t);
	else if (HAS(expected, TK_POLICY))
		top_level_error(ps, t);
	else
		inner_error(ps, t, expected);
}

/* ---- the driver ---- */

/* Feeds one token, keeping the context that messages are worded from. */
static void feed(struct sbx_parse_state *ps, void *parser, const struct sbx_token *t)
{
	if (ps->nstmt_tokens < 2)
		ps->stmt[ps->nstmt_tokens] = t->major;
	ps->nstmt_tokens++;
	ps->cur = *t;
	sbxParse(parser, t->major, *t);
	ps->prev = *t;
	if (t->major == TK_SEMI || t->major == TK_LBRACE || t->major == TK_RBRACE) {
		ps->nstmt_tokens = 0;
		ps->stmt[0] = ps->stmt[1] = 0;
		ps->quiet = 0;
	}
}

/*
 * Moves the lexer's messages for one token into the real list.  They wait
 * until the parser has taken the token, because taking it first finishes
 * the statement before it, whose messages belong earlier in the file.
 */
static void flush_lexer_errors(struct sbx_parse_state *ps, struct sbx_diags *held)
{
	for (size_t i = 0; i < held->n; i++)
		sbx_error(ps->d, held->v[i].loc, "%s", held->v[i].msg);
	ps->d->nerrors += held->nerrors - (unsigned)held->n;   /* past the cap: counted only */
	ps->d->oom |= held->oom;
	sbx_diags_free(held);
}

static void feed_all(struct sbx_parse_state *ps, void *parser)
{
	struct sbx_lexer lx;
	struct sbx_diags held;
	struct sbx_token t;
	sbx_diags_init(&held);
	sbx_lex_init(&lx, ps->src, &held);
	do {
		sbx_lex(&lx, &t);
		if (held.nerrors)
			ps->quiet = 1;   /* the lexer said it: no second message */
		feed(ps, parser, &t);
		flush_lexer_errors(ps, &held);
	} while (t.major != 0 && !ps->oom && !ps->failed);
}

struct sbx_ast_file *sbx_parse(const struct sbx_source *src, struct sbx_diags *d)
{
	struct sbx_parse_state ps;
	memset(&ps, 0, sizeof ps);
	ps.src = src;
	ps.d = d;
	ps.policy = SIZE_MAX;
	if (!(ps.file = calloc(1, sizeof *ps.file)))
		return NULL;
	ps.file->src = src;
	if (src->len > SBX_MAX_SOURCE_SIZE) {
		struct sbx_loc loc = { src, 0, 0, 1 };
		perr(&ps, loc, "'%s' is too large (limit is %u bytes)", src->path, SBX_MAX_SOURCE_SIZE);
		return ps.file;
	}
	void *parser = sbxParseAlloc(malloc, &ps);
	if (!parser) {
		free(ps.file);
		return NULL;
	}
	feed_all(&ps, parser);
	sbxParseFree(parser, free);
	if (ps.oom) {
		sbx_ast_free(ps.file);
		return NULL;
	}
	return ps.file;
}

void sbx_ast_free(struct sbx_ast_file *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->nimports; i++)
		item_free(&f->imports[i]);
	for (size_t i = 0; i < f->npolicies; i++) {
		struct sbx_ast_policy *p = &f->policies[i];
		item_free(&p->name);
		item_free(&p->parent);
		for (size_t j = 0; j < p->nstmts; j++) {
			for (size_t k = 0; k < p->stmts[j].nitems; k++)
				item_free(&p->stmts[j].items[k]);
			free(p->stmts[j].items);
		}
		free(p->stmts);
	}
	free(f->imports);
	free(f->policies);
	free(f);
}
