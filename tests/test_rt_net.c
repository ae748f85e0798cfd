/*
 * Network escapes from an offline sandbox: every protocol really tried
 * against a listener started outside, which then checks that nothing
 * arrived.  Loopback inside the sandbox and Unix sockets keep working.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "escape/harness.c"

static struct sb S;
static struct sb_result R;

static void up(void) { sb_setup(&S); }
static void down(void) { sb_result_free(&R); sb_teardown(&S); }

TestSuite(rt_net, .init = up, .fini = down);

#define ONLINE_POLICY \
	"sbxpol 1;\npolicy t { param WORKSPACE, TMPDIR; readonly \"/\"; " \
	"writable \"${WORKSPACE}\", \"${TMPDIR}\"; network online; limit wall 60s; }\n"

static void helper(const char *policy, const char *name, const char *a1, const char *a2)
{
	sb_result_free(&R);
	sb_helper(&S, policy, name, a1, a2, &R);
}

static void expect_refused(void)
{
	cr_expect_neq(R.code, 0, "%s", R.out);
	cr_expect(strncmp(R.out, "refused", 7) == 0, "%s", R.out);
}

Test(rt_net, tcp_to_outside_listener_refused)
{
	int port, fd = sb_listen4(SOCK_STREAM, &port);
	char p[16];
	snprintf(p, sizeof p, "%d", port);
	helper(STD_POLICY, "tcp4", "127.0.0.1", p);
	expect_refused();
	cr_expect(!sb_touched(fd, SOCK_STREAM), "the outside listener got a connection");
	close(fd);
}

Test(rt_net, udp_to_outside_listener_never_arrives)
{
	int port, fd = sb_listen4(SOCK_DGRAM, &port);
	char p[16];
	snprintf(p, sizeof p, "%d", port);
	helper(STD_POLICY, "udp4", "127.0.0.1", p);
	/* sendto may "succeed" into the sandbox's own loopback; it must not arrive here. */
	usleep(100000);
	cr_expect(!sb_touched(fd, SOCK_DGRAM), "a datagram reached the outside listener");
	close(fd);
}

Test(rt_net, ipv6_to_outside_listener_refused)
{
	int port, fd = sb_listen6(&port);
	if (fd < 0)
		cr_skip_test("no IPv6 loopback on this machine");
	char p[16];
	snprintf(p, sizeof p, "%d", port);
	helper(STD_POLICY, "tcp6", p, NULL);
	expect_refused();
	cr_expect(!sb_touched(fd, SOCK_STREAM), "the outside listener got a connection");
	close(fd);
}

Test(rt_net, tcp_to_public_address_unreachable)
{
	helper(STD_POLICY, "tcp4", "1.1.1.1", "80");
	expect_refused();
	cr_expect(strstr(R.out, "unreachable") != NULL, "%s", R.out);
}

Test(rt_net, udp_to_public_address_unreachable)
{
	helper(STD_POLICY, "udp4", "8.8.8.8", "53");
	expect_refused();
}

Test(rt_net, raw_icmp_socket_refused)
{
	helper(STD_POLICY, "raw", NULL, NULL);
	expect_refused();
}

Test(rt_net, raw_icmpv6_socket_refused)
{
	helper(STD_POLICY, "raw6", NULL, NULL);
	expect_refused();
}

Test(rt_net, packet_socket_refused)
{
	helper(STD_POLICY, "packet", NULL, NULL);
	expect_refused();
}

Test(rt_net, vsock_refused)
{
	helper(STD_POLICY, "vsock", NULL, NULL);
	expect_refused();
}

Test(rt_net, dns_fails)
{
	helper(STD_POLICY, "dns", "example.com", NULL);
	expect_refused();
}

Test(rt_net, abstract_unix_socket_outside_unreachable)
{
	char name[64];
	snprintf(name, sizeof name, "sbx-test-%d", (int)getpid());
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	memcpy(a.sun_path + 1, name, strlen(name));
	socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name));
	cr_assert(fd >= 0 && bind(fd, (struct sockaddr *)&a, len) == 0 && listen(fd, 4) == 0);
	helper(STD_POLICY, "abstract", name, NULL);
	expect_refused();
	cr_expect(!sb_touched(fd, SOCK_STREAM));
	/* Online too: the Landlock scope alone must refuse it. */
	helper(ONLINE_POLICY, "abstract", name, NULL);
	expect_refused();
	cr_expect(!sb_touched(fd, SOCK_STREAM));
	close(fd);
}

Test(rt_net, loopback_server_and_client_inside_work)
{
	helper(STD_POLICY, "loopback", NULL, NULL);
	cr_expect_eq(R.code, 0, "%s", R.out);
	cr_expect(strstr(R.out, "got ping") != NULL, "%s", R.out);
}

Test(rt_net, unix_socket_in_workspace_works)
{
	if (system("command -v python3 >/dev/null 2>&1") != 0)
		cr_skip_test("python3 is not installed");
	sb_sh(&S, STD_POLICY,
	      "python3 -c 'import socket,os\n"
	      "s=socket.socket(socket.AF_UNIX); s.bind(\"sock\"); s.listen(1)\n"
	      "c=socket.socket(socket.AF_UNIX); c.connect(\"sock\"); a,_=s.accept()\n"
	      "c.send(b\"hi\"); print(a.recv(2).decode())'", &R);
	cr_expect_eq(R.code, 0, "%s", R.out);
	cr_expect_str_eq(R.out, "hi\n");
}

Test(rt_net, online_policy_reaches_outside_listener)
{
	/* The control: the same helper connects when the policy allows it. */
	int port, fd = sb_listen4(SOCK_STREAM, &port);
	char p[16];
	snprintf(p, sizeof p, "%d", port);
	helper(ONLINE_POLICY, "tcp4", "127.0.0.1", p);
	cr_expect_eq(R.code, 0, "%s", R.out);
	cr_expect(sb_touched(fd, SOCK_STREAM));
	close(fd);
}

/* A listening pathname Unix socket at dir/name, outside any sandbox. */
static int unix_listener(const char *dir, const char *name)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	snprintf(a.sun_path, sizeof a.sun_path, "%s/%s", dir, name);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	cr_assert(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && listen(fd, 4) == 0,
	          "%s", a.sun_path);
	return fd;
}

Test(rt_net, unix_socket_under_denied_path_unreachable)
{
	/* An agent socket in ~/.ssh: the cover hides it. */
	int fd = unix_listener(S.home, ".ssh/agent.sock");
	char *path = sb_fmt("%s/.ssh/agent.sock", S.home);
	helper(STD_POLICY, "unix", path, NULL);
	expect_refused();
	cr_expect(!sb_touched(fd, SOCK_STREAM), "the agent got a connection");
	close(fd);
	free(path);
}

/*
 * Connects to the Unix socket named by its argument.  Not this test binary:
 * a checkout under /tmp is out of sight under the policy's private /tmp,
 * and a sanitizer build's shadow memory would not fit the policy's memory
 * limit.  perl-base is essential in Debian.
 */
#define PERL_CONNECT "perl -e 'use Socket; socket(S, PF_UNIX, SOCK_STREAM, 0) or die; " \
	"if (connect(S, pack_sockaddr_un($ARGV[0]))) { print \"ok: connected\\n\"; exit 0 } " \
	"print \"refused: $!\\n\"; exit 1'"

/*
 * The shipped workspace-write policy, compiled from policies/ by sbxc: a
 * GNU screen session, Tailscale's and CRI-O's sockets, made where those
 * daemons put them, are out of reach.  Root only (they live under /run);
 * a path the host already has is left alone.
 */
Test(rt_net, shipped_policy_hides_daemon_sockets)
{
	if (geteuid() != 0)
		cr_skip_test("needs root: makes daemon sockets under /run");
	if (system("command -v perl >/dev/null 2>&1") != 0)
		cr_skip_test("perl is not installed");
	const char *dirs[] = { "/run/screen", "/run/tailscale", "/run/crio" };
	const char *names[] = { "S-sbx/1.pts-0.sbx", "tailscaled.sock", "crio.sock" };
	char *blob = sb_fmt("%s/ww.sbxblob", S.root);
	char *cmd = sb_fmt("%s compile %s/policies/workspace-write.sbxpol -o '%s'", SBXC_PATH,
	                   SBX_SOURCE_DIR, blob);
	cr_assert_eq(t_run(cmd, NULL), 0, "%s", cmd);
	free(cmd);

	int tried = 0;
	for (size_t i = 0; i < 3; i++) {
		struct stat st;
		if (stat(dirs[i], &st) == 0)
			continue;   /* the host's own: not ours to touch */
		char *sub = sb_fmt("%s/S-sbx", dirs[i]);
		cr_assert_eq(mkdir(dirs[i], 0755), 0);
		if (i == 0)
			cr_assert_eq(mkdir(sub, 0700), 0);
		int fd = unix_listener(dirs[i], names[i]);
		char *path = sb_fmt("%s/%s", dirs[i], names[i]), *out = NULL;
		cmd = sb_fmt("%s/sbxrun --policy '%s' --cwd '%s' --var HOME='%s' --var TMPDIR='%s' -- "
		             PERL_CONNECT " '%s'", SBX_BINARY_DIR, blob, S.ws, S.home, S.tmp, path);
		int rc = t_run(cmd, &out);
		cr_expect_neq(rc, 0, "%s reached: %s", path, out);
		cr_expect(strstr(out, "refused") != NULL, "%s: %s", path, out);
		cr_expect(!sb_touched(fd, SOCK_STREAM), "%s got a connection", path);
		close(fd);
		unlink(path);
		rmdir(sub);
		rmdir(dirs[i]);
		free(out);
		free(cmd);
		free(path);
		free(sub);
		tried++;
	}
	cr_expect(tried > 0, "every daemon directory exists on this host: nothing was tried");
	free(blob);
}

Test(rt_net, unix_socket_on_readable_path_reachable_by_design)
{
	/* Landlock (ABI 7) does not restrict connect() on pathname sockets, and the
	   issue wants Unix sockets on allowed paths to work: a daemon socket under
	   a readable tree is reachable unless the policy denies it. */
	int fd = unix_listener(S.outside, "daemon.sock");
	char *path = sb_fmt("%s/daemon.sock", S.outside);
	helper(STD_POLICY, "unix", path, NULL);
	cr_expect_eq(R.code, 0, "%s", R.out);
	cr_expect(sb_touched(fd, SOCK_STREAM));
	close(fd);
	free(path);
}
