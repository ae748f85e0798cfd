/*
 * linux_limits.c - job limits in init: the blob's rlimits (RLIMIT_NPROC,
 * RLIMIT_DATA, RLIMIT_CPU; values precomputed by sbxc, fitted by the
 * launcher to what the sandbox's cgroup bounds: spawn_linux.c) and,
 * on kernels where pid_max belongs to the PID namespace (6.14+), a pid_max
 * for the sandbox's namespace that bounds its process count even for root,
 * whom the kernel exempts from RLIMIT_NPROC.
 */
#include "linux.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

int lx_kernel_at_least(int major, int minor)
{
	struct utsname u;
	int ma = 0, mi = 0;
	if (uname(&u) != 0 || sscanf(u.release, "%d.%d", &ma, &mi) != 2)
		return 0;
	return ma > major || (ma == major && mi >= minor);
}

/* Lowering a limit never needs privilege; never ask for more than the current hard limit. */
static int set_one(const struct lx_plan *P, const struct lx_rlim *l)
{
	struct rlimit cur, want;
	if (getrlimit(l->resource, &cur) != 0)
		return lx_fail(P, SBX_E_SETUP, "limits: cannot read an rlimit", NULL, errno);
	want.rlim_max = l->hard < cur.rlim_max ? l->hard : cur.rlim_max;
	want.rlim_cur = l->soft < want.rlim_max ? l->soft : want.rlim_max;
	if (setrlimit(l->resource, &want) != 0)
		return lx_fail(P, SBX_E_SETUP, "limits: cannot set an rlimit", NULL, errno);
	return 0;
}

/* Writes the decimal number n to /proc/sys/kernel/pid_max of the new /proc. */
static int set_pid_max(const struct lx_plan *P)
{
	char num[24];
	int len = 0;
	uint64_t n = P->pid_max;
	char rev[24];
	do {
		rev[len++] = (char)('0' + n % 10);
		n /= 10;
	} while (n && len < (int)sizeof rev);
	for (int i = 0; i < len; i++)
		num[i] = rev[len - 1 - i];
	int fd = open("/proc/sys/kernel/pid_max", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return lx_fail(P, SBX_E_SETUP, "limits: cannot open", "/proc/sys/kernel/pid_max", errno);
	int rc = write(fd, num, (size_t)len) == len ? 0 : -1;
	int err = errno;
	close(fd);
	if (rc != 0)
		return lx_fail(P, SBX_E_SETUP, "limits: cannot set the PID namespace's pid_max", NULL, err);
	return 0;
}

int lx_setup_limits(const struct lx_plan *P)
{
	for (size_t i = 0; i < P->nrlim; i++)
		if (P->rlim[i].resource != LX_RLIMIT_NONE && set_one(P, &P->rlim[i]) != 0)
			return -1;
	if (P->pid_max && set_pid_max(P) != 0)
		return -1;
	return 0;
}
