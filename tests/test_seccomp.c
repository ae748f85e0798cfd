/*
 * test_seccomp.c - the seccomp filter of LX_SECCOMP, run by a small classic
 * BPF interpreter on struct seccomp_data inputs (like kafel's tests), then
 * installed for real in a child process.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sched.h>
#include <spawn.h>
#include <unistd.h>

#include "seccomp_gen.h"

#define X86 SBX_AUDIT_ARCH_X86_64
#define ARM SBX_AUDIT_ARCH_AARCH64
#define ALLOW SBX_SECCOMP_RET_ALLOW
#define KILL SBX_SECCOMP_RET_KILL_PROCESS
#define ERR(e) (SBX_SECCOMP_RET_ERRNO | (e))

/* The layout of struct seccomp_data. */
struct sdata {
	int32_t nr;
	uint32_t arch;
	uint64_t ip;
	uint64_t args[6];
};

/* Runs prog on d; fails the test on a bad instruction or jump. */
static uint32_t run(const struct sbx_bpf_insn *prog, size_t n, const struct sdata *d)
{
	uint32_t a = 0;
	for (size_t pc = 0; pc < n; pc++) {
		const struct sbx_bpf_insn *f = &prog[pc];
		int taken = 0;
		switch (f->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			cr_assert_leq(f->k + 4, sizeof *d, "load out of seccomp_data");
			cr_assert_eq(f->k % 4, 0);
			memcpy(&a, (const uint8_t *)d + f->k, 4);
			continue;
		case BPF_RET | BPF_K:
			return f->k;
		case BPF_JMP | BPF_JA:
			pc += f->k;
			continue;
		case BPF_JMP | BPF_JEQ | BPF_K: taken = a == f->k; break;
		case BPF_JMP | BPF_JGE | BPF_K: taken = a >= f->k; break;
		case BPF_JMP | BPF_JGT | BPF_K: taken = a > f->k; break;
		case BPF_JMP | BPF_JSET | BPF_K: taken = (a & f->k) != 0; break;
		default:
			cr_assert_fail("unexpected opcode 0x%x at %zu", f->code, pc);
		}
		pc += taken ? f->jt : f->jf;
		cr_assert_lt(pc + 1, n, "jump past the end at %zu", pc);
	}
	cr_assert_fail("fell off the end of the program");
	return 0;
}

static uint32_t check_userns(int offline, int no_userns, uint32_t arch, uint32_t nr, uint64_t a0,
                             uint64_t a1)
{
	struct sbx_bpf_insn prog[SBX_SECCOMP_MAX_INSNS];
	size_t n = sbx_seccomp_gen(offline, no_userns, prog);
	cr_assert_gt(n, 0);
	cr_assert_leq(n, SBX_SECCOMP_MAX_INSNS);
	struct sdata d = { (int32_t)nr, arch, 0, { a0, a1, 0, 0, 0, 0 } };
	return run(prog, n, &d);
}

static uint32_t check(int offline, uint32_t arch, uint32_t nr, uint64_t a0, uint64_t a1)
{
	return check_userns(offline, 1, arch, nr, a0, a1);
}

/* syscall numbers per arch */
struct nrs { uint32_t arch, ioctl, socket, other_socket; };
static const struct nrs arches[] = {
	{ X86, 16, 41, 198 },   /* 198 on x86_64 is lchown */
	{ ARM, 29, 198, 41 },   /* 41 on aarch64 is pivot_root */
};

Test(seccomp, unknown_arch_is_killed)
{
	for (int off = 0; off < 2; off++) {
		cr_assert_eq(check(off, 0x40000003u /* i386 */, 0, 0, 0), KILL);
		cr_assert_eq(check(off, 0xC0000028u /* arm */, 0, 0, 0), KILL);
	}
}

Test(seccomp, x32_is_enosys)
{
	for (int off = 0; off < 2; off++) {
		cr_assert_eq(check(off, X86, 0x40000000u | 0, 0, 0), ERR(38));
		cr_assert_eq(check(off, X86, 0x40000000u | 41, 2, 0), ERR(38));
		cr_assert_eq(check(off, X86, 0, 0, 0), ALLOW);
		cr_assert_eq(check(off, ARM, 0x40000000u, 0, 0), ALLOW, "no x32 on aarch64");
	}
}

Test(seccomp, io_uring_is_enosys)
{
	for (int off = 0; off < 2; off++)
		for (size_t a = 0; a < 2; a++) {
			for (uint32_t nr = 425; nr <= 427; nr++)
				cr_assert_eq(check(off, arches[a].arch, nr, 0, 0), ERR(38));
			cr_assert_eq(check(off, arches[a].arch, 424, 0, 0), ALLOW);
			cr_assert_eq(check(off, arches[a].arch, 428, 0, 0), ALLOW);
		}
}

Test(seccomp, keyring_calls_are_enosys)
{
	/* add_key, request_key, keyctl: 248-250 on x86_64, 217-219 on aarch64. */
	static const uint32_t first[2] = { 248, 217 };
	for (int off = 0; off < 2; off++)
		for (size_t a = 0; a < 2; a++) {
			uint32_t arch = arches[a].arch;
			for (uint32_t nr = first[a]; nr < first[a] + 3; nr++)
				cr_assert_eq(check(off, arch, nr, 0, 0), ERR(38), "arch %zu nr %u", a, nr);
			cr_assert_eq(check(off, arch, first[a] - 1, 0, 0), ALLOW);
			cr_assert_eq(check(off, arch, first[a] + 3, 0, 0), ALLOW);
		}
}

Test(seccomp, terminal_injection_is_eperm)
{
	for (int off = 0; off < 2; off++)
		for (size_t a = 0; a < 2; a++) {
			const struct nrs *s = &arches[a];
			cr_assert_eq(check(off, s->arch, s->ioctl, 0, 0x5412), ERR(1));   /* TIOCSTI */
			cr_assert_eq(check(off, s->arch, s->ioctl, 0, 0x541C), ERR(1));   /* TIOCLINUX */
			cr_assert_eq(check(off, s->arch, s->ioctl, 0, 0xFFFFFFFF00005412ull), ERR(1),
			             "only the low 32 bits of the request count");
			cr_assert_eq(check(off, s->arch, s->ioctl, 0x5412, 0x5413), ALLOW); /* TIOCGWINSZ */
			cr_assert_eq(check(off, s->arch, s->socket == 41 ? 29 : 16, 0, 0x5412), ALLOW,
			             "the other arch's ioctl number is another syscall");
		}
}

Test(seccomp, offline_socket_domains)
{
	static const uint64_t ok[] = { 1, 2, 10, 16, 0x100000002ull };
	static const uint64_t bad[] = { 0, 17 /* AF_PACKET */, 40 /* AF_VSOCK */, 31, 38, 44, 0xFFFFFFFFull };
	for (size_t a = 0; a < 2; a++) {
		const struct nrs *s = &arches[a];
		for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
			cr_assert_eq(check(1, s->arch, s->socket, ok[i], 0), ALLOW, "domain %llu",
			             (unsigned long long)ok[i]);
		for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
			cr_assert_eq(check(1, s->arch, s->socket, bad[i], 0), ERR(97), "domain %llu",
			             (unsigned long long)bad[i]);
			cr_assert_eq(check(1, s->arch, s->other_socket, bad[i], 0), ALLOW);
		}
	}
}

Test(seccomp, online_sockets_are_free)
{
	for (size_t a = 0; a < 2; a++) {
		cr_assert_eq(check(0, arches[a].arch, arches[a].socket, 17, 0), ALLOW);
		cr_assert_eq(check(0, arches[a].arch, arches[a].socket, 40, 0), ALLOW);
	}
}

Test(seccomp, new_user_namespaces_refused_unless_allowed)
{
	/* clone and unshare: 56 and 272 on x86_64, 220 and 97 on aarch64; clone3 435 on both. */
	static const uint32_t clone_nr[2] = { 56, 220 }, unshare_nr[2] = { 272, 97 };
	const uint64_t newuser = CLONE_NEWUSER, thread = CLONE_VM | CLONE_FS | CLONE_FILES |
	                         CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM;
	for (int off = 0; off < 2; off++)
		for (size_t a = 0; a < 2; a++) {
			uint32_t arch = arches[a].arch;
			cr_assert_eq(check(off, arch, 435, 0, 0), ERR(38), "clone3: ENOSYS, libc falls back");
			cr_assert_eq(check(off, arch, clone_nr[a], newuser | SIGCHLD, 0), ERR(1));
			cr_assert_eq(check(off, arch, clone_nr[a], newuser | CLONE_NEWNET, 0), ERR(1));
			cr_assert_eq(check(off, arch, clone_nr[a], SIGCHLD, 0), ALLOW, "fork");
			cr_assert_eq(check(off, arch, clone_nr[a], thread, 0), ALLOW, "a thread");
			cr_assert_eq(check(off, arch, clone_nr[a], CLONE_VM | CLONE_VFORK | SIGCHLD, newuser),
			             ALLOW, "only the flags argument counts");
			cr_assert_eq(check(off, arch, unshare_nr[a], newuser, 0), ERR(1));
			cr_assert_eq(check(off, arch, unshare_nr[a], newuser | CLONE_NEWNS, 0), ERR(1));
			cr_assert_eq(check(off, arch, unshare_nr[a], CLONE_NEWNS, 0), ALLOW,
			             "needs CAP_SYS_ADMIN, which the command has not");
			cr_assert_eq(check(off, arch, unshare_nr[a], CLONE_FILES, 0), ALLOW);
			cr_assert_eq(check(off, arch, clone_nr[1 - a], newuser, 0), ALLOW,
			             "the other arch's clone number is another syscall");
			/* user-namespaces allow: all three are free */
			cr_assert_eq(check_userns(off, 0, arch, 435, 0, 0), ALLOW);
			cr_assert_eq(check_userns(off, 0, arch, clone_nr[a], newuser | SIGCHLD, 0), ALLOW);
			cr_assert_eq(check_userns(off, 0, arch, unshare_nr[a], newuser, 0), ALLOW);
		}
}

Test(seccomp, program_shape)
{
	struct sbx_bpf_insn on[SBX_SECCOMP_MAX_INSNS], off[SBX_SECCOMP_MAX_INSNS];
	size_t n_on = sbx_seccomp_gen(0, 1, on), n_off = sbx_seccomp_gen(1, 1, off);
	cr_assert_lt(n_on, n_off);
	cr_assert_eq(on[n_on - 1].code, BPF_RET | BPF_K);
	cr_assert_eq(off[0].code, BPF_LD | BPF_W | BPF_ABS);
	cr_assert_eq(off[0].k, 4, "the arch is checked first");
	cr_assert_eq(sizeof(struct sbx_bpf_insn), sizeof(struct sock_filter));
}

/* Child: install the offline filter, then probe; the exit status is a bitmask of failures. */
static int child_probe(void)
{
	struct sbx_bpf_insn prog[SBX_SECCOMP_MAX_INSNS];
	size_t n = sbx_seccomp_gen(1, 1, prog);
	struct sock_fprog fp = { (unsigned short)n, (struct sock_filter *)prog };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fp) != 0)
		return 100;
	int bad = 0, fd;
	errno = 0;
	if (socket(AF_PACKET, SOCK_RAW, 0) != -1 || errno != EAFNOSUPPORT)
		bad |= 1;
	if (socket(AF_VSOCK, SOCK_STREAM, 0) != -1)
		bad |= 2;
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0)
		bad |= 4;
	else
		close(fd);
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) < 0)
		bad |= 8;
	else
		close(fd);
	char c = 'x';
	errno = 0;
	if (ioctl(0, TIOCSTI, &c) != -1 || errno != EPERM)
		bad |= 16;
	errno = 0;
	if (syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -4 /* @u */, 0) != -1 || errno != ENOSYS)
		bad |= 32;
	errno = 0;
	if (unshare(CLONE_NEWUSER) != -1 || errno != EPERM)
		bad |= 64;
	/* libc starts processes with clone3 first: ENOSYS sends it to clone. */
	char *const argv[] = { (char *)"true", NULL };
	pid_t pid;
	int st;
	if (posix_spawn(&pid, "/bin/true", NULL, NULL, argv, NULL) != 0 ||
	    waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		bad |= 128;
	return bad;
}

Test(seccomp, enforced_in_a_child)
{
#if !defined(__x86_64__) && !defined(__aarch64__)
	cr_skip_test("the filter kills other architectures");
#endif
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0)
		_exit(child_probe());
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st), "child died (signal %d)", WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	if (WEXITSTATUS(st) == 100)
		cr_skip_test("seccomp filters are not available here");
	cr_assert_eq(WEXITSTATUS(st), 0, "failed probes: 0x%x (1 AF_PACKET, 2 AF_VSOCK, 4 AF_UNIX, "
	             "8 AF_INET, 16 TIOCSTI, 32 keyctl, 64 unshare(CLONE_NEWUSER), 128 posix_spawn)",
	             WEXITSTATUS(st));
}
