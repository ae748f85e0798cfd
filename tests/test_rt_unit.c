/*
 * The runtime's platform-neutral parts, without a sandbox: value checks,
 * binding by concatenation and defaults, environment globs and filtering,
 * the context's life cycle, and two threads spawning at once.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../runtime/rt.h"
#include "escape/harness.c"

static struct sbx_ctx *load(const char *policy)
{
	uint8_t *blob = NULL;
	size_t len = 0;
	char *diag = NULL;
	cr_assert_eq(t_compile(policy, NULL, SBX_PLAT_LINUX, &blob, &len, &diag), 0, "%s", diag);
	free(diag);
	struct sbx_ctx *ctx = sbx_ctx_create();
	/* The context borrows the blob: keep it in a buffer that lives as long. */
	static _Thread_local uint8_t keep[1 << 16] __attribute__((aligned(8)));
	cr_assert(len <= sizeof keep);
	memcpy(keep, blob, len);
	free(blob);
	cr_assert_eq(sbx_ctx_use_blob(ctx, keep, len), SBX_OK, "%s", sbx_ctx_error(ctx));
	return ctx;
}

#define P_BIND "sbxpol 1;\npolicy t { param WORKSPACE, HOME, TMPDIR, CACHE; readonly \"/\"; " \
	"writable \"${WORKSPACE}\", \"${CACHE}/x\", \"${TMPDIR}\"; readonly \"${WORKSPACE}/.git\"; denied \"${HOME}/.ssh\"; }\n"

Test(rt_unit, value_checks)
{
	cr_expect_null(rt_check_value("/a/b"));
	cr_expect_null(rt_check_value("/"));
	cr_expect_null(rt_check_value("/a/.b/c..d/..."));
	const char *bad[] = { "a/b", "", "/a/./b", "/a/../b", "/..", "/a//b", "/a/\nb", "/a\x7f", "/a/." };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		cr_expect_not_null(rt_check_value(bad[i]), "'%s' accepted", bad[i]);
	char *longv = malloc(SBX_PARAM_VALUE_MAX + 2);
	longv[0] = '/';
	memset(longv + 1, 'a', SBX_PARAM_VALUE_MAX);
	longv[SBX_PARAM_VALUE_MAX + 1] = 0;
	cr_expect_not_null(rt_check_value(longv));
	free(longv);
}

Test(rt_unit, within)
{
	cr_expect(rt_path_within("/a", "/a"));
	cr_expect(rt_path_within("/a", "/a/b"));
	cr_expect(!rt_path_within("/a", "/ab"));
	cr_expect(!rt_path_within("/a/b", "/a"));
	cr_expect(rt_path_within("/", "/x"));
}

static const char *path_of(const struct rt_paths *p, const struct sbx_view *v, const char *suffix_end)
{
	for (size_t i = 0; i < p->npaths; i++)
		if (p->path[i] && strlen(p->path[i]) >= strlen(suffix_end) &&
		    strcmp(p->path[i] + strlen(p->path[i]) - strlen(suffix_end), suffix_end) == 0)
			return p->path[i];
	(void)v;
	return NULL;
}

Test(rt_unit, binding_concatenates_and_defaults)
{
	struct sbx_ctx *ctx = load(P_BIND);
	cr_expect_eq(sbx_ctx_bind(ctx, "CACHE", "/"), SBX_OK);
	const char *env[] = { "HOME=/home/someone/", NULL };
	struct rt_paths p;
	cr_assert_eq(rt_bind_paths(ctx, "/work/space", env, SBX_PLAT_LINUX, &p), SBX_OK, "%s",
	             sbx_ctx_error(ctx));
	cr_expect_str_eq(path_of(&p, &ctx->view, "/x"), "/x", "\"/\" + \"/x\" is \"/x\"");
	cr_expect_str_eq(path_of(&p, &ctx->view, "/.git"), "/work/space/.git");
	cr_expect_str_eq(path_of(&p, &ctx->view, "/.ssh"), "/home/someone/.ssh", "trailing / dropped");
	cr_expect_str_eq(p.tmpdir, "/tmp", "TMPDIR defaults to /tmp when $TMPDIR is unset");
	rt_paths_free(&p);
	sbx_ctx_destroy(&ctx);
}

Test(rt_unit, missing_parameters_named)
{
	struct sbx_ctx *ctx = load(P_BIND);
	const char *env[] = { "HOME=/h", NULL };
	struct rt_paths p;
	cr_expect_eq(rt_bind_paths(ctx, "/w", env, SBX_PLAT_LINUX, &p), SBX_E_PARAM);
	cr_expect(strstr(sbx_ctx_error(ctx), "CACHE") != NULL, "%s", sbx_ctx_error(ctx));
	sbx_ctx_destroy(&ctx);
	ctx = load(P_BIND);
	sbx_ctx_bind(ctx, "CACHE", "/c");
	const char *nohome[] = { "X=1", NULL };
	cr_expect_eq(rt_bind_paths(ctx, "/w", nohome, SBX_PLAT_LINUX, &p), SBX_E_PARAM);
	cr_expect(strstr(sbx_ctx_error(ctx), "HOME") != NULL, "%s", sbx_ctx_error(ctx));
	const char *relhome[] = { "HOME=relative", NULL };
	cr_expect_eq(rt_bind_paths(ctx, "/w", relhome, SBX_PLAT_LINUX, &p), SBX_E_PARAM);
	sbx_ctx_destroy(&ctx);
}

Test(rt_unit, globs)
{
	cr_expect(rt_glob_match("*", ""));
	cr_expect(rt_glob_match("*_TOKEN", "GH_TOKEN"));
	cr_expect(!rt_glob_match("*_TOKEN", "GH_TOKENS"));
	cr_expect(rt_glob_match("*_TOKEN_*", "A_TOKEN_B"));
	cr_expect(rt_glob_match("*PASSWORD*", "PASSWORD"));
	cr_expect(rt_glob_match("A?C", "ABC"));
	cr_expect(!rt_glob_match("A?C", "AC"));
	cr_expect(rt_glob_match("a*b*c", "aXbYbZc"));
	cr_expect(!rt_glob_match("a*b*c", "aXbYbZ"));
	cr_expect(!rt_glob_match("PATH", "PATHX"));
}

static int has(char **envp, const char *entry)
{
	for (; *envp; envp++)
		if (strcmp(*envp, entry) == 0)
			return 1;
	return 0;
}

Test(rt_unit, environment_rules)
{
	struct sbx_ctx *ctx = load("sbxpol 1;\npolicy t { readonly \"/\"; env drop \"DROP_*\"; "
	                           "env keep \"DROP_ME_NOT\"; env set TMPDIR = \"/policy-tmp\"; }\n");
	const char *in[] = { "A=1", "DROP_X=1", "DROP_ME_NOT=1", "LD_PRELOAD=x", "NO_EQUALS",
	                     "TMPDIR=/old", "X_TOKEN=t", NULL };
	struct rt_env e;
	cr_assert_eq(rt_env_filter(ctx, in, "/bound-tmp", SBX_PLAT_LINUX, &e), SBX_OK);
	cr_expect(!has(e.envp, "A=1"), "a keep list exists, A is not on it");
	cr_expect(has(e.envp, "DROP_ME_NOT=1"));
	cr_expect(!has(e.envp, "DROP_X=1"));
	cr_expect(!has(e.envp, "LD_PRELOAD=x"));
	cr_expect(!has(e.envp, "X_TOKEN=t"));
	cr_expect(!has(e.envp, "NO_EQUALS"));
	cr_expect(has(e.envp, "TMPDIR=/policy-tmp"), "the policy's own TMPDIR wins");
	cr_expect(!has(e.envp, "TMPDIR=/bound-tmp"));
	cr_expect(!has(e.envp, "TMPDIR=/old"));
	rt_env_free(&e);
	sbx_ctx_destroy(&ctx);
}

Test(rt_unit, context_life_cycle)
{
	struct sbx_ctx *ctx = sbx_ctx_create();
	static uint8_t buf[64] __attribute__((aligned(8)));
	cr_expect_eq(sbx_ctx_use_blob(ctx, buf + 1, 56), SBX_E_BLOB, "an unaligned buffer is refused");
	cr_expect_null(sbx_ctx_view(ctx));
	cr_expect_eq(sbx_ctx_use_blob(NULL, buf, 8), SBX_E_ARG);
	sbx_ctx_destroy(&ctx);
	sbx_ctx_destroy(&ctx);   /* twice is harmless */
	cr_expect_null(ctx);
	cr_expect_str_eq(sbx_ctx_error(NULL), "no context");
}

struct thread_arg {
	struct sb *s;
	int code;
	char out[64];
};

static void *spawn_thread(void *p)
{
	struct thread_arg *a = p;
	struct sb_result r;
	const char *argv[] = { "/bin/sh", "-c", "echo thread-$$", NULL };
	sb_run(a->s, STD_POLICY, argv, NULL, &r);
	a->code = r.spawn_rc == SBX_OK ? r.code : -1;
	snprintf(a->out, sizeof a->out, "%s", r.out);
	sb_result_free(&r);
	return NULL;
}

Test(rt_unit, two_threads_spawn_at_once)
{
	struct sb s;
	sb_setup(&s);
	struct thread_arg a[4];
	pthread_t t[4];
	for (int i = 0; i < 4; i++) {
		a[i] = (struct thread_arg){ &s, -1, "" };
		cr_assert_eq(pthread_create(&t[i], NULL, spawn_thread, &a[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		cr_expect_eq(a[i].code, 0);
		/* $$ is 2: the command is the second process of its own namespace. */
		cr_expect_str_eq(a[i].out, "thread-2\n");
	}
	sb_teardown(&s);
}

Test(rt_unit, defaults_follow_each_spawn)
{
	/* One context, two spawns in different directories: WORKSPACE follows. */
	struct sbx_ctx *ctx = load(P_BIND);
	sbx_ctx_bind(ctx, "CACHE", "/c");
	const char *env[] = { "HOME=/h", NULL };
	struct rt_paths p;
	cr_assert_eq(rt_bind_paths(ctx, "/first", env, SBX_PLAT_LINUX, &p), SBX_OK);
	cr_expect_str_eq(path_of(&p, &ctx->view, "/.git"), "/first/.git");
	rt_paths_free(&p);
	cr_assert_eq(rt_bind_paths(ctx, "/second", env, SBX_PLAT_LINUX, &p), SBX_OK);
	cr_expect_str_eq(path_of(&p, &ctx->view, "/.git"), "/second/.git");
	rt_paths_free(&p);
	/* An explicit binding stays. */
	sbx_ctx_bind(ctx, "WORKSPACE", "/explicit");
	cr_assert_eq(rt_bind_paths(ctx, "/third", env, SBX_PLAT_LINUX, &p), SBX_OK);
	cr_expect_str_eq(path_of(&p, &ctx->view, "/.git"), "/explicit/.git");
	rt_paths_free(&p);
	sbx_ctx_destroy(&ctx);
}

Test(rt_unit, exact_keep_beats_builtin_exact_drop)
{
	struct sbx_ctx *ctx = load("sbxpol 1;\npolicy t { readonly \"/\"; env keep \"*\", \"SSH_AUTH_SOCK\"; }\n");
	const char *in[] = { "SSH_AUTH_SOCK=/run/agent", "LD_PRELOAD=/x.so", NULL };
	struct rt_env e;
	cr_assert_eq(rt_env_filter(ctx, in, NULL, SBX_PLAT_LINUX, &e), SBX_OK);
	cr_expect(has(e.envp, "SSH_AUTH_SOCK=/run/agent"), "an exact keep lets it through on purpose");
	cr_expect(!has(e.envp, "LD_PRELOAD=/x.so"));
	rt_env_free(&e);
	sbx_ctx_destroy(&ctx);
}
