/*
 * sema_internal.h - the private interface between the files of sema
 * (docs/language.md is the contract):
 *
 *   sema_import.c    imports: load every imported file once
 *   sema_policies.c  the policy table and extends chains
 *   sema_layer.c     one policy's own statements ("its layer")
 *   sema_merge.c     merging a chain, and checks on the merged policy
 *   sema.c           shared helpers, the IR, sbx_sema and sbx_check_all
 */
#ifndef SBX_SEMA_INTERNAL_H
#define SBX_SEMA_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "compiler.h"

#define MAX_PARAMS   64
#define MAX_RULES    100000
#define MAX_POLICIES 4096
#define MAX_FILES    1024
#define MAX_ENV      4096
#define NLIMITS      4

struct pol;

/* A filesystem rule with its path parsed and normalized. */
struct srule {
	char *param;              /* == ref when the parameter stays; NULL when literal or bound */
	char *suffix;             /* owned (by the layer) */
	char *ref;                /* owned: the parameter as written (param aliases it), or NULL */
	uint32_t platforms;
	enum sbx_fs_kind kind;
	struct sbx_loc loc;
	const struct pol *owner;
	size_t seq;               /* source order inside the layer */
	int replaces;             /* merged: it replaced an inherited rule of another kind */
};

struct sparam {
	const char *name;         /* borrowed from the tree */
	struct sbx_loc loc;
};

struct senv {
	enum sbx_env_opcode op;
	const char *name, *value; /* borrowed from the tree */
	struct sbx_loc loc;
};

struct scalar {
	int set;
	uint64_t value;
	struct sbx_loc loc;
};

/* What one policy's own statements say. */
struct layer {
	struct srule *rules;
	size_t nrules, caprules;
	struct sparam *params;    /* declared here */
	size_t nparams, capparams;
	const char **visible;     /* declared here or in an ancestor */
	size_t nvisible;
	char **uses;              /* owned: parameters the rules here name (each once) */
	size_t nuses;
	struct senv *env;
	size_t nenv, capenv;
	struct scalar network, enforcement, userns, limit[NLIMITS];
	uint32_t dropped;         /* SBX_PLAT_* whose dropped rules were already reported */
};

struct pol {
	const struct sbx_ast_policy *ast;
	struct pol *parent;
	int chain;                /* 0 not yet resolved, 1 fine, -1 broken (reported) */
	unsigned mark;            /* walk stamp, for cycle detection */
	int analyzed;
	struct layer layer;
};

struct sfile {
	struct sbx_ast_file *ast;
	char *key;                /* owned realpath, or NULL (text without a file) */
	const char *shown;        /* the name as written, for messages */
	int on_stack;
};

/* A policy being merged from its chain. */
struct merged {
	struct srule *r;          /* borrowed from the layers, sorted by key */
	size_t n;
	struct senv *env;
	size_t nenv, capenv;
	int has_keep;
	struct scalar network, enforcement, userns, limit[NLIMITS];
};

struct sema {
	struct sbx_compiler *c;
	struct sfile *files;
	size_t nfiles, capfiles;
	size_t stack[SBX_MAX_IMPORT_DEPTH + 1];
	size_t depth;
	struct pol *pols;
	size_t npols;
	int windows;              /* Windows is a compile target */
	unsigned stamp;
	int *define_bad;          /* per -D: its value was rejected */
};

/* Indexed by enum sbx_fs_kind (sema.c). */
extern const char *const sbx_sema_kind_names[];

/* Shared helpers (sema.c). */
int sbx_sema_oom(struct sema *s);   /* reports "out of memory"; returns -1 */
/* Returns v with room for `need` elements of `size` bytes, or NULL (v untouched). */
void *sbx_sema_grow(void *v, size_t *cap, size_t need, size_t size);
/* Rule order of ir.h: literal paths first, then by parameter, then suffix bytewise. */
int sbx_sema_key_cmp(const struct srule *a, const struct srule *b);

/* Imports (sema_import.c). */
/* Records a file; takes ownership of key.  Returns its index or -1. */
long sbx_sema_add_file(struct sema *s, struct sbx_ast_file *f, char *key, const char *shown);
/* Loads the imports of file fi, depth-first. */
void sbx_sema_visit_file(struct sema *s, size_t fi);

/* The policy table and extends (sema_policies.c). */
struct pol *sbx_sema_find_pol(const struct sema *s, const char *name);
int sbx_sema_collect_policies(struct sema *s);
/* Follows parents from p; marks the whole walk fine or broken.  1 or -1. */
int sbx_sema_resolve_chain(struct sema *s, struct pol *p);

/* One layer (sema_layer.c). */
/* Checks a policy's own statements, once; its parent is already analyzed. */
int sbx_sema_analyze(struct sema *s, struct pol *p);
void sbx_sema_layer_free(struct layer *L);

/* Merging a chain, root first, and checks on the result (sema_merge.c). */
int sbx_sema_merge_chain(struct sema *s, struct pol **chain, size_t n, struct merged *m);
int sbx_sema_check_case_conflicts(struct sema *s, const struct merged *m,
                                  const struct pol *target);
void sbx_sema_check_redundant(struct sema *s, const struct merged *m, const struct pol *target);
/* Errors for rules inside a private path (denied ones excepted). */
void sbx_sema_check_private(struct sema *s, const struct merged *m);
void sbx_sema_check_unused_params(struct sema *s, struct pol **chain, size_t n);

#endif
