/*
 * linux_landlock.c - the Landlock ruleset, as in the kernel's
 * samples/landlock/sandboxer.c: probe the ABI, mask the rights to what it
 * knows, add one path-beneath rule per blob record (paths opened O_PATH),
 * restrict self.  The ruleset structs are declared here because the
 * distribution's <linux/landlock.h> may predate network rules and scopes.
 */
#include "linux.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#endif
#ifndef SYS_landlock_add_rule
#define SYS_landlock_add_rule 445
#endif
#ifndef SYS_landlock_restrict_self
#define SYS_landlock_restrict_self 446
#endif
#define LX_LL_CREATE_RULESET_VERSION (1u << 0)
#define LX_LL_RULE_PATH_BENEATH 1

struct lx_ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

struct lx_ll_path_beneath {
	uint64_t allowed_access;
	int32_t parent_fd;
} __attribute__((packed));

/* Rights that make sense on a file (not a directory): the kernel refuses others. */
#define LX_LL_FILE_RIGHTS (SBX_LL_FS_EXECUTE | SBX_LL_FS_WRITE_FILE | SBX_LL_FS_READ_FILE | \
                           SBX_LL_FS_TRUNCATE | SBX_LL_FS_IOCTL_DEV)

int lx_landlock_abi(void)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LX_LL_CREATE_RULESET_VERSION);
	return abi < 0 ? 0 : (int)abi;
}

/* Best-effort security: each ABI level adds rights (sandboxer.c's switch). */
uint64_t lx_ll_fs_known(int abi)
{
	uint64_t fs = 0;
	if (abi >= 1)
		fs = (1ull << 13) - 1;            /* EXECUTE .. MAKE_SYM */
	if (abi >= 2)
		fs |= SBX_LL_FS_REFER;
	if (abi >= 3)
		fs |= SBX_LL_FS_TRUNCATE;
	if (abi >= 5)
		fs |= SBX_LL_FS_IOCTL_DEV;
	return fs;
}

uint64_t lx_ll_net_known(int abi)
{
	return abi >= 4 ? SBX_LL_NET_ALL : 0;
}

uint64_t lx_ll_scope_known(int abi)
{
	return abi >= 6 ? SBX_LL_SCOPE_ALL : 0;
}

/*
 * A private path's rule grants everything, meant for the sandbox's own
 * tmpfs: without a mount namespace (best effort), or when the mount was
 * skipped, it would grant the host's directory, so it is dropped.
 */
static int private_mounted(const struct lx_plan *P, int fd)
{
	struct statfs sf;
	return !P->nons && fstatfs(fd, &sf) == 0 && sf.f_type == TMPFS_MAGIC;
}

/* Adds the rule for one blob record; a missing OPTIONAL path is skipped. */
static int add_rule(const struct lx_plan *P, int ruleset, const struct sbx_lx_ll_rule *r)
{
	const char *path = P->s->paths->path[r->path];
	if (!path)
		return 0;
	int fd = open(path, O_PATH | O_CLOEXEC);
	if (fd < 0) {
		if (!(r->flags & SBX_LL_RULE_F_OPTIONAL))
			lx_note(P, "landlock: skipped a rule for ", path, ": ", strerrordesc_np(errno));
		return 0;   /* a path that cannot be opened gives less access, never more */
	}
	if ((r->flags & SBX_LL_RULE_F_PRIVATE) && !private_mounted(P, fd)) {
		lx_note(P, "landlock: skipped the private path ", path, ": not mounted", NULL);
		close(fd);
		return 0;
	}
	struct stat st;
	struct lx_ll_path_beneath pb = { r->access & P->ll_fs, fd };
	if (fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode))
		pb.allowed_access &= LX_LL_FILE_RIGHTS;
	int rc = 0;
	if (pb.allowed_access &&
	    syscall(SYS_landlock_add_rule, ruleset, LX_LL_RULE_PATH_BENEATH, &pb, 0) != 0)
		rc = lx_fail(P, SBX_E_SETUP, "landlock: cannot add a rule for", path, errno);
	close(fd);
	return rc;
}

int lx_setup_landlock(const struct lx_plan *P)
{
	const struct sbx_view *v = P->s->v;
	if (!P->ll_abi)
		return 0;   /* planned as degraded (best effort) */
	struct lx_ll_ruleset_attr attr = { P->ll_fs, P->ll_net, P->ll_scoped };
	int ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
	if (ruleset < 0)
		return lx_fail(P, SBX_E_SETUP, "landlock: cannot create the ruleset", NULL, errno);
	int rc = 0;
	for (size_t i = 0; i < v->nll_rules && rc == 0; i++)
		rc = add_rule(P, ruleset, &v->ll_rules[i]);
	if (rc == 0 && syscall(SYS_landlock_restrict_self, ruleset, 0) != 0)
		rc = lx_fail(P, SBX_E_SETUP, "landlock: cannot enforce the ruleset", NULL, errno);
	close(ruleset);
	return rc;
}
