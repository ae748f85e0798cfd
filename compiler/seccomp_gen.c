/*
 * seccomp_gen.c - the seccomp filter of LX_SECCOMP, in classic BPF.
 *
 *   load arch
 *     x86_64  -> x32 syscall numbers: ENOSYS; then the common checks
 *     aarch64 -> the common checks
 *     other   -> kill the process (its numbers mean other syscalls)
 *   common:
 *     io_uring_setup/enter/register -> ENOSYS: io_uring performs socket and
 *         file operations that this filter would never see
 *     add_key, request_key, keyctl -> ENOSYS: keyrings are not namespaced
 *         (as in Docker's default profile): root's user keyring would stay
 *         reachable; programs treat ENOSYS as "no keyring support"
 *     ioctl(fd, TIOCSTI or TIOCLINUX) -> EPERM: no typing into the terminal
 *     unless the policy allows user namespaces: unshare(flags) and
 *         clone(flags) with CLONE_NEWUSER -> EPERM, clone3 -> ENOSYS (its
 *         flags are in memory a filter cannot read; libc falls back to
 *         clone).  A new user namespace would give the command every
 *         capability over namespaces of its own: netfilter, mounts and
 *         the rest of the kernel's attack surface kept for root (what
 *         Docker's default profile and Flatpak refuse too)
 *     offline only: socket(domain) with a domain other than AF_UNIX,
 *         AF_INET, AF_INET6, AF_NETLINK -> EAFNOSUPPORT (AF_PACKET, AF_VSOCK
 *         which crosses network namespaces, ...).  AF_INET stays usable: the
 *         private network namespace keeps a loopback server working.
 *     everything else -> allow (Landlock and mounts do the file work)
 *
 * A tiny assembler with forward labels keeps the program readable.
 */
#include "seccomp_gen.h"

#include <string.h>

/* Classic BPF opcodes (<linux/filter.h>, <linux/bpf_common.h>). */
#define OP_LD_W_ABS  0x20u   /* BPF_LD | BPF_W | BPF_ABS */
#define OP_JEQ_K     0x15u   /* BPF_JMP | BPF_JEQ | BPF_K */
#define OP_JSET_K    0x45u   /* BPF_JMP | BPF_JSET | BPF_K */
#define OP_RET_K     0x06u   /* BPF_RET | BPF_K */

/* errno values (asm-generic/errno*.h; the same on x86_64 and aarch64) */
#define E_PERM        1u     /* EPERM */
#define E_NOSYS       38u    /* ENOSYS */
#define E_AFNOSUPPORT 97u    /* EAFNOSUPPORT */

/* Syscall numbers (arch/x86/entry/syscalls/syscall_64.tbl, asm-generic/unistd.h). */
#define NR_IO_URING_SETUP    425u   /* both arches */
#define NR_IO_URING_ENTER    426u
#define NR_IO_URING_REGISTER 427u
#define NR_X86_64_IOCTL      16u
#define NR_X86_64_SOCKET     41u
#define NR_X86_64_ADD_KEY    248u   /* then request_key, keyctl */
#define NR_AARCH64_IOCTL     29u
#define NR_AARCH64_SOCKET    198u
#define NR_AARCH64_ADD_KEY   217u   /* then request_key, keyctl */
#define NR_CLONE3            435u   /* both arches */
#define NR_X86_64_CLONE      56u
#define NR_X86_64_UNSHARE    272u
#define NR_AARCH64_CLONE     220u
#define NR_AARCH64_UNSHARE   97u

#define CLONE_NEWUSER_FLAG   0x10000000u   /* CLONE_NEWUSER, <linux/sched.h> */

#define TIOCSTI_NR   0x5412u  /* TIOCSTI */
#define TIOCLINUX_NR 0x541Cu  /* TIOCLINUX */

/* Address families (<sys/socket.h>) that stay allowed offline. */
#define FAM_UNIX    1u   /* AF_UNIX */
#define FAM_INET    2u   /* AF_INET */
#define FAM_INET6   10u  /* AF_INET6 */
#define FAM_NETLINK 16u  /* AF_NETLINK */

enum label { L_NEXT, L_X86, L_ARM, L_IOCTL, L_SOCKET, L_NEWUSER, L_KILL, L_ENOSYS, L_EPERM,
             L_EAFNO, L_ALLOW, L__COUNT };

struct bpf_asm {
	struct sbx_bpf_insn *out;
	size_t n;
	uint8_t jt[SBX_SECCOMP_MAX_INSNS], jf[SBX_SECCOMP_MAX_INSNS];
	size_t at[L__COUNT];
};

static void emit(struct bpf_asm *a, uint16_t code, uint32_t k, enum label jt, enum label jf)
{
	a->out[a->n] = (struct sbx_bpf_insn){ code, 0, 0, k };
	a->jt[a->n] = (uint8_t)jt;
	a->jf[a->n] = (uint8_t)jf;
	a->n++;
}

static void load(struct bpf_asm *a, uint32_t off) { emit(a, OP_LD_W_ABS, off, L_NEXT, L_NEXT); }
static void jeq(struct bpf_asm *a, uint32_t k, enum label t, enum label f) { emit(a, OP_JEQ_K, k, t, f); }
static void ret(struct bpf_asm *a, uint32_t k) { emit(a, OP_RET_K, k, L_NEXT, L_NEXT); }
static void place(struct bpf_asm *a, enum label l) { a->at[l] = a->n; }

/* Turns label numbers into forward jump offsets. */
static void resolve(struct bpf_asm *a)
{
	for (size_t i = 0; i < a->n; i++) {
		if (a->out[i].code == OP_LD_W_ABS || a->out[i].code == OP_RET_K)
			continue;
		a->out[i].jt = a->jt[i] == L_NEXT ? 0 : (uint8_t)(a->at[a->jt[i]] - i - 1);
		a->out[i].jf = a->jf[i] == L_NEXT ? 0 : (uint8_t)(a->at[a->jf[i]] - i - 1);
	}
}

/* Syscall numbers that differ between the architectures. */
struct arch_nrs {
	uint32_t ioctl, socket, add_key, clone, unshare;
};

static const struct arch_nrs X86_64_NRS = { NR_X86_64_IOCTL, NR_X86_64_SOCKET, NR_X86_64_ADD_KEY,
                                            NR_X86_64_CLONE, NR_X86_64_UNSHARE };
static const struct arch_nrs AARCH64_NRS = { NR_AARCH64_IOCTL, NR_AARCH64_SOCKET, NR_AARCH64_ADD_KEY,
                                             NR_AARCH64_CLONE, NR_AARCH64_UNSHARE };

/* The checks both architectures share, with their syscall numbers. */
static void common(struct bpf_asm *a, int offline, int no_userns, const struct arch_nrs *nr)
{
	if (no_userns) {
		jeq(a, NR_CLONE3, L_ENOSYS, L_NEXT);
		jeq(a, nr->clone, L_NEWUSER, L_NEXT);
		jeq(a, nr->unshare, L_NEWUSER, L_NEXT);
	}
	jeq(a, NR_IO_URING_SETUP, L_ENOSYS, L_NEXT);
	jeq(a, NR_IO_URING_ENTER, L_ENOSYS, L_NEXT);
	jeq(a, NR_IO_URING_REGISTER, L_ENOSYS, L_NEXT);
	for (uint32_t k = 0; k < 3; k++)   /* add_key, request_key, keyctl */
		jeq(a, nr->add_key + k, L_ENOSYS, L_NEXT);
	if (offline)
		jeq(a, nr->socket, L_SOCKET, L_NEXT);
	jeq(a, nr->ioctl, L_IOCTL, L_ALLOW);
}

static void ioctl_check(struct bpf_asm *a)
{
	place(a, L_IOCTL);
	load(a, SBX_SECCOMP_OFF_ARG(1));
	jeq(a, TIOCSTI_NR, L_EPERM, L_NEXT);
	jeq(a, TIOCLINUX_NR, L_EPERM, L_ALLOW);
}

static void socket_check(struct bpf_asm *a)
{
	place(a, L_SOCKET);
	load(a, SBX_SECCOMP_OFF_ARG(0));
	jeq(a, FAM_UNIX, L_ALLOW, L_NEXT);
	jeq(a, FAM_INET, L_ALLOW, L_NEXT);
	jeq(a, FAM_INET6, L_ALLOW, L_NEXT);
	jeq(a, FAM_NETLINK, L_ALLOW, L_EAFNO);
}

/* clone's and unshare's flags are both their first argument. */
static void newuser_check(struct bpf_asm *a)
{
	place(a, L_NEWUSER);
	load(a, SBX_SECCOMP_OFF_ARG(0));
	emit(a, OP_JSET_K, CLONE_NEWUSER_FLAG, L_EPERM, L_ALLOW);
}

static void returns(struct bpf_asm *a, int offline)
{
	place(a, L_KILL);
	ret(a, SBX_SECCOMP_RET_KILL_PROCESS);
	place(a, L_ENOSYS);
	ret(a, SBX_SECCOMP_RET_ERRNO | E_NOSYS);
	place(a, L_EPERM);
	ret(a, SBX_SECCOMP_RET_ERRNO | E_PERM);
	if (offline) {   /* no unreachable code */
		place(a, L_EAFNO);
		ret(a, SBX_SECCOMP_RET_ERRNO | E_AFNOSUPPORT);
	}
	place(a, L_ALLOW);
	ret(a, SBX_SECCOMP_RET_ALLOW);
}

size_t sbx_seccomp_gen(int offline, int no_userns, struct sbx_bpf_insn out[SBX_SECCOMP_MAX_INSNS])
{
	struct bpf_asm a;
	memset(&a, 0, sizeof a);
	a.out = out;
	load(&a, SBX_SECCOMP_OFF_ARCH);
	jeq(&a, SBX_AUDIT_ARCH_X86_64, L_X86, L_NEXT);
	jeq(&a, SBX_AUDIT_ARCH_AARCH64, L_ARM, L_KILL);
	place(&a, L_X86);
	load(&a, SBX_SECCOMP_OFF_NR);
	emit(&a, OP_JSET_K, SBX_X32_SYSCALL_BIT, L_ENOSYS, L_NEXT);
	common(&a, offline, no_userns, &X86_64_NRS);
	place(&a, L_ARM);
	load(&a, SBX_SECCOMP_OFF_NR);
	common(&a, offline, no_userns, &AARCH64_NRS);
	ioctl_check(&a);
	if (offline)
		socket_check(&a);
	if (no_userns)
		newuser_check(&a);
	returns(&a, offline);
	resolve(&a);
	return a.n;
}
