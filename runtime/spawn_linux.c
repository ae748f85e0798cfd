/*
 * spawn_linux.c - the Linux backend.  The parent plans every decision
 * (struct lx_plan), then clones a child into new namespaces: a user
 * namespace when not root, mount and PID namespaces always, a network
 * namespace when the policy is offline.  The child is the namespace's init
 * (pid 1): it builds the sandbox step by step, fails closed, then starts
 * the command (CLONE_VM | CLONE_VFORK) and reaps until the command ends.
 * When init dies, the kernel kills every process in its namespace; init
 * dies when the launcher does (parent-death signal), so nothing outlives
 * sbxrun, even a SIGKILLed one.
 *
 * The child (linux_init.c) only makes system calls on memory prepared by
 * the parent: it is a fork of a possibly multithreaded process, so no
 * malloc, no stdio.  From a big caller, whose copy costs more than an
 * exec, init is instead the helper sbx-init, exec'd without a copy
 * (linux_exec.c); it runs the same child code.
 */
#include "linux.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LX_PID_MAX_MARGIN 300   /* pids below 300 are not reused after the counter wraps */
#define LX_LOG_ARGV_MAX   64
#define LX_LOG_ARG_MAX    512
#define LX_WALL_GRACE_NS  (2000u * 1000000u)
#define LX_E_HELPER       (-1)   /* start_once: the helper was not usable; copy instead */
#define LX_E_CGROUP       (-2)   /* start_once: init could not be cloned into the cgroup */

/* Strings the parent collects for the spawn log line: NUL-separated. */
struct lx_list {
	char buf[LX_NOTES_SIZE];
	size_t len;
	size_t count;
};

/* Parent-side state of one spawn: the plan, plus what the log reports. */
struct lx_parent {
	struct lx_plan P;
	struct lx_list degraded;   /* what best effort gave up */
	struct lx_list notes;      /* what the child skipped */
	const char *nproc_by, *mem_by, *cpu_by;
	struct lx_cgroup cg;       /* the sandbox's cgroup v2, when ours to make */
	char cg_msg[LX_MSG_SIZE * 2]; /* its path, or why there is none */
	char by[3][LX_MSG_SIZE];   /* nproc_by..cpu_by with the cgroup in front */
	struct lx_exec E;          /* init exec'd as sbx-init when E.helper_fd >= 0 */
	int init_exec;             /* how init was started, for the log */
	char init_note[4096 + LX_MSG_SIZE * 2]; /* why the helper was wanted but not used */
};

__attribute__((format(printf, 2, 3)))
static void list_add(struct lx_list *l, const char *fmt, ...)
{
	char item[LX_MSG_SIZE + 16];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(item, sizeof item, fmt, ap);
	va_end(ap);
	size_t n = strlen(item) + 1;
	if (l->len + n > sizeof l->buf)
		return;   /* the log keeps the first notes; later ones are dropped */
	memcpy(l->buf + l->len, item, n);
	l->len += n;
	l->count++;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint32_t rt_backend_platform(void)
{
	return SBX_PLAT_LINUX;
}

/* ================= parent side: planning ================= */

static int plan_namespaces(struct lx_parent *X)
{
	struct lx_plan *P = &X->P;
	P->userns = geteuid() != 0;
	P->netns = X->P.s->v->network->mode == SBX_NET_OFFLINE;
	snprintf(P->uid_map, sizeof P->uid_map, "%u %u 1\n", (unsigned)geteuid(), (unsigned)geteuid());
	snprintf(P->gid_map, sizeof P->gid_map, "%u %u 1\n", (unsigned)getegid(), (unsigned)getegid());
	sigemptyset(&P->child_mask);
	const int sigs[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM };
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		sigaddset(&P->child_mask, sigs[i]);
	return SBX_OK;
}

/* Is path inside (or at) a bound rule path of a kind `want` accepts? */
static int inside_rule(const struct rt_spawn *s, const char *path, int kinds)
{
	for (size_t j = 0; j < s->v->nrules; j++) {
		const char *root = s->paths->path[s->v->rules[j].path];
		if (root && ((1 << s->v->rules[j].kind) & kinds) && rt_path_within(root, path))
			return 1;
	}
	return 0;
}

/* Is path strictly inside an earlier cover (HIDE or RDONLY) that will be applied? */
static int inside_cover(const struct lx_plan *P, size_t i, const char *path)
{
	const struct rt_spawn *s = P->s;
	for (size_t j = 0; j < i; j++) {
		const char *c = s->paths->path[s->v->mounts[j].path];
		if (P->apply[j] && s->v->mounts[j].op != SBX_MNT_EXPOSE && c &&
		    strcmp(c, path) != 0 && rt_path_within(c, path))
			return 1;
	}
	return 0;
}

/*
 * IF_INSIDE ops depend on the bound values: a read-only bind only inside a
 * writable root, a cover only inside a readable one, a re-exposure only
 * inside a cover.  Ties go to the restrictive side.
 */
static int plan_mounts(struct lx_parent *X)
{
	struct lx_plan *P = &X->P;
	const struct sbx_view *v = P->s->v;
	if (v->nmounts > LX_MAX_MOUNTS)
		return rt_fail(P->s->ctx, SBX_E_BLOB, "too many mount operations (limit is %d)",
		               LX_MAX_MOUNTS);
	for (size_t i = 0; i < v->nmounts; i++) {
		const struct sbx_lx_mount *m = &v->mounts[i];
		const char *path = P->s->paths->path[m->path];
		int apply = path != NULL;
		if (apply && (m->flags & SBX_MNT_F_IF_INSIDE)) {
			if (m->op == SBX_MNT_RDONLY)
				apply = inside_rule(P->s, path, 1 << SBX_FS_WRITABLE);
			else if (m->op == SBX_MNT_HIDE)
				apply = inside_rule(P->s, path, (1 << SBX_FS_WRITABLE) | (1 << SBX_FS_READONLY));
			else
				apply = inside_cover(P, i, path);
		}
		P->apply[i] = (uint8_t)apply;
	}
	return SBX_OK;
}

/* The writable roots, shortest path first so that a parent is attached before its children. */
static int plan_roots(struct lx_parent *X)
{
	struct lx_plan *P = &X->P;
	const struct rt_spawn *s = P->s;
	for (size_t i = 0; i < s->v->nrules; i++) {
		uint32_t p = s->v->rules[i].path;
		if (s->v->rules[i].kind != SBX_FS_WRITABLE || !s->paths->path[p])
			continue;
		if (P->nroots == LX_MAX_MOUNTS)
			return rt_fail(s->ctx, SBX_E_BLOB, "too many writable roots (limit is %d)",
			               LX_MAX_MOUNTS);
		size_t j = P->nroots++;
		for (; j > 0 && strlen(s->paths->path[P->roots[j - 1]]) > strlen(s->paths->path[p]); j--)
			P->roots[j] = P->roots[j - 1];
		P->roots[j] = p;
	}
	return SBX_OK;
}

static int plan_landlock(struct lx_parent *X)
{
	struct lx_plan *P = &X->P;
	const struct sbx_lx_landlock *ll = P->s->v->landlock;
	int abi = lx_landlock_abi();
	if (!ll)
		return SBX_OK;
	if (abi < (int)ll->abi_min && !P->best_effort)
		return rt_fail(P->s->ctx, SBX_E_UNSUPPORTED,
		               abi ? "the kernel's Landlock ABI is %d, the policy needs ABI %u "
		                     "(use `enforcement best-effort;` to run degraded)"
		                   : "Landlock is not available (ABI %d), the policy needs ABI %u; "
		                     "enable it with lsm=landlock on the kernel command line",
		               abi, ll->abi_min);
	P->ll_abi = abi;
	P->ll_fs = ll->handled_fs & lx_ll_fs_known(abi);
	P->ll_net = ll->handled_net & lx_ll_net_known(abi);
	P->ll_scoped = ll->scoped & lx_ll_scope_known(abi);
	if (!abi)
		list_add(&X->degraded, "landlock: not available: filesystem rules other than mounts are "
		         "not enforced");
	else if (P->ll_fs != ll->handled_fs || P->ll_net != ll->handled_net ||
	         P->ll_scoped != ll->scoped)
		list_add(&X->degraded, "landlock: ABI %d lacks fs rights 0x%llx, net 0x%llx, scopes "
		         "0x%llx", abi, (unsigned long long)(ll->handled_fs & ~P->ll_fs),
		         (unsigned long long)(ll->handled_net & ~P->ll_net),
		         (unsigned long long)(ll->scoped & ~P->ll_scoped));
	return SBX_OK;
}

/* seccomp: probed here, so that best effort can run without it and say so. */
static int plan_seccomp(struct lx_parent *X)
{
	struct lx_plan *P = &X->P;
	uint32_t action = SECCOMP_RET_ERRNO;
	size_t n = P->s->v->nseccomp;
	if (n == 0)
		return SBX_OK;
	if (syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0) {
		P->seccomp = 1;
		return SBX_OK;
	}
	if (!P->best_effort)
		return rt_fail(P->s->ctx, SBX_E_UNSUPPORTED, "seccomp filters are not available (%s); "
		               "the policy needs one (use `enforcement best-effort;` to run degraded)",
		               strerror(errno));
	list_add(&X->degraded, "seccomp: not available (%s): the filter's %zu instructions are not "
	         "installed, so the system calls, ioctls and socket families it refuses are allowed%s",
	         strerror(errno), n, P->s->v->header->flags & SBX_BLOB_F_NO_USERNS ?
	         ", new user namespaces included" : "");
	return SBX_OK;
}

/* Processes: RLIMIT_NPROC (not enforced by the kernel for root) and pid_max. */
static int plan_nproc(struct lx_parent *X, uint64_t limit)
{
	struct lx_plan *P = &X->P;
	int per_ns = lx_kernel_at_least(6, 14);   /* pid_max became per PID namespace in 6.14 */
	/* The kernel's floor is 301; pids below 300 are not reused after a wrap, so
	   limit + 300 keeps `limit` pids available at any time, and at most
	   limit + 299 processes can exist at once. */
	if (per_ns && limit <= (1u << 22) - LX_PID_MAX_MARGIN)
		P->pid_max = limit + LX_PID_MAX_MARGIN;
	else
		per_ns = 0;
	if (P->userns && (X->cg.ctl & LX_CG_PIDS))
		X->nproc_by = "RLIMIT_NPROC at the limit + 1 (a backstop: pids.max refuses first)";
	else if (P->userns)
		X->nproc_by = per_ns ? "RLIMIT_NPROC (exact) and the PID namespace's pid_max" : "RLIMIT_NPROC";
	else if (per_ns)
		X->nproc_by = "the PID namespace's pid_max (at most the limit + 299 at once; "
		              "RLIMIT_NPROC does not bind root)";
	else if (X->cg.ctl & LX_CG_PIDS)
		X->nproc_by = NULL;   /* the cgroup's pids.max alone (RLIMIT_NPROC does not bind root) */
	else if (!P->best_effort)
		return rt_fail(P->s->ctx, SBX_E_UNSUPPORTED, "nothing on this kernel can limit the "
		               "processes of root without a delegated cgroup v2 with the pids "
		               "controller, or Linux 6.14 for a PID namespace pid_max");
	else
		list_add(&X->degraded, "processes: not limited (root, kernel before 6.14)");
	return SBX_OK;
}

/*
 * The sandbox's cgroup, when the policy has a limit it can enforce for the
 * whole tree and the launcher's cgroup is delegated to it; else the reason,
 * for the log.  The rlimits stay applied either way.
 */
static void plan_cgroup(struct lx_parent *X)
{
	const struct sbx_limits *lim = X->P.s->v->limits;
	if (!lim->max_processes && !lim->memory_bytes && !lim->cpu_seconds)
		return;
	if (lx_cgroup_create(&X->cg, lim, X->cg_msg, sizeof X->cg_msg) == 0)
		X->P.cgroup_fd = X->cg.fd;
}

/*
 * The rlimits as the blob has them, fitted to what the cgroup bounds.
 * RLIMIT_NPROC one higher under pids.max: the kernel checks the rlimit
 * first, so at the same value it would refuse every fork before pids.max,
 * and the exit log could not say that the processes limit fired; it stays
 * as a backstop.  RLIMIT_DATA not at all under memory.max: it also counts
 * writable address-space reservations, so an AddressSanitizer build (a
 * writable shadow of terabytes) could not start under any memory limit.
 */
static void fit_rlimits(struct lx_parent *X)
{
	const struct sbx_view *v = X->P.s->v;
	int backstop = (X->cg.ctl & LX_CG_PIDS) != 0;
	X->mem_by = NULL;
	for (size_t i = 0; i < X->P.nrlim; i++) {
		struct lx_rlim *r = &X->P.rlim[i];
		*r = (struct lx_rlim){ (int)v->rlimits[i].resource, v->rlimits[i].soft,
		                       v->rlimits[i].hard };
		if (r->resource == SBX_RLIMIT_NPROC) {
			r->soft += r->soft < UINT64_MAX ? backstop : 0;
			r->hard += r->hard < UINT64_MAX ? backstop : 0;
		} else if (r->resource == SBX_RLIMIT_DATA && (X->cg.ctl & LX_CG_MEMORY))
			r->resource = LX_RLIMIT_NONE;
		else if (r->resource == SBX_RLIMIT_DATA)
			X->mem_by = "RLIMIT_DATA (data and private anonymous memory, per process)";
	}
}

static int plan_limits(struct lx_parent *X)
{
	struct lx_plan *P = &X->P;
	const struct sbx_view *v = P->s->v;
	if (v->nrlimits > LX_MAX_RLIMITS)
		return rt_fail(P->s->ctx, SBX_E_BLOB, "too many rlimits (limit is %d)", LX_MAX_RLIMITS);
	for (size_t i = 0; i < v->nrlimits; i++) {
		const struct sbx_lx_rlimit *r = &v->rlimits[i];
		P->rlim[P->nrlim++] = (struct lx_rlim){ (int)r->resource, r->soft, r->hard };
		if (r->resource == SBX_RLIMIT_CPU)
			X->cpu_by = "RLIMIT_CPU (per process: SIGXCPU, then SIGKILL one second later)";
		else if (r->resource == SBX_RLIMIT_NPROC && plan_nproc(X, r->soft) != SBX_OK)
			return SBX_E_UNSUPPORTED;
	}
	fit_rlimits(X);
	return SBX_OK;
}

static int plan(struct lx_parent *X, const struct rt_spawn *s)
{
	memset(X, 0, sizeof *X);
	X->E.helper_fd = X->E.payload_fd = -1;
	lx_cgroup_init(&X->cg);
	X->P.cgroup_fd = -1;
	X->P.s = s;
	X->P.best_effort = (s->v->header->flags & SBX_BLOB_F_BEST_EFFORT) != 0;
	if (!(s->v->header->flags & SBX_BLOB_F_LINUX) || !s->v->landlock)
		return rt_fail(s->ctx, SBX_E_BLOB, "the policy was not compiled for Linux "
		               "(sbxc compile --target linux)");
	int rc = plan_namespaces(X);
	if (rc == SBX_OK)
		rc = plan_mounts(X);
	if (rc == SBX_OK)
		rc = plan_roots(X);
	if (rc == SBX_OK)
		rc = plan_landlock(X);
	if (rc == SBX_OK)
		plan_cgroup(X);
	if (rc == SBX_OK)
		rc = plan_limits(X);
	if (rc == SBX_OK)
		rc = plan_seccomp(X);
	return rc;
}

/* ================= parent side: spawn, log, wait ================= */

static void log_list(struct rt_json *j, const char *key, const struct lx_list *l)
{
	rt_json_open(j, key, '[');
	for (size_t off = 0; off < l->len; off += strlen(l->buf + off) + 1)
		rt_json_str(j, NULL, l->buf + off);
	rt_json_close(j, ']');
}

static void log_argv(struct rt_json *j, const char *const *argv)
{
	char arg[LX_LOG_ARG_MAX + 1];
	size_t i;
	rt_json_open(j, "argv", '[');
	for (i = 0; argv[i] && i < LX_LOG_ARGV_MAX; i++) {
		snprintf(arg, sizeof arg, "%s", argv[i]);
		rt_json_str(j, NULL, arg);
	}
	rt_json_close(j, ']');
	if (argv[i])
		rt_json_raw(j, "argv_truncated", "true");
}

static void log_mechanisms(struct rt_json *j, const struct lx_parent *X)
{
	const struct lx_plan *P = &X->P;
	size_t applied = 0;
	for (size_t i = 0; i < P->s->v->nmounts; i++)
		applied += P->apply[i];
	rt_json_open(j, "mechanisms", '{');
	rt_json_str(j, "init", X->init_exec ? "exec" : "fork");
	rt_json_raw(j, "user_namespace", P->userns ? "true" : "false");
	rt_json_raw(j, "mount_namespace", P->nons ? "false" : "true");
	rt_json_raw(j, "pid_namespace", P->nons ? "false" : "true");
	rt_json_raw(j, "network_namespace", P->netns ? "true" : "false");
	rt_json_u64(j, "mount_ops", applied);
	if (P->ll_abi) {
		rt_json_open(j, "landlock", '{');
		rt_json_hex(j, "handled_fs", P->ll_fs);
		rt_json_hex(j, "handled_net", P->ll_net);
		rt_json_hex(j, "scoped", P->ll_scoped);
		rt_json_close(j, '}');
	} else
		rt_json_raw(j, "landlock", "null");
	rt_json_u64(j, "seccomp_insns", P->seccomp ? P->s->v->nseccomp : 0);
	rt_json_raw(j, "new_user_namespaces", P->seccomp && (P->s->v->header->flags &
	                                                     SBX_BLOB_F_NO_USERNS) ? "false" : "true");
	if (P->cgroup_fd >= 0)
		rt_json_str(j, "cgroup", X->cg_msg);
	else
		rt_json_raw(j, "cgroup", "null");
	rt_json_raw(j, "no_new_privs", "true");
	rt_json_raw(j, "capabilities_dropped", "true");
	rt_json_close(j, '}');
}

static void log_spawn(const struct lx_parent *X, const struct sbx_proc *proc)
{
	const struct rt_spawn *s = X->P.s;
	const struct sbx_limits *lim = s->v->limits;
	struct rt_json j;
	rt_json_begin(&j);
	rt_json_str(&j, "event", "spawn");
	rt_json_time(&j);
	rt_json_i64(&j, "pid", proc->pid);
	rt_json_hex(&j, "policy_id", s->v->header->policy_id);
	rt_json_hex(&j, "checksum", s->v->header->checksum);
	log_argv(&j, s->argv);
	rt_json_str(&j, "cwd", s->cwd);
	rt_json_str(&j, "enforcement", X->P.best_effort ? "best-effort" : "strict");
	rt_json_i64(&j, "landlock_abi", lx_landlock_abi());
	log_mechanisms(&j, X);
	const char *const by[4] = { X->by[0][0] ? X->by[0] : NULL, X->by[1][0] ? X->by[1] : NULL,
	                            X->by[2][0] ? X->by[2] : NULL,
	                            "the launcher (SIGKILL to the namespace's init)" };
	rt_log_limits(&j, lim, by);
	log_list(&j, "degraded", &X->degraded);
	log_list(&j, "notes", &X->notes);
	rt_json_emit(&j, s->log_fd);
}

/* Reads the child's records until READY, a failure, or EOF. */
static int await_ready(struct lx_parent *X, int fd, pid_t pid)
{
	struct sbx_ctx *ctx = X->P.s->ctx;
	struct lx_report r;
	for (;;) {
		ssize_t n = read(fd, &r, sizeof r);
		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof r)
			return rt_fail(ctx, SBX_E_SETUP, "the sandbox's init (pid %d) died during setup",
			               (int)pid);
		r.msg[sizeof r.msg - 1] = 0;
		if (r.kind == LX_R_NOTE)
			list_add(&X->notes, "%s", r.msg);
		else if (r.kind == LX_R_READY)
			return SBX_OK;
		else if (r.kind == LX_R_FAIL)
			return rt_fail(ctx, r.code ? r.code : SBX_E_SETUP, "%s", r.msg);
		else if (r.kind == LX_R_EXECFAIL)
			return rt_fail(ctx, r.code, "%s: %s", X->P.s->argv[0], strerrordesc_np(r.err));
		else if (r.kind == LX_R_HELPER && X->E.helper_fd >= 0) {
			snprintf(X->init_note, sizeof X->init_note, "init: started as a copy of the "
			         "caller: the helper %s refused its input: %s", X->E.path, r.msg);
			return LX_E_HELPER;
		}
	}
}

static pid_t do_clone(const struct lx_plan *P, int *pidfd)
{
	if (P->nons && P->cgroup_fd < 0) {
		/* Plain clone (as fork, without atfork handlers), then a pidfd. */
		pid_t pid = (pid_t)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
		if (pid > 0)
			*pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
		return pid;
	}
	uint64_t flags = CLONE_PIDFD | (P->nons ? 0 : CLONE_NEWNS | CLONE_NEWPID);
	if (P->userns)
		flags |= CLONE_NEWUSER;
	if (P->netns)
		flags |= CLONE_NEWNET;
	struct lx_clone_args args;
	memset(&args, 0, sizeof args);
	if (P->cgroup_fd >= 0) {
		flags |= CLONE_INTO_CGROUP;
		args.cgroup = (uint64_t)P->cgroup_fd;
	}
	args.flags = flags;
	args.pidfd = (uint64_t)(uintptr_t)pidfd;
	args.exit_signal = SIGCHLD;
	return (pid_t)syscall(SYS_clone3, &args, sizeof args);
}

static void reap(pid_t pid)
{
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* The helper's input for this attempt; on failure, init will be a copy. */
static void prepare_exec(struct lx_parent *X)
{
	int err = X->E.helper_fd >= 0 ? lx_exec_prepare(&X->E, &X->P) : 0;
	if (err) {
		snprintf(X->init_note, sizeof X->init_note, "init: started as a copy of the caller: "
		         "cannot write the helper's input: %s", strerror(err));
		lx_exec_release(&X->E);
	}
}

static int start_once(struct lx_parent *X, struct sbx_proc *proc)
{
	struct sbx_ctx *ctx = X->P.s->ctx;
	int rp[2], pidfd = -1;
	prepare_exec(X);
	if (pipe2(rp, O_CLOEXEC) != 0)
		return rt_fail(ctx, SBX_E_SETUP, "cannot create a pipe: %s", strerror(errno));
	X->P.report_fd = rp[1];
	proc->start_ns = now_ns();
	X->init_exec = X->E.helper_fd >= 0;
	pid_t pid = X->init_exec ? lx_exec_clone(&X->E, &X->P, rp[1], &pidfd) : do_clone(&X->P, &pidfd);
	if (pid == 0) {
		close(rp[0]);
		lx_child_main(&X->P);
	}
	int err = errno;
	close(rp[1]);
	if (pid < 0 && X->P.cgroup_fd >= 0) {
		close(rp[0]);
		snprintf(X->cg_msg, sizeof X->cg_msg, "cannot clone init into the cgroup (or into "
		         "the namespaces): %s", strerror(err));
		return LX_E_CGROUP;
	}
	if (pid < 0) {
		close(rp[0]);
		return rt_fail(ctx, SBX_E_UNSUPPORTED, "cannot create the sandbox's namespaces: %s%s",
		               strerror(err), err == EPERM || err == ENOSPC || err == EUSERS ?
		               " (are unprivileged user namespaces disabled?)" : "");
	}
	if (pidfd < 0) {
		kill(pid, SIGKILL);
		reap(pid);
		close(rp[0]);
		return rt_fail(ctx, SBX_E_UNSUPPORTED, "cannot get a pidfd for the sandbox: %s", strerror(errno));
	}
	int rc = SBX_OK;
	if (X->init_exec && X->E.err) {
		snprintf(X->init_note, sizeof X->init_note, "init: started as a copy of the caller: "
		         "cannot exec the helper %s: %s", X->E.path, strerror(X->E.err));
		rc = LX_E_HELPER;
	}
	if (rc == SBX_OK)
		rc = await_ready(X, rp[0], pid);
	if (rc != SBX_OK) {
		reap(pid);
		close(rp[0]);
		close(pidfd);
		return rc;
	}
	proc->pid = pid;
	proc->pidfd = pidfd;
	proc->status_fd = rp[0];
	return SBX_OK;
}

/* What enforces each limit, for the log: the cgroup first when there is one. */
static void name_enforcers(struct lx_parent *X)
{
	const char *fallback[3] = { X->nproc_by, X->mem_by, X->cpu_by };
	const char *tree[3] = {
		X->cg.ctl & LX_CG_PIDS ? "cgroup v2 pids.max (the whole tree)" : NULL,
		X->cg.ctl & LX_CG_MEMORY ? "cgroup v2 memory.max, no swap (the whole tree)" : NULL,
		"cgroup v2 cpu.stat (the whole tree's CPU time, read every 100 ms; past the limit "
		"the tree is killed)",
	};
	for (int i = 0; i < 3; i++) {
		const char *t = X->P.cgroup_fd >= 0 ? tree[i] : NULL;
		snprintf(X->by[i], sizeof X->by[i], "%s%s%s", t ? t : "", t && fallback[i] ? "; " : "",
		         fallback[i] ? fallback[i] : "");
	}
	if (X->P.cgroup_fd < 0 && X->cg_msg[0])
		list_add(&X->notes, "cgroup v2: not used: %s", X->cg_msg);
}

/* Starts init; when the helper fails, once more as a copy of the caller,
   and without the cgroup when init cannot be cloned into it. */
static int start(struct lx_parent *X, struct sbx_proc *proc)
{
	int rc = start_once(X, proc);
	if (rc == LX_E_HELPER) {
		lx_exec_release(&X->E);
		rc = start_once(X, proc);
	}
	if (rc == LX_E_CGROUP && (X->cg.ctl & LX_CG_PIDS) && !X->nproc_by)
		return rt_fail(X->P.s->ctx, SBX_E_UNSUPPORTED, "the processes limit needs the "
		               "sandbox's cgroup, and %s", X->cg_msg);
	if (rc == LX_E_CGROUP) {
		lx_cgroup_remove(&X->cg);   /* ctl is 0 again */
		X->P.cgroup_fd = -1;
		fit_rlimits(X);
		for (size_t i = 0; i < X->P.nrlim; i++)
			if (X->P.rlim[i].resource == SBX_RLIMIT_NPROC)
				plan_nproc(X, X->P.rlim[i].soft);   /* names the rlimit alone again */
		rc = start_once(X, proc);
	}
	return rc;
}

/* The processes limit once there is no user namespace to count in. */
static void degrade_nproc(struct lx_parent *X)
{
	if (!X->nproc_by)
		return;
	if (geteuid() == 0 && (X->cg.ctl & LX_CG_PIDS))
		X->nproc_by = NULL;   /* the cgroup's pids.max alone */
	else if (geteuid() == 0) {
		X->nproc_by = "nothing (root, no PID namespace)";
		list_add(&X->degraded, "processes: not limited (root without a PID namespace)");
	} else {
		X->nproc_by = "RLIMIT_NPROC (counts every process of the user)";
		list_add(&X->degraded, "processes: RLIMIT_NPROC counts every process of the user, "
		         "not only the sandbox's");
	}
}

/* Best effort where namespaces are unavailable: run without, and say exactly what is lost. */
static void degrade_to_nons(struct lx_parent *X, const char *why)
{
	struct lx_plan *P = &X->P;
	const struct sbx_view *v = P->s->v;
	int offline = v->network->mode == SBX_NET_OFFLINE;
	P->nons = 1;
	P->userns = P->netns = 0;
	P->pid_max = 0;
	X->notes.len = X->notes.count = 0;
	list_add(&X->degraded, "namespaces: unavailable (%s): no user, mount, PID or network namespace", why);
	if (v->nmounts)
		list_add(&X->degraded, "filesystem: %zu mount operations (read-only carve-outs, hidden "
		         "paths) not applied", v->nmounts);
	list_add(&X->degraded, "filesystem: no read-only mount base: chmod, chown, utimes and xattrs "
	         "outside the writable roots are not prevented, and device nodes stay usable");
	if (offline && P->ll_abi >= 4) {
		P->ll_net |= SBX_LL_NET_BIND_TCP | SBX_LL_NET_CONNECT_TCP;
		list_add(&X->degraded, "network: offline is enforced by Landlock (every TCP bind and "
		         "connect refused, loopback too) and seccomp only: UDP and ICMP are not blocked");
	} else if (offline)
		list_add(&X->degraded, "network: offline is not enforced (no network namespace, Landlock "
		         "ABI below 4): only the seccomp filter's socket families");
	list_add(&X->degraded, "processes: no PID namespace: the tree is killed when the command ends "
	         "or the wall limit fires, but not if sbxrun itself is killed with SIGKILL");
	degrade_nproc(X);
}

/*
 * Carve-outs that do not exist cannot be protected (a mount needs a mount
 * point, and creating one would change the host): remember them, so that
 * the exit log can say when the command created one (a .git with hooks).
 */
static void plan_watch(const struct lx_plan *P, struct sbx_proc *proc)
{
	const struct sbx_view *v = P->s->v;
	size_t len = 0, room = 0;
	struct stat st;
	for (size_t i = 0; i < v->nmounts; i++) {   /* room for all: one lstat per path */
		const char *path = P->s->paths->path[v->mounts[i].path];
		if (P->apply[i] && v->mounts[i].op != SBX_MNT_EXPOSE && path)
			room += strlen(path) + 1;
	}
	if (room == 0 || !(proc->watch = malloc(room)))
		return;   /* nothing to watch (or no memory: the log just says less) */
	for (size_t i = 0; i < v->nmounts; i++) {
		const char *path = P->s->paths->path[v->mounts[i].path];
		if (!P->apply[i] || v->mounts[i].op == SBX_MNT_EXPOSE || !path ||
		    lstat(path, &st) == 0 || errno != ENOENT)
			continue;
		memcpy(proc->watch + len, path, strlen(path) + 1);
		len += strlen(path) + 1;
	}
	proc->watch_len = len;
}

int rt_backend_spawn(const struct rt_spawn *s, struct sbx_proc *proc)
{
	struct lx_parent *X = malloc(sizeof *X);
	if (!X)
		return rt_fail(s->ctx, SBX_E_NOMEM, "out of memory");
	int rc = plan(X, s);
	if (rc == SBX_OK) {
		plan_watch(&X->P, proc);   /* before the command can create anything */
		lx_exec_choose(&X->E, X->init_note, sizeof X->init_note);
		rc = start(X, proc);
	}
	if (rc == SBX_E_UNSUPPORTED && X->P.best_effort && !X->P.nons) {
		char why[RT_ERR_SIZE];
		snprintf(why, sizeof why, "%s", s->ctx->err);
		degrade_to_nons(X, why);
		s->ctx->err[0] = 0;
		rc = start(X, proc);
	}
	if (rc == SBX_OK) {
		const struct sbx_limits *lim = s->v->limits;
		proc->wall_ns = lim->wall_seconds > UINT64_MAX / 1000000000u ? 0 :
		                lim->wall_seconds * 1000000000u;
		proc->cpu_s = lim->cpu_seconds;
		proc->policy_id = s->v->header->policy_id;
		proc->log_fd = s->log_fd;
		proc->no_pid_ns = X->P.nons;
		if (X->init_note[0])
			list_add(&X->notes, "%s", X->init_note);
		name_enforcers(X);
		log_spawn(X, proc);
		proc->cgroup_fd = X->cg.fd;   /* sbx_proc_wait removes it */
		proc->cgroup_base_fd = X->cg.base_fd;
		memcpy(proc->cgroup_name, X->cg.name, sizeof proc->cgroup_name);
		lx_cgroup_init(&X->cg);
	} else {
		free(proc->watch);
		proc->watch = NULL;
		proc->watch_len = 0;
		lx_cgroup_remove(&X->cg);
	}
	lx_exec_release(&X->E);
	free(X);
	return rc;
}

/* Forwards one signal read from the caller's signalfd, unless the terminal sent it. */
static void forward_signal(const struct sbx_proc *proc)
{
	struct signalfd_siginfo si;
	if (read(proc->forward_fd, &si, sizeof si) != (ssize_t)sizeof si)
		return;
	if (si.ssi_code == SI_KERNEL && (si.ssi_signo == SIGINT || si.ssi_signo == SIGQUIT ||
	                                 si.ssi_signo == SIGHUP))
		return;   /* from the terminal: the command's process group got it too */
	kill(proc->pid, (int)si.ssi_signo);
}

/* Reads the init's EXIT record, if any; 1 and *status when found. */
static int read_exit(const struct sbx_proc *proc, int *status)
{
	struct lx_report r;
	int found = 0;
	while (read(proc->status_fd, &r, sizeof r) == (ssize_t)sizeof r)
		if (r.kind == LX_R_EXIT) {
			*status = r.err;
			found = 1;
		}
	return found;
}

/* The tree's CPU time, from its cgroup: past the limit, the whole tree is killed. */
static void check_cpu(struct sbx_proc *proc)
{
	if (proc->cgroup_fd < 0 || !proc->cpu_s || proc->killed_for_cpu ||
	    lx_cgroup_stat(proc->cgroup_fd, "cpu.stat", "usage_usec") / 1000000u < proc->cpu_s)
		return;
	lx_cgroup_kill(proc->cgroup_fd);
	kill(proc->pid, SIGKILL);
	proc->killed_for_cpu = 1;
}

static int poll_once(struct sbx_proc *proc)
{
	struct pollfd pfd[2] = { { proc->pidfd, POLLIN, 0 }, { proc->forward_fd, POLLIN, 0 } };
	int timeout = -1;
	uint64_t end = proc->start_ns + proc->wall_ns;
	if (proc->killed_for_wall)
		end += LX_WALL_GRACE_NS;   /* without a PID namespace init gets a moment to end the tree */
	int sent_kill = proc->killed_for_wall && (!proc->no_pid_ns || proc->killed_for_wall == 2);
	if (proc->wall_ns && !sent_kill) {
		uint64_t now = now_ns();
		uint64_t ms = now >= end ? 0 : (end - now) / 1000000u + 1;
		timeout = ms > 3600000u ? 3600000 : (int)ms;
	}
	int cpu_watch = proc->cgroup_fd >= 0 && proc->cpu_s && !proc->killed_for_cpu;
	if (cpu_watch && (timeout < 0 || timeout > LX_CG_CPU_CHECK_MS))
		timeout = LX_CG_CPU_CHECK_MS;
	int n = poll(pfd, proc->forward_fd >= 0 ? 2 : 1, timeout);
	check_cpu(proc);
	if (n == 0 && proc->wall_ns && now_ns() >= end) {
		/* init: with a PID namespace the whole tree goes with it; without,
		   SIGALRM asks init to end the tree, and SIGKILL follows the grace. */
		int first = !proc->killed_for_wall;
		kill(proc->pid, proc->no_pid_ns && first ? SIGALRM : SIGKILL);
		proc->killed_for_wall = first ? 1 : 2;
	}
	if (n > 0 && (pfd[1].revents & POLLIN))
		forward_signal(proc);
	return n > 0 && (pfd[0].revents & (POLLIN | POLLHUP));
}

static void fill_exit(const struct sbx_proc *proc, int st, const struct rusage *ru,
                      struct sbx_exit *ex)
{
	ex->exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	ex->signal = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
	ex->code = ex->signal ? 128 + ex->signal : ex->exit_code;
	ex->duration_us = (now_ns() - proc->start_ns) / 1000u;
	ex->user_us = (uint64_t)ru->ru_utime.tv_sec * 1000000u + (uint64_t)ru->ru_utime.tv_usec;
	ex->sys_us = (uint64_t)ru->ru_stime.tv_sec * 1000000u + (uint64_t)ru->ru_stime.tv_usec;
	ex->maxrss_kb = (uint64_t)ru->ru_maxrss;
	if (proc->killed_for_wall)
		ex->limit = "wall";
	else if (proc->killed_for_cpu)
		ex->limit = "cpu";
	else if (proc->cpu_s && (ex->signal == SIGXCPU || (ex->signal == SIGKILL &&
	         ex->user_us + ex->sys_us >= proc->cpu_s * 1000000u)))
		ex->limit = "cpu";
}

/* The tree's own account from its cgroup, then the cgroup goes. */
static void finish_cgroup(struct sbx_proc *proc, struct sbx_exit *ex)
{
	struct lx_cgroup cg = { proc->cgroup_fd, proc->cgroup_base_fd, 0, "" };
	if (cg.fd < 0)
		return;
	memcpy(cg.name, proc->cgroup_name, sizeof cg.name);
	uint64_t user = lx_cgroup_stat(cg.fd, "cpu.stat", "user_usec");
	uint64_t sys = lx_cgroup_stat(cg.fd, "cpu.stat", "system_usec");
	if (user + sys > ex->user_us + ex->sys_us) {
		ex->user_us = user;
		ex->sys_us = sys;
	}
	if (!ex->limit && lx_cgroup_stat(cg.fd, "memory.events", "oom_kill"))
		ex->limit = "memory";
	if (!ex->limit && lx_cgroup_stat(cg.fd, "pids.events", "max"))
		ex->limit = "processes";
	lx_cgroup_remove(&cg);
	proc->cgroup_fd = proc->cgroup_base_fd = -1;
}

int rt_backend_wait(struct sbx_proc *proc, struct sbx_exit *ex)
{
	while (!poll_once(proc))
		;
	int st = 0, cmd_st = 0;
	struct rusage ru;
	memset(&ru, 0, sizeof ru);
	while (wait4(proc->pid, &st, 0, &ru) < 0 && errno == EINTR)
		;
	if (!read_exit(proc, &cmd_st))
		cmd_st = st;   /* init itself was killed (wall limit, sbx_proc_kill) */
	fill_exit(proc, cmd_st, &ru, ex);
	finish_cgroup(proc, ex);
	close(proc->status_fd);
	close(proc->pidfd);
	proc->status_fd = proc->pidfd = -1;
	proc->done = 1;
	return SBX_OK;
}

int rt_backend_kill(const struct sbx_proc *proc, int sig)
{
	if (sig == SIGKILL && proc->cgroup_fd >= 0)
		lx_cgroup_kill(proc->cgroup_fd);   /* the whole tree at once, whatever init does */
	if (sig == SIGKILL && proc->no_pid_ns)
		sig = SIGALRM;   /* init ends the tree; a SIGKILL to it alone would orphan it */
	if (syscall(SYS_pidfd_send_signal, proc->pidfd, sig, NULL, 0) != 0 && kill(proc->pid, sig) != 0)
		return SBX_E_ARG;
	return SBX_OK;
}
