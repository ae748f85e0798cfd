/*
 * ctx.c - the runtime context: a blob from memory (borrowed) or from a file
 * (read by the platform's rt_read_blob), verified before anything reads it;
 * the accessors and the runtime's error strings.  Nothing here allocates
 * except sbx_ctx_create.
 */
#include "rt.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int rt_fail(struct sbx_ctx *ctx, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ctx->err, sizeof ctx->err, fmt, ap);
	va_end(ap);
	/* Messages quote caller-supplied values; a terminal must not act on them. */
	for (char *p = ctx->err; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return code;
}

struct sbx_ctx *sbx_ctx_create(void)
{
	struct sbx_ctx *ctx = calloc(1, sizeof *ctx);
	if (ctx)
		ctx->log_fd = -1;
	return ctx;
}

/* Forgets the blob (and frees it when it was ours). */
static void drop_blob(struct sbx_ctx *ctx)
{
	if (ctx->map)
		rt_free_blob(ctx->map, ctx->map_len);
	ctx->map = NULL;
	ctx->map_len = 0;
	ctx->loaded = 0;
	memset(&ctx->view, 0, sizeof ctx->view);
}

static void drop_values(struct sbx_ctx *ctx)
{
	for (size_t i = 0; i < RT_MAX_PARAMS; i++) {
		free(ctx->values[i]);
		ctx->values[i] = NULL;
		ctx->is_default[i] = 0;
	}
}

void sbx_ctx_destroy(struct sbx_ctx **ctx)
{
	if (!ctx || !*ctx)
		return;
	drop_blob(*ctx);
	drop_values(*ctx);
	free(*ctx);
	*ctx = NULL;
}

/* Verifies buf and, on success, makes it the context's blob. */
static int verify_into(struct sbx_ctx *ctx, const void *buf, size_t len)
{
	char where[256] = "";
	int rc = sbx_blob_verify(buf, len, &ctx->view, where, sizeof where);
	/* A policy's source given where its blob belongs is the likely mistake. */
	int text = rc != SBX_OK && len >= 4 && memcmp(buf, SBX_BLOB_MAGIC, 4) != 0 &&
	           !memchr(buf, 0, len < 64 ? len : 64);
	if (rc != SBX_OK)
		return rt_fail(ctx, SBX_E_BLOB, "the policy blob is not valid: %s%s%s%s%s",
		               sbx_strerror(rc), where[0] ? " (" : "", where, where[0] ? ")" : "",
		               text ? "; this looks like text, a policy's source? Compile it first: "
		               "sbxc compile P.sbxpol -o P.sbxblob" : "");
	if (ctx->view.nparams > RT_MAX_PARAMS)
		return rt_fail(ctx, SBX_E_BLOB, "too many parameters in the blob (limit is %d)",
		               RT_MAX_PARAMS);
	if (ctx->view.npaths > RT_MAX_PATHS)
		return rt_fail(ctx, SBX_E_BLOB, "too many paths in the blob (limit is %d)",
		               RT_MAX_PATHS);
	ctx->loaded = 1;
	return SBX_OK;
}

int sbx_ctx_use_blob(struct sbx_ctx *ctx, const void *buf, size_t len)
{
	if (!ctx || !buf)
		return SBX_E_ARG;
	drop_blob(ctx);
	drop_values(ctx);
	ctx->err[0] = 0;
	int rc = verify_into(ctx, buf, len);
	if (rc != SBX_OK)
		memset(&ctx->view, 0, sizeof ctx->view);
	return rc;
}

int sbx_ctx_open_blob(struct sbx_ctx *ctx, const char *path)
{
	if (!ctx || !path)
		return SBX_E_ARG;
	drop_blob(ctx);
	drop_values(ctx);
	ctx->err[0] = 0;
	void *map = NULL;
	size_t len = 0;
	int rc = rt_read_blob(ctx, path, &map, &len);
	if (rc != SBX_OK)
		return rc;
	ctx->map = map;
	ctx->map_len = len;
	rc = verify_into(ctx, map, len);
	if (rc != SBX_OK)
		drop_blob(ctx);
	return rc;
}

const struct sbx_view *sbx_ctx_view(const struct sbx_ctx *ctx)
{
	return ctx && ctx->loaded ? &ctx->view : NULL;
}

void sbx_ctx_set_log_fd(struct sbx_ctx *ctx, int fd)
{
	if (ctx)
		ctx->log_fd = fd;
}

const char *sbx_ctx_error(const struct sbx_ctx *ctx)
{
	return ctx ? ctx->err : "no context";
}

static const char *const rt_messages[SBX_E_RT_END - SBX_E_RT_FIRST] = {
	[SBX_E_NOMEM - SBX_E_RT_FIRST]       = "out of memory",
	[SBX_E_IO - SBX_E_RT_FIRST]          = "the policy blob could not be read",
	[SBX_E_BLOB - SBX_E_RT_FIRST]        = "the policy blob is not valid",
	[SBX_E_NOBLOB - SBX_E_RT_FIRST]      = "no policy blob is loaded",
	[SBX_E_PARAM - SBX_E_RT_FIRST]       = "a parameter is unknown, missing or not allowed",
	[SBX_E_ROOT - SBX_E_RT_FIRST]        = "a writable root does not exist",
	[SBX_E_UNSUPPORTED - SBX_E_RT_FIRST] = "the system lacks a mechanism the policy requires",
	[SBX_E_SETUP - SBX_E_RT_FIRST]       = "the sandbox could not be set up",
	[SBX_E_NOTFOUND - SBX_E_RT_FIRST]    = "command not found",
	[SBX_E_NOEXEC - SBX_E_RT_FIRST]      = "the command could not be executed",
	[SBX_E_ARG - SBX_E_RT_FIRST]         = "a bad argument",
};

const char *sbx_rt_strerror(int err)
{
	if (err >= SBX_E_RT_FIRST && err < SBX_E_RT_END && rt_messages[err - SBX_E_RT_FIRST])
		return rt_messages[err - SBX_E_RT_FIRST];
	return sbx_strerror(err);
}

int rt_spawn_begin(struct sbx_ctx *ctx, const struct sbx_spawn_opts *o, struct sbx_proc *proc)
{
	if (!ctx || !o || !proc)
		return SBX_E_ARG;
	memset(proc, 0, sizeof *proc);
	proc->pid = proc->pidfd = proc->status_fd = proc->forward_fd = proc->log_fd = -1;
	proc->cgroup_fd = proc->cgroup_base_fd = -1;
	ctx->err[0] = 0;
	if (!ctx->loaded)
		return rt_fail(ctx, SBX_E_NOBLOB, "no policy blob is loaded");
	if (!o->argv || !o->argv[0] || !o->argv[0][0])
		return rt_fail(ctx, SBX_E_ARG, "no command to run");
	return SBX_OK;
}
