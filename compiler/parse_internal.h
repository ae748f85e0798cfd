/*
 * parse_internal.h - the private interface between the lexer
 * (grammar/lexer.re), the lemon grammar (grammar/parser.y) and the tree
 * builder (parse.c).  Token codes (TK_*) come from the generated parser.h.
 */
#ifndef SBX_PARSE_INTERNAL_H
#define SBX_PARSE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "ast.h"
#include "diag.h"

/* Caps on what one file may hold; each has a "too many X" message. */
#define SBX_MAX_POLICIES   1024
#define SBX_MAX_STMTS      65536   /* per policy */
#define SBX_MAX_ITEMS      65536   /* per statement */
#define SBX_MAX_IMPORTS    256

/* One token.  It points into the source and owns nothing. */
struct sbx_token {
	int major;              /* TK_* code; 0 at the end of the input */
	const char *text;       /* first byte, inside the source text */
	uint32_t len;           /* bytes, >= 1 except at the end of the input */
	uint32_t line, col;     /* 1-based; col counts bytes */
	uint64_t num;           /* TK_NUMBER: the value */
	int bad;                /* the lexer already reported an error in it */
};

struct sbx_lexer {
	const struct sbx_source *src;
	struct sbx_diags *d;
	const unsigned char *cur, *lim;   /* lim: one past the last byte */
	const unsigned char *line_start;
	uint32_t line;
	unsigned nerrors;                 /* errors this lexer reported */
};

void sbx_lex_init(struct sbx_lexer *lx, const struct sbx_source *src, struct sbx_diags *d);

/* Scans the next token into *t and returns its code (0 at the end). */
int sbx_lex(struct sbx_lexer *lx, struct sbx_token *t);

/*
 * Decodes the string token t (quotes included, as sbx_lex returned it) into
 * out, which has room for t->len + 1 bytes.  Escapes are resolved; anything
 * the lexer rejected is left out, so out is valid UTF-8 without NUL bytes.
 * Returns the decoded length; out is NUL-terminated.
 */
size_t sbx_lex_string(const struct sbx_token *t, const char *src_end, char *out);

/* A list of names or strings under construction (one grammar value). */
struct sbx_items {
	struct sbx_ast_item *v;
	size_t n, cap;
	int capped;          /* "too many" was reported; later items are dropped */
};

/* Everything the grammar actions need: lemon's %extra_context. */
struct sbx_parse_state {
	const struct sbx_source *src;
	struct sbx_diags *d;
	struct sbx_ast_file *file;
	size_t policy;           /* index of the open policy, or SIZE_MAX for none */
	size_t cap_policies, cap_imports, cap_stmts;   /* allocated room in the tree's
	                            arrays (cap_stmts: of the open policy's) */
	int oom;                 /* an allocation failed: the result is thrown away */
	int failed;              /* the parser gave up (stack overflow) */
	int capped;              /* bit set of caps already reported (CAP_* in parse.c) */
	struct sbx_token cur;    /* the lookahead being fed to the parser */
	struct sbx_token prev;   /* the token fed before it */
	int stmt[2];             /* the first two token codes of this statement */
	unsigned nstmt_tokens;   /* tokens fed since the last ';', '{' or '}' */
	int quiet;               /* an error was reported in this statement */
};

/* Grammar actions (parse.c).  Each takes the tokens it needs by pointer. */
struct sbx_items *sbx_p_list(struct sbx_parse_state *ps, struct sbx_items *l,
                             const struct sbx_token *t);
void sbx_items_free(struct sbx_items *l);
void sbx_p_header(struct sbx_parse_state *ps, const struct sbx_token *kw,
                  const struct sbx_token *num, int has_semi);
void sbx_p_no_header(struct sbx_parse_state *ps);
void sbx_p_import(struct sbx_parse_state *ps, const struct sbx_token *path);
void sbx_p_policy(struct sbx_parse_state *ps, const struct sbx_token *kw,
                  const struct sbx_token *name, const struct sbx_token *parent);
void sbx_p_stmt(struct sbx_parse_state *ps, enum sbx_stmt_kind kind,
                const struct sbx_token *kw, struct sbx_items *l, int arg);
void sbx_p_limit(struct sbx_parse_state *ps, const struct sbx_token *kw, int kind,
                 const struct sbx_token *num, const struct sbx_token *unit);
void sbx_p_env_set(struct sbx_parse_state *ps, const struct sbx_token *kw,
                   const struct sbx_token *name, const struct sbx_token *value);
void sbx_p_syntax_error(struct sbx_parse_state *ps, int major,
                        const struct sbx_token *t, uint64_t expected);
void sbx_p_overflow(struct sbx_parse_state *ps);

/* The lemon parser (generated from grammar/parser.y). */
void *sbxParseAlloc(void *(*alloc)(size_t), struct sbx_parse_state *ps);
void sbxParse(void *parser, int major, struct sbx_token minor);
void sbxParseFree(void *parser, void (*release)(void *));

#endif
