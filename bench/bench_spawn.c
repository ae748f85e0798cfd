/*
 * Spawn and wait of /bin/true, eight ways, medians of many interleaved
 * rounds (each round runs every variant once, in a rotating order, so that
 * machine noise hits them all alike):
 *
 *   1. posix_spawn                       the floor for any spawn
 *   2. through exec_floor (static)       the floor for any launcher: two execs
 *   3. through sbxrun, workspace-write   offline, a workspace with a .git
 *   4. through bwrap, the same policy    as close as bwrap's options allow
 *   5. through libsbxrt (sbx_spawn)      one exec; the blob loaded once
 *   6. bare namespaces                   clone3 into the namespaces the policy
 *                                        needs, then exec: the kernel's share
 *   7. through sbxrun, online            the same without a network namespace
 *   8. bare namespaces but network       the kernel's share for 7
 *
 * Then from a big caller (BIG_MIB resident): posix_spawn, the library as
 * it chooses (init exec'd as sbx-init), and the library forced to start
 * init as a copy of the caller; and the copy's cost at smaller sizes, to
 * place the size from which the exec is cheaper (LX_EXEC_MIN_RSS).
 *
 *   bench_spawn SBXRUN BLOB ONLINE_BLOB EXEC_FLOOR [ROUNDS]
 *
 * Prints the aims beside the ratios and says plainly when one is missed.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_common.h"
#include "sbx/sbxrt.h"

extern char **environ;

#define MAX_ROUNDS 100000
#define WARMUP     10
#define MAX_ARGS   96
#define RSS_RUNS   10
#define BIG_MIB    256    /* a caller's size, like an agent's runtime */
#define BIG_ROUNDS 21

/* The ways a big caller spawns, and the sizes the copy is measured at. */
enum { B_POSIX, B_EXEC, B_COPY, B_COUNT };
static const char *const big_names[B_COUNT] = {
	"posix_spawn", "libsbxrt, init exec'd (default)", "libsbxrt, init copied",
};
static const int sweep_mib[] = { 0, 4, 8, 16, 32, 64 };
#define NSWEEP (sizeof sweep_mib / sizeof sweep_mib[0])

enum { V_POSIX, V_FLOOR, V_SBXRUN, V_BWRAP, V_LIB, V_NS, V_ONLINE, V_NS_NONET, V_COUNT };

static const char *const variant_names[V_COUNT] = {
	"posix_spawn",
	"floor: static exec-only launcher",
	"sbxrun workspace-write (offline)",
	"bwrap, equivalent policy",
	"libsbxrt sbx_spawn + wait",
	"bare namespaces, no setup",
	"sbxrun workspace-write-online",
	"bare namespaces but network",
};

/* What workspace-write hides (policies/common.sbxpol): credentials under
   HOME, and daemon sockets (absolute paths). */
static const char *const secrets[] = {
	".ssh", ".gnupg", ".aws", ".azure", ".kube", ".docker", ".config/gcloud",
	".config/gh", ".netrc", ".git-credentials", ".npmrc", ".pypirc",
	".cargo/credentials.toml", "/run/docker.sock", "/run/containerd", "/run/podman",
	"/run/dbus", "/run/user", "/tmp/.X11-unix",
};

struct argv_buf {
	const char *v[MAX_ARGS + 1];
	int n;
	char store[8192];     /* the strings built here (paths under HOME) */
	size_t used;
};

struct variant {
	struct argv_buf args; /* the command line, for the external variants */
	int enabled;
	char why[256];        /* why it is skipped */
	uint64_t *t;          /* one time per measured round */
	uint64_t *cpu;        /* user + system time of its whole tree, per round */
	long rss_kb[2];       /* peak RSS of the launcher and of its first child */
};

struct bench {
	struct variant v[V_COUNT];
	char ws[PATH_MAX];    /* the temporary workspace */
	char git[PATH_MAX];   /* its .git */
	char paths[4][PATH_MAX]; /* sbxrun, the blob, the online blob, exec_floor: absolute */
	const char *tmpdir;
	struct sbx_ctx *ctx;
	int rounds;
};

static void push(struct argv_buf *a, const char *s)
{
	if (a->n < MAX_ARGS)
		a->v[a->n++] = s;
	a->v[a->n] = NULL;
}

/* A copy of s kept in the buffer, or NULL when it is full. */
static const char *keep(struct argv_buf *a, const char *s)
{
	size_t len = strlen(s) + 1;
	if (len > sizeof a->store - a->used)
		return NULL;
	char *p = memcpy(a->store + a->used, s, len);
	a->used += len;
	return p;
}

/* Runs argv (stderr into err_fd when >= 0); its wait status, or -1. */
static int run_argv(const char *const *argv, int err_fd, struct rusage *ru)
{
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	if (err_fd >= 0)
		posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
	pid_t pid;
	memset(ru, 0, sizeof *ru);
	int rc = posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		return -1;
	int st;
	while (wait4(pid, &st, 0, ru) < 0)
		if (errno != EINTR)
			return -1;
	return st;
}

static uint64_t tv_ns(struct timeval tv)
{
	return (uint64_t)tv.tv_sec * 1000000000u + (uint64_t)tv.tv_usec * 1000u;
}

static int time_external(const struct variant *v, uint64_t *ns, uint64_t *cpu)
{
	struct rusage ru;
	uint64_t t0 = now_ns();
	int st = run_argv(v->args.v, -1, &ru);
	*ns = now_ns() - t0;
	*cpu = tv_ns(ru.ru_utime) + tv_ns(ru.ru_stime);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static int time_library(struct bench *b, const struct variant *v, uint64_t *ns, uint64_t *cpu)
{
	const char *const argv[] = { v->args.v[0], NULL };
	struct sbx_spawn_opts o;
	memset(&o, 0, sizeof o);
	o.argv = argv;
	o.cwd = b->ws;
	struct sbx_proc proc;
	struct sbx_exit ex;
	uint64_t t0 = now_ns();
	int rc = sbx_spawn(b->ctx, &o, &proc);
	if (rc == SBX_OK)
		rc = sbx_proc_wait(&proc, &ex);
	*ns = now_ns() - t0;
	if (rc != SBX_OK || ex.code != 0)
		return -1;
	*cpu = (ex.user_us + ex.sys_us) * 1000u;
	return 0;
}

/* The kernel's own price for an offline sandbox: clone3 into new mount, PID
   and network namespaces (and a user namespace when not root, as sbxrun
   does) and exec /bin/true there, with no setup at all; `net` 0 leaves the
   network namespace out (an online sandbox's price). */
static int time_namespaces(int net, uint64_t *ns, uint64_t *cpu)
{
	static const char *const argv[] = { "/bin/true", NULL };
	struct clone_args ca;
	memset(&ca, 0, sizeof ca);
	ca.flags = CLONE_NEWNS | CLONE_NEWPID | (net ? CLONE_NEWNET : 0) | (geteuid() ? CLONE_NEWUSER : 0);
	ca.exit_signal = SIGCHLD;
	struct rusage ru;
	int st;
	uint64_t t0 = now_ns();
	long pid = syscall(SYS_clone3, &ca, sizeof ca);
	if (pid == 0) {
		execve(argv[0], (char *const *)argv, environ);
		_exit(127);
	}
	if (pid < 0)
		return -1;
	while (wait4((pid_t)pid, &st, 0, &ru) < 0)
		if (errno != EINTR)
			return -1;
	*ns = now_ns() - t0;
	*cpu = tv_ns(ru.ru_utime) + tv_ns(ru.ru_stime);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static int time_one(struct bench *b, int which, uint64_t *ns, uint64_t *cpu)
{
	struct variant *v = &b->v[which];
	if (which == V_NS || which == V_NS_NONET)
		return time_namespaces(which == V_NS, ns, cpu);
	return which == V_LIB ? time_library(b, v, ns, cpu) : time_external(v, ns, cpu);
}

/* Runs a variant once with its stderr captured; on failure the reason goes in v->why. */
static int probe(struct variant *v)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) != 0)
		return -1;
	struct rusage ru;
	int st = run_argv(v->args.v, p[1], &ru);
	close(p[1]);
	ssize_t n = read(p[0], v->why, sizeof v->why - 1);
	close(p[0]);
	v->why[n > 0 ? n : 0] = 0;
	v->why[strcspn(v->why, "\n")] = 0;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	if (!v->why[0] && st == -1)
		snprintf(v->why, sizeof v->why, "cannot start %s", v->args.v[0]);
	else if (!v->why[0])
		snprintf(v->why, sizeof v->why, "%s ends with wait status %#x", v->args.v[0], (unsigned)st);
	return -1;
}

/* The first executable `name` in PATH, in out; 0 when found. */
static int find_in_path(const char *name, char *out, size_t size)
{
	const char *path = getenv("PATH");
	for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
		size_t len = strcspn(p, ":");
		if (snprintf(out, size, "%.*s/%s", (int)len, p, name) < (int)size && access(out, X_OK) == 0)
			return 0;
		p += len + (p[len] == ':');
	}
	return -1;
}

static int make_workspace(struct bench *b)
{
	const char *t = getenv("TMPDIR");
	b->tmpdir = t && t[0] == '/' ? t : "/tmp";
	if (snprintf(b->ws, sizeof b->ws - 8, "%s/sbx-bench-XXXXXX", b->tmpdir) >= (int)sizeof b->ws - 8) {
		errno = ENAMETOOLONG;
		b->ws[0] = 0;
		return -1;
	}
	if (!mkdtemp(b->ws))
		return -1;
	if (snprintf(b->git, sizeof b->git, "%s/.git", b->ws) >= (int)sizeof b->git)
		return -1;
	return mkdir(b->git, 0755);
}

static void setup_simple(struct bench *b, const char *sbxrun, const char *blob, const char *online,
                         const char *floor)
{
	struct variant *v = b->v;
	push(&v[V_POSIX].args, "/bin/true");
	push(&v[V_LIB].args, "/bin/true");
	push(&v[V_FLOOR].args, floor);
	push(&v[V_FLOOR].args, "/bin/true");
	const char *const s[] = { sbxrun, "--policy", blob, "--cwd", b->ws, "--", "/bin/true" };
	for (size_t i = 0; i < sizeof s / sizeof s[0]; i++) {
		push(&v[V_SBXRUN].args, s[i]);
		push(&v[V_ONLINE].args, i == 2 ? online : s[i]);
	}
}

/* bwrap hides what the policy hides: a directory under an empty read-only
   tmpfs, a file under /dev/null.  Only existing ones, as sbxrun does. */
static void bwrap_secrets(struct argv_buf *a)
{
	const char *home = getenv("HOME");
	for (size_t i = 0; i < sizeof secrets / sizeof secrets[0]; i++) {
		char p[PATH_MAX];
		struct stat st;
		int abs = secrets[i][0] == '/';
		if (!abs && !home)
			continue;
		int len = snprintf(p, sizeof p, "%s%s%s", abs ? "" : home, abs ? "" : "/", secrets[i]);
		const char *kept = len < (int)sizeof p && stat(p, &st) == 0 ? keep(a, p) : NULL;
		if (!kept)
			continue;
		int dir = S_ISDIR(st.st_mode);
		const char *const d[] = { "--tmpfs", kept, "--remount-ro", kept };
		const char *const f[] = { "--ro-bind", "/dev/null", kept };
		for (int k = 0; k < (dir ? 4 : 3); k++)
			push(a, dir ? d[k] : f[k]);
	}
}

static void setup_bwrap(struct bench *b)
{
	struct variant *v = &b->v[V_BWRAP];
	char path[PATH_MAX];
	if (find_in_path("bwrap", path, sizeof path) != 0) {
		snprintf(v->why, sizeof v->why, "bwrap is not installed (apt-get install bubblewrap)");
		return;
	}
	const char *const a[] = {
		keep(&v->args, path), "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
	};
	/* common.sbxpol's private temporary directories, then the bound paths on top. */
	static const char *const private_dirs[] = { "/tmp", "/var/tmp", "/dev/shm" };
	const char *const c[] = {
		"--bind", b->tmpdir, b->tmpdir, "--bind", b->ws, b->ws, "--ro-bind", b->git, b->git,
		"--unshare-net", "--unshare-pid", "--die-with-parent", "--cap-drop", "ALL",
		"--chdir", b->ws,
	};
	struct stat st;
	for (size_t i = 0; i < sizeof a / sizeof a[0]; i++)
		push(&v->args, a[i]);
	for (size_t i = 0; i < sizeof private_dirs / sizeof private_dirs[0]; i++)
		if (stat(private_dirs[i], &st) == 0) {
			push(&v->args, "--tmpfs");
			push(&v->args, private_dirs[i]);
		}
	/* TMPDIR=/tmp is the private /tmp itself, as under sbxrun. */
	for (size_t i = strcmp(b->tmpdir, "/tmp") ? 0 : 3; i < sizeof c / sizeof c[0]; i++)
		push(&v->args, c[i]);
	bwrap_secrets(&v->args);
	push(&v->args, "/bin/true");
	v->enabled = v->args.n < MAX_ARGS;
	if (!v->enabled)
		snprintf(v->why, sizeof v->why, "too many bwrap arguments (limit is %d)", MAX_ARGS);
}

static int setup_library(struct bench *b, const char *blob)
{
	struct variant *v = &b->v[V_LIB];
	b->ctx = sbx_ctx_create();
	if (!b->ctx)
		return -1;
	if (sbx_ctx_open_blob(b->ctx, blob) != SBX_OK || sbx_ctx_bind(b->ctx, "WORKSPACE", b->ws) != SBX_OK) {
		snprintf(v->why, sizeof v->why, "%s", sbx_ctx_error(b->ctx));
		return -1;
	}
	v->enabled = 1;
	return 0;
}

static void probe_namespaces(struct bench *b, int which)
{
	struct variant *v = &b->v[which];
	uint64_t ns, cpu;
	errno = 0;
	v->enabled = time_namespaces(which == V_NS, &ns, &cpu) == 0;
	if (!v->enabled)
		snprintf(v->why, sizeof v->why, "clone3 into new namespaces failed: %s",
		         errno ? strerror(errno) : "/bin/true did not exit 0");
}

/* Probes each external variant; bwrap may be skipped, the others must run. */
static int probe_all(struct bench *b)
{
	for (int i = 0; i < V_COUNT; i++) {
		struct variant *v = &b->v[i];
		if (i == V_NS || i == V_NS_NONET)
			probe_namespaces(b, i);
		if (i == V_LIB || i == V_NS || i == V_NS_NONET || (i == V_BWRAP && !v->enabled))
			continue;
		v->enabled = probe(v) == 0;
		if (!v->enabled && i != V_BWRAP) {
			fprintf(stderr, "bench_spawn: %s does not run: %s\n", variant_names[i], v->why);
			return -1;
		}
	}
	return 0;
}

/* A process's peak resident set (VmHWM, of its current image) in KiB, or -1. */
static long vm_hwm_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	while (f && kb < 0 && fgets(line, sizeof line, f))
		if (sscanf(line, "VmHWM: %ld kB", &kb) != 1)
			kb = -1;
	if (f)
		fclose(f);
	return kb;
}

/* The first child of pid (the sandbox's init), or -1. */
static pid_t first_child(pid_t pid)
{
	char path[96];
	int child = -1;
	snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)pid, (int)pid);
	FILE *f = fopen(path, "r");
	if (f && fscanf(f, "%d", &child) != 1)
		child = -1;
	if (f)
		fclose(f);
	return child;
}

/* Starts argv with stdin and stdout on pipes (in[1] and out[0] stay here). */
static pid_t spawn_piped(const char *const *argv, int in[2], int out[2])
{
	pid_t pid = -1;
	if (pipe2(in, O_CLOEXEC) != 0)
		return -1;
	if (pipe2(out, O_CLOEXEC) != 0) {
		close(in[0]);
		close(in[1]);
		return -1;
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	if (posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv, environ) != 0)
		pid = -1;
	posix_spawn_file_actions_destroy(&fa);
	close(in[0]);
	close(out[1]);
	return pid;
}

/*
 * The launcher's peak RSS and its first child's, read from /proc while the
 * command (cat) runs: setup is over once cat echoes a byte.  wait4's
 * ru_maxrss cannot tell: it also counts the RSS of the process that exec'd
 * the launcher (this benchmark) and that of the command.
 */
static int rss_once(struct variant *v, long kb[2])
{
	int in[2], out[2], st;
	char c = 'x';
	pid_t pid = spawn_piped(v->args.v, in, out);
	if (pid < 0)
		return -1;
	int ok = write(in[1], &c, 1) == 1 && read(out[0], &c, 1) == 1;
	long self = ok ? vm_hwm_kb(pid) : -1, child = ok ? vm_hwm_kb(first_child(pid)) : -1;
	close(in[1]);
	close(out[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	kb[0] = self > kb[0] ? self : kb[0];
	kb[1] = child > kb[1] ? child : kb[1];
	return ok && self > 0 ? 0 : -1;
}

static int measure_rss(struct bench *b)
{
	for (int i = V_SBXRUN; i <= V_BWRAP; i++) {
		struct variant *v = &b->v[i];
		const char *cmd = v->args.v[v->args.n - 1];
		v->args.v[v->args.n - 1] = "/bin/cat";
		for (int k = 0; v->enabled && k < RSS_RUNS; k++)
			if (rss_once(v, v->rss_kb) != 0) {
				fprintf(stderr, "bench_spawn: cannot read the RSS of %s\n", variant_names[i]);
				return -1;
			}
		v->args.v[v->args.n - 1] = cmd;
	}
	return 0;
}

static int run_rounds(struct bench *b)
{
	for (int r = -WARMUP; r < b->rounds; r++) {
		for (int k = 0; k < V_COUNT; k++) {
			int i = (int)(((unsigned)(r + WARMUP) + (unsigned)k) % V_COUNT);
			uint64_t ns, cpu;
			if (!b->v[i].enabled)
				continue;
			if (time_one(b, i, &ns, &cpu) != 0) {
				fprintf(stderr, "bench_spawn: %s failed in round %d\n", variant_names[i], r);
				return -1;
			}
			if (r >= 0) {
				b->v[i].t[r] = ns;
				b->v[i].cpu[r] = cpu;
			}
		}
	}
	return 0;
}

/* The value at quantile q of the sorted t, in microseconds. */
static double quantile_us(const uint64_t *t, int n, double q)
{
	return (double)t[(int)(q * (n - 1) + 0.5)] / 1000.0;
}

static void print_ratio(const char *what, double x, int at_most, double aim)
{
	int met = at_most ? x <= aim : x >= aim;
	printf("  %-32s %10.2fx   (aim: %s %.1fx)%s\n", what, x, at_most ? "<=" : ">=", aim,
	       met ? "  met" : "  MISSED");
}

static void print_times(struct bench *b, double med[V_COUNT])
{
	printf("spawn + wait of /bin/true, median of %d interleaved rounds\n", b->rounds);
	printf("  (p10 - p90; median user + system CPU time of the whole tree):\n");
	for (int i = 0; i < V_COUNT; i++) {
		struct variant *v = &b->v[i];
		if (!v->enabled) {
			printf("  %-32s    skipped   (%s)\n", variant_names[i], v->why);
			continue;
		}
		(void)median(v->t, (size_t)b->rounds); /* sorts */
		double p10 = quantile_us(v->t, b->rounds, 0.1), p90 = quantile_us(v->t, b->rounds, 0.9);
		med[i] = quantile_us(v->t, b->rounds, 0.5);
		double cpu = (double)median(v->cpu, (size_t)b->rounds) / 1000.0;
		printf("  %-32s %10.1f us   (%.0f - %.0f; cpu %.0f us)\n", variant_names[i], med[i],
		       p10, p90, cpu);
	}
}

static void print_ratios(const struct bench *b, const double med[V_COUNT])
{
	printf("ratios of the medians:\n");
	printf("  %-32s %10.2fx   (a launcher's second exec)\n", "floor / posix_spawn",
	       med[V_FLOOR] / med[V_POSIX]);
	print_ratio("sbxrun / floor", med[V_SBXRUN] / med[V_FLOOR], 1, 1.3);
	printf("  %-32s %10.1f us  (aim: <= %.1f us, 30%% of the floor)\n",
	       "  sbxrun's setup over the floor", med[V_SBXRUN] - med[V_FLOOR], 0.3 * med[V_FLOOR]);
	if (b->v[V_BWRAP].enabled)
		print_ratio("bwrap / sbxrun", med[V_BWRAP] / med[V_SBXRUN], 0, 3.0);
	else
		printf("  %-32s    skipped   (bwrap did not run)\n", "bwrap / sbxrun");
	print_ratio("library / posix_spawn", med[V_LIB] / med[V_POSIX], 1, 1.3);
	if (b->v[V_NS].enabled) {
		printf("  %-32s %10.2fx   (the kernel's share, before any setup)\n",
		       "bare namespaces / posix_spawn", med[V_NS] / med[V_POSIX]);
		printf("  %-32s %10.2fx   (the library's own setup)\n", "library / bare namespaces",
		       med[V_LIB] / med[V_NS]);
	}
	if (b->v[V_NS_NONET].enabled)
		printf("  %-32s %10.2fx   (the kernel's share, online)\n",
		       "bare but network / posix_spawn", med[V_NS_NONET] / med[V_POSIX]);
	printf("  %-32s %10.1f us  (the network namespace: creating it, lo, teardown)\n",
	       "sbxrun offline - online", med[V_SBXRUN] - med[V_ONLINE]);
	printf("  %-32s %10.2fx\n", "sbxrun online / floor", med[V_ONLINE] / med[V_FLOOR]);
	printf("peak RSS (VmHWM, largest of %d runs, read while the command runs):\n", RSS_RUNS);
	static const char *const child[V_COUNT] = { [V_SBXRUN] = "sbx-init", [V_BWRAP] = "its child" };
	for (int i = V_SBXRUN; i <= V_BWRAP; i++)
		if (b->v[i].enabled)
			printf("  %-32s %10ld KiB  (%s: %ld KiB)\n", i == V_SBXRUN ? "sbxrun" : "bwrap",
			       b->v[i].rss_kb[0], child[i], b->v[i].rss_kb[1]);
}

/* The caller's resident size in MiB (/proc/self/statm), or -1. */
static double resident_mib(void)
{
	unsigned long long size, res;
	FILE *f = fopen("/proc/self/statm", "r");
	int ok = f && fscanf(f, "%llu %llu", &size, &res) == 2;
	if (f)
		fclose(f);
	return ok ? (double)res * (double)sysconf(_SC_PAGESIZE) / 1048576.0 : -1;
}

/* One spawn + wait the way `how` says; SBX_INIT_PATH="" forces the copy. */
static int time_big(struct bench *b, int how, uint64_t *ns)
{
	uint64_t cpu;
	if (how == B_POSIX)
		return time_one(b, V_POSIX, ns, &cpu);
	if (how == B_COPY && setenv("SBX_INIT_PATH", "", 1) != 0)
		return -1;
	int rc = time_one(b, V_LIB, ns, &cpu);
	unsetenv("SBX_INIT_PATH");
	return rc;
}

/* Medians (us) of the ways in [first, last] from a caller with `mib` MiB more resident. */
static int big_caller(struct bench *b, size_t mib, int first, int last, double med[B_COUNT],
                      double *rss)
{
	size_t size = mib << 20;
	int n = last - first + 1;
	uint64_t t[B_COUNT][BIG_ROUNDS];
	volatile char sink = 0;
	char *mem = malloc(size ? size : 1);
	if (!mem)
		return -1;
	for (int r = 0; r < BIG_ROUNDS; r++)
		for (int k = 0; k < n; k++) {
			int how = first + (r + k) % n;
			memset(mem, r + k, size); /* resident and written, as a busy caller's */
			sink += size ? mem[(size_t)r << 10] : 0; /* read: the memset stays */
			*rss = resident_mib();
			if (time_big(b, how, &t[how][r]) != 0) {
				free(mem);
				return -1;
			}
		}
	free(mem);
	(void)sink;
	for (int how = first; how <= last; how++)
		med[how] = (double)median(t[how], BIG_ROUNDS) / 1000.0;
	return 0;
}

static int big_callers(struct bench *b, double big[B_COUNT], double sweep[NSWEEP], double rss[NSWEEP + 1])
{
	double med[B_COUNT];
	if (big_caller(b, BIG_MIB, B_POSIX, B_COPY, big, &rss[NSWEEP]) != 0)
		return -1;
	for (size_t i = 0; i < NSWEEP; i++) {
		if (big_caller(b, (size_t)sweep_mib[i], B_COPY, B_COPY, med, &rss[i]) != 0)
			return -1;
		sweep[i] = med[B_COPY];
	}
	return 0;
}

static void print_big_caller(const double big[B_COUNT], const double sweep[NSWEEP],
                             const double rss[NSWEEP + 1])
{
	printf("from a caller with %.0f MiB resident, median of %d interleaved rounds:\n",
	       rss[NSWEEP], BIG_ROUNDS);
	for (int i = 0; i < B_COUNT; i++)
		printf("  %-32s %10.1f us\n", big_names[i], big[i]);
	print_ratio("library / posix_spawn", big[B_EXEC] / big[B_POSIX], 1, 1.3);
	printf("  %-32s %10.2fx   (what the exec saves)\n", "copied / exec'd", big[B_COPY] / big[B_EXEC]);
	printf("libsbxrt with init copied, by the caller's size (exec'd at %.0f MiB: %.1f us):\n",
	       rss[NSWEEP], big[B_EXEC]);
	for (size_t i = 0; i < NSWEEP; i++)
		printf("  %-26s %5.0f MiB %10.1f us%s\n", "caller resident", rss[i], sweep[i],
		       sweep[i] > big[B_EXEC] ? "   (the exec is cheaper)" : "");
}

static int parse_rounds(int argc, char **argv, int *rounds)
{
	*rounds = 500;
	if (argc < 5 || argc > 6) {
		fprintf(stderr, "usage: bench_spawn SBXRUN BLOB ONLINE_BLOB EXEC_FLOOR [ROUNDS]\n");
		return -1;
	}
	if (argc == 6)
		*rounds = atoi(argv[5]);
	if (*rounds < 1 || *rounds > MAX_ROUNDS) {
		fprintf(stderr, "bench_spawn: rounds must be 1 to %d\n", MAX_ROUNDS);
		return -1;
	}
	return 0;
}

static int alloc_times(struct bench *b)
{
	for (int i = 0; i < V_COUNT; i++)
		if (!(b->v[i].t = calloc((size_t)b->rounds, sizeof *b->v[i].t)) ||
		    !(b->v[i].cpu = calloc((size_t)b->rounds, sizeof *b->v[i].cpu)))
			return -1;
	return 0;
}

static void cleanup(struct bench *b)
{
	for (int i = 0; i < V_COUNT; i++) {
		free(b->v[i].t);
		free(b->v[i].cpu);
	}
	sbx_ctx_destroy(&b->ctx);
	if (b->git[0])
		rmdir(b->git);
	if (b->ws[0])
		rmdir(b->ws);
}

static int setup(struct bench *b, char **argv)
{
	/* Absolute paths: the launchers run in the workspace. */
	for (int i = 1; i <= 4; i++)
		if (!realpath(argv[i], b->paths[i - 1])) {
			fprintf(stderr, "bench_spawn: %s: %s\n", argv[i], strerror(errno));
			return -1;
		}
	if (alloc_times(b) != 0 || make_workspace(b) != 0) {
		fprintf(stderr, "bench_spawn: cannot make a workspace: %s\n", strerror(errno));
		return -1;
	}
	setup_simple(b, b->paths[0], b->paths[1], b->paths[2], b->paths[3]);
	setup_bwrap(b);
	if (setup_library(b, b->paths[1]) != 0) {
		fprintf(stderr, "bench_spawn: cannot load %s: %s\n", b->paths[1], b->v[V_LIB].why);
		return -1;
	}
	return probe_all(b);
}

int main(int argc, char **argv)
{
	static struct bench b;
	double med[V_COUNT] = { 0 }, big[B_COUNT] = { 0 }, sweep[NSWEEP] = { 0 }, rss[NSWEEP + 1] = { 0 };
	if (parse_rounds(argc, argv, &b.rounds) != 0)
		return 2;
	int rc = setup(&b, argv) == 0 && run_rounds(&b) == 0 && measure_rss(&b) == 0 &&
	         big_callers(&b, big, sweep, rss) == 0 ? 0 : 1;
	if (rc == 0) {
		print_times(&b, med);
		print_ratios(&b, med);
		print_big_caller(big, sweep, rss);
	}
	cleanup(&b);
	return rc;
}
