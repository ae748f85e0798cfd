/*
 * test_sbxc_faults.c - `sbxc compile` when its output cannot be finished:
 * interrupted by SIGINT, SIGTERM or SIGKILL while it writes a large blob,
 * or writing into a read-only or full directory.  In every case the
 * previous output file is intact (or fully replaced, when the signal came
 * after the rename) and no partial or temporary file is left beside it.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "support.h"

#define BIG_RULES     20000   /* a blob of about 4 MB: writing and syncing it takes a moment */
#define MAX_ATTEMPTS  40      /* bounded retries to catch sbxc between open and rename */

struct fixture {
	char *dir;       /* scratch: the policies and the reference blobs */
	char *outdir;    /* holds only out.sbxblob */
	char big[4200], small[4200], out[4200];
	uint8_t *old_blob, *new_blob;  /* out.sbxblob before, and what the big policy compiles to */
	size_t old_len, new_len;
};

static void write_big_policy(const char *path)
{
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs("sbxpol 1;\npolicy big {\n    param WORKSPACE;\n    readonly \"/\";\n", f);
	for (int i = 0; i < BIG_RULES; i++)
		fprintf(f, "    readonly \"${WORKSPACE}/%0150d/%06d\";\n", 0, i);
	fputs("}\n", f);
	cr_assert_eq(fclose(f), 0);
}

static uint8_t *compile_to(const char *policy, const char *blob, size_t *len)
{
	char *cmd = NULL;
	cr_assert_geq(asprintf(&cmd, "'%s' compile '%s' --target linux -o '%s'", SBXC_PATH, policy,
	                       blob), 0);
	char *out = NULL;
	int rc = t_run(cmd, &out);
	cr_assert_eq(rc, 0, "%s: %s", cmd, out);
	free(out);
	free(cmd);
	uint8_t *data = (uint8_t *)t_read_file(blob, len);
	cr_assert_not_null(data);
	return data;
}

static void setup(struct fixture *fx)
{
	memset(fx, 0, sizeof *fx);
	fx->dir = t_tmpdir();
	fx->outdir = t_tmpdir();
	cr_assert(fx->dir && fx->outdir);
	snprintf(fx->big, sizeof fx->big, "%s/big.sbxpol", fx->dir);
	snprintf(fx->small, sizeof fx->small, "%s/small.sbxpol", fx->dir);
	snprintf(fx->out, sizeof fx->out, "%s/out.sbxblob", fx->outdir);
	write_big_policy(fx->big);
	static const char small[] = "sbxpol 1;\npolicy small { readonly \"/usr\"; }\n";
	cr_assert_eq(t_write_file(fx->small, small, sizeof small - 1), 0);
	char path[4300];
	snprintf(path, sizeof path, "%s/old.sbxblob", fx->dir);
	fx->old_blob = compile_to(fx->small, path, &fx->old_len);
	snprintf(path, sizeof path, "%s/new.sbxblob", fx->dir);
	fx->new_blob = compile_to(fx->big, path, &fx->new_len);
}

static void teardown(struct fixture *fx)
{
	char *cmd = NULL;
	if (asprintf(&cmd, "rm -rf '%s' '%s'", fx->dir, fx->outdir) >= 0)
		t_run(cmd, NULL);
	free(cmd);
	free(fx->dir);
	free(fx->outdir);
	free(fx->old_blob);
	free(fx->new_blob);
}

static void put_old_output(const struct fixture *fx)
{
	cr_assert_eq(t_write_file(fx->out, fx->old_blob, fx->old_len), 0);
}

/* The names in outdir other than out.sbxblob, joined by spaces ("" when none). */
static void stray_files(const char *outdir, char *buf, size_t size)
{
	DIR *d = opendir(outdir);
	cr_assert_not_null(d);
	buf[0] = '\0';
	struct dirent *e;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strcmp(e->d_name, "out.sbxblob"))
			snprintf(buf + strlen(buf), size - strlen(buf), "%s ", e->d_name);
	closedir(d);
}

/* out.sbxblob is the old blob or the whole new one: never half, never missing. */
static void expect_whole_output(const struct fixture *fx, const char *when)
{
	size_t len = 0;
	uint8_t *now = (uint8_t *)t_read_file(fx->out, &len);
	cr_assert_not_null(now, "%s: out.sbxblob is gone", when);
	int old = len == fx->old_len && memcmp(now, fx->old_blob, len) == 0;
	int new = len == fx->new_len && memcmp(now, fx->new_blob, len) == 0;
	cr_expect(old || new, "%s: out.sbxblob is neither the old nor the new blob (%zu bytes)",
	          when, len);
	free(now);
}

static pid_t start_sbxc(const struct fixture *fx)
{
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(null, 1);
		dup2(null, 2);
		execl(SBXC_PATH, "sbxc", "compile", fx->big, "--target", "linux", "-o", fx->out,
		      (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* Does pid have a file open in dir (its temporary output)? */
static int has_file_in(pid_t pid, const char *dir)
{
	char fddir[64], link[4300], target[4300];
	snprintf(fddir, sizeof fddir, "/proc/%d/fd", (int)pid);
	DIR *d = opendir(fddir);
	if (!d)
		return 0;
	int found = 0;
	size_t n = strlen(dir);
	struct dirent *e;
	while (!found && (e = readdir(d))) {
		snprintf(link, sizeof link, "%s/%s", fddir, e->d_name);
		ssize_t k = readlink(link, target, sizeof target - 1);
		if (k > 0) {
			target[k] = '\0';
			found = strncmp(target, dir, n) == 0 && target[n] == '/';
		}
	}
	closedir(d);
	return found;
}

/*
 * Starts sbxc on the big policy and sends `sig` once it has its output
 * file open.  Returns 1 when the signal landed mid-write, 0 when sbxc
 * finished first; *status is its wait status.
 */
static int interrupt_once(const struct fixture *fx, int sig, int *status)
{
	pid_t pid = start_sbxc(fx);
	int hit = 0;
	const struct timespec pause = { 0, 200 * 1000 };
	for (;;) {
		if (waitpid(pid, status, WNOHANG) == pid)
			return 0;
		if (has_file_in(pid, fx->outdir)) {
			hit = 1;
			kill(pid, sig);
			break;
		}
		nanosleep(&pause, NULL);
	}
	cr_assert_eq(waitpid(pid, status, 0), pid);
	return hit;
}

static void interrupted_while_writing(int sig)
{
	struct fixture fx;
	setup(&fx);
	int hits = 0;
	char stray[1024];
	for (int i = 0; i < MAX_ATTEMPTS && hits < 3; i++) {
		put_old_output(&fx);
		int status = 0;
		int hit = interrupt_once(&fx, sig, &status);
		hits += hit;
		char when[64];
		snprintf(when, sizeof when, "attempt %d (%s)", i, strsignal(sig));
		if (hit)
			cr_expect(WIFSIGNALED(status) ? WTERMSIG(status) == sig : WEXITSTATUS(status) == 0,
			          "%s: sbxc ended with status 0x%x", when, status);
		expect_whole_output(&fx, when);
		stray_files(fx.outdir, stray, sizeof stray);
		cr_expect_str_empty(stray, "%s: left beside the output: %s", when, stray);
	}
	cr_expect_gt(hits, 0, "sbxc was never caught with its output open in %d attempts",
	             MAX_ATTEMPTS);
	teardown(&fx);
}

Test(sbxc_faults, sigint_while_writing_leaves_the_old_output)
{
	interrupted_while_writing(SIGINT);
}

Test(sbxc_faults, sigterm_while_writing_leaves_the_old_output)
{
	interrupted_while_writing(SIGTERM);
}

Test(sbxc_faults, sigkill_while_writing_leaves_no_temporary_file)
{
	interrupted_while_writing(SIGKILL);
}

/*
 * Runs `script` in a private mount namespace (as root, or as root of a new
 * user namespace); its output goes to *out.  Skips the test when neither
 * is allowed here.
 */
static int in_mount_namespace(const char *script, char **out)
{
	const char *how = geteuid() == 0 ? "unshare -m" : "unshare -r -m";
	char *probe = NULL;
	cr_assert_geq(asprintf(&probe, "%s sh -c 'mount -t tmpfs tmpfs /mnt'", how), 0);
	int ok = t_run(probe, NULL) == 0;
	free(probe);
	if (!ok)
		cr_skip_test("cannot make a private mount namespace here (%s)", how);
	char *cmd = NULL;
	cr_assert_geq(asprintf(&cmd, "%s sh -c '%s'", how, script), 0);
	int rc = t_run(cmd, out);
	free(cmd);
	return rc;
}

Test(sbxc_faults, read_only_directory_leaves_the_old_output)
{
	struct fixture fx;
	setup(&fx);
	put_old_output(&fx);
	char *script = NULL, *out = NULL;
	cr_assert_geq(asprintf(&script,
		"mount --bind %s %s && mount -o remount,bind,ro %s || exit 99; "
		"%s compile %s --target linux -o %s; echo \"rc=$?\"",
		fx.outdir, fx.outdir, fx.outdir, SBXC_PATH, fx.big, fx.out), 0);
	int rc = in_mount_namespace(script, &out);
	cr_assert_eq(rc, 0, "%s", out);
	cr_expect(strstr(out, "rc=3") != NULL, "sbxc should exit 3 (cannot write): %s", out);
	cr_expect(strstr(out, "cannot create a file next to") || strstr(out, "cannot write"),
	          "the error should say the output could not be written: %s", out);
	size_t len = 0;
	uint8_t *now = (uint8_t *)t_read_file(fx.out, &len);
	cr_expect(now && len == fx.old_len && memcmp(now, fx.old_blob, len) == 0,
	          "the old output changed");
	char stray[1024];
	stray_files(fx.outdir, stray, sizeof stray);
	cr_expect_str_empty(stray, "left beside the output: %s", stray);
	free(now);
	free(out);
	free(script);
	teardown(&fx);
}

Test(sbxc_faults, full_directory_leaves_the_old_output)
{
	struct fixture fx;
	setup(&fx);
	char old[4300];
	snprintf(old, sizeof old, "%s/old.sbxblob", fx.dir);
	/* The tmpfs disappears with the namespace: check everything inside it. */
	char *script = NULL, *out = NULL;
	cr_assert_geq(asprintf(&script,
		"mount -t tmpfs -o size=16k tmpfs %s || exit 99; cp %s %s || exit 98; "
		"%s compile %s --target linux -o %s; echo \"rc=$?\"; "
		"cmp -s %s %s && echo old-intact; ls -A %s | tr \"\\n\" \" \"; echo \"<end\"",
		fx.outdir, old, fx.out, SBXC_PATH, fx.big, fx.out, old, fx.out, fx.outdir), 0);
	int rc = in_mount_namespace(script, &out);
	cr_assert_eq(rc, 0, "%s", out);
	cr_expect(strstr(out, "rc=3") != NULL, "sbxc should exit 3 (cannot write): %s", out);
	cr_expect(strstr(out, "No space left on device") != NULL,
	          "the error should name the cause: %s", out);
	cr_expect(strstr(out, "old-intact") != NULL, "the old output changed: %s", out);
	cr_expect(strstr(out, "out.sbxblob <end") != NULL,
	          "only out.sbxblob should be left in the directory: %s", out);
	free(out);
	free(script);
	teardown(&fx);
}
