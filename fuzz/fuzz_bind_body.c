/*
 * fuzz_bind_body.c - hostile spawn-time parameter values -> sbx_ctx_bind
 * and the runtime's path binding (rt_bind_paths).
 *
 * Input: segments separated by NUL bytes; a segment's first byte picks the
 * parameter (WORKSPACE, HOME, TMPDIR, EXTRA or an unknown name) and the
 * rest is the value: very long, "..", control characters, non-UTF-8.
 * Properties, against the contract in include/sbx/sbxrt.h rather than the
 * implementation: a value is accepted exactly when it is absolute, at most
 * SBX_PARAM_VALUE_MAX bytes once trailing '/' are dropped, has no control
 * character and no empty, "." or ".." component; the value kept is that
 * one or its real path; every bound path lies beneath its value, stays
 * clean and short, and the log writer escapes it into a well-formed line.
 * The whole segments are also the caller's environment for the filter
 * (rt_env_filter): exactly the variables docs/language.md lets pass do,
 * and the policy's `env set` and TMPDIR always come out.
 */
#include "fuzz_targets.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler.h"
#include "../runtime/rt.h"

#define FUZZ_MAX_SEGMENTS 8

static const char fuzz_policy[] =
	"sbxpol 1;\n"
	"policy fuzz {\n"
	"    param WORKSPACE, HOME, TMPDIR, EXTRA;\n"
	"    readonly \"/\";\n"
	"    writable \"${WORKSPACE}\", \"${TMPDIR}\";\n"
	"    readonly \"${WORKSPACE}/.git\";\n"
	"    denied \"${HOME}/.ssh\";\n"
	"    writable \"${EXTRA}/a/b\";\n"
	"    env keep \"PATH\", \"LC_*\", \"A*\", \"D*\";\n"
	"    env drop \"*_TOKEN\", \"AWS_*\";\n"
	"    env set CI = \"1\";\n"
	"}\n";

/* The policy's env rules and the built-in drops, as docs/language.md lists them. */
static const char *const env_keeps[] = { "PATH", "LC_*", "A*", "D*" };
static const char *const env_drops[] = {
	"*_TOKEN", "AWS_*",
	"*_TOKEN_*", "*_KEY", "*_KEY_*", "*_SECRET", "*_SECRET_*", "*PASSWORD*", "*PASSWD*",
	"*_CREDENTIALS", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "SSH_AUTH_SOCK",
	"GPG_AGENT_INFO", "LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT",
};

static const char *const param_names[] = { "WORKSPACE", "HOME", "TMPDIR", "EXTRA", "NOPE" };

/* The value with trailing '/' dropped (except "/" itself); malloc'd. */
static char *stripped(const char *value)
{
	char *s = strdup(value);
	size_t n = s ? strlen(s) : 0;
	while (n > 1 && s[n - 1] == '/')
		s[--n] = '\0';
	return s;
}

/* Absolute, no control character, no empty, "." or ".." component. */
static int clean(const char *v)
{
	size_t n = strlen(v);
	if (v[0] != '/')
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return 0;
	if (n == 1)
		return 1;
	for (const char *c = v + 1; ; ) {
		size_t k = strcspn(c, "/");
		if (k == 0 || (k == 1 && c[0] == '.') || (k == 2 && c[0] == '.' && c[1] == '.'))
			return 0;
		if (!c[k])
			return 1;
		c += k + 1;
	}
}

/* The contract, written out independently of bind.c. */
static int acceptable(const char *v)
{
	return strlen(v) <= SBX_PARAM_VALUE_MAX && clean(v);
}

/* Is the value kept for a binding the stripped value or its real path? */
static int kept_right(const char *kept, const char *want)
{
	if (strcmp(kept, want) == 0)
		return 1;
	char *real = realpath(want, NULL);
	int ok = real && strcmp(kept, real) == 0;
	free(real);
	return ok;
}

static const char *bind_one_value(struct sbx_ctx *ctx, const char *name, const char *value)
{
	int i = -1;
	const struct sbx_view *v = sbx_ctx_view(ctx);
	for (size_t k = 0; k < v->nparams; k++)
		if (strcmp(sbx_view_str(v, v->params[k].name), name) == 0)
			i = (int)k;
	int rc = sbx_ctx_bind(ctx, name, value);
	if (i < 0)
		return rc == SBX_E_PARAM ? NULL : "binding an unknown parameter did not fail";
	char *want = stripped(value);
	const char *why = NULL;
	if (!want)
		return NULL;
	if (rc != SBX_OK && rc != SBX_E_PARAM)
		why = "sbx_ctx_bind returned an unexpected code";
	else if ((rc == SBX_OK) != acceptable(want))
		why = rc == SBX_OK ? "sbx_ctx_bind accepted a value the contract forbids"
		                   : "sbx_ctx_bind refused a value the contract allows";
	else if (rc == SBX_OK && !kept_right(ctx->values[i], want))
		why = "sbx_ctx_bind kept a value other than the one given (or its real path)";
	else if (rc != SBX_OK && sbx_ctx_error(ctx)[0] == '\0')
		why = "sbx_ctx_bind failed without a message";
	free(want);
	return why;
}

/* Is `path` `value` itself or beneath it, clean and bounded? */
static int path_ok(const char *path, const char *value)
{
	size_t n = strlen(value);
	if (path[0] != '/' || strlen(path) >= 4096)
		return 0;
	if (!(n == 1 || (strncmp(path, value, n) == 0 && (path[n] == '\0' || path[n] == '/'))))
		return 0;
	return clean(path);
}

/* The runtime's log writer must turn every bound path into a well-formed line. */
static int logs_ok(const struct rt_paths *paths)
{
	struct rt_json *j = malloc(sizeof *j);
	if (!j)
		return 1;
	rt_json_begin(j);
	rt_json_open(j, "paths", '[');
	for (size_t i = 0; i < paths->npaths; i++)
		rt_json_str(j, NULL, paths->path[i]);
	rt_json_close(j, ']');
	int ok = 1;
	if (!j->overflow) {
		j->buf[j->len++] = '}';
		ok = sbx_fuzz_json_valid(j->buf, j->len);
	}
	free(j);
	return ok;
}

static int matches_any(const char *const *globs, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (fnmatch(globs[i], name, 0) == 0)
			return 1;
	return 0;
}

/* Should "NAME=VALUE" from the caller pass?  (No exact keep here matches a drop.) */
static int env_passes(const char *entry)
{
	const char *eq = strchr(entry, '=');
	char name[256];
	if (!eq || eq == entry || (size_t)(eq - entry) >= sizeof name)
		return 0;   /* not a variable, or a name too long to judge: never passed */
	memcpy(name, entry, (size_t)(eq - entry));
	name[eq - entry] = '\0';
	if (!strcmp(name, "CI") || !strcmp(name, "TMPDIR"))
		return 0;   /* set by the policy and the runtime: theirs win */
	return matches_any(env_keeps, sizeof env_keeps / sizeof env_keeps[0], name) &&
	       !matches_any(env_drops, sizeof env_drops / sizeof env_drops[0], name);
}

/* Filters envp (NULL-terminated) and compares with the oracle. */
static const char *check_env(struct sbx_ctx *ctx, const char *const *envp, const char *tmpdir)
{
	struct rt_env e;
	if (rt_env_filter(ctx, envp, tmpdir, SBX_PLAT_LINUX, &e) != SBX_OK)
		return "filtering a small environment failed";
	size_t want = 0, got = 0, sets = 0, kept = 0;
	for (const char *const *p = envp; *p; p++)
		want += env_passes(*p);
	const char *why = NULL;
	for (char **p = e.envp; *p && !why; p++, got++) {
		int from_caller = 0;
		for (const char *const *q = envp; *q; q++)
			from_caller |= *p == *q;
		if (from_caller)
			kept += 1, why = env_passes(*p) ? NULL : "the filter passed a variable it must drop";
		else
			sets += !strcmp(*p, "CI=1") ||
			        (!strncmp(*p, "TMPDIR=", 7) && tmpdir && !strcmp(*p + 7, tmpdir));
	}
	if (!why && kept != want)
		why = "the filter dropped a variable it must pass";
	else if (!why && sets != got - kept)
		why = "the filter made up a variable";
	else if (!why && sets != (tmpdir ? 2u : 1u))
		why = "the filter left out CI=1 or TMPDIR";
	rt_env_free(&e);
	return why;
}

static const char *bind_all(struct sbx_ctx *ctx, const char *const *env)
{
	struct rt_paths paths;
	int rc = rt_bind_paths(ctx, "/fuzz-cwd", env, SBX_PLAT_LINUX, &paths);
	if (rc != SBX_OK)   /* a parameter left unbound: the environment still filters */
		return rc == SBX_E_PARAM ? check_env(ctx, env, NULL) : "binding the paths failed unexpectedly";
	const struct sbx_view *v = sbx_ctx_view(ctx);
	const char *why = NULL;
	for (size_t i = 0; i < paths.npaths && !why; i++) {
		const char *value = v->paths[i].param != SBX_NONE ? ctx->values[v->paths[i].param] : "/";
		if (!paths.path[i] || !path_ok(paths.path[i], value))
			why = "a bound path is not clean or not beneath its parameter's value";
	}
#ifdef SBX_FUZZ_LOG_UTF8
	if (!why && !logs_ok(&paths))
		why = "a bound path makes a log line that is not well-formed JSON";
#else
	(void)logs_ok;
#endif
	if (!why)
		why = check_env(ctx, env, paths.tmpdir);
	rt_paths_free(&paths);
	return why;
}

const char *sbx_fuzz_bind(const uint8_t *data, size_t size)
{
	size_t blen = 0;
	uint8_t *blob = sbx_fuzz_linux_blob(fuzz_policy, &blen);
	struct sbx_ctx *ctx = sbx_ctx_create();
	char *text = malloc(size + 1);
	/* HOME and TMPDIR first: the defaults come from the first match. */
	const char *env[FUZZ_MAX_SEGMENTS + 3] = { "HOME=/home/fuzz", "TMPDIR=/tmp" };
	size_t nenv = 2;
	const char *why = NULL;
	if (!blob || !ctx || !text || sbx_ctx_use_blob(ctx, blob, blen) != SBX_OK)
		why = blob && ctx && text ? "the fuzz policy does not load" : NULL;
	else {
		memcpy(text, data, size);
		text[size] = '\0';
		const char *seg = text, *end = text + size;
		for (int n = 0; n < FUZZ_MAX_SEGMENTS && seg < end && !why; n++) {
			if (seg[0] == '\0') {   /* an empty segment names nothing */
				seg++;
				continue;
			}
			const char *name = param_names[(unsigned char)seg[0] % 5];
			why = bind_one_value(ctx, name, seg + 1);
			env[nenv++] = seg;
			seg += strlen(seg) + 1;
		}
		env[nenv] = NULL;
		if (!why)
			why = bind_all(ctx, env);
	}
	free(text);
	sbx_ctx_destroy(&ctx);
	free(blob);
	return why;
}
