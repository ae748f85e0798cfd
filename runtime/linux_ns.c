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
 *   PRIVATE an empty writable tmpfs of the sandbox's own (mode 1777, like
 *           /tmp; its size capped by the memory limit); the readonly and
 *           writable paths the policy names inside it (a workspace under
 *           /tmp) are attached again on top, as they were
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

/* A detached copy of the tree at (dfd, path), as the host has it; -1 (reported) on failure. */
static int clone_tree(const struct lx_plan *P, int dfd, const char *path, const char *what)
{
	unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE;
	if (!path[0])
		flags |= AT_EMPTY_PATH;
	int fd = (int)syscall(SYS_open_tree, dfd, path, flags);
	if (fd < 0)
		lx_fail(P, SBX_E_SETUP, "mounts: cannot clone the mount tree at", what, errno);
	return fd;
}

/* Sets `attrs` on every mount of the detached tree fd, attaches it at target, closes fd. */
static int attach(const struct lx_plan *P, int fd, const char *target, uint64_t attrs)
{
	struct mount_attr attr = { .attr_set = attrs };
	int rc = 0;
	if (attrs && syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr,
	                     sizeof attr) != 0)
		rc = lx_fail(P, SBX_E_SETUP, "mounts: cannot set the attributes of", target, errno);
	if (rc == 0 && syscall(SYS_move_mount, fd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) != 0)
		rc = lx_fail(P, SBX_E_SETUP, "mounts: cannot attach", target, errno);
	close(fd);
	return rc;
}

/* The tree at path, cloned now and attached again at target with `attrs` added. */
static int reattach(const struct lx_plan *P, const char *path, const char *target, uint64_t attrs)
{
	int fd = clone_tree(P, AT_FDCWD, path, target);
	return fd < 0 ? -1 : attach(P, fd, target, attrs);
}

#define LX_RO_ATTRS (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV)

static int op_rdonly(const struct lx_plan *P, const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		lx_note(P, "mounts: read-only ", path, " skipped: ", strerrordesc_np(errno));
		return 0;
	}
	return reattach(P, path, path, LX_RO_ATTRS);
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
		return reattach(P, "/dev/null", path, LX_RO_ATTRS | MOUNT_ATTR_NOEXEC);
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

/* "mode=1777[,size=N]": N is the memory limit (a tmpfs is memory RLIMIT_DATA does not count). */
static void private_options(const struct lx_plan *P, char buf[48])
{
	static const char base[] = "mode=1777,size=";
	char digits[24];
	size_t n = sizeof digits;
	uint64_t limit = P->s->v->limits->memory_bytes;
	memcpy(buf, base, sizeof base);
	if (!limit) {
		buf[sizeof "mode=1777" - 1] = 0;
		return;
	}
	digits[--n] = 0;
	do
		digits[--n] = (char)('0' + limit % 10);
	while ((limit /= 10) && n > 0);
	memcpy(buf + sizeof base - 1, digits + n, sizeof digits - n);
}

#define LX_MAX_INSIDE 32   /* policy paths bound inside one private path */

/* Rule i's path, when it is a readonly or writable one strictly inside `outer`. */
static const char *named_inside(const struct lx_plan *P, size_t i, const char *outer)
{
	const struct sbx_fs_rule *r = &P->s->v->rules[i];
	const char *path = P->s->paths->path[r->path];
	if (!path || (r->kind != SBX_FS_READONLY && r->kind != SBX_FS_WRITABLE))
		return NULL;
	return strcmp(path, outer) != 0 && rt_path_within(outer, path) ? path : NULL;
}

/* Does rule a's path bring rule b's along: b beneath a, or the same path
   and a no less writable (a writable path wins over a readonly twin)? */
static int brings_along(const struct lx_plan *P, size_t a, size_t b)
{
	const struct sbx_fs_rule *ra = &P->s->v->rules[a], *rb = &P->s->v->rules[b];
	const char *pa = P->s->paths->path[ra->path], *pb = P->s->paths->path[rb->path];
	if (!strcmp(pa, pb))
		return ra->kind == SBX_FS_WRITABLE || rb->kind == SBX_FS_READONLY;
	return rt_path_within(pa, pb);
}

/*
 * The outermost of the policy's paths bound inside `outer` (*n rule
 * indices into rule[]): each candidate is checked against the (at most
 * LX_MAX_INSIDE) kept so far, not against every rule, so a large policy
 * costs one pass.
 */
static int outermost_inside(const struct lx_plan *P, const char *outer, size_t *rule, size_t *n)
{
	const struct sbx_view *v = P->s->v;
	for (size_t i = 0; i < v->nrules; i++) {
		size_t k = 0, kept = 0;
		if (!named_inside(P, i, outer))
			continue;
		while (k < *n && !brings_along(P, rule[k], i))
			k++;
		if (k < *n)
			continue;   /* brought along by one kept */
		for (k = 0; k < *n; k++)   /* the new one brings these along */
			if (!brings_along(P, i, rule[k]))
				rule[kept++] = rule[k];
		if (kept == LX_MAX_INSIDE)
			return lx_fail(P, SBX_E_SETUP, "mounts: too many policy paths inside the private "
			               "path", outer, E2BIG);
		rule[kept++] = i;
		*n = kept;
	}
	return 0;
}

/* The policy's own paths bound inside a private one (a workspace under
   /tmp) stay as they are: each outermost one is cloned before the tmpfs
   covers it and attached again on top; *n of them, fd[]/rule[] filled. */
static int clone_inside(const struct lx_plan *P, const char *outer, int *fd, size_t *rule,
                        size_t *n)
{
	struct stat st;
	size_t found = 0;
	if (outermost_inside(P, outer, rule, &found) != 0)
		return -1;
	for (size_t k = 0; k < found; k++) {
		const char *path = P->s->paths->path[P->s->v->rules[rule[k]].path];
		if (stat(path, &st) != 0)
			continue;   /* a missing one: nothing to keep */
		if ((fd[*n] = clone_tree(P, AT_FDCWD, path, path)) < 0)
			return -1;
		rule[(*n)++] = rule[k];
	}
	return 0;
}

static int attach_inside(const struct lx_plan *P, int *fd, const size_t *rule, size_t n)
{
	struct stat st;
	int rc = 0;
	for (size_t k = 0; k < n; k++) {
		const struct sbx_fs_rule *r = &P->s->v->rules[rule[k]];
		const char *path = P->s->paths->path[r->path];
		if (rc == 0 && fstat(fd[k], &st) != 0)
			rc = lx_fail(P, SBX_E_SETUP, "mounts: cannot stat the tree of", path, errno);
		if (rc == 0 && (rc = make_mountpoint(P, path, S_ISDIR(st.st_mode))) == 0)
			rc = attach(P, fd[k], path, r->kind == SBX_FS_READONLY ? LX_RO_ATTRS
			                                  : MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
		else
			close(fd[k]);
		fd[k] = -1;
	}
	return rc;
}

/* A writable path bound to the private path itself (WORKSPACE=/tmp) gets the
   empty tmpfs, not the host's directory: said in the log.  TMPDIR=/tmp is
   what a private /tmp is for, so it goes unmentioned. */
static void note_covered(const struct lx_plan *P, const char *path)
{
	const char *tmpdir = P->s->paths->tmpdir;
	for (size_t i = 0; i < P->s->v->nrules; i++) {
		const struct sbx_fs_rule *r = &P->s->v->rules[i];
		const char *bound = P->s->paths->path[r->path];
		if (r->kind == SBX_FS_WRITABLE && bound && !strcmp(bound, path) &&
		    !(tmpdir && !strcmp(tmpdir, path))) {
			lx_note(P, "mounts: private ", path, " replaces a writable path bound to it: "
			        "the command sees an empty directory there", NULL);
			return;
		}
	}
}

static int op_private(const struct lx_plan *P, const char *path)
{
	struct stat st;
	char opts[48];
	int fd[LX_MAX_INSIDE];
	size_t rule[LX_MAX_INSIDE], n = 0;
	if (stat(path, &st) != 0) {
		lx_note(P, "mounts: private ", path, " skipped: ", strerrordesc_np(errno));
		return 0;
	}
	if (!S_ISDIR(st.st_mode))
		return lx_fail(P, SBX_E_SETUP, "mounts: a private path must be a directory", path, ENOTDIR);
	private_options(P, opts);
	int rc = clone_inside(P, path, fd, rule, &n);
	if (rc == 0 && mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, opts) != 0)
		rc = lx_fail(P, SBX_E_SETUP, "mounts: cannot mount a private tmpfs on", path, errno);
	if (rc == 0) {
		note_covered(P, path);
		return attach_inside(P, fd, rule, n);
	}
	for (size_t k = 0; k < n; k++)
		close(fd[k]);
	return rc;
}

/* Attaches the original tree (cloned before anything was covered); takes *src. */
static int op_expose(const struct lx_plan *P, int *src, const char *path, uint32_t flags)
{
	struct stat st, here;
	int fd = *src;
	*src = -1;
	if (fd < 0)
		return 0;   /* did not exist before hiding: noted when it was cloned */
	if (fstat(fd, &st) != 0 ||
	    (stat(path, &here) != 0 && make_mountpoint(P, path, S_ISDIR(st.st_mode)) != 0)) {
		close(fd);
		return -1;
	}
	return attach(P, fd, path, (flags & SBX_MNT_F_READONLY) ? LX_RO_ATTRS :
	                          MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
}

/* Clones the original of every EXPOSE path before anything covers it or turns read-only. */
static void clone_sources(const struct lx_plan *P, int *src)
{
	const struct sbx_view *v = P->s->v;
	struct stat st;
	for (size_t i = 0; i < v->nmounts; i++) {
		src[i] = -1;
		const char *path = P->s->paths->path[v->mounts[i].path];
		if (!P->apply[i] || v->mounts[i].op != SBX_MNT_EXPOSE || !path)
			continue;
		if (stat(path, &st) != 0)
			lx_note(P, "mounts: expose ", path, " skipped: ", strerrordesc_np(errno));
		else if ((src[i] = (int)syscall(SYS_open_tree, AT_FDCWD, path,
		                                OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE)) < 0)
			lx_note(P, "mounts: expose ", path, " skipped: ", strerrordesc_np(errno));
	}
}

static int apply_op(const struct lx_plan *P, size_t i, int *src, uint8_t *covered)
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
		return op_expose(P, &src[i], path, m->flags);
	case SBX_MNT_PRIVATE:
		return op_private(P, path);
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

/* A tree kept as the host has it (plus attrs), cloned before the rest turns read-only. */
struct lx_keep {
	int fd;
	const char *path;
	uint64_t attrs;
};

#define LX_MAX_KEEP (LX_MAX_MOUNTS + 32)

static int keep(const struct lx_plan *P, struct lx_keep *k, size_t *n, const char *path,
                uint64_t attrs)
{
	if (*n == LX_MAX_KEEP)
		return lx_fail(P, SBX_E_SETUP, "mounts: too many writable roots and devices", path, E2BIG);
	int fd = clone_tree(P, AT_FDCWD, path, path);
	if (fd < 0)
		return -1;
	k[(*n)++] = (struct lx_keep){ fd, path, attrs };
	return 0;
}

/* Is path itself a private path?  (A root there, TMPDIR=/tmp, would only be covered.) */
static int is_private(const struct lx_plan *P, const char *path)
{
	const struct sbx_view *v = P->s->v;
	for (size_t i = 0; i < v->nmounts; i++) {
		const char *p = P->s->paths->path[v->mounts[i].path];
		if (P->apply[i] && v->mounts[i].op == SBX_MNT_PRIVATE && p && strcmp(p, path) == 0)
			return 1;
	}
	return 0;
}

/*
 * What stays as the host has it: the writable roots (shortest first, so a
 * parent is attached before its children) but those a private path
 * replaces, and the device nodes the
 * Landlock rules name (/dev/null, /dev/tty, ...) with /dev/pts; every other
 * device node becomes unusable (nodev): a sandboxed root could otherwise
 * read a raw disk under every file rule, or an input device.
 */
static int keep_trees(const struct lx_plan *P, struct lx_keep *k, size_t *n)
{
	const struct sbx_view *v = P->s->v;
	const char *const *paths = (const char *const *)P->s->paths->path;
	struct stat st;
	for (size_t i = 0; i < P->nroots; i++)
		if (!is_private(P, paths[P->roots[i]]) && strcmp(paths[P->roots[i]], "/") != 0 &&
		    keep(P, k, n, paths[P->roots[i]], MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV) != 0)
			return -1;
	for (size_t i = 0; i < v->nll_rules; i++) {
		const char *path = paths[v->ll_rules[i].path];
		if (path && stat(path, &st) == 0 && S_ISCHR(st.st_mode) &&
		    keep(P, k, n, path, MOUNT_ATTR_NOSUID) != 0)
			return -1;
	}
	if (stat("/dev/pts", &st) == 0 && S_ISDIR(st.st_mode))
		return keep(P, k, n, "/dev/pts", MOUNT_ATTR_NOSUID);
	return 0;
}

/* Does the policy make "/" itself writable (sbxc warned)? */
static int root_writable(const struct lx_plan *P)
{
	for (size_t i = 0; i < P->nroots; i++)
		if (strcmp(P->s->paths->path[P->roots[i]], "/") == 0)
			return 1;
	return 0;
}

/*
 * Everything read-only, nosuid and nodev in place (only nosuid and nodev
 * when "/" is a writable root: a clone attached on "/" would sit under
 * every process's root); then the kept trees attached again with the
 * host's own flags (a host read-only mount inside a writable root stays
 * read-only).
 */
static int readonly_base(const struct lx_plan *P)
{
	struct lx_keep k[LX_MAX_KEEP];
	size_t n = 0, i = 0;
	int rc = keep_trees(P, k, &n);
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV };
	if (!root_writable(P))
		attr.attr_set |= MOUNT_ATTR_RDONLY;
	if (rc == 0 && syscall(SYS_mount_setattr, AT_FDCWD, "/", AT_RECURSIVE, &attr, sizeof attr) != 0)
		rc = lx_fail(P, SBX_E_SETUP, "mounts: cannot make the file system read-only", NULL, errno);
	for (; i < n && rc == 0; i++)
		rc = attach(P, k[i].fd, k[i].path, k[i].attrs);
	for (; i < n; i++)
		close(k[i].fd);
	return rc;
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
	clone_sources(P, src);
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
