/*
 * env.c - the command's environment, filtered as docs/language.md
 * ("Environment") says: a variable passes when it matches a keep pattern
 * (no keep at all means keep "*") and no drop pattern, except that an
 * exact keep of its name beats a glob drop; `set` wins over both.  The
 * built-in drops are ordinary DROP records flagged DEFAULT in the blob.
 */
#include "rt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

/* Iterative glob with one backtrack point: linear enough for names. */
int rt_glob_match(const char *glob, const char *name)
{
	const char *star = NULL, *resume = NULL;
	while (*name) {
		if (*glob == '*') {
			star = glob++;
			resume = name;
		} else if (*glob == '?' || *glob == *name) {
			glob++;
			name++;
		} else if (star) {
			glob = star + 1;
			name = ++resume;
		} else
			return 0;
	}
	while (*glob == '*')
		glob++;
	return *glob == 0;
}

const char *rt_getenv(const char *const *envp, const char *name)
{
	size_t n = strlen(name);
	if (!envp)
		envp = (const char *const *)environ;
	for (; *envp; envp++)
		if (strncmp(*envp, name, n) == 0 && (*envp)[n] == '=')
			return *envp + n + 1;
	return NULL;
}

/* The name part of "NAME=VALUE" into buf; 0 when it does not fit or has no '='. */
static int name_of(const char *entry, char *buf, size_t size)
{
	const char *eq = strchr(entry, '=');
	if (!eq || eq == entry || (size_t)(eq - entry) >= size)
		return 0;
	memcpy(buf, entry, (size_t)(eq - entry));
	buf[eq - entry] = 0;
	return 1;
}

struct verdict {
	int any_keep, keep, exact_keep, drop, own_exact_drop;
};

static void judge_op(const struct sbx_view *v, const struct sbx_env_op *op, const char *name,
                     struct verdict *d)
{
	const char *glob = sbx_view_str(v, op->name);
	int exact = (op->flags & SBX_ENV_F_EXACT) != 0;
	if (op->op == SBX_ENV_KEEP)
		d->any_keep = 1;
	if (op->op == SBX_ENV_SET || !glob || !rt_glob_match(glob, name))
		return;
	if (op->op == SBX_ENV_KEEP) {
		d->keep = 1;
		d->exact_keep |= exact;
	} else if (op->op == SBX_ENV_DROP) {
		d->drop = 1;
		d->own_exact_drop |= exact && !(op->flags & SBX_ENV_F_DEFAULT);
	}
}

/*
 * Does variable `name` pass the keep/drop rules?  An exact keep beats glob
 * drops and the built-in drops (even the exact ones, like SSH_AUTH_SOCK);
 * the policy's own exact drop of the same name still wins.
 */
static int passes(const struct sbx_view *v, const char *name, uint32_t platform)
{
	struct verdict d = { 0, 0, 0, 0, 0 };
	for (size_t i = 0; i < v->nenv; i++)
		if (v->env[i].platforms & platform)
			judge_op(v, &v->env[i], name, &d);
	if ((d.any_keep && !d.keep) || d.own_exact_drop)
		return 0;
	return !d.drop || d.exact_keep;
}

/* Is `name` set by a SET op (or is it TMPDIR, which we set)? */
static int overridden(const struct sbx_view *v, const char *name, const char *tmpdir,
                      uint32_t platform)
{
	if (tmpdir && strcmp(name, "TMPDIR") == 0)
		return 1;
	for (size_t i = 0; i < v->nenv; i++) {
		const struct sbx_env_op *op = &v->env[i];
		if (op->op == SBX_ENV_SET && (op->platforms & platform) &&
		    strcmp(sbx_view_str(v, op->name), name) == 0)
			return 1;
	}
	return 0;
}

/* Appends "name=value" built in the block (bounded by the caller's sizing). */
static char *put_pair(char **at, const char *name, const char *value)
{
	char *s = *at;
	size_t n = strlen(name), m = strlen(value);
	memcpy(s, name, n);
	s[n] = '=';
	memcpy(s + n + 1, value, m + 1);
	*at += n + m + 2;
	return s;
}

static size_t set_bytes(const struct sbx_view *v, const char *tmpdir, uint32_t platform)
{
	size_t total = tmpdir ? strlen("TMPDIR=") + strlen(tmpdir) + 1 : 0;
	for (size_t i = 0; i < v->nenv; i++)
		if (v->env[i].op == SBX_ENV_SET && (v->env[i].platforms & platform))
			total += strlen(sbx_view_str(v, v->env[i].name)) +
			         strlen(sbx_view_str(v, v->env[i].value)) + 2;
	return total;
}

static int add_sets(const struct sbx_view *v, const char *tmpdir, uint32_t platform,
                    struct rt_env *e, size_t *n)
{
	char *at = e->block;
	if (tmpdir)
		e->envp[(*n)++] = put_pair(&at, "TMPDIR", tmpdir);
	for (size_t i = 0; i < v->nenv; i++) {
		const struct sbx_env_op *op = &v->env[i];
		if (op->op != SBX_ENV_SET || !(op->platforms & platform))
			continue;
		e->envp[(*n)++] = put_pair(&at, sbx_view_str(v, op->name), sbx_view_str(v, op->value));
	}
	return 0;
}

int rt_env_filter(struct sbx_ctx *ctx, const char *const *envp, const char *tmpdir,
                  uint32_t platform, struct rt_env *out)
{
	const struct sbx_view *v = &ctx->view;
	size_t count = 0, bytes = 0, n = 0;
	memset(out, 0, sizeof *out);
	if (tmpdir && overridden(v, "TMPDIR", NULL, platform))
		tmpdir = NULL;            /* the policy's own `env set TMPDIR` wins */
	if (!envp)
		envp = (const char *const *)environ;
	for (const char *const *p = envp; *p; p++)
		count++;
	count += v->nenv + 1;
	out->envp = calloc(count + 1, sizeof *out->envp);
	out->block = malloc(set_bytes(v, tmpdir, platform) + 1);
	if (!out->envp || !out->block) {
		rt_env_free(out);
		return rt_fail(ctx, SBX_E_NOMEM, "out of memory filtering the environment");
	}
	add_sets(v, tmpdir, platform, out, &n);
	char name[256];
	for (const char *const *p = envp; *p; p++) {
		if (!name_of(*p, name, sizeof name) || overridden(v, name, tmpdir, platform) ||
		    !passes(v, name, platform))
			continue;
		bytes += strlen(*p) + 1;
		if (n >= RT_MAX_ENV || bytes > RT_MAX_ENV_SIZE) {
			rt_env_free(out);
			return rt_fail(ctx, SBX_E_ARG, "too many environment variables (limit is %d, %u bytes)",
			               RT_MAX_ENV, RT_MAX_ENV_SIZE);
		}
		out->envp[n++] = (char *)*p;
	}
	out->path = rt_getenv((const char *const *)out->envp, "PATH");
	return SBX_OK;
}

void rt_env_free(struct rt_env *e)
{
	free(e->envp);
	free(e->block);
	memset(e, 0, sizeof *e);
}
