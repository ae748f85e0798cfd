/*
 * Filesystem escapes: each test really attempts something the policy
 * forbids inside a sandbox, then checks the host (not just the exit code).
 * STD_POLICY: readonly /, writable ${WORKSPACE} and ${TMPDIR}, readonly
 * ${WORKSPACE}/.git, denied ${HOME}/.ssh and ${HOME}/.netrc.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "escape/harness.c"

static struct sb S;
static struct sb_result R;

static void up(void) { sb_setup(&S); }
static void down(void) { sb_result_free(&R); sb_teardown(&S); }

TestSuite(rt_fs, .init = up, .fini = down);

/* Runs a formatted shell script under STD_POLICY into R. */
__attribute__((format(printf, 1, 2)))
static void sh(const char *fmt, ...)
{
	char *script = NULL;
	va_list ap;
	va_start(ap, fmt);
	cr_assert(vasprintf(&script, fmt, ap) >= 0);
	va_end(ap);
	sb_result_free(&R);
	sb_sh(&S, STD_POLICY, script, &R);
	free(script);
}

static void expect_original(void)
{
	char *t = sb_read(S.outside, "file");
	cr_expect_str_eq(t, ORIGINAL, "the file outside the roots changed: '%s'", t);
	free(t);
}

static void expect_head_intact(void)
{
	char *t = sb_read(S.ws, ".git/HEAD");
	cr_expect_str_eq(t, "ref: refs/heads/main\n", ".git/HEAD changed: '%s'", t);
	free(t);
}

/* ---- writes outside the roots ---- */

Test(rt_fs, create_outside_roots_refused)
{
	sh("echo x > %s/new", S.outside);
	cr_expect_neq(R.code, 0, "%s", R.out);
	cr_expect(!sb_exists(S.outside, "new"));
}

Test(rt_fs, overwrite_outside_roots_refused)
{
	sh("echo x > %s/file", S.outside);
	cr_expect_neq(R.code, 0);
	expect_original();
}

Test(rt_fs, append_truncate_outside_refused)
{
	sh("echo x >> %s/file; truncate -s 0 %s/file; : > %s/file", S.outside, S.outside, S.outside);
	cr_expect_neq(R.code, 0);
	expect_original();
}

Test(rt_fs, delete_outside_refused)
{
	sh("rm -f %s/file", S.outside);
	cr_expect_neq(R.code, 0);
	expect_original();
}

Test(rt_fs, chmod_outside_refused)
{
	sh("chmod 777 %s/file", S.outside);
	struct stat st;
	char *p = sb_fmt("%s/file", S.outside);
	cr_assert_eq(stat(p, &st), 0);
	free(p);
	cr_expect_neq(R.code, 0);
	cr_expect_neq(st.st_mode & 0777, 0777, "chmod went through");
}

Test(rt_fs, metadata_changes_outside_refused)
{
	/* Landlock does not cover these; the read-only mount base does. */
	char *p = sb_fmt("%s/file", S.outside);
	struct stat before, after;
	cr_assert_eq(stat(p, &before), 0);
	sh("touch -d 2001-01-01 %s; chown 1:1 %s; chmod u-w %s; setfattr -n user.x -v y %s; true",
	   p, p, p, p);
	cr_assert_eq(stat(p, &after), 0);
	free(p);
	cr_expect_eq(before.st_mtime, after.st_mtime, "utimes went through");
	cr_expect_eq(before.st_uid, after.st_uid, "chown went through");
	cr_expect_eq(before.st_mode, after.st_mode, "chmod went through");
}

Test(rt_fs, mkdir_mkfifo_symlink_outside_refused)
{
	sh("mkdir %s/d; mkfifo %s/f; ln -s /etc/passwd %s/l", S.outside, S.outside, S.outside);
	cr_expect(!sb_exists(S.outside, "d"));
	cr_expect(!sb_exists(S.outside, "f"));
	cr_expect(!sb_exists(S.outside, "l"));
}

Test(rt_fs, write_system_dirs_refused)
{
	sh("echo x > /etc/sbx-escape-$$ && echo WROTE; echo x > /usr/sbx-escape-$$ && echo WROTE; exit 0");
	cr_expect_null(strstr(R.out, "WROTE"), "%s", R.out);
	cr_expect_neq(system("ls /etc/sbx-escape-* /usr/sbx-escape-* >/dev/null 2>&1"), 0);
}

Test(rt_fs, write_tmp_outside_tmpdir_refused)
{
	/* /tmp is not ${TMPDIR} here: it stays read-only. */
	sh("echo x > %s/escape-in-tmp && echo WROTE; exit 0", S.root);
	cr_expect_null(strstr(R.out, "WROTE"), "%s", R.out);
	cr_expect(!sb_exists(S.root, "escape-in-tmp"));
}

Test(rt_fs, dotdot_outside_refused)
{
	sh("echo x > ../outside/new; echo x > ./../outside/file; echo x > %s/../outside/new2", S.ws);
	cr_expect(!sb_exists(S.outside, "new"));
	cr_expect(!sb_exists(S.outside, "new2"));
	expect_original();
}

/* ---- symlink, hard link, rename and /proc tricks ---- */

Test(rt_fs, symlink_in_workspace_to_outside_refused)
{
	sh("ln -s %s/file link && echo x > link; ln -s %s linkdir && echo x > linkdir/new",
	   S.outside, S.outside);
	cr_expect(sb_exists(S.ws, "link"), "creating the link itself is allowed");
	expect_original();
	cr_expect(!sb_exists(S.outside, "new"));
}

Test(rt_fs, hardlink_outside_file_into_workspace_refused)
{
	sh("ln %s/file hl", S.outside);
	cr_expect_neq(R.code, 0);
	cr_expect(!sb_exists(S.ws, "hl"), "a hard link to an outside file was made");
	sh("ln %s/file hl2; echo x >> hl2", S.outside);
	expect_original();
}

Test(rt_fs, rename_outside_file_into_workspace_refused)
{
	/* mv falls back to copy + unlink: reading is allowed, the unlink must fail. */
	sh("mv %s/file moved", S.outside);
	cr_expect_neq(R.code, 0);
	cr_expect(sb_exists(S.outside, "file"));
	expect_original();
}

Test(rt_fs, rename_workspace_file_outside_refused)
{
	sh("mv file.txt %s/moved", S.outside);
	cr_expect_neq(R.code, 0);
	cr_expect(!sb_exists(S.outside, "moved"));
	cr_expect(sb_exists(S.ws, "file.txt"));
}

Test(rt_fs, proc_self_fd_reopen_for_write_refused)
{
	sh("exec 3< %s/file; echo x > /proc/self/fd/3; echo x >> /proc/$$/fd/3", S.outside);
	expect_original();
}

Test(rt_fs, proc_self_root_write_refused)
{
	sh("echo x > /proc/self/root%s/file; echo x > /proc/1/root%s/new", S.outside, S.outside);
	expect_original();
	cr_expect(!sb_exists(S.outside, "new"));
}

Test(rt_fs, remount_and_umount_refused)
{
	sh("mount -o remount,rw %s/.git; umount %s/.git; umount -l %s/.git; "
	   "mount -t tmpfs none %s; echo x > %s/.git/HEAD",
	   S.ws, S.ws, S.ws, S.outside, S.ws);
	expect_head_intact();
	cr_expect(sb_exists(S.outside, "file"), "a tmpfs over the outside dir would hide it from us");
}

/* A policy that says writable "/" (sbxc warns) gets it, carve-outs kept. */
Test(rt_fs, literal_writable_root_is_writable)
{
	char *policy = sb_fmt("sbxpol 1;\npolicy t {\n  param WORKSPACE;\n  writable \"/\";\n"
	                      "  readonly \"${WORKSPACE}/.git\";\n}\n");
	char *script = sb_fmt("echo changed > %s/file && echo WROTE; echo x > .git/HEAD", S.outside);
	sb_result_free(&R);
	sb_sh(&S, policy, script, &R);
	cr_expect(strstr(R.out, "WROTE") != NULL, "%s", R.out);
	char *t = sb_read(S.outside, "file");
	cr_expect_str_eq(t, "changed\n");
	free(t);
	expect_head_intact();
	free(script);
	free(policy);
}

/* Where the policy lets the command make user namespaces, it still cannot
   unmount or remount its carve-outs from one (Landlock; locked mounts). */
Test(rt_fs, nested_user_namespace_cannot_unlock_mounts)
{
	char *git = sb_fmt("%s/.git", S.ws);
	sb_result_free(&R);
	sb_helper(&S, STD_POLICY_WITH("  user-namespaces allow;\n"), "unlock", git, NULL, &R);
	free(git);
	if (!strstr(R.out, "inside"))
		cr_skip_test("no user namespace for this user here: %s", R.out);
	cr_expect_eq(R.code, 1, "%s", R.out);
	cr_expect(strstr(R.out, "refused") != NULL, "%s", R.out);
	expect_head_intact();
}

/* ---- the read-only .git carve-out ---- */

Test(rt_fs, git_write_existing_refused)
{
	sh("echo evil > .git/HEAD");
	cr_expect_neq(R.code, 0);
	expect_head_intact();
}

Test(rt_fs, git_create_hook_refused)
{
	sh("printf '#!/bin/sh\\necho pwned\\n' > .git/hooks/pre-commit");
	cr_expect_neq(R.code, 0);
	cr_expect(!sb_exists(S.ws, ".git/hooks/pre-commit"));
}

Test(rt_fs, git_rename_inside_refused)
{
	sh("mv .git/HEAD .git/HEAD2");
	cr_expect_neq(R.code, 0);
	cr_expect(!sb_exists(S.ws, ".git/HEAD2"));
	expect_head_intact();
}

Test(rt_fs, git_rename_dir_away_refused)
{
	/* mv falls back to copy + delete across the mount: the copy is an ordinary
	   workspace write, the delete must fail. */
	sh("mv .git notgit; mv .git/hooks hooks2");
	cr_expect_neq(R.code, 0);
	cr_expect(!sb_exists(S.ws, "notgit/HEAD"));
	cr_expect(sb_exists(S.ws, ".git/hooks"));
	expect_head_intact();
}

Test(rt_fs, git_delete_refused)
{
	sh("rm -f .git/HEAD; rm -rf .git");
	cr_expect_neq(R.code, 0);
	expect_head_intact();
	cr_expect(sb_exists(S.ws, ".git/hooks"));
}

Test(rt_fs, git_chmod_refused)
{
	sh("chmod 777 .git/HEAD; chmod 777 .git");
	struct stat st;
	char *p = sb_fmt("%s/.git/HEAD", S.ws);
	cr_assert_eq(stat(p, &st), 0);
	free(p);
	cr_expect_neq(st.st_mode & 0777, 0777);
}

Test(rt_fs, git_symlink_into_carve_out_refused)
{
	sh("ln -s .git/HEAD h && echo evil > h; ln -s .git g && echo x > g/new");
	expect_head_intact();
	cr_expect(!sb_exists(S.ws, ".git/new"));
}

Test(rt_fs, git_hardlink_out_of_carve_out_refused)
{
	sh("ln .git/HEAD h && echo evil > h");
	cr_expect(!sb_exists(S.ws, "h"), "a hard link across the read-only mount was made");
	expect_head_intact();
}

Test(rt_fs, git_replace_by_rename_over_refused)
{
	sh("echo evil > x && mv -f x .git/HEAD");
	expect_head_intact();
}

/* ---- denied paths: no read ---- */

Test(rt_fs, read_denied_directly_refused)
{
	sh("cat %s/.ssh/id_rsa", S.home);
	cr_expect_neq(R.code, 0);
	cr_expect_null(strstr(R.out, SECRET), "%s", R.out);
	sh("ls -A %s/.ssh", S.home);
	cr_expect_str_eq(R.out, "", "the hidden directory lists: %s", R.out);
}

Test(rt_fs, read_denied_file_refused)
{
	sh("cat %s/.netrc", S.home);
	cr_expect_null(strstr(R.out, SECRET), "%s", R.out);
}

Test(rt_fs, read_denied_via_symlink_refused)
{
	sh("ln -s %s/.ssh/id_rsa s; cat s; ln -s %s/.ssh d; cat d/id_rsa", S.home, S.home);
	cr_expect_null(strstr(R.out, SECRET), "%s", R.out);
}

Test(rt_fs, read_denied_via_proc_root_refused)
{
	sh("cat /proc/self/root%s/.ssh/id_rsa /proc/1/root%s/.ssh/id_rsa /proc/1/cwd/../home/.ssh/id_rsa",
	   S.home, S.home);
	cr_expect_null(strstr(R.out, SECRET), "%s", R.out);
}

Test(rt_fs, read_denied_via_dotdot_refused)
{
	sh("cat ../home/.ssh/id_rsa ../home/./.ssh/../.ssh/id_rsa");
	cr_expect_null(strstr(R.out, SECRET), "%s", R.out);
}

Test(rt_fs, read_denied_via_hardlink_refused)
{
	sh("ln %s/.ssh/id_rsa stolen; cat stolen", S.home);
	cr_expect_null(strstr(R.out, SECRET), "%s", R.out);
	cr_expect(!sb_exists(S.ws, "stolen"));
}

Test(rt_fs, read_denied_via_copy_or_move_refused)
{
	sh("cp %s/.ssh/id_rsa c; mv %s/.ssh/id_rsa m; cat c m", S.home, S.home);
	cr_expect_null(strstr(R.out, SECRET), "%s", R.out);
	char *t = sb_read(S.home, ".ssh/id_rsa");
	cr_expect(strstr(t, SECRET) != NULL, "the secret was moved away");
	free(t);
}

/* ---- what must keep working ---- */

Test(rt_fs, workspace_and_tmpdir_writable)
{
	sh("echo hi > new.txt && mkdir -p sub/dir && echo t > \"$TMPDIR/t.txt\" && mv new.txt sub/ && "
	   "rm file.txt && echo \"TMPDIR=$TMPDIR\"");
	cr_expect_eq(R.code, 0, "%s", R.out);
	cr_expect(sb_exists(S.ws, "sub/new.txt"));
	cr_expect(!sb_exists(S.ws, "file.txt"));
	cr_expect(sb_exists(S.tmp, "t.txt"));
	char *want = sb_fmt("TMPDIR=%s", S.tmp);
	cr_expect(strstr(R.out, want) != NULL, "%s", R.out);
	free(want);
}

Test(rt_fs, read_everything_else)
{
	sh("cat %s/file && cat .git/HEAD && ls %s >/dev/null && head -c1 /etc/passwd >/dev/null",
	   S.outside, S.home);
	cr_expect_eq(R.code, 0, "%s", R.out);
	cr_expect(strstr(R.out, ORIGINAL) != NULL);
}

Test(rt_fs, devices_usable)
{
	sh("echo x > /dev/null && head -c 4 /dev/zero | wc -c && head -c 4 /dev/urandom | wc -c");
	cr_expect_eq(R.code, 0, "%s", R.out);
}

Test(rt_fs, own_proc_readable)
{
	sh("cat /proc/self/status >/dev/null && ps -e -o pid= | wc -l && cat /proc/1/cmdline >/dev/null");
	cr_expect_eq(R.code, 0, "%s", R.out);
	/* Only the sandbox's processes: init, sh, ps, wc. */
	cr_expect(atoi(R.out) <= 5, "ps sees %s processes", R.out);
}

Test(rt_fs, shell_pipeline)
{
	sh("printf 'b\\na\\nc\\n' | sort | head -n 1 | tr a A");
	cr_expect_eq(R.code, 0, "%s", R.out);
	cr_expect_str_eq(R.out, "A\n");
}

Test(rt_fs, raw_block_device_unreadable)
{
	/* Reading a disk would bypass every file rule, and root owns the nodes:
	   attach a loop device holding the secret and read it raw. */
	char *img = sb_fmt("%s/disk.img", S.outside);
	char *cmd = sb_fmt("head -c 65536 /dev/zero > '%s' && printf '%s' | dd of='%s' conv=notrunc 2>/dev/null "
	                   "&& losetup -f --show '%s'", img, SECRET, img, img);
	char *dev = NULL;
	int rc = t_run(cmd, &dev);
	free(cmd);
	if (rc != 0 || !dev || dev[0] != '/')
		cr_skip_test("cannot attach a loop device here (needs root): %s", dev ? dev : "");
	dev[strcspn(dev, "\n")] = 0;
	cmd = sb_fmt("head -c 64 %s", dev);
	char *outside = NULL;
	t_run(cmd, &outside);
	sh("head -c 64 %s 2>/dev/null; echo end", dev);
	char *detach = sb_fmt("losetup -d %s", dev);
	t_run(detach, NULL);
	cr_expect(strstr(outside, SECRET) != NULL, "the control read failed: %s", outside);
	cr_expect_null(strstr(R.out, SECRET), "read the disk inside the sandbox: %s", R.out);
	free(detach);
	free(outside);
	free(cmd);
	free(dev);
	free(img);
}

/* ---- kernel interfaces around the file rules ---- */

static struct sb_result HR;

static void helper(const char *name, const char *a1, const char *a2)
{
	sb_result_free(&HR);
	sb_helper(&S, STD_POLICY, name, a1, a2, &HR);
}

Test(rt_fs, read_denied_by_file_handle_refused)
{
	/* The handle is computed outside, where the file is visible. */
	char *path = sb_fmt("%s/.ssh/id_rsa", S.home);
	unsigned char buf[sizeof(struct file_handle) + 128];
	struct file_handle *fh = (struct file_handle *)buf;
	int mount_id;
	fh->handle_bytes = 128;
	if (name_to_handle_at(AT_FDCWD, path, fh, &mount_id, 0) != 0)
		cr_skip_test("this file system has no file handles: %s", strerror(errno));
	char spec[300];
	int at = snprintf(spec, sizeof spec, "%d:", fh->handle_type);
	for (unsigned i = 0; i < fh->handle_bytes; i++)
		at += snprintf(spec + at, sizeof spec - (size_t)at, "%02x", fh->f_handle[i]);
	helper("byhandle", spec, NULL);
	cr_expect_null(strstr(HR.out, SECRET), "%s", HR.out);
	cr_expect(strstr(HR.out, "refused") != NULL, "%s", HR.out);
	sb_result_free(&HR);
	free(path);
}

Test(rt_fs, git_exchange_refused)
{
	char *git = sb_fmt("%s/.git", S.ws), *other = sb_fmt("%s/fake", S.ws), *head = sb_fmt("%s/.git/HEAD", S.ws),
	     *file = sb_fmt("%s/file.txt", S.ws);
	cr_assert_eq(mkdir(other, 0755), 0);
	helper("exchange", git, other);
	cr_expect(strstr(HR.out, "refused") != NULL, "%s", HR.out);
	helper("exchange", head, file);
	cr_expect(strstr(HR.out, "refused") != NULL, "%s", HR.out);
	expect_head_intact();
	sb_result_free(&HR);
	free(git);
	free(other);
	free(head);
	free(file);
}

Test(rt_fs, device_node_creation_refused)
{
	char *in_ws = sb_fmt("%s/null2", S.ws);
	helper("mknod", in_ws, NULL);
	cr_expect(strstr(HR.out, "refused") != NULL, "%s", HR.out);
	cr_expect(!sb_exists(S.ws, "null2"));
	sb_result_free(&HR);
	free(in_ws);
}

Test(rt_fs, proc_sys_and_hostname_unchanged)
{
	char host[256] = "";
	gethostname(host, sizeof host);
	sh("echo sbx-evil > /proc/sys/kernel/hostname; hostname sbx-evil; "
	   "echo 1 > /proc/sys/vm/drop_caches; cat /proc/sys/kernel/hostname");
	char now[256] = "";
	gethostname(now, sizeof now);
	cr_expect_str_eq(now, host, "the sandbox renamed the host");
}

/* ---- a policy that does not read everything ---- */

#define NARROW_POLICY \
	"sbxpol 1;\npolicy n {\n  param WORKSPACE;\n  readonly \"/usr\", \"/etc\", \"/sbx-no-such-dir\";\n" \
	"  writable \"${WORKSPACE}\";\n  limit wall 60s;\n}\n"

Test(rt_fs, unlisted_paths_unreadable)
{
	char *script = sb_fmt("cat %s/file; ls %s; head -c1 /etc/passwd >/dev/null && echo ETC-OK; "
	                      "echo hi > in-ws && cat in-ws", S.outside, S.root);
	const char *argv[] = { "/bin/sh", "-c", script, NULL };
	sb_result_free(&R);
	sb_run(&S, NARROW_POLICY, argv, NULL, &R);
	cr_assert_eq(R.spawn_rc, 0, "%s", R.err);
	cr_expect_null(strstr(R.out, ORIGINAL), "read a path no rule lists: %s", R.out);
	cr_expect_null(strstr(R.out, "outside\n"), "listed a directory no rule lists: %s", R.out);
	cr_expect(strstr(R.out, "ETC-OK") != NULL, "%s", R.out);
	cr_expect(strstr(R.out, "hi\n") != NULL, "%s", R.out);
	char *log = sb_read(S.root, "log.jsonl");
	cr_expect(strstr(log, "landlock: skipped a rule for /sbx-no-such-dir: No such file or directory") != NULL,
	          "%s", log);
	free(log);
	free(script);
}

/* init sends its notes in batches of 16 records: more than a batch must all arrive, in order. */
Test(rt_fs, every_note_of_many_arrives)
{
	char paths[1024] = "";
	for (int i = 0; i < 20; i++)
		snprintf(paths + strlen(paths), sizeof paths - strlen(paths), "%s\"/sbx-no-such-%02d\"",
		         i ? ", " : "", i);
	char *policy = sb_fmt("sbxpol 1;\npolicy n {\n  param WORKSPACE;\n  readonly \"/usr\", \"/etc\", %s;\n"
	                      "  writable \"${WORKSPACE}\";\n  limit wall 60s;\n}\n", paths);
	const char *argv[] = { "/bin/sh", "-c", "echo RAN", NULL };
	sb_result_free(&R);
	sb_run(&S, policy, argv, NULL, &R);
	cr_assert_eq(R.spawn_rc, 0, "%s", R.err);
	cr_expect(strstr(R.out, "RAN") != NULL, "%s", R.out);
	char *log = sb_read(S.root, "log.jsonl");
	const char *at = log;
	for (int i = 0; i < 20; i++) {
		char note[96];
		snprintf(note, sizeof note, "landlock: skipped a rule for /sbx-no-such-%02d: ", i);
		const char *found = strstr(at, note);
		cr_expect(found != NULL, "note %d missing or out of order: %s", i, log);
		if (found)
			at = found;
	}
	free(log);
	free(policy);
}
