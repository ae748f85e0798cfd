/*
 * sema.c - from syntax trees to the normalized IR of one policy
 * (docs/language.md is the contract).
 *
 *   imports   load every imported file once, relative to its importer
 *   policies  one table over the root and its imports; names are unique
 *   extends   resolve each policy's chain of parents, reject cycles
 *   layers    check each policy's own statements once ("its layer")
 *   merge     fold the layers of a chain, parent first; the child wins
 *   IR        sort, number the parameters, add the environment defaults
 *
 * Errors about a layer are reported when the layer is first checked, and
 * warnings about a merged policy only for the rules written in that policy,
 * so `sbxc check` (every policy of a file) says each thing once.
 */
#include "compiler.h"
#include "path.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PARAMS   64
#define MAX_RULES    100000
#define MAX_POLICIES 4096
#define MAX_FILES    1024
#define MAX_ENV      4096
#define NLIMITS      4

static const struct sbx_loc no_loc;

struct pol;

/* A filesystem rule with its path parsed and normalized. */
struct srule {
	char *param;              /* == ref when the parameter stays; NULL when literal or bound */
	char *suffix;             /* owned (by the layer) */
	char *ref;                /* owned: the parameter as written (param aliases it), or NULL */
	uint32_t platforms;
	enum sbx_fs_kind kind;
	struct sbx_loc loc;
	const struct pol *owner;
	size_t seq;               /* source order inside the layer */
	int replaces;             /* merged: it replaced an inherited rule of another kind */
};

struct sparam {
	const char *name;         /* borrowed from the tree */
	struct sbx_loc loc;
};

struct senv {
	enum sbx_env_opcode op;
	const char *name, *value; /* borrowed from the tree */
	struct sbx_loc loc;
};

struct scalar {
	int set;
	uint64_t value;
	struct sbx_loc loc;
};

/* What one policy's own statements say. */
struct layer {
	struct srule *rules;
	size_t nrules, caprules;
	struct sparam *params;    /* declared here */
	size_t nparams, capparams;
	const char **visible;     /* declared here or in an ancestor */
	size_t nvisible;
	char **uses;              /* owned: parameters the rules here name (each once) */
	size_t nuses;
	struct senv *env;
	size_t nenv, capenv;
	struct scalar network, enforcement, limit[NLIMITS];
};

struct pol {
	const struct sbx_ast_policy *ast;
	struct pol *parent;
	int chain;                /* 0 not yet resolved, 1 fine, -1 broken (reported) */
	unsigned mark;            /* walk stamp, for cycle detection */
	int analyzed;
	struct layer layer;
};

struct sfile {
	struct sbx_ast_file *ast;
	char *key;                /* owned realpath, or NULL (text without a file) */
	const char *shown;        /* the name as written, for messages */
	int on_stack;
};

/* A policy being merged from its chain. */
struct merged {
	struct srule *r;          /* borrowed from the layers, sorted by key */
	size_t n;
	struct senv *env;
	size_t nenv, capenv;
	int has_keep;
	struct scalar network, enforcement, limit[NLIMITS];
};

struct sema {
	struct sbx_compiler *c;
	struct sfile *files;
	size_t nfiles, capfiles;
	size_t stack[SBX_MAX_IMPORT_DEPTH + 1];
	size_t depth;
	struct pol *pols;
	size_t npols;
	int windows;              /* Windows is a compile target */
	unsigned stamp;
	int *define_bad;          /* per -D: its value was rejected */
};

static const char *const kind_names[] = { "", "readonly", "writable", "denied" };
static const char *const limit_names[] = { "processes", "memory", "cpu", "wall" };

/* ---- small helpers ---- */

static int oom(struct sema *s)
{
	sbx_error(&s->c->diags, no_loc, "out of memory");
	return -1;
}

/* Returns v with room for `need` elements of `size` bytes, or NULL (v untouched). */
static void *grow(void *v, size_t *cap, size_t need, size_t size)
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

static void show_path(const struct srule *r, char *buf, size_t n)
{
	snprintf(buf, n, "%s%s%s%s", r->param ? "${" : "", r->param ? r->param : "",
	         r->param ? "}" : "", r->suffix);
}

/* Rule order of ir.h: literal paths first, then by parameter, then suffix bytewise. */
static int key_cmp(const struct srule *a, const struct srule *b)
{
	if (!a->param != !b->param)
		return a->param ? 1 : -1;
	int d = a->param ? strcmp(a->param, b->param) : 0;
	return d ? d : strcmp(a->suffix, b->suffix);
}

static int rule_seq_cmp(const void *pa, const void *pb)
{
	const struct srule *a = pa, *b = pb;
	int d = key_cmp(a, b);
	return d ? d : (a->seq > b->seq) - (a->seq < b->seq);
}

static const struct srule *find_rule(const struct merged *m, const char *param, const char *suffix)
{
	struct srule key = { .param = (char *)param, .suffix = (char *)suffix };
	size_t lo = 0, hi = m->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int d = key_cmp(&m->r[mid], &key);
		if (d == 0)
			return &m->r[mid];
		if (d < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* ---- imports ---- */

static long find_file(const struct sema *s, const char *key)
{
	for (size_t i = 0; i < s->nfiles; i++)
		if (s->files[i].key && !strcmp(s->files[i].key, key))
			return (long)i;
	return -1;
}

/* Records a file; takes ownership of key.  Returns its index or -1. */
static long add_file(struct sema *s, struct sbx_ast_file *f, char *key, const char *shown)
{
	struct sfile *v = grow(s->files, &s->capfiles, s->nfiles + 1, sizeof *v);
	if (!v) {
		free(key);
		return oom(s);
	}
	s->files = v;
	s->files[s->nfiles] = (struct sfile){ f, key, shown, 0 };
	return (long)s->nfiles++;
}

/* The import's path: relative to the importing file's directory (or the cwd). */
static char *import_path(const struct sbx_ast_file *f, const char *rel)
{
	const char *from = f->src ? f->src->path : "";
	const char *slash = strrchr(from, '/');
	char *p = NULL;
	if (rel[0] == '/' || !slash)
		return strdup(rel);
	if (asprintf(&p, "%.*s/%s", (int)(slash - from), from, rel) < 0)
		return NULL;
	return p;
}

static void report_import_cycle(struct sema *s, size_t fi, const struct sbx_ast_item *imp)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	if (!m) {
		oom(s);
		return;
	}
	size_t i = 0;
	while (i < s->depth && s->stack[i] != fi)
		i++;
	for (; i < s->depth; i++)
		fprintf(m, "%s -> ", s->files[s->stack[i]].shown);
	fputs(imp->text, m);
	fclose(m);
	sbx_error(&s->c->diags, imp->loc, "import cycle: %s", buf);
	free(buf);
}

static void visit_file(struct sema *s, size_t fi);

/* The canonical path of an import (so that one file is loaded once), or NULL (reported). */
static char *import_key(struct sema *s, const struct sbx_ast_file *f, const struct sbx_ast_item *it)
{
	if (it->len == 0) {
		sbx_error(&s->c->diags, it->loc, "empty import path");
		return NULL;
	}
	char *path = import_path(f, it->text);
	if (!path) {
		oom(s);
		return NULL;
	}
	char *key = realpath(path, NULL);
	if (!key)
		sbx_error(&s->c->diags, it->loc, "cannot import '%s': %s", it->text, strerror(errno));
	free(path);
	return key;
}

static void import_one(struct sema *s, const struct sbx_ast_file *f, const struct sbx_ast_item *it)
{
	if (s->depth > SBX_MAX_IMPORT_DEPTH) {
		sbx_error(&s->c->diags, it->loc, "imports nested too deeply (limit is %d)", SBX_MAX_IMPORT_DEPTH);
		return;
	}
	char *key = import_key(s, f, it);
	if (!key)
		return;
	long k = find_file(s, key);
	if (k >= 0 && s->files[k].on_stack)
		report_import_cycle(s, (size_t)k, it);
	else if (k < 0 && s->nfiles >= MAX_FILES)
		sbx_error(&s->c->diags, it->loc, "too many imported files (limit is %d)", MAX_FILES);
	struct sbx_ast_file *g = k < 0 && s->nfiles < MAX_FILES ? sbx_load(s->c, key, it->loc) : NULL;
	if (!g) {
		free(key);   /* already visited (importing twice is harmless), or an error */
		return;
	}
	k = add_file(s, g, key, it->text);
	if (k >= 0)
		visit_file(s, (size_t)k);
}

/* Depth-first over imports; the stack is the chain for cycle messages. */
static void visit_file(struct sema *s, size_t fi)
{
	const struct sbx_ast_file *f = s->files[fi].ast;
	s->files[fi].on_stack = 1;
	s->stack[s->depth++] = fi;
	for (size_t i = 0; i < f->nimports; i++)
		import_one(s, f, &f->imports[i]);
	s->depth--;
	s->files[fi].on_stack = 0;
}

/* ---- the policy table and extends ---- */

static struct pol *find_pol(const struct sema *s, const char *name)
{
	for (size_t i = 0; i < s->npols; i++)
		if (!strcmp(s->pols[i].ast->name.text, name))
			return &s->pols[i];
	return NULL;
}

static size_t count_policies(const struct sema *s)
{
	size_t n = 0;
	for (size_t i = 0; i < s->nfiles; i++)
		n += s->files[i].ast->npolicies;
	return n;
}

static int collect_policies(struct sema *s)
{
	size_t total = count_policies(s);
	s->pols = calloc(total ? total : 1, sizeof *s->pols);
	if (!s->pols)
		return oom(s);
	for (size_t i = 0; i < s->nfiles; i++) {
		const struct sbx_ast_file *f = s->files[i].ast;
		for (size_t j = 0; j < f->npolicies; j++) {
			const struct sbx_ast_policy *ap = &f->policies[j];
			if (!ap->name.text || !ap->name.text[0])
				continue;   /* a name the parser could not read: already reported */
			struct pol *first = find_pol(s, ap->name.text);
			if (first) {
				sbx_error(&s->c->diags, ap->name.loc, "policy '%s' is defined twice", ap->name.text);
				sbx_note(&s->c->diags, first->ast->name.loc, "the first definition is here");
			} else if (s->npols == MAX_POLICIES) {
				sbx_error(&s->c->diags, ap->name.loc, "too many policies (limit is %d)", MAX_POLICIES);
				return -1;
			} else {
				s->pols[s->npols++].ast = ap;
			}
		}
	}
	return 0;
}

/* "extends cycle: a -> b -> a", starting where the walk came back. */
static void report_extends_cycle(struct sema *s, struct pol *start)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	if (!m) {
		oom(s);
		return;
	}
	struct pol *q = start;
	do {
		fprintf(m, "%s -> ", q->ast->name.text);
		q->chain = -1;
		q = q->parent;
	} while (q && q != start);
	fputs(start->ast->name.text, m);
	fclose(m);
	sbx_error(&s->c->diags, start->ast->parent.loc, "extends cycle: %s", buf);
	free(buf);
}

/* Follows parents from p; marks the whole walk fine or broken.  1 or -1. */
static int resolve_chain(struct sema *s, struct pol *p)
{
	struct pol *cur = p;
	s->stamp++;
	while (cur && cur->chain == 0 && cur->mark != s->stamp) {
		cur->mark = s->stamp;
		const struct sbx_ast_item *pn = &cur->ast->parent;
		if (pn->text && !(cur->parent = find_pol(s, pn->text))) {
			sbx_error(&s->c->diags, pn->loc, "policy '%s' extends unknown policy '%s'",
			          cur->ast->name.text, pn->text);
			cur->chain = -1;
			break;
		}
		cur = cur->parent;
	}
	int result = 1;
	if (cur && cur->chain)
		result = cur->chain;
	else if (cur) {
		report_extends_cycle(s, cur);
		result = -1;
	}
	for (struct pol *q = p; q && q->chain == 0; q = q->parent)
		q->chain = result;
	return result;
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
	struct sparam *v = grow(L->params, &L->capparams, L->nparams + 1, sizeof *v);
	if (!v)
		return oom(s);
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
		return oom(s);
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
		return oom(s);
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

/* A literal path for a platform that is not compiled for is dropped. */
static int target_drops(struct sema *s, const struct sbx_pathspec *ps, struct sbx_loc loc)
{
	if (ps->param || (ps->platforms & s->c->targets))
		return 0;
	const char *os = ps->platforms == SBX_PLAT_WINDOWS ? "Windows" : "Linux";
	sbx_warning(&s->c->diags, loc, "rule dropped: '%s' is a %s path, and %s is not a compile "
	            "target", ps->suffix, os, os);
	return 1;
}

static int push_rule(struct sema *s, struct pol *p, struct sbx_pathspec *ps, char *ref,
                     enum sbx_fs_kind kind, struct sbx_loc loc)
{
	struct layer *L = &p->layer;
	struct srule *v = grow(L->rules, &L->caprules, L->nrules + 1, sizeof *v);
	if (!v)
		return oom(s);
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
		return oom(s);
	if (L->nuses == MAX_PARAMS)
		return 0;   /* cannot happen: a used parameter is a declared one */
	if (!(L->uses[L->nuses] = strdup(name)))
		return oom(s);
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
		return oom(s);
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
	if (bound < 0 || target_drops(s, &ps, it->loc)) {
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
		if (!first || key_cmp(first, r)) {
			L->rules[keep++] = *r;
			continue;
		}
		if (first->kind == r->kind) {
			sbx_warning(d, r->loc, "duplicate rule: this path is already %s", kind_names[r->kind]);
			sbx_note(d, first->loc, "the first rule is here");
		} else {
			sbx_error(d, r->loc, "conflicting rules: this path is both %s and %s",
			          kind_names[first->kind], kind_names[r->kind]);
			sbx_note(d, first->loc, "the %s rule is here", kind_names[first->kind]);
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
	struct senv *v = grow(L->env, &L->capenv, L->nenv + 1, sizeof *v);
	if (!v)
		return oom(s);
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
	case SBX_STMT_PARAM:
		return 0;
	}
	return 0;
}

/* Checks a policy's own statements, once; its parent is already analyzed. */
static int analyze(struct sema *s, struct pol *p)
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

static void layer_free(struct layer *L)
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

/* ---- merging a chain ---- */

/* m->r and the layer's rules are both sorted: merge them, the layer winning. */
static int merge_rules(struct sema *s, struct merged *m, const struct pol *p, const struct pol *target)
{
	const struct layer *L = &p->layer;
	struct srule *out = malloc((m->n + L->nrules + 1) * sizeof *out);
	size_t i = 0, j = 0, n = 0;
	if (!out)
		return oom(s);
	while (i < m->n || j < L->nrules) {
		int d = i == m->n ? 1 : j == L->nrules ? -1 : key_cmp(&m->r[i], &L->rules[j]);
		if (d < 0) {
			out[n++] = m->r[i++];
		} else if (d > 0) {
			out[n++] = L->rules[j++];
		} else if (m->r[i].kind == L->rules[j].kind) {
			if (p == target) {
				sbx_warning(&s->c->diags, L->rules[j].loc, "duplicate rule: policy '%s' already "
				            "makes this path %s", m->r[i].owner->ast->name.text,
				            kind_names[m->r[i].kind]);
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
			struct senv *v = grow(m->env, &m->capenv, m->nenv + 1, sizeof *v);
			if (!v)
				return oom(s);
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
	for (int i = 0; i < NLIMITS; i++)
		if (L->limit[i].set)
			m->limit[i] = L->limit[i];
}

static int merge_chain(struct sema *s, struct pol **chain, size_t n, struct merged *m)
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
		          "conflict on Windows, where paths are case-insensitive", pa, kind_names[a->kind],
		          pb, kind_names[b->kind]);
	else if (a->platforms == SBX_PLAT_WINDOWS && b->platforms == SBX_PLAT_WINDOWS)
		sbx_warning(&s->c->diags, a->loc, "duplicate rule: '%s' and '%s' are the same path on "
		            "Windows, where paths are case-insensitive", pa, pb);
	else
		return;
	sbx_note(&s->c->diags, b->loc, "the other rule is here");
}

/* Rules for Windows paths that are equal but for case. */
static int check_case_conflicts(struct sema *s, const struct merged *m, const struct pol *target)
{
	const struct srule **v = malloc((m->n + 1) * sizeof *v);
	size_t n = 0;
	if (!v)
		return oom(s);
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

static void check_redundant(struct sema *s, const struct merged *m, const struct pol *target)
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
		            kind_names[r->kind], shown);
		sbx_note(&s->c->diags, c->loc, "the enclosing rule is here");
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

static void check_unused_params(struct sema *s, struct pol **chain, size_t n)
{
	const struct layer *L = &chain[n - 1]->layer;
	for (size_t i = 0; i < L->nparams; i++)
		if (!chain_uses(chain, n, L->params[i].name))
			sbx_warning(&s->c->diags, L->params[i].loc, "parameter '%s' is declared but not used",
			            L->params[i].name);
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
		return oom(s);
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
		oom(s);
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
	if (resolve_chain(s, p) < 0 || !(chain = make_chain(s, p, &n)))
		return -1;
	for (size_t i = 0; i < n; i++)
		if (analyze(s, chain[i]) < 0)
			goto out;
	if (merge_chain(s, chain, n, &m) < 0 || check_case_conflicts(s, &m, p) < 0)
		goto out;
	check_redundant(s, &m, p);
	check_unused_params(s, chain, n);
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
		return oom(s);
	check_defines(s);
	const char *path = root->src ? root->src->path : "";
	char *key = root->src ? realpath(path, NULL) : NULL;
	if (add_file(s, root, key, path) < 0)
		return -1;
	visit_file(s, 0);
	return collect_policies(s);
}

static void sema_free(struct sema *s)
{
	for (size_t i = 0; i < s->nfiles; i++)
		free(s->files[i].key);
	for (size_t i = 0; i < s->npols; i++)
		layer_free(&s->pols[i].layer);
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
	struct pol *p = find_pol(s, name ? name : root->policies[0].name.text);
	if (p || !name)
		return p;
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	if (!m) {
		oom(s);
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
	struct pol *p = find_pol(s, ap->name.text);
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
