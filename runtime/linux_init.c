/*
 * linux_init.c - the child side of a spawn: the sandbox's init.  It builds
 * the sandbox step by step (fail closed: a failed step reports why and
 * exits 125, and nothing is exec'd), starts the command with vfork
 * semantics (CLONE_VM | CLONE_VFORK on a stack of its own: no copy of the
 * address space), reports READY or why the exec failed, then reaps
 * everything, forwards signals to the command and reports its wait status
 * when it ends.
 *
 * This runs in a fork of a possibly multithreaded process: only system
 * calls on memory the parent prepared, no malloc, no stdio.  From a big
 * caller it runs in sbx-init instead (sbx_init.c), on a plan rebuilt from
 * the payload: the same steps either way.
 */
#include "linux.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define LX_KEYCTL_JOIN_SESSION_KEYRING 1   /* <linux/keyctl.h> */
#define LX_CMD_STACK (64u * 1024u)         /* exec_search needs a path buffer */

/* strncat without the quadratic surprise: appends src to buf (size bytes). */
static void cat(char *buf, size_t size, const char *src)
{
	size_t n = strlen(buf);
	while (src && *src && n + 1 < size)
		buf[n++] = *src++;
	buf[n] = 0;
}

_Static_assert(sizeof(struct lx_batch) - sizeof(size_t) <= PIPE_BUF,
               "a batch of records must fit one atomic pipe write");

void lx_report(const struct lx_plan *P, int kind, int err, int code, const char *msg)
{
	struct lx_report one, *r = &one;
	struct lx_batch *b = P->batch;
	if (b)
		r = &b->r[b->n++];
	memset(r, 0, sizeof *r);
	r->kind = kind;
	r->err = err;
	r->code = code;
	cat(r->msg, sizeof r->msg, msg);
	if (b && kind == LX_R_NOTE && b->n < LX_BATCH_MAX)
		return;   /* goes out with the step's outcome */
	size_t n = b ? b->n : 1;
	ssize_t w = write(P->report_fd, b ? b->r : r, n * sizeof *r);
	(void)w;
	if (b)
		b->n = 0;
}

void lx_note(const struct lx_plan *P, const char *a, const char *b, const char *c, const char *d)
{
	char msg[LX_MSG_SIZE] = "";
	cat(msg, sizeof msg, a);
	cat(msg, sizeof msg, b);
	cat(msg, sizeof msg, c);
	cat(msg, sizeof msg, d);
	lx_report(P, LX_R_NOTE, 0, 0, msg);
}

int lx_fail(const struct lx_plan *P, int code, const char *what, const char *path, int err)
{
	char msg[LX_MSG_SIZE] = "";
	cat(msg, sizeof msg, what);
	if (path) {
		cat(msg, sizeof msg, " ");
		cat(msg, sizeof msg, path);
	}
	cat(msg, sizeof msg, ": ");
	cat(msg, sizeof msg, strerrordesc_np(err) ? strerrordesc_np(err) : "unknown error");
	/* A namespace step refused (a restricted user namespace) means "unavailable". */
	if (P->ns_stage && (err == EPERM || err == EACCES))
		code = SBX_E_UNSUPPORTED;
	lx_report(P, LX_R_FAIL, err, code, msg);
	return -1;
}

/* Moves fd to a number >= 10 (close-on-exec), closing the original. */
static int move_high(int fd)
{
	int high = fcntl(fd, F_DUPFD_CLOEXEC, 10);
	if (high >= 0)
		close(fd);
	return high;
}

/*
 * Puts the requested stdio in place and keeps only it and the report pipe
 * (as fd 3).  The pipe moves out of 0..2 first: when the caller's stdio is
 * closed, pipe2() may have put it there.
 */
static int child_fds(struct lx_plan *P)
{
	const struct rt_spawn *s = P->s;
	int tmp[3] = { -1, -1, -1 }, high = move_high(P->report_fd);
	if (high < 0)
		_exit(125);   /* no way to report anything */
	P->report_fd = high;
	for (int i = 0; s->redirect && i < 3; i++)
		if (s->stdio[i] >= 0 && (tmp[i] = fcntl(s->stdio[i], F_DUPFD_CLOEXEC, 10)) < 0)
			return lx_fail(P, SBX_E_SETUP, "cannot set up standard I/O", NULL, errno);
	for (int i = 0; i < 3; i++)
		if (tmp[i] >= 0 && dup2(tmp[i], i) < 0)
			return lx_fail(P, SBX_E_SETUP, "cannot set up standard I/O", NULL, errno);
	if (dup3(P->report_fd, 3, O_CLOEXEC) < 0)
		return lx_fail(P, SBX_E_SETUP, "cannot move the report pipe", NULL, errno);
	P->report_fd = 3;
	if (syscall(SYS_close_range, 4u, ~0u, 0u) != 0)
		for (int fd = 4; fd < 1024; fd++)
			close(fd);
	return 0;
}

/* Default dispositions everywhere; the signals init handles are blocked for sigwaitinfo. */
static void child_signals(const struct lx_plan *P)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &sa, NULL);
	sigprocmask(SIG_SETMASK, &P->child_mask, NULL);
}

/* Dies with the launcher; if the launcher is already gone, stop here. */
static int child_tie_to_parent(const struct lx_plan *P)
{
	prctl(PR_SET_NAME, "sbx-init", 0, 0, 0);   /* what ps shows for the namespace's pid 1 */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0)
		return lx_fail(P, SBX_E_SETUP, "cannot set the parent-death signal", NULL, errno);
	struct pollfd pfd = { P->report_fd, POLLOUT, 0 };
	if (poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLERR))
		_exit(125);   /* nobody reads: the launcher died before prctl */
	return 0;
}

static int child_setup(struct lx_plan *P)
{
	if (child_tie_to_parent(P) != 0 || child_fds(P) != 0)
		return -1;
	child_signals(P);
	P->ns_stage = !P->nons;
	if (P->nons && prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0)
		return lx_fail(P, SBX_E_SETUP, "cannot become a child subreaper", NULL, errno);
	if (!P->nons && (lx_setup_userns(P) != 0 || lx_setup_mounts(P) != 0 ||
	                 lx_setup_proc(P) != 0 || lx_setup_loopback(P) != 0))
		return -1;
	P->ns_stage = 0;
	if (lx_setup_limits(P) != 0)
		return -1;
	if (chdir(P->s->cwd) != 0)
		return lx_fail(P, SBX_E_SETUP, "cannot enter the working directory", P->s->cwd, errno);
	/* A fresh, empty session keyring: the caller's session keys (tickets,
	   tokens) stay outside.  Kernels without keys support just say ENOSYS. */
	if (syscall(SYS_keyctl, LX_KEYCTL_JOIN_SESSION_KEYRING, NULL) < 0 && errno != ENOSYS)
		return lx_fail(P, SBX_E_SETUP, "cannot start a session keyring", NULL, errno);
	if (lx_drop_caps(P) != 0 || lx_setup_landlock(P) != 0 || lx_setup_seccomp(P) != 0)
		return -1;
	/* The command (same uid, same domain) may not ptrace init and speak for it
	   on the report pipe; exec makes the command itself dumpable again. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		return lx_fail(P, SBX_E_SETUP, "cannot make init non-dumpable", NULL, errno);
	return 0;
}

/* execvpe, but searching the filtered environment's PATH (glibc uses the caller's). */
__attribute__((no_sanitize("address")))   /* runs on the command's own stack */
static int exec_search(const struct lx_plan *P)
{
	char *const *argv = (char *const *)P->s->argv;
	char *const *envp = P->s->env->envp;
	if (strchr(argv[0], '/')) {
		execve(argv[0], argv, envp);
		return errno;
	}
	const char *path = P->s->env->path ? P->s->env->path : "/usr/local/bin:/usr/bin:/bin";
	int err = ENOENT, eacces = 0;
	char buf[4096];
	for (const char *dir = path; ; ) {
		const char *end = strchrnul(dir, ':');
		size_t dn = (size_t)(end - dir), an = strlen(argv[0]);
		if (dn + an + 2 <= sizeof buf) {
			memcpy(buf, dir, dn);
			buf[dn] = dn ? '/' : 0;
			memcpy(buf + dn + (dn ? 1 : 0), argv[0], an + 1);
			execve(buf, argv, envp);
			err = errno;
			if (err == EACCES)
				eacces = 1;
			else if (err != ENOENT && err != ENOTDIR && err != ESTALE && err != ELOOP)
				return err;
		}
		if (!*end)
			break;
		dir = end + 1;
	}
	return eacces ? EACCES : err;
}

/* What init and the command share while the command starts (CLONE_VM). */
struct lx_cmd {
	const struct lx_plan *P;
	int err;   /* set by the command when every exec failed */
};

/*
 * The command, before its exec: it runs on a small stack of its own in
 * init's address space while init is suspended (vfork semantics), so it
 * only makes system calls and touches nothing but its own stack and C->err.
 * Not instrumented by ASan, whose stack bookkeeping does not know this stack.
 */
__attribute__((no_sanitize("address")))
static int command_main(void *arg)
{
	struct lx_cmd *C = arg;
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* Every fd but 0, 1, 2 closes at exec; this is the command's own fd table. */
	syscall(SYS_close_range, 3u, ~0u, CLOSE_RANGE_CLOEXEC);
	C->err = exec_search(C->P);
	_exit(C->err == ENOENT ? 127 : 126);
}

/*
 * Starts the command with CLONE_VM | CLONE_VFORK: nothing of init's address
 * space is copied, and init resumes once the command has exec'd (or
 * failed to: then C->err says why).
 */
static pid_t start_command(struct lx_cmd *C, char *stack)
{
	/* The stack grows down on every architecture Linux sandboxes here. */
	return clone(command_main, stack + LX_CMD_STACK, CLONE_VM | CLONE_VFORK | SIGCHLD, C);
}

/*
 * Reaps everything; forwards signals to the command; returns its wait
 * status.  SIGALRM (from the launcher, without a PID namespace) ends the
 * whole tree now.
 */
static int init_loop(const struct lx_plan *P, pid_t cmd)
{
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&P->child_mask, &si);
		if (sig == SIGALRM && P->nons) {
			lx_kill_descendants();
			lx_report(P, LX_R_EXIT, SIGKILL, 0, NULL);   /* the wait status of a SIGKILL */
			_exit(128 + SIGKILL);
		}
		if (sig != SIGCHLD) {
			/* The terminal signals the whole foreground process group, the
			   command included: do not deliver those a second time. */
			if (sig > 0 && !(si.si_code == SI_KERNEL && (sig == SIGINT || sig == SIGQUIT ||
			                                             sig == SIGHUP)))
				kill(cmd, sig);
			continue;
		}
		int st;
		pid_t pid;
		while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
			if (pid == cmd)
				return st;
	}
}

void lx_child_main(struct lx_plan *P)
{
	struct lx_batch batch;
	batch.n = 0;
	P->batch = &batch;
	/* The command's stack, mapped before the limits (RLIMIT_DATA) apply. */
	char *stack = mmap(NULL, LX_CMD_STACK, PROT_READ | PROT_WRITE,
	                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED) {
		lx_fail(P, SBX_E_SETUP, "cannot map a stack for the command", NULL, errno);
		_exit(125);
	}
	if (child_setup(P) != 0)
		_exit(125);
	struct lx_cmd C = { P, 0 };
	pid_t cmd = start_command(&C, stack);
	if (cmd < 0) {
		lx_fail(P, SBX_E_SETUP, "cannot start the command", NULL, errno);
		_exit(125);
	}
	if (C.err)
		lx_report(P, LX_R_EXECFAIL, C.err, C.err == ENOENT ? SBX_E_NOTFOUND : SBX_E_NOEXEC, NULL);
	else
		lx_report(P, LX_R_READY, 0, 0, NULL);
	munmap(stack, LX_CMD_STACK);
	int st = init_loop(P, cmd);
	if (P->nons)
		lx_kill_descendants();   /* what a PID namespace's end would do */
	lx_report(P, LX_R_EXIT, st, 0, NULL);
	_exit(0);
}
