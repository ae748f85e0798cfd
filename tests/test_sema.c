/* test_sema.c - semantic checks: imports, extends, parameters, rules, env, equivalence. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support.h"

#define HDR "sbxpol 1;\n"

/* One compiler run over policy text; everything the test wants to look at. */
struct run {
	struct sbx_compiler c;
	struct sbx_ir_policy ir;
	int rc;
	char *msgs;
};

static void run_opts(struct run *r, const char *text, const char *name, uint32_t targets,
                     const char *const *defines)
{
	memset(r, 0, sizeof *r);
	sbx_compiler_init(&r->c);
	r->c.targets = targets;
	for (; defines && *defines; defines++)
		cr_assert_eq(sbx_compiler_define(&r->c, *defines), 0);
	struct sbx_ast_file *f = t_parse(&r->c, text);
	cr_assert_not_null(f);
	cr_assert_eq(r->c.diags.nerrors, 0, "parse errors: %s", t_render(&r->c));
	r->rc = sbx_sema(&r->c, f, name, &r->ir);
	r->msgs = t_render(&r->c);
	cr_assert_not_null(r->msgs);
}

static void run(struct run *r, const char *text)
{
	run_opts(r, text, NULL, SBX_TARGET_ALL, NULL);
}

static void run_free(struct run *r)
{
	sbx_ir_policy_free(&r->ir);
	free(r->msgs);
	sbx_compiler_free(&r->c);
}

/* Asserts the run failed and printed `line` (a whole rendered header line). */
static void expect_error(const char *text, const char *line)
{
	struct run r;
	run(&r, text);
	cr_assert_eq(r.rc, -1, "accepted:\n%s", text);
	cr_assert_not_null(strstr(r.msgs, line), "expected\n%s\nin\n%s", line, r.msgs);
	cr_assert_eq(r.ir.nrules, 0);
	cr_assert_null(r.ir.name);
	run_free(&r);
}

/* Asserts the run succeeded and printed `line`. */
static void expect_warning(const char *text, const char *line)
{
	struct run r;
	run(&r, text);
	cr_assert_eq(r.rc, 0, "rejected:\n%s\n%s", text, r.msgs);
	cr_assert_not_null(strstr(r.msgs, line), "expected\n%s\nin\n%s", line, r.msgs);
	run_free(&r);
}

static void expect_clean(struct run *r, const char *text)
{
	run(r, text);
	cr_assert_eq(r->rc, 0, "rejected:\n%s\n%s", text, r->msgs);
	cr_assert_str_eq(r->msgs, "", "unexpected messages for\n%s\n%s", text, r->msgs);
}

static const struct sbx_ir_rule *rule_at(const struct sbx_ir_policy *p, const char *param,
                                         const char *suffix)
{
	for (size_t i = 0; i < p->nrules; i++) {
		const struct sbx_ir_rule *r = &p->rules[i];
		const char *pn = r->path.param == SBX_NONE ? NULL : p->params[r->path.param].name;
		if (!strcmp(r->path.suffix, suffix) && ((!pn && !param) || (pn && param && !strcmp(pn, param))))
			return r;
	}
	return NULL;
}

static const struct sbx_ir_env *env_find(const struct sbx_ir_policy *p, enum sbx_env_opcode op,
                                         const char *name)
{
	for (size_t i = 0; i < p->nenv; i++)
		if (p->env[i].op == op && !strcmp(p->env[i].name, name))
			return &p->env[i];
	return NULL;
}

/* Two texts compile (policy NULL) to equal IRs. */
static void expect_same(const char *a, const char *b)
{
	struct run ra, rb;
	run(&ra, a);
	run(&rb, b);
	cr_assert_eq(ra.rc, 0, "%s", ra.msgs);
	cr_assert_eq(rb.rc, 0, "%s", rb.msgs);
	cr_assert(sbx_ir_equal(&ra.ir, &rb.ir), "different IRs for\n%s\nand\n%s", a, b);
	run_free(&ra);
	run_free(&rb);
}

/* ---- the IR of a simple policy ---- */

Test(sema, docs_example_ir)
{
	struct run r;
	run(&r, HDR
	    "policy workspace-write {\n"
	    "    param WORKSPACE, HOME, TMPDIR;\n"
	    "    readonly \"/\";\n"
	    "    writable \"${WORKSPACE}\", \"${TMPDIR}\";\n"
	    "    readonly \"${WORKSPACE}/.git\";\n"
	    "    denied   \"${HOME}/.ssh\";\n"
	    "    network offline;\n"
	    "    limit processes 512;\n"
	    "    limit memory 4 GiB;\n"
	    "    limit wall 1h;\n"
	    "    env drop \"*_TOKEN\";\n"
	    "    env set CI = \"1\";\n"
	    "}\n");
	cr_assert_eq(r.rc, 0, "%s", r.msgs);
	cr_assert_str_eq(r.msgs, "");
	cr_assert_str_eq(r.ir.name, "workspace-write");
	cr_assert_eq(r.ir.nparams, 3);
	cr_assert_str_eq(r.ir.params[0].name, "HOME");
	cr_assert_str_eq(r.ir.params[1].name, "TMPDIR");
	cr_assert_str_eq(r.ir.params[2].name, "WORKSPACE");
	for (size_t i = 0; i < 3; i++)
		cr_assert_eq(r.ir.params[i].flags, SBX_PARAM_F_BUILTIN);
	cr_assert_eq(r.ir.nrules, 5);
	/* literal first, then by parameter index, then suffix */
	cr_assert_eq(r.ir.rules[0].path.param, SBX_NONE);
	cr_assert_str_eq(r.ir.rules[0].path.suffix, "/");
	cr_assert_eq(r.ir.rules[0].path.platforms, SBX_PLAT_LINUX);
	cr_assert_eq(r.ir.rules[1].path.param, 0);
	cr_assert_str_eq(r.ir.rules[1].path.suffix, "/.ssh");
	cr_assert_eq(r.ir.rules[1].kind, SBX_FS_DENIED);
	cr_assert_eq(r.ir.rules[1].path.platforms, SBX_TARGET_ALL);
	cr_assert_eq(r.ir.rules[2].path.param, 1);
	cr_assert_eq(r.ir.rules[3].path.param, 2);
	cr_assert_str_eq(r.ir.rules[3].path.suffix, "");
	cr_assert_eq(r.ir.rules[3].kind, SBX_FS_WRITABLE);
	cr_assert_str_eq(r.ir.rules[4].path.suffix, "/.git");
	cr_assert_eq(r.ir.rules[4].kind, SBX_FS_READONLY);
	cr_assert_eq(r.ir.rules[4].flags, 0);
	cr_assert_eq(r.ir.rules[4].loc.line, 6);
	cr_assert_eq(r.ir.network, SBX_NET_OFFLINE);
	cr_assert_eq(r.ir.limits.max_processes, 512);
	cr_assert_eq(r.ir.limits.memory_bytes, 4ull << 30);
	cr_assert_eq(r.ir.limits.cpu_seconds, 0);
	cr_assert_eq(r.ir.limits.wall_seconds, 3600);
	cr_assert_eq(r.ir.best_effort, 0);
	cr_assert_eq(r.ir.targets, SBX_TARGET_ALL);
	run_free(&r);
}

Test(sema, defaults)
{
	struct run r;
	expect_clean(&r, HDR "policy p { readonly \"/usr\"; }\n");
	cr_assert_eq(r.ir.network, SBX_NET_OFFLINE);
	cr_assert_eq(r.ir.best_effort, 0);
	cr_assert_eq(r.ir.userns_allowed, 0, "new user namespaces are refused unless allowed");
	cr_assert_eq(r.ir.limits.max_processes + r.ir.limits.memory_bytes + r.ir.limits.cpu_seconds +
	             r.ir.limits.wall_seconds, 0);
	cr_assert_eq(r.ir.nparams, 0);
	run_free(&r);
}

Test(sema, picks_policy_by_name_or_first)
{
	const char *text = HDR "policy a { readonly \"/a\"; }\npolicy b { readonly \"/b\"; }\n";
	struct run r;
	run_opts(&r, text, "b", SBX_TARGET_ALL, NULL);
	cr_assert_eq(r.rc, 0);
	cr_assert_str_eq(r.ir.name, "b");
	run_free(&r);
	run(&r, text);
	cr_assert_str_eq(r.ir.name, "a");
	run_free(&r);
	run_opts(&r, text, "c", SBX_TARGET_ALL, NULL);
	cr_assert_eq(r.rc, -1);
	cr_assert_str_eq(r.msgs, "sbxc: error: no policy named 'c'; the policies are: a, b\n");
	run_free(&r);
}

Test(sema, no_policy)
{
	struct run r;
	run(&r, HDR);
	cr_assert_eq(r.rc, -1);
	cr_assert_str_eq(r.msgs, "sbxc: error: 'test.sbxpol' defines no policy\n");
	run_free(&r);
}

/* ---- extends ---- */

Test(sema, extends_overrides_and_inherits)
{
	struct run r;
	run_opts(&r, HDR
	    "policy base {\n"
	    "    param WORKSPACE;\n"
	    "    readonly \"/\";\n"
	    "    readonly \"${WORKSPACE}\";\n"
	    "    network online;\n"
	    "    limit memory 1 GiB;\n"
	    "    limit processes 10;\n"
	    "    env keep \"PATH\";\n"
	    "    env set A = \"1\";\n"
	    "    env set B = \"1\";\n"
	    "}\n"
	    "policy mid extends base { limit cpu 5s; }\n"
	    "policy child extends mid {\n"
	    "    writable \"${WORKSPACE}\";\n"
	    "    denied \"/etc/shadow\";\n"
	    "    network offline;\n"
	    "    limit memory none;\n"
	    "    limit processes 20;\n"
	    "    env keep \"HOME\";\n"
	    "    env set B = \"2\";\n"
	    "    enforcement best-effort;\n"
	    "}\n", "child", SBX_TARGET_ALL, NULL);
	cr_assert_eq(r.rc, 0, "%s", r.msgs);
	cr_assert_str_eq(r.msgs, "");
	const struct sbx_ir_rule *ws = rule_at(&r.ir, "WORKSPACE", "");
	cr_assert_not_null(ws);
	cr_assert_eq(ws->kind, SBX_FS_WRITABLE);
	cr_assert_eq(ws->flags, 0);
	cr_assert_eq(ws->loc.line, 15);
	const struct sbx_ir_rule *root = rule_at(&r.ir, NULL, "/");
	cr_assert_eq(root->flags, SBX_IR_RULE_INHERITED);
	cr_assert_eq(rule_at(&r.ir, NULL, "/etc/shadow")->flags, 0);
	cr_assert_eq(r.ir.nrules, 3);
	cr_assert_eq(r.ir.network, SBX_NET_OFFLINE);
	cr_assert_eq(r.ir.limits.memory_bytes, 0);
	cr_assert_eq(r.ir.limits.max_processes, 20);
	cr_assert_eq(r.ir.limits.cpu_seconds, 5);
	cr_assert_eq(r.ir.best_effort, 1);
	cr_assert_not_null(env_find(&r.ir, SBX_ENV_KEEP, "PATH"));
	cr_assert_not_null(env_find(&r.ir, SBX_ENV_KEEP, "HOME"));
	cr_assert_null(env_find(&r.ir, SBX_ENV_KEEP, "*"));
	cr_assert_str_eq(env_find(&r.ir, SBX_ENV_SET, "A")->value, "1");
	cr_assert_str_eq(env_find(&r.ir, SBX_ENV_SET, "B")->value, "2");
	run_free(&r);
}

Test(sema, extends_errors)
{
	expect_error(HDR "policy a extends b { }\npolicy b extends c { }\npolicy c extends a { }\n",
	             "test.sbxpol:2:18: error: extends cycle: a -> b -> c -> a\n");
	expect_error(HDR "policy a extends a { }\n",
	             "test.sbxpol:2:18: error: extends cycle: a -> a\n");
	expect_error(HDR "policy x extends y { }\n",
	             "test.sbxpol:2:18: error: policy 'x' extends unknown policy 'y'\n");
	expect_error(HDR "policy a { }\npolicy a { }\n",
	             "test.sbxpol:3:8: error: policy 'a' is defined twice\n");
}

Test(sema, extends_cycle_reported_once)
{
	struct run r;
	run(&r, HDR "policy a extends b { }\npolicy b extends a { }\n");
	cr_assert_eq(r.rc, -1);
	cr_assert_eq(r.c.diags.nerrors, 1, "%s", r.msgs);
	run_free(&r);
}

Test(sema, duplicate_policy_has_note)
{
	struct run r;
	run(&r, HDR "policy a { }\npolicy a { }\n");
	cr_assert_not_null(strstr(r.msgs, "test.sbxpol:2:8: note: the first definition is here\n"), "%s", r.msgs);
	run_free(&r);
}

/* ---- parameters ---- */

Test(sema, param_errors)
{
	expect_error(HDR "policy p {\n  readonly \"${X}/a\";\n}\n",
	             "test.sbxpol:3:12: error: parameter 'X' is not declared; add 'param X;' to the policy\n");
	expect_error(HDR "policy p {\n  param X;\n  readonly \"/a/${X}\";\n}\n",
	             "test.sbxpol:4:12: error: a parameter can only begin a path\n");
	expect_error(HDR "policy p {\n  param X;\n  readonly \"${X\";\n}\n",
	             "test.sbxpol:4:12: error: '${' is not closed by '}'\n");
	expect_error(HDR "policy p {\n  readonly \"${}\";\n}\n",
	             "test.sbxpol:3:12: error: empty parameter name in '${}'\n");
	expect_error(HDR "policy p {\n  param X;\n  readonly \"${X}/..\";\n}\n",
	             "test.sbxpol:4:12: error: '..' goes above the parameter ${X}\n");
}

Test(sema, param_declared_in_parent)
{
	struct run r;
	run_opts(&r, HDR "policy a { param X; readonly \"${X}\"; }\n"
	         "policy b extends a { writable \"${X}/out\"; }\n", "b", SBX_TARGET_ALL, NULL);
	cr_assert_eq(r.rc, 0, "%s", r.msgs);
	cr_assert_eq(r.ir.nparams, 1);
	cr_assert_eq(r.ir.params[0].flags, 0);
	run_free(&r);
}

Test(sema, param_unused_and_twice)
{
	expect_warning(HDR "policy p {\n  param A, B;\n  readonly \"${A}\";\n}\n",
	               "test.sbxpol:3:12: warning: parameter 'B' is declared but not used\n");
	expect_warning(HDR "policy p {\n  param A, A;\n  readonly \"${A}\";\n}\n",
	               "test.sbxpol:3:12: warning: parameter 'A' is declared twice\n");
	/* an unused parameter does not reach the IR */
	struct run r;
	run(&r, HDR "policy p { param A, B; readonly \"${A}\"; }\n");
	cr_assert_eq(r.ir.nparams, 1);
	run_free(&r);
}

Test(sema, too_many_params)
{
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	fputs(HDR "policy p {\n", m);
	for (int i = 0; i < 65; i++)
		fprintf(m, "  param P%d; readonly \"${P%d}\";\n", i, i);
	fputs("}\n", m);
	fclose(m);
	struct run r;
	run(&r, text);
	cr_assert_eq(r.rc, -1);
	cr_assert_not_null(strstr(r.msgs, "error: too many parameters (limit is 64)"), "%s", r.msgs);
	run_free(&r);
	free(text);
}

Test(sema, define_binds_at_compile_time)
{
	static const char *const defs[] = { "WORKSPACE=/home/u/proj/", NULL };
	struct run r;
	run_opts(&r, HDR "policy p {\n  param WORKSPACE, TMPDIR;\n"
	         "  writable \"${WORKSPACE}\", \"${TMPDIR}\";\n"
	         "  readonly \"${WORKSPACE}/./.git/../.git\";\n}\n", NULL, SBX_TARGET_ALL, defs);
	cr_assert_eq(r.rc, 0, "%s", r.msgs);
	cr_assert_str_eq(r.msgs, "");
	cr_assert_eq(r.ir.nparams, 1);
	cr_assert_str_eq(r.ir.params[0].name, "TMPDIR");
	const struct sbx_ir_rule *ws = rule_at(&r.ir, NULL, "/home/u/proj");
	cr_assert_not_null(ws);
	cr_assert_eq(ws->path.platforms, SBX_PLAT_LINUX);
	cr_assert_not_null(rule_at(&r.ir, NULL, "/home/u/proj/.git"));
	cr_assert_eq(rule_at(&r.ir, "TMPDIR", "")->path.param, 0);
	cr_assert_eq(r.c.defines[0].used, 1);
	run_free(&r);
}

Test(sema, define_drive_value_and_errors)
{
	static const char *const drive[] = { "W=c:\\work", NULL };
	struct run r;
	run_opts(&r, HDR "policy p { param W; writable \"${W}/out\"; }\n", NULL, SBX_TARGET_ALL, drive);
	cr_assert_eq(r.rc, 0, "%s", r.msgs);
	cr_assert_not_null(rule_at(&r.ir, NULL, "C:/work/out"));
	cr_assert_eq(r.ir.rules[0].path.platforms, SBX_PLAT_WINDOWS);
	run_free(&r);

	static const char *const rel[] = { "W=work", NULL };
	run_opts(&r, HDR "policy p { param W; writable \"${W}/out\"; }\n", NULL, SBX_TARGET_ALL, rel);
	cr_assert_eq(r.rc, -1);
	cr_assert_str_eq(r.msgs, "sbxc: error: -D W: 'work' is not an absolute path\n");
	run_free(&r);

	static const char *const unused[] = { "NOPE=/x", NULL };
	run_opts(&r, HDR "policy p { readonly \"/\"; }\n", NULL, SBX_TARGET_ALL, unused);
	cr_assert_eq(r.rc, 0);
	cr_assert_str_eq(r.msgs, "sbxc: warning: -D NOPE is not used by policy 'p'\n");
	run_free(&r);

	static const char *const root[] = { "W=/", NULL };
	run_opts(&r, HDR "policy p {\n  param W;\n  readonly \"${W}/a/../..\";\n}\n", NULL,
	         SBX_TARGET_ALL, root);
	cr_assert_eq(r.rc, -1);
	cr_assert_not_null(strstr(r.msgs, "test.sbxpol:4:12: error: '..' goes above the parameter ${W}\n"),
	                   "%s", r.msgs);
	run_free(&r);
}

/* ---- paths and rules ---- */

Test(sema, path_errors)
{
	expect_error(HDR "policy p {\n  readonly \"usr\";\n}\n",
	             "test.sbxpol:3:12: error: a path must be absolute or begin with a parameter such as "
	             "${WORKSPACE}\n");
	expect_error(HDR "policy p {\n  readonly \"/usr\", \"\";\n}\n",
	             "test.sbxpol:3:20: error: empty path\n");
	expect_error(HDR "policy p {\n  denied \"/..\";\n}\n",
	             "test.sbxpol:3:10: error: '..' goes above the root\n");
	expect_error(HDR "policy p {\n  denied \"/a\\nb\";\n}\n",
	             "test.sbxpol:3:10: error: a path cannot contain control characters\n");
	expect_error(HDR "policy p {\n  readonly \"C:/x/CON.txt\";\n}\n",
	             "test.sbxpol:3:12: error: 'CON.txt' is a reserved device name in Windows paths\n");
	expect_error(HDR "policy p {\n  readonly \"C:/x/file:stream\";\n}\n",
	             "test.sbxpol:3:12: error: alternate data streams (':') are not allowed in Windows paths\n");
	expect_error(HDR "policy p {\n  param W;\n  readonly \"${W}/a.\";\n}\n",
	             "test.sbxpol:4:12: error: 'a.' ends with '.', which Windows paths do not allow\n");
	expect_error(HDR "policy p {\n  readonly \"\\\\\\\\server\\\\share\";\n}\n",
	             "test.sbxpol:3:12: error: UNC paths ('\\\\server\\share') are not allowed in Windows paths\n");
}

Test(sema, windows_checks_skipped_for_linux_target)
{
	struct run r;
	run_opts(&r, HDR "policy p { param W; readonly \"${W}/a.\", \"${W}/nul\", \"${W}/x:y\"; }\n",
	         NULL, SBX_TARGET_LINUX, NULL);
	cr_assert_eq(r.rc, 0, "%s", r.msgs);
	cr_assert_eq(r.ir.nrules, 3);
	cr_assert_eq(r.ir.rules[0].path.platforms, SBX_PLAT_LINUX);
	cr_assert_eq(r.ir.targets, SBX_TARGET_LINUX);
	run_free(&r);
}

Test(sema, private_paths)
{
	expect_error(HDR "policy p {\n  param T;\n  private \"${T}\";\n}\n",
	             "test.sbxpol:4:11: error: a private path must be a literal Linux path other than "
	             "\"/\": a parameter's value is only known at spawn time\n");
	expect_error(HDR "policy p {\n  private \"/\";\n}\n",
	             "error: a private path must be a literal Linux path other than \"/\": the whole "
	             "file system cannot be replaced\n");
	expect_error(HDR "policy p {\n  private \"C:/Temp\";\n}\n",
	             "error: a private path must be a literal Linux path other than \"/\": it needs a "
	             "mount namespace, which Windows does not have\n");
	expect_error(HDR "policy p {\n  private \"/tmp\";\n  readonly \"/tmp/a/b\";\n}\n",
	             "test.sbxpol:4:12: error: this readonly rule is inside the private path '/tmp', "
	             "which starts empty in the sandbox: the rule would have nothing to act on\n");
	expect_error(HDR "policy p {\n  private \"/tmp\", \"/tmp/x\";\n}\n",
	             "error: this private rule is inside the private path '/tmp'");
	expect_error(HDR "policy p {\n  denied \"/srv\";\n  private \"/srv/tmp\";\n}\n",
	             "test.sbxpol:4:11: error: this private path is inside the denied path '/srv'; "
	             "deny the paths around it instead\n");
	expect_error(HDR "policy p {\n  private \"/tmp\";\n  writable \"/tmp\";\n}\n",
	             "error: conflicting rules: this path is both private and writable\n");
	/* A denied path inside one has nothing to hide, and a parameter is decided at spawn time. */
	struct run r;
	expect_clean(&r, HDR "policy p {\n  param T;\n  readonly \"/\";\n  private \"/tmp\";\n"
	             "  denied \"/tmp/.X11-unix\";\n  writable \"${T}\";\n}\n");
	cr_assert_not_null(rule_at(&r.ir, NULL, "/tmp"));
	cr_assert_eq(rule_at(&r.ir, NULL, "/tmp")->kind, SBX_FS_PRIVATE);
	run_free(&r);
	/* An extending policy may give the host's /tmp back. */
	expect_clean(&r, HDR "policy b extends a {\n  writable \"/tmp\";\n}\n"
	             "policy a {\n  private \"/tmp\";\n}\n");
	cr_assert_eq(rule_at(&r.ir, NULL, "/tmp")->kind, SBX_FS_WRITABLE);
	run_free(&r);
}

Test(sema, conflicts)
{
	expect_error(HDR "policy p {\n  readonly \"/a\";\n  writable \"/a/\";\n}\n",
	             "test.sbxpol:4:12: error: conflicting rules: this path is both readonly and writable\n");
	expect_error(HDR "policy p {\n  param W;\n  readonly \"${W}/.git\";\n  writable \"${W}/.GIT\";\n}\n",
	             "test.sbxpol:5:12: error: '${W}/.GIT' (writable) and '${W}/.git' (readonly) differ "
	             "only in case: they conflict on Windows, where paths are case-insensitive\n");
	expect_error(HDR "policy p {\n  readonly \"C:/Tools\";\n  denied \"c:\\\\tools\";\n}\n",
	             "test.sbxpol:4:10: error: 'C:/tools' (denied) and 'C:/Tools' (readonly) differ only "
	             "in case: they conflict on Windows, where paths are case-insensitive\n");
	struct run r;
	run(&r, HDR "policy p {\n  readonly \"/a\";\n  writable \"/a/\";\n}\n");
	cr_assert_not_null(strstr(r.msgs, "test.sbxpol:3:12: note: the readonly rule is here\n"), "%s", r.msgs);
	run_free(&r);
}

Test(sema, case_differences_fine_on_linux)
{
	struct run r;
	run_opts(&r, HDR "policy p { param W; readonly \"${W}/.git\"; writable \"${W}/.GIT\"; "
	         "readonly \"/a\"; writable \"/A\"; }\n", NULL, SBX_TARGET_LINUX, NULL);
	cr_assert_eq(r.rc, 0, "%s", r.msgs);
	cr_assert_eq(r.ir.nrules, 4);
	run_free(&r);
	/* POSIX literal paths are Linux only, so case never matters for them */
	run(&r, HDR "policy p { readonly \"/a\"; writable \"/A\"; }\n");
	cr_assert_eq(r.rc, 0, "%s", r.msgs);
	run_free(&r);
}

Test(sema, child_may_change_kind)
{
	struct run r;
	run_opts(&r, HDR "policy a { readonly \"/x\"; }\npolicy b extends a { denied \"/x/\"; }\n",
	         "b", SBX_TARGET_ALL, NULL);
	cr_assert_eq(r.rc, 0, "%s", r.msgs);
	cr_assert_eq(r.ir.nrules, 1);
	cr_assert_eq(r.ir.rules[0].kind, SBX_FS_DENIED);
	cr_assert_eq(r.ir.rules[0].flags, 0);
	run_free(&r);
}

Test(sema, warnings)
{
	expect_warning(HDR "policy p {\n  readonly \"/a\";\n  readonly \"/a/./\";\n}\n",
	               "test.sbxpol:4:12: warning: duplicate rule: this path is already readonly\n");
	expect_warning(HDR "policy p {\n  readonly \"/\";\n  readonly \"/usr\";\n}\n",
	               "test.sbxpol:4:12: warning: redundant rule: this path is already readonly through '/'\n");
	expect_warning(HDR "policy p {\n  param W;\n  writable \"${W}\";\n  denied \"${W}/a\";\n"
	               "  denied \"${W}/a/b\";\n}\n",
	               "test.sbxpol:6:10: warning: redundant rule: this path is already denied through '${W}/a'\n");
	expect_warning(HDR "policy p {\n  writable \"/\";\n}\n",
	               "test.sbxpol:3:12: warning: writable '/' lets the command change the whole system\n");
	expect_warning(HDR "policy p {\n  param HOME;\n  writable \"${HOME}/\";\n}\n",
	               "test.sbxpol:4:12: warning: writable ${HOME} lets the command change every file in "
	               "the home directory\n");
	expect_warning(HDR "policy p {\n  readonly \"/\";\n  limit memory 1GiB;\n  limit memory 1GiB;\n}\n",
	               "test.sbxpol:5:3: warning: duplicate 'limit memory' statement\n");
	expect_warning(HDR "policy b extends a {\n  readonly \"/x\";\n}\npolicy a { readonly \"/x\"; }\n",
	               "test.sbxpol:3:12: warning: duplicate rule: policy 'a' already makes this path readonly\n");
}

Test(sema, drive_paths_differing_in_case)
{
	expect_warning(HDR "policy p {\n  readonly \"C:/Tools\";\n  readonly \"c:/tools\";\n}\n",
	               "test.sbxpol:4:12: warning: duplicate rule: 'C:/tools' and 'C:/Tools' are the same "
	               "path on Windows, where paths are case-insensitive\n");
	/* parameter paths still differ on Linux: no warning */
	struct run r;
	expect_clean(&r, HDR "policy p { param W; readonly \"${W}/a\", \"${W}/A\"; }\n");
	cr_assert_eq(r.ir.nrules, 2);
	run_free(&r);
}

Test(sema, no_redundancy_across_kinds)
{
	struct run r;
	/* the child undoes the parent's read-only carve-out: not redundant */
	expect_clean(&r, HDR "policy b extends a { writable \"${W}/lock\"; }\n"
	             "policy a { param W; writable \"${W}\"; readonly \"${W}/lock\"; }\n");
	cr_assert_eq(rule_at(&r.ir, "W", "/lock")->kind, SBX_FS_WRITABLE);
	run_free(&r);
	expect_clean(&r, HDR "policy p { param W; readonly \"/\"; writable \"/tmp\"; readonly \"/tmp/x\"; "
	             "writable \"${W}\"; readonly \"${W}/.git\"; writable \"${W}/.git/hooks\"; }\n");
	run_free(&r);
}

Test(sema, dropped_for_target)
{
	struct run r;
	run_opts(&r, HDR "policy p {\n  readonly \"/usr\", \"C:/Windows\";\n}\n", NULL, SBX_TARGET_LINUX, NULL);
	cr_assert_eq(r.rc, 0, "%s", r.msgs);
	cr_assert_str_eq(r.msgs, "test.sbxpol:3:20: warning: rule dropped: 'C:/Windows' is a Windows "
	                 "path, and Windows is not a compile target (so are any other Windows paths "
	                 "of this policy)\n"
	                 "      readonly \"/usr\", \"C:/Windows\";\n"
	                 "                       ^~~~~~~~~~~~\n");
	cr_assert_eq(r.ir.nrules, 1);
	run_free(&r);
	/* One warning per policy, not one per dropped rule. */
	run_opts(&r, HDR "policy p { readonly \"/usr\", \"C:/a\", \"C:/b\"; denied \"D:/c\"; }\n", NULL,
	         SBX_TARGET_LINUX, NULL);
	cr_assert_eq(r.ir.nrules, 1);
	cr_assert_not_null(strstr(r.msgs, "'C:/a'"), "%s", r.msgs);
	cr_assert_null(strstr(r.msgs, "'C:/b'"), "%s", r.msgs);
	cr_assert_null(strstr(r.msgs, "'D:/c'"), "%s", r.msgs);
	run_free(&r);
	run_opts(&r, HDR "policy p { readonly \"/usr\", \"C:/Windows\"; }\n", NULL, SBX_TARGET_WINDOWS, NULL);
	cr_assert_eq(r.ir.nrules, 1);
	cr_assert_str_eq(r.ir.rules[0].path.suffix, "C:/Windows");
	cr_assert_not_null(strstr(r.msgs, "'/usr' is a Linux path, and Linux is not a compile target"));
	run_free(&r);
}

/* ---- scalars ---- */

Test(sema, scalar_errors)
{
	expect_error(HDR "policy p {\n  network allow \"example.com:443\";\n}\n",
	             "test.sbxpol:3:3: error: network allow-lists are not supported yet; use 'network "
	             "offline' or 'network online'\n");
	expect_error(HDR "policy p {\n  network offline;\n  network online;\n}\n",
	             "test.sbxpol:4:3: error: conflicting 'network' statements in one policy\n");
	expect_error(HDR "policy p {\n  enforcement strict;\n  enforcement best-effort;\n}\n",
	             "test.sbxpol:4:3: error: conflicting 'enforcement' statements in one policy\n");
	expect_error(HDR "policy p {\n  user-namespaces allow;\n  user-namespaces deny;\n}\n",
	             "test.sbxpol:4:3: error: conflicting 'user-namespaces' statements in one policy\n");
}

/* The nearest statement in the chain wins, like network and enforcement. */
Test(sema, user_namespaces_inherit_and_override)
{
	struct run r;
	expect_clean(&r, HDR "policy a {\n  user-namespaces allow;\n}\n"
	             "policy b extends a { readonly \"/\"; }\n"
	             "policy c extends b {\n  user-namespaces deny;\n}\n");
	cr_assert_eq(r.ir.userns_allowed, 1, "the first policy of the file");
	run_free(&r);
	run_opts(&r, HDR "policy a {\n  user-namespaces allow;\n}\n"
	         "policy b extends a { readonly \"/\"; }\n", "b", SBX_TARGET_ALL, NULL);
	cr_assert_eq(r.rc, 0, "%s", r.msgs);
	cr_assert_eq(r.ir.userns_allowed, 1, "inherited");
	run_free(&r);
	run_opts(&r, HDR "policy a {\n  user-namespaces allow;\n}\n"
	         "policy c extends a {\n  user-namespaces deny;\n}\n", "c", SBX_TARGET_ALL, NULL);
	cr_assert_eq(r.rc, 0, "%s", r.msgs);
	cr_assert_eq(r.ir.userns_allowed, 0, "overridden");
	run_free(&r);
}

/* ---- environment ---- */

Test(sema, env_defaults)
{
	struct run r;
	expect_clean(&r, HDR "policy p { env drop \"*_TOKEN\", \"FOO\"; env set CI = \"1\"; }\n");
	const struct sbx_ir_env *keep = env_find(&r.ir, SBX_ENV_KEEP, "*");
	cr_assert_not_null(keep);
	cr_assert_eq(keep->flags, SBX_ENV_F_DEFAULT);
	/* the policy's own drop of a built-in pattern is not a default */
	cr_assert_eq(env_find(&r.ir, SBX_ENV_DROP, "*_TOKEN")->flags, 0);
	cr_assert_eq(env_find(&r.ir, SBX_ENV_DROP, "FOO")->flags, SBX_ENV_F_EXACT);
	cr_assert_eq(env_find(&r.ir, SBX_ENV_DROP, "LD_PRELOAD")->flags,
	             SBX_ENV_F_DEFAULT | SBX_ENV_F_EXACT);
	cr_assert_eq(env_find(&r.ir, SBX_ENV_DROP, "*PASSWORD*")->flags, SBX_ENV_F_DEFAULT);
	cr_assert_str_eq(env_find(&r.ir, SBX_ENV_SET, "CI")->value, "1");
	/* 1 keep + 16 built-in drops + FOO + 1 set, sorted by (op, name), no repeats */
	cr_assert_eq(r.ir.nenv, 19);
	for (size_t i = 1; i < r.ir.nenv; i++) {
		const struct sbx_ir_env *a = &r.ir.env[i - 1], *b = &r.ir.env[i];
		cr_assert(a->op < b->op || (a->op == b->op && strcmp(a->name, b->name) < 0));
	}
	run_free(&r);
}

Test(sema, env_keep_replaces_default_keep)
{
	struct run r;
	expect_clean(&r, HDR "policy p { env keep \"GITHUB_TOKEN\", \"LC_*\"; }\n");
	cr_assert_null(env_find(&r.ir, SBX_ENV_KEEP, "*"));
	cr_assert_eq(env_find(&r.ir, SBX_ENV_KEEP, "GITHUB_TOKEN")->flags, SBX_ENV_F_EXACT);
	cr_assert_eq(env_find(&r.ir, SBX_ENV_KEEP, "LC_*")->flags, 0);
	run_free(&r);
}

Test(sema, env_errors)
{
	expect_error(HDR "policy p {\n  env keep \"A-B\";\n}\n",
	             "test.sbxpol:3:12: error: 'A-B' is not a valid environment variable pattern (use "
	             "letters, digits, '_', '*' and '?')\n");
	expect_error(HDR "policy p {\n  env set X = \"1\";\n  env set X = \"2\";\n}\n",
	             "test.sbxpol:4:11: error: environment variable 'X' is set twice in this policy\n");
	expect_error(HDR "policy p {\n  env drop \"\";\n}\n",
	             "test.sbxpol:3:12: error: empty environment variable pattern\n");
}

/* ---- equivalent spellings give equal IRs ---- */

Test(sema, equivalent_spellings)
{
	expect_same(HDR "policy p { param W; readonly \"/\"; writable \"${W}\"; denied \"${W}/.ssh\"; }\n",
	            HDR "# reordered and respelled\n"
	                "policy q {\n"
	                "  denied \"${W}/a/../.ssh/\";\n"
	                "  writable   \"${W}/.\" ;\n"
	                "  readonly \"//./\";\n"
	                "  param W;\n"
	                "}\n");
	expect_same(HDR "policy p { readonly \"C:/tools\"; env keep \"A\", \"B\"; limit wall 60s; }\n",
	            HDR "policy p { limit wall 1m; env keep \"B\"; env keep \"A\", \"A\"; "
	                "readonly \"c:\\\\tools\\\\\"; }\n");
	/* a child repeating an inherited rule is the same as not writing it */
	expect_same(HDR "policy c extends a { }\npolicy a { readonly \"/usr\"; }\n",
	            HDR "policy c extends a { readonly \"/usr\"; }\npolicy a { readonly \"/usr\"; }\n");
	/* -D spelled through a parameter or written out */
	struct run ra, rb;
	static const char *const defs[] = { "W=/w", NULL };
	run_opts(&ra, HDR "policy p { param W; writable \"${W}/x\"; }\n", NULL, SBX_TARGET_ALL, defs);
	run(&rb, HDR "policy p { writable \"/w/x\"; }\n");
	cr_assert(sbx_ir_equal(&ra.ir, &rb.ir));
	run_free(&ra);
	run_free(&rb);
}

Test(sema, ir_equal_sees_differences)
{
	struct run ra, rb;
	run(&ra, HDR "policy p { readonly \"/a\"; }\n");
	run(&rb, HDR "policy p { writable \"/a\"; }\n");
	cr_assert_not(sbx_ir_equal(&ra.ir, &rb.ir));
	run_free(&rb);
	run(&rb, HDR "policy p { readonly \"/a\"; network online; }\n");
	cr_assert_not(sbx_ir_equal(&ra.ir, &rb.ir));
	run_free(&rb);
	run(&rb, HDR "policy p { readonly \"/a\"; env set X = \"1\"; }\n");
	cr_assert_not(sbx_ir_equal(&ra.ir, &rb.ir));
	run_free(&rb);
	run_free(&ra);
}

/* ---- imports (real files) ---- */

static char *write_in(const char *dir, const char *name, const char *text)
{
	char *path = NULL;
	cr_assert_geq(asprintf(&path, "%s/%s", dir, name), 0);
	cr_assert_eq(t_write_file(path, text, strlen(text)), 0);
	return path;
}

static void remove_tree(char *dir)
{
	char *cmd = NULL;
	cr_assert_geq(asprintf(&cmd, "rm -rf '%s'", dir), 0);
	cr_assert_eq(t_run(cmd, NULL), 0);
	free(cmd);
	free(dir);
}

static void load_and_sema(struct run *r, const char *path, const char *name)
{
	memset(r, 0, sizeof *r);
	sbx_compiler_init(&r->c);
	struct sbx_loc none = { 0 };
	struct sbx_ast_file *f = sbx_load(&r->c, path, none);
	cr_assert_not_null(f, "%s", t_render(&r->c));
	r->rc = sbx_sema(&r->c, f, name, &r->ir);
	r->msgs = t_render(&r->c);
}

Test(sema, import_relative_to_importer)
{
	char *dir = t_tmpdir();
	char sub[512];
	snprintf(sub, sizeof sub, "%s/lib", dir);
	cr_assert_eq(mkdir(sub, 0700), 0);
	free(write_in(sub, "base.sbxpol", HDR "import \"more.sbxpol\";\npolicy base extends more { readonly \"/usr\"; }\n"));
	free(write_in(sub, "more.sbxpol", HDR "policy more { readonly \"/etc\"; }\n"));
	char *top = write_in(dir, "top.sbxpol",
	                     HDR "import \"lib/base.sbxpol\";\nimport \"./lib/more.sbxpol\";\n"
	                     "policy top extends base { writable \"/tmp\"; }\n");
	struct run r;
	load_and_sema(&r, top, NULL);
	cr_assert_eq(r.rc, 0, "%s", r.msgs);
	cr_assert_str_eq(r.ir.name, "top");
	cr_assert_eq(r.ir.nrules, 3);
	cr_assert_eq(r.c.nfiles, 3);   /* more.sbxpol loaded once */
	run_free(&r);
	/* the root from a relative path, importing itself indirectly: still one file */
	char cwd[4096];
	cr_assert_not_null(getcwd(cwd, sizeof cwd));
	cr_assert_eq(chdir(dir), 0);
	free(write_in(dir, "self.sbxpol", HDR "import \"lib/../self.sbxpol\";\npolicy s { readonly \"/\"; }\n"));
	load_and_sema(&r, "self.sbxpol", NULL);
	cr_assert_eq(r.rc, -1);
	cr_assert_not_null(strstr(r.msgs, "self.sbxpol:2:8: error: import cycle: self.sbxpol -> "
	                          "lib/../self.sbxpol\n"), "%s", r.msgs);
	run_free(&r);
	cr_assert_eq(chdir(cwd), 0);
	free(top);
	remove_tree(dir);
}

Test(sema, import_errors)
{
	char *dir = t_tmpdir();
	char *a = write_in(dir, "a.sbxpol", HDR "import \"b.sbxpol\";\npolicy a { readonly \"/\"; }\n");
	free(write_in(dir, "b.sbxpol", HDR "import \"a.sbxpol\";\npolicy b { readonly \"/\"; }\n"));
	struct run r;
	load_and_sema(&r, a, NULL);
	cr_assert_eq(r.rc, -1);
	cr_assert_not_null(strstr(r.msgs, ":2:8: error: import cycle: "), "%s", r.msgs);
	cr_assert_not_null(strstr(r.msgs, "a.sbxpol -> b.sbxpol -> a.sbxpol\n"), "%s", r.msgs);
	run_free(&r);

	char *m = write_in(dir, "m.sbxpol", HDR "import \"missing.sbxpol\";\npolicy m { readonly \"/\"; }\n");
	load_and_sema(&r, m, NULL);
	cr_assert_eq(r.rc, -1);
	char want[1024];
	snprintf(want, sizeof want, "%s:2:8: error: cannot import 'missing.sbxpol': No such file or "
	         "directory\n", m);
	cr_assert_not_null(strstr(r.msgs, want), "%s", r.msgs);
	run_free(&r);

	free(write_in(dir, "c.sbxpol", HDR "policy a { readonly \"/\"; }\n"));
	char *d = write_in(dir, "d.sbxpol", HDR "import \"c.sbxpol\";\npolicy a { readonly \"/\"; }\n");
	load_and_sema(&r, d, "a");
	cr_assert_eq(r.rc, -1);
	cr_assert_not_null(strstr(r.msgs, "error: policy 'a' is defined twice\n"), "%s", r.msgs);
	run_free(&r);
	free(a);
	free(m);
	free(d);
	remove_tree(dir);
}

Test(sema, import_depth_limit)
{
	char *dir = t_tmpdir();
	char name[64], text[256];
	/* f0 imports f1 ... imports f17: 17 levels of import */
	for (int i = 0; i <= 17; i++) {
		snprintf(name, sizeof name, "f%d.sbxpol", i);
		if (i < 17)
			snprintf(text, sizeof text, HDR "import \"f%d.sbxpol\";\npolicy p%d { readonly \"/\"; }\n", i + 1, i);
		else
			snprintf(text, sizeof text, HDR "policy p%d { readonly \"/\"; }\n", i);
		free(write_in(dir, name, text));
	}
	snprintf(name, sizeof name, "%s/f0.sbxpol", dir);
	struct run r;
	load_and_sema(&r, name, NULL);
	cr_assert_eq(r.rc, -1);
	cr_assert_not_null(strstr(r.msgs, "f16.sbxpol:2:8: error: imports nested too deeply (limit is 16)\n"),
	                   "%s", r.msgs);
	run_free(&r);
	/* 16 levels are fine */
	snprintf(name, sizeof name, "%s/f1.sbxpol", dir);
	load_and_sema(&r, name, NULL);
	cr_assert_eq(r.rc, 0, "%s", r.msgs);
	cr_assert_eq(r.c.nfiles, 17);
	run_free(&r);
	remove_tree(dir);
}

/* ---- sbxc check ---- */

Test(sema, check_all_reports_once)
{
	struct sbx_compiler c;
	sbx_compiler_init(&c);
	struct sbx_ast_file *f = t_parse(&c, HDR
	    "policy a {\n  readonly \"/\";\n  readonly \"/usr\";\n  denied \"rel\";\n}\n"
	    "policy b extends a { }\n"
	    "policy c extends a { writable \"/tmp\"; }\n");
	cr_assert_eq(sbx_check_all(&c, f), -1);
	cr_assert_eq(c.diags.nerrors, 1);
	cr_assert_eq(c.diags.nwarnings, 1);
	sbx_compiler_free(&c);

	sbx_compiler_init(&c);
	cr_assert_eq(sbx_compiler_define(&c, "Q=/q"), 0);
	f = t_parse(&c, HDR "policy a { readonly \"/\"; }\npolicy b { param Q; readonly \"${Q}\"; }\n");
	cr_assert_eq(sbx_check_all(&c, f), 0);
	cr_assert_eq(c.diags.nwarnings, 0);
	sbx_compiler_free(&c);
}

Test(sema, more_messages)
{
	expect_error(HDR "policy p {\n  param W;\n  readonly \"${W}x\";\n}\n",
	             "test.sbxpol:4:12: error: a parameter must be followed by '/' or end the path\n");
	expect_error(HDR "policy p {\n  param W;\n  readonly \"${W}/a\\\\bin\";\n}\n",
	             "test.sbxpol:4:12: error: '\\' means different things on Linux and Windows; use '/' "
	             "in paths that begin with a parameter\n");
	expect_error(HDR "policy b extends a {\n  writable \"${W}/.GIT\";\n}\n"
	             "policy a { param W; readonly \"${W}/.git\"; }\n",
	             "test.sbxpol:3:12: error: '${W}/.GIT' (writable) and '${W}/.git' (readonly) differ "
	             "only in case: they conflict on Windows, where paths are case-insensitive\n");
	expect_error(HDR "policy p {\n  readonly \"\\\\\\\\.\\\\pipe\\\\x\";\n}\n",
	             "test.sbxpol:3:12: error: device paths ('\\\\.\\', '\\\\?\\') are not allowed in "
	             "Windows paths\n");
}

Test(sema, broken_path_still_uses_its_parameter)
{
	struct run r;
	run(&r, HDR "policy p {\n  param W;\n  readonly \"${W}/..\";\n}\n");
	cr_assert_eq(r.rc, -1);
	cr_assert_eq(r.c.diags.nwarnings, 0, "%s", r.msgs);
	run_free(&r);
}

Test(sema, check_all_unknown_parent_once_and_unused_define)
{
	struct sbx_compiler c;
	sbx_compiler_init(&c);
	cr_assert_eq(sbx_compiler_define(&c, "NOPE=/x"), 0);
	struct sbx_ast_file *f = t_parse(&c, HDR "policy a extends zz { }\npolicy b extends a { }\n"
	                                     "policy c extends b { }\n");
	cr_assert_eq(sbx_check_all(&c, f), -1);
	char *msgs = t_render(&c);
	cr_assert_str_eq(msgs, "test.sbxpol:2:18: error: policy 'a' extends unknown policy 'zz'\n"
	                 "    policy a extends zz { }\n"
	                 "                     ^~\n"
	                 "sbxc: warning: -D NOPE is not used by any policy\n");
	free(msgs);
	sbx_compiler_free(&c);
}
