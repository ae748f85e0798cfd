/*
 * The runtime must not contain a lexer or a parser: it consumes compiled
 * blobs only.  Check every symbol of libsbxrt (static archive, so hidden
 * ones too) and what the shared library exports.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"

static const char *const forbidden[] = {
	"sbx_parse", "sbx_lex", "sbx_sema", "sbx_load", "sbx_emit", "Parse", "yy", "re2c", "lemon",
};

static void assert_clean(const char *syms)
{
	for (size_t i = 0; i < sizeof forbidden / sizeof forbidden[0]; i++)
		cr_expect_null(strstr(syms, forbidden[i]), "runtime has a '%s' symbol:\n%s", forbidden[i], syms);
}

Test(runtime_symbols, static_archive_has_no_parser)
{
	char *out = NULL;
	int rc = t_run("nm --defined-only " SBXRT_STATIC_PATH " | awk 'NF==3 {print $3}'", &out);
	cr_assert_eq(rc, 0, "nm failed: %s", out);
	cr_assert(strstr(out, "sbx_blob_verify") != NULL, "nm output does not list the verifier:\n%s", out);
	assert_clean(out);
	free(out);
}

Test(runtime_symbols, shared_library_exports_only_the_api)
{
	char *out = NULL;
	int rc = t_run("nm -D --defined-only " SBXRT_SHARED_PATH " | awk '$2 == \"T\" {print $3}'", &out);
	cr_assert_eq(rc, 0, "nm failed: %s", out);
	/* Every exported function is part of the documented sbx_ API. */
	char *save = NULL;
	for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		cr_expect(strncmp(line, "sbx_", 4) == 0, "unexpected export '%s'", line);
	free(out);
}
