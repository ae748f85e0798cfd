/* placeholder until the frontend lands */
#include "ast.h"
#include <stdlib.h>
struct sbx_ast_file *sbx_parse(const struct sbx_source *src, struct sbx_diags *d)
{
	struct sbx_loc loc = { src, 1, 1, 1 };
	sbx_error(d, loc, "parser not implemented");
	return calloc(1, sizeof(struct sbx_ast_file));
}
void sbx_ast_free(struct sbx_ast_file *f) { free(f); }
