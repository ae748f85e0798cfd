/*
 * lower_linux.c - Linux operations: a Landlock ruleset (LX_LANDLOCK,
 * LX_LL_RULES), mount operations for what Landlock cannot express
 * (LX_MOUNTS), rlimits and the seccomp filter.
 *
 * Landlock only adds access going down the tree, so a carve-out (readonly
 * .git in a writable workspace, a denied ~/.ssh in a readable /) is a mount:
 * a read-only bind, or a cover.  A rule whose access its ancestors already
 * grant gets no Landlock rule of its own.
 */
#include "lower.h"
#include "seccomp_gen.h"

#include <stdlib.h>
#include <string.h>

#define LL_READONLY (SBX_LL_FS_EXECUTE | SBX_LL_FS_READ_FILE | SBX_LL_FS_READ_DIR)
#define LL_DEV_RW   (SBX_LL_FS_READ_FILE | SBX_LL_FS_WRITE_FILE | SBX_LL_FS_TRUNCATE | SBX_LL_FS_IOCTL_DEV)
#define LL_DEV_RAND (SBX_LL_FS_READ_FILE | SBX_LL_FS_WRITE_FILE)
#define LL_ABI_MIN  6   /* scoped signals and abstract sockets */

/* Paths every program expects; OPTIONAL because a minimal root may lack them. */
static const struct { const char *path; uint64_t access; } implicit_rules[] = {
	{ "/dev/null", LL_DEV_RW },
	{ "/dev/tty", LL_DEV_RW },
	{ "/dev/zero", LL_DEV_RAND },
	{ "/dev/full", LL_DEV_RAND },
	{ "/dev/random", LL_DEV_RAND },
	{ "/dev/urandom", LL_DEV_RAND },
	{ "/proc", LL_READONLY },
};

enum { ST_NONE = 0, ST_IF_INSIDE = 1, ST_ALWAYS = 2 };

/* Rules of one kind, counted per parameter (the last slot: literal paths). */
struct lx_count {
	uint32_t *per_param;
	size_t total;
};

struct lx {
	struct sbx_lower *L;
	uint32_t *parent;      /* Linux parent per rule, or SBX_NONE */
	uint32_t *depth;       /* in the parent tree */
	uint32_t *order;       /* Linux rules by depth, then index: parents first */
	size_t norder;
	uint64_t *inherit;     /* what Landlock grants at the rule through its ancestors */
	uint8_t *ro;           /* ST_*: the rule's tree is under a read-only bind */
	uint8_t *hidden;       /* ST_*: the rule's path is covered */
	struct lx_count allowed, writable, hidden_n;
	struct sbx_lx_mount *ops;
	uint32_t *op_depth;
	size_t nops;
};

static int on_linux(const struct sbx_lower *L, size_t i)
{
	return (L->rules[i].platforms & SBX_PLAT_LINUX) != 0;
}

static enum sbx_fs_kind kind(const struct lx *x, size_t i)
{
	return x->L->rules[i].ir->kind;
}

static uint64_t ll_access(enum sbx_fs_kind k)
{
	return k == SBX_FS_WRITABLE || k == SBX_FS_PRIVATE ? SBX_LL_FS_ALL
	     : k == SBX_FS_READONLY ? LL_READONLY : 0;
}

/* What Landlock grants through the ancestors, parents first (x->order). */
static void compute_inherit(struct lx *x)
{
	for (size_t k = 0; k < x->norder; k++) {
		uint32_t i = x->order[k], p = x->parent[i];
		x->inherit[i] = p == SBX_NONE ? 0 : x->inherit[p] | ll_access(kind(x, p));
	}
}

static void write_landlock(struct sbx_lower *L)
{
	struct sbx_lx_landlock ll = { SBX_LL_FS_ALL, 0, SBX_LL_SCOPE_ALL, LL_ABI_MIN, 0 };
	sbx_bw_add(L->w, SBX_SEC_LX_LANDLOCK, &ll, sizeof ll);
}

static void write_ll_rules(struct lx *x)
{
	struct sbx_lower *L = x->L;
	for (size_t i = 0; i < L->nrules; i++) {
		uint64_t acc = ll_access(kind(x, i));
		if (!on_linux(L, i) || !(acc & ~x->inherit[i]))
			continue;
		uint32_t flags = kind(x, i) == SBX_FS_PRIVATE ? SBX_LL_RULE_F_PRIVATE : 0;
		struct sbx_lx_ll_rule rec = { L->rules[i].path, flags, acc };
		sbx_bw_add(L->w, SBX_SEC_LX_LL_RULES, &rec, sizeof rec);
	}
}

/* What the policy's rules grant at a path: Landlock's union down the tree. */
static uint64_t granted_at(const struct sbx_lower *L, const struct sbx_ir_path *p)
{
	uint64_t acc = 0;
	for (size_t i = 0; i < L->nrules; i++) {
		struct sbx_ir_path here = L->rules[i].ir->path;
		here.platforms = L->rules[i].platforms;
		if (sbx_path_equal(&here, p, SBX_PLAT_LINUX) ||
		    sbx_path_contains(&here, p, SBX_PLAT_LINUX) == SBX_CONTAIN_YES)
			acc |= ll_access(L->rules[i].ir->kind);
	}
	return acc;
}

/* /dev/null and friends, unless the policy already grants them. */
static int write_implicit_rules(struct sbx_lower *L)
{
	for (size_t i = 0; i < sizeof implicit_rules / sizeof implicit_rules[0]; i++) {
		struct sbx_ir_path p = { SBX_NONE, (char *)implicit_rules[i].path, SBX_PLAT_LINUX };
		if (!(implicit_rules[i].access & ~granted_at(L, &p)))
			continue;
		struct sbx_lx_ll_rule rec = { sbx_lower_path(L, &p),
			SBX_LL_RULE_F_IMPLICIT | SBX_LL_RULE_F_OPTIONAL, implicit_rules[i].access };
		if (rec.path == SBX_NONE)
			return -1;
		sbx_bw_add(L->w, SBX_SEC_LX_LL_RULES, &rec, sizeof rec);
	}
	return 0;
}

/* ---- mounts ---- */

static int is_writable(const struct lx *x, size_t j) { return kind(x, j) == SBX_FS_WRITABLE; }
static int is_allowed(const struct lx *x, size_t j) { return kind(x, j) != SBX_FS_DENIED; }
static int is_hidden(const struct lx *x, size_t j) { return x->hidden[j] != ST_NONE; }

static int is_root(const struct lx *x, size_t i)
{
	const struct sbx_ir_path *p = &x->L->rules[i].ir->path;
	return p->param == SBX_NONE && !strcmp(p->suffix, "/");
}

/* Sema gives every path a valid parameter; the check only keeps a bad IR in bounds. */
static size_t param_slot(const struct lx *x, size_t i)
{
	uint32_t param = x->L->rules[i].ir->path.param;
	return param < x->L->ir->nparams ? param : x->L->ir->nparams;
}

/*
 * On Linux, rule j maybe holds rule i exactly when both are on Linux, their
 * namespaces differ and neither is the literal "/" (which provably holds
 * every other path and is held by none).  So counting the candidates per
 * namespace answers "maybe inside any of them" without a pairwise scan.
 */
static void count_rules(const struct lx *x, int (*want)(const struct lx *, size_t),
                        struct lx_count *c)
{
	size_t nslots = x->L->ir->nparams + 1;
	memset(c->per_param, 0, nslots * sizeof *c->per_param);
	c->total = 0;
	for (size_t j = 0; j < x->L->nrules; j++)
		if (on_linux(x->L, j) && !is_root(x, j) && want(x, j)) {
			c->per_param[param_slot(x, j)]++;
			c->total++;
		}
}

/* Is rule i maybe (depending on parameter values) inside a counted rule? */
static int maybe_inside(const struct lx *x, size_t i, const struct lx_count *c)
{
	return !is_root(x, i) && c->total > c->per_param[param_slot(x, i)];
}

static void add_op(struct lx *x, size_t i, uint32_t op, uint32_t flags, int state)
{
	if (state == ST_IF_INSIDE)
		flags |= SBX_MNT_F_IF_INSIDE;
	x->ops[x->nops] = (struct sbx_lx_mount){ op, x->L->rules[i].path, flags, (uint32_t)i };
	x->op_depth[x->nops++] = x->depth[i];
}

/* A denied path is covered when an allowed rule holds it (or may hold it);
   inside a private path there is nothing to cover. */
static void decide_hidden(struct lx *x, size_t i)
{
	uint32_t p = x->parent[i];
	if (p != SBX_NONE)
		x->hidden[i] = kind(x, p) != SBX_FS_DENIED && kind(x, p) != SBX_FS_PRIVATE ? ST_ALWAYS
		                                                                          : ST_NONE;
	else
		x->hidden[i] = maybe_inside(x, i, &x->allowed) ? ST_IF_INSIDE : ST_NONE;
}

/*
 * readonly: read-only bind inside a writable tree; re-exposed read-only
 * inside a denied one.  Otherwise it inherits its readonly parent's state,
 * and parameter values decide the rest.
 */
static void mount_readonly(struct lx *x, size_t i)
{
	uint32_t p = x->parent[i];
	if (p != SBX_NONE && kind(x, p) == SBX_FS_WRITABLE) {
		add_op(x, i, SBX_MNT_RDONLY, 0, ST_ALWAYS);
		x->ro[i] = ST_ALWAYS;
		return;
	}
	if (p != SBX_NONE && kind(x, p) == SBX_FS_DENIED) {
		add_op(x, i, SBX_MNT_EXPOSE, SBX_MNT_F_READONLY, ST_ALWAYS);
		x->ro[i] = ST_ALWAYS;
		return;
	}
	x->ro[i] = p != SBX_NONE ? x->ro[p] : ST_NONE;
	if (x->ro[i] != ST_ALWAYS && maybe_inside(x, i, &x->writable)) {
		add_op(x, i, SBX_MNT_RDONLY, 0, ST_IF_INSIDE);
		x->ro[i] = ST_IF_INSIDE;
	}
	if (maybe_inside(x, i, &x->hidden_n))
		add_op(x, i, SBX_MNT_EXPOSE, SBX_MNT_F_READONLY, ST_IF_INSIDE);
}

/*
 * writable: re-exposed inside a denied tree, and also inside a read-only
 * bind (writable in readonly in writable), which would otherwise win.
 */
static void mount_writable(struct lx *x, size_t i)
{
	uint32_t p = x->parent[i];
	if (p != SBX_NONE && kind(x, p) == SBX_FS_DENIED)
		add_op(x, i, SBX_MNT_EXPOSE, 0, ST_ALWAYS);
	else if (p != SBX_NONE && x->ro[p] != ST_NONE)
		add_op(x, i, SBX_MNT_EXPOSE, 0, x->ro[p]);
	else if (maybe_inside(x, i, &x->hidden_n))
		add_op(x, i, SBX_MNT_EXPOSE, 0, ST_IF_INSIDE);
}

static void mount_rule(struct lx *x, size_t i)
{
	switch (kind(x, i)) {
	case SBX_FS_READONLY:
		mount_readonly(x, i);
		break;
	case SBX_FS_WRITABLE:
		mount_writable(x, i);
		break;
	case SBX_FS_DENIED:
		if (x->hidden[i] != ST_NONE)
			add_op(x, i, SBX_MNT_HIDE, 0, x->hidden[i]);
		break;
	case SBX_FS_PRIVATE:   /* literal, never inside a denied path (sema) */
		add_op(x, i, SBX_MNT_PRIVATE, 0, ST_ALWAYS);
		break;
	}
}

/* Stable counting sort: out gets 0..n-1 by ascending key (< nkeys), equal keys in index order. */
static int order_by_key(const uint32_t *key, size_t n, size_t nkeys, uint32_t *out)
{
	size_t *start = calloc(nkeys + 1, sizeof *start);
	if (!start)
		return -1;
	for (size_t i = 0; i < n; i++)
		start[key[i] + 1]++;
	for (size_t k = 0; k < nkeys; k++)
		start[k + 1] += start[k];
	for (size_t i = 0; i < n; i++)
		out[start[key[i]]++] = (uint32_t)i;
	free(start);
	return 0;
}

/* Phase of a mount op: covers (private ones too), then read-only binds, then re-exposures. */
static uint32_t op_phase(uint32_t op)
{
	return op == SBX_MNT_HIDE || op == SBX_MNT_PRIVATE ? 0 : op == SBX_MNT_RDONLY ? 1 : 2;
}

/* Parents first: by depth, and at one depth covers, then read-only binds, then re-exposures. */
static int write_mounts(struct lx *x)
{
	uint32_t *key = calloc(x->nops ? x->nops : 1, sizeof *key);
	uint32_t *order = malloc((x->nops ? x->nops : 1) * sizeof *order);
	uint32_t maxd = 0;
	int rc = -1;
	if (!key || !order)
		goto out;
	for (size_t i = 0; i < x->nops; i++) {
		key[i] = x->op_depth[i] * 3u + op_phase(x->ops[i].op);
		maxd = x->op_depth[i] > maxd ? x->op_depth[i] : maxd;
	}
	if (order_by_key(key, x->nops, (size_t)maxd * 3u + 3u, order) != 0)
		goto out;
	for (size_t k = 0; k < x->nops; k++)
		sbx_bw_add(x->L->w, SBX_SEC_LX_MOUNTS, &x->ops[order[k]], sizeof x->ops[order[k]]);
	rc = 0;
out:
	free(key);
	free(order);
	return rc;
}

static int plan_mounts(struct lx *x)
{
	struct sbx_lower *L = x->L;
	count_rules(x, is_allowed, &x->allowed);
	count_rules(x, is_writable, &x->writable);
	for (size_t i = 0; i < L->nrules; i++)
		if (on_linux(L, i) && kind(x, i) == SBX_FS_DENIED)
			decide_hidden(x, i);
	count_rules(x, is_hidden, &x->hidden_n);
	/* Depth order, so that a parent's ro state is known before its children. */
	for (size_t k = 0; k < x->norder; k++)
		mount_rule(x, x->order[k]);
	return write_mounts(x);
}

/* ---- rlimits, seccomp ---- */

static void add_rlimit(struct sbx_lower *L, uint32_t res, uint64_t soft, uint64_t hard)
{
	struct sbx_lx_rlimit rec = { res, 0, soft, hard };
	sbx_bw_add(L->w, SBX_SEC_LX_RLIMITS, &rec, sizeof rec);
}

/* Ascending resource number.  The CPU hard limit is one second later: SIGXCPU, then SIGKILL. */
static void write_rlimits(struct sbx_lower *L)
{
	const struct sbx_limits *lim = &L->ir->limits;
	if (lim->cpu_seconds)
		add_rlimit(L, SBX_RLIMIT_CPU, lim->cpu_seconds,
		           lim->cpu_seconds == UINT64_MAX ? UINT64_MAX : lim->cpu_seconds + 1);
	if (lim->memory_bytes)
		add_rlimit(L, SBX_RLIMIT_DATA, lim->memory_bytes, lim->memory_bytes);
	if (lim->max_processes)
		add_rlimit(L, SBX_RLIMIT_NPROC, lim->max_processes, lim->max_processes);
}

static void write_seccomp(struct sbx_lower *L)
{
	struct sbx_bpf_insn prog[SBX_SECCOMP_MAX_INSNS];
	size_t n = sbx_seccomp_gen(L->ir->network == SBX_NET_OFFLINE, !L->ir->userns_allowed, prog);
	for (size_t i = 0; i < n; i++)
		sbx_bw_add(L->w, SBX_SEC_LX_SECCOMP, &prog[i], sizeof prog[i]);
}

static void lx_free(struct lx *x)
{
	free(x->parent);
	free(x->depth);
	free(x->order);
	free(x->inherit);
	free(x->ro);
	free(x->hidden);
	free(x->allowed.per_param);
	free(x->writable.per_param);
	free(x->hidden_n.per_param);
	free(x->ops);
	free(x->op_depth);
}

/* Depth in the parent tree; each chain is walked once (a parent may come after its child). */
static void compute_depths(struct lx *x)
{
	size_t n = x->L->nrules;
	for (size_t i = 0; i < n; i++)
		x->depth[i] = UINT32_MAX;
	for (size_t i = 0; i < n; i++) {
		uint32_t len = 0, p = (uint32_t)i;
		for (; p != SBX_NONE && x->depth[p] == UINT32_MAX; p = x->parent[p])
			len++;
		uint32_t base = p == SBX_NONE ? 0 : x->depth[p] + 1;
		for (uint32_t q = (uint32_t)i; len > 0; q = x->parent[q], len--)
			x->depth[q] = base + len - 1;
	}
}

/* The Linux rules, parents first: by depth, then index. */
static int compute_order(struct lx *x)
{
	struct sbx_lower *L = x->L;
	uint32_t maxd = 0;
	for (size_t i = 0; i < L->nrules; i++)
		maxd = x->depth[i] > maxd ? x->depth[i] : maxd;
	if (order_by_key(x->depth, L->nrules, (size_t)maxd + 1, x->order) != 0)
		return -1;
	x->norder = 0;
	for (size_t k = 0; k < L->nrules; k++)
		if (on_linux(L, x->order[k]))
			x->order[x->norder++] = x->order[k];
	return 0;
}

static int lx_alloc(struct lx *x, struct sbx_lower *L)
{
	size_t n = L->nrules ? L->nrules : 1, nslots = L->ir->nparams + 1;
	memset(x, 0, sizeof *x);
	x->L = L;
	x->parent = calloc(n, sizeof *x->parent);
	x->depth = calloc(n, sizeof *x->depth);
	x->order = calloc(n, sizeof *x->order);
	x->inherit = calloc(n, sizeof *x->inherit);
	x->ro = calloc(n, 1);
	x->hidden = calloc(n, 1);
	x->allowed.per_param = calloc(nslots, sizeof *x->allowed.per_param);
	x->writable.per_param = calloc(nslots, sizeof *x->writable.per_param);
	x->hidden_n.per_param = calloc(nslots, sizeof *x->hidden_n.per_param);
	x->ops = calloc(2 * n, sizeof *x->ops);        /* at most two ops per rule */
	x->op_depth = calloc(2 * n, sizeof *x->op_depth);
	return x->parent && x->depth && x->order && x->inherit && x->ro && x->hidden &&
	       x->allowed.per_param && x->writable.per_param && x->hidden_n.per_param &&
	       x->ops && x->op_depth ? 0 : -1;
}

static int lx_init(struct lx *x, struct sbx_lower *L)
{
	if (lx_alloc(x, L) != 0 || sbx_lower_parents(L, SBX_PLAT_LINUX, x->parent) != 0)
		return -1;
	compute_depths(x);
	if (compute_order(x) != 0)
		return -1;
	compute_inherit(x);
	return 0;
}

int sbx_lower_linux(struct sbx_lower *L)
{
	struct lx x;
	int rc = -1;
	if (lx_init(&x, L) != 0)
		goto out;
	sbx_bw_keep(L->w, SBX_SEC_LX_LANDLOCK);
	sbx_bw_keep(L->w, SBX_SEC_LX_SECCOMP);
	write_landlock(L);
	write_ll_rules(&x);
	if (write_implicit_rules(L) != 0 || plan_mounts(&x) != 0)
		goto out;
	write_rlimits(L);
	write_seccomp(L);
	rc = 0;
out:
	lx_free(&x);
	return rc == 0 ? 0 : sbx_lower_oom(L);
}
