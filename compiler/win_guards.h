/*
 * win_guards.h - the guard ACEs of a Windows blob, symbolically, for
 * `sbxc explain`.  The runtime's plan adds them (runtime/win_plan.h,
 * "Guards"); they are not in the blob.  This finds them from the blob the
 * way the plan finds them from the bound paths, with the same walk
 * (wp_guard_next), so explain shows every ACE the runtime sets.
 */
#ifndef SBX_WIN_GUARDS_H
#define SBX_WIN_GUARDS_H

#include <stddef.h>
#include <stdint.h>

#include "sbx/sbxrt.h"
#include "../runtime/win_plan.h"   /* WP_GUARD_*, WP_MAX_GUARDS */

/* One guard: a deny ACE for the carve-out ACE's SID, on the directory only. */
struct wg_guard {
	uint32_t ace;            /* the carve-out's deny ACE (its SID, path and rule) */
	uint32_t root;           /* the SID's writable root (PATHS index) */
	uint32_t mask;           /* WP_GUARD_PARENT on the root, WP_GUARD_MIDDLE below it */
	char *dir;               /* the directory's Windows path after the root's parameter */
};

struct wg_guards {
	struct wg_guard *g;      /* in the plan's order, without repeats */
	size_t n;
	uint32_t *later;         /* deny ACEs on a path under another parameter than their
	                            SID's root: the runtime decides from the bound values */
	size_t nlater;
	int too_many;            /* more than WP_MAX_GUARDS: the runtime refuses to spawn */
};

/* Fills `out` from a verified view.  0, or -1 when out of memory (nothing to free). */
int wg_collect(const struct sbx_view *v, struct wg_guards *out);
void wg_free(struct wg_guards *gs);

/* The rights a guard mask denies, in words: "FILE_DELETE_CHILD". */
const char *wg_mask_words(uint32_t mask);

#endif
