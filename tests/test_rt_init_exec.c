/*
 * The sandbox's init exec'd as sbx-init (runtime/linux_exec.c): from a
 * caller big enough to pass LX_EXEC_MIN_RSS, the library execs the helper
 * instead of copying itself.  The sandbox must be the same either way;
 * a missing or unusable helper falls back to the copy, and the log says
 * which way init was started.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "escape/harness.c"
#include "../runtime/linux.h"

#define HELPER SBX_BINARY_DIR "/sbx-init"
#define BIG    ((size_t)LX_EXEC_MIN_RSS * 3)
/* Prints the resident size of the sandbox's init (pid 1 there) in KiB. */
#define INIT_RSS "echo init-rss=$(awk '/^VmRSS/ {print $2}' /proc/1/status)"

static struct sb S;
static struct sb_result R;
static char *ballast;   /* keeps this process above the threshold */

static void up(void)
{
	sb_setup(&S);
	cr_assert_eq(setenv(LX_INIT_ENV, HELPER, 1), 0);
	ballast = malloc(BIG);
	cr_assert_not_null(ballast);
	memset(ballast, 0x5a, BIG);   /* resident, not just reserved */
}

static void down(void)
{
	free(ballast);
	unsetenv(LX_INIT_ENV);
	sb_result_free(&R);
	sb_teardown(&S);
}

TestSuite(rt_init_exec, .init = up, .fini = down);

static void sh(const char *script)
{
	sb_result_free(&R);
	sb_sh(&S, STD_POLICY, script, &R);
}

/* The log's last spawn line (malloc'd). */
static char *last_spawn_line(void)
{
	char *log = sb_read(S.root, "log.jsonl");
	char *last = NULL;
	for (char *at = strstr(log, "\"event\":\"spawn\""); at; at = strstr(at + 1, "\"event\":\"spawn\""))
		last = at;
	cr_assert_not_null(last, "no spawn line in the log:\n%s", log);
	char *line = strdup(last);
	free(log);
	char *end = strchr(line, '\n');
	if (end)
		*end = 0;
	return line;
}

/* The last spawn line names this way of starting init. */
static void expect_init(const char *how)
{
	char *line = last_spawn_line(), *want = sb_fmt("\"init\":\"%s\"", how);
	cr_expect_not_null(strstr(line, want), "expected %s in:\n%s", want, line);
	free(want);
	free(line);
}

/* What INIT_RSS printed. */
static long init_rss_kb(void)
{
	const char *rss = strstr(R.out, "init-rss=");
	cr_assert_not_null(rss, "%s", R.out);
	return atol(rss + 9);
}

Test(rt_init_exec, command_gets_argv_cwd_env_and_stdio)
{
	const char *argv[] = { "/bin/sh", "-c",
	                       "printf '[%s][%s]\\n' \"$0\" \"$1\"; pwd; echo \"lang=$LANG\"; "
	                       "echo to-stderr >&2; read x || echo stdin-eof; "
	                       "ls /proc/self/fd | tr '\\n' ' '; echo; " INIT_RSS,
	                       "zero", "one two", NULL };
	sb_result_free(&R);
	sb_run(&S, STD_POLICY, argv, NULL, &R);
	cr_assert_eq(R.spawn_rc, SBX_OK, "%s", R.err);
	cr_expect_eq(R.code, 0, "%s", R.out);
	cr_expect_not_null(strstr(R.out, "[zero][one two]\n"), "%s", R.out);
	char *cwd = sb_fmt("\n%s\n", S.ws);
	cr_expect_not_null(strstr(R.out, cwd), "%s", R.out);
	free(cwd);
	cr_expect_not_null(strstr(R.out, "lang=C\n"), "%s", R.out);
	cr_expect_not_null(strstr(R.out, "to-stderr\n"), "%s", R.out);
	cr_expect_not_null(strstr(R.out, "stdin-eof\n"), "%s", R.out);
	/* ls's own fds: 0, 1, 2 and the directory it reads (3); no report pipe, no payload */
	cr_expect_not_null(strstr(R.out, "0 1 2 3 \n"), "%s", R.out);
	cr_expect_lt(init_rss_kb(), (long)(LX_EXEC_MIN_RSS >> 10), "init holds a copy: %s", R.out);
	expect_init("exec");
}

Test(rt_init_exec, capability_sets_empty)
{
	/* In a user namespace init keeps its capabilities across its exec as
	   ambient ones; none of them may reach the command. */
	sb_result_free(&R);
	sb_helper(&S, STD_POLICY, "caps", NULL, NULL, &R);
	cr_assert_eq(R.code, 0, "%s", R.out);
	const char *const sets[] = { "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb" };
	for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
		char *want = sb_fmt("%s:\t0000000000000000", sets[i]);
		cr_expect_not_null(strstr(R.out, want), "missing '%s' in:\n%s", want, R.out);
		free(want);
	}
	cr_expect_not_null(strstr(R.out, "NoNewPrivs:\t1"), "%s", R.out);
	expect_init("exec");
}

Test(rt_init_exec, write_outside_workspace_refused)
{
	char *script = sb_fmt("echo x > '%s/new' && echo WROTE; echo y > '%s/file' && echo WROTE2; "
	                      "echo ok > inside && cat inside", S.outside, S.outside);
	sh(script);
	free(script);
	cr_expect_null(strstr(R.out, "WROTE"), "%s", R.out);
	cr_expect(!sb_exists(S.outside, "new"), "a file appeared outside the workspace");
	cr_expect_not_null(strstr(R.out, "ok\n"), "the workspace is not writable: %s", R.out);
	expect_init("exec");
}

Test(rt_init_exec, git_carve_out_write_refused)
{
	sh("echo hook > .git/hooks-x && echo WROTE; ls .git >/dev/null && echo readable");
	cr_expect_null(strstr(R.out, "WROTE"), "%s", R.out);
	cr_expect_not_null(strstr(R.out, "readable"), "%s", R.out);
	cr_expect(!sb_exists(S.ws, ".git/hooks-x"), "the .git carve-out was written");
	expect_init("exec");
}

Test(rt_init_exec, offline_network_refused)
{
	int port, fd = sb_listen4(SOCK_STREAM, &port);
	char p[16];
	snprintf(p, sizeof p, "%d", port);
	sb_result_free(&R);
	sb_helper(&S, STD_POLICY, "tcp4", "127.0.0.1", p, &R);
	cr_expect_neq(R.code, 0, "%s", R.out);
	cr_expect(strncmp(R.out, "refused", 7) == 0, "%s", R.out);
	cr_expect(!sb_touched(fd, SOCK_STREAM), "the outside listener got a connection");
	close(fd);
	expect_init("exec");
}

Test(rt_init_exec, process_limit_applies)
{
	sb_result_free(&R);
	sb_helper(&S, "sbxpol 1;\npolicy t { param WORKSPACE, TMPDIR; readonly \"/\"; "
	          "writable \"${WORKSPACE}\", \"${TMPDIR}\"; network offline; "
	          "limit processes 40; limit wall 120s; }\n", "forkbomb", "5000", NULL, &R);
	const char *at = strstr(R.out, "forked ");
	cr_assert_not_null(at, "%s", R.out);
	long n = atol(at + 7), bound = geteuid() == 0 ? 40 + 300 : 40;
	cr_expect(n < bound, "the fork bomb made %ld processes (bound %ld)", n, bound);
	cr_expect(n >= 10, "suspiciously few processes: %ld", n);
	expect_init("exec");
}

static int count_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	cr_assert_not_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* A context for STD_POLICY with the test tree bound; *blob to free. */
static struct sbx_ctx *std_ctx(uint8_t **blob)
{
	size_t len = 0;
	cr_assert_eq(t_compile(STD_POLICY, NULL, SBX_PLAT_LINUX, blob, &len, NULL), 0);
	struct sbx_ctx *ctx = sbx_ctx_create();
	cr_assert_eq(sbx_ctx_use_blob(ctx, *blob, len), SBX_OK);
	sbx_ctx_bind(ctx, "WORKSPACE", S.ws);
	sbx_ctx_bind(ctx, "HOME", S.home);
	sbx_ctx_bind(ctx, "TMPDIR", S.tmp);
	return ctx;
}

Test(rt_init_exec, kill_ends_it_and_nothing_leaks)
{
	uint8_t *blob = NULL;
	struct sbx_ctx *ctx = std_ctx(&blob);
	int logfd = open(S.log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	sbx_ctx_set_log_fd(ctx, logfd);
	int fds = count_fds();
	const char *argv[] = { "/bin/sleep", "1000", NULL };
	struct sbx_spawn_opts o = { .argv = argv, .cwd = S.ws };
	struct sbx_proc p;
	cr_assert_eq(sbx_spawn(ctx, &o, &p), SBX_OK, "%s", sbx_ctx_error(ctx));
	cr_expect_eq(sbx_proc_kill(&p, SIGKILL), SBX_OK);
	struct sbx_exit ex;
	cr_assert_eq(sbx_proc_wait(&p, &ex), SBX_OK);
	cr_expect_eq(ex.signal, SIGKILL);
	cr_expect_eq(count_fds(), fds, "the spawn left fds open");
	errno = 0;
	cr_expect_eq(waitpid(-1, NULL, WNOHANG), -1, "a child is left");
	cr_expect_eq(errno, ECHILD);
	expect_init("exec");
	close(logfd);
	sbx_ctx_destroy(&ctx);
	free(blob);
}

Test(rt_init_exec, missing_helper_falls_back_to_a_copy)
{
	cr_assert_eq(setenv(LX_INIT_ENV, SBX_BINARY_DIR "/no-such-sbx-init", 1), 0);
	sh("echo ran; " INIT_RSS);
	cr_expect_eq(R.code, 0, "%s", R.out);
	cr_expect_not_null(strstr(R.out, "ran\n"), "%s", R.out);
	/* the copy shares this process's pages: the measure tells the two ways apart */
	cr_expect_geq(init_rss_kb(), (long)(BIG >> 11), "%s", R.out);
	expect_init("fork");
	char *line = last_spawn_line();
	cr_expect_not_null(strstr(line, "no-such-sbx-init is unusable"), "%s", line);
	free(line);
}

Test(rt_init_exec, unexecutable_helper_falls_back_to_a_copy)
{
	/* Executable bits, but not a program: the exec fails with ENOEXEC. */
	char *bad = sb_fmt("%s/bad-init", S.outside);
	FILE *f = fopen(bad, "w");
	cr_assert_not_null(f);
	fputs("\x01\x02 not a program\n", f);
	fclose(f);
	cr_assert_eq(chmod(bad, 0755), 0);
	cr_assert_eq(setenv(LX_INIT_ENV, bad, 1), 0);
	int fds = count_fds();
	sh("echo ran");
	cr_expect_eq(R.code, 0, "%s", R.out);
	cr_expect_not_null(strstr(R.out, "ran\n"), "%s", R.out);
	cr_expect_eq(count_fds(), fds, "the fallback left fds open");
	expect_init("fork");
	char *line = last_spawn_line();
	cr_expect_not_null(strstr(line, "cannot exec the helper"), "%s", line);
	free(line);
	free(bad);
}

Test(rt_init_exec, helper_refuses_by_hand)
{
	char *out = NULL;
	int rc = t_run(HELPER " </dev/null", &out);
	cr_expect_neq(rc, 0, "sbx-init ran by hand: %s", out);
	cr_expect_not_null(strstr(out, "not meant to be run by hand"), "%s", out);
	free(out);
}

Test(rt_init_exec, disabled_helper_copies)
{
	cr_assert_eq(setenv(LX_INIT_ENV, "", 1), 0);
	sh("echo ran");
	cr_expect_eq(R.code, 0, "%s", R.out);
	expect_init("fork");
	char *line = last_spawn_line();
	cr_expect_not_null(strstr(line, "no helper to exec"), "%s", line);
	free(line);
}

/* ---- the payload sbx-init reads: every truncation and a foreign header refused ---- */

static const char *const t_argv[] = { "/bin/echo", "a", NULL };

/* A plan for STD_POLICY over the test tree, as the launcher would send it. */
struct pl {
	struct lx_plan P;
	struct rt_spawn s;
	struct sbx_view v;
	struct rt_paths paths;
	struct rt_env env;
	uint8_t *blob, *buf;
	size_t len;
	struct lx_init I;
	const char *why;
};

static void pl_make(struct pl *x)
{
	size_t len = 0;
	memset(x, 0, sizeof *x);
	cr_assert_eq(t_compile(STD_POLICY, NULL, SBX_PLAT_LINUX, &x->blob, &len, NULL), 0);
	cr_assert_eq(sbx_blob_verify(x->blob, len, &x->v, NULL, 0), SBX_OK);
	x->paths.npaths = x->v.npaths;
	x->paths.path = calloc(x->v.npaths + 1, sizeof *x->paths.path);
	for (size_t i = 0; i < x->v.npaths; i++)
		x->paths.path[i] = i % 2 ? S.ws : NULL;
	static char *envp[] = { "PATH=/bin", "LANG=C", NULL };
	x->env.envp = envp;
	x->env.path = envp[0] + 5;
	x->s = (struct rt_spawn){ NULL, &x->v, &x->paths, &x->env, t_argv, S.ws, 0, { -1, -1, -1 }, -1 };
	x->P.s = &x->s;
	x->P.nroots = 1;
	x->P.roots[0] = 1;
}

static void pl_free(struct pl *x)
{
	lx_payload_release(&x->I);
	free(x->buf);
	free(x->paths.path);
	free(x->blob);
}

Test(rt_init_exec, payload_round_trip_and_truncations)
{
	struct pl x;
	pl_make(&x);
	cr_assert_eq(lx_payload_build(&x.P, &x.buf, &x.len), 0);
	cr_assert_eq(lx_payload_parse(x.buf, x.len, &x.I, &x.why), 0, "%s", x.why);
	cr_expect_str_eq(x.I.argv[1], "a");
	cr_expect_eq(x.I.argv[2], NULL);
	cr_expect_str_eq(x.I.s.cwd, S.ws);
	cr_expect_str_eq(x.I.env.path, "/bin");
	cr_expect_eq(x.I.paths.npaths, x.v.npaths);
	cr_expect_eq(x.I.paths.path[0], NULL);
	cr_expect_eq(x.I.P.nroots, 1);
	cr_expect_eq(x.I.P.report_fd, LX_INIT_REPORT_FD);
	for (size_t n = 0; n < x.len; n++) {
		uint8_t *cut = malloc(n ? n : 1);
		memcpy(cut, x.buf, n);
		lx_payload_release(&x.I);
		cr_expect_eq(lx_payload_parse(cut, n, &x.I, &x.why), -1, "a payload cut at %zu passed", n);
		free(cut);
	}
	x.buf[4]++;   /* another version */
	lx_payload_release(&x.I);
	cr_expect_eq(lx_payload_parse(x.buf, x.len, &x.I, &x.why), -1);
	cr_expect_not_null(strstr(x.why, "another version"), "%s", x.why);
	pl_free(&x);
}

Test(rt_init_exec, payload_with_a_root_not_bound_refused)
{
	struct pl x;
	pl_make(&x);
	x.P.roots[0] = 0;   /* paths[0] is not bound */
	cr_assert_eq(lx_payload_build(&x.P, &x.buf, &x.len), 0);
	cr_expect_eq(lx_payload_parse(x.buf, x.len, &x.I, &x.why), -1);
	cr_expect_not_null(x.why && strstr(x.why, "not bound"), "%s", x.why ? x.why : "(accepted)");
	pl_free(&x);
}

Test(rt_init_exec, payload_with_an_unterminated_id_map_refused)
{
	struct pl x;
	pl_make(&x);
	memset(x.P.uid_map, '1', sizeof x.P.uid_map);   /* init would strlen past it */
	cr_assert_eq(lx_payload_build(&x.P, &x.buf, &x.len), 0);
	cr_expect_eq(lx_payload_parse(x.buf, x.len, &x.I, &x.why), -1);
	cr_expect_not_null(x.why && strstr(x.why, "unterminated id map"), "%s",
	                   x.why ? x.why : "(accepted)");
	pl_free(&x);
}
