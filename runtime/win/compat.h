/*
 * compat.h - force-included (-include) in the Windows build, so that the
 * platform-neutral runtime files shared with Linux (log.c, sbxrun.c)
 * build unchanged with mingw-w64.  It maps the few POSIX calls
 * they make onto the C runtime, or stubs them where Windows has nothing
 * to map to: sbxrun does not forward signals on Windows (Ctrl-C reaches
 * every process of the console directly), so sigprocmask is a no-op and
 * signalfd fails (sbxrun then forwards nothing, as it is written to).
 */
#ifndef SBX_WIN_COMPAT_H
#define SBX_WIN_COMPAT_H

#ifndef _POSIX_THREAD_SAFE_FUNCTIONS
#define _POSIX_THREAD_SAFE_FUNCTIONS 200112L   /* gmtime_r in <time.h> */
#endif

#include <fcntl.h>
#include <io.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>

#include <stdarg.h>
#include <string.h>

/* open() with "/dev/null" meaning the NUL device (sbxrun fills closed stdio with it). */
static inline int sbx_compat_open(const char *path, int flags, ...)
{
	int mode = 0;
	if (flags & O_CREAT) {
		va_list ap;
		va_start(ap, flags);
		mode = va_arg(ap, int);
		va_end(ap);
	}
	return _open(strcmp(path, "/dev/null") == 0 ? "NUL" : path, flags, mode);
}
#define open sbx_compat_open

/* realpath(path, NULL) only: the absolute path, malloc'd. */
static inline char *sbx_compat_realpath(const char *path, char *resolved)
{
	(void)resolved;
	return _fullpath(NULL, path, 0);
}
#define realpath sbx_compat_realpath

#ifndef O_CLOEXEC
#define O_CLOEXEC O_NOINHERIT
#endif
#define F_GETFD 1

/* fcntl(fd, F_GETFD) only: is fd open? */
static inline int sbx_compat_fcntl(int fd, int cmd)
{
	(void)cmd;
	return _get_osfhandle(fd) == -1 ? -1 : 0;
}
#define fcntl(fd, cmd) sbx_compat_fcntl((fd), (cmd))

#ifndef SIGHUP
#define SIGHUP 1
#endif
#ifndef SIGQUIT
#define SIGQUIT 3
#endif
#ifndef SIGUSR1
#define SIGUSR1 10
#endif
#ifndef SIGUSR2
#define SIGUSR2 12
#endif
#ifndef SIGPIPE
#define SIGPIPE 13
#endif
#define SIG_BLOCK 0

/* signal() for the signals Windows does not have (SIGPIPE: a write to a
   closed pipe fails with EPIPE there, it never kills): a no-op, without
   asking the C runtime, which may treat an unknown number as an error. */
typedef void (*sbx_compat_handler)(int);
static inline sbx_compat_handler sbx_compat_signal(int sig, sbx_compat_handler h)
{
	if (sig == SIGPIPE || sig == SIGHUP || sig == SIGQUIT || sig == SIGUSR1 || sig == SIGUSR2)
		return SIG_DFL;
	return signal(sig, h);
}
#define signal(sig, h) sbx_compat_signal((sig), (h))

typedef uint64_t sbx_compat_sigset;
#define sigset_t sbx_compat_sigset

static inline int sigemptyset(sigset_t *s)
{
	*s = 0;
	return 0;
}

static inline int sigaddset(sigset_t *s, int sig)
{
	*s |= (uint64_t)1 << (sig & 63);
	return 0;
}

static inline int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
	(void)how;
	(void)set;
	(void)old;
	return 0;
}

#endif
