/*
 * seccomp_gen.h - the classic BPF seccomp filter written into LX_SECCOMP.
 *
 * The blob is host-independent, so every kernel constant is spelled out
 * here (the comment names the kernel's own macro).
 */
#ifndef SBX_SECCOMP_GEN_H
#define SBX_SECCOMP_GEN_H

#include <stddef.h>
#include <stdint.h>

#include "../include/sbx/blob.h"

#define SBX_AUDIT_ARCH_X86_64  0xC000003Eu  /* AUDIT_ARCH_X86_64 */
#define SBX_AUDIT_ARCH_AARCH64 0xC00000B7u  /* AUDIT_ARCH_AARCH64 */
#define SBX_X32_SYSCALL_BIT    0x40000000u  /* __X32_SYSCALL_BIT */

#define SBX_SECCOMP_RET_KILL_PROCESS 0x80000000u  /* SECCOMP_RET_KILL_PROCESS */
#define SBX_SECCOMP_RET_ERRNO        0x00050000u  /* SECCOMP_RET_ERRNO (| errno) */
#define SBX_SECCOMP_RET_ALLOW        0x7FFF0000u  /* SECCOMP_RET_ALLOW */

/* struct seccomp_data offsets; args are u64, we test their low 32 bits (little endian). */
#define SBX_SECCOMP_OFF_NR    0u
#define SBX_SECCOMP_OFF_ARCH  4u
#define SBX_SECCOMP_OFF_ARG(i) (16u + 8u * (i))

/* The largest program sbx_seccomp_gen writes. */
#define SBX_SECCOMP_MAX_INSNS 64

/*
 * Writes the filter for `offline` (1: also restrict socket() domains) and
 * `no_userns` (1: refuse new user namespaces) into
 * out[SBX_SECCOMP_MAX_INSNS].  Returns the instruction count.
 */
size_t sbx_seccomp_gen(int offline, int no_userns, struct sbx_bpf_insn out[SBX_SECCOMP_MAX_INSNS]);

#endif
