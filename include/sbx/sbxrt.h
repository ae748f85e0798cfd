/*
 * sbxrt.h - libsbxrt, the sbx runtime: verify a compiled policy blob, look
 * at it through a zero-copy view, and run a command confined by it
 * (sbx_ctx_*, sbx_spawn, sbx_proc_*; docs/runtime.md).
 *
 * The library never allocates on the load/verify path, keeps no global
 * state and never prints.  Every function is safe to call from several
 * threads on different objects.
 */
#ifndef SBX_SBXRT_H
#define SBX_SBXRT_H

#include <stddef.h>
#include <stdint.h>

#include "blob.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define SBX_API __declspec(dllexport)
#elif defined(__GNUC__)
#define SBX_API __attribute__((visibility("default")))
#else
#define SBX_API
#endif

/* Errors.  Each class of malformed blob has its own code. */
enum sbx_err {
	SBX_OK = 0,
	SBX_E_ALIGN,        /* buffer or section not 8-byte aligned */
	SBX_E_TRUNCATED,    /* buffer shorter than the header or than total_size */
	SBX_E_MAGIC,        /* not an sbx blob */
	SBX_E_VERSION,      /* unsupported format major/minor or compiler ABI */
	SBX_E_SIZE,         /* header_size/total_size/section size inconsistent or too large */
	SBX_E_CHECKSUM,     /* XXH3 checksum mismatch */
	SBX_E_BOUNDS,       /* an offset, count or index points outside its table */
	SBX_E_OVERLAP,      /* two sections overlap, or a section overlaps the header/table */
	SBX_E_STRING,       /* bad string reference, unterminated string or invalid UTF-8/UTF-16 */
	SBX_E_UNKNOWN_REQUIRED, /* a section the reader does not know is marked required */
	SBX_E_DUPLICATE,    /* a section id appears twice */
	SBX_E_MISSING,      /* a section the flags say must be there is absent */
	SBX_E_VALUE,        /* a field has a value outside its domain (kind, mask, flag...) */
	SBX_E_BPF,          /* the seccomp program is not a valid, terminating filter */
	SBX_E_FLAGS,        /* unknown header or section flags */
	SBX_E__COUNT
};

/* A short English description of an error code ("checksum mismatch"). */
SBX_API const char *sbx_strerror(int err);

/*
 * The zero-copy view of a verified blob.  Every pointer points into the
 * caller's buffer, which must outlive the view.  Counts are record counts.
 * Absent optional sections have a NULL pointer and a zero count.
 */
struct sbx_view {
	const struct sbx_blob_header *header;
	const char *strings;          size_t strings_size;
	const uint16_t *wstrings;     size_t wstrings_units;
	const struct sbx_param *params;       size_t nparams;
	const struct sbx_path *paths;         size_t npaths;
	const struct sbx_fs_rule *rules;      size_t nrules;
	const struct sbx_network *network;    /* never NULL */
	const struct sbx_limits *limits;      /* never NULL */
	const struct sbx_env_op *env;         size_t nenv;
	/* Linux, when header->flags has SBX_BLOB_F_LINUX */
	const struct sbx_lx_landlock *landlock;
	const struct sbx_lx_ll_rule *ll_rules;    size_t nll_rules;
	const struct sbx_lx_mount *mounts;        size_t nmounts;
	const struct sbx_bpf_insn *seccomp;       size_t nseccomp;
	const struct sbx_lx_rlimit *rlimits;      size_t nrlimits;
	/* Windows, when header->flags has SBX_BLOB_F_WINDOWS */
	const struct sbx_win_token *win_token;
	const uint32_t *win_privs;                size_t nwin_privs;
	const struct sbx_win_sid *win_sids;       size_t nwin_sids;
	const struct sbx_win_ace *win_aces;       size_t nwin_aces;
	const struct sbx_win_job *win_job;
	size_t unknown_optional;      /* optional sections skipped */
};

/*
 * Verify `len` bytes at `buf` (8-byte aligned) and fill `view`.  Returns
 * SBX_OK or an enum sbx_err; on error `view` is zeroed.  Reads nothing
 * outside [buf, buf+len), allocates nothing, runs in time linear in len.
 * When `where` is not NULL it receives a short static-free explanation of
 * the failing spot ("section 17 record 3: access outside handled_fs"),
 * truncated to `where_size` bytes.
 */
SBX_API int sbx_blob_verify(const void *buf, size_t len, struct sbx_view *view,
                            char *where, size_t where_size);

/* String accessors for a verified view; NULL for SBX_NONE. */
SBX_API const char *sbx_view_str(const struct sbx_view *v, uint32_t ref);
SBX_API const uint16_t *sbx_view_wstr(const struct sbx_view *v, uint32_t ref);

/*
 * The capability SID derived for a Windows path: "S-1-5-21-a-b-c-d", where
 * a..d are the four 32-bit words of XXH3-128 over a fixed namespace and the
 * canonical path (UTF-16LE, ASCII letters upper-cased, '\\' separators, no
 * trailing separator).  Stateless and stable.  Writes a NUL-terminated
 * string of at most SBX_SID_STR_MAX bytes; returns its length.
 */
#define SBX_SID_STR_MAX 64
SBX_API size_t sbx_derive_cap_sid(const uint16_t *path, size_t units, char out[SBX_SID_STR_MAX]);

/* ==================================================================== */
/* Spawning a command under a policy (Linux now; Windows later).         */
/* ==================================================================== */

/*
 * A runtime context: one blob (borrowed or mmap'd), its verified view, the
 * values bound to its spawn-time parameters, and the last error message.
 * Created by sbx_ctx_create (the one allocation before a spawn), destroyed
 * by sbx_ctx_destroy.  Not shared between threads without a lock; separate
 * contexts are independent.
 */
struct sbx_ctx;

/* Runtime status codes, after the blob codes of enum sbx_err. */
enum sbx_rt_err {
	SBX_E_RT_FIRST = 64,
	SBX_E_NOMEM = SBX_E_RT_FIRST, /* out of memory */
	SBX_E_IO,           /* the blob file could not be opened, read or mapped */
	SBX_E_BLOB,         /* the blob failed verification (details in sbx_ctx_error) */
	SBX_E_NOBLOB,       /* no blob loaded yet */
	SBX_E_PARAM,        /* a parameter is unknown, missing, or its value is not allowed */
	SBX_E_ROOT,         /* a writable root does not exist or is not a directory */
	SBX_E_UNSUPPORTED,  /* the kernel lacks a mechanism the blob requires (strict mode) */
	SBX_E_SETUP,        /* a step of the sandbox setup failed (no command ran) */
	SBX_E_NOTFOUND,     /* the command was not found (sbxrun exits 127) */
	SBX_E_NOEXEC,       /* the command was found but could not be executed (126) */
	SBX_E_ARG,          /* a bad argument to the library */
	SBX_E_RT_END
};

/* Creates an empty context; NULL when out of memory. */
SBX_API struct sbx_ctx *sbx_ctx_create(void);

/*
 * Unmaps a blob opened by sbx_ctx_open_blob, frees the context and sets
 * *ctx to NULL.  Does NOT wait for or kill processes spawned from it (see
 * sbx_proc), and does not free a buffer passed to sbx_ctx_use_blob.
 */
SBX_API void sbx_ctx_destroy(struct sbx_ctx **ctx);

/*
 * Reads the blob file at `path` into private, read-only memory (later
 * changes to the file do not reach the context) and verifies it.  SBX_OK
 * or a code.
 */
SBX_API int sbx_ctx_open_blob(struct sbx_ctx *ctx, const char *path);

/*
 * Verifies `len` bytes at `buf` (8-byte aligned) and uses them in place:
 * the buffer is borrowed and must outlive the context.  No allocation.
 */
SBX_API int sbx_ctx_use_blob(struct sbx_ctx *ctx, const void *buf, size_t len);

/* The verified view, or NULL when no blob is loaded. */
SBX_API const struct sbx_view *sbx_ctx_view(const struct sbx_ctx *ctx);

/*
 * Binds spawn-time parameter `name` to `value` (copied).  The value must
 * be an absolute path without control characters and without "." or ".."
 * components, at most SBX_PARAM_VALUE_MAX bytes; a trailing '/' is
 * dropped.  Unknown names are an error.  Unbound built-in parameters take
 * their defaults at each spawn (WORKSPACE = that spawn's cwd, HOME = $HOME,
 * TMPDIR = $TMPDIR or /tmp); any other unbound parameter is an error then.
 */
#define SBX_PARAM_VALUE_MAX 4000
SBX_API int sbx_ctx_bind(struct sbx_ctx *ctx, const char *name, const char *value);

/* Sends JSON log lines (docs/runtime.md) to `fd` (not closed; -1 = none, the default). */
SBX_API void sbx_ctx_set_log_fd(struct sbx_ctx *ctx, int fd);

/* One line in words: the last error of any call on this context ("" if none). */
SBX_API const char *sbx_ctx_error(const struct sbx_ctx *ctx);

/* The message for a code of either enum ("out of memory"). */
SBX_API const char *sbx_rt_strerror(int err);

/* What to run.  Zero-initialize, then fill; unset fields mean "inherit". */
struct sbx_spawn_opts {
	const char *const *argv;   /* argv[0]: a path, or a name searched in the
	                              filtered environment's PATH */
	const char *cwd;           /* working directory; NULL = the caller's */
	const char *const *envp;   /* the environment to filter; NULL = environ */
	int redirect;              /* 0: the child inherits the caller's fds 0,1,2;
	                              1: stdio[] gives them (not closed by the library) */
	int stdio[3];
};

/* A running sandbox.  Plain data; owned by the caller. */
struct sbx_proc {
	int pid;                   /* the sandbox's init (the namespace's pid 1) */
	int pidfd;                 /* a pidfd for it, or -1 */
	int status_fd;             /* private: the init's report pipe */
	int done;                  /* set by sbx_proc_wait */
	uint64_t start_ns;         /* CLOCK_MONOTONIC at spawn */
	uint64_t wall_ns;          /* the wall limit, 0 = none */
	uint64_t cpu_s;            /* the CPU limit (for reporting which fired) */
	uint64_t policy_id;
	int log_fd;
	int killed_for_wall;
	int no_pid_ns;             /* private: best effort ran without a PID namespace */
	int cgroup_fd;             /* private (Linux): the sandbox's cgroup v2, or -1 */
	int cgroup_base_fd;        /* private: the cgroup holding it */
	char cgroup_name[24];      /* private: its name there */
	int killed_for_cpu;        /* private: the tree's CPU time passed the limit */
	int desktop;               /* private (Windows): the private desktop's handle, or 0 */
	char *watch;               /* private: carve-out paths that did not exist at spawn
	                              (NUL-separated, malloc'd; freed by sbx_proc_wait) */
	size_t watch_len;
	int forward_fd;            /* caller may set after spawn: a signalfd whose
	                              signals sbx_proc_wait forwards to the sandbox
	                              (terminal-generated ones are not forwarded: the
	                              terminal already sent them); -1 = none */
};

/* How it ended. */
struct sbx_exit {
	int exit_code;             /* the command's exit code, or -1 */
	int signal;                /* the signal that killed it, or 0 */
	int code;                  /* what sbxrun exits with: exit_code or 128+signal */
	const char *limit;         /* "wall", "cpu", "memory", "processes" or NULL: which
	                              limit fired (the last two only with a cgroup v2) */
	uint64_t duration_us;      /* wall time from spawn to exit */
	uint64_t user_us, sys_us;  /* CPU time of the whole tree */
	uint64_t maxrss_kb;        /* the largest RSS of any process in it */
	int appeared;              /* carve-outs (a read-only .git, a denied path) that did
	                              not exist at spawn, so nothing protected them, and
	                              exist now: created inside the sandbox.  The exit
	                              log names them. */
};

/*
 * Binds the defaults, builds the sandbox and starts argv in it.  Returns
 * SBX_OK once the command has been exec'd (or a code, with the message in
 * sbx_ctx_error: nothing ran).  The calling thread must stay alive until
 * sbx_proc_wait returns: the sandbox is killed when it exits (parent-death
 * signal).  sbx_proc_wait must be called to release the process and fds.
 */
SBX_API int sbx_spawn(struct sbx_ctx *ctx, const struct sbx_spawn_opts *opts,
                      struct sbx_proc *proc);

/* Waits for the sandbox to end (enforcing the wall limit), fills `ex`,
   writes the exit log line, and closes proc's fds. */
SBX_API int sbx_proc_wait(struct sbx_proc *proc, struct sbx_exit *ex);

/* Sends `sig` to the sandbox; SIGKILL kills the whole tree at once. */
SBX_API int sbx_proc_kill(const struct sbx_proc *proc, int sig);

#ifdef __cplusplus
}
#endif
#endif /* SBX_SBXRT_H */
