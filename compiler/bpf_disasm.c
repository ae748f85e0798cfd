/*
 * bpf_disasm.c - classic BPF as text, in the spirit of the kernel's
 * bpf_dbg: "ld [nr]", "jeq #0x29, 4, 0", "ret ALLOW".  Absolute loads are
 * named after the field of struct seccomp_data they read.
 */
#include "bpf_disasm.h"

#include <stdio.h>
#include <string.h>

/* Names of the instruction classes' operations. */
static const char *const alu_names[16] = {
	"add", "sub", "mul", "div", "or", "and", "lsh", "rsh",
	"neg", "mod", "xor", NULL, NULL, NULL, NULL, NULL,
};
static const char *const jmp_names[16] = {
	"ja", "jeq", "jgt", "jge", "jset", NULL, NULL, NULL,
	NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
};

/* The struct seccomp_data field at byte offset k. */
static void seccomp_field(uint32_t k, char *out, size_t size)
{
	if (k == 0)
		snprintf(out, size, "nr");
	else if (k == 4)
		snprintf(out, size, "arch");
	else if (k == 8 || k == 12)
		snprintf(out, size, "instruction_pointer.%s", k == 8 ? "lo" : "hi");
	else if (k >= 16 && k < 64 && k % 4 == 0)
		snprintf(out, size, "args[%u].%s", (k - 16) / 8, k % 8 ? "hi" : "lo");
	else
		snprintf(out, size, "0x%x", k);
}

void sbx_bpf_ret_text(uint32_t k, char out[SBX_BPF_RET_MAX])
{
	uint32_t data = k & 0xffffu;
	switch (k & 0xffff0000u) {
	case 0x80000000u: snprintf(out, SBX_BPF_RET_MAX, "KILL_PROCESS"); return;
	case 0x00000000u: snprintf(out, SBX_BPF_RET_MAX, "KILL_THREAD"); return;
	case 0x00030000u: snprintf(out, SBX_BPF_RET_MAX, "TRAP(%u)", data); return;
	case 0x00050000u: snprintf(out, SBX_BPF_RET_MAX, "ERRNO(%u)", data); return;
	case 0x7fc00000u: snprintf(out, SBX_BPF_RET_MAX, "USER_NOTIF"); return;
	case 0x7ff00000u: snprintf(out, SBX_BPF_RET_MAX, "TRACE(%u)", data); return;
	case 0x7ffc0000u: snprintf(out, SBX_BPF_RET_MAX, "LOG"); return;
	case 0x7fff0000u: snprintf(out, SBX_BPF_RET_MAX, "ALLOW"); return;
	default: snprintf(out, SBX_BPF_RET_MAX, "#0x%x", k); return;
	}
}

static void ld_text(const struct sbx_bpf_insn *f, char *out)
{
	const char *op = (f->code & 0x07) == 0x00 ? "ld" : "ldx";
	char field[32];
	switch (f->code) {
	case 0x20:          /* ld w abs */
		seccomp_field(f->k, field, sizeof field);
		snprintf(out, SBX_BPF_TEXT_MAX, "ld [%s]", field);
		return;
	case 0x28: snprintf(out, SBX_BPF_TEXT_MAX, "ldh [0x%x]", f->k); return;
	case 0x30: snprintf(out, SBX_BPF_TEXT_MAX, "ldb [0x%x]", f->k); return;
	case 0x80: case 0x81: snprintf(out, SBX_BPF_TEXT_MAX, "%s #len", op); return;
	case 0x00: case 0x01: snprintf(out, SBX_BPF_TEXT_MAX, "%s #0x%x", op, f->k); return;
	case 0x60: case 0x61: snprintf(out, SBX_BPF_TEXT_MAX, "%s M[%u]", op, f->k); return;
	default: snprintf(out, SBX_BPF_TEXT_MAX, "unknown 0x%04x", f->code); return;
	}
}

static void alu_text(const struct sbx_bpf_insn *f, char *out)
{
	const char *name = f->code <= 0xff ? alu_names[f->code >> 4] : NULL;
	if (!name || f->code == 0x8c)   /* neg takes no source */
		snprintf(out, SBX_BPF_TEXT_MAX, "unknown 0x%04x", f->code);
	else if (f->code == 0x84)
		snprintf(out, SBX_BPF_TEXT_MAX, "neg");
	else if (f->code & 0x08)
		snprintf(out, SBX_BPF_TEXT_MAX, "%s x", name);
	else
		snprintf(out, SBX_BPF_TEXT_MAX, "%s #0x%x", name, f->k);
}

static void jmp_text(const struct sbx_bpf_insn *f, char *out)
{
	const char *name = f->code <= 0xff ? jmp_names[f->code >> 4] : NULL;
	if (!name || f->code == 0x0d)   /* ja takes no source */
		snprintf(out, SBX_BPF_TEXT_MAX, "unknown 0x%04x", f->code);
	else if (f->code == 0x05)
		snprintf(out, SBX_BPF_TEXT_MAX, "ja %u", f->k);
	else if (f->code & 0x08)
		snprintf(out, SBX_BPF_TEXT_MAX, "%s x, %u, %u", name, f->jt, f->jf);
	else
		snprintf(out, SBX_BPF_TEXT_MAX, "%s #0x%x, %u, %u", name, f->k, f->jt, f->jf);
}

static void ret_text(const struct sbx_bpf_insn *f, char *out)
{
	if (f->code == 0x16) {
		snprintf(out, SBX_BPF_TEXT_MAX, "ret a");
		return;
	}
	if (f->code != 0x06) {
		snprintf(out, SBX_BPF_TEXT_MAX, "unknown 0x%04x", f->code);
		return;
	}
	memcpy(out, "ret ", 4);    /* the action names are short: they fit after "ret " */
	sbx_bpf_ret_text(f->k, out + 4);
}

void sbx_bpf_insn_text(const struct sbx_bpf_insn *f, char out[SBX_BPF_TEXT_MAX])
{
	switch (f->code & 0x07) {
	case 0x00: case 0x01: ld_text(f, out); return;
	case 0x02:
	case 0x03:
		if (f->code == 0x02 || f->code == 0x03)
			snprintf(out, SBX_BPF_TEXT_MAX, "%s M[%u]", f->code == 0x02 ? "st" : "stx", f->k);
		else
			snprintf(out, SBX_BPF_TEXT_MAX, "unknown 0x%04x", f->code);
		return;
	case 0x04: alu_text(f, out); return;
	case 0x05: jmp_text(f, out); return;
	case 0x06: ret_text(f, out); return;
	default:
		if (f->code == 0x07 || f->code == 0x87)
			snprintf(out, SBX_BPF_TEXT_MAX, "%s", f->code == 0x07 ? "tax" : "txa");
		else
			snprintf(out, SBX_BPF_TEXT_MAX, "unknown 0x%04x", f->code);
		return;
	}
}

void sbx_bpf_disasm(const struct sbx_bpf_insn *prog, size_t n, int indent, FILE *out)
{
	char text[SBX_BPF_TEXT_MAX];
	for (size_t i = 0; i < n; i++) {
		sbx_bpf_insn_text(&prog[i], text);
		fprintf(out, "%*s%3zu: %s\n", indent, "", i, text);
	}
}
