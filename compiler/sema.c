/* placeholder until semantics land */
#include "compiler.h"
#include <stdlib.h>
#include <string.h>
int sbx_sema(struct sbx_compiler *c, struct sbx_ast_file *root, const char *name, struct sbx_ir_policy *out)
{
	(void)root; (void)name;
	memset(out, 0, sizeof *out);
	sbx_error(&c->diags, (struct sbx_loc){0}, "sema not implemented");
	return -1;
}
