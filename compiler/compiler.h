/*
 * compiler.h - the compiler context and its pipeline:
 *
 *   load+parse (parse.c) -> sema (sema*.c: imports, extends, params, paths)
 *   -> lower + write (emit.c: per-target operations, blob bytes)
 *
 * All state lives in struct sbx_compiler; nothing is global.
 */
#ifndef SBX_COMPILER_H
#define SBX_COMPILER_H

#include <stddef.h>
#include <stdint.h>

#include "ast.h"
#include "diag.h"
#include "ir.h"

#define SBX_MAX_IMPORT_DEPTH 16
#define SBX_MAX_SOURCE_SIZE  (16u << 20)   /* bytes in one policy file */

struct sbx_define {      /* sbxc -D NAME=VALUE */
	char *name;          /* owned */
	char *value;         /* owned */
	int used;            /* set by sema when a policy uses it */
};

struct sbx_compiler {
	struct sbx_diags diags;
	struct sbx_source **sources;     /* every file read; owned */
	size_t nsources;
	struct sbx_ast_file **files;     /* files[i] parsed from sources[i]; owned */
	size_t nfiles;
	struct sbx_define *defines;      /* owned */
	size_t ndefines;
	uint32_t targets;                /* SBX_TARGET_*; default SBX_TARGET_ALL */
};

void sbx_compiler_init(struct sbx_compiler *c);
void sbx_compiler_free(struct sbx_compiler *c);

/* Adds "NAME=VALUE" from the command line; 0, or -1 with an error in diags. */
int sbx_compiler_define(struct sbx_compiler *c, const char *name_eq_value);

/*
 * Reads and parses a file (once: a second load of the same resolved path
 * returns the first result).  `from` is the import statement's location or
 * a zero loc.  Returns NULL after reporting an error.
 */
struct sbx_ast_file *sbx_load(struct sbx_compiler *c, const char *path, struct sbx_loc from);

/* Same, for text in memory (tests, fuzzing); the name is used in messages. */
struct sbx_ast_file *sbx_load_text(struct sbx_compiler *c, const char *name,
                                   const char *text, size_t len);

/*
 * Semantic analysis of one policy of `root` (NULL name: the first policy
 * written in root itself).  Resolves imports relative to the importing file.
 * Returns 0 and fills out, or -1 with errors in diags (out is then empty).
 */
int sbx_sema(struct sbx_compiler *c, struct sbx_ast_file *root, const char *name,
             struct sbx_ir_policy *out);

/*
 * Runs sbx_sema on every policy written in root itself (sbxc check), each
 * problem reported once.  Returns 0 when all of them are fine, else -1.
 */
int sbx_check_all(struct sbx_compiler *c, struct sbx_ast_file *root);

/*
 * Lowers a policy for c->targets and writes the blob into a malloc'd buffer
 * (*out, *outlen; the caller frees).  Returns 0, or -1 with errors in diags.
 */
int sbx_emit(struct sbx_compiler *c, const struct sbx_ir_policy *p,
             uint8_t **out, size_t *outlen);

#endif
