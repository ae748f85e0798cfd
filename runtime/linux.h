/*
 * linux.h - the Linux backend's internals.  The parent (spawn_linux.c)
 * decides everything in a struct lx_plan before cloning; the child (the
 * sandbox's init) only makes system calls with it: no allocation, no
 * stdio, nothing that takes a lock another thread could hold.
 *
 * Child steps, in order (each in its own file):
 *   linux_ns.c       user namespace maps, mounts from the blob, /proc, lo
 *   linux_limits.c   rlimits, the PID namespace's pid_max
 *   linux_caps.c     every capability set emptied, no_new_privs
 *   linux_landlock.c the Landlock ruleset
 *   linux_seccomp.c  the seccomp filter
 */
#ifndef SBX_LINUX_H
#define SBX_LINUX_H

#include "backend.h"

#include <sched.h>
#include <signal.h>
#include <sys/types.h>

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

#define LX_MAX_MOUNTS  256     /* mount operations in one blob */
#define LX_MAX_RLIMITS 8
#define LX_MSG_SIZE    240
#define LX_NOTES_SIZE  4096    /* what the parent keeps of the child's notes */
#define LX_DEGRADED_SIZE 1024

/* struct clone_args of <linux/sched.h>, spelled out (header clashes with <sched.h>). */
struct lx_clone_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal;
	uint64_t stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};
/* clone3 with args->stack set: the child runs fn(arg) there and exits with
   its value (linux_clone3.c); -1 and ENOSYS where it is not built. */
RT_HIDDEN pid_t lx_clone3(struct lx_clone_args *args, int (*fn)(void *), void *arg);

/* Records the child sends the parent over the report pipe (< PIPE_BUF: atomic). */
enum lx_report_kind {
	LX_R_NOTE = 1,      /* something skipped or degraded, for the log */
	LX_R_FAIL = 2,      /* setup failed; nothing will run */
	LX_R_EXECFAIL = 3,  /* the command could not be exec'd; err = errno */
	LX_R_READY = 4,     /* the command runs */
	LX_R_EXIT = 5,      /* the command ended; err = its wait status */
	LX_R_HELPER = 6,    /* sbx-init cannot use what it was sent (another version?):
	                       the launcher starts init as a copy instead */
};

struct lx_report {
	int32_t kind;
	int32_t err;
	int32_t code;       /* LX_R_FAIL: an SBX_E_* code */
	char msg[LX_MSG_SIZE];
};

/* Records init holds back to send with the next one: a single write, so the
   launcher wakes once per setup.  16 * 252 bytes < PIPE_BUF (still atomic). */
#define LX_BATCH_MAX 16
struct lx_batch {
	struct lx_report r[LX_BATCH_MAX];
	size_t n;
};

#define LX_RLIMIT_NONE (-1)   /* an rlimit left as it is (the cgroup bounds the tree) */
struct lx_rlim {
	int resource;
	uint64_t soft, hard;
};

struct lx_plan {
	const struct rt_spawn *s;
	/* namespaces; nons: none at all (best effort where they are unavailable) */
	int userns, netns, nons;
	int ns_stage;       /* child: inside the namespace steps (failures there mean
	                       "unavailable", so best effort can retry without) */
	char uid_map[48], gid_map[48];   /* "U U 1\n": the caller's ids, mapped 1:1 */
	/* mounts: 1 = apply op i (IF_INSIDE decided against the bound paths) */
	uint8_t apply[LX_MAX_MOUNTS];
	/* PATHS indices of the writable roots, shortest first (parents before children) */
	uint32_t roots[LX_MAX_MOUNTS];
	size_t nroots;
	/* Landlock, masked to what the kernel supports */
	int ll_abi;
	uint64_t ll_fs, ll_net, ll_scoped;
	/* limits */
	struct lx_rlim rlim[LX_MAX_RLIMITS];
	size_t nrlim;
	uint64_t pid_max;   /* 0 = leave it */
	int seccomp;        /* 1 = install the blob's filter (0: none, or unavailable in best effort) */
	int cgroup_fd;      /* launcher: the cgroup init is cloned into, -1 = none */
	int best_effort;
	/* the report pipe's write end, in the child */
	int report_fd;
	struct lx_batch *batch;   /* child: notes not sent yet (NULL: send each at once) */
	sigset_t child_mask;/* the signals init waits for */
};

/* ---- child side (linux_*.c) ---- */

/* The sandbox's init (linux_init.c): builds the sandbox, runs the command; never returns. */
RT_HIDDEN void lx_child_main(struct lx_plan *P) __attribute__((noreturn));

/* Sends a record (a note waits in P->batch for the next record or a full
   batch); a failed write is ignored (the parent then sees EOF). */
RT_HIDDEN void lx_report(const struct lx_plan *P, int kind, int err, int code, const char *msg);
/* Joins up to four strings (NULLs skipped) into a report message and sends it. */
RT_HIDDEN void lx_note(const struct lx_plan *P, const char *a, const char *b, const char *c,
                       const char *d);
/* Reports a failed step: "what: path: strerror(err)"; returns -1. */
RT_HIDDEN int lx_fail(const struct lx_plan *P, int code, const char *what, const char *path, int err);

RT_HIDDEN int lx_setup_userns(const struct lx_plan *P);
RT_HIDDEN int lx_setup_mounts(const struct lx_plan *P);
RT_HIDDEN int lx_setup_proc(const struct lx_plan *P);
RT_HIDDEN int lx_setup_loopback(const struct lx_plan *P);
RT_HIDDEN int lx_setup_limits(const struct lx_plan *P);
RT_HIDDEN int lx_drop_caps(const struct lx_plan *P);
RT_HIDDEN int lx_setup_landlock(const struct lx_plan *P);
RT_HIDDEN int lx_setup_seccomp(const struct lx_plan *P);
/* Without a PID namespace: kills init's children until none is left. */
RT_HIDDEN void lx_kill_descendants(void);

/* ---- init as the exec'd helper sbx-init (linux_exec.c, linux_payload.c, sbx_init.c) ---- */

/*
 * From a big caller, copying its address space costs more than an exec:
 * init is then started with CLONE_VM | CLONE_VFORK and execs sbx-init,
 * which reads the spawn from a memfd at fd LX_INIT_PAYLOAD_FD and reports
 * on LX_INIT_REPORT_FD.  LX_EXEC_MIN_RSS is the caller's resident size
 * from which the exec is cheaper: bench/run measures init copied at 2 to
 * 66 MiB against init exec'd; on a 2-core VM the copy cost 2.6 ms at 2 MiB,
 * 3.2 ms at 10, 3.7 ms at 18 and 15.4 ms at 258, the exec 3.3 ms at any size.
 */
#define LX_INIT_REPORT_FD  3
#define LX_INIT_PAYLOAD_FD 4
#define LX_PAYLOAD_MAX     (64u << 20)
#define LX_EXEC_MIN_RSS    (16u << 20)
#define LX_INIT_NAME       "sbx-init"
#define LX_INIT_ENV        "SBX_INIT_PATH"   /* overrides where sbx-init is; "" = never */

/* What sbx-init rebuilds from the payload; the pointers point into it. */
struct lx_init {
	struct lx_plan P;
	struct rt_spawn s;
	struct sbx_view v;
	struct rt_paths paths;
	struct rt_env env;
	const char **argv;
};
/* The payload for P's spawn (malloc'd); -1 when out of memory or too big. */
RT_HIDDEN int lx_payload_build(const struct lx_plan *P, uint8_t **out, size_t *len);
/* Checks and decodes buf (8-byte aligned, kept by the caller); -1 and *why when refused. */
RT_HIDDEN int lx_payload_parse(void *buf, size_t len, struct lx_init *I, const char **why);
RT_HIDDEN void lx_payload_release(struct lx_init *I);

/* Launcher side: the helper, when this spawn should exec it. */
struct lx_exec {
	int helper_fd;            /* O_PATH fd of sbx-init; -1: init is a copy of the caller */
	int payload_fd;           /* the memfd, for the current attempt */
	int src[5];               /* fds the child moves: report, payload, stdio 0..2 (-1 = keep) */
	int err;                  /* set by the child when the exec failed */
	int keep_caps;            /* in a new user namespace: keep its capabilities across the exec */
	int cgroup_procs;         /* the sandbox's cgroup.procs, which the child enters first; -1 */
	char *stack;
	char path[4096];
};
/* Picks the way for this spawn: 1 (helper_fd open) to exec, 0 to copy;
   a reason for the log goes in note when the helper was wanted but unusable. */
RT_HIDDEN int lx_exec_choose(struct lx_exec *E, char *note, size_t size);
/* Writes P's payload to a new memfd (E->payload_fd); 0 or an errno. */
RT_HIDDEN int lx_exec_prepare(struct lx_exec *E, const struct lx_plan *P);
/* Starts init as sbx-init: pid, or -1 with errno; *pidfd set.  E->err != 0
   after a successful clone means the exec failed (the child has exited). */
RT_HIDDEN pid_t lx_exec_clone(struct lx_exec *E, const struct lx_plan *P, int report_fd,
                              int *pidfd);
/* Closes what lx_exec_choose and lx_exec_clone took; back to copying. */
RT_HIDDEN void lx_exec_release(struct lx_exec *E);

/* ---- launcher side: a cgroup v2 of the sandbox's own (linux_cgroup.c) ---- */

#define LX_CG_PIDS   1u
#define LX_CG_MEMORY 2u
#define LX_CG_CPU_CHECK_MS 100   /* how often the tree's CPU time is read */

struct lx_cgroup {
	int fd;          /* the sandbox's cgroup (a directory), -1 = none */
	int base_fd;     /* the cgroup that holds it */
	unsigned ctl;    /* LX_CG_*: the limits set in it */
	char name[24];   /* "sbx-" and 16 hex digits */
};
RT_HIDDEN void lx_cgroup_init(struct lx_cgroup *cg);
/* Creates the sandbox's cgroup with lim's processes and memory limits: 0 and
   its path in msg, or -1 and the reason in msg (nothing is left behind). */
RT_HIDDEN int lx_cgroup_create(struct lx_cgroup *cg, const struct sbx_limits *lim, char *msg,
                               size_t size);
/* Kills every process in the cgroup at fd (cgroup.kill, Linux 5.14). */
RT_HIDDEN void lx_cgroup_kill(int fd);
/* Kills whatever is still in it, removes it, closes the fds. */
RT_HIDDEN void lx_cgroup_remove(struct lx_cgroup *cg);
/* The number after "key " in a flat-keyed file of the cgroup (cpu.stat); 0 when absent. */
RT_HIDDEN uint64_t lx_cgroup_stat(int dirfd, const char *file, const char *key);

/* ---- parent side planning ---- */

/* The running kernel's Landlock ABI (0 when Landlock is unavailable). */
RT_HIDDEN int lx_landlock_abi(void);
/* Rights the given ABI knows. */
RT_HIDDEN uint64_t lx_ll_fs_known(int abi);
RT_HIDDEN uint64_t lx_ll_net_known(int abi);
RT_HIDDEN uint64_t lx_ll_scope_known(int abi);
/* Kernel release >= major.minor? */
RT_HIDDEN int lx_kernel_at_least(int major, int minor);

#endif
