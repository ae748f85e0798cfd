/* sys/signalfd.h for the Windows build (see ../compat.h): there is no
   signalfd, so sbxrun runs without forwarding signals. */
#ifndef SBX_WIN_SIGNALFD_H
#define SBX_WIN_SIGNALFD_H

#include <errno.h>

#define SFD_CLOEXEC 0

static inline int signalfd(int fd, const sigset_t *mask, int flags)
{
	(void)fd;
	(void)mask;
	(void)flags;
	errno = ENOSYS;
	return -1;
}

#endif
