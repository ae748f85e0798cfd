/*
 * Golden `sbxc explain` output (text and JSON) for every shipped policy.
 * A difference is either a bug or an intended change; for the latter,
 * regenerate with tests/golden/update.sh and review the diff.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"

static void check(const char *name, const char *flag, const char *ext)
{
	char *dir = t_tmpdir();
	char *cmd = NULL, *out = NULL;
	cr_assert(asprintf(&cmd,
	                   "%s compile %s/policies/%s.sbxpol -o %s/b.sbxblob && "
	                   "%s explain %s/b.sbxblob %s > %s/out && "
	                   "diff -u %s/tests/golden/%s.%s %s/out",
	                   SBXC_PATH, SBX_SOURCE_DIR, name, dir, SBXC_PATH, dir, flag, dir,
	                   SBX_SOURCE_DIR, name, ext, dir) > 0);
	int rc = t_run(cmd, &out);
	cr_expect_eq(rc, 0, "explain of %s differs from tests/golden/%s.%s "
	             "(regenerate with tests/golden/update.sh if intended):\n%s", name, name, ext, out);
	free(cmd);
	free(out);
	cr_assert(asprintf(&cmd, "rm -rf %s", dir) > 0);
	t_run(cmd, NULL);
	free(cmd);
	free(dir);
}

#define GOLDEN(id, name)                                      \
	Test(golden, id##_text) { check(name, "", "txt"); }   \
	Test(golden, id##_json) { check(name, "--json", "json"); }

GOLDEN(workspace_write, "workspace-write")
GOLDEN(workspace_write_online, "workspace-write-online")
GOLDEN(read_only, "read-only")
GOLDEN(common, "common")
