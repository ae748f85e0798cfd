/*
 * win_load.c - reading a blob file on Windows, for ctx.c: the whole file
 * into an 8-byte aligned heap buffer with ReadFile (devices, pipes and
 * directories are refused).
 */
#include "rt.h"

#include <windows.h>

#include <malloc.h>
#include <stdint.h>

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

int rt_read_blob(struct sbx_ctx *ctx, const char *path, void **map, size_t *len)
{
	HANDLE f = CreateFileA(path, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING,
	                       FILE_ATTRIBUTE_NORMAL, NULL);
	if (f == INVALID_HANDLE_VALUE)
		return rt_fail(ctx, SBX_E_IO, "cannot open the policy blob %s (Windows error %lu)", path,
		               GetLastError());
	int rc = GetFileType(f) == FILE_TYPE_DISK ? read_file(ctx, f, path, map, len)
	         : rt_fail(ctx, SBX_E_IO, "the policy blob %s is not a regular file", path);
	CloseHandle(f);
	return rc;
}

void rt_free_blob(void *buf, size_t len)
{
	(void)len;
	_aligned_free(buf);
}
