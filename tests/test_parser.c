/* test_parser.c - the grammar and the tree it builds; syntax errors in words. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse_internal.h"
#include "support.h"

#define HEAD "sbxpol 1;\npolicy p {\n"

/* Parses text that must be free of errors. */
static struct sbx_ast_file *parse_ok(struct sbx_compiler *c, const char *text)
{
	sbx_compiler_init(c);
	struct sbx_ast_file *f = t_parse(c, text);
	cr_assert(f);
	if (c->diags.nerrors) {
		char *r = t_render(c);
		cr_assert_fail("unexpected errors:\n%s", r);
		free(r);
	}
	return f;
}

static const struct sbx_ast_stmt *stmt(const struct sbx_ast_file *f, size_t pol, size_t i)
{
	cr_assert_lt(pol, f->npolicies);
	cr_assert_lt(i, f->policies[pol].nstmts);
	return &f->policies[pol].stmts[i];
}

static void check_loc(struct sbx_loc loc, uint32_t line, uint32_t col, uint32_t len)
{
	cr_expect_eq(loc.line, line, "line %u, want %u", loc.line, line);
	cr_expect_eq(loc.col, col, "col %u, want %u", loc.col, col);
	cr_expect_eq(loc.len, len, "len %u, want %u", loc.len, len);
	cr_expect_not_null(loc.src);
}

static void check_item(const struct sbx_ast_stmt *s, size_t i, const char *text,
                       uint32_t line, uint32_t col, uint32_t len)
{
	cr_assert_lt(i, s->nitems);
	cr_expect_str_eq(s->items[i].text, text);
	cr_expect_eq(s->items[i].len, strlen(text));
	check_loc(s->items[i].loc, line, col, len);
}

/* Rendered diagnostics of text (which may hold NUL bytes). */
static char *errors_of(const char *text, size_t len, unsigned *nerrors)
{
	struct sbx_compiler c;
	sbx_compiler_init(&c);
	struct sbx_ast_file *f = sbx_load_text(&c, "test.sbxpol", text, len);
	cr_assert(f, "a syntax error still gives a (partial) tree");
	char *r = t_render(&c);
	cr_assert(r);
	*nerrors = c.diags.nerrors;
	sbx_compiler_free(&c);
	return r;
}

/* The first line of the rendered diagnostics must be `want`. */
static void expect_first_line(const char *rendered, const char *want, const char *input)
{
	size_t n = strcspn(rendered, "\n");
	cr_expect(strlen(want) == n && !memcmp(rendered, want, n),
	          "input:\n%s\ngot:\n%s\nwant:\n%s", input, rendered, want);
}

/* ---- the tree ---- */

Test(parser, documented_example_builds_the_tree)
{
	struct sbx_compiler c;
	struct sbx_ast_file *f = parse_ok(&c,
		"sbxpol 1;                         # the language version: always first\n"
		"\n"
		"policy workspace-write {\n"
		"    param WORKSPACE, HOME, TMPDIR;\n"
		"\n"
		"    readonly \"/\";                 # read everything ...\n"
		"    writable \"${WORKSPACE}\", \"${TMPDIR}\";\n"
		"    readonly \"${WORKSPACE}/.git\"; # ... a carve-out that stays read-only\n"
		"    denied   \"${HOME}/.ssh\";      # hidden: no read, no write\n"
		"\n"
		"    network offline;\n"
		"    limit processes 512;\n"
		"    limit memory 4 GiB;\n"
		"    limit wall 1h;\n"
		"    env drop \"*_TOKEN\";\n"
		"    env set CI = \"1\";\n"
		"}\n");
	cr_expect_eq(f->version, 1);
	check_loc(f->version_loc, 1, 8, 1);
	cr_expect_eq(f->nimports, 0);
	cr_assert_eq(f->npolicies, 1);
	const struct sbx_ast_policy *p = &f->policies[0];
	cr_expect_str_eq(p->name.text, "workspace-write");
	check_loc(p->name.loc, 3, 8, 15);
	check_loc(p->loc, 3, 1, 6);
	cr_expect_null(p->parent.text);
	cr_assert_eq(p->nstmts, 11);

	const struct sbx_ast_stmt *s = stmt(f, 0, 0);
	cr_expect_eq(s->kind, SBX_STMT_PARAM);
	check_loc(s->loc, 4, 5, 5);
	cr_assert_eq(s->nitems, 3);
	check_item(s, 0, "WORKSPACE", 4, 11, 9);
	check_item(s, 1, "HOME", 4, 22, 4);
	check_item(s, 2, "TMPDIR", 4, 28, 6);

	s = stmt(f, 0, 1);
	cr_expect_eq(s->kind, SBX_STMT_READONLY);
	cr_assert_eq(s->nitems, 1);
	check_item(s, 0, "/", 6, 14, 3);

	s = stmt(f, 0, 2);
	cr_expect_eq(s->kind, SBX_STMT_WRITABLE);
	cr_assert_eq(s->nitems, 2);
	check_item(s, 0, "${WORKSPACE}", 7, 14, 14);
	check_item(s, 1, "${TMPDIR}", 7, 30, 11);

	s = stmt(f, 0, 3);
	cr_expect_eq(s->kind, SBX_STMT_READONLY);
	check_item(s, 0, "${WORKSPACE}/.git", 8, 14, 19);

	s = stmt(f, 0, 4);
	cr_expect_eq(s->kind, SBX_STMT_DENIED);
	check_loc(s->loc, 9, 5, 6);
	check_item(s, 0, "${HOME}/.ssh", 9, 14, 14);

	s = stmt(f, 0, 5);
	cr_expect_eq(s->kind, SBX_STMT_NETWORK);
	cr_expect_eq(s->arg, SBX_NET_OFFLINE);
	cr_expect_eq(s->nitems, 0);

	s = stmt(f, 0, 6);
	cr_expect_eq(s->kind, SBX_STMT_LIMIT);
	cr_expect_eq(s->arg, SBX_LIMIT_PROCESSES);
	cr_expect_eq(s->value, 512);
	check_loc(s->loc, 12, 5, 5);

	s = stmt(f, 0, 7);
	cr_expect_eq(s->arg, SBX_LIMIT_MEMORY);
	cr_expect_eq(s->value, UINT64_C(4) << 30);

	s = stmt(f, 0, 8);
	cr_expect_eq(s->arg, SBX_LIMIT_WALL);
	cr_expect_eq(s->value, 3600);

	s = stmt(f, 0, 9);
	cr_expect_eq(s->kind, SBX_STMT_ENV_DROP);
	check_item(s, 0, "*_TOKEN", 15, 14, 9);

	s = stmt(f, 0, 10);
	cr_expect_eq(s->kind, SBX_STMT_ENV_SET);
	cr_assert_eq(s->nitems, 2);
	check_item(s, 0, "CI", 16, 13, 2);
	check_item(s, 1, "1", 16, 18, 3);
	check_loc(s->loc, 16, 5, 3);
	sbx_compiler_free(&c);
}

Test(parser, every_other_statement_form)
{
	struct sbx_compiler c;
	struct sbx_ast_file *f = parse_ok(&c,
		"sbxpol 1;\n"
		"import \"base.sbxpol\";\n"
		"import \"lib/more.sbxpol\";\n"
		"policy child extends base {\n"
		"  network online;\n"
		"  network allow \"example.org:443\", \"[::1]:80\";\n"
		"  env keep \"PATH\", \"LANG\", \"LC_*\";\n"
		"  enforcement strict;\n"
		"  enforcement best-effort;\n"
		"  limit memory none;\n"
		"  param A;\n"
		"  user-namespaces allow;\n"
		"  user-namespaces deny;\n"
		"}\n");
	cr_assert_eq(f->nimports, 2);
	cr_expect_str_eq(f->imports[0].text, "base.sbxpol");
	check_loc(f->imports[0].loc, 2, 8, 13);
	cr_expect_str_eq(f->imports[1].text, "lib/more.sbxpol");
	cr_assert_eq(f->npolicies, 1);
	cr_expect_str_eq(f->policies[0].name.text, "child");
	cr_expect_str_eq(f->policies[0].parent.text, "base");
	check_loc(f->policies[0].parent.loc, 4, 22, 4);

	const struct sbx_ast_stmt *s = stmt(f, 0, 0);
	cr_expect_eq(s->kind, SBX_STMT_NETWORK);
	cr_expect_eq(s->arg, SBX_NET_ONLINE);
	s = stmt(f, 0, 1);
	cr_expect_eq(s->kind, SBX_STMT_NETWORK_ALLOW);
	cr_assert_eq(s->nitems, 2);
	check_item(s, 1, "[::1]:80", 6, 36, 10);
	s = stmt(f, 0, 2);
	cr_expect_eq(s->kind, SBX_STMT_ENV_KEEP);
	cr_assert_eq(s->nitems, 3);
	check_item(s, 2, "LC_*", 7, 28, 6);
	s = stmt(f, 0, 3);
	cr_expect_eq(s->kind, SBX_STMT_ENFORCEMENT);
	cr_expect_eq(s->arg, SBX_ENFORCE_STRICT);
	s = stmt(f, 0, 4);
	cr_expect_eq(s->arg, SBX_ENFORCE_BEST_EFFORT);
	s = stmt(f, 0, 5);
	cr_expect_eq(s->kind, SBX_STMT_LIMIT);
	cr_expect_eq(s->arg, SBX_LIMIT_MEMORY);
	cr_expect_eq(s->value, SBX_LIMIT_NONE);
	s = stmt(f, 0, 6);
	cr_expect_eq(s->kind, SBX_STMT_PARAM);
	s = stmt(f, 0, 7);
	cr_expect_eq(s->kind, SBX_STMT_USERNS);
	cr_expect_eq(s->arg, SBX_USERNS_ALLOW);
	s = stmt(f, 0, 8);
	cr_expect_eq(s->arg, SBX_USERNS_DENY);
	sbx_compiler_free(&c);
}

Test(parser, limits_are_scaled_to_base_units)
{
	static const struct { const char *text; int kind; uint64_t value; } cases[] = {
		{ "limit processes 1;", SBX_LIMIT_PROCESSES, 1 },
		{ "limit memory 3 KiB;", SBX_LIMIT_MEMORY, 3 * 1024 },
		{ "limit memory 5MiB;", SBX_LIMIT_MEMORY, 5 * 1024 * 1024 },
		{ "limit memory 4GiB;", SBX_LIMIT_MEMORY, UINT64_C(4) << 30 },
		{ "limit memory 2 TiB;", SBX_LIMIT_MEMORY, UINT64_C(2) << 40 },
		{ "limit memory 16777215 TiB;", SBX_LIMIT_MEMORY, UINT64_C(16777215) << 40 },
		{ "limit cpu 90 s;", SBX_LIMIT_CPU, 90 },
		{ "limit cpu 2m;", SBX_LIMIT_CPU, 120 },
		{ "limit cpu 3 h;", SBX_LIMIT_CPU, 3 * 3600 },
		{ "limit wall 45s;", SBX_LIMIT_WALL, 45 },
		{ "limit wall none;", SBX_LIMIT_WALL, SBX_LIMIT_NONE },
		{ "limit processes none;", SBX_LIMIT_PROCESSES, SBX_LIMIT_NONE },
		{ "limit cpu none;", SBX_LIMIT_CPU, SBX_LIMIT_NONE },
		{ "limit processes 18446744073709551614;", SBX_LIMIT_PROCESSES, UINT64_MAX - 1 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char text[256];
		struct sbx_compiler c;
		snprintf(text, sizeof text, HEAD "%s\n}\n", cases[i].text);
		struct sbx_ast_file *f = parse_ok(&c, text);
		const struct sbx_ast_stmt *s = stmt(f, 0, 0);
		cr_expect_eq(s->kind, SBX_STMT_LIMIT, "%s", cases[i].text);
		cr_expect_eq(s->arg, cases[i].kind, "%s", cases[i].text);
		cr_expect_eq(s->value, cases[i].value, "%s: %llu", cases[i].text, (unsigned long long)s->value);
		sbx_compiler_free(&c);
	}
}

Test(parser, comments_and_layout)
{
	struct sbx_compiler c;
	struct sbx_ast_file *f = parse_ok(&c,
		"# leading comment\n"
		"sbxpol # the version follows\n 1 ; # done\n"
		"policy   # name next\n"
		"  a { writable # a path follows\n \"/x\" # end\n ; }  # trailing");
	cr_assert_eq(f->npolicies, 1);
	const struct sbx_ast_stmt *s = stmt(f, 0, 0);
	cr_expect_eq(s->kind, SBX_STMT_WRITABLE);
	check_loc(s->loc, 5, 7, 8);
	check_item(s, 0, "/x", 6, 2, 4);
	sbx_compiler_free(&c);
}

Test(parser, string_escapes_in_items)
{
	struct sbx_compiler c;
	struct sbx_ast_file *f = parse_ok(&c, HEAD
		"  readonly \"C:\\\\tools\", \"a\\\"b\", \"\\u{e9}t\\u{E9}\", \"\\u{1F600}\";\n"
		"  env set MSG = \"line\\nnext\\tcol\";\n}\n");
	const struct sbx_ast_stmt *s = stmt(f, 0, 0);
	cr_assert_eq(s->nitems, 4);
	check_item(s, 0, "C:\\tools", 3, 12, 11);
	check_item(s, 1, "a\"b", 3, 25, 6);
	check_item(s, 2, "\xc3\xa9t\xc3\xa9", 3, 33, 15);
	check_item(s, 3, "\xf0\x9f\x98\x80", 3, 50, 11);
	s = stmt(f, 0, 1);
	check_item(s, 1, "line\nnext\tcol", 4, 17, 17);
	sbx_compiler_free(&c);
}

Test(parser, keywords_work_as_names)
{
	struct sbx_compiler c;
	struct sbx_ast_file *f = parse_ok(&c,
		"sbxpol 1;\n"
		"policy online { }\n"
		"policy limit extends online { param network, none, policy, sbxpol; }\n"
		"policy best-effort extends limit { env set keep = \"x\"; limit memory 1 GiB; }\n"
		"policy import { param deny, user-namespaces; }\n");
	cr_assert_eq(f->npolicies, 4);
	cr_expect_str_eq(f->policies[0].name.text, "online");
	cr_expect_str_eq(f->policies[1].name.text, "limit");
	cr_expect_str_eq(f->policies[1].parent.text, "online");
	const struct sbx_ast_stmt *s = stmt(f, 1, 0);
	cr_assert_eq(s->nitems, 4);
	check_item(s, 0, "network", 3, 37, 7);
	check_item(s, 3, "sbxpol", 3, 60, 6);
	cr_expect_str_eq(f->policies[2].name.text, "best-effort");
	s = stmt(f, 2, 0);
	check_item(s, 0, "keep", 4, 44, 4);
	cr_expect_str_eq(f->policies[3].name.text, "import");
	sbx_compiler_free(&c);
}

Test(parser, header_only_and_imports_only)
{
	struct sbx_compiler c;
	struct sbx_ast_file *f = parse_ok(&c, "sbxpol 1;");
	cr_expect_eq(f->version, 1);
	cr_expect_eq(f->npolicies, 0);
	sbx_compiler_free(&c);
	f = parse_ok(&c, "sbxpol 1;\nimport \"a.sbxpol\";\n");
	cr_expect_eq(f->nimports, 1);
	cr_expect_eq(f->npolicies, 0);
	sbx_compiler_free(&c);
}

Test(parser, byte_order_mark_is_skipped)
{
	struct sbx_compiler c;
	struct sbx_ast_file *f = parse_ok(&c, "\xef\xbb\xbfsbxpol 1;\npolicy a {}\n");
	cr_expect_eq(f->version, 1);
	cr_assert_eq(f->npolicies, 1);
	sbx_compiler_free(&c);
}

Test(parser, several_policies_in_source_order)
{
	struct sbx_compiler c;
	struct sbx_ast_file *f = parse_ok(&c, "sbxpol 1;\npolicy a {}\nimport \"x\";\npolicy b { denied \"/d\"; }\npolicy c {}\n");
	cr_assert_eq(f->npolicies, 3);
	cr_expect_str_eq(f->policies[0].name.text, "a");
	cr_expect_eq(f->policies[0].nstmts, 0);
	cr_expect_str_eq(f->policies[1].name.text, "b");
	cr_expect_eq(f->policies[1].nstmts, 1);
	cr_expect_str_eq(f->policies[2].name.text, "c");
	check_loc(f->policies[2].loc, 5, 1, 6);
	sbx_compiler_free(&c);
}

/* ---- mistakes: one exact message each, and no follow-on errors ---- */

static const struct mistake {
	const char *text;
	const char *msg;
} mistakes[] = {
	{ "policy p {}\n",
	  "test.sbxpol:1:1: error: a policy file must start with 'sbxpol 1;'" },
	{ "",
	  "test.sbxpol:1:1: error: a policy file must start with 'sbxpol 1;'" },
	{ "sbxpol 2;\npolicy p {}\n",
	  "test.sbxpol:1:8: error: unsupported language version 2 (this sbxc knows version 1)" },
	{ "sbxpol 1\npolicy p {}\n",
	  "test.sbxpol:1:9: error: expected ';' after 'sbxpol 1'" },
	{ "sbxpol 1.0;\npolicy p {}\n",
	  "test.sbxpol:1:9: error: unexpected character '.'" },
	{ "sbxpol;\npolicy p {}\n",
	  "test.sbxpol:1:7: error: expected the language version after 'sbxpol', as in 'sbxpol 1;'" },
	{ HEAD "  readonly \"/a\"\n  denied \"/b\";\n}\n",
	  "test.sbxpol:3:16: error: expected ';' after the path" },
	{ HEAD "  writable;\n}\n",
	  "test.sbxpol:3:11: error: expected a path in double quotes after 'writable'" },
	{ HEAD "  writable /tmp;\n}\n",
	  "test.sbxpol:3:12: error: unexpected character '/'" },
	{ HEAD "  writable \"/a\" \"/b\";\n}\n",
	  "test.sbxpol:3:16: error: expected ',' between paths" },
	{ HEAD "  denied \"/a\", ;\n}\n",
	  "test.sbxpol:3:16: error: expected a path in double quotes after ','" },
	{ "sbxpol 1;\npolicy a\n  writable \"/x\";\n}\n",
	  "test.sbxpol:2:9: error: expected '{' after the policy name" },
	{ "sbxpol 1;\npolicy { }\n",
	  "test.sbxpol:2:8: error: expected a policy name after 'policy'" },
	{ "sbxpol 1;\npolicy \"a\" { }\n",
	  "test.sbxpol:2:8: error: expected a policy name after 'policy', without quotes" },
	{ "sbxpol 1;\npolicy a extends { }\n",
	  "test.sbxpol:2:18: error: expected a policy name after 'extends'" },
	{ HEAD "  writeable \"/x\";\n}\n",
	  "test.sbxpol:3:3: error: unknown statement 'writeable'; did you mean 'writable'?" },
	{ HEAD "  deny \"/x\";\n}\n",
	  "test.sbxpol:3:3: error: unknown statement 'deny'; did you mean 'denied'?" },
	{ HEAD "  Readonly \"/x\";\n}\n",
	  "test.sbxpol:3:3: error: unknown statement 'Readonly'; did you mean 'readonly'?" },
	{ HEAD "  mount \"/x\";\n}\n",
	  "test.sbxpol:3:3: error: unknown statement 'mount'; a statement starts with param, writable, "
	  "readonly, denied, private, network, limit, env, enforcement or user-namespaces" },
	{ HEAD "  \"/x\";\n}\n",
	  "test.sbxpol:3:3: error: expected a statement or '}', found a string" },
	{ HEAD "  network on;\n}\n",
	  "test.sbxpol:3:11: error: expected 'offline' or 'online' after 'network'" },
	{ HEAD "  network offline\n}\n",
	  "test.sbxpol:3:18: error: expected ';' after 'offline'" },
	{ "sbxpol 1;\nwritable \"/x\";\n",
	  "test.sbxpol:2:1: error: statements must be inside a policy { ... }" },
	{ "sbxpol 1;\npolicy a {}\n}\n",
	  "test.sbxpol:3:1: error: unexpected '}': no policy is open" },
	{ "sbxpol 1;\npolcy a {}\n",
	  "test.sbxpol:2:1: error: expected 'policy' or 'import', found 'polcy'; did you mean 'policy'?" },
	{ "sbxpol 1;\npolicy a {}\nsbxpol 1;\n",
	  "test.sbxpol:3:1: error: 'sbxpol' must come first in the file, and only once" },
	{ HEAD "  writable \"/x\";\n",
	  "test.sbxpol:3:17: error: expected '}' at the end of policy 'p'" },
	{ "sbxpol 1;\npolicy a {\npolicy b {}\n",
	  "test.sbxpol:2:11: error: expected '}' before the next policy" },
	{ HEAD "  import \"x\";\n}\n",
	  "test.sbxpol:3:3: error: 'import' cannot be inside a policy" },
	{ "sbxpol 1;\nimport x;\n",
	  "test.sbxpol:2:8: error: expected a file name in double quotes after 'import'" },
	{ "sbxpol 1;\nimport \"x\"\npolicy a {}\n",
	  "test.sbxpol:2:11: error: expected ';' after the file name" },
	{ HEAD "  param;\n}\n",
	  "test.sbxpol:3:8: error: expected a parameter name after 'param'" },
	{ HEAD "  param \"A\";\n}\n",
	  "test.sbxpol:3:9: error: expected a parameter name after 'param', without quotes" },
	{ HEAD "  param A B;\n}\n",
	  "test.sbxpol:3:10: error: expected ',' between parameter names" },
	{ HEAD "  limit memory 4 GB;\n}\n",
	  "test.sbxpol:3:18: error: unknown memory unit 'GB'; use KiB, MiB, GiB or TiB (powers of 1024)" },
	{ HEAD "  limit memory 4;\n}\n",
	  "test.sbxpol:3:16: error: memory needs a unit: KiB, MiB, GiB or TiB" },
	{ HEAD "  limit cpu 10;\n}\n",
	  "test.sbxpol:3:13: error: cpu needs a unit: s, m or h" },
	{ HEAD "  limit wall 5 min;\n}\n",
	  "test.sbxpol:3:16: error: unknown time unit 'min'; use s, m or h ('m' means minutes)" },
	{ HEAD "  limit wall 500ms;\n}\n",
	  "test.sbxpol:3:17: error: unknown time unit 'ms'; use s, m or h (limits are whole seconds)" },
	{ HEAD "  limit cpu 1 sec;\n}\n",
	  "test.sbxpol:3:15: error: unknown time unit 'sec'; use s, m or h ('s' means seconds)" },
	{ HEAD "  limit cpu 1 d;\n}\n",
	  "test.sbxpol:3:15: error: unknown time unit 'd'; use s, m or h" },
	{ HEAD "  limit processes 10 GiB;\n}\n",
	  "test.sbxpol:3:22: error: 'limit processes' takes a plain number, without a unit" },
	{ HEAD "  limit memory 0 GiB;\n}\n",
	  "test.sbxpol:3:16: error: a limit of 0 is not allowed; write 'limit memory none;' to remove a limit" },
	{ HEAD "  limit processes 0;\n}\n",
	  "test.sbxpol:3:19: error: a limit of 0 is not allowed; write 'limit processes none;' to remove a limit" },
	{ HEAD "  limit memory 16777216 TiB;\n}\n",
	  "test.sbxpol:3:16: error: limit too large" },
	{ HEAD "  limit processes 18446744073709551615;\n}\n",
	  "test.sbxpol:3:19: error: limit too large" },
	{ HEAD "  limit wall 99999999999999999999 s;\n}\n",
	  "test.sbxpol:3:14: error: number too large (the largest is 18446744073709551615)" },
	{ HEAD "  limit disk 4 GiB;\n}\n",
	  "test.sbxpol:3:9: error: unknown limit 'disk'; use processes, memory, cpu or wall" },
	{ HEAD "  limit;\n}\n",
	  "test.sbxpol:3:8: error: expected processes, memory, cpu or wall after 'limit'" },
	{ HEAD "  limit memory \"4 GiB\";\n}\n",
	  "test.sbxpol:3:16: error: expected a number or 'none' after 'memory'" },
	{ HEAD "  env set \"X\" = \"1\";\n}\n",
	  "test.sbxpol:3:11: error: expected a variable name after 'set', without quotes" },
	{ HEAD "  env set X \"1\";\n}\n",
	  "test.sbxpol:3:12: error: expected '=' after the variable name" },
	{ HEAD "  env set X = 1;\n}\n",
	  "test.sbxpol:3:15: error: expected a value in double quotes after '='" },
	{ HEAD "  env set X = \"1\"\n}\n",
	  "test.sbxpol:3:18: error: expected ';' after the value" },
	{ HEAD "  env set MY-VAR = \"1\";\n}\n",
	  "test.sbxpol:3:11: error: 'MY-VAR' is not a variable name: use letters, digits and '_' (no '-')" },
	{ HEAD "  env clear;\n}\n",
	  "test.sbxpol:3:7: error: expected 'keep', 'drop' or 'set' after 'env'" },
	{ HEAD "  env keep PATH;\n}\n",
	  "test.sbxpol:3:12: error: expected a pattern in double quotes after 'keep'" },
	{ HEAD "  enforcement lax;\n}\n",
	  "test.sbxpol:3:15: error: expected 'strict' or 'best-effort' after 'enforcement'" },
	{ HEAD "  user-namespaces on;\n}\n",
	  "test.sbxpol:3:19: error: expected 'deny' or 'allow' after 'user-namespaces'" },
	{ HEAD "  user-namespace allow;\n}\n",
	  "test.sbxpol:3:3: error: unknown statement 'user-namespace'; did you mean 'user-namespaces'?" },
	{ HEAD "  writable \"C:\\Users\";\n}\n",
	  "test.sbxpol:3:15: error: unknown escape '\\U' in a string; write '\\\\' for a backslash" },
	{ HEAD "  writable \"/tmp;\n}\n",
	  "test.sbxpol:3:12: error: strings cannot span lines; close the string with '\"'" },
	{ HEAD "  writable \"/tmp",
	  "test.sbxpol:3:12: error: unterminated string" },
	{ HEAD "  env set X = \"\\u{0}\";\n}\n",
	  "test.sbxpol:3:16: error: '\\u{0}' is not allowed: a string cannot hold a NUL character" },
	{ HEAD "  env set X = \"\\u{d83d}\";\n}\n",
	  "test.sbxpol:3:16: error: '\\u{d83d}' is a surrogate, not a Unicode character" },
	{ HEAD "  writable \"/a\"; @\n}\n",
	  "test.sbxpol:3:18: error: unexpected character '@'" },
	{ HEAD "  readonly \xe2\x80\x9c/x\xe2\x80\x9d;\n}\n",
	  "test.sbxpol:3:12: error: unexpected character '\xe2\x80\x9c' (U+201C); strings use straight double quotes '\"'" },
};

Test(parser, each_mistake_has_one_exact_message)
{
	for (size_t i = 0; i < sizeof mistakes / sizeof mistakes[0]; i++) {
		unsigned nerrors;
		char *r = errors_of(mistakes[i].text, strlen(mistakes[i].text), &nerrors);
		expect_first_line(r, mistakes[i].msg, mistakes[i].text);
		cr_expect_eq(nerrors, 1, "case %zu: %u errors for:\n%s\n%s", i, nerrors, mistakes[i].text, r);
		free(r);
	}
}

/* The rendered excerpt and caret of a few. */
static void expect_render(const char *text, const char *want)
{
	unsigned nerrors;
	char *r = errors_of(text, strlen(text), &nerrors);
	cr_expect_str_eq(r, want);
	free(r);
}

Test(parser, carets)
{
	expect_render(HEAD "  readonly \"/a\"\n  denied \"/b\";\n}\n",
		"test.sbxpol:3:16: error: expected ';' after the path\n"
		"      readonly \"/a\"\n"
		"                   ^\n");
	expect_render(HEAD "  writeable \"/x\";\n}\n",
		"test.sbxpol:3:3: error: unknown statement 'writeable'; did you mean 'writable'?\n"
		"      writeable \"/x\";\n"
		"      ^~~~~~~~~\n");
	expect_render(HEAD "  limit memory 4 GB;\n}\n",
		"test.sbxpol:3:18: error: unknown memory unit 'GB'; use KiB, MiB, GiB or TiB (powers of 1024)\n"
		"      limit memory 4 GB;\n"
		"                     ^~\n");
	expect_render(HEAD "  network foo;\n}\n",
		"test.sbxpol:3:11: error: expected 'offline' or 'online' after 'network'\n"
		"      network foo;\n"
		"              ^~~\n");
}

Test(parser, several_errors_in_one_run)
{
	const char *text =
		"sbxpol 1;\n"
		"policy a {\n"
		"  writeable \"/x\";\n"          /* 3 */
		"  readonly \"/usr\";\n"
		"  network foo;\n"               /* 5 */
		"  limit memory 4 GB;\n"         /* 6 */
		"  denied \"/d\"\n"              /* 7: missing ';' */
		"  env set X = \"1\";\n"
		"}\n"
		"writable \"/y\";\n"             /* 10 */
		"policy b {\n"
		"  limit cpu 0s;\n"              /* 12 */
		"}\n";
	struct sbx_compiler c;
	sbx_compiler_init(&c);
	struct sbx_ast_file *f = t_parse(&c, text);
	cr_assert(f);
	char *r = t_render(&c);
	cr_expect_eq(c.diags.nerrors, 6, "%s", r);
	const char *want[] = {
		"test.sbxpol:3:3: error: unknown statement 'writeable'; did you mean 'writable'?",
		"test.sbxpol:5:11: error: expected 'offline' or 'online' after 'network'",
		"test.sbxpol:6:18: error: unknown memory unit 'GB'; use KiB, MiB, GiB or TiB (powers of 1024)",
		"test.sbxpol:7:14: error: expected ';' after the path",
		"test.sbxpol:10:1: error: statements must be inside a policy { ... }",
		"test.sbxpol:12:13: error: a limit of 0 is not allowed; write 'limit cpu none;' to remove a limit",
	};
	const char *p = r;
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		const char *hit = strstr(p, want[i]);
		cr_expect(hit, "missing or out of order: %s\nin:\n%s", want[i], r);
		if (hit)
			p = hit + strlen(want[i]);
	}
	/* the good statements around the broken ones are still in the tree */
	cr_assert_eq(f->npolicies, 2);
	cr_expect_eq(f->policies[0].nstmts, 1);
	cr_expect_eq(f->policies[0].stmts[0].kind, SBX_STMT_READONLY);
	free(r);
	sbx_compiler_free(&c);
}

/* A lexer error and the syntax error it causes are one message, and
 * messages come in the order of the file. */
Test(parser, lexer_errors_come_in_file_order)
{
	const char *text = HEAD "  limit processes 0;\n  @ writable \"/x\";\n}\n";
	unsigned nerrors;
	char *r = errors_of(text, strlen(text), &nerrors);
	cr_expect_eq(nerrors, 2, "%s", r);
	const char *a = strstr(r, "test.sbxpol:3:19:");
	const char *b = strstr(r, "test.sbxpol:4:3: error: unexpected character '@'");
	cr_expect(a && b && a < b, "%s", r);
	free(r);
}

/* ---- hostile input ---- */

Test(parser, nul_byte)
{
	static const char text[] = "sbxpol 1;\npolicy a { writable \"/x\0y\"; }\n";
	unsigned nerrors;
	char *r = errors_of(text, sizeof text - 1, &nerrors);
	cr_expect_eq(nerrors, 1);
	expect_first_line(r, "test.sbxpol:2:24: error: a NUL byte is not allowed in a policy file", "nul");
	free(r);
}

Test(parser, invalid_utf8)
{
	static const char text[] = "sbxpol 1;\n# caf\xe9\npolicy a { writable \"/\xc0\xaf\"; }\n";
	unsigned nerrors;
	char *r = errors_of(text, sizeof text - 1, &nerrors);
	cr_expect_eq(nerrors, 2, "%s", r);
	expect_first_line(r, "test.sbxpol:2:6: error: invalid UTF-8 (byte 0xe9) in a comment; the file must be UTF-8", "utf8");
	cr_expect(strstr(r, "test.sbxpol:3:23: error: invalid UTF-8 (byte 0xc0) in a string; the file must be UTF-8\n"), "%s", r);
	free(r);
}

Test(parser, ten_thousand_open_braces)
{
	size_t n = 10000;
	char *text = malloc(n + 16);
	cr_assert(text);
	strcpy(text, "sbxpol 1;\n");
	memset(text + 10, '{', n);
	text[10 + n] = '\0';
	unsigned nerrors;
	char *r = errors_of(text, strlen(text), &nerrors);
	cr_expect_geq(nerrors, 1);
	expect_first_line(r, "test.sbxpol:2:1: error: expected 'policy' or 'import', found '{'", "braces");
	free(r);
	/* the same inside a policy */
	memcpy(text, "sbxpol 1;policy a", 17);
	r = errors_of(text, strlen(text), &nerrors);
	cr_expect_geq(nerrors, 1);
	free(r);
	free(text);
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

Test(parser, random_bytes)
{
	uint64_t seed = 12345;
	for (int round = 0; round < 100; round++) {
		size_t len = 1 + xorshift(&seed) % 4000;
		char *text = malloc(len);
		cr_assert(text);
		for (size_t i = 0; i < len; i++)
			text[i] = (char)(xorshift(&seed) >> 56);
		unsigned nerrors;
		char *r = errors_of(text, len, &nerrors);
		cr_expect_geq(nerrors, 1);
		free(r);
		free(text);
	}
}

/* Random sequences of real tokens reach deep into the grammar's error paths. */
Test(parser, random_tokens)
{
	static const char *const words[] = {
		"sbxpol", "1", ";", "policy", "a", "{", "}", "writable", "\"/x\"", ",", "limit",
		"memory", "4", "GiB", "env", "set", "=", "none", "extends", "param", "network",
		"online", "\n", "# c\n", "import", "keep", "\"", "\\", "enforcement", "strict", "0",
		"user-namespaces", "deny", "allow",
	};
	uint64_t seed = 777;
	for (int round = 0; round < 200; round++) {
		char text[4096];
		size_t len = 0;
		if (round % 2) {
			strcpy(text, "sbxpol 1;\n");
			len = strlen(text);
		}
		for (int i = 0; i < 300; i++) {
			const char *w = words[xorshift(&seed) % (sizeof words / sizeof words[0])];
			size_t wl = strlen(w);
			if (len + wl + 2 >= sizeof text)
				break;
			memcpy(text + len, w, wl);
			len += wl;
			text[len++] = ' ';
		}
		unsigned nerrors;
		char *r = errors_of(text, len, &nerrors);
		free(r);
	}
}

/* ---- caps ---- */

/* Builds "sbxpol 1;" + prefix + n * item + suffix. */
static char *repeat(const char *prefix, const char *item, size_t n, const char *suffix)
{
	size_t il = strlen(item), len = 16 + strlen(prefix) + il * n + strlen(suffix);
	char *text = malloc(len);
	cr_assert(text);
	char *p = text + sprintf(text, "sbxpol 1;\n%s", prefix);
	for (size_t i = 0; i < n; i++, p += il)
		memcpy(p, item, il);
	strcpy(p, suffix);
	return text;
}

static void expect_cap(char *text, const char *want)
{
	unsigned nerrors;
	char *r = errors_of(text, strlen(text), &nerrors);
	cr_expect_eq(nerrors, 1, "%s", r);
	cr_expect(strstr(r, want), "want %s, got:\n%.300s", want, r);
	free(r);
	free(text);
}

Test(parser, caps)
{
	expect_cap(repeat("", "import \"x\";", SBX_MAX_IMPORTS + 1, ""),
	           "error: too many imports in one file (limit is 256)\n");
	expect_cap(repeat("", "policy a {}\n", SBX_MAX_POLICIES + 1, ""),
	           "test.sbxpol:1026:1: error: too many policies in one file (limit is 1024)\n");
	char want[100];
	snprintf(want, sizeof want, "error: too many statements in policy 'a' (limit is %d)\n", SBX_MAX_STMTS);
	expect_cap(repeat("policy a {\n", "network online;", SBX_MAX_STMTS + 1, "}"), want);
	expect_cap(repeat("policy a { param A", ",A", SBX_MAX_ITEMS, "; }"),
	           "error: too many values in one statement (limit is 65536)\n");
}

Test(parser, at_the_caps_is_fine)
{
	struct sbx_compiler c;
	char *text = repeat("policy a { param A", ",A", SBX_MAX_ITEMS - 1, "; }");
	struct sbx_ast_file *f = parse_ok(&c, text);
	cr_expect_eq(f->policies[0].stmts[0].nitems, SBX_MAX_ITEMS);
	sbx_compiler_free(&c);
	free(text);
	text = repeat("", "policy a {}\n", SBX_MAX_POLICIES, "");
	f = parse_ok(&c, text);
	cr_expect_eq(f->npolicies, SBX_MAX_POLICIES);
	sbx_compiler_free(&c);
	free(text);
}
