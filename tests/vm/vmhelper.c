/*
 * vmhelper.c - the workloads of tests/vm/cgroup-v2.sh, linked statically
 * into the VM's initramfs.  A manual check, not part of CI or ctest.
 *
 *   vmhelper fork N            forks up to N children that wait; prints how
 *                              many it got, then ends them
 *   vmhelper hog MIB SECS      touches MIB MiB, then sleeps SECS seconds
 *   vmhelper hogs K MIB SECS   K children, each `hog MIB SECS`; prints how
 *                              each ended
 *   vmhelper spin K            K processes that spin until killed
 *   vmhelper asuser UID CMD... drops to UID/GID UID (no groups), execs CMD
 *   vmhelper landlock-abi      prints the kernel's Landlock ABI (0: none)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_KIDS 4096

/* Prints a small file on one line after a label; nothing when unreadable. */
static void show_file(const char *label, const char *path)
{
	char buf[512];
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	for (char *c = buf; *c; c++)
		if (*c == '\n')
			*c = c[1] ? ' ' : 0;
	printf("vmhelper fork: %s: %s\n", label, buf);
}

/*
 * Which mechanism refused the fork: the rlimit, and the counters of our
 * cgroup (when /sys/fs/cgroup shows it), read while the children still live.
 */
static void show_bounds(void)
{
	struct rlimit rl;
	char cg[512], path[1024];
	if (getrlimit(RLIMIT_NPROC, &rl) == 0)
		printf("vmhelper fork: RLIMIT_NPROC soft %lld hard %lld\n", (long long)rl.rlim_cur,
		       (long long)rl.rlim_max);
	FILE *f = fopen("/proc/self/cgroup", "r");
	if (!f)
		return;
	int ok = fgets(cg, sizeof cg, f) != NULL && strncmp(cg, "0::", 3) == 0;
	fclose(f);
	if (!ok)
		return;
	cg[strcspn(cg, "\n")] = 0;
	printf("vmhelper fork: cgroup %s\n", cg + 3);
	snprintf(path, sizeof path, "/sys/fs/cgroup%s/pids.current", cg + 3);
	show_file("pids.current", path);
	snprintf(path, sizeof path, "/sys/fs/cgroup%s/pids.max", cg + 3);
	show_file("pids.max", path);
	snprintf(path, sizeof path, "/sys/fs/cgroup%s/pids.events", cg + 3);
	show_file("pids.events", path);
}

/* Forks up to n children that wait on a pipe; the count it got. */
static int do_fork(int n)
{
	static pid_t kids[MAX_KIDS];
	int p[2], got = 0, err = 0;
	if (n > MAX_KIDS || pipe(p) != 0)
		return 2;
	for (; got < n; got++) {
		pid_t pid = fork();
		if (pid == 0) {
			char c;
			close(p[1]);
			(void)!read(p[0], &c, 1);   /* returns at EOF: the parent is done */
			_exit(0);
		}
		if (pid < 0) {
			err = errno;
			break;
		}
		kids[got] = pid;
	}
	printf("vmhelper fork: got %d of %d children%s%s\n", got, n, err ? ", then fork failed: " : "",
	       err ? strerror(err) : "");
	show_bounds();
	fflush(stdout);
	close(p[1]);
	for (int i = 0; i < got; i++)
		waitpid(kids[i], NULL, 0);
	return 0;
}

/* Touches mib MiB page by page, then sleeps. */
static int do_hog(long mib, int secs)
{
	size_t size = (size_t)mib << 20;
	char *m = malloc(size);
	if (!m) {
		printf("vmhelper hog %d: malloc failed\n", (int)getpid());
		return 3;
	}
	for (size_t i = 0; i < size; i += 4096)
		m[i] = 1;
	printf("vmhelper hog %d: touched %ld MiB\n", (int)getpid(), mib);
	fflush(stdout);
	sleep((unsigned)secs);
	free(m);
	return 0;
}

/* k hogs at once; prints how each one ended. */
static int do_hogs(int k, long mib, int secs)
{
	for (int i = 0; i < k; i++)
		if (fork() == 0)
			_exit(do_hog(mib, secs));
	int status, killed = 0;
	pid_t pid;
	while ((pid = wait(&status)) > 0) {
		if (WIFSIGNALED(status)) {
			killed++;
			printf("vmhelper hogs: child %d killed by signal %d\n", (int)pid, WTERMSIG(status));
		} else
			printf("vmhelper hogs: child %d exited %d\n", (int)pid, WEXITSTATUS(status));
	}
	printf("vmhelper hogs: %d of %d killed\n", killed, k);
	return 0;
}

/* A writable reservation of gib GiB, as AddressSanitizer makes for its shadow. */
static int do_reserve(long gib)
{
	void *m = mmap(NULL, (size_t)gib << 30, PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED) {
		printf("vmhelper reserve: %ld GiB refused: %s\n", gib, strerror(errno));
		return 3;
	}
	printf("vmhelper reserve: reserved %ld GiB\n", gib);
	return 0;
}

/* k spinning processes (this one included); only a kill ends them. */
static _Noreturn void do_spin(int k)
{
	for (int i = 1; i < k; i++)
		if (fork() == 0)
			break;
	for (volatile unsigned long x = 0;; x++)
		;
}

static int do_asuser(uid_t uid, char **argv)
{
	if (setgroups(0, NULL) != 0 || setgid(uid) != 0 || setuid(uid) != 0) {
		perror("vmhelper asuser");
		return 126;
	}
	execv(argv[0], argv);
	perror(argv[0]);
	return 127;
}

int main(int argc, char **argv)
{
	const char *m = argc > 1 ? argv[1] : "";
	if (strcmp(m, "fork") == 0 && argc == 3)
		return do_fork(atoi(argv[2]));
	if (strcmp(m, "hog") == 0 && argc == 4)
		return do_hog(atol(argv[2]), atoi(argv[3]));
	if (strcmp(m, "hogs") == 0 && argc == 5)
		return do_hogs(atoi(argv[2]), atol(argv[3]), atoi(argv[4]));
	if (strcmp(m, "reserve") == 0 && argc == 3)
		return do_reserve(atol(argv[2]));
	if (strcmp(m, "spin") == 0 && argc == 3)
		do_spin(atoi(argv[2]));
	if (strcmp(m, "asuser") == 0 && argc >= 4)
		return do_asuser((uid_t)atoi(argv[2]), argv + 3);
	if (strcmp(m, "landlock-abi") == 0) {
		/* landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION) */
		long abi = syscall(444, NULL, 0, 1UL);
		printf("%ld\n", abi < 0 ? 0 : abi);
		return 0;
	}
	fprintf(stderr, "usage: vmhelper fork N | hog MIB SECS | hogs K MIB SECS | reserve GIB | spin K | "
	        "asuser UID CMD... | landlock-abi\n");
	return 2;
}
