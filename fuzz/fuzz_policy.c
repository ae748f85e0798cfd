/* fuzz_policy.c - policy text compiled for Linux, for the targets that need a blob. */
#include "fuzz_targets.h"

#include <string.h>

#include "compiler.h"

uint8_t *sbx_fuzz_linux_blob(const char *text, size_t *len)
{
	struct sbx_compiler c;
	struct sbx_ir_policy p;
	uint8_t *blob = NULL;
	sbx_compiler_init(&c);
	c.targets = SBX_TARGET_LINUX;
	struct sbx_ast_file *f = sbx_load_text(&c, "fuzz.sbxpol", text, strlen(text));
	if (f && c.diags.nerrors == 0 && sbx_sema(&c, f, NULL, &p) == 0) {
		if (sbx_emit(&c, &p, &blob, len) < 0)
			blob = NULL;
		sbx_ir_policy_free(&p);
	}
	sbx_compiler_free(&c);
	return blob;
}
