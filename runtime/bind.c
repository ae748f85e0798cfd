/*
 * bind.c - spawn-time parameters.  A blob path is (parameter, suffix); the
 * runtime binds it by concatenating the parameter's value and the suffix,
 * without parsing.  Values are checked instead: absolute, no control
 * characters, no "." or ".." components, no empty components, bounded.
 */
#include "rt.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RT_PATH_MAX 4096   /* PATH_MAX: a bound path, value and suffix together */

/* Why `value` cannot be bound, or NULL when it can. */
const char *rt_check_value(const char *value)
{
	if (!value || value[0] != '/')
		return "it is not an absolute path";
	size_t len = strnlen(value, SBX_PARAM_VALUE_MAX + 1);
	if (len > SBX_PARAM_VALUE_MAX)
		return "it is too long (limit is 4000 bytes)";
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)value[i] < 0x20 || value[i] == 0x7f)
			return "it contains a control character";
	for (const char *c = value + 1; *c; ) {      /* walk the components */
		const char *e = strchr(c, '/');
		size_t n = e ? (size_t)(e - c) : strlen(c);
		if (n == 0 && e)
			return "it has an empty component ('//')";
		if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return "it has a '.' or '..' component";
		c += n + (e ? 1 : 0);
	}
	return NULL;
}

int rt_path_within(const char *outer, const char *inner)
{
	size_t n = strlen(outer);
	if (n == 1 && outer[0] == '/')
		return inner[0] == '/';
	return strncmp(outer, inner, n) == 0 && (inner[n] == 0 || inner[n] == '/');
}

static int param_index(const struct sbx_view *v, const char *name)
{
	for (size_t i = 0; i < v->nparams; i++) {
		const char *pn = sbx_view_str(v, v->params[i].name);
		if (pn && strcmp(pn, name) == 0)
			return (int)i;
	}
	return -1;
}

/*
 * A malloc'd copy of value without trailing '/' (except for "/" itself).
 * The whole value: a copy cut at the length limit could end in '/' and,
 * stripped, pass as the value's parent directory.
 */
static char *strip_copy(const char *value)
{
	char *copy = strdup(value);
	size_t n = copy ? strlen(copy) : 0;
	while (n > 1 && copy[n - 1] == '/')
		copy[--n] = 0;
	return copy;
}

/*
 * Stores a checked copy of value as parameter i, symlinks resolved when the
 * path exists, so that "is this path inside that root" compares real paths.
 */
static int store_value(struct sbx_ctx *ctx, size_t i, const char *name, const char *value)
{
	char *copy = strip_copy(value);
	if (!copy)
		return rt_fail(ctx, SBX_E_NOMEM, "out of memory binding %s", name);
	const char *why = rt_check_value(copy);
	if (why) {
		free(copy);
		return rt_fail(ctx, SBX_E_PARAM, "cannot bind %s to '%s': %s", name, value, why);
	}
	char *real = realpath(copy, NULL);
	if (real && !rt_check_value(real)) {
		free(copy);
		copy = real;
	} else
		free(real);
	free(ctx->values[i]);
	ctx->values[i] = copy;
	ctx->is_default[i] = 0;
	return SBX_OK;
}

int sbx_ctx_bind(struct sbx_ctx *ctx, const char *name, const char *value)
{
	if (!ctx || !name || !value)
		return SBX_E_ARG;
	if (!ctx->loaded)
		return rt_fail(ctx, SBX_E_NOBLOB, "no policy blob is loaded");
	int i = param_index(&ctx->view, name);
	if (i < 0)
		return rt_fail(ctx, SBX_E_PARAM, "the policy has no parameter named %s", name);
	return store_value(ctx, (size_t)i, name, value);
}

/* The default of built-in parameter `name`, or NULL with the reason in *why. */
static const char *default_value(const char *name, const char *cwd, const char *const *envp,
                                 const char **why)
{
	const char *val = NULL;
	if (strcmp(name, "WORKSPACE") == 0)
		val = cwd;
	else if (strcmp(name, "HOME") == 0) {
		val = rt_getenv(envp, "HOME");
		*why = "$HOME is not set";
	} else if (strcmp(name, "TMPDIR") == 0) {
		val = rt_getenv(envp, "TMPDIR");
		if (!val || !val[0])
			val = "/tmp";
	} else
		*why = "it has no default";
	return val && val[0] ? val : NULL;
}

/*
 * Binds every unbound parameter that has a default; an unbound one without
 * is an error.  Defaults belong to one spawn (WORKSPACE follows each
 * spawn's cwd), so the previous spawn's are dropped first.
 */
static int bind_defaults(struct sbx_ctx *ctx, const char *cwd, const char *const *envp)
{
	for (size_t i = 0; i < ctx->view.nparams; i++)
		if (ctx->is_default[i]) {
			free(ctx->values[i]);
			ctx->values[i] = NULL;
			ctx->is_default[i] = 0;
		}
	for (size_t i = 0; i < ctx->view.nparams; i++) {
		if (ctx->values[i])
			continue;
		const char *name = sbx_view_str(&ctx->view, ctx->view.params[i].name);
		const char *why = "it has no default";
		const char *val = NULL;
		if (ctx->view.params[i].flags & SBX_PARAM_F_BUILTIN)
			val = default_value(name, cwd, envp, &why);
		if (!val)
			return rt_fail(ctx, SBX_E_PARAM, "parameter %s is not bound (%s): pass --var %s=PATH",
			               name, why, name);
		int rc = store_value(ctx, i, name, val);
		if (rc != SBX_OK)
			return rc;
		ctx->is_default[i] = 1;
	}
	return SBX_OK;
}

/* The value part of path i: the parameter's value, "" for a literal path,
   and "" for "/" followed by a suffix ("/" + "/a" is "/a"). */
static const char *value_of(const struct sbx_ctx *ctx, const struct sbx_path *p)
{
	const char *value = p->param != SBX_NONE ? ctx->values[p->param] : "";
	const char *suffix = sbx_view_str(&ctx->view, p->suffix);
	return strcmp(value, "/") == 0 && suffix[0] ? "" : value;
}

/* Bytes of path i once bound, NUL included (0 when it is not for this platform). */
static size_t bound_len(const struct sbx_ctx *ctx, size_t i, uint32_t platform)
{
	const struct sbx_path *p = &ctx->view.paths[i];
	if (!(p->platforms & platform))
		return 0;
	return strlen(value_of(ctx, p)) + strlen(sbx_view_str(&ctx->view, p->suffix)) + 1;
}

/* Writes path i into dst (bound_len bytes): value + suffix. */
static void bind_one(const struct sbx_ctx *ctx, size_t i, char *dst)
{
	const struct sbx_path *p = &ctx->view.paths[i];
	const char *value = value_of(ctx, p), *suffix = sbx_view_str(&ctx->view, p->suffix);
	size_t n = strlen(value);
	memcpy(dst, value, n);
	memcpy(dst + n, suffix, strlen(suffix) + 1);
}

static const char *tmpdir_value(const struct sbx_ctx *ctx)
{
	int i = param_index(&ctx->view, "TMPDIR");
	return i >= 0 ? ctx->values[i] : NULL;
}

int rt_bind_paths(struct sbx_ctx *ctx, const char *cwd, const char *const *envp,
                  uint32_t platform, struct rt_paths *out)
{
	memset(out, 0, sizeof *out);
	int rc = bind_defaults(ctx, cwd, envp);
	if (rc != SBX_OK)
		return rc;
	size_t total = 0, n = ctx->view.npaths;
	for (size_t i = 0; i < n; i++) {
		size_t len = bound_len(ctx, i, platform);
		if (len > RT_PATH_MAX)
			return rt_fail(ctx, SBX_E_PARAM, "a bound path is longer than %d bytes",
			               RT_PATH_MAX);
		total += len;
	}
	out->path = calloc(n ? n : 1, sizeof *out->path);
	out->block = malloc(total ? total : 1);
	if (!out->path || !out->block) {
		rt_paths_free(out);
		return rt_fail(ctx, SBX_E_NOMEM, "out of memory binding paths");
	}
	char *at = out->block;
	for (size_t i = 0; i < n; i++) {
		size_t len = bound_len(ctx, i, platform);
		if (!len)
			continue;
		bind_one(ctx, i, at);
		out->path[i] = at;
		at += len;
	}
	out->npaths = n;
	out->tmpdir = tmpdir_value(ctx);
	return SBX_OK;
}

void rt_paths_free(struct rt_paths *p)
{
	free(p->path);
	free(p->block);
	memset(p, 0, sizeof *p);
}
