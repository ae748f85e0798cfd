/*
 * linux_caps.c - the last privileged step: empty every capability set
 * (bounding, ambient, inheritable, permitted, effective), then set
 * no_new_privs so that no exec (setuid, file capabilities) can add any back.
 * In a user namespace this drops the namespace's full set; as root it
 * drops root's.
 */
#include "linux.h"

#include <errno.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define LX_CAP_SCAN 64   /* every capability number the kernel could know */

/* Does the effective set hold CAP_SETPCAP (needed to shrink the bounding set)? */
static int have_setpcap(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	if (syscall(SYS_capget, &hdr, data) != 0)
		return 1;
	return (data[CAP_SETPCAP / 32].effective >> (CAP_SETPCAP % 32)) & 1;
}

static int drop_bounding(const struct lx_plan *P)
{
	for (int cap = 0; cap < LX_CAP_SCAN; cap++) {
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0)
			continue;
		if (errno == EINVAL && cap > 0)
			return 0;   /* past the kernel's last capability (they are numbered densely) */
		if (errno == EPERM && !have_setpcap()) {
			/* Only without a user namespace, as a user: there is nothing to drop
			   from, and no_new_privs keeps exec from adding anything. */
			lx_note(P, "capabilities: the bounding set stays (no CAP_SETPCAP); ",
			        "the permitted set is empty and no_new_privs holds", NULL, NULL);
			return 0;
		}
		return lx_fail(P, SBX_E_SETUP, "capabilities: cannot drop from the bounding set",
		               NULL, errno);
	}
	return 0;
}

int lx_drop_caps(const struct lx_plan *P)
{
	if (drop_bounding(P) != 0)
		return -1;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
		return lx_fail(P, SBX_E_SETUP, "capabilities: cannot clear the ambient set", NULL, errno);
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2] = { { 0, 0, 0 }, { 0, 0, 0 } };
	if (syscall(SYS_capset, &hdr, data) != 0)
		return lx_fail(P, SBX_E_SETUP, "capabilities: cannot clear the sets", NULL, errno);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return lx_fail(P, SBX_E_SETUP, "cannot set no_new_privs", NULL, errno);
	return 0;
}
