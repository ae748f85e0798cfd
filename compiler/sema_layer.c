/*
 * sema_layer.c - checks one policy's own statements once ("its layer"):
 * parameters, filesystem rules (paths parsed, -D bound, sorted, repeats
 * and conflicts reported), scalars and the environment.
 */
#include "sema_internal.h"
#include "path.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const limit_names[] = { "processes", "memory", "cpu", "wall" };

static int rule_seq_cmp(const void *pa, const void *pb)
{
	const struct srule *a = pa, *b = pb;
	int d = sbx_sema_key_cmp(a, b);
	return d ? d : (a->seq > b->seq) - (a->seq < b->seq);
}

/* ---- one layer: parameters ---- */

static int is_visible(const struct layer *L, const char *name)
{
	for (size_t i = 0; i < L->nvisible; i++)
		if (!strcmp(L->visible[i], name))
			return 1;
	return 0;
}

static const struct sparam *find_param(const struct layer *L, const char *name)
{
	for (size_t i = 0; i < L->nparams; i++)
		if (!strcmp(L->params[i].name, name))
			return &L->params[i];
	return NULL;
}

static int declare_param(struct sema *s, struct layer *L, const struct sbx_ast_item *it)
{
	struct sbx_diags *d = &s->c->diags;
	const struct sparam *dup = find_param(L, it->text);
	if (dup) {
		sbx_warning(d, it->loc, "parameter '%s' is declared twice", it->text);
		sbx_note(d, dup->loc, "the first declaration is here");
		return 0;
	}
	if (!sbx_path_param_name_ok(it->text, it->len)) {
		sbx_error(d, it->loc, "'%s' is not a valid parameter name (use letters, digits and '_', "
		          "not starting with a digit)", it->text);
		return 0;
	}
	if (!is_visible(L, it->text)) {
		if (L->nvisible == MAX_PARAMS) {
			sbx_error(d, it->loc, "too many parameters (limit is %d)", MAX_PARAMS);
			return 0;
		}
		L->visible[L->nvisible++] = it->text;
	}
	struct sparam *v = sbx_sema_grow(L->params, &L->capparams, L->nparams + 1, sizeof *v);
	if (!v)
		return sbx_sema_oom(s);
	L->params = v;
	L->params[L->nparams++] = (struct sparam){ it->text, it->loc };
	return 0;
}

/* The visible set starts as the parent's; then this policy's declarations. */
static int declare_params(struct sema *s, struct pol *p)
{
	struct layer *L = &p->layer;
	L->visible = calloc(MAX_PARAMS, sizeof *L->visible);
	if (!L->visible)
		return sbx_sema_oom(s);
	if (p->parent) {
		memcpy(L->visible, p->parent->layer.visible, p->parent->layer.nvisible * sizeof *L->visible);
		L->nvisible = p->parent->layer.nvisible;
	}
	for (size_t i = 0; i < p->ast->nstmts; i++) {
		const struct sbx_ast_stmt *st = &p->ast->stmts[i];
		for (size_t j = 0; st->kind == SBX_STMT_PARAM && j < st->nitems; j++)
			if (declare_param(s, L, &st->items[j]) < 0)
				return -1;
	}
	return 0;
}

/* ---- one layer: filesystem rules ---- */

static long find_define(const struct sbx_compiler *c, const char *name)
{
	for (size_t i = 0; i < c->ndefines; i++)
		if (!strcmp(c->defines[i].name, name))
			return (long)i;
	return -1;
}

/* Replaces ${NAME}suffix by the -D value + suffix, normalized.  0, or -1 (reported). */
static int bind_define(struct sema *s, struct sbx_pathspec *ps, const struct sbx_ast_item *it)
{
	long di = find_define(s->c, ps->param);
	if (di < 0)
		return 0;
	struct sbx_define *def = &s->c->defines[di];
	def->used = 1;
	if (s->define_bad[di])
		return -1;
	char *text = NULL, err[SBX_PATH_ERR_SIZE];
	struct sbx_pathspec bound;
	if (asprintf(&text, "%s%s", def->value, ps->suffix) < 0)
		return sbx_sema_oom(s);
	int rc = sbx_path_literal(text, strlen(text), &bound, err, sizeof err);
	free(text);
	if (rc < 0) {
		sbx_error(&s->c->diags, it->loc, "%s (after substituting -D %s=%s)", err, def->name, def->value);
		return -1;
	}
	free(ps->suffix);
	ps->suffix = bound.suffix;
	ps->platforms = bound.platforms;
	return 1;
}

static void warn_wide_writable(struct sema *s, const struct sbx_pathspec *ps, struct sbx_loc loc)
{
	if (!ps->param && !strcmp(ps->suffix, "/"))
		sbx_warning(&s->c->diags, loc, "writable '/' lets the command change the whole system");
	else if (!ps->param && ps->suffix[1] == ':' && !ps->suffix[3])
		sbx_warning(&s->c->diags, loc, "writable '%s' lets the command change the whole drive",
		            ps->suffix);
	else if (ps->param && !strcmp(ps->param, "HOME") && !ps->suffix[0])
		sbx_warning(&s->c->diags, loc, "writable ${HOME} lets the command change every file "
		            "in the home directory");
}

/*
 * A literal path for a platform that is not compiled for is dropped.  One
 * warning per policy and platform: a policy written for both platforms
 * compiled for one would otherwise warn about each of its other rules.
 */
static int target_drops(struct sema *s, struct layer *L, const struct sbx_pathspec *ps,
                        struct sbx_loc loc)
{
	if (ps->param || (ps->platforms & s->c->targets))
		return 0;
	if (L->dropped & ps->platforms)
		return 1;
	L->dropped |= ps->platforms;
	const char *os = ps->platforms == SBX_PLAT_WINDOWS ? "Windows" : "Linux";
	sbx_warning(&s->c->diags, loc, "rule dropped: '%s' is a %s path, and %s is not a compile "
	            "target (so are any other %s paths of this policy)", ps->suffix, os, os, os);
	return 1;
}

static int push_rule(struct sema *s, struct pol *p, struct sbx_pathspec *ps, char *ref,
                     enum sbx_fs_kind kind, struct sbx_loc loc)
{
	struct layer *L = &p->layer;
	struct srule *v = sbx_sema_grow(L->rules, &L->caprules, L->nrules + 1, sizeof *v);
	if (!v)
		return sbx_sema_oom(s);
	L->rules = v;
	L->rules[L->nrules] = (struct srule){
		.param = ps->param, .suffix = ps->suffix, .ref = ref,
		.platforms = ps->param ? s->c->targets : ps->platforms,
		.kind = kind, .loc = loc, .owner = p, .seq = L->nrules,
	};
	L->nrules++;
	return 0;
}

/* Remembers that this layer names a parameter (at most MAX_PARAMS distinct ones). */
static int note_use(struct sema *s, struct layer *L, const char *name)
{
	for (size_t i = 0; i < L->nuses; i++)
		if (!strcmp(L->uses[i], name))
			return 0;
	if (!L->uses && !(L->uses = calloc(MAX_PARAMS, sizeof *L->uses)))
		return sbx_sema_oom(s);
	if (L->nuses == MAX_PARAMS)
		return 0;   /* cannot happen: a used parameter is a declared one */
	if (!(L->uses[L->nuses] = strdup(name)))
		return sbx_sema_oom(s);
	L->nuses++;
	return 0;
}

/* A path with an error still uses its parameter: no "not used" warning on top. */
static int note_broken_use(struct sema *s, struct layer *L, const struct sbx_ast_item *it)
{
	const char *close = it->len > 2 && !strncmp(it->text, "${", 2) ? strchr(it->text, '}') : NULL;
	if (!close)
		return 0;
	char *name = strndup(it->text + 2, (size_t)(close - it->text - 2));
	if (!name)
		return sbx_sema_oom(s);
	int rc = is_visible(L, name) ? note_use(s, L, name) : 0;
	free(name);
	return rc;
}

/* Parses a rule's path and checks its parameter; 1 with ps filled, 0 (reported) or -1. */
static int rule_path(struct sema *s, struct pol *p, const struct sbx_ast_item *it,
                     struct sbx_pathspec *ps)
{
	char err[SBX_PATH_ERR_SIZE];
	if (sbx_path_parse(it->text, it->len, s->windows, ps, err, sizeof err) < 0) {
		sbx_error(&s->c->diags, it->loc, "%s", err);
		return note_broken_use(s, &p->layer, it);
	}
	if (ps->param && !is_visible(&p->layer, ps->param)) {
		sbx_error(&s->c->diags, it->loc, "parameter '%s' is not declared; add 'param %s;' to "
		          "the policy", ps->param, ps->param);
		sbx_pathspec_free(ps);
		return 0;
	}
	if (ps->param && note_use(s, &p->layer, ps->param) < 0) {
		sbx_pathspec_free(ps);
		return -1;
	}
	return 1;
}

/* A private path is mounted at compile-time-known places: a literal Linux path below "/". */
static int bad_private(struct sema *s, const struct sbx_pathspec *ps, struct sbx_loc loc)
{
	const char *why = ps->param ? "a parameter's value is only known at spawn time"
	                : ps->platforms != SBX_PLAT_LINUX ? "it needs a mount namespace, which "
	                                                    "Windows does not have"
	                : !strcmp(ps->suffix, "/") ? "the whole file system cannot be replaced"
	                : NULL;
	if (why)
		sbx_error(&s->c->diags, loc, "a private path must be a literal Linux path other than "
		          "\"/\": %s", why);
	return why != NULL;
}

static int add_rule(struct sema *s, struct pol *p, const struct sbx_ast_item *it, enum sbx_fs_kind kind)
{
	struct sbx_pathspec ps;
	int rc = rule_path(s, p, it, &ps);
	if (rc <= 0)
		return rc;
	if (kind == SBX_FS_WRITABLE)
		warn_wide_writable(s, &ps, it->loc);
	char *ref = ps.param;   /* owns the name; the rule's param aliases it unless -D binds it */
	int bound = ref ? bind_define(s, &ps, it) : 0;
	if (bound == 1)
		ps.param = NULL;
	if (bound < 0 || (kind == SBX_FS_PRIVATE && bad_private(s, &ps, it->loc)) ||
	    target_drops(s, &p->layer, &ps, it->loc)) {
		free(ref);
		ps.param = NULL;
		sbx_pathspec_free(&ps);
		return 0;
	}
	if (push_rule(s, p, &ps, ref, kind, it->loc) < 0) {
		free(ref);
		free(ps.suffix);
		return -1;
	}
	return 0;
}

static void rule_free(struct srule *r)
{
	free(r->ref);
	free(r->suffix);
}

/* Sorts a layer's rules; drops repeats (warning) and reports conflicts. */
static void check_layer_rules(struct sema *s, struct layer *L)
{
	struct sbx_diags *d = &s->c->diags;
	size_t keep = 0;
	if (L->nrules)
		qsort(L->rules, L->nrules, sizeof *L->rules, rule_seq_cmp);
	for (size_t i = 0; i < L->nrules; i++) {
		struct srule *r = &L->rules[i], *first = keep ? &L->rules[keep - 1] : NULL;
		if (!first || sbx_sema_key_cmp(first, r)) {
			L->rules[keep++] = *r;
			continue;
		}
		if (first->kind == r->kind) {
			sbx_warning(d, r->loc, "duplicate rule: this path is already %s",
			            sbx_sema_kind_names[r->kind]);
			sbx_note(d, first->loc, "the first rule is here");
		} else {
			sbx_error(d, r->loc, "conflicting rules: this path is both %s and %s",
			          sbx_sema_kind_names[first->kind], sbx_sema_kind_names[r->kind]);
			sbx_note(d, first->loc, "the %s rule is here", sbx_sema_kind_names[first->kind]);
		}
		rule_free(r);
	}
	L->nrules = keep;
}

/* ---- one layer: scalars and the environment ---- */

static void set_scalar(struct sema *s, struct scalar *sc, uint64_t v, struct sbx_loc loc,
                       const char *what)
{
	struct sbx_diags *d = &s->c->diags;
	if (!sc->set) {
		*sc = (struct scalar){ 1, v, loc };
		return;
	}
	if (sc->value == v)
		sbx_warning(d, loc, "duplicate '%s' statement", what);
	else
		sbx_error(d, loc, "conflicting '%s' statements in one policy", what);
	sbx_note(d, sc->loc, "the first one is here");
}

static void add_limit(struct sema *s, struct layer *L, const struct sbx_ast_stmt *st)
{
	if (st->arg < SBX_LIMIT_PROCESSES || st->arg > SBX_LIMIT_WALL)
		return;   /* the parser builds no other kind */
	const char *name = limit_names[st->arg - 1];
	if (st->value == 0) {
		sbx_error(&s->c->diags, st->loc, "a limit of zero is not allowed; write 'limit %s none;' "
		          "to remove a limit", name);
		return;
	}
	char what[32];
	snprintf(what, sizeof what, "limit %s", name);
	set_scalar(s, &L->limit[st->arg - 1], st->value, st->loc, what);
}

static int env_glob_ok(const char *g)
{
	for (; *g; g++)
		if (!strchr("*?_", *g) && !(*g >= '0' && *g <= '9') && !((*g | 0x20) >= 'a' && (*g | 0x20) <= 'z'))
			return 0;
	return 1;
}

static int env_name_ok(const char *n)
{
	if (!*n || (*n >= '0' && *n <= '9'))
		return 0;
	for (; *n; n++)
		if (*n != '_' && !(*n >= '0' && *n <= '9') && !((*n | 0x20) >= 'a' && (*n | 0x20) <= 'z'))
			return 0;
	return 1;
}

static int push_env(struct sema *s, struct layer *L, struct senv e)
{
	if (L->nenv == MAX_ENV) {
		sbx_error(&s->c->diags, e.loc, "too many environment rules (limit is %d)", MAX_ENV);
		return 0;
	}
	struct senv *v = sbx_sema_grow(L->env, &L->capenv, L->nenv + 1, sizeof *v);
	if (!v)
		return sbx_sema_oom(s);
	L->env = v;
	L->env[L->nenv++] = e;
	return 0;
}

static int add_env_globs(struct sema *s, struct layer *L, const struct sbx_ast_stmt *st,
                         enum sbx_env_opcode op)
{
	for (size_t i = 0; i < st->nitems; i++) {
		const struct sbx_ast_item *it = &st->items[i];
		if (it->len == 0) {
			sbx_error(&s->c->diags, it->loc, "empty environment variable pattern");
		} else if (!env_glob_ok(it->text)) {
			sbx_error(&s->c->diags, it->loc, "'%s' is not a valid environment variable pattern "
			          "(use letters, digits, '_', '*' and '?')", it->text);
		} else if (push_env(s, L, (struct senv){ op, it->text, NULL, it->loc }) < 0) {
			return -1;
		}
	}
	return 0;
}

static int add_env_set(struct sema *s, struct layer *L, const struct sbx_ast_stmt *st)
{
	struct sbx_diags *d = &s->c->diags;
	if (st->nitems != 2)
		return 0;   /* the parser always gives name and value */
	const struct sbx_ast_item *name = &st->items[0];
	if (!env_name_ok(name->text)) {
		sbx_error(d, name->loc, "'%s' is not a valid environment variable name (use letters, "
		          "digits and '_', not starting with a digit)", name->text);
		return 0;
	}
	for (size_t i = 0; i < L->nenv; i++) {
		if (L->env[i].op == SBX_ENV_SET && !strcmp(L->env[i].name, name->text)) {
			sbx_error(d, name->loc, "environment variable '%s' is set twice in this policy",
			          name->text);
			sbx_note(d, L->env[i].loc, "the first one is here");
			return 0;
		}
	}
	return push_env(s, L, (struct senv){ SBX_ENV_SET, name->text, st->items[1].text, name->loc });
}

static int add_paths(struct sema *s, struct pol *p, const struct sbx_ast_stmt *st,
                     enum sbx_fs_kind kind)
{
	for (size_t i = 0; i < st->nitems; i++)
		if (add_rule(s, p, &st->items[i], kind) < 0)
			return -1;
	return 0;
}

static int analyze_stmt(struct sema *s, struct pol *p, const struct sbx_ast_stmt *st)
{
	struct layer *L = &p->layer;
	switch (st->kind) {
	case SBX_STMT_WRITABLE: return add_paths(s, p, st, SBX_FS_WRITABLE);
	case SBX_STMT_READONLY: return add_paths(s, p, st, SBX_FS_READONLY);
	case SBX_STMT_DENIED:   return add_paths(s, p, st, SBX_FS_DENIED);
	case SBX_STMT_PRIVATE:  return add_paths(s, p, st, SBX_FS_PRIVATE);
	case SBX_STMT_NETWORK:
		set_scalar(s, &L->network, (uint64_t)st->arg, st->loc, "network");
		return 0;
	case SBX_STMT_NETWORK_ALLOW:
		sbx_error(&s->c->diags, st->loc, "network allow-lists are not supported yet; use "
		          "'network offline' or 'network online'");
		return 0;
	case SBX_STMT_LIMIT:
		add_limit(s, L, st);
		return 0;
	case SBX_STMT_ENV_KEEP: return add_env_globs(s, L, st, SBX_ENV_KEEP);
	case SBX_STMT_ENV_DROP: return add_env_globs(s, L, st, SBX_ENV_DROP);
	case SBX_STMT_ENV_SET:  return add_env_set(s, L, st);
	case SBX_STMT_ENFORCEMENT:
		set_scalar(s, &L->enforcement, (uint64_t)st->arg, st->loc, "enforcement");
		return 0;
	case SBX_STMT_USERNS:
		set_scalar(s, &L->userns, (uint64_t)st->arg, st->loc, "user-namespaces");
		return 0;
	case SBX_STMT_PARAM:
		return 0;
	}
	return 0;
}

/* Checks a policy's own statements, once; its parent is already analyzed. */
int sbx_sema_analyze(struct sema *s, struct pol *p)
{
	if (p->analyzed)
		return 0;
	p->analyzed = 1;
	if (declare_params(s, p) < 0)
		return -1;
	for (size_t i = 0; i < p->ast->nstmts; i++)
		if (analyze_stmt(s, p, &p->ast->stmts[i]) < 0)
			return -1;
	if (p->layer.nrules > MAX_RULES) {
		sbx_error(&s->c->diags, p->ast->name.loc, "too many rules (limit is %d)", MAX_RULES);
		return -1;
	}
	check_layer_rules(s, &p->layer);
	return 0;
}

void sbx_sema_layer_free(struct layer *L)
{
	for (size_t i = 0; i < L->nrules; i++)
		rule_free(&L->rules[i]);
	for (size_t i = 0; i < L->nuses; i++)
		free(L->uses[i]);
	free(L->uses);
	free(L->rules);
	free(L->params);
	free(L->visible);
	free(L->env);
	memset(L, 0, sizeof *L);
}
