/*
 * harness.c - see harness.h.  Included once by each tests/test_rt_*.c.
 */
#include "harness.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/ioctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <linux/vm_sockets.h>
#include <sched.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "sbx/sbxrt.h"
#include "support.h"

/* ---------------- helpers run inside the sandbox ---------------- */

static int h_report(int ok, const char *what)
{
	printf("%s: %s\n", ok ? "ok" : "refused", ok ? what : strerror(errno));
	return ok ? 0 : 1;
}

static int h_caps(void)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");
	if (!f)
		return 2;
	while (fgets(line, sizeof line, f))
		if (!strncmp(line, "Cap", 3) || !strncmp(line, "NoNewPrivs", 10) || !strncmp(line, "Uid", 3))
			fputs(line, stdout);
	fclose(f);
	printf("euid=%d\n", (int)geteuid());
	return 0;
}

static int h_connect4(const char *host, const char *port, int type)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port)) };
	inet_pton(AF_INET, host, &a.sin_addr);
	int fd = socket(AF_INET, type, 0);
	if (fd < 0)
		return h_report(0, "socket");
	if (type == SOCK_DGRAM) {
		for (int i = 0; i < 5; i++)
			if (sendto(fd, "x", 1, 0, (struct sockaddr *)&a, sizeof a) != 1)
				return h_report(0, "sendto");
		return h_report(1, "sent");
	}
	return h_report(connect(fd, (struct sockaddr *)&a, sizeof a) == 0, "connected");
}

static int h_connect6(const char *port)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)atoi(port)) };
	a.sin6_addr = in6addr_loopback;
	int fd = socket(AF_INET6, SOCK_STREAM, 0);
	if (fd < 0)
		return h_report(0, "socket");
	return h_report(connect(fd, (struct sockaddr *)&a, sizeof a) == 0, "connected");
}

static int h_socket(int domain, int type, int proto)
{
	int fd = socket(domain, type, proto);
	return h_report(fd >= 0, "socket created");
}

static int h_abstract(const char *name)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	size_t n = strlen(name);
	memcpy(a.sun_path + 1, name, n);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	return h_report(connect(fd, (struct sockaddr *)&a, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n)) == 0,
	                "connected");
}

static int h_unix(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	return h_report(connect(fd, (struct sockaddr *)&a, sizeof a) == 0, "connected");
}

/* Opens a file by a handle computed outside the sandbox ("type:hex"), reads it. */
static int h_byhandle(const char *spec)
{
	unsigned char buf[sizeof(struct file_handle) + 128];
	struct file_handle *fh = (struct file_handle *)buf;
	int type = atoi(spec);
	const char *hex = strchr(spec, ':');
	size_t n = 0;
	for (hex = hex ? hex + 1 : ""; hex[0] && hex[1] && n < 128; hex += 2)
		sscanf(hex, "%2hhx", &fh->f_handle[n++]);
	fh->handle_bytes = (unsigned)n;
	fh->handle_type = type;
	int mfd = open("/", O_RDONLY | O_DIRECTORY);
	int fd = open_by_handle_at(mfd, fh, O_RDONLY);
	if (fd < 0)
		return h_report(0, "open_by_handle_at");
	char data[128] = "";
	ssize_t r = read(fd, data, sizeof data - 1);
	printf("read %zd: %s\n", r, data);
	return 0;
}

/* renameat2(RENAME_EXCHANGE): swaps two paths atomically. */
static int h_exchange(const char *a, const char *b)
{
	return h_report(renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) == 0, "exchanged");
}

static int h_mknod(const char *path)
{
	return h_report(mknod(path, S_IFCHR | 0666, makedev(1, 3)) == 0, "made a device node");
}

/* Looks a "user" key up by description in the keyrings the process can search. */
static int h_findkey(const char *desc)
{
	long id = syscall(SYS_request_key, "user", desc, NULL, 0);
	return h_report(id >= 0, "found the key");
}

/* The user keyring (@u) of whoever runs the sandbox, root's included. */
static int h_userkeyring(void)
{
	long id = syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -4 /* @u */, 0);
	return h_report(id >= 0, "reached the user keyring");
}

static int h_dns(const char *host)
{
	struct addrinfo *res = NULL;
	int rc = getaddrinfo(host, "80", NULL, &res);
	if (res)
		freeaddrinfo(res);
	printf("%s: %s\n", rc == 0 ? "ok" : "refused", rc == 0 ? "resolved" : gai_strerror(rc));
	return rc == 0 ? 0 : 1;
}

static int h_kill(const char *pid)
{
	return h_report(kill(atoi(pid), SIGTERM) == 0, "signalled");
}

static int h_ptrace(const char *pid)
{
	return h_report(ptrace(PTRACE_ATTACH, atoi(pid), NULL, NULL) == 0, "attached");
}

static int h_spin(void)
{
	for (volatile unsigned long i = 0;; i++)
		;
	return 0;
}

/* Forks up to n children that stay alive; prints how many it got, then ends them. */
static int h_forkbomb(const char *n)
{
	long want = atol(n), got = 0;
	for (; got < want; got++) {
		pid_t p = fork();
		if (p < 0)
			break;
		if (p == 0) {
			pause();
			_exit(0);
		}
	}
	printf("forked %ld\n", got);
	fflush(stdout);
	kill(0, SIGKILL);
	return 0;
}

/* A TCP server and client on 127.0.0.1 inside the sandbox. */
static int h_loopback(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) || listen(s, 1) ||
	    getsockname(s, (struct sockaddr *)&a, &len))
		return h_report(0, "listen");
	int c = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(c, (struct sockaddr *)&a, sizeof a) != 0)
		return h_report(0, "connect");
	int k = accept(s, NULL, NULL);
	char buf[8] = "";
	if (k < 0 || write(c, "ping", 4) != 4 || read(k, buf, 4) != 4)
		return h_report(0, "exchange");
	printf("got %s\n", buf);
	return strcmp(buf, "ping") != 0;
}

/* Counts SIGINTs for a while after the first one (at most 20 s in all). */
static volatile sig_atomic_t h_ints;
static void h_on_int(int sig) { (void)sig; h_ints++; }

static int h_countint(void)
{
	signal(SIGINT, h_on_int);
	printf("ready\n");
	fflush(stdout);
	for (int i = 0; i < 2000 && !h_ints; i++)
		usleep(10000);
	usleep(300000);   /* time for a second, duplicate delivery */
	printf("ints=%d\n", (int)h_ints);
	return 0;
}

/* Pushes a character into the terminal's input queue (TIOCSTI). */
static int h_tiocsti(void)
{
	char c = 'x';
	return h_report(ioctl(0, TIOCSTI, &c) == 0, "injected");
}

/* A user namespace of its own (with a network namespace: CAP_NET_ADMIN
   over it), by unshare, or by clone3 when a1 is "clone3". */
static int h_userns(const char *how)
{
	if (strcmp(how, "clone3") == 0) {
		struct { uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size,
		         tls; } args = { CLONE_NEWUSER | CLONE_NEWNET, 0, 0, 0, SIGCHLD, 0, 0, 0 };
		long pid = syscall(SYS_clone3, &args, sizeof args);
		if (pid == 0)
			_exit(0);
		if (pid > 0)
			waitpid((pid_t)pid, NULL, 0);
		return h_report(pid > 0, "created by clone3");
	}
	return h_report(unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0, "created by unshare");
}

/* From a user and mount namespace of its own (every capability there, no
   exec in between to drop them), tries to unmount and remount `mnt`. */
static int h_unlock(const char *mnt)
{
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0)
		return h_report(0, "no namespace");
	printf("inside\n");
	if (mount(NULL, mnt, NULL, MS_REMOUNT | MS_BIND, NULL) == 0)
		return h_report(1, "remounted writable");
	if (umount2(mnt, MNT_DETACH) == 0)
		return h_report(1, "unmounted");
	return h_report(0, "");
}

static int h_waitsig(void)
{
	sigset_t set;
	int sig = 0;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	printf("waiting\n");
	fflush(stdout);
	sigwait(&set, &sig);
	printf("got signal %d\n", sig);
	return 42;
}

static int run_helper(int argc, char **argv)
{
	const char *h = argv[2], *a1 = argc > 3 ? argv[3] : "", *a2 = argc > 4 ? argv[4] : "";
	if (!strcmp(h, "caps")) return h_caps();
	if (!strcmp(h, "tcp4")) return h_connect4(a1, a2, SOCK_STREAM);
	if (!strcmp(h, "udp4")) return h_connect4(a1, a2, SOCK_DGRAM);
	if (!strcmp(h, "tcp6")) return h_connect6(a1);
	if (!strcmp(h, "raw")) return h_socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	if (!strcmp(h, "raw6")) return h_socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6);
	if (!strcmp(h, "packet")) return h_socket(AF_PACKET, SOCK_RAW, 0);
	if (!strcmp(h, "vsock")) return h_socket(AF_VSOCK, SOCK_STREAM, 0);
	if (!strcmp(h, "abstract")) return h_abstract(a1);
	if (!strcmp(h, "unix")) return h_unix(a1);
	if (!strcmp(h, "byhandle")) return h_byhandle(a1);
	if (!strcmp(h, "exchange")) return h_exchange(a1, a2);
	if (!strcmp(h, "mknod")) return h_mknod(a1);
	if (!strcmp(h, "findkey")) return h_findkey(a1);
	if (!strcmp(h, "userkeyring")) return h_userkeyring();
	if (!strcmp(h, "dns")) return h_dns(a1);
	if (!strcmp(h, "kill")) return h_kill(a1);
	if (!strcmp(h, "ptrace")) return h_ptrace(a1);
	if (!strcmp(h, "spin")) return h_spin();
	if (!strcmp(h, "forkbomb")) return h_forkbomb(a1);
	if (!strcmp(h, "loopback")) return h_loopback();
	if (!strcmp(h, "waitsig")) return h_waitsig();
	if (!strcmp(h, "tiocsti")) return h_tiocsti();
	if (!strcmp(h, "userns")) return h_userns(a1);
	if (!strcmp(h, "unlock")) return h_unlock(a1);
	if (!strcmp(h, "countint")) return h_countint();
	fprintf(stderr, "unknown helper %s\n", h);
	return 99;
}

/* Runs before Criterion's main: a helper invocation never reaches it. */
__attribute__((constructor)) static void helper_entry(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "--sbx-helper") == 0) {
		int rc = run_helper(argc, argv);
		fflush(NULL);
		_exit(rc);
	}
}

/* ---------------- the test side ---------------- */

char *sb_fmt(const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	cr_assert(n >= 0, "out of memory");
	return s;
}

static void put(const char *dir, const char *name, const char *text)
{
	char *p = sb_fmt("%s/%s", dir, name);
	cr_assert_eq(t_write_file(p, text, strlen(text)), 0, "cannot write %s", p);
	free(p);
}

static char *mkdir_in(const char *dir, const char *name)
{
	char *p = sb_fmt("%s/%s", dir, name);
	cr_assert(mkdir(p, 0755) == 0 || errno == EEXIST, "mkdir %s: %s", p, strerror(errno));
	return p;
}

void sb_setup(struct sb *s)
{
	memset(s, 0, sizeof *s);
	s->root = t_tmpdir();
	cr_assert_not_null(s->root);
	chmod(s->root, 0755);
	s->ws = mkdir_in(s->root, "ws");
	s->home = mkdir_in(s->root, "home");
	s->tmp = mkdir_in(s->root, "tmp");
	s->outside = mkdir_in(s->root, "outside");
	free(mkdir_in(s->ws, ".git"));
	free(mkdir_in(s->ws, ".git/hooks"));
	free(mkdir_in(s->home, ".ssh"));
	put(s->ws, ".git/HEAD", "ref: refs/heads/main\n");
	put(s->ws, "file.txt", "workspace file\n");
	put(s->home, ".ssh/id_rsa", SECRET "\n");
	put(s->home, ".netrc", SECRET "-netrc\n");
	put(s->outside, "file", ORIGINAL);
	s->exe = realpath("/proc/self/exe", NULL);
	s->log = sb_fmt("%s/log.jsonl", s->root);
}

void sb_teardown(struct sb *s)
{
	if (s->root) {
		char *cmd = sb_fmt("chmod -R u+w '%s' 2>/dev/null; rm -rf '%s'", s->root, s->root);
		t_run(cmd, NULL);
		free(cmd);
	}
	free(s->root);
	free(s->ws);
	free(s->home);
	free(s->tmp);
	free(s->outside);
	free(s->exe);
	free(s->log);
	memset(s, 0, sizeof *s);
}

void sb_result_free(struct sb_result *r)
{
	free(r->out);
	r->out = NULL;
}

static char *read_fd_all(int fd)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	ssize_t n;
	lseek(fd, 0, SEEK_SET);
	while (buf && (n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += (size_t)n;
		if (cap - len < 2)
			buf = realloc(buf, cap *= 2);
	}
	cr_assert_not_null(buf);
	buf[len] = 0;
	return buf;
}

static void bind_std(struct sbx_ctx *ctx, const struct sb *s)
{
	/* Policies without one of these parameters refuse the name: that is fine. */
	sbx_ctx_bind(ctx, "WORKSPACE", s->ws);
	sbx_ctx_bind(ctx, "HOME", s->home);
	sbx_ctx_bind(ctx, "TMPDIR", s->tmp);
}

static const char **make_env(const struct sb *s, const char *const *extra, char **home)
{
	static const size_t max = 32;
	const char **env = calloc(max, sizeof *env);
	size_t n = 0;
	*home = sb_fmt("HOME=%s", s->home);
	env[n++] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	env[n++] = *home;
	env[n++] = "LANG=C";
	for (size_t i = 0; extra && extra[i] && n < max - 1; i++)
		env[n++] = extra[i];
	return env;
}

void sb_run(struct sb *s, const char *policy, const char *const *argv,
            const char *const *extra_env, struct sb_result *r)
{
	uint8_t *blob = NULL;
	size_t len = 0;
	char *diag = NULL;
	memset(r, 0, sizeof *r);
	int crc = t_compile(policy, NULL, SBX_PLAT_LINUX, &blob, &len, &diag);
	cr_assert_eq(crc, 0, "the test policy does not compile:\n%s", diag ? diag : "");
	free(diag);
	struct sbx_ctx *ctx = sbx_ctx_create();
	cr_assert_eq(sbx_ctx_use_blob(ctx, blob, len), SBX_OK, "%s", sbx_ctx_error(ctx));
	bind_std(ctx, s);
	int out = memfd_create("sb-out", MFD_CLOEXEC);
	int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int logfd = open(s->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	sbx_ctx_set_log_fd(ctx, logfd);
	char *home = NULL;
	const char **env = make_env(s, extra_env, &home);
	struct sbx_spawn_opts o = { .argv = argv, .cwd = s->ws, .envp = env, .redirect = 1,
	                            .stdio = { in, out, out } };
	struct sbx_proc proc;
	r->spawn_rc = sbx_spawn(ctx, &o, &proc);
	if (r->spawn_rc == SBX_OK) {
		struct sbx_exit ex;
		cr_assert_eq(sbx_proc_wait(&proc, &ex), SBX_OK);
		r->code = ex.code;
		r->signal = ex.signal;
		r->limit = ex.limit;
		r->duration_ms = ex.duration_us / 1000;
	} else
		snprintf(r->err, sizeof r->err, "%s", sbx_ctx_error(ctx));
	r->out = read_fd_all(out);
	close(out);
	close(in);
	close(logfd);
	free(env);
	free(home);
	sbx_ctx_destroy(&ctx);
	free(blob);
}

void sb_sh(struct sb *s, const char *policy, const char *script, struct sb_result *r)
{
	const char *argv[] = { "/bin/sh", "-c", script, NULL };
	sb_run(s, policy, argv, NULL, r);
	cr_assert_eq(r->spawn_rc, SBX_OK, "spawn failed: %s", r->err);
}

void sb_helper(struct sb *s, const char *policy, const char *name, const char *a1,
               const char *a2, struct sb_result *r)
{
	const char *argv[] = { s->exe, "--sbx-helper", name, a1, a2, NULL };
	sb_run(s, policy, argv, NULL, r);
	cr_assert_eq(r->spawn_rc, SBX_OK, "spawn failed: %s", r->err);
}

char *sb_read(const char *dir, const char *name)
{
	char *p = sb_fmt("%s/%s", dir, name);
	char *text = t_read_file(p, NULL);
	free(p);
	return text ? text : strdup("");
}

char *sb_write_blob(const struct sb *s, const char *policy, const char *name)
{
	uint8_t *blob = NULL;
	size_t len = 0;
	char *diag = NULL;
	cr_assert_eq(t_compile(policy, NULL, SBX_PLAT_LINUX, &blob, &len, &diag), 0, "%s", diag);
	free(diag);
	char *path = sb_fmt("%s/%s", s->root, name);
	cr_assert_eq(t_write_file(path, blob, len), 0);
	free(blob);
	return path;
}

int sb_exists(const char *dir, const char *name)
{
	char *p = sb_fmt("%s/%s", dir, name);
	int rc = access(p, F_OK) == 0;
	free(p);
	return rc;
}

void sb_deny_syscall(int nr, int err)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)nr, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (unsigned)err),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof f / sizeof f[0], f };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) != 0)
		_exit(99);
}

int sb_listen4(int type, int *port)
{
	int fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;
	cr_assert(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0);
	cr_assert(type != SOCK_STREAM || listen(fd, 8) == 0);
	cr_assert(getsockname(fd, (struct sockaddr *)&a, &len) == 0);
	*port = ntohs(a.sin_port);
	return fd;
}

int sb_listen6(int *port)
{
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct sockaddr_in6 a = { .sin6_family = AF_INET6 };
	socklen_t len = sizeof a;
	a.sin6_addr = in6addr_loopback;
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 8) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*port = ntohs(a.sin6_port);
	return fd;
}

int sb_touched(int fd, int type)
{
	char buf[16];
	if (type == SOCK_STREAM) {
		int c = accept(fd, NULL, NULL);
		if (c >= 0)
			close(c);
		return c >= 0;
	}
	return recv(fd, buf, sizeof buf, MSG_DONTWAIT) >= 0;
}
