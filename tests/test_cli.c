/* The sbxc command line: exit codes, output files, subcommands. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support.h"

static const char good[] =
	"sbxpol 1;\n"
	"policy first { param WORKSPACE; readonly \"/\"; writable \"${WORKSPACE}\"; }\n"
	"policy second { readonly \"/usr\"; network online; }\n";

static const char bad[] =
	"sbxpol 1;\n"
	"policy p {\n"
	"    writable \"relative/path\";\n"
	"    readonly \"${NOPE}/x\";\n"
	"}\n";

static char *dir;

static void setup(void)
{
	dir = t_tmpdir();
	cr_assert_not_null(dir);
}

static void teardown(void)
{
	char *cmd = NULL;
	cr_assert(asprintf(&cmd, "chmod -R u+w %s; rm -rf %s", dir, dir) > 0);
	t_run(cmd, NULL);
	free(cmd);
	free(dir);
}

/* Runs "sbxc ARGS" inside the temporary directory. */
static int sbxc(const char *args, char **out)
{
	char *cmd = NULL;
	cr_assert(asprintf(&cmd, "cd %s && %s %s", dir, SBXC_PATH, args) > 0);
	int rc = t_run(cmd, out);
	free(cmd);
	return rc;
}

static void put(const char *name, const char *text)
{
	char *path = NULL;
	cr_assert(asprintf(&path, "%s/%s", dir, name) > 0);
	cr_assert_eq(t_write_file(path, text, strlen(text)), 0);
	free(path);
}

static int exists(const char *name)
{
	char *path = NULL;
	struct stat st;
	cr_assert(asprintf(&path, "%s/%s", dir, name) > 0);
	int r = stat(path, &st) == 0;
	free(path);
	return r;
}

/* Only the names given are in the directory: no temporary file left behind. */
static void assert_dir_holds(int n)
{
	char *out = NULL;
	char *cmd = NULL;
	cr_assert(asprintf(&cmd, "ls -A %s | wc -l", dir) > 0);
	t_run(cmd, &out);
	cr_assert_eq(atoi(out), n, "directory holds %s entries", out);
	free(out);
	free(cmd);
}

TestSuite(cli, .init = setup, .fini = teardown);

Test(cli, help_documents_exit_codes)
{
	char *out = NULL;
	cr_assert_eq(sbxc("--help", &out), 0);
	cr_assert(strstr(out, "exit status: 0 success, 1 the policy has errors"));
	cr_assert(strstr(out, "sbxc compile IN.sbxpol"));
	free(out);
	cr_assert_eq(sbxc("--version", &out), 0);
	cr_assert(strstr(out, "blob format 1.0"), "%s", out);
	free(out);
}

Test(cli, usage_errors_exit_2)
{
	char *out = NULL;
	cr_assert_eq(sbxc("", &out), 2);
	free(out);
	cr_assert_eq(sbxc("frobnicate x", &out), 2);
	cr_assert(strstr(out, "unknown command 'frobnicate'"), "%s", out);
	free(out);
	cr_assert_eq(sbxc("compile", &out), 2);
	free(out);
	cr_assert_eq(sbxc("compile p.sbxpol --bogus", &out), 2);
	cr_assert(strstr(out, "unknown option '--bogus'"), "%s", out);
	free(out);
	cr_assert_eq(sbxc("compile p.sbxpol --target mac", &out), 2);
	free(out);
	cr_assert_eq(sbxc("compile p.sbxpol -D NOVALUE", &out), 2);
	cr_assert(strstr(out, "NAME=VALUE"), "%s", out);
	free(out);
}

Test(cli, compile_writes_default_output_next_to_input)
{
	put("p.sbxpol", good);
	char *out = NULL;
	cr_assert_eq(sbxc("compile p.sbxpol", &out), 0, "%s", out);
	free(out);
	cr_assert(exists("p.sbxblob"));
	assert_dir_holds(2);
}

Test(cli, compile_error_creates_no_file_and_keeps_the_old_one)
{
	put("bad.sbxpol", bad);
	put("old.sbxblob", "OLD");
	char *out = NULL;
	cr_assert_eq(sbxc("compile bad.sbxpol -o old.sbxblob", &out), 1);
	cr_assert(strstr(out, "bad.sbxpol:3:"), "%s", out);
	cr_assert(strstr(out, "bad.sbxpol:4:"), "expected a second error:\n%s", out);
	free(out);
	char *path = NULL;
	cr_assert(asprintf(&path, "%s/old.sbxblob", dir) > 0);
	char *content = t_read_file(path, NULL);
	cr_assert_str_eq(content, "OLD");
	free(content);
	free(path);
	cr_assert_eq(sbxc("compile bad.sbxpol", &out), 1);
	free(out);
	cr_assert(!exists("bad.sbxblob"));
	assert_dir_holds(2);
}

Test(cli, unwritable_output_directory_is_an_io_error)
{
	/* /proc refuses new files even to root. */
	put("p.sbxpol", good);
	char *out = NULL;
	cr_assert_eq(sbxc("compile p.sbxpol -o /proc/x.sbxblob", &out), 3, "%s", out);
	cr_assert(strstr(out, "cannot create a file next to '/proc/x.sbxblob'"), "%s", out);
	free(out);
	assert_dir_holds(1);
}

Test(cli, output_into_missing_directory_is_an_io_error)
{
	put("p.sbxpol", good);
	char *out = NULL;
	cr_assert_eq(sbxc("compile p.sbxpol -o no/such/dir/x.sbxblob", &out), 3, "%s", out);
	cr_assert(strstr(out, "cannot create"), "%s", out);
	free(out);
	cr_assert_eq(sbxc("compile missing.sbxpol", &out), 3, "%s", out);
	cr_assert(strstr(out, "cannot open 'missing.sbxpol'"), "%s", out);
	free(out);
}

Test(cli, policy_option_selects_and_unknown_lists_names)
{
	put("p.sbxpol", good);
	char *out = NULL;
	cr_assert_eq(sbxc("compile p.sbxpol --policy second -o s.sbxblob", &out), 0, "%s", out);
	free(out);
	cr_assert_eq(sbxc("explain s.sbxblob", &out), 0, "%s", out);
	cr_assert(strstr(out, "online"), "%s", out);
	free(out);
	cr_assert_eq(sbxc("compile p.sbxpol --policy third", &out), 1);
	cr_assert(strstr(out, "third"), "%s", out);
	cr_assert(strstr(out, "first") && strstr(out, "second"), "names not listed:\n%s", out);
	free(out);
}

Test(cli, check_writes_nothing_and_reports_errors)
{
	put("p.sbxpol", good);
	put("bad.sbxpol", bad);
	char *out = NULL;
	cr_assert_eq(sbxc("check p.sbxpol", &out), 0, "%s", out);
	free(out);
	cr_assert_eq(sbxc("check bad.sbxpol", &out), 1);
	cr_assert(strstr(out, "error:"), "%s", out);
	free(out);
	assert_dir_holds(2);
}

Test(cli, define_binds_at_compile_time)
{
	put("p.sbxpol", good);
	char *out = NULL;
	cr_assert_eq(sbxc("compile p.sbxpol -D WORKSPACE=/srv/work -o b.sbxblob", &out), 0, "%s", out);
	free(out);
	cr_assert_eq(sbxc("explain b.sbxblob", &out), 0);
	cr_assert(strstr(out, "/srv/work"), "%s", out);
	free(out);
	cr_assert_eq(sbxc("compile p.sbxpol -D WORKSPACE=relative -o c.sbxblob", &out), 1, "%s", out);
	free(out);
	cr_assert(!exists("c.sbxblob"));
}

Test(cli, target_linux_has_no_windows_section)
{
	put("p.sbxpol", good);
	char *out = NULL;
	cr_assert_eq(sbxc("compile p.sbxpol --target linux -o l.sbxblob", &out), 0, "%s", out);
	free(out);
	cr_assert_eq(sbxc("explain l.sbxblob", &out), 0);
	cr_assert(strstr(out, "linux"), "%s", out);
	cr_assert_null(strstr(out, "windows:"), "%s", out);
	free(out);
}

Test(cli, explain_json_is_valid_json)
{
	put("p.sbxpol", good);
	char *out = NULL;
	cr_assert_eq(sbxc("compile p.sbxpol", &out), 0, "%s", out);
	free(out);
	cr_assert_eq(sbxc("explain p.sbxblob --json | python3 -m json.tool >/dev/null", &out), 0, "%s", out);
	free(out);
}

Test(cli, explain_rejects_what_is_not_a_blob)
{
	char *out = NULL;
	put("junk.sbxblob", "this is not a blob, just some text padding it out.........");
	cr_assert_eq(sbxc("explain junk.sbxblob", &out), 4, "%s", out);
	cr_assert(strstr(out, "bad blob"), "%s", out);
	free(out);
	cr_assert_eq(sbxc("explain .", &out), 3, "%s", out);
	cr_assert(strstr(out, "not a regular file"), "%s", out);
	free(out);
	cr_assert_eq(sbxc("explain /dev/zero", &out), 3, "%s", out);
	free(out);
	char *cmd = NULL;
	cr_assert(asprintf(&cmd, "cd %s && mkfifo f && %s explain f", dir, SBXC_PATH) > 0);
	cr_assert_eq(t_run(cmd, &out), 3, "%s", out);
	free(cmd);
	free(out);
}

Test(cli, parameter_names_are_identifiers)
{
	/* A name the runtime could not bind must not reach a blob. */
	put("p.sbxpol", "sbxpol 1;\npolicy p { param MY-DIR; writable \"${MY-DIR}\"; }\n");
	char *out = NULL;
	cr_assert_eq(sbxc("compile p.sbxpol", &out), 1, "%s", out);
	cr_assert(strstr(out, "p.sbxpol:2:18: error: 'MY-DIR' is not a valid parameter name"), "%s", out);
	free(out);
	cr_assert(!exists("p.sbxblob"));
}
