/*
 * sema.c - from syntax trees to the normalized IR of one policy
 * (docs/language.md is the contract).  The steps, one file each:
 *
 *   imports   load every imported file once, relative to its importer
 *             (sema_import.c)
 *   policies  one table over the root and its imports; names are unique
 *   extends   resolve each policy's chain of parents, reject cycles
 *             (both sema_policies.c)
 *   layers    check each policy's own statements once ("its layer")
 *             (sema_layer.c)
 *   merge     fold the layers of a chain, parent first; the child wins,
 *             then check the merged policy (sema_merge.c)
 *   IR        sort, number the parameters, add the environment defaults
 *             (here, with the shared helpers, the set-up, sbx_sema and
 *             sbx_check_all)
 *
 * Errors about a layer are reported when the layer is first checked, and
 * warnings about a merged policy only for the rules written in that policy,
 * so `sbxc check` (every policy of a file) says each thing once.
 */
#include "sema_internal.h"
#include "path.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct sbx_loc no_loc;

const char *const sbx_sema_kind_names[] = { "", "readonly", "writable", "denied", "private" };

/* ---- small helpers ---- */

int sbx_sema_oom(struct sema *s)
{
	sbx_error(&s->c->diags, no_loc, "out of memory");
	return -1;
}

/* Returns v with room for `need` elements of `size` bytes, or NULL (v untouched). */
void *sbx_sema_grow(void *v, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return v;
	size_t nc = *cap ? *cap : 8;
	while (nc < need)
		nc *= 2;
	void *nv = realloc(v, nc * size);
	if (nv)
		*cap = nc;
	return nv;
}

/* Rule order of ir.h: literal paths first, then by parameter, then suffix bytewise. */
int sbx_sema_key_cmp(const struct srule *a, const struct srule *b)
{
	if (!a->param != !b->param)
		return a->param ? 1 : -1;
	int d = a->param ? strcmp(a->param, b->param) : 0;
	return d ? d : strcmp(a->suffix, b->suffix);
}

/* ---- building the IR ---- */

static const char *const builtin_params[] = { "WORKSPACE", "HOME", "TMPDIR" };

static const char *const default_drops[] = {
	"*_TOKEN", "*_TOKEN_*", "*_KEY", "*_KEY_*", "*_SECRET", "*_SECRET_*",
	"*PASSWORD*", "*PASSWD*", "*_CREDENTIALS", "AWS_SECRET_ACCESS_KEY",
	"AWS_SESSION_TOKEN", "SSH_AUTH_SOCK", "GPG_AGENT_INFO", "LD_PRELOAD",
	"LD_LIBRARY_PATH", "LD_AUDIT",
};

static uint32_t param_flags(const char *name)
{
	for (size_t i = 0; i < sizeof builtin_params / sizeof builtin_params[0]; i++)
		if (!strcmp(name, builtin_params[i]))
			return SBX_PARAM_F_BUILTIN;
	return 0;
}

/* The rules are sorted by parameter name, so the parameters come out sorted too. */
static int ir_params(const struct merged *m, struct sbx_ir_policy *out)
{
	out->params = calloc(MAX_PARAMS, sizeof *out->params);
	if (!out->params)
		return -1;
	for (size_t i = 0; i < m->n; i++) {
		const char *pn = m->r[i].param;
		if (!pn || (out->nparams && !strcmp(out->params[out->nparams - 1].name, pn)))
			continue;
		if (out->nparams == MAX_PARAMS)
			return -1;   /* cannot happen: declarations are capped */
		struct sbx_ir_param *ip = &out->params[out->nparams];
		if (!(ip->name = strdup(pn)))
			return -1;
		ip->flags = param_flags(pn);
		out->nparams++;
	}
	return 0;
}

static int ir_rules(const struct merged *m, const struct pol *target, struct sbx_ir_policy *out)
{
	out->rules = calloc(m->n + 1, sizeof *out->rules);
	if (!out->rules)
		return -1;
	uint32_t pi = 0;
	for (size_t i = 0; i < m->n; i++) {
		const struct srule *r = &m->r[i];
		while (r->param && strcmp(out->params[pi].name, r->param))
			pi++;
		struct sbx_ir_rule *ir = &out->rules[out->nrules];
		if (!(ir->path.suffix = strdup(r->suffix)))
			return -1;
		ir->path.param = r->param ? pi : SBX_NONE;
		ir->path.platforms = r->platforms;
		ir->kind = r->kind;
		ir->flags = r->owner != target ? SBX_IR_RULE_INHERITED : 0;
		ir->loc = r->loc;
		out->nrules++;
	}
	return 0;
}

static int env_cmp(const void *pa, const void *pb)
{
	const struct sbx_ir_env *a = pa, *b = pb;
	if (a->op != b->op)
		return a->op < b->op ? -1 : 1;
	int d = strcmp(a->name, b->name);
	if (d)
		return d;
	/* A pattern the policy wrote sorts before the same built-in one, and wins. */
	return (int)(a->flags & SBX_ENV_F_DEFAULT) - (int)(b->flags & SBX_ENV_F_DEFAULT);
}

static int env_push(struct sbx_ir_policy *out, enum sbx_env_opcode op, const char *name,
                    const char *value, uint32_t flags)
{
	struct sbx_ir_env *e = &out->env[out->nenv];
	if (op != SBX_ENV_SET && !strpbrk(name, "*?"))
		flags |= SBX_ENV_F_EXACT;
	e->op = op;
	e->flags = flags;
	e->name = strdup(name);
	e->value = value ? strdup(value) : NULL;
	out->nenv++;
	return e->name && (!value || e->value) ? 0 : -1;
}

static void env_unique(struct sbx_ir_policy *out)
{
	size_t keep = 0;
	for (size_t i = 0; i < out->nenv; i++) {
		struct sbx_ir_env *e = &out->env[i];
		if (keep && out->env[keep - 1].op == e->op && !strcmp(out->env[keep - 1].name, e->name)) {
			free(e->name);
			free(e->value);
			continue;
		}
		out->env[keep++] = *e;
	}
	out->nenv = keep;
}

static int ir_env(const struct merged *m, struct sbx_ir_policy *out)
{
	size_t ndef = sizeof default_drops / sizeof default_drops[0];
	out->env = calloc(m->nenv + ndef + 1, sizeof *out->env);
	if (!out->env)
		return -1;
	for (size_t i = 0; i < m->nenv; i++)
		if (env_push(out, m->env[i].op, m->env[i].name, m->env[i].value, 0) < 0)
			return -1;
	if (!m->has_keep && env_push(out, SBX_ENV_KEEP, "*", NULL, SBX_ENV_F_DEFAULT) < 0)
		return -1;
	for (size_t i = 0; i < ndef; i++)
		if (env_push(out, SBX_ENV_DROP, default_drops[i], NULL, SBX_ENV_F_DEFAULT) < 0)
			return -1;
	qsort(out->env, out->nenv, sizeof *out->env, env_cmp);
	env_unique(out);
	return 0;
}

static void ir_scalars(const struct sema *s, const struct merged *m, struct sbx_ir_policy *out)
{
	uint64_t *lim[NLIMITS] = { &out->limits.max_processes, &out->limits.memory_bytes,
	                           &out->limits.cpu_seconds, &out->limits.wall_seconds };
	out->network = m->network.set ? (enum sbx_net_mode)m->network.value : SBX_NET_OFFLINE;
	out->best_effort = m->enforcement.set && m->enforcement.value == SBX_ENFORCE_BEST_EFFORT;
	out->userns_allowed = m->userns.set && m->userns.value == SBX_USERNS_ALLOW;
	for (int i = 0; i < NLIMITS; i++)
		*lim[i] = m->limit[i].set && m->limit[i].value != SBX_LIMIT_NONE ? m->limit[i].value : 0;
	out->targets = s->c->targets;
}

static int make_ir(struct sema *s, const struct merged *m, const struct pol *target,
                   struct sbx_ir_policy *out)
{
	ir_scalars(s, m, out);
	if (!(out->name = strdup(target->ast->name.text)) || ir_params(m, out) < 0 ||
	    ir_rules(m, target, out) < 0 || ir_env(m, out) < 0) {
		sbx_ir_policy_free(out);
		return sbx_sema_oom(s);
	}
	return 0;
}

/* ---- one policy, end to end ---- */

static struct pol **make_chain(struct sema *s, struct pol *p, size_t *n)
{
	size_t len = 0;
	for (struct pol *q = p; q; q = q->parent)
		len++;
	struct pol **chain = malloc(len * sizeof *chain);
	if (!chain) {
		sbx_sema_oom(s);
		return NULL;
	}
	*n = len;
	for (struct pol *q = p; q; q = q->parent)
		chain[--len] = q;
	return chain;
}

static int build(struct sema *s, struct pol *p, struct sbx_ir_policy *out)
{
	size_t n = 0;
	struct merged m = { 0 };
	struct pol **chain;
	int rc = -1;
	if (sbx_sema_resolve_chain(s, p) < 0 || !(chain = make_chain(s, p, &n)))
		return -1;
	for (size_t i = 0; i < n; i++)
		if (sbx_sema_analyze(s, chain[i]) < 0)
			goto out;
	if (sbx_sema_merge_chain(s, chain, n, &m) < 0 ||
	    sbx_sema_check_case_conflicts(s, &m, p) < 0)
		goto out;
	sbx_sema_check_redundant(s, &m, p);
	sbx_sema_check_private(s, &m);
	sbx_sema_check_unused_params(s, chain, n);
	rc = make_ir(s, &m, p, out);
out:
	free(m.r);
	free(m.env);
	free(chain);
	return rc;
}

/* ---- set-up shared by sbx_sema and sbx_check_all ---- */

static void check_defines(struct sema *s)
{
	for (size_t i = 0; i < s->c->ndefines; i++) {
		const struct sbx_define *def = &s->c->defines[i];
		struct sbx_pathspec ps;
		char err[SBX_PATH_ERR_SIZE];
		if (def->value[0] != '/' && !sbx_path_is_drive(def->value)) {
			sbx_error(&s->c->diags, no_loc, "-D %s: '%s' is not an absolute path", def->name,
			          def->value);
			s->define_bad[i] = 1;
		} else if (sbx_path_literal(def->value, strlen(def->value), &ps, err, sizeof err) < 0) {
			sbx_error(&s->c->diags, no_loc, "-D %s: %s", def->name, err);
			s->define_bad[i] = 1;
		} else {
			sbx_pathspec_free(&ps);
		}
	}
}

static int sema_init(struct sema *s, struct sbx_compiler *c, struct sbx_ast_file *root)
{
	memset(s, 0, sizeof *s);
	s->c = c;
	s->windows = (c->targets & SBX_TARGET_WINDOWS) != 0;
	if (!(s->define_bad = calloc(c->ndefines + 1, sizeof *s->define_bad)))
		return sbx_sema_oom(s);
	check_defines(s);
	const char *path = root->src ? root->src->path : "";
	char *key = root->src ? realpath(path, NULL) : NULL;
	if (sbx_sema_add_file(s, root, key, path) < 0)
		return -1;
	sbx_sema_visit_file(s, 0);
	return sbx_sema_collect_policies(s);
}

static void sema_free(struct sema *s)
{
	for (size_t i = 0; i < s->nfiles; i++)
		free(s->files[i].key);
	for (size_t i = 0; i < s->npols; i++)
		sbx_sema_layer_free(&s->pols[i].layer);
	free(s->files);
	free(s->pols);
	free(s->define_bad);
}

static void list_policies(const struct sema *s, FILE *m)
{
	for (size_t i = 0; i < s->npols; i++)
		fprintf(m, "%s%s", i ? ", " : "", s->pols[i].ast->name.text);
}

static struct pol *pick(struct sema *s, const struct sbx_ast_file *root, const char *name)
{
	const char *file = root->src ? root->src->path : "the input";
	if (!name && root->npolicies == 0) {
		sbx_error(&s->c->diags, no_loc, "'%s' defines no policy", file);
		return NULL;
	}
	struct pol *p = sbx_sema_find_pol(s, name ? name : root->policies[0].name.text);
	if (p || !name)
		return p;
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	if (!m) {
		sbx_sema_oom(s);
		return NULL;
	}
	list_policies(s, m);
	fclose(m);
	sbx_error(&s->c->diags, no_loc, "no policy named '%s'; %s %s", name,
	          s->npols ? "the policies are:" : "there are no policies", buf);
	free(buf);
	return NULL;
}

static void warn_unused_defines(struct sema *s, const char *policy)
{
	for (size_t i = 0; i < s->c->ndefines; i++) {
		if (s->c->defines[i].used)
			continue;
		if (policy)
			sbx_warning(&s->c->diags, no_loc, "-D %s is not used by policy '%s'",
			            s->c->defines[i].name, policy);
		else
			sbx_warning(&s->c->diags, no_loc, "-D %s is not used by any policy",
			            s->c->defines[i].name);
	}
}

int sbx_sema(struct sbx_compiler *c, struct sbx_ast_file *root, const char *name,
             struct sbx_ir_policy *out)
{
	struct sema s;
	unsigned before = c->diags.nerrors;
	memset(out, 0, sizeof *out);
	if (sema_init(&s, c, root) == 0) {
		struct pol *p = pick(&s, root, name);
		if (p && build(&s, p, out) == 0)
			warn_unused_defines(&s, p->ast->name.text);
	}
	sema_free(&s);
	if (c->diags.nerrors != before || !out->name) {
		sbx_ir_policy_free(out);
		return -1;
	}
	return 0;
}

/* The table entry of a policy written in root (NULL for a duplicate). */
static struct pol *pol_of(struct sema *s, const struct sbx_ast_policy *ap)
{
	struct pol *p = sbx_sema_find_pol(s, ap->name.text);
	return p && p->ast == ap ? p : NULL;
}

int sbx_check_all(struct sbx_compiler *c, struct sbx_ast_file *root)
{
	struct sema s;
	unsigned before = c->diags.nerrors;
	if (sema_init(&s, c, root) == 0) {
		if (root->npolicies == 0)
			sbx_error(&c->diags, no_loc, "'%s' defines no policy",
			          root->src ? root->src->path : "the input");
		for (size_t i = 0; i < root->npolicies; i++) {
			struct pol *p = pol_of(&s, &root->policies[i]);
			struct sbx_ir_policy ir = { 0 };
			if (p && build(&s, p, &ir) == 0)
				sbx_ir_policy_free(&ir);
		}
		warn_unused_defines(&s, NULL);
	}
	sema_free(&s);
	return c->diags.nerrors != before ? -1 : 0;
}
