/*
 * lower.h - from the normalized IR to per-target operations.
 *
 * lower_common.c keeps the rules that apply to a compile target, writes the
 * platform-independent sections (PARAMS, PATHS, FS_RULES, NETWORK, LIMITS,
 * ENV) and answers the containment questions both targets ask: does rule a
 * provably contain rule b, might it (depending on parameter values), or
 * provably not?  lower_linux.c and lower_windows.c turn the rules into
 * Landlock/mount/seccomp/rlimit and token/ACE/job records.
 *
 * Nothing here compares every rule with every other: nesting comes from
 * one sort and one scan (sbx_lower_parents), "maybe inside" from counts per
 * parameter, and Windows only ever looks at its (at most 16) writable roots.
 */
#ifndef SBX_LOWER_H
#define SBX_LOWER_H

#include <stddef.h>
#include <stdint.h>

#include "blob_write.h"
#include "diag.h"
#include "ir.h"

#define SBX_MAX_WIN_CAP_SIDS 16   /* writable roots on Windows: one capability SID each */
#define SBX_LOWER_MAX_RULES  65536 /* filesystem rules; nesting is O(n log n) */

enum sbx_contain {
	SBX_CONTAIN_NO = 0,      /* provably not inside */
	SBX_CONTAIN_MAYBE = 1,   /* depends on the values bound to parameters */
	SBX_CONTAIN_YES = 2,     /* provably, strictly inside */
};

/* One rule kept for the blob (it applies to at least one target). */
struct sbx_lrule {
	const struct sbx_ir_rule *ir;
	uint32_t platforms;      /* ir path platforms & targets, never 0 */
	uint32_t path;           /* index into PATHS */
	uint32_t parent;         /* FS_RULES parent (any target), or SBX_NONE */
};

struct sbx_lower {
	struct sbx_diags *diags;
	const struct sbx_ir_policy *ir;
	uint32_t targets;
	struct sbx_bw *w;
	struct sbx_lrule *rules;         /* owned; the FS_RULES records, in order */
	size_t nrules;
	struct sbx_ir_path *paths;       /* borrowed suffixes; the PATHS records */
	size_t npaths, cappaths;
	uint32_t *path_slots;            /* owned hash of paths: index + 1, 0 = empty */
	size_t npath_slots;
};

/* Fills L->rules and writes the common sections; 0 or -1 (error reported). */
int sbx_lower_common(struct sbx_lower *L);
void sbx_lower_free(struct sbx_lower *L);

/* Returns the PATHS index of (param, suffix), adding it if new; SBX_NONE on OOM. */
uint32_t sbx_lower_path(struct sbx_lower *L, const struct sbx_ir_path *p);

/* Is `inner` inside `outer` on platform `plat` (one SBX_PLAT_* bit)? */
enum sbx_contain sbx_path_contains(const struct sbx_ir_path *outer,
                                   const struct sbx_ir_path *inner, uint32_t plat);
/* Same path on `plat` (case-insensitive on Windows)? */
int sbx_path_equal(const struct sbx_ir_path *a, const struct sbx_ir_path *b, uint32_t plat);

/*
 * Fills parent[i] (L->nrules entries) with the rule that most closely and
 * provably contains rule i on any of `plats`, or SBX_NONE: the deepest
 * container, one in the same namespace before the Linux "/", the earliest
 * rule on a tie.  Returns 0, or -1 when out of memory.
 */
int sbx_lower_parents(const struct sbx_lower *L, uint32_t plats, uint32_t *parent);

/* Does rule `outer` contain rule `inner` on plat, with both applying there? */
enum sbx_contain sbx_rule_contains(const struct sbx_lower *L, size_t outer, size_t inner,
                                   uint32_t plat);

int sbx_lower_linux(struct sbx_lower *L);
int sbx_lower_windows(struct sbx_lower *L);

/* Reports running out of memory (or past the blob size cap); returns -1. */
int sbx_lower_oom(struct sbx_lower *L);

#endif
