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

struct lx {
	struct sbx_lower *L;
	uint32_t *parent;      /* Linux parent per rule, or SBX_NONE */
	uint32_t *depth;       /* in the parent tree */
	uint8_t *ro;           /* ST_*: the rule's tree is under a read-only bind */
	uint8_t *hidden;       /* ST_*: the rule's path is covered */
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
	return k == SBX_FS_WRITABLE ? SBX_LL_FS_ALL : k == SBX_FS_READONLY ? LL_READONLY : 0;
}

/* What Landlock grants at rule i through its ancestors' rules. */
static uint64_t inherited(const struct lx *x, size_t i)
{
	uint64_t acc = 0;
	for (uint32_t p = x->parent[i]; p != SBX_NONE; p = x->parent[p])
		acc |= ll_access(kind(x, p));
	return acc;
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
		if (!on_linux(L, i) || !(acc & ~inherited(x, i)))
			continue;
		struct sbx_lx_ll_rule rec = { L->rules[i].path, 0, acc };
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

/* Is rule i maybe (depending on parameter values) inside a rule that `want` accepts? */
static int maybe_inside(const struct lx *x, size_t i, int (*want)(const struct lx *, size_t))
{
	for (size_t j = 0; j < x->L->nrules; j++)
		if (want(x, j) && sbx_rule_contains(x->L, j, i, SBX_PLAT_LINUX) == SBX_CONTAIN_MAYBE)
			return 1;
	return 0;
}

static int is_writable(const struct lx *x, size_t j) { return kind(x, j) == SBX_FS_WRITABLE; }
static int is_allowed(const struct lx *x, size_t j) { return kind(x, j) != SBX_FS_DENIED; }
static int is_hidden(const struct lx *x, size_t j) { return x->hidden[j] != ST_NONE; }

static void add_op(struct lx *x, size_t i, uint32_t op, uint32_t flags, int state)
{
	if (state == ST_IF_INSIDE)
		flags |= SBX_MNT_F_IF_INSIDE;
	x->ops[x->nops] = (struct sbx_lx_mount){ op, x->L->rules[i].path, flags, (uint32_t)i };
	x->op_depth[x->nops++] = x->depth[i];
}

/* A denied path is covered when an allowed rule holds it (or may hold it). */
static void decide_hidden(struct lx *x, size_t i)
{
	uint32_t p = x->parent[i];
	if (p != SBX_NONE)
		x->hidden[i] = kind(x, p) != SBX_FS_DENIED ? ST_ALWAYS : ST_NONE;
	else
		x->hidden[i] = maybe_inside(x, i, is_allowed) ? ST_IF_INSIDE : ST_NONE;
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
	if (x->ro[i] != ST_ALWAYS && maybe_inside(x, i, is_writable)) {
		add_op(x, i, SBX_MNT_RDONLY, 0, ST_IF_INSIDE);
		x->ro[i] = ST_IF_INSIDE;
	}
	if (maybe_inside(x, i, is_hidden))
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
	else if (maybe_inside(x, i, is_hidden))
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
	}
}

static uint32_t rule_depth(const struct lx *x, size_t i)
{
	uint32_t d = 0;
	for (uint32_t p = x->parent[i]; p != SBX_NONE; p = x->parent[p])
		d++;
	return d;
}

/* Parents first: covers, then read-only binds, then re-exposures, by depth. */
static void write_mounts(struct lx *x)
{
	static const uint8_t phase[] = { [SBX_MNT_HIDE] = 0, [SBX_MNT_RDONLY] = 1, [SBX_MNT_EXPOSE] = 2 };
	uint32_t maxd = 0;
	for (size_t i = 0; i < x->nops; i++)
		maxd = x->op_depth[i] > maxd ? x->op_depth[i] : maxd;
	for (uint32_t d = 0; d <= maxd; d++)
		for (uint8_t ph = 0; ph < 3; ph++)
			for (size_t i = 0; i < x->nops; i++)
				if (x->op_depth[i] == d && phase[x->ops[i].op] == ph)
					sbx_bw_add(x->L->w, SBX_SEC_LX_MOUNTS, &x->ops[i], sizeof x->ops[i]);
}

static void plan_mounts(struct lx *x)
{
	struct sbx_lower *L = x->L;
	for (size_t i = 0; i < L->nrules; i++)
		x->depth[i] = on_linux(L, i) ? rule_depth(x, i) : 0;
	for (size_t i = 0; i < L->nrules; i++)
		if (on_linux(L, i) && kind(x, i) == SBX_FS_DENIED)
			decide_hidden(x, i);
	/* Depth order, so that a parent's ro state is known before its children. */
	uint32_t maxd = 0;
	for (size_t i = 0; i < L->nrules; i++)
		maxd = x->depth[i] > maxd ? x->depth[i] : maxd;
	for (uint32_t d = 0; d <= maxd; d++)
		for (size_t i = 0; i < L->nrules; i++)
			if (on_linux(L, i) && x->depth[i] == d)
				mount_rule(x, i);
	write_mounts(x);
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
	if (lim->max_processes)
		add_rlimit(L, SBX_RLIMIT_NPROC, lim->max_processes, lim->max_processes);
	if (lim->memory_bytes)
		add_rlimit(L, SBX_RLIMIT_AS, lim->memory_bytes, lim->memory_bytes);
}

static void write_seccomp(struct sbx_lower *L)
{
	struct sbx_bpf_insn prog[SBX_SECCOMP_MAX_INSNS];
	size_t n = sbx_seccomp_gen(L->ir->network == SBX_NET_OFFLINE, prog);
	for (size_t i = 0; i < n; i++)
		sbx_bw_add(L->w, SBX_SEC_LX_SECCOMP, &prog[i], sizeof prog[i]);
}

static void lx_free(struct lx *x)
{
	free(x->parent);
	free(x->depth);
	free(x->ro);
	free(x->hidden);
	free(x->ops);
	free(x->op_depth);
}

static int lx_init(struct lx *x, struct sbx_lower *L)
{
	size_t n = L->nrules ? L->nrules : 1;
	memset(x, 0, sizeof *x);
	x->L = L;
	x->parent = calloc(n, sizeof *x->parent);
	x->depth = calloc(n, sizeof *x->depth);
	x->ro = calloc(n, 1);
	x->hidden = calloc(n, 1);
	x->ops = calloc(2 * n, sizeof *x->ops);        /* at most two ops per rule */
	x->op_depth = calloc(2 * n, sizeof *x->op_depth);
	if (!x->parent || !x->depth || !x->ro || !x->hidden || !x->ops || !x->op_depth)
		return -1;
	for (size_t i = 0; i < L->nrules; i++)
		x->parent[i] = on_linux(L, i) ? sbx_lower_parent(L, i, SBX_PLAT_LINUX) : SBX_NONE;
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
	if (write_implicit_rules(L) != 0)
		goto out;
	plan_mounts(&x);
	write_rlimits(L);
	write_seccomp(L);
	rc = 0;
out:
	lx_free(&x);
	return rc == 0 ? 0 : sbx_lower_oom(L);
}
