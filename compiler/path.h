/*
 * path.h - parsing and normalizing the paths of filesystem rules (see
 * docs/language.md, "Paths").  Pure functions: no diagnostics, no I/O.
 * Errors come back as a sentence in a caller-provided buffer.
 */
#ifndef SBX_PATH_H
#define SBX_PATH_H

#include <stddef.h>
#include <stdint.h>

#define SBX_MAX_PATH_LEN 4096   /* bytes in one path as written or normalized */
#define SBX_PATH_ERR_SIZE 160   /* enough for every message of this module */

/* A path split into (parameter, normalized suffix). */
struct sbx_pathspec {
	char *param;         /* owned parameter name, or NULL for a literal path */
	char *suffix;        /* owned: "" or "/a/b" after a parameter; "/" or "/a"
	                        for POSIX; "C:/" or "C:/a" for a drive */
	uint32_t platforms;  /* literal: SBX_PLAT_LINUX or SBX_PLAT_WINDOWS;
	                        parameter paths: 0 (the caller decides) */
};

/*
 * Parses a rule path as written (text of len bytes).  `windows` says whether
 * the Windows rules apply to parameter suffixes (drive paths always get
 * them).  Returns 0, or -1 with a message in err (out is then empty).
 */
int sbx_path_parse(const char *text, size_t len, int windows,
                   struct sbx_pathspec *out, char *err, size_t errsz);

/* Parses an absolute literal path (POSIX or drive); as above, no parameter. */
int sbx_path_literal(const char *text, size_t len,
                     struct sbx_pathspec *out, char *err, size_t errsz);

void sbx_pathspec_free(struct sbx_pathspec *p);

/* 1 when name is a valid parameter name: [A-Za-z_][A-Za-z0-9_-]*. */
int sbx_path_param_name_ok(const char *name, size_t len);

/* 1 when text is a drive path ("C:" followed by '/' or '\\'). */
int sbx_path_is_drive(const char *text);

/*
 * 1 when normalized suffix `inner` is `outer` or lies beneath it (at a '/'
 * boundary); with fold, ASCII letters compare case-insensitively.
 */
int sbx_suffix_contains(const char *outer, const char *inner, int fold);

/* strcmp with ASCII case folding. */
int sbx_suffix_casecmp(const char *a, const char *b);

#endif
