/*
 * diag.h - sources and diagnostics.  Library code never prints: messages
 * are collected here and rendered by the command-line front end as
 *
 *   file:line:col: error: message
 *       source line
 *       ^~~~~
 */
#ifndef SBX_DIAG_H
#define SBX_DIAG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* One loaded source file.  Owned by the compiler context. */
struct sbx_source {
	char *path;          /* as given or as resolved from an import */
	char *text;          /* contents, NUL-terminated (embedded NULs are lexed as errors) */
	size_t len;          /* bytes in text, without the terminator */
};

/* A place in a source: 1-based line and column (in bytes), length >= 1. */
struct sbx_loc {
	const struct sbx_source *src;   /* NULL for command-line or internal locations */
	uint32_t line, col, len;
};

enum sbx_severity { SBX_SEV_ERROR, SBX_SEV_WARNING, SBX_SEV_NOTE };

struct sbx_diag {
	enum sbx_severity severity;
	struct sbx_loc loc;
	char *msg;           /* owned */
};

#define SBX_MAX_ERRORS 50    /* then "too many errors" and stop reporting */

struct sbx_diags {
	struct sbx_diag *v;
	size_t n, cap;
	unsigned nerrors, nwarnings;
	int oom;             /* an allocation failed; reported once when rendering */
};

void sbx_diags_init(struct sbx_diags *d);
void sbx_diags_free(struct sbx_diags *d);

/* printf-style; messages are in words a user understands, no token names. */
void sbx_error(struct sbx_diags *d, struct sbx_loc loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void sbx_warning(struct sbx_diags *d, struct sbx_loc loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void sbx_note(struct sbx_diags *d, struct sbx_loc loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void sbx_vdiag(struct sbx_diags *d, enum sbx_severity sev, struct sbx_loc loc,
               const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));

/* Renders every message with its source line and caret underline. */
void sbx_diags_render(const struct sbx_diags *d, FILE *out);

#endif
