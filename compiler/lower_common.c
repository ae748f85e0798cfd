/*
 * lower_common.c - what both targets share: the PATHS and FS_RULES tables,
 * rule nesting, and the NETWORK, LIMITS, PARAMS and ENV sections.
 *
 * Containment is decided on (parameter, suffix) pairs without binding the
 * parameters.  It is "provable" when both paths hang off the same parameter
 * (or both are literal) and one suffix is a prefix of the other at a '/'
 * boundary, or when the outer path is the Linux root "/" (parameters are
 * absolute).  Any other mix (two parameters, a parameter and a literal)
 * depends on the values bound at spawn time: "maybe".
 */
#include "lower.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

static const struct sbx_loc no_loc;

int sbx_lower_oom(struct sbx_lower *L)
{
	if (L->w->failed == 2)
		sbx_error(L->diags, no_loc, "the policy is too large: its blob would exceed %u bytes",
		          SBX_BLOB_MAX_SIZE);
	else
		sbx_error(L->diags, no_loc, "out of memory while writing the policy blob");
	return -1;
}

void sbx_lower_free(struct sbx_lower *L)
{
	free(L->rules);
	free(L->paths);
	free(L->path_slots);
	L->rules = NULL;
	L->paths = NULL;
	L->path_slots = NULL;
	L->nrules = L->npaths = L->cappaths = L->npath_slots = 0;
}

/* ---- containment ---- */

static char ascii_upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

/* Windows folds ASCII letters only (the locale must not matter). */
static int prefix_eq(const char *a, const char *b, size_t n, int ci)
{
	if (!ci)
		return memcmp(a, b, n) == 0;
	for (size_t i = 0; i < n; i++)
		if (ascii_upper(a[i]) != ascii_upper(b[i]))
			return 0;
	return 1;
}

/* Is suffix b strictly below suffix a, at a '/' boundary? */
static int suffix_below(const char *a, const char *b, int ci)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la >= lb || !prefix_eq(a, b, la, ci))
		return 0;
	return (la > 0 && a[la - 1] == '/') || b[la] == '/';
}

enum sbx_contain sbx_path_contains(const struct sbx_ir_path *outer,
                                   const struct sbx_ir_path *inner, uint32_t plat)
{
	if (!(outer->platforms & plat) || !(inner->platforms & plat))
		return SBX_CONTAIN_NO;
	if (inner->param == SBX_NONE && !strcmp(inner->suffix, "/"))
		return SBX_CONTAIN_NO;   /* nothing holds the root */
	if (outer->param == inner->param)
		return suffix_below(outer->suffix, inner->suffix, plat == SBX_PLAT_WINDOWS)
		       ? SBX_CONTAIN_YES : SBX_CONTAIN_NO;
	/* A literal "/" holds every absolute Linux path, bound or not. */
	if (outer->param == SBX_NONE && plat == SBX_PLAT_LINUX && !strcmp(outer->suffix, "/"))
		return SBX_CONTAIN_YES;
	return SBX_CONTAIN_MAYBE;
}

int sbx_path_equal(const struct sbx_ir_path *a, const struct sbx_ir_path *b, uint32_t plat)
{
	if (a->param != b->param || !(a->platforms & plat) || !(b->platforms & plat))
		return 0;
	size_t n = strlen(a->suffix);
	return n == strlen(b->suffix) && prefix_eq(a->suffix, b->suffix, n, plat == SBX_PLAT_WINDOWS);
}

enum sbx_contain sbx_rule_contains(const struct sbx_lower *L, size_t outer, size_t inner,
                                   uint32_t plat)
{
	const struct sbx_lrule *o = &L->rules[outer], *i = &L->rules[inner];
	if (outer == inner || !(o->platforms & i->platforms & plat))
		return SBX_CONTAIN_NO;
	return sbx_path_contains(&o->ir->path, &i->ir->path, plat);
}

/* How close a provable container is: same namespace first, then depth. */
static size_t closeness(const struct sbx_lrule *outer, const struct sbx_lrule *inner)
{
	size_t same = outer->ir->path.param == inner->ir->path.param;
	return same * (SBX_BLOB_MAX_SIZE + 1u) + strlen(outer->ir->path.suffix);
}

/* ---- nesting: one sort, one scan ---- */

/* One rule in the nesting sort. */
struct nest_item {
	const char *suffix;
	uint32_t param;
	uint32_t rule;
	int ci;              /* compare ASCII case-insensitively (Windows) */
};

/* End of string first, then '/', then every other byte: a path's descendants follow it. */
static unsigned nest_key(char c, int ci)
{
	return c == '\0' ? 0u : c == '/' ? 1u : (unsigned char)(ci ? ascii_upper(c) : c) + 2u;
}

static int nest_suffix_cmp(const char *a, const char *b, int ci)
{
	for (;; a++, b++) {
		unsigned ka = nest_key(*a, ci), kb = nest_key(*b, ci);
		if (ka != kb)
			return ka < kb ? -1 : 1;
		if (ka == 0)
			return 0;
	}
}

/* Parameter, then suffix, then rule index (so the earliest of equal paths leads). */
static int nest_cmp(const void *pa, const void *pb)
{
	const struct nest_item *a = pa, *b = pb;
	if (a->param != b->param)
		return a->param < b->param ? -1 : 1;
	int c = nest_suffix_cmp(a->suffix, b->suffix, a->ci);
	if (c != 0)
		return c;
	return (a->rule > b->rule) - (a->rule < b->rule);
}

/* The rules that apply on plat, sorted; returns how many. */
static size_t nest_items(const struct sbx_lower *L, uint32_t plat, struct nest_item *v)
{
	size_t n = 0;
	for (size_t i = 0; i < L->nrules; i++)
		if (L->rules[i].platforms & plat)
			v[n++] = (struct nest_item){ L->rules[i].ir->path.suffix, L->rules[i].ir->path.param,
			                             (uint32_t)i, plat == SBX_PLAT_WINDOWS };
	qsort(v, n, sizeof *v, nest_cmp);
	return n;
}

/*
 * Sorted, the rules inside a path follow it without a gap, so a stack of
 * open ancestors gives each rule its deepest one.  Equal paths (Windows:
 * equal but for case) share one stack entry, the earliest rule, and each
 * gets the entry below as its parent.
 */
static void nest_scan(const struct nest_item *v, size_t n, uint32_t *stack, uint32_t *best)
{
	size_t top = 0;
	for (size_t k = 0; k < n; k++) {
		const struct nest_item *it = &v[k];
		int same_group = k > 0 && v[k - 1].param == it->param;
		if (same_group && nest_suffix_cmp(v[k - 1].suffix, it->suffix, it->ci) == 0) {
			best[it->rule] = best[v[k - 1].rule];
			continue;
		}
		if (!same_group)
			top = 0;
		while (top > 0 && !suffix_below(v[stack[top - 1]].suffix, it->suffix, it->ci))
			top--;
		best[it->rule] = top > 0 ? v[stack[top - 1]].rule : SBX_NONE;
		stack[top++] = (uint32_t)k;
	}
}

/* The literal "/" rule on Linux: it holds every parameter path that nothing nearer holds. */
static void nest_linux_root(const struct sbx_lower *L, uint32_t *best)
{
	uint32_t root = SBX_NONE;
	for (size_t i = 0; i < L->nrules && root == SBX_NONE; i++)
		if ((L->rules[i].platforms & SBX_PLAT_LINUX) && L->rules[i].ir->path.param == SBX_NONE &&
		    !strcmp(L->rules[i].ir->path.suffix, "/"))
			root = (uint32_t)i;
	for (size_t i = 0; i < L->nrules && root != SBX_NONE; i++)
		if ((L->rules[i].platforms & SBX_PLAT_LINUX) && L->rules[i].ir->path.param != SBX_NONE &&
		    best[i] == SBX_NONE)
			best[i] = root;
}

/* Keeps the closer container of two targets' answers; the earlier rule on a tie. */
static void nest_merge(const struct sbx_lower *L, uint32_t *parent, const uint32_t *best)
{
	for (size_t i = 0; i < L->nrules; i++) {
		uint32_t b = best[i], p = parent[i];
		if (b == SBX_NONE || b == p)
			continue;
		size_t sb = closeness(&L->rules[b], &L->rules[i]);
		size_t sp = p == SBX_NONE ? 0 : closeness(&L->rules[p], &L->rules[i]);
		if (p == SBX_NONE || sb > sp || (sb == sp && b < p))
			parent[i] = b;
	}
}

int sbx_lower_parents(const struct sbx_lower *L, uint32_t plats, uint32_t *parent)
{
	size_t n = L->nrules ? L->nrules : 1;
	struct nest_item *v = malloc(n * sizeof *v);
	uint32_t *stack = malloc(n * sizeof *stack), *best = malloc(n * sizeof *best);
	int rc = v && stack && best ? 0 : -1;
	for (size_t i = 0; i < L->nrules; i++)
		parent[i] = SBX_NONE;
	for (uint32_t plat = 1; rc == 0 && plat <= SBX_PLAT_WINDOWS; plat <<= 1) {
		if (!(plats & plat))
			continue;
		for (size_t i = 0; i < L->nrules; i++)
			best[i] = SBX_NONE;
		nest_scan(v, nest_items(L, plat, v), stack, best);
		if (plat == SBX_PLAT_LINUX)
			nest_linux_root(L, best);
		nest_merge(L, parent, best);
	}
	free(v);
	free(stack);
	free(best);
	return rc;
}

/* ---- PATHS ---- */

/* The '\\' form of a suffix, in the WSTRINGS pool. */
static uint32_t windows_suffix(struct sbx_lower *L, const char *suffix)
{
	char *s = strdup(suffix);
	if (!s)
		return SBX_NONE;
	for (char *c = s; *c; c++)
		if (*c == '/')
			*c = '\\';
	uint32_t ref = sbx_bw_wstr(L->w, s);
	free(s);
	return ref;
}

static int path_write(struct sbx_lower *L, const struct sbx_ir_path *p)
{
	struct sbx_path rec = { p->param, sbx_bw_str(L->w, p->suffix), SBX_NONE, p->platforms };
	if (p->platforms & L->targets & SBX_PLAT_WINDOWS)
		rec.wsuffix = windows_suffix(L, p->suffix);
	if (rec.suffix == SBX_NONE || ((p->platforms & L->targets & SBX_PLAT_WINDOWS) && rec.wsuffix == SBX_NONE))
		return -1;
	sbx_bw_add(L->w, SBX_SEC_PATHS, &rec, sizeof rec);
	return 0;
}

static size_t path_hash(const struct sbx_ir_path *p)
{
	uint64_t h = XXH3_64bits(p->suffix, strlen(p->suffix));
	return (size_t)(h ^ ((uint64_t)p->param * 0x9E3779B97F4A7C15u) ^ ((uint64_t)p->platforms << 32));
}

static int path_same(const struct sbx_ir_path *a, const struct sbx_ir_path *b)
{
	return a->param == b->param && a->platforms == b->platforms && !strcmp(a->suffix, b->suffix);
}

/* The slot holding p, or the empty slot where it would go. */
static size_t path_probe(const struct sbx_lower *L, const struct sbx_ir_path *p)
{
	size_t mask = L->npath_slots - 1, i = path_hash(p) & mask;
	while (L->path_slots[i] && !path_same(&L->paths[L->path_slots[i] - 1], p))
		i = (i + 1) & mask;
	return i;
}

/* Keeps the table at most half full, so probes stay short. */
static int path_slots_grow(struct sbx_lower *L)
{
	if ((L->npaths + 1) * 2 <= L->npath_slots)
		return 0;
	size_t n = L->npath_slots ? L->npath_slots * 2 : 64;
	uint32_t *old = L->path_slots;
	if (!(L->path_slots = calloc(n, sizeof *L->path_slots))) {
		L->path_slots = old;
		return -1;
	}
	free(old);
	L->npath_slots = n;
	for (size_t i = 0; i < L->npaths; i++)
		L->path_slots[path_probe(L, &L->paths[i])] = (uint32_t)i + 1;
	return 0;
}

static int paths_reserve(struct sbx_lower *L)
{
	if (L->npaths < L->cappaths)
		return 0;
	size_t cap = L->cappaths ? L->cappaths * 2 : 16;
	struct sbx_ir_path *v = realloc(L->paths, cap * sizeof *v);
	if (!v)
		return -1;
	L->paths = v;
	L->cappaths = cap;
	return 0;
}

uint32_t sbx_lower_path(struct sbx_lower *L, const struct sbx_ir_path *p)
{
	if (path_slots_grow(L) != 0 || paths_reserve(L) != 0)
		return SBX_NONE;
	size_t slot = path_probe(L, p);
	if (L->path_slots[slot])
		return L->path_slots[slot] - 1;
	if (path_write(L, p) != 0)
		return SBX_NONE;
	L->paths[L->npaths] = *p;
	L->path_slots[slot] = (uint32_t)L->npaths + 1;
	return (uint32_t)L->npaths++;
}

/* ---- FS_RULES ---- */

static int kind_rank(enum sbx_fs_kind k)
{
	return k == SBX_FS_WRITABLE || k == SBX_FS_PRIVATE ? 2 : k == SBX_FS_READONLY ? 1 : 0;
}

/* Keeps the rules that apply to a target, each with its path. */
static int keep_rules(struct sbx_lower *L)
{
	const struct sbx_ir_policy *p = L->ir;
	if (p->nrules > SBX_LOWER_MAX_RULES) {
		sbx_error(L->diags, p->rules[SBX_LOWER_MAX_RULES].loc,
		          "too many filesystem rules (limit is %d)", SBX_LOWER_MAX_RULES);
		return -2;
	}
	L->rules = calloc(p->nrules ? p->nrules : 1, sizeof *L->rules);
	if (!L->rules)
		return -1;
	for (size_t i = 0; i < p->nrules; i++) {
		struct sbx_ir_path path = p->rules[i].path;
		path.platforms &= L->targets;
		if (!path.platforms)
			continue;   /* sema warned: no target can use it */
		struct sbx_lrule *r = &L->rules[L->nrules++];
		r->ir = &p->rules[i];
		r->platforms = path.platforms;
		if ((r->path = sbx_lower_path(L, &path)) == SBX_NONE)
			return -1;
	}
	return 0;
}

static int write_rules(struct sbx_lower *L)
{
	uint32_t *parent = malloc((L->nrules ? L->nrules : 1) * sizeof *parent);
	if (!parent || sbx_lower_parents(L, L->targets, parent) != 0) {
		free(parent);
		return -1;
	}
	for (size_t i = 0; i < L->nrules; i++)
		L->rules[i].parent = parent[i];
	free(parent);
	for (size_t i = 0; i < L->nrules; i++) {
		const struct sbx_lrule *r = &L->rules[i];
		struct sbx_fs_rule rec = { r->path, r->ir->kind, 0, r->parent };
		if (r->parent != SBX_NONE && kind_rank(r->ir->kind) < kind_rank(L->rules[r->parent].ir->kind))
			rec.flags |= SBX_RULE_F_CARVE_OUT;
		sbx_bw_add(L->w, SBX_SEC_FS_RULES, &rec, sizeof rec);
	}
	return 0;
}

/* ---- PARAMS, NETWORK, LIMITS ---- */

static void write_params(struct sbx_lower *L)
{
	for (size_t i = 0; i < L->ir->nparams; i++) {
		const struct sbx_ir_param *ip = &L->ir->params[i];
		struct sbx_param rec = { sbx_bw_str(L->w, ip->name), SBX_NONE,
		                         ip->flags & SBX_PARAM_F_BUILTIN, 0 };
		if (L->targets & SBX_PLAT_WINDOWS)
			rec.wname = sbx_bw_wstr(L->w, ip->name);
		sbx_bw_add(L->w, SBX_SEC_PARAMS, &rec, sizeof rec);
	}
}

static void write_network_limits(struct sbx_lower *L)
{
	struct sbx_network net = { (uint32_t)L->ir->network, 0 };
	sbx_bw_add(L->w, SBX_SEC_NETWORK, &net, sizeof net);
	sbx_bw_add(L->w, SBX_SEC_LIMITS, &L->ir->limits, sizeof L->ir->limits);
}

/* ---- ENV ---- */

/*
 * Offline on Windows is advisory in this version: there is no network
 * isolation, so these variables only ask well-behaved tools to stay
 * offline (a proxy that refuses, the package managers' offline switches, an
 * ssh that fails).  Nothing stops a program that ignores them; explain says
 * so.  A variable the policy sets itself is left alone.
 */
static const struct { const char *name, *value; } net_advisory[] = {
	{ "HTTP_PROXY", "http://127.0.0.1:9" },
	{ "HTTPS_PROXY", "http://127.0.0.1:9" },
	{ "ALL_PROXY", "http://127.0.0.1:9" },
	{ "http_proxy", "http://127.0.0.1:9" },
	{ "https_proxy", "http://127.0.0.1:9" },
	{ "all_proxy", "http://127.0.0.1:9" },
	{ "NO_PROXY", "localhost,127.0.0.1,::1" },
	{ "no_proxy", "localhost,127.0.0.1,::1" },
	{ "PIP_NO_INDEX", "1" },
	{ "NPM_CONFIG_OFFLINE", "true" },
	{ "CARGO_NET_OFFLINE", "true" },
	{ "GIT_SSH_COMMAND", "cmd /c exit 1" },
};

static void write_env_op(struct sbx_lower *L, uint32_t op, uint32_t flags, const char *name,
                         const char *value, uint32_t platforms)
{
	struct sbx_env_op rec = { op, flags, sbx_bw_str(L->w, name), SBX_NONE,
	                          SBX_NONE, SBX_NONE, platforms, 0 };
	if (value)
		rec.value = sbx_bw_str(L->w, value);
	if (platforms & SBX_PLAT_WINDOWS) {
		rec.wname = sbx_bw_wstr(L->w, name);
		if (value)
			rec.wvalue = sbx_bw_wstr(L->w, value);
	}
	sbx_bw_add(L->w, SBX_SEC_ENV, &rec, sizeof rec);
}

static int policy_sets(const struct sbx_ir_policy *p, const char *name)
{
	for (size_t i = 0; i < p->nenv; i++)
		if (p->env[i].op == SBX_ENV_SET && !strcmp(p->env[i].name, name))
			return 1;
	return 0;
}

static void write_env(struct sbx_lower *L)
{
	const struct sbx_ir_policy *p = L->ir;
	for (size_t i = 0; i < p->nenv; i++) {
		const struct sbx_ir_env *e = &p->env[i];
		write_env_op(L, e->op, e->flags & (SBX_ENV_F_DEFAULT | SBX_ENV_F_EXACT), e->name,
		             e->op == SBX_ENV_SET ? e->value : NULL, L->targets);
	}
	if (p->network != SBX_NET_OFFLINE || !(L->targets & SBX_PLAT_WINDOWS))
		return;
	for (size_t i = 0; i < sizeof net_advisory / sizeof net_advisory[0]; i++)
		if (!policy_sets(p, net_advisory[i].name))
			write_env_op(L, SBX_ENV_SET, SBX_ENV_F_NET_ADVISORY | SBX_ENV_F_EXACT,
			             net_advisory[i].name, net_advisory[i].value, SBX_PLAT_WINDOWS);
}

int sbx_lower_common(struct sbx_lower *L)
{
	sbx_bw_keep(L->w, SBX_SEC_STRINGS);
	sbx_bw_keep(L->w, SBX_SEC_NETWORK);
	sbx_bw_keep(L->w, SBX_SEC_LIMITS);
	if (L->targets & SBX_PLAT_WINDOWS)
		sbx_bw_keep(L->w, SBX_SEC_WSTRINGS);
	write_params(L);
	int rc = keep_rules(L);
	if (rc != 0)
		return rc == -2 ? -1 : sbx_lower_oom(L);
	if (write_rules(L) != 0)
		return sbx_lower_oom(L);
	write_network_limits(L);
	write_env(L);
	return 0;
}
