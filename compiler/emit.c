/* placeholder until the emitter lands */
#include "compiler.h"
int sbx_emit(struct sbx_compiler *c, const struct sbx_ir_policy *p, uint8_t **out, size_t *outlen)
{
	(void)p; *out = NULL; *outlen = 0;
	sbx_error(&c->diags, (struct sbx_loc){0}, "emit not implemented");
	return -1;
}
