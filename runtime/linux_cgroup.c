/*
 * linux_cgroup.c - a cgroup v2 of the sandbox's own, when the launcher's
 * cgroup is delegated to it (launcher side only; init never sees this).
 *
 * The sandbox's init is cloned straight into it (CLONE_INTO_CGROUP), so
 * every process of the tree is counted from its first instruction:
 * pids.max and memory.max bound the whole tree, where the rlimits (which
 * stay applied) bound each process, and cpu.stat (no controller needed)
 * gives the tree's CPU time, which the launcher checks against the CPU
 * limit while it waits.
 *
 * A cgroup may hand controllers to its children only if it has no
 * processes of its own (the root excepted).  So the launcher uses its own
 * cgroup B when it is the hierarchy's root, or when the launcher is the
 * only process in B (a scope made for it, `systemd-run --user --scope -p
 * Delegate=yes sbxrun ...`): it then moves itself once into B/sbx-launcher
 * and later spawns find B as that leaf's parent.  Anything else (a shell's
 * session scope, a cgroup not writable by us) is not ours to reorganize:
 * no cgroup is used and the log says why.  Each step that fails undoes
 * the ones before it; the rlimits and the PID namespace enforce the
 * limits either way.
 *
 * A launcher killed with SIGKILL cannot remove its sandbox's cgroup.  The
 * tree dies with it, so the cgroup is left empty, and the next launcher
 * in B removes it once it is old enough that no launcher can still be
 * between creating it and cloning init into it.
 */
#include "linux.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CG_LEAF "sbx-launcher"
#define CG_STALE_S 600   /* an empty sbx-* cgroup this old was left by a killed launcher */

/* Reads a small file below dirfd into buf (NUL-terminated); its length or -1. */
static ssize_t read_at(int dirfd, const char *name, char *buf, size_t size)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, size - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	return n;
}

/* Writes s to a file below dirfd; 0 or an errno. */
static int write_at(int dirfd, const char *name, const char *s)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	ssize_t n = write(fd, s, strlen(s));
	int err = n == (ssize_t)strlen(s) ? 0 : n < 0 ? errno : EIO;
	close(fd);
	return err;
}

/* The value after "key " in a flat-keyed file (cpu.stat, memory.events); 0 when absent. */
uint64_t lx_cgroup_stat(int dirfd, const char *file, const char *key)
{
	char buf[2048];
	if (read_at(dirfd, file, buf, sizeof buf) <= 0)
		return 0;
	size_t klen = strlen(key);
	for (char *line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
		if (strncmp(line, key, klen) == 0 && line[klen] == ' ')
			return strtoull(line + klen + 1, NULL, 10);
	return 0;
}

/* Is word one of the space-separated words of list? */
static int has_word(const char *list, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = list; (p = strstr(p, word)) != NULL; p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == 0 || p[n] == ' ' || p[n] == '\n'))
			return 1;
	return 0;
}

/* Our cgroup v2 path ("/a/b") from /proc/self/cgroup; 0, or -1 when there is none. */
static int own_path(char *out, size_t size)
{
	char buf[4096];
	if (read_at(AT_FDCWD, "/proc/self/cgroup", buf, sizeof buf) <= 0)
		return -1;
	char *p = strncmp(buf, "0::", 3) == 0 ? buf : strstr(buf, "\n0::");
	if (!p)
		return -1;
	p += p == buf ? 3 : 4;
	size_t n = strcspn(p, "\n");
	if (n == 0 || n >= size || p[0] != '/')
		return -1;
	memcpy(out, p, n);
	out[n] = 0;
	return 0;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo: undone in place. */
static void unescape(char *s)
{
	char *o = s;
	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else
			*o++ = *s;
	}
	*o = 0;
}

/* The directory of cgroup `path` under a cgroup2 mount that shows it; 0 or -1. */
static int find_dir(const char *path, char *out, size_t size)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096], root[4096], mnt[4096];
	int rc = -1;
	if (!f)
		return -1;
	while (rc != 0 && fgets(line, sizeof line, f)) {
		const char *sep = strstr(line, " - cgroup2 ");
		if (!sep || sscanf(line, "%*s %*s %*s %4095s %4095s", root, mnt) != 2)
			continue;
		unescape(root);
		unescape(mnt);
		size_t rl = strcmp(root, "/") == 0 ? 0 : strlen(root);
		if (strncmp(path, root, rl) != 0 || (path[rl] != '/' && path[rl] != 0))
			continue;
		const char *rest = strcmp(path + rl, "/") == 0 ? "" : path + rl;
		int n = snprintf(out, size, "%s%s", mnt, rest);
		rc = n > 0 && (size_t)n < size ? 0 : -1;
	}
	fclose(f);
	return rc;
}

/* Is our pid the only one in the cgroup at dirfd? */
static int alone_in(int dirfd)
{
	char buf[64], self[24];
	snprintf(self, sizeof self, "%d\n", (int)getpid());
	ssize_t n = read_at(dirfd, "cgroup.procs", buf, sizeof buf);
	return n > 0 && strcmp(buf, self) == 0;
}

/*
 * Makes the cgroup at base_fd one whose children can have the controllers:
 * the root is exempt; else the launcher must be alone in it and moves
 * itself into CG_LEAF.  0, or a reason in why.
 */
static int make_parent(int base_fd, const char *dir, int in_leaf, int *moved, char *why,
                       size_t size)
{
	*moved = 0;
	if (in_leaf || faccessat(base_fd, "cgroup.type", F_OK, 0) != 0)
		return 0;   /* already moved, or the root (the only cgroup without cgroup.type) */
	if (!alone_in(base_fd)) {
		snprintf(why, size, "%s holds other processes than the launcher (run it in a scope "
		         "of its own: systemd-run --user --scope -p Delegate=yes)", dir);
		return -1;
	}
	char pid[24];
	snprintf(pid, sizeof pid, "%d", (int)getpid());
	if (mkdirat(base_fd, CG_LEAF, 0755) != 0 && errno != EEXIST) {
		snprintf(why, size, "cannot create %s/" CG_LEAF ": %s", dir, strerror(errno));
		return -1;
	}
	int leaf = openat(base_fd, CG_LEAF, O_DIRECTORY | O_CLOEXEC);
	int err = leaf < 0 ? errno : write_at(leaf, "cgroup.procs", pid);
	if (leaf >= 0)
		close(leaf);
	if (err) {
		unlinkat(base_fd, CG_LEAF, AT_REMOVEDIR);
		snprintf(why, size, "cannot move the launcher into %s/" CG_LEAF ": %s", dir, strerror(err));
		return -1;
	}
	*moved = 1;
	return 0;
}

/* Undoes make_parent's move (the controllers could not be enabled after all). */
static void move_back(int base_fd)
{
	char pid[24];
	snprintf(pid, sizeof pid, "%d", (int)getpid());
	if (write_at(base_fd, "cgroup.procs", pid) == 0)
		unlinkat(base_fd, CG_LEAF, AT_REMOVEDIR);
}

/* Enables for base's children those of the controllers in *ctl that base has;
   *ctl keeps the ones enabled. */
static int enable(int base_fd, const char *dir, unsigned *ctl, char *why, size_t size)
{
	char have[512], sub[512], cmd[32] = "";
	read_at(base_fd, "cgroup.controllers", have, sizeof have);
	read_at(base_fd, "cgroup.subtree_control", sub, sizeof sub);
	const char *const names[2] = { "pids", "memory" };
	for (unsigned i = 0; i < 2; i++) {
		if (!(*ctl & (1u << i)))
			continue;
		if (!has_word(have, names[i]))
			*ctl &= ~(1u << i);   /* bound to a v1 hierarchy, or not delegated */
		else if (!has_word(sub, names[i]))
			snprintf(cmd + strlen(cmd), sizeof cmd - strlen(cmd), "+%s ", names[i]);
	}
	int err = cmd[0] ? write_at(base_fd, "cgroup.subtree_control", cmd) : 0;
	if (err)
		snprintf(why, size, "cannot enable %sin %s: %s", cmd + 1, dir, strerror(err));
	return err ? -1 : 0;
}

/* The limits, written into the new cgroup; 0 or an errno (file in *what). */
static int set_limits(const struct lx_cgroup *cg, const struct sbx_limits *lim, const char **what)
{
	char num[24];
	int err = 0;
	if (cg->ctl & LX_CG_PIDS) {
		snprintf(num, sizeof num, "%llu", (unsigned long long)lim->max_processes);
		err = write_at(cg->fd, *what = "pids.max", num);
	}
	if (!err && (cg->ctl & LX_CG_MEMORY)) {
		snprintf(num, sizeof num, "%llu", (unsigned long long)lim->memory_bytes);
		err = write_at(cg->fd, *what = "memory.max", num);
		/* Swap would stretch the limit; without swap accounting the file is absent. */
		if (!err && faccessat(cg->fd, "memory.swap.max", F_OK, 0) == 0)
			err = write_at(cg->fd, *what = "memory.swap.max", "0");
	}
	return err;
}

/* Is name one of ours: "sbx-" and 16 hex digits? */
static int is_sandbox_name(const char *name)
{
	if (strncmp(name, "sbx-", 4) != 0 || strlen(name) != 20)
		return 0;
	for (const char *c = name + 4; *c; c++)
		if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f')))
			return 0;
	return 1;
}

/*
 * Removes the sandbox cgroups in base that killed launchers left: old and
 * empty (rmdir refuses one with a process in it, so a live sandbox stays
 * whatever its age).  Best effort: what cannot be removed is left.
 */
static void sweep_stale(int base_fd)
{
	int fd = dup(base_fd);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	time_t now = time(NULL);
	struct dirent *e;
	struct stat st;
	while ((e = readdir(d)) != NULL)
		if (is_sandbox_name(e->d_name) &&
		    fstatat(base_fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISDIR(st.st_mode) && now - st.st_mtime > CG_STALE_S)
			unlinkat(base_fd, e->d_name, AT_REMOVEDIR);
	closedir(d);
}

/* base/sbx-<16 hex>, opened into cg->fd; 0 or an errno. */
static int make_child(struct lx_cgroup *cg)
{
	uint64_t r = 0;
	for (int tries = 0; tries < 8; tries++) {
		if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r)
			return errno ? errno : EIO;
		snprintf(cg->name, sizeof cg->name, "sbx-%016llx", (unsigned long long)r);
		if (mkdirat(cg->base_fd, cg->name, 0755) == 0) {
			cg->fd = openat(cg->base_fd, cg->name, O_DIRECTORY | O_CLOEXEC);
			return cg->fd >= 0 ? 0 : errno;
		}
		if (errno != EEXIST)
			return errno;
	}
	return EEXIST;
}

void lx_cgroup_init(struct lx_cgroup *cg)
{
	memset(cg, 0, sizeof *cg);
	cg->fd = cg->base_fd = -1;
}

int lx_cgroup_create(struct lx_cgroup *cg, const struct sbx_limits *lim, char *msg, size_t size)
{
	char path[2048], dir[4096];
	lx_cgroup_init(cg);
	if (own_path(path, sizeof path) != 0 || find_dir(path, dir, sizeof dir) != 0) {
		snprintf(msg, size, "no cgroup v2 hierarchy is mounted");
		return -1;
	}
	char *slash = strrchr(dir, '/');
	int in_leaf = slash && strcmp(slash + 1, CG_LEAF) == 0, moved = 0;
	if (in_leaf)
		*slash = 0;
	cg->base_fd = open(dir, O_DIRECTORY | O_CLOEXEC);
	if (cg->base_fd < 0 || faccessat(cg->base_fd, "cgroup.procs", W_OK, AT_EACCESS) != 0 ||
	    faccessat(cg->base_fd, "cgroup.subtree_control", W_OK, AT_EACCESS) != 0) {
		snprintf(msg, size, "%s is not delegated to the launcher (%s)", dir,
		         cg->base_fd < 0 ? strerror(errno) : "not writable");
		lx_cgroup_remove(cg);
		return -1;
	}
	cg->ctl = (lim->max_processes ? LX_CG_PIDS : 0) | (lim->memory_bytes ? LX_CG_MEMORY : 0);
	const char *what = "mkdir";
	int err = -1;
	if (make_parent(cg->base_fd, dir, in_leaf, &moved, msg, size) == 0) {
		if (enable(cg->base_fd, dir, &cg->ctl, msg, size) != 0) {
			if (moved)
				move_back(cg->base_fd);
		} else {
			sweep_stale(cg->base_fd);
			if ((err = make_child(cg)) == 0)
				err = set_limits(cg, lim, &what);
		}
	}
	if (err > 0)
		snprintf(msg, size, "%s/%s: %s: %s", dir, cg->name, what, strerror(err));
	if (err) {
		lx_cgroup_remove(cg);
		return -1;
	}
	snprintf(msg, size, "%s/%s", dir, cg->name);
	return 0;
}

void lx_cgroup_kill(int fd)
{
	write_at(fd, "cgroup.kill", "1");
}

/* Kills what is left in it and removes it (it is empty once init's namespace is gone). */
void lx_cgroup_remove(struct lx_cgroup *cg)
{
	if (cg->fd >= 0 && unlinkat(cg->base_fd, cg->name, AT_REMOVEDIR) != 0 && errno == EBUSY) {
		lx_cgroup_kill(cg->fd);
		/* A killed task leaves its cgroup an instant after it is reaped. */
		for (int i = 0; i < 200 && unlinkat(cg->base_fd, cg->name, AT_REMOVEDIR) != 0 &&
		     errno == EBUSY; i++)
			usleep(1000);
	}
	if (cg->fd >= 0)
		close(cg->fd);
	if (cg->base_fd >= 0)
		close(cg->base_fd);
	lx_cgroup_init(cg);
}
