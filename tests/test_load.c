/*
 * Load: many sandboxes at once from several threads through the library
 * (8 threads x 200 spawns of `sh -c 'exit N'`), each result checked, and no
 * descriptor, process or memory left behind afterwards.
 *
 * Threads never call cr_assert (Criterion's assertions are not made for
 * other threads): each records its first failure, and the test thread
 * asserts on the records once every thread has been joined.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "escape/harness.c"

#define THREADS 8
#define SPAWNS 200
#define WARMUP 4

/* Under ASan (UNDER_ASAN, support.h) malloc is replaced: mallinfo2 says nothing, LSan checks leaks. */

static struct sb S;
static uint8_t *BLOB;
static size_t BLOB_LEN;

static void up(void)
{
	sb_setup(&S);
	char *diag = NULL;
	cr_assert_eq(t_compile(STD_POLICY, NULL, SBX_PLAT_LINUX, &BLOB, &BLOB_LEN, &diag), 0,
	             "%s", diag ? diag : "");
	free(diag);
}

static void down(void)
{
	free(BLOB);
	BLOB = NULL;
	sb_teardown(&S);
}

TestSuite(load, .init = up, .fini = down);

struct worker {
	pthread_t thread;
	int index, spawns;
	int devnull;            /* stdin/stdout/stderr of every command */
	const char *const *envp;
	int ok;                 /* commands whose exit code matched */
	char failure[512];      /* the first thing that went wrong, "" if none */
};

/* Records the first failure of a worker; later ones add nothing new. */
static void fail(struct worker *w, int i, const char *what, const char *detail)
{
	if (w->failure[0] == 0)
		snprintf(w->failure, sizeof w->failure, "thread %d spawn %d: %s: %s", w->index, i,
		         what, detail);
}

/* One spawn of `sh -c 'exit N'` in a fresh context; checks the exit code. */
static void spawn_one(struct worker *w, int i)
{
	int want = (w->index * 37 + i * 11) % 256;
	char script[32];
	snprintf(script, sizeof script, "exit %d", want);
	const char *argv[] = { "/bin/sh", "-c", script, NULL };
	struct sbx_ctx *ctx = sbx_ctx_create();
	if (!ctx) {
		fail(w, i, "sbx_ctx_create", "out of memory");
		return;
	}
	if (sbx_ctx_use_blob(ctx, BLOB, BLOB_LEN) != SBX_OK)
		fail(w, i, "sbx_ctx_use_blob", sbx_ctx_error(ctx));
	bind_std(ctx, &S);
	struct sbx_spawn_opts o = { .argv = argv, .cwd = S.ws, .envp = w->envp, .redirect = 1,
	                            .stdio = { w->devnull, w->devnull, w->devnull } };
	struct sbx_proc p;
	struct sbx_exit ex;
	if (sbx_spawn(ctx, &o, &p) != SBX_OK)
		fail(w, i, "sbx_spawn", sbx_ctx_error(ctx));
	else if (sbx_proc_wait(&p, &ex) != SBX_OK)
		fail(w, i, "sbx_proc_wait", sbx_ctx_error(ctx));
	else if (ex.code != want || ex.exit_code != want || ex.signal != 0) {
		char d[96];
		snprintf(d, sizeof d, "want %d, got code %d exit_code %d signal %d", want, ex.code,
		         ex.exit_code, ex.signal);
		fail(w, i, "wrong exit status", d);
	} else
		w->ok++;
	sbx_ctx_destroy(&ctx);
}

static void *work(void *arg)
{
	struct worker *w = arg;
	for (int i = 0; i < w->spawns; i++)
		spawn_one(w, i);
	return NULL;
}

/*
 * Runs THREADS workers of `spawns` each; 0 when every command ended as
 * expected, else -1 with the first failure in `why`.  Asserts nothing
 * itself, so that the heap can be measured around it.
 */
static int run_round(int spawns, int devnull, const char *const *envp, char *why, size_t size)
{
	struct worker w[THREADS];
	int rc = 0;
	for (int t = 0; t < THREADS; t++) {
		w[t] = (struct worker){ .index = t, .spawns = spawns, .devnull = devnull, .envp = envp };
		if (pthread_create(&w[t].thread, NULL, work, &w[t]) != 0)
			w[t].spawns = -1;   /* never started */
	}
	for (int t = 0; t < THREADS; t++) {
		if (w[t].spawns >= 0)
			pthread_join(w[t].thread, NULL);
		if (rc == 0 && (w[t].failure[0] || w[t].ok != spawns)) {
			snprintf(why, size, "%d of %d commands ended as expected; %s", w[t].ok, spawns,
			         w[t].failure[0] ? w[t].failure : "thread not started");
			rc = -1;
		}
	}
	return rc;
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	cr_assert_not_null(d);
	int n = 0;
	for (struct dirent *e; (e = readdir(d)) != NULL;)
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1;   /* the directory's own descriptor */
}

/* Processes whose parent is this process, found in /proc (zombies too). */
static int count_children(void)
{
	DIR *d = opendir("/proc");
	cr_assert_not_null(d);
	int n = 0;
	for (struct dirent *e; (e = readdir(d)) != NULL;) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		char path[300], buf[512];
		snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;   /* gone meanwhile */
		ssize_t len = read(fd, buf, sizeof buf - 1);
		close(fd);
		buf[len > 0 ? len : 0] = 0;
		/* "pid (comm) state ppid ...": comm may hold spaces, so parse after the last ')' */
		char *close_paren = strrchr(buf, ')');
		char state;
		int ppid;
		if (close_paren && sscanf(close_paren + 1, " %c %d", &state, &ppid) == 2 && ppid == getpid())
			n++;
	}
	closedir(d);
	return n;
}

static long rss_pages(void)
{
	long size = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	cr_assert_not_null(f);
	cr_assert_eq(fscanf(f, "%ld %ld", &size, &rss), 2);
	fclose(f);
	return rss;
}

Test(load, many_sandboxes_from_many_threads_leak_nothing)
{
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	cr_assert(devnull >= 0);
	char *home = NULL;
	const char **envp = make_env(&S, NULL, &home);

	/* Warm-up: thread arenas, lazily loaded libraries and caches settle first.
	   Two rounds: glibc keeps 960 bytes more once threads start reusing the
	   arenas of exited threads (observed: constant, whatever the spawn count). */
	char why[600] = "";
	for (int round = 0; round < 2; round++)
		cr_assert_eq(run_round(WARMUP, devnull, envp, why, sizeof why), 0, "%s", why);
	malloc_trim(0);
	int fds = count_fds();
	long rss = rss_pages();
	size_t used = mallinfo2().uordblks;

	int rc = run_round(SPAWNS, devnull, envp, why, sizeof why);

	malloc_trim(0);
	size_t used_after = mallinfo2().uordblks;
	long rss_after = rss_pages();
	cr_expect_eq(rc, 0, "%s", why);
	cr_expect_eq(count_fds(), fds, "descriptors leaked: %d before, %d after", fds, count_fds());
	errno = 0;
	cr_expect_eq(waitpid(-1, NULL, WNOHANG), -1, "a child is left to reap");
	cr_expect_eq(errno, ECHILD, "waitpid: %s", strerror(errno));
	cr_expect_eq(count_children(), 0, "processes whose parent is the test are left");
	/* glibc may keep up to about a kilobyte more when threads reuse arenas; a leak of
	   even 16 bytes per spawn would be 25 KiB here. */
	if (!UNDER_ASAN)
		cr_expect(used_after <= used + 8192, "heap in use: %zu bytes before, %zu after %d spawns",
		          used, used_after, THREADS * SPAWNS);
	/* Generous: 1600 spawns must not grow the resident set by more than 16 MiB
	   (not under ASan, whose quarantine holds freed memory on purpose). */
	long page_kb = sysconf(_SC_PAGESIZE) / 1024;
	if (!UNDER_ASAN)
		cr_expect_lt((rss_after - rss) * page_kb, 16 * 1024, "RSS grew from %ld to %ld KiB",
		             rss * page_kb, rss_after * page_kb);
	free(envp);
	free(home);
	close(devnull);
}
