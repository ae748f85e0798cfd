/*
 * cgroup v2: when the launcher's cgroup is delegated to it (it is alone in
 * a cgroup it may write), the sandbox gets a cgroup of its own, and the
 * limits bind the whole tree: the CPU time of every process together, and
 * pids.max and memory.max where those controllers are on the v2 hierarchy.
 * A cgroup shared with other processes is left alone, and the rlimits and
 * the PID namespace enforce the limits as before.
 *
 * Each test mounts the v2 hierarchy in a mount namespace of its own and
 * moves itself into a fresh cgroup under its root, so that it runs the same
 * on a hybrid layout (this machine: every controller but hugetlb bound to
 * v1) and on a unified one.  Root only: the others skip.
 */
#include <criterion/criterion.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <time.h>

#include "escape/harness.c"

static struct sb S;
static struct sb_result R;
static char *MNT, *TC, *TC_USER;   /* the v2 mount, the test's cgroups */
static pid_t OTHER = -1;           /* a second process sharing TC */

#define CPU_POLICY \
	"sbxpol 1;\npolicy p {\n  param WORKSPACE, TMPDIR;\n  readonly \"/\";\n" \
	"  writable \"${WORKSPACE}\", \"${TMPDIR}\";\n  limit cpu 1s;\n  limit wall 120s;\n}\n"
/* Four processes that spin until killed: 4 s of CPU time before each one's RLIMIT_CPU. */
#define SPIN4 "for i in 1 2 3 4; do (while :; do :; done) & done; wait; echo all-ended"

static int write_file(const char *dir, const char *name, const char *text)
{
	char *p = sb_fmt("%s/%s", dir, name);
	int fd = open(p, O_WRONLY | O_CLOEXEC);
	free(p);
	if (fd < 0)
		return -1;
	int ok = write(fd, text, strlen(text)) == (ssize_t)strlen(text);
	close(fd);
	return ok ? 0 : -1;
}

static int has_word(const char *dir, const char *file, const char *word)
{
	char *text = sb_read(dir, file);
	int found = 0;
	for (char *t = strtok(text, " \n"); t && !found; t = strtok(NULL, " \n"))
		found = strcmp(t, word) == 0;
	free(text);
	return found;
}

static void up(void)
{
	sb_setup(&S);
	if (geteuid() != 0)
		return;
	cr_assert_eq(unshare(CLONE_NEWNS), 0, "unshare: %s", strerror(errno));
	cr_assert_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	MNT = sb_fmt("%s/cgroup2", S.root);
	cr_assert_eq(mkdir(MNT, 0755), 0);
	if (mount("none", MNT, "cgroup2", 0, NULL) != 0) {
		free(MNT);
		MNT = NULL;
		return;
	}
	TC = sb_fmt("%s/sbx-test-%d", MNT, (int)getpid());
	cr_assert_eq(mkdir(TC, 0755), 0, "mkdir %s: %s", TC, strerror(errno));
	cr_assert_eq(write_file(TC, "cgroup.procs", "0"), 0, "cannot enter %s", TC);
}

static void rmdir_in(const char *dir, const char *name)
{
	char *p = sb_fmt("%s/%s", dir, name);
	rmdir(p);
	free(p);
}

static void down(void)
{
	sb_result_free(&R);
	if (OTHER > 0) {
		kill(OTHER, SIGKILL);
		waitpid(OTHER, NULL, 0);
	}
	if (MNT) {
		write_file(MNT, "cgroup.procs", "0");   /* back to the root, so TC can go */
		if (TC_USER) {
			rmdir_in(TC_USER, "sbx-launcher");
			rmdir(TC_USER);
		}
		rmdir_in(TC, "sbx-launcher");
		cr_expect_eq(rmdir(TC), 0, "%s is not empty: %s", TC, strerror(errno));
		umount2(MNT, MNT_DETACH);
	}
	free(MNT);
	free(TC);
	free(TC_USER);
	MNT = TC = TC_USER = NULL;
	OTHER = -1;
	sb_teardown(&S);
}

/* A skipped test ends without .fini: clean up first. */
static void skip(const char *why)
{
	down();
	cr_skip_test("%s", why);
}

TestSuite(rt_cgroup, .init = up, .fini = down);

static void need_v2(void)
{
	if (geteuid() != 0)
		skip("needs root: mounts the cgroup v2 hierarchy");
	if (!MNT)
		skip("this kernel has no cgroup v2");
}

/* The cgroup path the spawn line names, malloc'd ("" when null). */
static char *logged_cgroup(void)
{
	char *log = sb_read(S.root, "log.jsonl");
	const char *at = strstr(log, "\"cgroup\":\"");
	char *path = strdup("");
	if (at) {
		at += strlen("\"cgroup\":\"");
		free(path);
		path = strndup(at, strcspn(at, "\""));
	}
	free(log);
	return path;
}

static void expect_log(const char *text)
{
	char *log = sb_read(S.root, "log.jsonl");
	cr_expect(strstr(log, text) != NULL, "missing '%s' in the log:\n%s", text, log);
	free(log);
}

Test(rt_cgroup, the_command_runs_in_a_cgroup_of_its_own)
{
	need_v2();
	sb_sh(&S, CPU_POLICY, "cat /proc/self/cgroup", &R);
	cr_assert_eq(R.code, 0, "%s", R.out);
	char *want = sb_fmt("0::/sbx-test-%d/sbx-", (int)getpid());
	cr_expect(strstr(R.out, want) != NULL, "the command's cgroup: %s", R.out);
	char *cg = logged_cgroup();
	cr_expect(strstr(cg, want + 3) != NULL, "the log names %s", cg);
	/* The launcher moved itself into a leaf; the sandbox's cgroup is gone. */
	struct stat st;
	cr_expect_eq(stat(cg, &st), -1, "%s was left behind", cg);
	char *leaf = sb_fmt("%s/sbx-launcher", TC);
	cr_expect_eq(stat(leaf, &st), 0, "the launcher's leaf %s", leaf);
	free(leaf);
	free(cg);
	free(want);
}

/* From a big caller init is sbx-init, exec'd by a CLONE_VM child born in the cgroup. */
Test(rt_cgroup, an_execd_init_is_born_in_the_cgroup)
{
	need_v2();
	size_t big = 48u << 20;
	char *ballast = malloc(big);
	cr_assert_not_null(ballast);
	memset(ballast, 0x5a, big);   /* resident: past the size from which init is exec'd */
	cr_assert_eq(setenv("SBX_INIT_PATH", SBX_BINARY_DIR "/sbx-init", 1), 0);
	sb_sh(&S, CPU_POLICY, "cat /proc/1/cgroup; " SPIN4, &R);
	unsetenv("SBX_INIT_PATH");
	free(ballast);
	expect_log("\"init\":\"exec\"");
	char *want = sb_fmt("0::/sbx-test-%d/sbx-", (int)getpid());
	cr_expect(strstr(R.out, want) != NULL, "init's cgroup: %s", R.out);
	cr_expect_str_eq(R.limit ? R.limit : "(none)", "cpu", "%s", R.out);
	free(want);
}

Test(rt_cgroup, cpu_limit_counts_every_process_of_the_tree)
{
	need_v2();
	sb_sh(&S, CPU_POLICY, SPIN4, &R);
	/* Per process (RLIMIT_CPU alone), each spinner would die after its own
	   second and the shell would go on to print all-ended. */
	cr_expect_str_eq(R.limit ? R.limit : "(none)", "cpu", "%s", R.out);
	cr_expect_eq(R.signal, SIGKILL, "signal %d: %s", R.signal, R.out);
	cr_expect(strstr(R.out, "all-ended") == NULL, "the tree outlived the limit: %s", R.out);
	expect_log("cgroup v2 cpu.stat (the whole tree");
}

Test(rt_cgroup, a_second_spawn_reuses_the_launchers_leaf)
{
	need_v2();
	sb_sh(&S, CPU_POLICY, "true", &R);
	cr_assert_eq(R.code, 0, "%s", R.out);
	sb_result_free(&R);
	sb_sh(&S, CPU_POLICY, SPIN4, &R);
	cr_expect_str_eq(R.limit ? R.limit : "(none)", "cpu", "%s", R.out);
}

/* A directory under TC, its times set `age` seconds back. */
static char *old_cgroup(const char *name, int age)
{
	char *p = sb_fmt("%s/%s", TC, name);
	cr_assert_eq(mkdir(p, 0755), 0, "mkdir %s: %s", p, strerror(errno));
	struct timespec t[2];
	clock_gettime(CLOCK_REALTIME, &t[0]);
	t[0].tv_sec -= age;
	t[1] = t[0];
	cr_assert_eq(utimensat(AT_FDCWD, p, t, 0), 0, "utimensat %s: %s", p, strerror(errno));
	return p;
}

/* What a SIGKILLed launcher leaves (an empty sbx-* cgroup) goes at a later
   spawn once it is old; a fresh one, a populated one, another name stay. */
Test(rt_cgroup, stale_sandbox_cgroups_are_swept)
{
	need_v2();
	sb_sh(&S, CPU_POLICY, "true", &R);   /* the launcher moves into its leaf */
	cr_assert_eq(R.code, 0, "%s", R.out);
	sb_result_free(&R);
	char *stale = old_cgroup("sbx-00000000000000aa", 3600);
	char *fresh = old_cgroup("sbx-00000000000000bb", 10);
	char *busy = old_cgroup("sbx-00000000000000cc", 3600);
	char *other = old_cgroup("sbx-not-ours", 3600);
	OTHER = fork();
	cr_assert(OTHER >= 0);
	if (OTHER == 0) {
		if (write_file(busy, "cgroup.procs", "0") != 0)
			_exit(1);
		pause();
		_exit(0);
	}
	char *procs = NULL;
	for (int i = 0; i < 1000 && !(procs && procs[0]); i++) {   /* wait for the move */
		free(procs);
		usleep(1000);
		procs = sb_read(busy, "cgroup.procs");
	}
	cr_assert(procs && procs[0], "the child did not enter %s", busy);
	free(procs);
	sb_sh(&S, CPU_POLICY, "true", &R);
	cr_expect_eq(R.code, 0, "%s", R.out);
	struct stat st;
	cr_expect_eq(stat(stale, &st), -1, "%s was not swept", stale);
	cr_expect_eq(stat(fresh, &st), 0, "%s is too young to sweep", fresh);
	cr_expect_eq(stat(busy, &st), 0, "%s has a process", busy);
	cr_expect_eq(stat(other, &st), 0, "%s is not a sandbox's name", other);
	kill(OTHER, SIGKILL);
	waitpid(OTHER, NULL, 0);
	OTHER = -1;
	for (int i = 0; i < 200 && rmdir(busy) != 0 && errno == EBUSY; i++)
		usleep(1000);   /* a killed task leaves its cgroup an instant after it is reaped */
	rmdir(fresh);
	rmdir(other);
	rmdir(stale);
	free(stale);
	free(fresh);
	free(busy);
	free(other);
}

Test(rt_cgroup, a_cgroup_shared_with_others_is_left_alone)
{
	need_v2();
	OTHER = fork();
	cr_assert(OTHER >= 0);
	if (OTHER == 0) {
		pause();
		_exit(0);
	}
	sb_sh(&S, CPU_POLICY, "echo ran", &R);
	cr_expect_eq(R.code, 0, "%s", R.out);
	cr_expect(strstr(R.out, "ran") != NULL, "%s", R.out);
	expect_log("\"cgroup\":null");
	expect_log("cgroup v2: not used: ");
	expect_log("holds other processes than the launcher");
	struct stat st;
	char *leaf = sb_fmt("%s/sbx-launcher", TC);
	cr_expect_eq(stat(leaf, &st), -1, "the launcher reorganized a shared cgroup: %s", leaf);
	free(leaf);
}

/* Enables a controller for the children of the hierarchy's root, if it is on v2. */
static int root_controller(const char *name)
{
	if (!has_word(MNT, "cgroup.controllers", name))
		return 0;
	char *cmd = sb_fmt("+%s", name);
	int ok = write_file(MNT, "cgroup.subtree_control", cmd) == 0;
	free(cmd);
	return ok;
}

Test(rt_cgroup, pids_max_bounds_the_tree)
{
	need_v2();
	if (!root_controller("pids"))
		skip("the pids controller is not on the cgroup v2 hierarchy here");
	/* The PID namespace's pid_max would allow 20 + 299 at once: pids.max stops 20. */
	sb_helper(&S, "sbxpol 1;\npolicy p {\n  param WORKSPACE, TMPDIR;\n  readonly \"/\";\n"
	              "  writable \"${WORKSPACE}\";\n  limit processes 20;\n  limit wall 120s;\n}\n",
	          "forkbomb", "60", NULL, &R);
	const char *at = strstr(R.out, "forked ");
	cr_assert_not_null(at, "%s", R.out);
	cr_expect(atoi(at + 7) < 20, "%d processes under a limit of 20", atoi(at + 7));
	cr_expect_str_eq(R.limit ? R.limit : "(none)", "processes", "%s", R.out);
	expect_log("cgroup v2 pids.max (the whole tree)");
}

Test(rt_cgroup, memory_max_bounds_the_tree)
{
	need_v2();
	if (!root_controller("memory"))
		skip("the memory controller is not on the cgroup v2 hierarchy here");
	/* Three processes of 40 MiB each: each is under RLIMIT_DATA's 64 MiB,
	   together they pass memory.max.  Python, not a helper in this binary:
	   a sanitizer build's shadow memory would count against RLIMIT_DATA. */
	if (system("command -v python3 >/dev/null 2>&1") != 0)
		skip("python3 is not installed");
	sb_sh(&S, "sbxpol 1;\npolicy p {\n  param WORKSPACE, TMPDIR;\n  readonly \"/\";\n"
	          "  writable \"${WORKSPACE}\";\n  limit memory 64 MiB;\n  limit wall 120s;\n}\n",
	      "for i in 1 2 3; do python3 -c 'import time\n"
	      "a=b'x'*(40<<20)\n"
	      "time.sleep(3)' & done; wait; echo done", &R);
	cr_expect_str_eq(R.limit ? R.limit : "(none)", "memory", "%s", R.out);
	expect_log("cgroup v2 memory.max, no swap (the whole tree)");
}

/*
 * Runs SPIN4 under CPU_POLICY through sbxrun as uid 65534 from a cgroup
 * of its own, TC_USER, of which root hands it the first `owned` of: the
 * directory, cgroup.procs, cgroup.subtree_control, cgroup.threads.
 * Returns sbxrun's status.
 */
static int run_as_nobody(size_t owned)
{
	const uid_t nobody = 65534;
	TC_USER = sb_fmt("%s/sbx-test-%d-user", MNT, (int)getpid());
	cr_assert_eq(mkdir(TC_USER, 0755), 0);
	const char *files[] = { "", "/cgroup.procs", "/cgroup.subtree_control", "/cgroup.threads" };
	for (size_t i = 0; i < owned && i < 4; i++) {
		char *p = sb_fmt("%s%s", TC_USER, files[i]);
		cr_assert_eq(chown(p, nobody, nobody), 0, "chown %s", p);
		free(p);
	}
	char *bpath = sb_write_blob(&S, CPU_POLICY, "cpu.sbxblob");
	chmod(bpath, 0644);
	chown(S.ws, nobody, nobody);
	chown(S.tmp, nobody, nobody);
	chmod(S.root, 0777);   /* sbxrun --log creates its file here */
	char *cmd = sb_fmt("echo 0 > '%s/cgroup.procs' && exec setpriv --reuid=%u --regid=%u "
	                   "--clear-groups %s/sbxrun --policy '%s' --log '%s' --cwd '%s' "
	                   "--var TMPDIR='%s' -- sh -c '%s' 2>&1",
	                   TC_USER, nobody, nobody, SBX_BINARY_DIR, bpath, S.log, S.ws, S.tmp, SPIN4);
	char *out = NULL;
	int rc = t_run(cmd, &out);
	cr_log_info("sbxrun as uid %u: status %d: %s", nobody, rc, out);
	free(out);
	free(cmd);
	free(bpath);
	return rc;
}

Test(rt_cgroup, a_cgroup_delegated_to_an_unprivileged_user)
{
	need_v2();
	int rc = run_as_nobody(4);
	cr_expect_eq(rc, 128 + SIGKILL, "status %d", rc);
	char *cg = logged_cgroup();
	char *want = sb_fmt("sbx-test-%d-user/sbx-", (int)getpid());
	cr_expect(strstr(cg, want) != NULL, "the log names the cgroup '%s'", cg);
	expect_log("\"limit\":\"cpu\"");
	free(want);
	free(cg);
}

Test(rt_cgroup, a_cgroup_not_fully_delegated_is_left_alone)
{
	need_v2();
	/* The user may move processes but not enable controllers: not its own. */
	int rc = run_as_nobody(2);
	cr_expect_eq(rc, 0, "status %d: each spinner's RLIMIT_CPU ends it, the shell goes on", rc);
	expect_log("\"cgroup\":null");
	expect_log("is not delegated to the launcher (not writable)");
	char *leaf = sb_fmt("%s/sbx-launcher", TC_USER);
	struct stat st;
	cr_expect_eq(stat(leaf, &st), -1, "the launcher reorganized %s", TC_USER);
	free(leaf);
}
