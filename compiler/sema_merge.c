/*
 * sema_merge.c - folds the layers of a chain, parent first (the child
 * wins), then checks the merged policy: case clashes on Windows, redundant
 * rules, unused parameters.  Warnings are only for the rules written in
 * the policy being built, so `sbxc check` says each thing once.
 */
#include "sema_internal.h"
#include "path.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void show_path(const struct srule *r, char *buf, size_t n)
{
	snprintf(buf, n, "%s%s%s%s", r->param ? "${" : "", r->param ? r->param : "",
	         r->param ? "}" : "", r->suffix);
}

static const struct srule *find_rule(const struct merged *m, const char *param, const char *suffix)
{
	struct srule key = { .param = (char *)param, .suffix = (char *)suffix };
	size_t lo = 0, hi = m->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int d = sbx_sema_key_cmp(&m->r[mid], &key);
		if (d == 0)
			return &m->r[mid];
		if (d < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* ---- merging a chain ---- */

/* m->r and the layer's rules are both sorted: merge them, the layer winning. */
static int merge_rules(struct sema *s, struct merged *m, const struct pol *p, const struct pol *target)
{
	const struct layer *L = &p->layer;
	struct srule *out = malloc((m->n + L->nrules + 1) * sizeof *out);
	size_t i = 0, j = 0, n = 0;
	if (!out)
		return sbx_sema_oom(s);
	while (i < m->n || j < L->nrules) {
		int d = i == m->n ? 1 : j == L->nrules ? -1 : sbx_sema_key_cmp(&m->r[i], &L->rules[j]);
		if (d < 0) {
			out[n++] = m->r[i++];
		} else if (d > 0) {
			out[n++] = L->rules[j++];
		} else if (m->r[i].kind == L->rules[j].kind) {
			if (p == target) {
				sbx_warning(&s->c->diags, L->rules[j].loc, "duplicate rule: policy '%s' already "
				            "makes this path %s", m->r[i].owner->ast->name.text,
				            sbx_sema_kind_names[m->r[i].kind]);
				sbx_note(&s->c->diags, m->r[i].loc, "the inherited rule is here");
			}
			out[n++] = m->r[i++];   /* changes nothing: keep the inherited one */
			j++;
		} else {
			out[n] = L->rules[j++];   /* the child's rule replaces the parent's */
			out[n++].replaces = 1;
			i++;
		}
	}
	free(m->r);
	m->r = out;
	m->n = n;
	return 0;
}

static int merge_env(struct sema *s, struct merged *m, const struct layer *L)
{
	for (size_t i = 0; i < L->nenv; i++) {
		const struct senv *e = &L->env[i];
		size_t k = m->nenv;
		for (size_t j = 0; e->op == SBX_ENV_SET && j < m->nenv; j++)
			if (m->env[j].op == SBX_ENV_SET && !strcmp(m->env[j].name, e->name))
				k = j;   /* a child's set of the same name overrides */
		if (k == m->nenv && m->nenv == MAX_ENV) {
			sbx_error(&s->c->diags, e->loc, "too many environment rules (limit is %d)", MAX_ENV);
			return -1;
		}
		if (k == m->nenv) {
			struct senv *v = sbx_sema_grow(m->env, &m->capenv, m->nenv + 1, sizeof *v);
			if (!v)
				return sbx_sema_oom(s);
			m->env = v;
		}
		m->env[k] = *e;
		m->nenv += k == m->nenv;
		m->has_keep |= e->op == SBX_ENV_KEEP;
	}
	return 0;
}

static void merge_scalars(struct merged *m, const struct layer *L)
{
	if (L->network.set)
		m->network = L->network;
	if (L->enforcement.set)
		m->enforcement = L->enforcement;
	if (L->userns.set)
		m->userns = L->userns;
	for (int i = 0; i < NLIMITS; i++)
		if (L->limit[i].set)
			m->limit[i] = L->limit[i];
}

int sbx_sema_merge_chain(struct sema *s, struct pol **chain, size_t n, struct merged *m)
{
	for (size_t i = 0; i < n; i++) {
		if (merge_rules(s, m, chain[i], chain[n - 1]) < 0 || merge_env(s, m, &chain[i]->layer) < 0)
			return -1;
		merge_scalars(m, &chain[i]->layer);
	}
	if (m->n > MAX_RULES) {
		sbx_error(&s->c->diags, chain[n - 1]->ast->name.loc, "too many rules (limit is %d)", MAX_RULES);
		return -1;
	}
	return 0;
}

/* ---- checks on the merged policy ---- */

static int fold_cmp(const void *pa, const void *pb)
{
	const struct srule *a = *(const struct srule *const *)pa, *b = *(const struct srule *const *)pb;
	if (!a->param != !b->param)
		return a->param ? 1 : -1;
	int d = a->param ? strcmp(a->param, b->param) : 0;
	return d ? d : sbx_suffix_casecmp(a->suffix, b->suffix);
}

static int same_fold(const struct srule *a, const struct srule *b)
{
	return fold_cmp(&a, &b) == 0;
}

/*
 * Two paths that Windows sees as one: different kinds conflict; the same
 * kind on a Windows-only path is a duplicate (on Linux the two differ).
 */
static void report_case_clash(struct sema *s, const struct srule *a, const struct srule *b)
{
	char pa[SBX_MAX_PATH_LEN + 80], pb[SBX_MAX_PATH_LEN + 80];
	show_path(a, pa, sizeof pa);
	show_path(b, pb, sizeof pb);
	if (a->kind != b->kind)
		sbx_error(&s->c->diags, a->loc, "'%s' (%s) and '%s' (%s) differ only in case: they "
		          "conflict on Windows, where paths are case-insensitive", pa,
		          sbx_sema_kind_names[a->kind], pb, sbx_sema_kind_names[b->kind]);
	else if (a->platforms == SBX_PLAT_WINDOWS && b->platforms == SBX_PLAT_WINDOWS)
		sbx_warning(&s->c->diags, a->loc, "duplicate rule: '%s' and '%s' are the same path on "
		            "Windows, where paths are case-insensitive", pa, pb);
	else
		return;
	sbx_note(&s->c->diags, b->loc, "the other rule is here");
}

/* Rules for Windows paths that are equal but for case. */
int sbx_sema_check_case_conflicts(struct sema *s, const struct merged *m, const struct pol *target)
{
	const struct srule **v = malloc((m->n + 1) * sizeof *v);
	size_t n = 0;
	if (!v)
		return sbx_sema_oom(s);
	for (size_t i = 0; i < m->n; i++)
		if (m->r[i].platforms & SBX_PLAT_WINDOWS)
			v[n++] = &m->r[i];
	if (n)
		qsort(v, n, sizeof *v, fold_cmp);
	for (size_t i = 0; i + 1 < n; i++) {
		for (size_t j = i + 1; j < n && same_fold(v[i], v[j]); j++) {
			if (v[i]->owner != target && v[j]->owner != target)
				continue;
			int swap = v[i]->owner != target || (v[j]->owner == target && v[j]->seq > v[i]->seq);
			report_case_clash(s, swap ? v[j] : v[i], swap ? v[i] : v[j]);
		}
	}
	free(v);
	return 0;
}

/*
 * The closest rule that contains r: same parameter (or both literal), a
 * prefix at a '/' boundary, the literal roots "/" and "C:/" included.
 */
static const struct srule *closest_container(const struct merged *m, const struct srule *r)
{
	char buf[SBX_MAX_PATH_LEN + 4];
	size_t root = r->param ? 0 : r->suffix[0] == '/' ? 1 : 3;
	size_t len = strlen(r->suffix);
	if (len <= root || len >= sizeof buf)
		return NULL;
	memcpy(buf, r->suffix, len + 1);
	while (len > root) {
		while (len > 0 && buf[len - 1] != '/')
			len--;
		len = len > 0 ? len - 1 : 0;   /* drop the '/' too ... */
		if (len < root)
			len = root;                /* ... except the root's */
		buf[len] = '\0';
		const struct srule *c = find_rule(m, r->param, buf);
		if (c)
			return c;
	}
	return NULL;
}

void sbx_sema_check_redundant(struct sema *s, const struct merged *m, const struct pol *target)
{
	for (size_t i = 0; i < m->n; i++) {
		const struct srule *r = &m->r[i];
		/* Undoing an inherited carve-out is never redundant. */
		if (r->owner != target || r->replaces)
			continue;
		const struct srule *c = closest_container(m, r);
		if (!c || c->kind != r->kind)
			continue;
		char shown[SBX_MAX_PATH_LEN + 80];
		show_path(c, shown, sizeof shown);
		sbx_warning(&s->c->diags, r->loc, "redundant rule: this path is already %s through '%s'",
		            sbx_sema_kind_names[r->kind], shown);
		sbx_note(&s->c->diags, c->loc, "the enclosing rule is here");
	}
}

/* The nearest rule of `kind` that contains r, or NULL. */
static const struct srule *container_of_kind(const struct merged *m, const struct srule *r,
                                             enum sbx_fs_kind kind)
{
	while ((r = closest_container(m, r)) && r->kind != kind)
		;
	return r;
}

/*
 * A private path starts empty: a readonly, writable or private rule inside
 * one would act on nothing (an error); a denied one has nothing to hide
 * (kept, it costs nothing: lowering skips it).  And a private path inside
 * a denied one would have no mount point in the cover.
 */
void sbx_sema_check_private(struct sema *s, const struct merged *m)
{
	for (size_t i = 0; i < m->n; i++) {
		const struct srule *r = &m->r[i], *c;
		char shown[SBX_MAX_PATH_LEN + 80];
		if (r->kind != SBX_FS_DENIED && (c = container_of_kind(m, r, SBX_FS_PRIVATE))) {
			show_path(c, shown, sizeof shown);
			sbx_error(&s->c->diags, r->loc, "this %s rule is inside the private path '%s', "
			          "which starts empty in the sandbox: the rule would have nothing to act on",
			          sbx_sema_kind_names[r->kind], shown);
		} else if (r->kind == SBX_FS_PRIVATE && (c = container_of_kind(m, r, SBX_FS_DENIED))) {
			show_path(c, shown, sizeof shown);
			sbx_error(&s->c->diags, r->loc, "this private path is inside the denied path '%s'; "
			          "deny the paths around it instead", shown);
		} else
			continue;
		sbx_note(&s->c->diags, c->loc, "the %s rule is here", sbx_sema_kind_names[c->kind]);
	}
}

static int chain_uses(struct pol **chain, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		const struct layer *L = &chain[i]->layer;
		for (size_t j = 0; j < L->nuses; j++)
			if (!strcmp(L->uses[j], name))
				return 1;
	}
	return 0;
}

void sbx_sema_check_unused_params(struct sema *s, struct pol **chain, size_t n)
{
	const struct layer *L = &chain[n - 1]->layer;
	for (size_t i = 0; i < L->nparams; i++)
		if (!chain_uses(chain, n, L->params[i].name))
			sbx_warning(&s->c->diags, L->params[i].loc, "parameter '%s' is declared but not used",
			            L->params[i].name);
}
