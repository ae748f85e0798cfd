/*
 * linux_clone3.c - clone3 onto a stack of the caller's, running fn(arg) in
 * the child: what glibc's clone() does, with clone3's arguments, so that
 * a CLONE_VM child can be born in the sandbox's cgroup (CLONE_INTO_CGROUP).
 * Moving it there afterwards (a write to cgroup.procs) takes the kernel's
 * cgroup_threadgroup_rwsem for writing, which waits for an RCU grace
 * period: 10 ms per spawn on the development VM.
 *
 * glibc 2.36 exports no clone3; this follows its sysdeps clone3.S.  Only
 * x86_64 here, the one architecture it was run on; elsewhere lx_clone3
 * fails with ENOSYS and the caller moves the child instead.
 */
#include "linux.h"

#include <errno.h>

#if defined(__x86_64__)
/* Returns the child's pid or -errno; the child calls fn(arg), then exit(2)s with its value. */
long lx_clone3_raw(struct lx_clone_args *args, size_t size, int (*fn)(void *), void *arg);
__asm__(".text\n"
        ".globl lx_clone3_raw\n"
        ".hidden lx_clone3_raw\n"
        ".type lx_clone3_raw, @function\n"
        "lx_clone3_raw:\n"
        "	endbr64\n"
        "	mov %rcx, %r8\n"      /* arg: the syscall clobbers rcx, not r8 or rdx (fn) */
        "	mov $435, %eax\n"     /* SYS_clone3 */
        "	syscall\n"
        "	test %rax, %rax\n"
        "	jz 1f\n"
        "	ret\n"                /* the parent: a pid, or -errno */
        "1:	xor %ebp, %ebp\n"     /* the child, on its own stack: the outermost frame */
        "	and $-16, %rsp\n"
        "	mov %r8, %rdi\n"
        "	call *%rdx\n"
        "	mov %eax, %edi\n"
        "	mov $60, %eax\n"      /* SYS_exit */
        "	syscall\n"
        "	hlt\n"
        ".size lx_clone3_raw, .-lx_clone3_raw\n"
        ".previous\n");

pid_t lx_clone3(struct lx_clone_args *args, int (*fn)(void *), void *arg)
{
	long r = lx_clone3_raw(args, sizeof *args, fn, arg);
	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	return (pid_t)r;
}
#else
pid_t lx_clone3(struct lx_clone_args *args, int (*fn)(void *), void *arg)
{
	(void)args;
	(void)fn;
	(void)arg;
	errno = ENOSYS;
	return -1;
}
#endif
