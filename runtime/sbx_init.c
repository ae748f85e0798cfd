/*
 * sbx_init.c - sbx-init, the sandbox's init when the launcher is big
 * (linux_exec.c).  libsbxrt clones it into the new namespaces and execs
 * it with the report pipe at fd 3 and the spawn's payload (a memfd) at
 * fd 4.  It checks the payload and verifies the blob again
 * (linux_payload.c), then runs the same lx_child_main as an init copied
 * from the launcher.  What it cannot use it refuses with LX_R_HELPER, and
 * the launcher then starts init as a copy.
 *
 * Linked statically: nothing to load, nothing the environment can change.
 */
#include "linux.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The whole payload in a malloc'd (so 8-byte aligned) buffer; NULL and *why on failure. */
static uint8_t *read_payload(size_t *len, const char **why)
{
	struct stat st;
	if (fstat(LX_INIT_PAYLOAD_FD, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    (uint64_t)st.st_size > LX_PAYLOAD_MAX) {
		*why = "no payload of a usable size at fd 4";
		return NULL;
	}
	size_t n = (size_t)st.st_size, off = 0;
	uint8_t *buf = malloc(n);
	while (buf && off < n) {
		ssize_t r = pread(LX_INIT_PAYLOAD_FD, buf + off, n - off, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			free(buf);
			buf = NULL;
		} else
			off += (size_t)r;
	}
	*why = buf ? NULL : "cannot read the payload";
	*len = n;
	return buf;
}

int main(int argc, char **argv)
{
	struct stat st;
	(void)argv;
	if (argc != 1 || fstat(LX_INIT_REPORT_FD, &st) != 0 || !S_ISFIFO(st.st_mode)) {
		fprintf(stderr, "sbx-init: this is the sandbox's init, started by libsbxrt "
		        "(sbx_spawn); it is not meant to be run by hand\n");
		return 2;
	}
	struct lx_init I;
	const char *why = NULL;
	size_t len = 0;
	uint8_t *buf = read_payload(&len, &why);
	close(LX_INIT_PAYLOAD_FD);
	if (buf && lx_payload_parse(buf, len, &I, &why) == 0)
		lx_child_main(&I.P);   /* never returns; buf stays with it */
	struct lx_plan P;
	memset(&P, 0, sizeof P);
	P.report_fd = LX_INIT_REPORT_FD;
	lx_report(&P, LX_R_HELPER, 0, 0, why);
	if (buf)
		lx_payload_release(&I);
	free(buf);
	return 125;
}
