/*
 * win_load.c - the runtime context on Windows: load.c's API (a blob
 * borrowed from memory, or read from a file, verified before anything
 * reads it), with the file read into an 8-byte aligned heap buffer by
 * ReadFile instead of mmap.  Kept apart from load.c so that the Linux
 * loader can use whatever POSIX calls suit it.
 */
#include "rt.h"

#include <windows.h>

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

static void drop_blob(struct sbx_ctx *ctx)
{
	_aligned_free(ctx->map);
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

static int verify_into(struct sbx_ctx *ctx, const void *buf, size_t len)
{
	char where[256] = "";
	int rc = sbx_blob_verify(buf, len, &ctx->view, where, sizeof where);
	if (rc != SBX_OK)
		return rt_fail(ctx, SBX_E_BLOB, "the policy blob is not valid: %s%s%s",
		               sbx_strerror(rc), where[0] ? " (" : "", where[0] ? where : "");
	if (ctx->view.nparams > RT_MAX_PARAMS)
		return rt_fail(ctx, SBX_E_BLOB, "too many parameters in the blob (limit is %d)",
		               RT_MAX_PARAMS);
	if (ctx->view.npaths > RT_MAX_PATHS)
		return rt_fail(ctx, SBX_E_BLOB, "too many paths in the blob (limit is %d)", RT_MAX_PATHS);
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

/* Reads the whole file (at most SBX_BLOB_MAX_SIZE bytes) into an aligned buffer. */
static int read_file(struct sbx_ctx *ctx, HANDLE f, const char *path, void **buf, size_t *len)
{
	LARGE_INTEGER size;
	if (!GetFileSizeEx(f, &size))
		return rt_fail(ctx, SBX_E_IO, "cannot read the size of %s (Windows error %lu)", path,
		               GetLastError());
	if (size.QuadPart <= 0 || (uint64_t)size.QuadPart > SBX_BLOB_MAX_SIZE)
		return rt_fail(ctx, SBX_E_BLOB, "the policy blob %s has %lld bytes (expected 1 to %u)", path,
		               (long long)size.QuadPart, (unsigned)SBX_BLOB_MAX_SIZE);
	*len = (size_t)size.QuadPart;
	*buf = _aligned_malloc(*len, SBX_BLOB_ALIGN);
	if (!*buf)
		return rt_fail(ctx, SBX_E_NOMEM, "out of memory reading %s", path);
	DWORD got = 0;
	if (!ReadFile(f, *buf, (DWORD)*len, &got, NULL) || got != *len) {
		_aligned_free(*buf);
		*buf = NULL;
		return rt_fail(ctx, SBX_E_IO, "cannot read %s (Windows error %lu)", path, GetLastError());
	}
	return SBX_OK;
}

int sbx_ctx_open_blob(struct sbx_ctx *ctx, const char *path)
{
	if (!ctx || !path)
		return SBX_E_ARG;
	drop_blob(ctx);
	drop_values(ctx);
	ctx->err[0] = 0;
	HANDLE f = CreateFileA(path, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING,
	                       FILE_ATTRIBUTE_NORMAL, NULL);
	if (f == INVALID_HANDLE_VALUE)
		return rt_fail(ctx, SBX_E_IO, "cannot open the policy blob %s (Windows error %lu)", path,
		               GetLastError());
	void *buf = NULL;
	size_t len = 0;
	int rc = GetFileType(f) == FILE_TYPE_DISK ? read_file(ctx, f, path, &buf, &len)
	         : rt_fail(ctx, SBX_E_IO, "the policy blob %s is not a regular file", path);
	CloseHandle(f);
	if (rc != SBX_OK)
		return rc;
	ctx->map = buf;
	ctx->map_len = len;
	rc = verify_into(ctx, buf, len);
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
