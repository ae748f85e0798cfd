/*
 * linux_exec.c - starting the sandbox's init without copying the caller.
 * A fork copies the caller's page tables: from a caller with hundreds of
 * MiB resident that is most of a spawn's cost.  Instead init is cloned
 * with CLONE_VM | CLONE_VFORK (nothing copied; the calling thread waits)
 * on a small stack of its own, and at once execs the static helper
 * sbx-init, which reads the spawn from a memfd (linux_payload.c) and runs
 * the same lx_child_main as a copied init would.
 *
 * The helper is only a way to be faster: when it is missing or unusable,
 * init is a copy of the caller as before, and the log says why.
 */
#include "linux.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define LX_EXEC_STACK  (16u * 1024u)
#define LX_EXEC_FD_MIN 10          /* above every fixed number the child sets */
#define LX_CAP_SCAN    64          /* every capability number the kernel could know */

static const char *const init_argv[] = { LX_INIT_NAME, NULL };
static const char *const init_envp[] = { NULL };

/* The caller's resident size in bytes (0 when unknown: then init is a copy). */
static uint64_t resident_bytes(void)
{
	char buf[128];
	unsigned long long size, res;
	int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	if (sscanf(buf, "%llu %llu", &size, &res) != 2)
		return 0;
	return (uint64_t)res * (uint64_t)sysconf(_SC_PAGESIZE);
}

/*
 * Where sbx-init is: $SBX_INIT_PATH when set (empty: never use it), else
 * in the directory of the file holding this code: libsbxrt.so, or the
 * program when the library is linked in statically.
 */
static int helper_path(char *out, size_t size)
{
	const char *env = secure_getenv(LX_INIT_ENV);
	char self[4096];
	Dl_info info;
	const char *file = NULL;
	if (env)
		return env[0] && snprintf(out, size, "%s", env) < (int)size ? 0 : -1;
	if (dladdr((void *)helper_path, &info) && info.dli_fname && info.dli_fname[0] == '/')
		file = info.dli_fname;
	else {
		ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
		self[n > 0 ? n : 0] = 0;
		file = self;
	}
	const char *slash = strrchr(file, '/');
	if (!slash)
		return -1;
	int n = snprintf(out, size, "%.*s/%s", (int)(slash - file), file, LX_INIT_NAME);
	return n > 0 && (size_t)n < size ? 0 : -1;
}

/* A regular executable file, opened O_PATH into E->helper_fd; 0 or an errno. */
static int open_helper(struct lx_exec *E)
{
	struct stat st;
	int fd = open(E->path, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return errno;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || !(st.st_mode & 0111)) {
		close(fd);
		return EACCES;
	}
	E->helper_fd = fd;
	return 0;
}

int lx_exec_choose(struct lx_exec *E, char *note, size_t size)
{
	memset(E, 0, sizeof *E);
	E->helper_fd = E->payload_fd = -1;
	note[0] = 0;
	uint64_t rss = resident_bytes();
	if (rss < LX_EXEC_MIN_RSS)
		return 0;
	unsigned long long mib = (unsigned long long)(rss >> 20);
	if (helper_path(E->path, sizeof E->path) != 0) {
		snprintf(note, size, "init: started as a copy of the caller (%llu MiB resident): "
		         "no helper to exec (" LX_INIT_ENV " is empty, or sbx-init cannot be located)", mib);
		return 0;
	}
	int err = open_helper(E);
	if (!err) {
		E->stack = mmap(NULL, LX_EXEC_STACK, PROT_READ | PROT_WRITE,
		                MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
		err = E->stack == MAP_FAILED ? errno : 0;
	}
	if (err) {
		lx_exec_release(E);
		snprintf(note, size, "init: started as a copy of the caller (%llu MiB resident): "
		         "the helper %s is unusable: %s", mib, E->path, strerror(err));
		return 0;
	}
	return 1;
}

static int write_all(int fd, const uint8_t *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? errno : EIO;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int lx_exec_prepare(struct lx_exec *E, const struct lx_plan *P)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	if (lx_payload_build(P, &buf, &len) != 0)
		return ENOMEM;
	int fd = memfd_create(LX_INIT_NAME, MFD_CLOEXEC);
	int err = fd < 0 ? errno : write_all(fd, buf, len);
	free(buf);
	if (err) {
		if (fd >= 0)
			close(fd);
		return err;
	}
	if (E->payload_fd >= 0)
		close(E->payload_fd);
	E->payload_fd = fd;
	return 0;
}

/*
 * In a new user namespace the child holds every capability there, but an
 * exec by a uid that is not the namespace's root would drop them all, and
 * sbx-init needs them for its namespace steps.  Ambient capabilities
 * survive the exec of a plain program: make the whole set inheritable,
 * then ambient.  lx_drop_caps empties every set (ambient included) before
 * the command starts, as for an init that is a copy.  Raw system calls:
 * this runs in exec_child.
 */
__attribute__((no_sanitize("address", "undefined")))
static int keep_caps_across_exec(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	if (syscall(SYS_capget, &hdr, data) != 0)
		return -1;
	data[0].inheritable = data[0].permitted;
	data[1].inheritable = data[1].permitted;
	if (syscall(SYS_capset, &hdr, data) != 0)
		return -1;
	for (int cap = 0; cap < LX_CAP_SCAN; cap++)
		if (syscall(SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0 &&
		    (errno != EINVAL || cap == 0))
			return -1;
	return 0;
}

/*
 * The child, in the launcher's memory while the launcher's thread waits:
 * only system calls, on its own stack and E.  Every fd it needs goes
 * above LX_EXEC_FD_MIN first (a source may sit on a target number), then
 * to its fixed number; everything else closes at the exec.  Not
 * instrumented: the sanitizers' bookkeeping does not know this stack.
 */
__attribute__((no_sanitize("address", "undefined")))
static int exec_child(void *arg)
{
	struct lx_exec *E = arg;
	static const int to[5] = { LX_INIT_REPORT_FD, LX_INIT_PAYLOAD_FD, 0, 1, 2 };
	int hi[5], helper = (int)syscall(SYS_fcntl, E->helper_fd, F_DUPFD_CLOEXEC, LX_EXEC_FD_MIN);
	/* "0": the writer itself, into the sandbox's cgroup before anything else runs. */
	if (E->cgroup_procs >= 0 && syscall(SYS_write, E->cgroup_procs, "0", 1) != 1)
		helper = -1;
	for (int i = 0; i < 5; i++)
		hi[i] = E->src[i] < 0 ? -1 : (int)syscall(SYS_fcntl, E->src[i], F_DUPFD_CLOEXEC,
		                                          LX_EXEC_FD_MIN);
	for (int i = 0; i < 5 && helper >= 0; i++)
		if ((E->src[i] >= 0 && hi[i] < 0) || (hi[i] >= 0 && syscall(SYS_dup3, hi[i], to[i], 0) < 0))
			helper = -1;
	if (helper >= 0 && E->keep_caps && keep_caps_across_exec() != 0)
		helper = -1;
	if (helper >= 0) {
		syscall(SYS_close_range, LX_INIT_PAYLOAD_FD + 1u, ~0u, CLOSE_RANGE_CLOEXEC);
		syscall(SYS_execveat, helper, "", init_argv, init_envp, AT_EMPTY_PATH);
	}
	E->err = errno ? errno : EBADF;
	_exit(127);
}

pid_t lx_exec_clone(struct lx_exec *E, const struct lx_plan *P, int report_fd, int *pidfd)
{
	const struct rt_spawn *s = P->s;
	int flags = CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD;
	if (!P->nons)
		flags |= CLONE_NEWNS | CLONE_NEWPID | (P->userns ? CLONE_NEWUSER : 0) |
		         (P->netns ? CLONE_NEWNET : 0);
	E->src[0] = report_fd;
	E->src[1] = E->payload_fd;
	for (int i = 0; i < 3; i++)
		E->src[2 + i] = s->redirect ? s->stdio[i] : -1;
	E->err = 0;
	E->keep_caps = !P->nons && P->userns;
	E->cgroup_procs = -1;
	/* No handler of the caller's may run in the child, on the caller's memory. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pid_t pid = -1;
	errno = ENOSYS;
	if (P->cgroup_fd >= 0) {
		struct lx_clone_args args = {
			.flags = (uint64_t)(flags & ~0xff) | CLONE_INTO_CGROUP,
			.pidfd = (uint64_t)(uintptr_t)pidfd, .exit_signal = SIGCHLD,
			.stack = (uint64_t)(uintptr_t)E->stack, .stack_size = LX_EXEC_STACK,
			.cgroup = (uint64_t)P->cgroup_fd,
		};
		pid = lx_clone3(&args, exec_child, E);
		/* Without clone3 here, the child enters the cgroup itself (slower: see
		   linux_clone3.c). */
		if (pid < 0 && errno == ENOSYS)
			E->cgroup_procs = openat(P->cgroup_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
	}
	if (pid < 0 && errno == ENOSYS && (P->cgroup_fd < 0 || E->cgroup_procs >= 0))
		pid = clone(exec_child, E->stack + LX_EXEC_STACK, flags, E, pidfd);
	int err = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (E->cgroup_procs >= 0)
		close(E->cgroup_procs);
	errno = err;
	return pid;
}

void lx_exec_release(struct lx_exec *E)
{
	if (E->helper_fd >= 0)
		close(E->helper_fd);
	if (E->payload_fd >= 0)
		close(E->payload_fd);
	if (E->stack && E->stack != MAP_FAILED)
		munmap(E->stack, LX_EXEC_STACK);
	E->helper_fd = E->payload_fd = -1;
	E->stack = NULL;
}
