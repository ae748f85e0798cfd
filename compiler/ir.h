/*
 * ir.h - one policy after semantic checks: extends and imports resolved,
 * parameters bound or recorded, paths normalized, rules sorted and unique.
 * This is the input of the per-target lowering and the blob writer.  Two
 * spellings of the same policy give equal IRs (and so identical blobs).
 */
#ifndef SBX_IR_H
#define SBX_IR_H

#include <stddef.h>
#include <stdint.h>

#include "../include/sbx/blob.h"
#include "diag.h"

#define SBX_TARGET_LINUX   SBX_PLAT_LINUX
#define SBX_TARGET_WINDOWS SBX_PLAT_WINDOWS
#define SBX_TARGET_ALL     (SBX_TARGET_LINUX | SBX_TARGET_WINDOWS)

struct sbx_ir_path {
	uint32_t param;      /* index into sbx_ir_policy.params, or SBX_NONE */
	char *suffix;        /* owned.  With a param: "" or "/a/b".  Literal
	                        Linux: "/a/b" or "/".  Literal Windows:
	                        "C:/a/b" or "C:/" (drive letter upper-case,
	                        '/' separators; the writer makes the '\\' form). */
	uint32_t platforms;  /* SBX_PLAT_*: literal POSIX paths are Linux only,
	                        drive paths Windows only, parameter paths both
	                        (restricted to the compile targets) */
};

#define SBX_IR_RULE_INHERITED (1u << 0)  /* came from an extended policy */

struct sbx_ir_rule {
	struct sbx_ir_path path;
	enum sbx_fs_kind kind;
	uint32_t flags;      /* SBX_IR_RULE_INHERITED; never reaches the blob */
	struct sbx_loc loc;  /* where the winning rule was written */
};

struct sbx_ir_env {
	enum sbx_env_opcode op;
	char *name;          /* owned: glob or exact name */
	char *value;         /* owned, SET only, else NULL */
	uint32_t flags;      /* SBX_ENV_F_DEFAULT, SBX_ENV_F_EXACT */
};

struct sbx_ir_param {
	char *name;          /* owned */
	uint32_t flags;      /* SBX_PARAM_F_BUILTIN */
};

struct sbx_ir_policy {
	char *name;                      /* owned */
	struct sbx_ir_param *params;     /* spawn-time parameters, sorted by name */
	size_t nparams;
	struct sbx_ir_rule *rules;       /* sorted: literal paths first, then by
	                                    param index, then suffix bytewise */
	size_t nrules;
	enum sbx_net_mode network;
	struct sbx_limits limits;        /* 0 = no limit */
	int best_effort;
	int userns_allowed;              /* the command may create user namespaces */
	struct sbx_ir_env *env;          /* sorted by (op, name); defaults included */
	size_t nenv;
	uint32_t targets;                /* SBX_TARGET_* */
};

void sbx_ir_policy_free(struct sbx_ir_policy *p);

/* 1 when a and b are the same policy: equal in everything but the name and
   source locations (so two spellings can be compared). */
int sbx_ir_equal(const struct sbx_ir_policy *a, const struct sbx_ir_policy *b);

#endif
