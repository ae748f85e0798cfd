/*
 * Process confinement and job limits: capabilities, setuid, signals and
 * ptrace across the sandbox boundary, a fork bomb, a memory hog, CPU and
 * wall limits, and no process surviving the launcher (even a SIGKILLed one).
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "escape/harness.c"

static struct sb S;
static struct sb_result R;

static void up(void) { sb_setup(&S); }
static void down(void) { sb_result_free(&R); sb_teardown(&S); }

TestSuite(rt_proc, .init = up, .fini = down);

#define LIMIT_POLICY(limits) \
	"sbxpol 1;\npolicy t { param WORKSPACE, TMPDIR; readonly \"/\"; " \
	"writable \"${WORKSPACE}\", \"${TMPDIR}\"; network offline; " limits " }\n"

static void helper(const char *policy, const char *name, const char *a1, const char *a2)
{
	sb_result_free(&R);
	sb_helper(&S, policy, name, a1, a2, &R);
}

static void sh(const char *policy, const char *script)
{
	sb_result_free(&R);
	sb_sh(&S, policy, script, &R);
}

static void expect_line(const char *line)
{
	cr_expect(strstr(R.out, line) != NULL, "missing '%s' in:\n%s", line, R.out);
}

Test(rt_proc, capability_sets_empty)
{
	helper(STD_POLICY, "caps", NULL, NULL);
	cr_assert_eq(R.code, 0, "%s", R.out);
	expect_line("CapInh:\t0000000000000000");
	expect_line("CapPrm:\t0000000000000000");
	expect_line("CapEff:\t0000000000000000");
	expect_line("CapBnd:\t0000000000000000");
	expect_line("CapAmb:\t0000000000000000");
	expect_line("NoNewPrivs:\t1");
}

/* A new user namespace would hand the command every capability over
   namespaces of its own: netfilter and the rest of root's kernel surface. */
Test(rt_proc, new_user_namespace_refused)
{
	helper(STD_POLICY, "userns", "unshare", NULL);
	cr_expect_eq(R.code, 1, "%s", R.out);
	cr_expect(strstr(R.out, "refused: Operation not permitted") != NULL, "%s", R.out);
	helper(STD_POLICY, "userns", "clone3", NULL);
	cr_expect_eq(R.code, 1, "%s", R.out);
	cr_expect(strstr(R.out, "refused: Function not implemented") != NULL, "%s", R.out);
	sh(STD_POLICY, "unshare -Ur true && echo created");
	cr_expect_neq(R.code, 0, "%s", R.out);
	cr_expect(strstr(R.out, "created") == NULL, "%s", R.out);
	/* Everyday process creation still works: libc falls back from clone3. */
	sh(STD_POLICY, "python3 -c 'import subprocess, threading; t = threading.Thread(target=print); "
	   "t.start(); t.join(); subprocess.run([\"true\"], check=True); print(\"spawned\")'");
	cr_expect_eq(R.code, 0, "%s", R.out);
	cr_expect(strstr(R.out, "spawned") != NULL, "%s", R.out);
}

#define USERNS_POLICY \
	"sbxpol 1;\npolicy t { param WORKSPACE, TMPDIR; readonly \"/\"; " \
	"writable \"${WORKSPACE}\", \"${TMPDIR}\"; network offline; user-namespaces allow; }\n"

Test(rt_proc, new_user_namespace_when_allowed)
{
	helper(USERNS_POLICY, "userns", "unshare", NULL);
	if (R.code == 1 && strstr(R.out, "refused: Operation not permitted"))
		cr_skip_test("this host refuses user namespaces to this user: %s", R.out);
	cr_expect_eq(R.code, 0, "%s", R.out);
	helper(USERNS_POLICY, "userns", "clone3", NULL);
	cr_expect_eq(R.code, 0, "%s", R.out);
}

Test(rt_proc, setuid_binary_does_not_elevate)
{
	if (geteuid() != 0)
		cr_skip_test("creating a setuid binary owned by another user needs root");
	/* Owned by nobody: a working setuid bit would change the euid to 65534. */
	char *cmd = sb_fmt("cp '%s' '%s/suid' && chown 65534:65534 '%s/suid' && chmod 4755 '%s/suid' && "
	                   "cp '%s' '%s/suidroot' && chmod 4755 '%s/suidroot'", S.exe, S.outside,
	                   S.outside, S.outside, S.exe, S.outside, S.outside);
	cr_assert_eq(t_run(cmd, NULL), 0);
	free(cmd);
	char *bin = sb_fmt("%s/suid", S.outside), *root_bin = sb_fmt("%s/suidroot", S.outside);
	const char *argv[] = { bin, "--sbx-helper", "caps", NULL };
	sb_result_free(&R);
	sb_run(&S, STD_POLICY, argv, NULL, &R);
	cr_expect_eq(R.code, 0, "%s", R.out);
	expect_line("euid=0\n");
	const char *argv2[] = { root_bin, "--sbx-helper", "caps", NULL };
	sb_result_free(&R);
	sb_run(&S, STD_POLICY, argv2, NULL, &R);
	expect_line("CapEff:\t0000000000000000");
	expect_line("CapPrm:\t0000000000000000");
	free(bin);
	free(root_bin);
}

static pid_t start_victim(void)
{
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		execl("/bin/sleep", "sleep", "1000", (char *)NULL);
		_exit(127);
	}
	return pid;
}

static void end_victim(pid_t pid)
{
	int st;
	cr_expect_eq(waitpid(pid, &st, WNOHANG), 0, "the outside process died");
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
}

Test(rt_proc, kill_outside_process_refused)
{
	pid_t v = start_victim();
	char p[16];
	snprintf(p, sizeof p, "%d", (int)v);
	helper(STD_POLICY, "kill", p, NULL);
	cr_expect_neq(R.code, 0, "%s", R.out);
	sh(STD_POLICY, "kill -9 -1; true");   /* everything it can see */
	end_victim(v);
}

Test(rt_proc, ptrace_outside_process_refused)
{
	pid_t v = start_victim();
	char p[16];
	snprintf(p, sizeof p, "%d", (int)v);
	helper(STD_POLICY, "ptrace", p, NULL);
	cr_expect_neq(R.code, 0, "%s", R.out);
	expect_line("refused");
	end_victim(v);
}

Test(rt_proc, launcher_invisible_inside)
{
	char *script = sb_fmt("ps -e -o pid=,comm= ; kill -0 %d && echo VISIBLE; true", (int)getpid());
	sh(STD_POLICY, script);
	free(script);
	cr_expect_null(strstr(R.out, "VISIBLE"), "%s", R.out);
}

Test(rt_proc, fork_bomb_contained)
{
	helper(LIMIT_POLICY("limit processes 40; limit wall 120s;"), "forkbomb", "5000", NULL);
	long n = -1;
	const char *at = strstr(R.out, "forked ");
	cr_assert_not_null(at, "%s", R.out);
	n = atol(at + 7);
	/* Exactly 40 with RLIMIT_NPROC (not root); root relies on the PID
	   namespace's pid_max = limit + 300. */
	long bound = geteuid() == 0 ? 40 + 300 : 40;
	cr_expect(n < bound, "the fork bomb made %ld processes (bound %ld)", n, bound);
	cr_expect(n >= 10, "suspiciously few processes: %ld", n);
}

Test(rt_proc, memory_hog_stopped)
{
	/* Python, not a helper in this binary: under RLIMIT_DATA a sanitizer build's shadow
	 * memory would count against the limit. */
	if (system("command -v python3 >/dev/null 2>&1") != 0)
		cr_skip_test("python3 is not installed");
	sh(LIMIT_POLICY("limit memory 64 MiB; limit wall 120s;"),
	   "python3 -c 'import sys\n"
	   "a=[]\n"
	   "try:\n"
	   "  for i in range(2048): a.append(bytearray(1<<20))\n"
	   "except MemoryError: pass\n"
	   "print(\"allocated\", len(a), \"MiB\")\n"
	   "sys.exit(3 if len(a) < 2048 else 0)'");
	const char *at = strstr(R.out, "allocated ");
	cr_assert_not_null(at, "%s", R.out);
	long mb = atol(at + 10);
	cr_expect(mb < 64, "the hog got %ld MiB under a 64 MiB limit", mb);
	cr_expect_eq(R.code, 3, "%s", R.out);
}

Test(rt_proc, cpu_spin_killed)
{
	helper(LIMIT_POLICY("limit cpu 1s; limit wall 120s;"), "spin", NULL, NULL);
	cr_expect(R.signal == SIGXCPU || R.signal == SIGKILL, "signal %d", R.signal);
	cr_expect_str_eq(R.limit ? R.limit : "(none)", "cpu");
	cr_expect_eq(R.code, 128 + R.signal);
}

Test(rt_proc, wall_limit_kills_tree)
{
	sh(LIMIT_POLICY("limit wall 1s;"), "sleep 300 & sleep 300");
	cr_expect_eq(R.signal, SIGKILL);
	cr_expect_eq(R.code, 137);
	cr_expect_str_eq(R.limit ? R.limit : "(none)", "wall");
	cr_expect(R.duration_ms >= 900 && R.duration_ms < 20000, "took %llu ms",
	          (unsigned long long)R.duration_ms);
}

/* Counts host processes whose command line contains `marker`. */
static int count_marked(const char *marker)
{
	/* "[s]leep ..." matches the processes but not the shell running pgrep. */
	char *cmd = sb_fmt("pgrep -f -c -- '[%c]%s'", marker[0], marker + 1);
	char *out = NULL;
	t_run(cmd, &out);
	int n = atoi(out ? out : "0");
	free(out);
	free(cmd);
	return n;
}

Test(rt_proc, background_process_dies_with_command)
{
	char *marker = sb_fmt("sleep 1%d9", (int)getpid());
	char *script = sb_fmt("%s & %s & echo started", marker, marker);
	sh(STD_POLICY, script);
	cr_expect_eq(R.code, 0, "%s", R.out);
	cr_expect_eq(count_marked(marker), 0, "a background process outlived the sandbox");
	free(script);
	free(marker);
}

/* Starts sbxrun in the background; its stdout goes to T/out. */
static pid_t start_sbxrun(const char *blob, const char *script)
{
	char *out = sb_fmt("%s/out", S.root);
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		freopen(out, "w", stdout);
		execl(SBX_BINARY_DIR "/sbxrun", "sbxrun", "--policy", blob, "--var", "TMPDIR=/tmp",
		      "--cwd", S.ws, "--", "/bin/sh", "-c", script, (char *)NULL);
		_exit(127);
	}
	free(out);
	return pid;
}

/* Waits (bounded: about 10 s) until `cond` of the marker count holds. */
static int wait_count(const char *marker, int want_nonzero)
{
	for (int i = 0; i < 500; i++) {
		int n = count_marked(marker);
		if (want_nonzero ? n > 0 : n == 0)
			return n;
		usleep(20000);
	}
	return count_marked(marker);
}

Test(rt_proc, nothing_survives_sigkill_of_sbxrun)
{
	char *blob = sb_write_blob(&S, STD_POLICY, "p.sbxblob");
	char *marker = sb_fmt("sleep 2%d7", (int)getpid());
	char *script = sb_fmt("%s & (%s &) ; %s", marker, marker, marker);
	pid_t pid = start_sbxrun(blob, script);
	cr_assert(wait_count(marker, 1) > 0, "the sandboxed processes never started");
	kill(pid, SIGKILL);
	int st;
	waitpid(pid, &st, 0);
	cr_expect_eq(wait_count(marker, 0), 0, "processes survived the SIGKILLed launcher");
	free(script);
	free(marker);
	free(blob);
}

Test(rt_proc, sigterm_forwarded_to_command)
{
	char *blob = sb_write_blob(&S, STD_POLICY, "p.sbxblob");
	char *script = sb_fmt("exec '%s' --sbx-helper waitsig", S.exe);
	pid_t pid = start_sbxrun(blob, script);
	char *text = NULL;
	for (int i = 0; i < 500; i++) {
		free(text);
		text = sb_read(S.root, "out");
		if (strstr(text, "waiting"))
			break;
		usleep(20000);
	}
	cr_assert(strstr(text, "waiting") != NULL, "the helper never started: %s", text);
	kill(pid, SIGTERM);
	int st;
	waitpid(pid, &st, 0);
	free(text);
	text = sb_read(S.root, "out");
	cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 42, "status 0x%x", st);
	cr_expect(strstr(text, "got signal 15") != NULL, "%s", text);
	free(text);
	free(script);
	free(blob);
}

Test(rt_proc, ptrace_of_the_sandbox_init_refused)
{
	/* init holds the report pipe to the launcher: the command may not drive it. */
	helper(STD_POLICY, "ptrace", "1", NULL);
	cr_expect_neq(R.code, 0, "%s", R.out);
	expect_line("refused");
}

Test(rt_proc, session_keyring_not_shared)
{
	/* A key in the caller's session keyring: visible outside, not inside. */
	char desc[64];
	snprintf(desc, sizeof desc, "sbx-test-%d", (int)getpid());
	if (syscall(SYS_keyctl, 1 /* KEYCTL_JOIN_SESSION_KEYRING */, NULL) < 0)
		cr_skip_test("no keyrings here");
	long id = syscall(SYS_add_key, "user", desc, SECRET, strlen(SECRET), -3 /* session */);
	cr_assert(id >= 0, "add_key failed");
	cr_assert(syscall(SYS_request_key, "user", desc, NULL, 0) >= 0, "the control lookup failed");
	helper(STD_POLICY, "findkey", desc, NULL);
	cr_expect_neq(R.code, 0, "%s", R.out);
	expect_line("refused");
}

Test(rt_proc, user_keyring_not_reachable)
{
	/* Keyrings are not namespaced: as root, @u is root's own user keyring. */
	if (syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -4 /* @u */, 0) < 0)
		cr_skip_test("no keyrings here");
	helper(STD_POLICY, "userkeyring", NULL, NULL);
	cr_expect_neq(R.code, 0, "%s", R.out);
	expect_line("refused");
}

Test(rt_proc, library_kill_ends_the_whole_tree)
{
	uint8_t *blob = NULL;
	size_t len = 0;
	cr_assert_eq(t_compile(STD_POLICY, NULL, SBX_PLAT_LINUX, &blob, &len, NULL), 0);
	struct sbx_ctx *ctx = sbx_ctx_create();
	cr_assert_eq(sbx_ctx_use_blob(ctx, blob, len), SBX_OK);
	sbx_ctx_bind(ctx, "WORKSPACE", S.ws);
	sbx_ctx_bind(ctx, "HOME", S.home);
	sbx_ctx_bind(ctx, "TMPDIR", S.tmp);
	char *marker = sb_fmt("sleep 5%d5", (int)getpid());
	char *script = sb_fmt("%s & %s & %s", marker, marker, marker);
	const char *argv[] = { "/bin/sh", "-c", script, NULL };
	struct sbx_spawn_opts o = { .argv = argv, .cwd = S.ws };
	struct sbx_proc p;
	cr_assert_eq(sbx_spawn(ctx, &o, &p), SBX_OK, "%s", sbx_ctx_error(ctx));
	cr_assert(wait_count(marker, 1) > 0, "the tree never started");
	cr_expect_eq(sbx_proc_kill(&p, SIGKILL), SBX_OK);
	struct sbx_exit ex;
	cr_assert_eq(sbx_proc_wait(&p, &ex), SBX_OK);
	cr_expect_eq(ex.signal, SIGKILL);
	cr_expect_eq(ex.code, 137);
	cr_expect_eq(count_marked(marker), 0, "processes survived sbx_proc_kill");
	cr_expect_eq(sbx_proc_wait(&p, &ex), SBX_E_ARG, "a second wait is refused");
	sbx_ctx_destroy(&ctx);
	free(script);
	free(marker);
	free(blob);
}
