/*
 * Private paths (`private "/tmp";`): the sandbox gets an empty, writable
 * tmpfs of its own there.  The host's files and sockets at that path are
 * out of reach (an ssh-agent or tmux socket in /tmp is a way out of any
 * sandbox that can connect to it), nothing written there reaches the host,
 * and the paths the policy names inside it (a workspace under /tmp) stay
 * as they are.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "escape/harness.c"

static struct sb S;
static struct sb_result R;
static char *HOST_FILE, *HOST_SOCK, *HOST_NEW;
static int LISTENER = -1;

/* A listening Unix socket at path, as an agent or a terminal multiplexer leaves in /tmp. */
static int listen_unix(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert(fd >= 0);
	cr_assert(bind(fd, (struct sockaddr *)&a, sizeof a) == 0, "bind %s", path);
	cr_assert(listen(fd, 4) == 0);
	return fd;
}

static void up(void)
{
	sb_setup(&S);
	HOST_FILE = sb_fmt("/tmp/sbx-private-%d.txt", (int)getpid());
	HOST_SOCK = sb_fmt("/tmp/sbx-private-%d.sock", (int)getpid());
	HOST_NEW = sb_fmt("/tmp/sbx-private-%d.new", (int)getpid());
	cr_assert_eq(t_write_file(HOST_FILE, SECRET "\n", strlen(SECRET) + 1), 0);
	unlink(HOST_SOCK);
	LISTENER = listen_unix(HOST_SOCK);
}

static void down(void)
{
	sb_result_free(&R);
	sb_teardown(&S);
	if (LISTENER >= 0)
		close(LISTENER);
	LISTENER = -1;
	unlink(HOST_FILE);
	unlink(HOST_SOCK);
	unlink(HOST_NEW);
	free(HOST_FILE);
	free(HOST_SOCK);
	free(HOST_NEW);
}

TestSuite(rt_private, .init = up, .fini = down);

#define PRIVATE_POLICY \
	"sbxpol 1;\npolicy p {\n  param WORKSPACE, TMPDIR;\n  readonly \"/\";\n" \
	"  writable \"${WORKSPACE}\", \"${TMPDIR}\";\n  readonly \"${WORKSPACE}/.git\";\n" \
	"  private \"/tmp\", \"/dev/shm\";\n  limit memory 256 MiB;\n  limit wall 60s;\n}\n"

static void expect_out(const char *text)
{
	cr_expect(strstr(R.out, text) != NULL, "missing '%s' in:\n%s", text, R.out);
}

/* sh -c script under PRIVATE_POLICY; takes script. */
static void run(char *script)
{
	sb_result_free(&R);
	sb_sh(&S, PRIVATE_POLICY, script, &R);
	free(script);
}

Test(rt_private, host_files_in_tmp_are_out_of_reach)
{
	run(sb_fmt("cat %s 2>/dev/null; ls -A /tmp", HOST_FILE));
	cr_expect_null(strstr(R.out, SECRET), "the host's file was read:\n%s", R.out);
	cr_expect_null(strstr(R.out, "sbx-private-"), "the host's /tmp is listed:\n%s", R.out);
}

Test(rt_private, host_sockets_in_tmp_are_unreachable)
{
	/* The control: outside the sandbox the socket answers. */
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	snprintf(a.sun_path, sizeof a.sun_path, "%s", HOST_SOCK);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert(connect(fd, (struct sockaddr *)&a, sizeof a) == 0, "the control connection failed");
	close(fd);
	/* Python, not this binary: the build tree may itself be under /tmp. */
	run(sb_fmt("python3 -c 'import socket; s = socket.socket(socket.AF_UNIX); "
	           "s.connect(\"%s\"); print(\"CONNECTED\")' 2>&1 || echo REFUSED", HOST_SOCK));
	cr_expect_null(strstr(R.out, "CONNECTED"), "%s", R.out);
	expect_out("REFUSED");
}

Test(rt_private, tmp_is_writable_empty_and_discarded)
{
	const char *name = strrchr(HOST_NEW, '/') + 1;
	run(sb_fmt("echo inside > /tmp/%s && cat /tmp/%s && echo shm > /dev/shm/%s && echo SHM-OK",
	           name, name, name));
	cr_expect_eq(R.code, 0, "%s", R.out);
	expect_out("inside");
	expect_out("SHM-OK");
	cr_expect_neq(access(HOST_NEW, F_OK), 0, "the private write reached the host's /tmp");
	run(sb_fmt("cat /tmp/%s || echo GONE", name));
	expect_out("GONE");
}

Test(rt_private, named_paths_inside_stay_as_they_are)
{
	cr_assert(strncmp(S.ws, "/tmp/", 5) == 0, "the test's workspace %s is not under /tmp", S.ws);
	run(sb_fmt("cat file.txt && echo new > new.txt && echo t > \"$TMPDIR/t\" && echo T-OK; "
	           "echo evil > .git/HEAD || echo GIT-REFUSED"));
	expect_out("workspace file");
	expect_out("T-OK");
	expect_out("GIT-REFUSED");
	char *t = sb_read(S.ws, "new.txt");
	cr_expect_str_eq(t, "new\n", "the workspace write did not reach the host");
	free(t);
	t = sb_read(S.tmp, "t");
	cr_expect_str_eq(t, "t\n", "the TMPDIR write did not reach the host");
	free(t);
	t = sb_read(S.ws, ".git/HEAD");
	cr_expect_str_eq(t, "ref: refs/heads/main\n");
	free(t);
}

Test(rt_private, size_is_capped_by_the_memory_limit)
{
	run(sb_fmt("echo $(( $(stat -f -c '%%b * %%S' /tmp) ))"));
	expect_out("268435456\n");
}

Test(rt_private, a_workspace_that_is_the_private_path_is_noted)
{
	/* WORKSPACE=/tmp itself: the command gets the empty tmpfs; the log says so. */
	char *path = sb_write_blob(&S, PRIVATE_POLICY, "p.sbxblob");
	char *log = sb_fmt("%s/cli.jsonl", S.root);
	char *cmd = sb_fmt("%s/sbxrun --policy '%s' --var WORKSPACE=/tmp --var TMPDIR='%s' "
	                   "--log '%s' --cwd /tmp -- sh -c 'ls -A; echo RAN'",
	                   SBX_BINARY_DIR, path, S.tmp, log);
	char *out = NULL;
	cr_expect_eq(t_run(cmd, &out), 0, "%s", out);
	cr_expect(strstr(out, "RAN") != NULL, "%s", out);
	cr_expect_null(strstr(out, "sbx-private-"), "the workspace /tmp is the host's: %s", out);
	cr_expect(strstr(out, "sbxrun: warning: /tmp is private in this policy") != NULL,
	          "sbxrun did not warn: %s", out);
	char *text = sb_read(S.root, "cli.jsonl");
	cr_expect(strstr(text, "mounts: private /tmp replaces a writable path bound to it") != NULL,
	          "%s", text);
	free(text);
	free(out);
	free(cmd);
	free(log);
	free(path);
}
