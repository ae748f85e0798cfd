/*
 * win_guards.c - the plan's guard ACEs, from the blob (win_guards.h).
 * The plan guards a carve-out when its bound path lies strictly beneath
 * its SID's bound root.  Symbolically that is known when both paths start
 * from the same parameter (or are both literal): then the parameter's value
 * is a common prefix, and walking what follows it gives the same
 * directories as walking the bound paths.  Otherwise it depends on the
 * values, and the ACE goes to `later`.
 */
#include "win_guards.h"

#include <stdlib.h>
#include <string.h>

#define WG_TEXT_MAX (2 * WP_PATH_MAX)   /* a Windows suffix: at most 4096 bytes once verified */

struct wg {
	const struct sbx_view *v;
	struct wg_guards *out;
	char root[WG_TEXT_MAX];
	char carve[WG_TEXT_MAX];
	char dir[WG_TEXT_MAX];
};

const char *wg_mask_words(uint32_t mask)
{
	return mask == WP_GUARD_PARENT ? "FILE_DELETE_CHILD" : "DELETE and FILE_DELETE_CHILD";
}

/* Path `i`'s Windows form after its parameter, in UTF-8; 0 when it has none. */
static int win_suffix(const struct sbx_view *v, uint32_t i, char *out)
{
	const uint16_t *w = sbx_view_wstr(v, v->paths[i].wsuffix);
	return w && wp_utf16_to_utf8(w, out, WG_TEXT_MAX) != SIZE_MAX;
}

/* 1 when the plan already has this guard (it adds each one once, names compared as Windows does). */
static int known(const struct wg *c, uint32_t sid, uint32_t mask, const char *dir)
{
	const struct wg_guards *o = c->out;
	for (size_t i = 0; i < o->n; i++)
		if (c->v->win_aces[o->g[i].ace].sid == sid && o->g[i].mask == mask &&
		    strlen(o->g[i].dir) == strlen(dir) && wp_path_within(o->g[i].dir, dir))
			return 1;
	return 0;
}

static int add(struct wg *c, uint32_t ace, uint32_t root, uint32_t mask, size_t len)
{
	struct wg_guards *o = c->out;
	memcpy(c->dir, c->carve, len);
	c->dir[len] = 0;
	if (known(c, c->v->win_aces[ace].sid, mask, c->dir))
		return 0;
	if (o->n >= WP_MAX_GUARDS) {
		o->too_many = 1;
		return 0;
	}
	if (!o->g && !(o->g = calloc(WP_MAX_GUARDS, sizeof *o->g)))
		return -1;
	if (!(o->g[o->n].dir = malloc(len + 1)))
		return -1;
	memcpy(o->g[o->n].dir, c->dir, len + 1);
	o->g[o->n].ace = ace;
	o->g[o->n].root = root;
	o->g[o->n++].mask = mask;
	return 0;
}

/*
 * The writable root (PATHS index) of capability SID `sid`, paired as the
 * plan pairs them (sid_root in win_plan.c): the compiler writes one SID per
 * writable root for Windows, in rule order, derived or literal.  Else SBX_NONE.
 */
static uint32_t sid_root(const struct sbx_view *v, uint32_t sid)
{
	size_t ncaps = 0;
	for (size_t i = 0; i < v->nwin_sids; i++)
		ncaps += v->win_sids[i].kind != SBX_SID_LOGON;
	if (sid >= ncaps || v->win_sids[sid].kind == SBX_SID_LOGON)
		return SBX_NONE;
	uint32_t n = 0;
	for (size_t r = 0; r < v->nrules; r++)
		if (v->rules[r].kind == SBX_FS_WRITABLE &&
		    (v->paths[v->rules[r].path].platforms & SBX_PLAT_WINDOWS) && n++ == sid)
			return v->rules[r].path;
	return SBX_NONE;
}

/* A deny ACE on a read-only or denied path for a capability SID: what the plan guards. */
static int is_carve_out(const struct sbx_view *v, const struct sbx_win_ace *a)
{
	if (a->type != SBX_ACE_DENY || a->path == SBX_NONE || a->rule == SBX_NONE ||
	    sid_root(v, a->sid) == SBX_NONE)
		return 0;
	uint32_t kind = v->rules[a->rule].kind;
	return kind == SBX_FS_READONLY || kind == SBX_FS_DENIED;
}

/* Guards ACE `i`'s path, from its parent up to its SID's root, as the plan does. */
static int guard(struct wg *c, uint32_t i)
{
	const struct sbx_win_ace *a = &c->v->win_aces[i];
	uint32_t root = sid_root(c->v, a->sid);
	if (c->v->paths[root].param != c->v->paths[a->path].param) {
		c->out->later[c->out->nlater++] = i;
		return 0;
	}
	if (!win_suffix(c->v, root, c->root) || !win_suffix(c->v, a->path, c->carve))
		return 0;             /* no Windows form: the plan refuses the blob */
	struct wp_guard_step s = { strlen(c->carve), 0, 0 };
	while (!c->out->too_many && wp_guard_next(c->root, c->carve, &s))
		if (add(c, i, root, s.mask, s.len) != 0)
			return -1;
	return 0;
}

int wg_collect(const struct sbx_view *v, struct wg_guards *out)
{
	memset(out, 0, sizeof *out);
	struct wg *c = malloc(sizeof *c);     /* the path buffers are large for a stack */
	out->later = malloc((v->nwin_aces + 1) * sizeof *out->later);
	int rc = c && out->later ? 0 : -1;
	if (c) {
		c->v = v;
		c->out = out;
	}
	for (uint32_t i = 0; rc == 0 && i < v->nwin_aces; i++)
		if (is_carve_out(v, &v->win_aces[i]))
			rc = guard(c, i);
	free(c);
	if (rc != 0)
		wg_free(out);
	return rc;
}

void wg_free(struct wg_guards *gs)
{
	for (size_t i = 0; i < gs->n; i++)
		free(gs->g[i].dir);
	free(gs->g);
	free(gs->later);
	memset(gs, 0, sizeof *gs);
}
