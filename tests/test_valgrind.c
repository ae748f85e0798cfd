/*
 * valgrind: sbxc (compile, check, explain, explain --json) on every shipped
 * policy, and sbxrun (its dynamically linked twin sbxrun-dynamic: memcheck
 * cannot follow a static glibc's malloc), run under memcheck with full leak checking.  Any
 * invalid access, use of uninitialised memory or definite/indirect leak
 * makes valgrind exit 99.  Skipped when valgrind is not installed, and in
 * the sanitizer build (ASan-instrumented binaries do not run under it).
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"

#define VALGRIND "valgrind --error-exitcode=99 --leak-check=full " \
	"--errors-for-leak-kinds=definite,indirect --trace-children=no "

static char *DIR_;   /* the test's private directory */

static void up(void)
{
	if (UNDER_ASAN)
		cr_skip_test("the sanitizer build: ASan-instrumented binaries do not run under valgrind");
	if (t_run("command -v valgrind", NULL) != 0)
		cr_skip_test("valgrind is not installed");
	DIR_ = t_tmpdir();
	cr_assert_not_null(DIR_);
}

static void down(void)
{
	if (DIR_) {
		char *cmd = NULL;
		cr_assert(asprintf(&cmd, "rm -rf '%s'", DIR_) > 0);
		t_run(cmd, NULL);
		free(cmd);
	}
	free(DIR_);
	DIR_ = NULL;
}

TestSuite(valgrind, .init = up, .fini = down);

/* Runs `VALGRIND args`; the exit status, the output in *out. */
__attribute__((format(printf, 2, 3)))
static int vg(char **out, const char *fmt, ...)
{
	char *args = NULL, *cmd = NULL;
	va_list ap;
	va_start(ap, fmt);
	cr_assert(vasprintf(&args, fmt, ap) > 0);
	va_end(ap);
	cr_assert(asprintf(&cmd, VALGRIND "%s", args) > 0);
	int rc = t_run(cmd, out);
	free(cmd);
	free(args);
	return rc;
}

/* policies/NAME.sbxpol for each shipped policy, NULL-terminated, sorted. */
static char **shipped_policies(void)
{
	struct dirent **list = NULL;
	int n = scandir(SBX_SOURCE_DIR "/policies", &list, NULL, alphasort);
	cr_assert(n > 0, "no policies/ directory");
	char **out = calloc((size_t)n + 1, sizeof *out);
	cr_assert_not_null(out);
	size_t k = 0;
	for (int i = 0; i < n; i++) {
		size_t len = strlen(list[i]->d_name);
		if (len > 7 && strcmp(list[i]->d_name + len - 7, ".sbxpol") == 0)
			out[k++] = strdup(list[i]->d_name);
		free(list[i]);
	}
	free(list);
	cr_assert_geq(k, 1, "no .sbxpol file in policies/");
	return out;
}

static void free_list(char **list)
{
	for (size_t i = 0; list[i]; i++)
		free(list[i]);
	free(list);
}

/* sbxc compile, check and explain (text and JSON) of one shipped policy. */
static void sbxc_clean(const char *name)
{
	char *src = NULL, *blob = NULL, *out = NULL;
	cr_assert(asprintf(&src, "%s/policies/%s", SBX_SOURCE_DIR, name) > 0);
	cr_assert(asprintf(&blob, "%s/%s.sbxblob", DIR_, name) > 0);
	int rc = vg(&out, SBXC_PATH " compile '%s' --target all -o '%s'", src, blob);
	cr_expect_eq(rc, 0, "sbxc compile %s under valgrind: status %d\n%s", name, rc, out);
	free(out);
	rc = vg(&out, SBXC_PATH " check '%s'", src);
	cr_expect_eq(rc, 0, "sbxc check %s under valgrind: status %d\n%s", name, rc, out);
	free(out);
	rc = vg(&out, SBXC_PATH " explain '%s'", blob);
	cr_expect_eq(rc, 0, "sbxc explain %s under valgrind: status %d\n%s", name, rc, out);
	free(out);
	rc = vg(&out, SBXC_PATH " explain '%s' --json", blob);
	cr_expect_eq(rc, 0, "sbxc explain --json %s under valgrind: status %d\n%s", name, rc, out);
	free(out);
	free(blob);
	free(src);
}

Test(valgrind, sbxc_is_clean_on_every_shipped_policy)
{
	char **names = shipped_policies();
	for (size_t i = 0; names[i]; i++)
		sbxc_clean(names[i]);
	free_list(names);
}

Test(valgrind, sbxc_is_clean_on_its_error_paths)
{
	/* A policy with errors (1), a missing file (3), a file that is no blob (4). */
	char *bad = NULL, *out = NULL;
	cr_assert(asprintf(&bad, "%s/bad.sbxpol", DIR_) > 0);
	const char *text = "sbxpol 1;\npolicy p { writable \"relative\" ; bogus; }\n";
	cr_assert_eq(t_write_file(bad, text, strlen(text)), 0);
	int rc = vg(&out, SBXC_PATH " compile '%s' -o '%s.blob'", bad, bad);
	cr_expect_eq(rc, 1, "status %d\n%s", rc, out);
	free(out);
	rc = vg(&out, SBXC_PATH " compile '%s/missing.sbxpol'", DIR_);
	cr_expect_eq(rc, 3, "status %d\n%s", rc, out);
	free(out);
	rc = vg(&out, SBXC_PATH " explain '%s'", bad);
	cr_expect_eq(rc, 4, "status %d\n%s", rc, out);
	free(out);
	free(bad);
}

/* Compiles policies/workspace-write.sbxpol to DIR_/ww.sbxblob; the path. */
static char *workspace_write_blob(void)
{
	char *blob = NULL, *cmd = NULL;
	cr_assert(asprintf(&blob, "%s/ww.sbxblob", DIR_) > 0);
	cr_assert(asprintf(&cmd, SBXC_PATH " compile '%s/policies/workspace-write.sbxpol' "
	                   "--target linux -o '%s'", SBX_SOURCE_DIR, blob) > 0);
	cr_assert_eq(t_run(cmd, NULL), 0, "%s", cmd);
	free(cmd);
	return blob;
}

Test(valgrind, sbxrun_is_clean_on_its_error_paths)
{
	/* Setup refusals (125) before anything is spawned: a blob that is not
	   one, a missing blob, a bad parameter value. */
	char *blob = workspace_write_blob(), *out = NULL;
	int rc = vg(&out, SBX_BINARY_DIR "/sbxrun-dynamic --policy '%s/policies/common.sbxpol' -- /bin/true",
	            SBX_SOURCE_DIR);
	cr_expect_eq(rc, 125, "status %d\n%s", rc, out);
	free(out);
	rc = vg(&out, SBX_BINARY_DIR "/sbxrun-dynamic --policy '%s/none.sbxblob' -- /bin/true", DIR_);
	cr_expect_eq(rc, 125, "status %d\n%s", rc, out);
	free(out);
	rc = vg(&out, SBX_BINARY_DIR "/sbxrun-dynamic --policy '%s' --var WORKSPACE=relative -- /bin/true",
	        blob);
	cr_expect_eq(rc, 125, "status %d\n%s", rc, out);
	free(out);
	free(blob);
}

Test(valgrind, sbxrun_true_is_clean)
{
	char *blob = workspace_write_blob(), *out = NULL;
	int rc = vg(&out, SBX_BINARY_DIR "/sbxrun-dynamic --cwd '%s' --policy '%s' -- /bin/true", DIR_, blob);
	cr_expect_neq(rc, 99, "valgrind found errors in sbxrun:\n%s", out);
	/* valgrind 3.19 does not know landlock_create_ruleset (444) or
	   pidfd_open (434): it fails them with ENOSYS, so sbxrun refuses to
	   run (125) after a clean setup path.  Only that exact cause skips. */
	if (rc == 125 && (strstr(out, "unhandled amd64-linux syscall: 444") ||
	                  strstr(out, "unhandled amd64-linux syscall: 434"))) {
		free(out);
		free(blob);
		cr_skip_test("this valgrind does not implement landlock_create_ruleset/pidfd_open "
		             "(ENOSYS), so sbxrun refuses to start the command under it");
	}
	cr_expect_eq(rc, 0, "sbxrun under valgrind: status %d\n%s", rc, out);
	free(out);
	free(blob);
}
