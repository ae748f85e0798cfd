/*
 * Determinism and equivalence, end to end: the same source gives
 * byte-identical blobs, and different spellings of the same policy (rule
 * order, formatting, comments, '.' and '..', an inherited rule instead of
 * a repeated one, split or joined lists) give identical blobs too.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"

static void compile(const char *text, const char *name, uint8_t **blob, size_t *len)
{
	char *diag = NULL;
	int rc = t_compile(text, name, SBX_TARGET_ALL, blob, len, &diag);
	cr_assert_eq(rc, 0, "does not compile:\n%s\n%s", text, diag ? diag : "");
	free(diag);
}

static void assert_same_blob(const char *a, const char *name_a, const char *b, const char *name_b)
{
	uint8_t *ba, *bb;
	size_t la, lb;
	compile(a, name_a, &ba, &la);
	compile(b, name_b, &bb, &lb);
	cr_expect(la == lb && memcmp(ba, bb, la) == 0, "different blobs for\n%s\nand\n%s", a, b);
	free(ba);
	free(bb);
}

static const char canonical[] =
	"sbxpol 1;\n"
	"policy p {\n"
	"    param WORKSPACE, HOME;\n"
	"    readonly \"/\";\n"
	"    writable \"${WORKSPACE}\";\n"
	"    readonly \"${WORKSPACE}/.git\";\n"
	"    denied \"${HOME}/.ssh\";\n"
	"    network offline;\n"
	"    limit memory 1 GiB;\n"
	"    env drop \"AWS_*\";\n"
	"}\n";

Test(equivalence, same_source_same_bytes)
{
	assert_same_blob(canonical, NULL, canonical, NULL);
}

Test(equivalence, rule_order_and_formatting_do_not_matter)
{
	static const char shuffled[] =
		"sbxpol 1; # a comment\n"
		"policy p { env drop \"AWS_*\"; limit memory 1024MiB;\n"
		"denied \"${HOME}/.ssh/\"; readonly \"${WORKSPACE}/src/../.git\"; param HOME;\n"
		"writable \"${WORKSPACE}/.\"; readonly \"//\"; param WORKSPACE; }\n";
	assert_same_blob(canonical, NULL, shuffled, NULL);
}

Test(equivalence, inherited_rules_equal_repeated_rules)
{
	/* The same rules, inherited through two levels of extends. */
	static const char inherited[] =
		"sbxpol 1;\n"
		"policy root { param HOME; denied \"${HOME}/.ssh\"; }\n"
		"policy base extends root { readonly \"/\"; limit memory 1 GiB; }\n"
		"policy p extends base {\n"
		"    env drop \"AWS_*\";\n"
		"    readonly \"${WORKSPACE}/.git\";\n"
		"    writable \"${WORKSPACE}\";\n"
		"    param WORKSPACE;\n"
		"}\n";
	assert_same_blob(canonical, NULL, inherited, "p");
}

Test(equivalence, overridden_parent_rule_equals_direct_rule)
{
	static const char overridden[] =
		"sbxpol 1;\n"
		"policy base { param WORKSPACE, HOME; readonly \"/\"; writable \"${WORKSPACE}\";\n"
		"    writable \"${WORKSPACE}/.git\"; denied \"${HOME}/.ssh\"; network online; }\n"
		"policy p extends base { readonly \"${WORKSPACE}/.git\"; network offline;\n"
		"    limit memory 1 GiB; env drop \"AWS_*\"; }\n";
	assert_same_blob(canonical, NULL, overridden, "p");
}

Test(equivalence, different_policies_differ)
{
	uint8_t *a, *b;
	size_t la, lb;
	compile(canonical, NULL, &a, &la);
	char *other = strdup(canonical);
	memcpy(strstr(other, "offline"), "online; ", 8);
	compile(other, NULL, &b, &lb);
	cr_expect(la != lb || memcmp(a, b, la) != 0, "a changed network mode gave the same blob");
	free(a);
	free(b);
	free(other);
}
