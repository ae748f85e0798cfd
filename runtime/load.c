/*
 * load.c - reading a blob file on POSIX systems, for ctx.c: the bytes are
 * copied into a private read-only mapping, so later writes to the file, or
 * its truncation, cannot reach the verified blob.
 */
#include "rt.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

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
int rt_read_blob(struct sbx_ctx *ctx, const char *path, void **map, size_t *len)
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

void rt_free_blob(void *buf, size_t len)
{
	munmap(buf, len);
}
