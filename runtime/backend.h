/*
 * backend.h - the one interface between the platform-neutral runtime
 * (spawn.c: binding, environment, logging) and a platform backend
 * (spawn_linux.c and linux_*.c; a Windows backend will implement the
 * same three functions).
 */
#ifndef SBX_BACKEND_H
#define SBX_BACKEND_H

#include "rt.h"

/* Everything the platform-neutral part has prepared for one spawn. */
struct rt_spawn {
	struct sbx_ctx *ctx;
	const struct sbx_view *v;
	const struct rt_paths *paths;    /* bound, one per PATHS record */
	const struct rt_env *env;        /* filtered */
	const char *const *argv;
	const char *cwd;                 /* absolute */
	int redirect;
	int stdio[3];
	int log_fd;
};

/* Which platform bit (SBX_PLAT_*) this backend enforces. */
RT_HIDDEN uint32_t rt_backend_platform(void);

/*
 * Builds the sandbox and execs argv in it; returns SBX_OK once the
 * command runs, else a code with the message in ctx (nothing ran).
 * Writes the "spawn" log line.
 */
RT_HIDDEN int rt_backend_spawn(const struct rt_spawn *s, struct sbx_proc *proc);

/* Waits (enforcing the wall limit), fills ex, releases proc's resources. */
RT_HIDDEN int rt_backend_wait(struct sbx_proc *proc, struct sbx_exit *ex);

RT_HIDDEN int rt_backend_kill(const struct sbx_proc *proc, int sig);

#endif
