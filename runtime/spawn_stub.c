/*
 * spawn_stub.c - the backend for platforms without one yet: the library
 * still builds (verification, binding, environment filtering work) and
 * sbx_spawn says plainly that it cannot confine anything here.
 */
#include "backend.h"

uint32_t rt_backend_platform(void)
{
	return 0;
}

int rt_backend_spawn(const struct rt_spawn *s, struct sbx_proc *proc)
{
	(void)proc;
	return rt_fail(s->ctx, SBX_E_UNSUPPORTED, "sbx cannot run commands on this platform yet");
}

int rt_backend_wait(struct sbx_proc *proc, struct sbx_exit *ex)
{
	(void)proc;
	(void)ex;
	return SBX_E_ARG;
}

int rt_backend_kill(const struct sbx_proc *proc, int sig)
{
	(void)proc;
	(void)sig;
	return SBX_E_ARG;
}
