/*
 * ast.h - the syntax tree of one .sbxpol file, as the parser builds it.
 * Values are decoded (string escapes resolved, numbers scaled to base
 * units) but nothing is checked beyond syntax: that is sema's job.
 */
#ifndef SBX_AST_H
#define SBX_AST_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"

/* One name, path, pattern or value, with where it was written. */
struct sbx_ast_item {
	char *text;          /* owned, NUL-terminated, valid UTF-8, no NUL inside */
	size_t len;
	struct sbx_loc loc;
};

enum sbx_stmt_kind {
	SBX_STMT_PARAM = 1,      /* param A, B;          items = names */
	SBX_STMT_WRITABLE,       /* writable "p", ...;   items = paths */
	SBX_STMT_READONLY,       /* readonly "p", ...;   items = paths */
	SBX_STMT_DENIED,         /* denied "p", ...;     items = paths */
	SBX_STMT_PRIVATE,        /* private "p", ...;    items = paths */
	SBX_STMT_NETWORK,        /* network offline|online;   arg = enum sbx_net_mode */
	SBX_STMT_NETWORK_ALLOW,  /* network allow "h:p", ...; items (reserved, rejected by sema) */
	SBX_STMT_LIMIT,          /* limit X N [unit];    arg = enum sbx_limit_kind, value */
	SBX_STMT_ENV_KEEP,       /* env keep "glob", ...; items */
	SBX_STMT_ENV_DROP,       /* env drop "glob", ...; items */
	SBX_STMT_ENV_SET,        /* env set NAME = "v";  items[0] = name, items[1] = value */
	SBX_STMT_ENFORCEMENT,    /* enforcement strict|best-effort; arg = enum sbx_enforcement */
	SBX_STMT_USERNS,         /* user-namespaces deny|allow; arg = enum sbx_userns */
};

enum sbx_limit_kind {
	SBX_LIMIT_PROCESSES = 1, /* value: count */
	SBX_LIMIT_MEMORY,        /* value: bytes */
	SBX_LIMIT_CPU,           /* value: seconds */
	SBX_LIMIT_WALL,          /* value: seconds */
};
#define SBX_LIMIT_NONE UINT64_MAX  /* "limit X none;": remove an inherited limit */

enum sbx_enforcement { SBX_ENFORCE_STRICT = 1, SBX_ENFORCE_BEST_EFFORT = 2 };
enum sbx_userns { SBX_USERNS_DENY = 1, SBX_USERNS_ALLOW = 2 };

struct sbx_ast_stmt {
	enum sbx_stmt_kind kind;
	int arg;
	uint64_t value;
	struct sbx_ast_item *items;  /* owned array */
	size_t nitems;
	struct sbx_loc loc;          /* the statement's first token */
};

struct sbx_ast_policy {
	struct sbx_ast_item name;
	struct sbx_ast_item parent;  /* text == NULL when there is no "extends" */
	struct sbx_ast_stmt *stmts;  /* owned array, in source order */
	size_t nstmts;
	struct sbx_loc loc;          /* the "policy" keyword */
};

struct sbx_ast_file {
	const struct sbx_source *src;
	uint32_t version;            /* from "sbxpol N;" */
	struct sbx_loc version_loc;
	struct sbx_ast_item *imports;   /* owned; text = the path as written */
	size_t nimports;
	struct sbx_ast_policy *policies;  /* owned, in source order */
	size_t npolicies;
};

#define SBX_LANG_VERSION 1

/*
 * Parses src into a tree.  Syntax errors go to d; the parser recovers at
 * the next ';' or '}' and goes on, so several errors can be reported.
 * Returns NULL only when out of memory; check d->nerrors for success.
 */
struct sbx_ast_file *sbx_parse(const struct sbx_source *src, struct sbx_diags *d);
void sbx_ast_free(struct sbx_ast_file *f);

#endif
