/*
 * load.c - the runtime context: a blob from memory (borrowed) or from a
 * file (mmap'd read-only), verified before anything reads it.  Nothing
 * here allocates except sbx_ctx_create.
 */
#include "rt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* Forgets the blob (and unmaps it when it was ours). */
static void drop_blob(struct sbx_ctx *ctx)
{
	if (ctx->map)
		munmap(ctx->map, ctx->map_len);
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
	if (rc != SBX_OK)
		return rt_fail(ctx, SBX_E_BLOB, "the policy blob is not valid: %s%s%s",
		               sbx_strerror(rc), where[0] ? " (" : "", where[0] ? where : "");
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

/*
 * Copies the file into a private anonymous mapping, then makes it
 * read-only.  A mapping of the file itself would follow writes made to the
 * file after the blob was verified, and fault (SIGBUS) if it were truncated.
 */
static int copy_file(struct sbx_ctx *ctx, int fd, const char *path, void **map, size_t len)
{
	void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return rt_fail(ctx, SBX_E_NOMEM, "cannot map %s: %s", path, strerror(errno));
	size_t got = 0;
	ssize_t n = 1;
	while (got < len && (n = pread(fd, (char *)m + got, len - got, (off_t)got)) != 0) {
		if (n < 0 && errno != EINTR)
			break;
		got += n > 0 ? (size_t)n : 0;
	}
	char more;
	if (n < 0 || got != len || pread(fd, &more, 1, (off_t)len) != 0) {
		int rc = rt_fail(ctx, SBX_E_IO, "cannot read %s: %s", path,
		                 n < 0 ? strerror(errno) : "it changed while being read");
		munmap(m, len);
		return rc;
	}
	mprotect(m, len, PROT_READ);
	*map = m;
	return SBX_OK;
}

/* Reads the whole file into a read-only mapping; a file larger than the format allows is refused. */
static int map_file(struct sbx_ctx *ctx, const char *path, void **map, size_t *len)
{
	/* O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused below). */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return rt_fail(ctx, SBX_E_IO, "cannot open the policy blob %s: %s", path, strerror(errno));
	struct stat st;
	int rc = SBX_OK;
	if (fstat(fd, &st) != 0)
		rc = rt_fail(ctx, SBX_E_IO, "cannot stat %s: %s", path, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		rc = rt_fail(ctx, SBX_E_IO, "the policy blob %s is not a regular file", path);
	else if (st.st_size == 0 || (uint64_t)st.st_size > SBX_BLOB_MAX_SIZE)
		rc = rt_fail(ctx, SBX_E_BLOB, "the policy blob %s has %lld bytes (expected 1 to %u)",
		             path, (long long)st.st_size, (unsigned)SBX_BLOB_MAX_SIZE);
	if (rc == SBX_OK) {
		*len = (size_t)st.st_size;
		rc = copy_file(ctx, fd, path, map, *len);
	}
	close(fd);
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
	int rc = map_file(ctx, path, &map, &len);
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
	[SBX_E_UNSUPPORTED - SBX_E_RT_FIRST] = "the kernel lacks a mechanism the policy requires",
	[SBX_E_SETUP - SBX_E_RT_FIRST]       = "the sandbox could not be set up",
	[SBX_E_NOTFOUND - SBX_E_RT_FIRST]    = "command not found",
	[SBX_E_NOEXEC - SBX_E_RT_FIRST]      = "the command could not be executed",
	[SBX_E_ARG - SBX_E_RT_FIRST]         = "a bad argument",
};

const char *sbx_rt_strerror(int err)
{
	if (err >= SBX_E_RT_FIRST && err < SBX_E_RT_END)
		return rt_messages[err - SBX_E_RT_FIRST];
	return sbx_strerror(err);
}
