/*
 * linux_ns.c - the namespaces' contents: the user namespace's id maps, the
 * blob's mount operations (the carve-outs Landlock cannot express), a
 * fresh /proc for the new PID namespace, and loopback in a new network
 * namespace.
 *
 * First the whole tree is made read-only, nosuid and nodev in place
 * (recursively, in our private copy of the mount table), the writable roots
 * are attached again, writable, and the policy's device nodes again,
 * usable: Landlock does not cover chmod, chown, utimes or xattrs, so
 * without this a sandboxed root could chmod any root-owned file, and any
 * user her own files, outside the writable roots; and root could read a
 * raw disk device under every file rule.
 *
 * Then the blob's mount operations, in blob order:
 *   RDONLY  clone the tree at the path and re-attach it read-only (recursive)
 *   HIDE    a directory: an empty tmpfs, made read-only once the EXPOSE
 *           mount points inside it exist; a file: /dev/null, read-only
 *   EXPOSE  re-attach the original tree, opened before anything was hidden
 * A path that does not exist is skipped (and noted): there is nothing to
 * protect there, and creating it would change the host.
 */
#include "linux.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif

#define LX_PATH_MAX 4096

static int write_file(const struct lx_plan *P, const char *path, const char *data)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return lx_fail(P, SBX_E_SETUP, "user namespace: cannot open", path, errno);
	ssize_t n = (ssize_t)strlen(data);
	int rc = write(fd, data, (size_t)n) == n ? 0 : -1;
	int err = errno;
	close(fd);
	return rc == 0 ? 0 : lx_fail(P, SBX_E_SETUP, "user namespace: cannot write", path, err);
}

int lx_setup_userns(const struct lx_plan *P)
{
	if (!P->userns)
		return 0;
	if (write_file(P, "/proc/self/setgroups", "deny") != 0 ||
	    write_file(P, "/proc/self/uid_map", P->uid_map) != 0 ||
	    write_file(P, "/proc/self/gid_map", P->gid_map) != 0)
		return -1;
	return 0;
}

/* A detached copy of the tree at (dfd, path), attributes set and cleared, attached at target. */
static int reattach(const struct lx_plan *P, int dfd, const char *path, const char *target,
                    uint64_t attrs, uint64_t clear)
{
	unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE;
	if (!path[0])
		flags |= AT_EMPTY_PATH;
	int fd = (int)syscall(SYS_open_tree, dfd, path, flags);
	if (fd < 0)
		return lx_fail(P, SBX_E_SETUP, "mounts: cannot clone the mount tree at", target, errno);
	struct mount_attr attr = { .attr_set = attrs, .attr_clr = clear };
	int rc = 0;
	if ((attrs || clear) && syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr,
	                                sizeof attr) != 0) {
		/* A submount the host made read-only stays so (the kernel locks it in a
		   user namespace): then only the top mount changes. */
		if (!clear || syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH, &attr, sizeof attr) != 0)
			rc = lx_fail(P, SBX_E_SETUP, "mounts: cannot set the attributes of", target, errno);
		else
			lx_note(P, "mounts: a read-only submount of ", target, " stays read-only", NULL);
	}
	if (rc == 0 && syscall(SYS_move_mount, fd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) != 0)
		rc = lx_fail(P, SBX_E_SETUP, "mounts: cannot attach", target, errno);
	close(fd);
	return rc;
}

#define LX_RO_ATTRS (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV)

static int op_rdonly(const struct lx_plan *P, const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		lx_note(P, "mounts: read-only ", path, " skipped: ", strerrordesc_np(errno));
		return 0;
	}
	return reattach(P, AT_FDCWD, path, path, LX_RO_ATTRS, 0);
}

/* Returns 1 when a tmpfs was mounted (to be made read-only later). */
static int op_hide(const struct lx_plan *P, const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		lx_note(P, "mounts: hide ", path, " skipped: ", strerrordesc_np(errno));
		return 0;
	}
	if (!S_ISDIR(st.st_mode))
		return reattach(P, AT_FDCWD, "/dev/null", path, LX_RO_ATTRS | MOUNT_ATTR_NOEXEC, 0);
	if (mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0755,size=64k") != 0)
		return lx_fail(P, SBX_E_SETUP, "mounts: cannot cover", path, errno);
	return 1;
}

/* Creates the missing components of path inside a cover (a tmpfs we made). */
static int make_mountpoint(const struct lx_plan *P, const char *path, int is_dir)
{
	char buf[LX_PATH_MAX];
	size_t n = strlen(path);
	if (n >= sizeof buf)
		return lx_fail(P, SBX_E_SETUP, "mounts: path too long", path, ENAMETOOLONG);
	memcpy(buf, path, n + 1);
	for (char *c = buf + 1; *c; c++) {
		if (*c != '/')
			continue;
		*c = 0;
		if (mkdir(buf, 0755) != 0 && errno != EEXIST)
			return lx_fail(P, SBX_E_SETUP, "mounts: cannot create a mount point", buf, errno);
		*c = '/';
	}
	if (is_dir ? mkdir(buf, 0755) != 0 && errno != EEXIST : 0)
		return lx_fail(P, SBX_E_SETUP, "mounts: cannot create a mount point", buf, errno);
	if (!is_dir) {
		int fd = open(buf, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (fd < 0)
			return lx_fail(P, SBX_E_SETUP, "mounts: cannot create a mount point", buf, errno);
		close(fd);
	}
	return 0;
}

static int op_expose(const struct lx_plan *P, int src, const char *path, uint32_t flags)
{
	struct stat st, here;
	if (src < 0 || fstat(src, &st) != 0)
		return 0;   /* did not exist before hiding: noted when it was opened */
	if (stat(path, &here) != 0 && make_mountpoint(P, path, S_ISDIR(st.st_mode)) != 0)
		return -1;
	if (flags & SBX_MNT_F_READONLY)
		return reattach(P, src, "", path, LX_RO_ATTRS, 0);
	return reattach(P, src, "", path, 0, MOUNT_ATTR_RDONLY);
}

/* Opens the original of every EXPOSE path before anything covers it. */
static void open_sources(const struct lx_plan *P, int *src)
{
	const struct sbx_view *v = P->s->v;
	for (size_t i = 0; i < v->nmounts; i++) {
		src[i] = -1;
		const char *path = P->s->paths->path[v->mounts[i].path];
		if (!P->apply[i] || v->mounts[i].op != SBX_MNT_EXPOSE || !path)
			continue;
		src[i] = open(path, O_PATH | O_CLOEXEC);
		if (src[i] < 0)
			lx_note(P, "mounts: expose ", path, " skipped: ", strerrordesc_np(errno));
	}
}

static int apply_op(const struct lx_plan *P, size_t i, const int *src, uint8_t *covered)
{
	const struct sbx_lx_mount *m = &P->s->v->mounts[i];
	const char *path = P->s->paths->path[m->path];
	int rc = 0;
	if (!path)
		return 0;
	switch (m->op) {
	case SBX_MNT_RDONLY:
		return op_rdonly(P, path);
	case SBX_MNT_HIDE:
		rc = op_hide(P, path);
		covered[i] = rc == 1;
		return rc < 0 ? -1 : 0;
	case SBX_MNT_EXPOSE:
		return op_expose(P, src[i], path, m->flags);
	default:
		return lx_fail(P, SBX_E_SETUP, "mounts: unknown operation", NULL, EINVAL);
	}
}

/* The covers become read-only once every mount point inside them exists. */
static int seal_covers(const struct lx_plan *P, const uint8_t *covered)
{
	const struct sbx_view *v = P->s->v;
	for (size_t i = 0; i < v->nmounts; i++) {
		const char *path = P->s->paths->path[v->mounts[i].path];
		if (covered[i] && mount(NULL, path, NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV |
		                        MS_NOEXEC, NULL) != 0)
			return lx_fail(P, SBX_E_SETUP, "mounts: cannot make the cover read-only", path, errno);
	}
	return 0;
}

/*
 * The device nodes the Landlock rules name (/dev/null, /dev/tty, ...) and
 * the pty directory stay usable; every other device node is not (nodev):
 * a sandboxed root could otherwise read a raw disk, under every file rule,
 * or an input device.
 */
static int expose_devices(const struct lx_plan *P)
{
	const struct sbx_view *v = P->s->v;
	struct stat st;
	int rc = 0;
	for (size_t i = 0; i < v->nll_rules && rc == 0; i++) {
		const char *path = P->s->paths->path[v->ll_rules[i].path];
		if (path && stat(path, &st) == 0 && S_ISCHR(st.st_mode))
			rc = reattach(P, AT_FDCWD, path, path, 0, MOUNT_ATTR_NODEV);
	}
	if (rc == 0 && stat("/dev/pts", &st) == 0 && S_ISDIR(st.st_mode))
		rc = reattach(P, AT_FDCWD, "/dev/pts", "/dev/pts", 0, MOUNT_ATTR_NODEV);
	return rc;
}

/*
 * Everything read-only, nosuid and nodev in place, then the writable roots
 * attached again, writable, and the policy's devices again, usable.
 */
static int readonly_base(const struct lx_plan *P)
{
	int fds[LX_MAX_MOUNTS];
	const char *const *paths = (const char *const *)P->s->paths->path;
	for (size_t i = 0; i < P->nroots; i++)
		if ((fds[i] = open(paths[P->roots[i]], O_PATH | O_CLOEXEC)) < 0)
			return lx_fail(P, SBX_E_ROOT, "mounts: cannot open the writable root",
			               paths[P->roots[i]], errno);
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV };
	int rc = 0;
	if (syscall(SYS_mount_setattr, AT_FDCWD, "/", AT_RECURSIVE, &attr, sizeof attr) != 0)
		rc = lx_fail(P, SBX_E_SETUP, "mounts: cannot make the file system read-only", NULL, errno);
	for (size_t i = 0; i < P->nroots && rc == 0; i++)
		rc = reattach(P, fds[i], "", paths[P->roots[i]], 0, MOUNT_ATTR_RDONLY);
	for (size_t i = 0; i < P->nroots; i++)
		close(fds[i]);
	return rc == 0 ? expose_devices(P) : rc;
}

int lx_setup_mounts(const struct lx_plan *P)
{
	const struct sbx_view *v = P->s->v;
	int src[LX_MAX_MOUNTS];
	uint8_t covered[LX_MAX_MOUNTS];
	memset(covered, 0, sizeof covered);
	/* Nothing done here may reach the host's mount table, and nothing the host
	   mounts later appears here (it would not be read-only). */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		return lx_fail(P, SBX_E_SETUP, "mounts: cannot make / a private mount", NULL, errno);
	open_sources(P, src);
	int rc = readonly_base(P);
	for (size_t i = 0; i < v->nmounts && rc == 0; i++)
		if (P->apply[i])
			rc = apply_op(P, i, src, covered);
	if (rc == 0)
		rc = seal_covers(P, covered);
	for (size_t i = 0; i < v->nmounts; i++)
		if (src[i] >= 0)
			close(src[i]);
	return rc;
}

int lx_setup_proc(const struct lx_plan *P)
{
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0)
		return lx_fail(P, SBX_E_SETUP, "cannot mount a /proc for the PID namespace", NULL, errno);
	return 0;
}

int lx_setup_loopback(const struct lx_plan *P)
{
	if (!P->netns)
		return 0;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return lx_fail(P, SBX_E_SETUP, "network: cannot open a socket", NULL, errno);
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	memcpy(ifr.ifr_name, "lo", 3);
	int rc = ioctl(s, SIOCGIFFLAGS, &ifr);
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (rc == 0)
		rc = ioctl(s, SIOCSIFFLAGS, &ifr);
	int err = errno;
	close(s);
	return rc == 0 ? 0 : lx_fail(P, SBX_E_SETUP, "network: cannot bring up loopback", NULL, err);
}
