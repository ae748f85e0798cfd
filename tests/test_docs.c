/*
 * Every example in the documentation compiles, and so does every shipped
 * policy and example policy: the docs cannot drift from the compiler.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"

/* Compiles each ```sbxpol block of a markdown file; returns how many there were. */
static int compile_blocks(const char *md_path)
{
	char *md = t_read_file(md_path, NULL);
	cr_assert_not_null(md, "cannot read %s", md_path);
	int n = 0;
	const char *fence = "```sbxpol\n";
	for (char *p = strstr(md, fence); p; p = strstr(p, fence)) {
		char *start = p + strlen(fence);
		char *end = strstr(start, "```");
		cr_assert_not_null(end, "unterminated block in %s", md_path);
		*end = '\0';
		uint8_t *blob = NULL;
		size_t len = 0;
		char *diag = NULL;
		int rc = t_compile(start, NULL, SBX_TARGET_ALL, &blob, &len, &diag);
		cr_expect_eq(rc, 0, "%s example %d does not compile:\n%s\n%s", md_path, n + 1, start,
		             diag ? diag : "");
		free(blob);
		free(diag);
		n++;
		p = end + 3;
	}
	free(md);
	return n;
}

Test(docs, language_reference_examples_compile)
{
	int n = compile_blocks(SBX_SOURCE_DIR "/docs/language.md");
	cr_assert_geq(n, 3, "only %d examples found", n);
}

Test(docs, readme_examples_compile)
{
	compile_blocks(SBX_SOURCE_DIR "/README.md");
}

static void check_dir(const char *dir)
{
	char *cmd = NULL, *out = NULL;
	cr_assert(asprintf(&cmd, "set -e; n=0; for f in %s/*.sbxpol; do %s check \"$f\"; n=$((n+1)); done; "
	                         "test $n -gt 0", dir, SBXC_PATH) > 0);
	int rc = t_run(cmd, &out);
	cr_expect_eq(rc, 0, "%s", out);
	cr_expect_null(strstr(out, "warning"), "shipped policies should compile without warnings:\n%s", out);
	free(cmd);
	free(out);
}

Test(docs, shipped_policies_check_clean)
{
	check_dir(SBX_SOURCE_DIR "/policies");
}

Test(docs, example_policies_check_clean)
{
	check_dir(SBX_SOURCE_DIR "/examples");
}
