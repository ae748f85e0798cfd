/*
 * rt.h - libsbxrt internals shared by the platform-neutral runtime files
 * (load.c, bind.c, env.c, spawn.c, log.c) and the backends.  Nothing here
 * is exported; the public API is include/sbx/sbxrt.h.
 */
#ifndef SBX_RT_H
#define SBX_RT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "sbx/sbxrt.h"

#ifdef _WIN32
#define RT_HIDDEN   /* PE has no ELF visibility: only SBX_API (dllexport) is exported */
#else
#define RT_HIDDEN __attribute__((visibility("hidden")))
#endif

#define RT_MAX_PARAMS   64     /* spawn-time parameters in one blob */
#define RT_MAX_PATHS    4096   /* PATHS records the runtime binds */
#define RT_MAX_ENV      4096   /* variables passed to the command */
#define RT_MAX_ENV_SIZE (1u << 20) /* bytes of environment passed */
#define RT_ERR_SIZE     512

struct sbx_ctx {
	struct sbx_view view;
	int loaded;
	void *map;                    /* the mmap'd blob file, or NULL */
	size_t map_len;
	char *values[RT_MAX_PARAMS];  /* bound value per PARAMS index, owned; NULL = unbound */
	uint8_t is_default[RT_MAX_PARAMS]; /* the value is a default of the last spawn */
	int log_fd;
	char err[RT_ERR_SIZE];
};

/* Records a one-line message in ctx->err and returns `code`. */
__attribute__((format(printf, 3, 4)))
RT_HIDDEN int rt_fail(struct sbx_ctx *ctx, int code, const char *fmt, ...);
/* The platform's blob file reader (load.c, win_load.c): a private copy of
 * the whole file, 8-byte aligned, freed with rt_free_blob. */
RT_HIDDEN int rt_read_blob(struct sbx_ctx *ctx, const char *path, void **buf, size_t *len);
RT_HIDDEN void rt_free_blob(void *buf, size_t len);

/*
 * Bound paths: one string per PATHS record (NULL when the path is not for
 * this platform), in one allocation.  Built by rt_bind_paths from the
 * bound parameters, with the defaults filled in for the unbound built-in
 * ones; `cwd` is the command's working directory (the WORKSPACE default).
 */
struct rt_paths {
	char **path;                  /* npaths entries, pointing into `block` */
	size_t npaths;
	char *block;
	const char *tmpdir;           /* the bound TMPDIR, or NULL when the policy has none */
};
RT_HIDDEN int rt_bind_paths(struct sbx_ctx *ctx, const char *cwd, const char *const *envp,
                            uint32_t platform, struct rt_paths *out);
RT_HIDDEN void rt_paths_free(struct rt_paths *p);
/* Checks a value for binding: absolute, clean, short.  NULL or the reason. */
RT_HIDDEN const char *rt_check_value(const char *value);
/* 1 when `inner` is `outer` or lies beneath it (both bound, normalized). */
RT_HIDDEN int rt_path_within(const char *outer, const char *inner);

/*
 * The filtered environment: a NULL-terminated array pointing into one
 * allocation.  `tmpdir` (may be NULL) is set as TMPDIR after filtering.
 */
struct rt_env {
	char **envp;
	char *block;
	const char *path;             /* the PATH value in envp, or NULL */
};
RT_HIDDEN int rt_env_filter(struct sbx_ctx *ctx, const char *const *envp, const char *tmpdir,
                            uint32_t platform, struct rt_env *out);
RT_HIDDEN void rt_env_free(struct rt_env *e);
/* Does `name` match `glob` ('*' any run, '?' one character, whole name)? */
RT_HIDDEN int rt_glob_match(const char *glob, const char *name);
/* Looks up NAME in envp; the value or NULL. */
RT_HIDDEN const char *rt_getenv(const char *const *envp, const char *name);

/* JSON lines (log.c): a bounded buffer; a line that does not fit is cut
   short and still closed, never overflows. */
#define RT_LOG_LINE_MAX 16384
struct rt_json {
	char buf[RT_LOG_LINE_MAX];
	size_t len;
	int first;                    /* no comma before the next member */
	int overflow;
};
RT_HIDDEN void rt_json_begin(struct rt_json *j);
RT_HIDDEN void rt_json_key(struct rt_json *j, const char *key);
RT_HIDDEN void rt_json_str(struct rt_json *j, const char *key, const char *val);
RT_HIDDEN void rt_json_u64(struct rt_json *j, const char *key, uint64_t val);
RT_HIDDEN void rt_json_i64(struct rt_json *j, const char *key, int64_t val);
RT_HIDDEN void rt_json_hex(struct rt_json *j, const char *key, uint64_t val);
RT_HIDDEN void rt_json_raw(struct rt_json *j, const char *key, const char *raw);
RT_HIDDEN void rt_json_open(struct rt_json *j, const char *key, char bracket);
RT_HIDDEN void rt_json_close(struct rt_json *j, char bracket);
RT_HIDDEN void rt_json_time(struct rt_json *j);
/* Ends the line and writes it to fd (no-op when fd < 0). */
RT_HIDDEN void rt_json_emit(struct rt_json *j, int fd);

/* sbx_spawn's first steps on every platform (ctx.c): check the arguments
   and the context, and reset proc so that a failed spawn leaves no handle. */
RT_HIDDEN int rt_spawn_begin(struct sbx_ctx *ctx, const struct sbx_spawn_opts *o,
                             struct sbx_proc *proc);

/* The log lines both backends write alike (spawn_log.c). */
/* The "error" line of a spawn that ran nothing; platform may be NULL (not said). */
RT_HIDDEN void rt_log_error(const struct sbx_ctx *ctx, int rc, const char *platform);
/* The spawn line's "limits": by[] names what enforces processes, memory, CPU, wall. */
RT_HIDDEN void rt_log_limits(struct rt_json *j, const struct sbx_limits *lim, const char *const by[4]);
/* The exit line to p->log_fd; sets ex->appeared, counting the watched
   carve-outs that `exists` finds now. */
RT_HIDDEN void rt_log_exit(const struct sbx_proc *p, struct sbx_exit *ex,
                           int (*exists)(const char *path));

#endif
