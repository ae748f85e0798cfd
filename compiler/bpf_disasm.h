/*
 * bpf_disasm.h - classic BPF (seccomp) instructions as text, for `sbxc
 * explain`.  Never fails: an opcode it does not know prints as
 * "unknown 0x...".
 */
#ifndef SBX_BPF_DISASM_H
#define SBX_BPF_DISASM_H

#include <stddef.h>
#include <stdio.h>

#include "../include/sbx/blob.h"

#define SBX_BPF_TEXT_MAX 64   /* longest text of one instruction, with the NUL */
#define SBX_BPF_RET_MAX  32   /* longest text of a return value, with the NUL */

/*
 * Writes one instruction ("jeq #0x29, 4, 0", "ld [nr]", "ret ERRNO(97)")
 * into out: no index, no newline.  Jump offsets are relative, as stored.
 */
void sbx_bpf_insn_text(const struct sbx_bpf_insn *insn, char out[SBX_BPF_TEXT_MAX]);

/* Writes the seccomp return value k ("ALLOW", "ERRNO(97)", "KILL_PROCESS"). */
void sbx_bpf_ret_text(uint32_t k, char out[SBX_BPF_RET_MAX]);

/* One line per instruction, "%*s%3zu: text\n", indented by `indent` spaces. */
void sbx_bpf_disasm(const struct sbx_bpf_insn *prog, size_t n, int indent, FILE *out);

#endif
