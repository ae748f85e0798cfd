/*
 * The mount operations the compiler emits for nested rules, checked in
 * real sandboxes: re-exposure inside a hidden tree, carve-outs inside
 * carve-outs, files hidden inside the workspace, and the IF_INSIDE
 * operations the runtime decides from the bound values.
 */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "escape/harness.c"

static struct sb S;
static struct sb_result R;

static void mk(const char *dir, const char *name)
{
	char *p = sb_fmt("%s/%s", dir, name);
	cr_assert(mkdir(p, 0755) == 0, "mkdir %s", p);
	free(p);
}

static void put_file(const char *dir, const char *name, const char *text)
{
	char *p = sb_fmt("%s/%s", dir, name);
	cr_assert_eq(t_write_file(p, text, strlen(text)), 0);
	free(p);
}

static void up(void)
{
	sb_setup(&S);
	mk(S.home, "proj");
	mk(S.home, ".config");
	mk(S.home, ".config/secret");
	mk(S.ws, ".git/scratch");
	put_file(S.home, ".bashrc", SECRET "-bashrc\n");
	put_file(S.home, ".gitconfig", "[user]\n");
	put_file(S.home, ".config/app.conf", "conf\n");
	put_file(S.home, ".config/secret/key", SECRET "-key\n");
	put_file(S.ws, ".env", SECRET "-env\n");
}

static void down(void) { sb_result_free(&R); sb_teardown(&S); }

TestSuite(rt_mounts, .init = up, .fini = down);

#define NESTED_POLICY \
	"sbxpol 1;\npolicy m {\n  param WORKSPACE, HOME, TMPDIR;\n  readonly \"/\";\n" \
	"  writable \"${WORKSPACE}\", \"${TMPDIR}\";\n  readonly \"${WORKSPACE}/.git\";\n" \
	"  writable \"${WORKSPACE}/.git/scratch\";\n  denied \"${WORKSPACE}/.env\";\n" \
	"  denied \"${HOME}\";\n  writable \"${HOME}/proj\";\n  readonly \"${HOME}/.config\";\n" \
	"  denied \"${HOME}/.config/secret\";\n  readonly \"${HOME}/.gitconfig\";\n  limit wall 60s;\n}\n"

__attribute__((format(printf, 2, 3)))
static void sh(const char *policy, const char *fmt, ...)
{
	char *script = NULL;
	va_list ap;
	va_start(ap, fmt);
	cr_assert(vasprintf(&script, fmt, ap) >= 0);
	va_end(ap);
	sb_result_free(&R);
	sb_sh(&S, policy, script, &R);
	free(script);
}

static void expect_out(const char *text)
{
	cr_expect(strstr(R.out, text) != NULL, "missing '%s' in:\n%s", text, R.out);
}

Test(rt_mounts, hidden_home_hides_everything_not_reexposed)
{
	sh(NESTED_POLICY, "cat %s/.bashrc; ls -A %s", S.home, S.home);
	cr_expect_null(strstr(R.out, SECRET), "%s", R.out);
	cr_expect_null(strstr(R.out, ".bashrc\n"), "the hidden home lists .bashrc:\n%s", R.out);
	sh(NESTED_POLICY, "echo x > %s/new; echo x > %s/.bashrc", S.home, S.home);
	cr_expect(!sb_exists(S.home, "new"));
	char *t = sb_read(S.home, ".bashrc");
	cr_expect(strstr(t, SECRET) != NULL);
	free(t);
}

Test(rt_mounts, writable_inside_hidden_is_writable)
{
	sh(NESTED_POLICY, "echo made > %s/proj/new && cat %s/proj/new", S.home, S.home);
	cr_expect_eq(R.code, 0, "%s", R.out);
	cr_expect(sb_exists(S.home, "proj/new"), "the write did not reach the host");
}

Test(rt_mounts, readonly_inside_hidden_is_readable_not_writable)
{
	sh(NESTED_POLICY, "cat %s/.config/app.conf %s/.gitconfig", S.home, S.home);
	cr_expect_eq(R.code, 0, "%s", R.out);
	expect_out("conf\n");
	expect_out("[user]\n");
	sh(NESTED_POLICY, "echo x >> %s/.config/app.conf; echo x >> %s/.gitconfig; touch %s/.config/new",
	   S.home, S.home, S.home);
	char *a = sb_read(S.home, ".config/app.conf"), *b = sb_read(S.home, ".gitconfig");
	cr_expect_str_eq(a, "conf\n");
	cr_expect_str_eq(b, "[user]\n");
	cr_expect(!sb_exists(S.home, ".config/new"));
	free(a);
	free(b);
}

Test(rt_mounts, denied_inside_readonly_inside_denied_is_hidden)
{
	sh(NESTED_POLICY, "cat %s/.config/secret/key; ls -A %s/.config/secret", S.home, S.home);
	cr_expect_null(strstr(R.out, SECRET), "%s", R.out);
	cr_expect_null(strstr(R.out, "key\n"), "%s", R.out);
}

Test(rt_mounts, writable_inside_readonly_inside_writable)
{
	sh(NESTED_POLICY, "echo x > .git/scratch/tmp && echo ok; echo x > .git/HEAD2; echo evil > .git/HEAD");
	expect_out("ok\n");
	cr_expect(sb_exists(S.ws, ".git/scratch/tmp"));
	cr_expect(!sb_exists(S.ws, ".git/HEAD2"));
	char *t = sb_read(S.ws, ".git/HEAD");
	cr_expect_str_eq(t, "ref: refs/heads/main\n");
	free(t);
}

Test(rt_mounts, denied_file_inside_workspace)
{
	sh(NESTED_POLICY, "cat .env; echo x > .env; rm -f .env; mv .env moved; echo done");
	cr_expect_null(strstr(R.out, SECRET), "%s", R.out);
	char *t = sb_read(S.ws, ".env");
	cr_expect(strstr(t, SECRET) != NULL, "the hidden file changed: %s", t);
	free(t);
	cr_expect(!sb_exists(S.ws, "moved"));
}

Test(rt_mounts, nothing_created_on_the_host_for_mount_points)
{
	sh(NESTED_POLICY, "ls -A %s >/dev/null", S.home);
	cr_expect_eq(R.code, 0, "%s", R.out);
	char *cmd = sb_fmt("ls -A '%s'", S.home);
	char *out = NULL;
	t_run(cmd, &out);
	cr_expect_str_eq(out, ".bashrc\n.config\n.gitconfig\n.netrc\n.ssh\nproj\n");
	free(out);
	free(cmd);
}

/* readonly ${HOME}/.gitconfig may or may not lie in writable ${WORKSPACE}:
   the compiler cannot know, so it emits RDONLY with IF_INSIDE. */
#define IF_INSIDE_POLICY \
	"sbxpol 1;\npolicy m {\n  param WORKSPACE, HOME;\n  readonly \"/\";\n" \
	"  writable \"${WORKSPACE}\";\n  readonly \"${HOME}/.gitconfig\";\n  limit wall 60s;\n}\n"

static void run_with_home(const char *home, const char *script)
{
	const char *argv[] = { "/bin/sh", "-c", script, NULL };
	char *saved = S.home;
	S.home = (char *)home;
	sb_result_free(&R);
	sb_run(&S, IF_INSIDE_POLICY, argv, NULL, &R);
	S.home = saved;
	cr_assert_eq(R.spawn_rc, 0, "%s", R.err);
}

Test(rt_mounts, if_inside_applies_when_home_is_in_workspace)
{
	char *home = sb_fmt("%s/home", S.ws);
	cr_assert_eq(mkdir(home, 0755), 0);
	put_file(home, ".gitconfig", "[core]\n");
	char *script = sb_fmt("echo evil >> %s/.gitconfig; echo ok > %s/other && echo wrote", home, home);
	run_with_home(home, script);
	expect_out("wrote\n");
	char *t = sb_read(home, ".gitconfig");
	cr_expect_str_eq(t, "[core]\n", "the read-only file inside the workspace changed");
	free(t);
	free(script);
	free(home);
}

Test(rt_mounts, if_inside_skipped_when_home_is_elsewhere)
{
	/* Landlock alone keeps it read-only; the mount is not applied (and so
	   not counted in the log). */
	run_with_home(S.home, "echo evil >> \"$HOME/.gitconfig\"; true");
	char *t = sb_read(S.home, ".gitconfig");
	cr_expect_str_eq(t, "[user]\n");
	free(t);
	char *log = sb_read(S.root, "log.jsonl");
	cr_expect(strstr(log, "\"mount_ops\":0") != NULL, "%s", log);
	free(log);
}

Test(rt_mounts, host_read_only_mount_inside_workspace_stays_read_only)
{
	if (geteuid() != 0)
		cr_skip_test("making a read-only bind mount on the host needs root");
	char *mnt = sb_fmt("%s/romnt", S.ws);
	cr_assert_eq(mkdir(mnt, 0755), 0);
	char *cmd = sb_fmt("mount --bind '%s' '%s' && mount -o remount,ro,bind '%s'", S.outside, mnt, mnt);
	if (t_run(cmd, NULL) != 0)
		cr_skip_test("cannot make a bind mount here");
	sh(NESTED_POLICY, "echo x > %s/file; echo x > %s/new; echo x > ws-ok && echo WS-OK", mnt, mnt);
	char *undo = sb_fmt("umount '%s'", mnt);
	t_run(undo, NULL);
	expect_out("WS-OK");
	char *t = sb_read(S.outside, "file");
	cr_expect_str_eq(t, ORIGINAL, "the sandbox wrote through the host's read-only mount");
	cr_expect(!sb_exists(S.outside, "new"));
	free(t);
	free(undo);
	free(cmd);
	free(mnt);
}
