/*
 * sbxrun and the library API: exit statuses, error messages, the JSON log,
 * parameter binding and environment filtering, and the everyday commands
 * that must keep working in a workspace-write sandbox (git, cc, make,
 * python).
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "escape/harness.c"

static struct sb S;
static struct sb_result R;
static char *BLOB;   /* T/p.sbxblob: STD_POLICY compiled */

static void up(void)
{
	sb_setup(&S);
	BLOB = sb_write_blob(&S, STD_POLICY, "p.sbxblob");
}

static void down(void)
{
	sb_result_free(&R);
	free(BLOB);
	sb_teardown(&S);
}

TestSuite(rt_cli, .init = up, .fini = down);

/* Runs sbxrun with the standard bindings, then `args`; output in *out. */
static int sbxrun(const char *args, char **out)
{
	char *cmd = sb_fmt("cd '%s' && PATH=/usr/local/bin:/usr/bin:/bin HOME='%s' %s/sbxrun --policy '%s' --var TMPDIR='%s' "
	                   "--log '%s' %s", S.ws, S.home, SBX_BINARY_DIR, BLOB, S.tmp, S.log, args);
	int rc = t_run(cmd, out);
	free(cmd);
	return rc;
}

static void sh(const char *script)
{
	sb_result_free(&R);
	sb_sh(&S, STD_POLICY, script, &R);
}

/* ---- exit statuses ---- */

Test(rt_cli, exit_code_passes_through)
{
	char *out = NULL;
	cr_expect_eq(sbxrun("-- sh -c 'exit 7'", &out), 7, "%s", out);
	free(out);
	cr_expect_eq(sbxrun("-- true", &out), 0, "%s", out);
	free(out);
}

Test(rt_cli, signal_death_is_128_plus_n)
{
	char *out = NULL;
	cr_expect_eq(sbxrun("-- sh -c 'kill -USR1 $$'", &out), 128 + 10, "%s", out);
	free(out);
}

Test(rt_cli, not_found_is_127)
{
	char *out = NULL;
	cr_expect_eq(sbxrun("-- no-such-command-sbx", &out), 127, "%s", out);
	cr_expect(strstr(out, "no-such-command-sbx") != NULL, "%s", out);
	free(out);
	cr_expect_eq(sbxrun("-- /no/such/path", &out), 127, "%s", out);
	free(out);
}

Test(rt_cli, not_executable_is_126)
{
	char *out = NULL;
	cr_expect_eq(sbxrun("-- ./file.txt", &out), 126, "%s", out);
	free(out);
}

Test(rt_cli, bad_blob_is_125_with_one_line)
{
	char *bad = sb_fmt("%s/bad.sbxblob", S.root);
	cr_assert_eq(t_write_file(bad, "not a blob at all, just text\n", 29), 0);
	char *cmd = sb_fmt("%s/sbxrun --policy '%s' -- true", SBX_BINARY_DIR, bad);
	char *out = NULL;
	cr_expect_eq(t_run(cmd, &out), 125, "%s", out);
	cr_expect(strstr(out, "sbxrun: ") == out, "%s", out);
	cr_expect(strchr(out, '\n') == out + strlen(out) - 1, "more than one line: %s", out);
	cr_expect(strstr(out, "sbxc compile") != NULL, "text, but no hint to compile it: %s", out);
	free(out);
	free(cmd);
	free(bad);
}

static int count_char(const char *s, char c)
{
	int n = 0;
	for (; *s; s++)
		n += *s == c;
	return n;
}

Test(rt_cli, truncated_blob_says_where_without_the_source_hint)
{
	size_t len = 0;
	char *blob = t_read_file(BLOB, &len);
	cr_assert(blob && len > 40);
	char *cut = sb_fmt("%s/cut.sbxblob", S.root);
	cr_assert_eq(t_write_file(cut, blob, 40), 0);
	char *cmd = sb_fmt("%s/sbxrun --policy '%s' -- true", SBX_BINARY_DIR, cut);
	char *out = NULL;
	cr_expect_eq(t_run(cmd, &out), 125, "%s", out);
	cr_expect(strstr(out, "truncated") != NULL, "%s", out);
	cr_expect_eq(count_char(out, '('), count_char(out, ')'), "unbalanced: %s", out);
	cr_expect(strstr(out, "sbxc compile") == NULL, "a binary blob is not source: %s", out);
	free(out);
	free(cmd);
	free(cut);
	free(blob);
}

Test(rt_cli, missing_blob_and_usage_are_125)
{
	char *out = NULL;
	char *cmd = sb_fmt("%s/sbxrun --policy /no/such.sbxblob -- true", SBX_BINARY_DIR);
	cr_expect_eq(t_run(cmd, &out), 125, "%s", out);
	cr_expect(strstr(out, "/no/such.sbxblob") != NULL, "%s", out);
	free(out);
	free(cmd);
	cmd = sb_fmt("%s/sbxrun -- true", SBX_BINARY_DIR);
	cr_expect_eq(t_run(cmd, &out), 125, "%s", out);
	free(out);
	free(cmd);
}

Test(rt_cli, missing_parameter_is_125_naming_it)
{
	char *blob = sb_write_blob(&S, "sbxpol 1;\npolicy t { param CACHE; readonly \"/\"; "
	                           "writable \"${CACHE}\"; }\n", "c.sbxblob");
	char *cmd = sb_fmt("%s/sbxrun --policy '%s' -- true", SBX_BINARY_DIR, blob);
	char *out = NULL;
	cr_expect_eq(t_run(cmd, &out), 125, "%s", out);
	cr_expect(strstr(out, "CACHE") != NULL, "%s", out);
	free(out);
	free(cmd);
	free(blob);
}

/* Run from "/", WORKSPACE would make the whole file system writable. */
Test(rt_cli, workspace_bound_to_the_root_is_125)
{
	char *out = NULL;
	cr_expect_eq(sbxrun("--var WORKSPACE=/ -- true", &out), 125, "%s", out);
	cr_expect(strstr(out, "${WORKSPACE} is bound to /: the whole file system") != NULL, "%s", out);
	free(out);
	char *cmd = sb_fmt("cd / && HOME='%s' %s/sbxrun --policy '%s' --var TMPDIR='%s' -- true", S.home,
	                   SBX_BINARY_DIR, BLOB, S.tmp);
	cr_expect_eq(t_run(cmd, &out), 125, "%s", out);
	cr_expect(strstr(out, "(the working directory, by default)") != NULL, "%s", out);
	free(out);
	free(cmd);
}

Test(rt_cli, home_as_default_workspace_warns)
{
	char *out = NULL;
	char *cmd = sb_fmt("cd '%s' && HOME='%s' %s/sbxrun --policy '%s' --var TMPDIR='%s' -- true", S.home,
	                   S.home, SBX_BINARY_DIR, BLOB, S.tmp);
	cr_expect_eq(t_run(cmd, &out), 0, "%s", out);
	cr_expect(strstr(out, "is your home directory") != NULL, "%s", out);
	free(out);
	free(cmd);
	/* From above it (the root of the test's tree holds HOME). */
	cmd = sb_fmt("cd '%s' && HOME='%s' %s/sbxrun --policy '%s' --var TMPDIR='%s' -- true", S.root,
	             S.home, SBX_BINARY_DIR, BLOB, S.tmp);
	cr_expect_eq(t_run(cmd, &out), 0, "%s", out);
	cr_expect(strstr(out, "holds your home directory") != NULL, "%s", out);
	free(out);
	free(cmd);
	cmd = sb_fmt("cd '%s' && HOME='%s' %s/sbxrun --policy '%s' --var TMPDIR='%s' --var WORKSPACE='%s' "
	             "-- true", S.home, S.home, SBX_BINARY_DIR, BLOB, S.tmp, S.home);
	cr_expect_eq(t_run(cmd, &out), 0, "%s", out);
	cr_expect(strstr(out, "warning") == NULL, "bound on purpose: %s", out);
	free(out);
	free(cmd);
	cr_expect_eq(sbxrun("-- true", &out), 0, "%s", out);
	cr_expect(strstr(out, "warning") == NULL, "a workspace of its own: %s", out);
	free(out);
}

Test(rt_cli, missing_writable_root_is_125)
{
	char *out = NULL;
	cr_expect_eq(sbxrun("--var WORKSPACE=/no/such/workspace -- true", &out), 125, "%s", out);
	cr_expect(strstr(out, "/no/such/workspace") != NULL, "%s", out);
	cr_expect(strstr(out, "does not exist") != NULL, "%s", out);
	free(out);
}

Test(rt_cli, bad_parameter_values_are_125)
{
	const char *bad[] = { "--var WORKSPACE=relative/path", "--var WORKSPACE=/a/../b",
	                      "--var WORKSPACE=/a/./b", "--var WORKSPACE=//a", "--var NOPE=/tmp",
	                      "--var WORKSPACE", "--var 'WORKSPACE=/a\tb'" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *args = sb_fmt("%s -- true", bad[i]);
		char *out = NULL;
		cr_expect_eq(sbxrun(args, &out), 125, "%s: %s", bad[i], out);
		free(out);
		free(args);
	}
}

Test(rt_cli, error_messages_do_not_pass_terminal_escapes)
{
	/* A rejected value is quoted in the message; its ESC must not reach the terminal. */
	char *out = NULL;
	cr_expect_eq(sbxrun("--var \"$(printf 'WORKSPACE=/x\\033[31mred')\" -- true", &out), 125, "%s", out);
	cr_expect(strstr(out, "/x?[31mred") != NULL, "%s", out);
	cr_expect(strchr(out, '\033') == NULL, "an escape byte reached stderr: %s", out);
	free(out);
}

Test(rt_cli, cwd_option_and_default_workspace)
{
	/* WORKSPACE defaults to the working directory given by --cwd. */
	char *args = sb_fmt("--cwd '%s' -- sh -c 'pwd; echo x > made'", S.tmp);
	char *out = NULL;
	cr_expect_eq(sbxrun(args, &out), 0, "%s", out);
	cr_expect(strstr(out, S.tmp) != NULL, "%s", out);
	cr_expect(sb_exists(S.tmp, "made"));
	free(out);
	free(args);
}

/* ---- the JSON log ---- */

Test(rt_cli, log_has_spawn_and_exit_lines)
{
	char *out = NULL;
	cr_expect_eq(sbxrun("-- sh -c 'exit 3'", &out), 3, "%s", out);
	free(out);
	char *log = sb_read(S.root, "log.jsonl");
	struct stat st;
	cr_assert_eq(stat(S.log, &st), 0);
	cr_expect_eq(st.st_mode & 0777, 0600, "the log file is created 0600");
	char *nl = strchr(log, '\n');
	cr_assert_not_null(nl, "%s", log);
	cr_expect(strncmp(log, "{\"event\":\"spawn\"", 16) == 0, "%s", log);
	const char *spawn_fields[] = { "\"time\":", "\"policy_id\":", "\"checksum\":", "\"argv\":[\"sh\",\"-c\",\"exit 3\"]",
	                               "\"landlock_abi\":", "\"mechanisms\":{", "\"user_namespace\":",
	                               "\"network_namespace\":true", "\"seccomp_insns\":",
	                               "\"new_user_namespaces\":false", "\"limits\":{",
	                               "\"wall_seconds\":{\"value\":120", "\"degraded\":[", "\"notes\":[" };
	for (size_t i = 0; i < sizeof spawn_fields / sizeof spawn_fields[0]; i++)
		cr_expect(strstr(log, spawn_fields[i]) && strstr(log, spawn_fields[i]) < nl,
		          "spawn line lacks %s: %s", spawn_fields[i], log);
	const char *exit_fields[] = { "{\"event\":\"exit\"", "\"exit_code\":3", "\"signal\":0", "\"status\":3",
	                              "\"duration_ms\":", "\"user_ms\":", "\"sys_ms\":", "\"max_rss_kb\":",
	                              "\"limit\":null" };
	for (size_t i = 0; i < sizeof exit_fields / sizeof exit_fields[0]; i++)
		cr_expect(strstr(nl, exit_fields[i]) != NULL, "exit line lacks %s: %s", exit_fields[i], nl);
	free(log);
}

Test(rt_cli, log_escapes_strings)
{
	char *out = NULL;
	cr_expect_eq(sbxrun("-- sh -c 'true \"quote\\\\back\"'", &out), 0, "%s", out);
	free(out);
	char *log = sb_read(S.root, "log.jsonl");
	/* The shell passes two backslashes; JSON doubles each. */
	cr_expect(strstr(log, "true \\\"quote\\\\\\\\back\\\"") != NULL, "%s", log);
	free(log);
}

Test(rt_cli, log_is_utf8_json_whatever_the_arguments)
{
	/* Arguments are bytes: invalid UTF-8 and a 600-byte run of 3-byte characters
	 * (cut at 512 bytes, mid-character) must still give valid JSON lines. */
	char *out = NULL;
	cr_expect_eq(sbxrun("-- true \"$(printf 'a\\377b\\300\\257c')\" \"$(printf '\\342\\202\\254%.0s' $(seq 200))\"", &out),
	             0, "%s", out);
	free(out);
	char *cmd = sb_fmt("python3 -c 'import json,sys\n"
	                   "for l in open(sys.argv[1], encoding=\"utf-8\"): json.loads(l)\n"
	                   "print(\"ok\")' '%s/log.jsonl'", S.root);
	int rc = t_run(cmd, &out);
	cr_expect_eq(rc, 0, "the log is not UTF-8 JSON: %s", out);
	free(out);
	free(cmd);
	char *log = sb_read(S.root, "log.jsonl");
	cr_expect(strstr(log, "a\\ufffdb\\ufffd\\ufffdc") != NULL, "%s", log);
	free(log);
}

/* ---- environment ---- */

Test(rt_cli, environment_filtered)
{
	const char *policy =
		"sbxpol 1;\npolicy t { param WORKSPACE, TMPDIR; readonly \"/\"; "
		"writable \"${WORKSPACE}\", \"${TMPDIR}\"; env keep \"PATH\", \"HOME\", \"KEEP_*\", \"GITHUB_TOKEN\", \"*_TOKEN\"; "
		"env drop \"KEEP_NOT\"; env set CI = \"1\"; }\n";
	const char *extra[] = { "KEEP_ME=yes", "KEEP_NOT=no", "OTHER=no", "API_TOKEN=secret",
	                        "GITHUB_TOKEN=ghp", "LD_PRELOAD=/evil.so", "CI=0", "TMPDIR=/elsewhere", NULL };
	const char *argv[] = { "/usr/bin/env", NULL };
	sb_result_free(&R);
	sb_run(&S, policy, argv, extra, &R);
	cr_assert_eq(R.code, 0, "%s", R.out);
	cr_expect(strstr(R.out, "KEEP_ME=yes\n") != NULL, "%s", R.out);
	cr_expect(strstr(R.out, "GITHUB_TOKEN=ghp\n") != NULL, "exact keep beats the built-in drop: %s", R.out);
	cr_expect(strstr(R.out, "CI=1\n") != NULL, "%s", R.out);
	cr_expect_null(strstr(R.out, "KEEP_NOT"), "%s", R.out);
	cr_expect_null(strstr(R.out, "OTHER"), "%s", R.out);
	cr_expect_null(strstr(R.out, "API_TOKEN"), "a glob keep does not beat the built-in drop: %s", R.out);
	cr_expect_null(strstr(R.out, "LD_PRELOAD"), "%s", R.out);
	char *tmp = sb_fmt("TMPDIR=%s\n", S.tmp);
	cr_expect(strstr(R.out, tmp) != NULL, "TMPDIR is the bound one: %s", R.out);
	free(tmp);
}

Test(rt_cli, default_environment_drops_secrets)
{
	const char *extra[] = { "AWS_SECRET_ACCESS_KEY=x", "MY_PASSWORD=x", "SSH_AUTH_SOCK=/x",
	                        "NPM_TOKEN=x", "FINE=ok", NULL };
	const char *argv[] = { "/usr/bin/env", NULL };
	sb_result_free(&R);
	sb_run(&S, STD_POLICY, argv, extra, &R);
	cr_assert_eq(R.code, 0, "%s", R.out);
	cr_expect(strstr(R.out, "FINE=ok") != NULL, "%s", R.out);
	cr_expect_null(strstr(R.out, "=x\n"), "%s", R.out);
	cr_expect_null(strstr(R.out, "SSH_AUTH_SOCK"), "%s", R.out);
}

/* ---- the library API ---- */

Test(rt_cli, api_errors)
{
	struct sbx_ctx *ctx = sbx_ctx_create();
	uint8_t junk[64] __attribute__((aligned(8))) = { 1, 2, 3 };
	cr_expect_eq(sbx_ctx_use_blob(ctx, junk, sizeof junk), SBX_E_BLOB);
	cr_expect(strstr(sbx_ctx_error(ctx), "not valid") != NULL, "%s", sbx_ctx_error(ctx));
	cr_expect_null(sbx_ctx_view(ctx));
	cr_expect_eq(sbx_ctx_bind(ctx, "WORKSPACE", "/tmp"), SBX_E_NOBLOB);
	cr_expect_eq(sbx_ctx_open_blob(ctx, "/no/such/blob"), SBX_E_IO);
	cr_expect_eq(sbx_ctx_open_blob(ctx, BLOB), SBX_OK, "%s", sbx_ctx_error(ctx));
	cr_expect_not_null(sbx_ctx_view(ctx));
	cr_expect_eq(sbx_ctx_bind(ctx, "NOPE", "/tmp"), SBX_E_PARAM);
	cr_expect_eq(sbx_ctx_bind(ctx, "WORKSPACE", "tmp"), SBX_E_PARAM);
	cr_expect_eq(sbx_ctx_bind(ctx, "WORKSPACE", "/tmp/"), SBX_OK, "a trailing slash is fine");
	struct sbx_spawn_opts o = { 0 };
	struct sbx_proc p;
	cr_expect_eq(sbx_spawn(ctx, &o, &p), SBX_E_ARG);
	cr_expect_str_eq(sbx_rt_strerror(SBX_E_NOTFOUND), "command not found");
	cr_expect_str_eq(sbx_rt_strerror(SBX_E_CHECKSUM), sbx_strerror(SBX_E_CHECKSUM));
	sbx_ctx_destroy(&ctx);
	cr_expect_null(ctx);
}

/* ---- everyday work that must keep working ---- */

Test(rt_cli, compile_c_with_cc)
{
	if (system("command -v cc >/dev/null 2>&1") != 0)
		cr_skip_test("no C compiler");
	sh("printf '#include <stdio.h>\\nint main(void){puts(\"built\");return 0;}\\n' > m.c && "
	   "cc -o m m.c && ./m");
	cr_expect_eq(R.code, 0, "%s", R.out);
	cr_expect(strstr(R.out, "built") != NULL, "%s", R.out);
}

Test(rt_cli, make_builds)
{
	if (system("command -v make >/dev/null 2>&1 && command -v cc >/dev/null 2>&1") != 0)
		cr_skip_test("no make or cc");
	sh("printf 'all: hello\\nhello: hello.c\\n\\tcc -o hello hello.c\\n' > Makefile && "
	   "printf 'int main(void){return 0;}\\n' > hello.c && make -s && ./hello && echo made");
	cr_expect_eq(R.code, 0, "%s", R.out);
	cr_expect(strstr(R.out, "made") != NULL, "%s", R.out);
}

Test(rt_cli, python_writes_tmpdir)
{
	if (system("command -v python3 >/dev/null 2>&1") != 0)
		cr_skip_test("no python3");
	sh("python3 -c 'import tempfile,os\n"
	   "f=tempfile.NamedTemporaryFile(delete=False); f.write(b\"py\"); f.close()\n"
	   "print(os.path.dirname(f.name))'");
	cr_expect_eq(R.code, 0, "%s", R.out);
	cr_expect(strstr(R.out, S.tmp) != NULL, "python's temp dir is not TMPDIR: %s", R.out);
}

static int have_git(void)
{
	return system("command -v git >/dev/null 2>&1") == 0;
}

/* A real repository with one commit, made outside the sandbox. */
static void make_repo(void)
{
	char *cmd = sb_fmt("cd '%s' && rm -rf .git && git init -q && git config user.email t@example.com && "
	                   "git config user.name t && git add file.txt && git commit -qm init", S.ws);
	cr_assert_eq(t_run(cmd, NULL), 0);
	free(cmd);
}

Test(rt_cli, git_status_works_and_commit_fails)
{
	if (!have_git())
		cr_skip_test("no git");
	make_repo();
	sh("echo change >> file.txt && git status --porcelain && git diff --stat && git log --oneline");
	cr_expect_eq(R.code, 0, "%s", R.out);
	cr_expect(strstr(R.out, " M file.txt") != NULL, "%s", R.out);
	cr_expect(strstr(R.out, "init") != NULL, "%s", R.out);
	sh("git commit -qam 'from the sandbox'");
	cr_expect_neq(R.code, 0, "git commit wrote to the read-only .git: %s", R.out);
	char *cmd = sb_fmt("cd '%s' && git log --oneline | wc -l", S.ws);
	char *out = NULL;
	t_run(cmd, &out);
	cr_expect_eq(atoi(out), 1, "history changed: %s", out);
	free(out);
	free(cmd);
}

Test(rt_cli, only_stdio_reaches_the_command)
{
	int leak = dup(2);   /* inheritable, as a careless caller's would be */
	cr_assert(leak > 2);
	const char *argv[] = { "/bin/ls", "/proc/self/fd", NULL };
	sb_result_free(&R);
	sb_run(&S, STD_POLICY, argv, NULL, &R);
	close(leak);
	/* 3 is ls's own directory handle. */
	cr_expect_str_eq(R.out, "0\n1\n2\n3\n");
}

Test(rt_cli, closed_stdio_does_not_leak_internal_fds)
{
	char *out = NULL;
	cr_expect_eq(sbxrun("-- /bin/ls -l /proc/self/fd 0<&- 2>&1", &out), 0, "%s", out);
	/* stdout and stderr are t_run's pipe; stdin was closed: /dev/null, not ours. */
	cr_expect(strstr(out, " 0 -> /dev/null") != NULL, "%s", out);
	cr_expect_null(strstr(out, " 4 -> "), "%s", out);
	cr_expect_null(strstr(out, "anon_inode"), "%s", out);
	free(out);
}

/*
 * Runs sbxrun on a fresh pseudo-terminal; writes `input` (after `wait_for`
 * appears in the output, when not NULL), returns all output.
 */
static char *run_on_pty_after(const char *cmd, const char *wait_for, const char *input, int *status)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY);
	cr_assert(m >= 0 && grantpt(m) == 0 && unlockpt(m) == 0);
	char *slave = strdup(ptsname(m));
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		setsid();
		int s = open(slave, O_RDWR);   /* becomes the controlling terminal */
		dup2(s, 0);
		dup2(s, 1);
		dup2(s, 2);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	free(slave);
	size_t cap = 1 << 16, len = 0;
	char *buf = calloc(1, cap);
	ssize_t n;
	while (wait_for && !strstr(buf, wait_for) && len + 1 < cap &&
	       (n = read(m, buf + len, cap - len - 1)) > 0)
		len += (size_t)n;
	cr_assert_eq(write(m, input, strlen(input)), (ssize_t)strlen(input));
	while (len + 1 < cap && (n = read(m, buf + len, cap - len - 1)) > 0)
		len += (size_t)n;      /* EIO once every holder of the slave is gone */
	waitpid(pid, status, 0);
	close(m);
	return buf;
}

static char *run_on_pty(const char *cmd, const char *input, int *status)
{
	return run_on_pty_after(cmd, NULL, input, status);
}

Test(rt_cli, terminal_ctrl_c_delivered_once)
{
	char *cmd = sb_fmt("cd '%s' && %s/sbxrun --policy '%s' --var TMPDIR='%s' -- '%s' --sbx-helper countint",
	                   S.ws, SBX_BINARY_DIR, BLOB, S.tmp, S.exe);
	int st = 0;
	char *out = run_on_pty_after(cmd, "ready", "\003", &st);
	cr_expect(strstr(out, "ints=1") != NULL, "%s", out);
	free(out);
	free(cmd);
}

Test(rt_cli, terminal_keeps_working_and_tiocsti_refused)
{
	char *cmd = sb_fmt("cd '%s' && %s/sbxrun --policy '%s' --var TMPDIR='%s' -- sh -c "
	                   "'test -t 0 && echo IS-A-TTY; read line; echo got-$line; echo to-tty > /dev/tty; "
	                   "\"%s\" --sbx-helper tiocsti'",
	                   S.ws, SBX_BINARY_DIR, BLOB, S.tmp, S.exe);
	int st = 0;
	char *out = run_on_pty(cmd, "hello\n", &st);
	cr_expect(strstr(out, "IS-A-TTY") != NULL, "%s", out);
	cr_expect(strstr(out, "got-hello") != NULL, "%s", out);
	cr_expect(strstr(out, "to-tty") != NULL, "%s", out);
	cr_expect(strstr(out, "refused:") != NULL, "TIOCSTI was not refused: %s", out);
	cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 1, "status 0x%x: %s", st, out);
	free(out);
	free(cmd);
}

/* Runs sbxrun (policy `blob`) with syscall `nr` failing with `err`; output in *out. */
static int sbxrun_without(int nr, int err, const char *blob, const char *script, char **out)
{
	char *log = sb_fmt("%s/deny.jsonl", S.root), *res = sb_fmt("%s/deny.out", S.root);
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		int fd = open(res, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fd, 1);
		dup2(fd, 2);
		sb_deny_syscall(nr, err);
		char *tmp = sb_fmt("TMPDIR=%s", S.tmp);
		execl(SBX_BINARY_DIR "/sbxrun", "sbxrun", "--policy", blob, "--var", tmp,
		      "--cwd", S.ws, "--log", log, "--", "/bin/sh", "-c", script, (char *)NULL);
		_exit(127);
	}
	int st;
	waitpid(pid, &st, 0);
	*out = sb_read(S.root, "deny.out");
	free(log);
	free(res);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

#define NR_LANDLOCK_CREATE_RULESET 444   /* x86_64 and aarch64 alike */

/* Strict mode, with system call nr failing with err: 125 naming `what`, nothing ran. */
static void expect_strict_refusal(int nr, int err, const char *what)
{
	char *out = NULL;
	int rc = sbxrun_without(nr, err, BLOB, "echo RAN", &out);
	cr_expect_eq(rc, 125, "%s", out);
	cr_expect(strstr(out, what) != NULL, "%s", out);
	cr_expect_null(strstr(out, "RAN"), "the command ran: %s", out);
	free(out);
}

Test(rt_cli, strict_refuses_without_landlock)
{
	expect_strict_refusal(NR_LANDLOCK_CREATE_RULESET, ENOSYS, "Landlock");
}

Test(rt_cli, best_effort_runs_without_landlock_and_logs_it)
{
	char *blob = sb_write_blob(&S, "sbxpol 1;\npolicy t { param WORKSPACE, TMPDIR; readonly \"/\"; "
	                           "writable \"${WORKSPACE}\", \"${TMPDIR}\"; readonly \"${WORKSPACE}/.git\"; "
	                           "enforcement best-effort; }\n", "be.sbxblob");
	char *out = NULL;
	int rc = sbxrun_without(NR_LANDLOCK_CREATE_RULESET, ENOSYS, blob,
	                        "echo RAN; echo evil > .git/HEAD", &out);
	cr_expect(rc != 0 && rc != 125, "status %d: %s", rc, out);
	cr_expect(strstr(out, "RAN") != NULL, "%s", out);
	char *log = sb_read(S.root, "deny.jsonl");
	cr_expect(strstr(log, "\"enforcement\":\"best-effort\"") != NULL, "%s", log);
	cr_expect(strstr(log, "\"landlock\":null") != NULL, "%s", log);
	cr_expect(strstr(log, "\"degraded\":[\"landlock: not available") != NULL, "%s", log);
	/* What remains still holds: the mounts keep .git read-only. */
	char *head = sb_read(S.ws, ".git/HEAD");
	cr_expect_str_eq(head, "ref: refs/heads/main\n");
	free(head);
	free(log);
	free(out);
	free(blob);
}

Test(rt_cli, strict_refuses_without_seccomp)
{
	/* A kernel without CONFIG_SECCOMP_FILTER: seccomp(2) fails with ENOSYS. */
	expect_strict_refusal(SYS_seccomp, ENOSYS, "seccomp");
}

Test(rt_cli, best_effort_runs_without_seccomp_and_logs_it)
{
	char *blob = sb_write_blob(&S, "sbxpol 1;\npolicy t { param WORKSPACE, TMPDIR; readonly \"/\"; "
	                           "writable \"${WORKSPACE}\", \"${TMPDIR}\"; enforcement best-effort; }\n",
	                           "be-sc.sbxblob");
	char *out = NULL;
	int rc = sbxrun_without(SYS_seccomp, ENOSYS, blob, "echo RAN; echo x > ../outside/file", &out);
	cr_expect(rc != 125, "status %d: %s", rc, out);
	cr_expect(strstr(out, "RAN") != NULL, "%s", out);
	char *t = sb_read(S.outside, "file");
	cr_expect_str_eq(t, ORIGINAL, "Landlock and the mounts still hold: %s", out);
	char *log = sb_read(S.root, "deny.jsonl");
	cr_expect(strstr(log, "\"degraded\":[") != NULL && strstr(log, "seccomp") != NULL, "%s", log);
	cr_expect(strstr(log, "new user namespaces included") != NULL, "%s", log);
	cr_expect(strstr(log, "\"new_user_namespaces\":true") != NULL, "no filter, so allowed: %s", log);
	free(log);
	free(t);
	free(out);
	free(blob);
}

Test(rt_cli, log_fd_option)
{
	char *cmd = sb_fmt("cd '%s' && %s/sbxrun --policy '%s' --var TMPDIR='%s' --log-fd 7 -- true "
	                   "7>'%s/fd.jsonl'", S.ws, SBX_BINARY_DIR, BLOB, S.tmp, S.root);
	char *out = NULL;
	cr_expect_eq(t_run(cmd, &out), 0, "%s", out);
	char *log = sb_read(S.root, "fd.jsonl");
	cr_expect(strstr(log, "{\"event\":\"spawn\"") == log, "%s", log);
	cr_expect(strstr(log, "{\"event\":\"exit\"") != NULL, "%s", log);
	free(log);
	free(out);
	free(cmd);
	cmd = sb_fmt("%s/sbxrun --policy '%s' --log-fd 99 -- true", SBX_BINARY_DIR, BLOB);
	cr_expect_eq(t_run(cmd, &out), 125, "a closed --log-fd is refused: %s", out);
	free(out);
	free(cmd);
}

/* ---- best effort where namespaces are unavailable ---- */

#define BE_POLICY \
	"sbxpol 1;\npolicy t { param WORKSPACE, TMPDIR; readonly \"/\"; " \
	"writable \"${WORKSPACE}\", \"${TMPDIR}\"; readonly \"${WORKSPACE}/.git\"; network offline; " \
	"limit wall 60s; enforcement best-effort; }\n"

static int count_procs(const char *marker)
{
	char *cmd = sb_fmt("pgrep -f -c -- '[%c]%s'", marker[0], marker + 1);
	char *out = NULL;
	t_run(cmd, &out);
	int n = atoi(out ? out : "0");
	free(out);
	free(cmd);
	return n;
}

Test(rt_cli, strict_refuses_without_namespaces)
{
	expect_strict_refusal(SYS_clone3, EPERM, "namespaces");
}

Test(rt_cli, best_effort_runs_without_namespaces_and_logs_it)
{
	char *blob = sb_write_blob(&S, BE_POLICY, "be.sbxblob");
	char *marker = sb_fmt("sleep 3%d1", (int)getpid());
	char *script = sb_fmt("%s & echo RAN; echo x > %s/file", marker, S.outside);
	char *out = NULL;
	int rc = sbxrun_without(SYS_clone3, EPERM, blob, script, &out);
	cr_expect(rc != 125, "%s", out);
	cr_expect(strstr(out, "RAN") != NULL, "%s", out);
	char *t = sb_read(S.outside, "file");
	cr_expect_str_eq(t, ORIGINAL, "Landlock still holds: %s / %s", t, out);
	free(t);
	cr_expect_eq(count_procs(marker), 0, "a background process outlived the command");
	char *log = sb_read(S.root, "deny.jsonl");
	cr_expect(strstr(log, "\"pid_namespace\":false") != NULL, "%s", log);
	cr_expect(strstr(log, "namespaces: unavailable") != NULL, "%s", log);
	cr_expect(strstr(log, "not applied") != NULL, "%s", log);
	cr_expect(strstr(log, "network: offline is enforced by Landlock") != NULL, "%s", log);
	free(log);
	free(out);
	free(script);
	free(marker);
	free(blob);
}

Test(rt_cli, best_effort_without_namespaces_does_not_open_a_private_path)
{
	/* The private tmpfs needs a mount namespace: without one, its "everything"
	   Landlock rule would grant the host's /tmp, so it is dropped. */
	char *blob = sb_write_blob(&S, "sbxpol 1;\npolicy t { param WORKSPACE, TMPDIR; readonly \"/\"; "
	                           "writable \"${WORKSPACE}\", \"${TMPDIR}\"; private \"/tmp\"; "
	                           "enforcement best-effort; }\n", "be-private.sbxblob");
	char *host = sb_fmt("/tmp/sbx-be-private-%d", (int)getpid());
	char *script = sb_fmt("echo RAN; echo x > %s && echo WROTE", host);
	char *out = NULL;
	int rc = sbxrun_without(SYS_clone3, EPERM, blob, script, &out);
	cr_expect(rc != 125, "%s", out);
	cr_expect(strstr(out, "RAN") != NULL, "%s", out);
	cr_expect_null(strstr(out, "WROTE"), "the host's /tmp was writable: %s", out);
	cr_expect_neq(access(host, F_OK), 0, "the write reached the host's /tmp");
	char *log = sb_read(S.root, "deny.jsonl");
	cr_expect(strstr(log, "landlock: skipped the private path /tmp: not mounted") != NULL, "%s", log);
	free(log);
	unlink(host);
	free(out);
	free(script);
	free(host);
	free(blob);
}

Test(rt_cli, best_effort_falls_back_when_mounting_is_refused)
{
	/* A user namespace without capabilities (Ubuntu's AppArmor restriction):
	   the namespace steps fail with EPERM, so best effort runs without. */
	char *blob = sb_write_blob(&S, BE_POLICY, "be.sbxblob");
	char *out = NULL;
	int rc = sbxrun_without(SYS_mount, EPERM, blob, "echo RAN", &out);
	cr_expect_eq(rc, 0, "%s", out);
	cr_expect(strstr(out, "RAN") != NULL, "%s", out);
	char *log = sb_read(S.root, "deny.jsonl");
	cr_expect(strstr(log, "namespaces: unavailable (mounts: cannot make / a private mount") != NULL,
	          "%s", log);
	free(log);
	free(out);
	out = NULL;
	cr_expect_eq(sbxrun_without(SYS_mount, EPERM, BLOB, "echo RAN", &out), 125, "strict: %s", out);
	free(out);
	free(blob);
}

Test(rt_cli, best_effort_without_namespaces_blocks_tcp_and_wall)
{
	char *blob = sb_write_blob(&S, "sbxpol 1;\npolicy t { param WORKSPACE, TMPDIR; readonly \"/\"; "
	                           "writable \"${WORKSPACE}\", \"${TMPDIR}\"; network offline; limit wall 1s; "
	                           "enforcement best-effort; }\n", "be.sbxblob");
	int port, fd = sb_listen4(SOCK_STREAM, &port);
	char *script = sb_fmt("'%s' --sbx-helper tcp4 127.0.0.1 %d", S.exe, port);
	char *out = NULL;
	sbxrun_without(SYS_clone3, EPERM, blob, script, &out);
	cr_expect(strstr(out, "refused") != NULL, "%s", out);
	cr_expect(!sb_touched(fd, SOCK_STREAM), "connected to the outside listener");
	close(fd);
	free(out);
	free(script);
	char *marker = sb_fmt("sleep 4%d3", (int)getpid());
	script = sb_fmt("%s & %s", marker, marker);
	int rc = sbxrun_without(SYS_clone3, EPERM, blob, script, &out);
	cr_expect_eq(rc, 137, "%s", out);
	cr_expect(strstr(out, "wall limit") != NULL, "%s", out);
	cr_expect_eq(count_procs(marker), 0, "the wall limit left processes behind");
	free(out);
	free(script);
	free(marker);
	free(blob);
}

Test(rt_cli, log_has_error_line_when_nothing_ran)
{
	char *out = NULL;
	cr_expect_eq(sbxrun("-- no-such-command-sbx", &out), 127, "%s", out);
	free(out);
	cr_expect_eq(sbxrun("--var WORKSPACE=/no/such/dir -- true", &out), 125, "%s", out);
	free(out);
	char *log = sb_read(S.root, "log.jsonl");
	cr_expect(strstr(log, "{\"event\":\"error\"") == log, "%s", log);
	cr_expect(strstr(log, "\"status\":127,\"kind\":\"command not found\"") != NULL, "%s", log);
	cr_expect(strstr(log, "\"status\":125,\"kind\":\"a writable root does not exist\","
	                      "\"message\":\"the writable root /no/such/dir does not exist") != NULL, "%s", log);
	free(log);
}

Test(rt_cli, created_carve_out_reported)
{
	/* No .git yet: nothing can protect it, but its creation is reported. */
	char *cmd = sb_fmt("rm -rf '%s/.git'", S.ws);
	cr_assert_eq(t_run(cmd, NULL), 0);
	free(cmd);
	char *out = NULL;
	cr_expect_eq(sbxrun("-- sh -c 'mkdir -p .git/hooks && echo evil > .git/hooks/pre-commit'", &out),
	             0, "%s", out);
	cr_expect(strstr(out, "sbxrun: warning: the command created 1 protected path") != NULL, "%s", out);
	free(out);
	char *log = sb_read(S.root, "log.jsonl");
	char *want = sb_fmt("\"appeared\":[\"%s/.git\"]", S.ws);
	cr_expect(strstr(log, want) != NULL, "%s", log);
	free(want);
	free(log);
	/* The next run protects it. */
	cr_expect_neq(sbxrun("-- sh -c 'echo more > .git/hooks/pre-commit'", &out), 0, "%s", out);
	cr_expect_null(strstr(out, "warning"), "%s", out);
	free(out);
}

Test(rt_cli, log_reader_gone_and_sigpipe_default)
{
	/* The log pipe's reader exits at once: sbxrun must still run the command
	   and return its status; inside, SIGPIPE has its default action again. */
	char *cmd = sb_fmt("cd '%s' && { %s/sbxrun --policy '%s' --var TMPDIR='%s' --log-fd 5 -- "
	                   "sh -c 'sleep 0.2; yes | head -n 1; exit 3' 5>&1 1>&2 | true; } 2>&1; "
	                   "echo status=$?", S.ws, SBX_BINARY_DIR, BLOB, S.tmp);
	char *out = NULL;
	t_run(cmd, &out);
	cr_expect(strstr(out, "y\n") != NULL, "%s", out);
	free(out);
	free(cmd);
	/* sbxrun's own status, with the log reader gone before the exit line. */
	cmd = sb_fmt("cd '%s' && exec 5>&1; (%s/sbxrun --policy '%s' --var TMPDIR='%s' --log-fd 6 -- "
	             "sh -c 'sleep 0.2; exit 3' 6>&1 >/dev/null; echo sbxrun=$? >&5) | true",
	             S.ws, SBX_BINARY_DIR, BLOB, S.tmp);
	t_run(cmd, &out);
	cr_expect(strstr(out, "sbxrun=3") != NULL, "%s", out);
	free(out);
	free(cmd);
}

Test(rt_cli, help_and_unknown_options)
{
	char *out = NULL;
	char *cmd = sb_fmt("%s/sbxrun --help", SBX_BINARY_DIR);
	cr_expect_eq(t_run(cmd, &out), 0, "%s", out);
	cr_expect(strstr(out, "usage: sbxrun --policy") == out, "%s", out);
	free(out);
	free(cmd);
	cmd = sb_fmt("%s/sbxrun --policy '%s' --no-such-option -- true", SBX_BINARY_DIR, BLOB);
	cr_expect_eq(t_run(cmd, &out), 125, "%s", out);
	free(out);
	free(cmd);
	cmd = sb_fmt("%s/sbxrun --policy '%s' --log a --log-fd 2 -- true", SBX_BINARY_DIR, BLOB);
	cr_expect_eq(t_run(cmd, &out), 125, "%s", out);
	cr_expect(strstr(out, "exclusive") != NULL, "%s", out);
	free(out);
	free(cmd);
}
