/*
 * Signals: the sandboxed command dies by each common signal and sbxrun
 * reports 128+N; sbxrun itself is killed (SIGTERM, SIGINT, SIGHUP, SIGKILL)
 * while the command and a background grandchild run, and no process of the
 * sandbox survives it (docs/runtime.md, "Exit status").
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "escape/harness.c"

static struct sb S;
static char *BLOB;   /* T/p.sbxblob: STD_POLICY compiled */

static void up(void)
{
	sb_setup(&S);
	uint8_t *blob = NULL;
	size_t len = 0;
	char *diag = NULL;
	cr_assert_eq(t_compile(STD_POLICY, NULL, SBX_PLAT_LINUX, &blob, &len, &diag), 0, "%s",
	             diag ? diag : "");
	free(diag);
	BLOB = sb_fmt("%s/p.sbxblob", S.root);
	cr_assert_eq(t_write_file(BLOB, blob, len), 0);
	free(blob);
}

static void down(void)
{
	free(BLOB);
	BLOB = NULL;
	sb_teardown(&S);
}

TestSuite(signals, .init = up, .fini = down);

/* Starts `sbxrun ... -- /bin/sh -c script` in the workspace; output to T/out. */
static pid_t start_sbxrun(const char *script)
{
	char *out = sb_fmt("%s/out", S.root);
	char *tmp = sb_fmt("TMPDIR=%s", S.tmp);
	char *home = sb_fmt("HOME=%s", S.home);
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fd, 1);
		dup2(fd, 2);
		/* Default dispositions: the test runner's must not decide the outcome. */
		for (int sig = 1; sig < 32; sig++)
			if (sig != SIGKILL && sig != SIGSTOP)
				signal(sig, SIG_DFL);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		char *env[] = { "PATH=/usr/local/bin:/usr/bin:/bin", home, NULL };
		execle(SBX_BINARY_DIR "/sbxrun", "sbxrun", "--policy", BLOB, "--var", tmp, "--cwd", S.ws,
		       "--", "/bin/sh", "-c", script, (char *)NULL, env);
		_exit(127);
	}
	free(home);
	free(tmp);
	free(out);
	return pid;
}

/* What a shell reports for a wait status: the exit code or 128+signal. */
static int shell_status(int st)
{
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* ---- the command dies by a signal ---- */

static const int COMMON[] = { SIGHUP, SIGINT, SIGQUIT, SIGILL, SIGABRT, SIGFPE, SIGKILL, SIGSEGV,
	                      SIGPIPE, SIGALRM, SIGTERM, SIGUSR1, SIGBUS, SIGXCPU };

Test(signals, command_killed_by_each_common_signal_is_128_plus_n)
{
	for (size_t i = 0; i < sizeof COMMON / sizeof COMMON[0]; i++) {
		int sig = COMMON[i];
		/* The shell signals itself: no handler, nothing ignored (init resets them). */
		char *script = sb_fmt("kill -%d $$; echo SURVIVED", sig);
		int st;
		pid_t pid = start_sbxrun(script);
		cr_assert_eq(waitpid(pid, &st, 0), pid);
		char *out = sb_read(S.root, "out");
		cr_expect(WIFEXITED(st), "signal %d: sbxrun itself died of signal %d", sig,
		          WIFSIGNALED(st) ? WTERMSIG(st) : 0);
		cr_expect_eq(shell_status(st), 128 + sig, "signal %d (%s): sbxrun exited %d: %s", sig,
		             strsignal(sig), shell_status(st), out);
		cr_expect_null(strstr(out, "SURVIVED"), "signal %d: the command survived", sig);
		free(out);
		free(script);
	}
}

/* ---- sbxrun is killed while the sandbox runs ---- */

/* A process seen on the host: its pid and start time (so a reused pid is not it). */
struct hproc {
	int pid;
	unsigned long long start;
};

/* Reads ppid, state and start time from /proc/PID/stat; -1 when it is gone. */
static int read_stat(int pid, int *ppid, char *state, unsigned long long *start)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t len = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (len <= 0)
		return -1;
	buf[len] = 0;
	/* comm may hold spaces and ')': the fields follow the last ')'. Field 22 is starttime. */
	char *p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d "
	                 "%*d %*d %llu", state, ppid, start) != 3)
		return -1;
	return 0;
}

/* Every descendant of `root` on the host, into out[] (at most max); the count. */
static size_t descendants(int root, struct hproc *out, size_t max)
{
	size_t n = 0;
	int frontier[256], nf = 1;
	frontier[0] = root;
	while (nf > 0 && n < max) {
		int parent = frontier[--nf];
		DIR *d = opendir("/proc");
		cr_assert_not_null(d);
		for (struct dirent *e; (e = readdir(d)) != NULL && n < max;) {
			int pid = atoi(e->d_name), ppid;
			char state;
			unsigned long long start;
			if (pid <= 0 || read_stat(pid, &ppid, &state, &start) != 0 || ppid != parent)
				continue;
			out[n++] = (struct hproc){ pid, start };
			if (nf < 256)
				frontier[nf++] = pid;
		}
		closedir(d);
	}
	return n;
}

/* Alive: present with the same start time and not a zombie. */
static int alive(const struct hproc *p)
{
	int ppid;
	char state;
	unsigned long long start;
	return read_stat(p->pid, &ppid, &state, &start) == 0 && start == p->start &&
	       state != 'Z' && state != 'X';
}

/* Polls (bounded: about 10 s) until none of procs[] is alive; the survivors. */
static int survivors(const struct hproc *procs, size_t n)
{
	int left = 0;
	for (int i = 0; i < 500; i++) {
		left = 0;
		for (size_t k = 0; k < n; k++)
			left += alive(&procs[k]);
		if (left == 0)
			break;
		usleep(20000);
	}
	return left;
}

/*
 * The command starts a background sleeper that starts another (a
 * grandchild and a great-grandchild), writes its and their namespace pids
 * to T/ws/pids, and waits.  Once that file is there, the sandbox's host
 * processes are sbxrun's descendants.
 */
static void kill_sbxrun_while_running(int sig, int want_status)
{
	const char *script = "sleep 1000 & a=$!; sh -c 'sleep 1000 & echo $!; wait' > inner & b=$!; "
	                     "while [ ! -s inner ]; do sleep 0.01; done; "
	                     "echo $$ $a $b $(cat inner) > pids.tmp; mv pids.tmp pids; wait";
	pid_t pid = start_sbxrun(script);
	char *pids = NULL;
	for (int i = 0; i < 1000; i++) {
		free(pids);
		pids = sb_read(S.ws, "pids");
		if (pids[0])
			break;
		usleep(10000);
	}
	cr_assert(pids[0], "the command never wrote its pids: %s", sb_read(S.root, "out"));
	struct hproc procs[64];
	size_t n = descendants(pid, procs, 64);
	/* init, sh, sleep, the inner sh and its sleep (the command's 4 pids + init) */
	cr_assert_geq(n, 5, "only %zu sandbox processes found on the host (pids: %s)", n, pids);
	cr_assert_eq(kill(pid, sig), 0);
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	char *out = sb_read(S.root, "out");
	cr_expect_eq(shell_status(st), want_status, "sbxrun killed by %s: status %d (want %d): %s",
	             strsignal(sig), shell_status(st), want_status, out);
	int left = survivors(procs, n);
	cr_expect_eq(left, 0, "%d of %zu sandbox processes survived %s of sbxrun (pids inside: %s)",
	             left, n, strsignal(sig), pids);
	free(out);
	free(pids);
}

/* Forwarded signals: the command dies of it and sbxrun reports 128+N. */
Test(signals, sigterm_of_sbxrun_ends_the_sandbox)
{
	kill_sbxrun_while_running(SIGTERM, 128 + SIGTERM);
}

Test(signals, sigint_of_sbxrun_ends_the_sandbox)
{
	kill_sbxrun_while_running(SIGINT, 128 + SIGINT);
}

Test(signals, sighup_of_sbxrun_ends_the_sandbox)
{
	kill_sbxrun_while_running(SIGHUP, 128 + SIGHUP);
}

/* SIGKILL cannot be forwarded: sbxrun dies (137) and the parent-death signal ends init. */
Test(signals, sigkill_of_sbxrun_ends_the_sandbox)
{
	kill_sbxrun_while_running(SIGKILL, 128 + SIGKILL);
}
