/* support.h - helpers shared by the tests: compile text, run sbxc, read files. */
#ifndef SBX_TEST_SUPPORT_H
#define SBX_TEST_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

#include "compiler.h"

/* 1 in a build with AddressSanitizer (gcc says __SANITIZE_ADDRESS__, clang __has_feature). */
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

/* Parses `text` as a file named "test.sbxpol"; diagnostics land in c->diags. */
struct sbx_ast_file *t_parse(struct sbx_compiler *c, const char *text);

/*
 * Compiles `text` (policy `name`, NULL = the first) for `targets` to a blob.
 * Returns 0 and a malloc'd blob, or -1; the diagnostics rendered as text
 * are left in *diag_out (malloc'd, may be NULL) when diag_out is not NULL.
 */
int t_compile(const char *text, const char *name, uint32_t targets,
              uint8_t **blob, size_t *len, char **diag_out);

/* Renders c->diags to a malloc'd string. */
char *t_render(const struct sbx_compiler *c);

/* Runs a shell command; returns its exit status and its output (stdout+stderr, malloc'd). */
int t_run(const char *cmd, char **output);

/* Reads a whole file into malloc'd memory (NUL-terminated); NULL on error. */
char *t_read_file(const char *path, size_t *len);

/* Writes a file; 0 or -1. */
int t_write_file(const char *path, const void *data, size_t len);

/* A fresh private temporary directory (malloc'd path). */
char *t_tmpdir(void);

#endif
