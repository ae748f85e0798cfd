/*
 * linux_seccomp.c - installs the blob's classic BPF program.  The verifier
 * has already checked that it is a valid, terminating filter; struct
 * sbx_bpf_insn has the layout of struct sock_filter.
 */
#include "linux.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <unistd.h>

_Static_assert(sizeof(struct sbx_bpf_insn) == sizeof(struct sock_filter), "BPF layout");
_Static_assert(offsetof(struct sbx_bpf_insn, k) == offsetof(struct sock_filter, k), "BPF layout");

int lx_setup_seccomp(const struct lx_plan *P)
{
	const struct sbx_view *v = P->s->v;
	if (!P->seccomp)
		return 0;   /* none, or planned as degraded (best effort) */
	struct sock_fprog prog = {
		.len = (unsigned short)v->nseccomp,
		.filter = (struct sock_filter *)(uintptr_t)v->seccomp,
	};
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0)
		return lx_fail(P, SBX_E_SETUP, "seccomp: cannot install the filter", NULL, errno);
	return 0;
}
