/*
 * linux_tree.c - ending the sandbox's process tree when there is no PID
 * namespace to do it (best effort on a system without usable user
 * namespaces).  init is a child subreaper, so every orphan of the tree
 * lands on it; it kills its children until none is left.  Children are
 * read from /proc/self/task/TID/children (CONFIG_PROC_CHILDREN).
 */
#include "linux.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#define LX_TREE_ROUNDS 10000   /* bound: a fork bomb cannot keep init here forever */

/* "/proc/self/task/<tid>/children" built without stdio. */
static void children_path(char *buf, size_t size)
{
	static const char head[] = "/proc/self/task/", tail[] = "/children";
	char num[16];
	int n = 0;
	for (pid_t tid = getpid(); tid > 0 && n < (int)sizeof num; tid /= 10)
		num[n++] = (char)('0' + tid % 10);
	size_t at = 0;
	for (size_t i = 0; head[i] && at + 1 < size; i++)
		buf[at++] = head[i];
	while (n > 0 && at + 1 < size)
		buf[at++] = num[--n];
	for (size_t i = 0; tail[i] && at + 1 < size; i++)
		buf[at++] = tail[i];
	buf[at] = 0;
}

/* Sends SIGKILL to every pid listed in the children file; returns how many. */
static int kill_listed(const char *path)
{
	char buf[4096];
	int fd = open(path, O_RDONLY | O_CLOEXEC), killed = 0;
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	pid_t pid = 0;
	for (char *c = buf; ; c++) {
		if (*c >= '0' && *c <= '9') {
			pid = pid * 10 + (*c - '0');
			continue;
		}
		if (pid > 0 && kill(pid, SIGKILL) == 0)
			killed++;
		pid = 0;
		if (!*c)
			break;
	}
	return killed;
}

void lx_kill_descendants(void)
{
	char path[64];
	children_path(path, sizeof path);
	for (int round = 0; round < LX_TREE_ROUNDS; round++) {
		int killed = kill_listed(path);
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		if (killed < 0)
			return;   /* no children file: nothing more can be done */
		if (killed == 0) {
			/* Children that are already zombies are not listed: reap, then stop
			   once there is no child at all. */
			if (waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD)
				return;
			usleep(1000);
		}
	}
}
