/*
 * spawn.c - the platform-neutral half of sbx_spawn: bind the parameters,
 * check that the writable roots exist, filter the environment, then hand
 * a prepared struct rt_spawn to the backend.  Also the exit log line.
 */
#include "backend.h"

#include <errno.h>
#include <stdio.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * A writable root that does not exist would silently shrink the sandbox's
 * usefulness (and the mount/Landlock steps would skip it): refuse.  So is
 * a parameter that makes the whole file system writable: sbxrun run from
 * "/" binds WORKSPACE there by default.  A policy that says writable "/"
 * itself means it (sbxc warned when it compiled it).  (Windows binds its
 * own paths: win_plan.c refuses a drive's root the same way.)
 */
static int check_roots(struct sbx_ctx *ctx, const struct rt_paths *paths)
{
	const struct sbx_view *v = &ctx->view;
	for (size_t i = 0; i < v->nrules; i++) {
		if (v->rules[i].kind != SBX_FS_WRITABLE)
			continue;
		const struct sbx_path *bp = &v->paths[v->rules[i].path];
		const char *p = paths->path[v->rules[i].path];
		struct stat st;
		if (!p)
			continue;
		if (bp->param != SBX_NONE && strcmp(p, "/") == 0) {
			const char *name = sbx_view_str(v, v->params[bp->param].name);
			return rt_fail(ctx, SBX_E_ROOT, "the writable root ${%s} is bound to %s%s: the whole "
			               "file system would be writable; pass --var %s=DIR (a project "
			               "directory)%s", name, p, ctx->is_default[bp->param] ?
			               " (the working directory, by default)" : "", name,
			               ctx->is_default[bp->param] ? " or run from one" : "");
		}
		if (stat(p, &st) != 0)
			return rt_fail(ctx, SBX_E_ROOT, "the writable root %s does not exist (%s)", p,
			               strerror(errno));
	}
	return SBX_OK;
}

/* The command's working directory, absolute and resolved; malloc'd. */
static char *resolve_cwd(struct sbx_ctx *ctx, const char *cwd, int *rc)
{
	char *real = cwd ? realpath(cwd, NULL) : getcwd(NULL, 0);
	if (!real)
		*rc = rt_fail(ctx, SBX_E_ARG, "cannot use the working directory %s: %s",
		              cwd ? cwd : "(current)", strerror(errno));
	return real;
}

static int prepare(struct sbx_ctx *ctx, const struct sbx_spawn_opts *o, struct rt_spawn *s,
                   struct rt_paths *paths, struct rt_env *env)
{
	int rc = SBX_OK;
	char *cwd = resolve_cwd(ctx, o->cwd, &rc);
	if (!cwd)
		return rc;
	rc = rt_bind_paths(ctx, cwd, o->envp, rt_backend_platform(), paths);
	if (rc == SBX_OK)
		rc = check_roots(ctx, paths);
	if (rc == SBX_OK)
		rc = rt_env_filter(ctx, o->envp, paths->tmpdir, rt_backend_platform(), env);
	if (rc == SBX_OK) {
		*s = (struct rt_spawn){ ctx, &ctx->view, paths, env, o->argv, cwd, o->redirect,
		                        { o->stdio[0], o->stdio[1], o->stdio[2] }, ctx->log_fd };
		return SBX_OK;
	}
	free(cwd);
	return rc;
}

int sbx_spawn(struct sbx_ctx *ctx, const struct sbx_spawn_opts *o, struct sbx_proc *proc)
{
	int rc = rt_spawn_begin(ctx, o, proc);
	if (rc != SBX_OK)
		return rc;
	struct rt_paths paths;
	struct rt_env env;
	struct rt_spawn s;
	memset(&paths, 0, sizeof paths);
	memset(&env, 0, sizeof env);
	rc = prepare(ctx, o, &s, &paths, &env);
	if (rc == SBX_OK) {
		rc = rt_backend_spawn(&s, proc);
		free((char *)s.cwd);
	}
	if (rc != SBX_OK)
		rt_log_error(ctx, rc, NULL);   /* a spawn that ran nothing still leaves a trace */
	rt_env_free(&env);
	rt_paths_free(&paths);
	return rc;
}

static int exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

int sbx_proc_wait(struct sbx_proc *proc, struct sbx_exit *ex)
{
	if (!proc || !ex || proc->pid <= 0 || proc->done)
		return SBX_E_ARG;
	memset(ex, 0, sizeof *ex);
	int rc = rt_backend_wait(proc, ex);
	if (rc == SBX_OK)
		rt_log_exit(proc, ex, exists);
	free(proc->watch);
	proc->watch = NULL;
	proc->watch_len = 0;
	return rc;
}

int sbx_proc_kill(const struct sbx_proc *proc, int sig)
{
	if (!proc || proc->pid <= 0 || proc->done)
		return SBX_E_ARG;
	return rt_backend_kill(proc, sig);
}
