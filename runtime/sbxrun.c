/*
 * sbxrun - run a command under a compiled sbx policy.
 *
 *   sbxrun --policy P.sbxblob [--var NAME=VALUE]... [--cwd DIR]
 *          [--log FILE | --log-fd N] -- CMD [ARGS...]
 *
 * Exit status, as env(1): the command's own; 128+N when it died from
 * signal N; 125 (and one line on stderr) when the sandbox could not be set
 * up; 126 when CMD could not be executed; 127 when it was not found.
 */
#include "sbx/sbxrt.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#define EXIT_SETUP    125
#define EXIT_NOEXEC   126
#define EXIT_NOTFOUND 127
#define MAX_VARS      64

struct args {
	const char *policy;
	const char *vars[MAX_VARS];
	int nvars;
	const char *cwd;
	const char *log_path;
	int log_fd;
	char **argv;
};

static void usage(FILE *f)
{
	fputs("usage: sbxrun --policy P.sbxblob [--var NAME=VALUE]... [--cwd DIR]\n"
	      "              [--log FILE | --log-fd N] -- CMD [ARGS...]\n", f);
}

static int die(const char *what, const char *detail)
{
	fprintf(stderr, "sbxrun: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
	return EXIT_SETUP;
}

static int parse_fd(const char *s, int *fd)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || v < 0 || v > 1 << 20 || fcntl((int)v, F_GETFD) < 0)
		return -1;
	*fd = (int)v;
	return 0;
}

/* 0 when parsed, else the exit status to use. */
static int parse_args(int argc, char **argv, struct args *a)
{
	static const struct option opts[] = {
		{ "policy", required_argument, NULL, 'p' }, { "var", required_argument, NULL, 'v' },
		{ "cwd", required_argument, NULL, 'C' },    { "log", required_argument, NULL, 'l' },
		{ "log-fd", required_argument, NULL, 'L' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	a->log_fd = -1;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (c == 'p')
			a->policy = optarg;
		else if (c == 'v' && a->nvars < MAX_VARS)
			a->vars[a->nvars++] = optarg;
		else if (c == 'v')
			return die("too many --var options (limit is 64)", NULL);
		else if (c == 'C')
			a->cwd = optarg;
		else if (c == 'l')
			a->log_path = optarg;
		else if (c == 'L' && parse_fd(optarg, &a->log_fd) != 0)
			return die("--log-fd needs an open file descriptor", optarg);
		else if (c == 'h') {
			usage(stdout);
			exit(0);
		} else if (c != 'L') {
			usage(stderr);
			return EXIT_SETUP;
		}
	}
	if (!a->policy)
		return die("no policy: pass --policy P.sbxblob", NULL);
	if (optind >= argc)
		return die("no command: pass -- CMD [ARGS...]", NULL);
	if (a->log_path && a->log_fd >= 0)
		return die("--log and --log-fd are exclusive", NULL);
	a->argv = argv + optind;
	return 0;
}

static int bind_vars(struct sbx_ctx *ctx, const struct args *a)
{
	for (int i = 0; i < a->nvars; i++) {
		char name[256];
		const char *eq = strchr(a->vars[i], '=');
		if (!eq || eq == a->vars[i] || (size_t)(eq - a->vars[i]) >= sizeof name)
			return die("--var needs NAME=VALUE", a->vars[i]);
		memcpy(name, a->vars[i], (size_t)(eq - a->vars[i]));
		name[eq - a->vars[i]] = 0;
		if (sbx_ctx_bind(ctx, name, eq + 1) != SBX_OK)
			return die(sbx_ctx_error(ctx), NULL);
	}
	return 0;
}

/* Signals for the sandbox arrive on a signalfd and sbx_proc_wait forwards them. */
static int forward_signals(sigset_t *set)
{
	sigemptyset(set);
	const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		sigaddset(set, sigs[i]);
	if (sigprocmask(SIG_BLOCK, set, NULL) != 0)
		return -1;
	return signalfd(-1, set, SFD_CLOEXEC);
}

static int spawn_code(int rc)
{
	if (rc == SBX_E_NOTFOUND)
		return EXIT_NOTFOUND;
	return rc == SBX_E_NOEXEC ? EXIT_NOEXEC : EXIT_SETUP;
}

/* `cd /tmp && sbxrun ...` under a private /tmp runs the command in an empty
   directory of its own, not in the host's /tmp: say so before it starts. */
static void warn_private_cwd(const struct sbx_ctx *ctx, const char *cwd)
{
	const struct sbx_view *v = sbx_ctx_view(ctx);
	char *real = cwd ? realpath(cwd, NULL) : getcwd(NULL, 0);
	for (size_t i = 0; v && real && i < v->nrules; i++) {
		const struct sbx_path *p = &v->paths[v->rules[i].path];
		const char *path = sbx_view_str(v, p->suffix);
		if (v->rules[i].kind == SBX_FS_PRIVATE && p->param == SBX_NONE && path &&
		    !strcmp(path, real))
			fprintf(stderr, "sbxrun: warning: %s is private in this policy: the command runs in "
			        "an empty directory of its own there, not in the host's %s\n", real, real);
	}
	free(real);
}

/* Does the policy make ${WORKSPACE} itself writable? */
static int workspace_writable(const struct sbx_view *v)
{
	for (size_t i = 0; v && i < v->nrules; i++) {
		const struct sbx_path *p = &v->paths[v->rules[i].path];
		if (v->rules[i].kind == SBX_FS_WRITABLE && p->param != SBX_NONE &&
		    !strcmp(sbx_view_str(v, v->params[p->param].name), "WORKSPACE") &&
		    !sbx_view_str(v, p->suffix)[0])
			return 1;
	}
	return 0;
}

/*
 * Run from the home directory (or from above it: /home), the default
 * workspace holds all of it: shell startup files, other repositories'
 * hooks, ~/.local/bin.  Say so (a --var WORKSPACE=~ is taken as meant;
 * "/" itself is refused by sbx_spawn).
 */
static void warn_home_workspace(const struct sbx_ctx *ctx, const struct args *a)
{
	const char *home = getenv("HOME");
	for (int i = 0; i < a->nvars; i++)
		if (!strncmp(a->vars[i], "WORKSPACE=", 10))
			return;
	if (!home || !home[0] || !workspace_writable(sbx_ctx_view(ctx)))
		return;
	char *real_ws = a->cwd ? realpath(a->cwd, NULL) : getcwd(NULL, 0);
	char *real_home = realpath(home, NULL);
	size_t n = real_ws ? strlen(real_ws) : 0;
	if (real_home && n > 1 && !strncmp(real_ws, real_home, n) &&
	    (real_home[n] == 0 || real_home[n] == '/'))
		fprintf(stderr, "sbxrun: warning: the workspace %s%s your home directory%s%s: the "
		        "command may change everything in it but the policy's denied paths (shell "
		        "startup files included); run from a project directory or pass --var "
		        "WORKSPACE=DIR\n", real_ws, real_home[n] ? " holds" : " is",
		        real_home[n] ? " " : "", real_home[n] ? real_home : "");
	free(real_ws);
	free(real_home);
}

static int run(struct sbx_ctx *ctx, const struct args *a, int log_fd)
{
	sigset_t set;
	int sfd = forward_signals(&set);
	struct sbx_spawn_opts o;
	memset(&o, 0, sizeof o);
	o.argv = (const char *const *)a->argv;
	o.cwd = a->cwd;
	sbx_ctx_set_log_fd(ctx, log_fd);
	warn_private_cwd(ctx, a->cwd);
	warn_home_workspace(ctx, a);
	struct sbx_proc proc;
	int rc = sbx_spawn(ctx, &o, &proc);
	if (rc != SBX_OK) {
		fprintf(stderr, "sbxrun: %s\n", sbx_ctx_error(ctx));
		if (sfd >= 0)
			close(sfd);
		return spawn_code(rc);
	}
	proc.forward_fd = sfd;
	struct sbx_exit ex;
	rc = sbx_proc_wait(&proc, &ex);
	if (sfd >= 0)
		close(sfd);
	if (rc != SBX_OK)
		return die("waiting for the sandbox failed", sbx_rt_strerror(rc));
	if (ex.limit)
		fprintf(stderr, "sbxrun: the %s limit was reached; %s\n", ex.limit,
		        !strcmp(ex.limit, "processes") ? "a fork was refused" :
		        !strcmp(ex.limit, "memory") ? "the kernel killed a process of the sandbox" :
		        "the sandbox was killed");
	if (ex.appeared)
		fprintf(stderr, "sbxrun: warning: the command created %d protected path(s) that did not "
		        "exist before (see \"appeared\" in the log); check them before trusting them\n",
		        ex.appeared);
	return ex.code;
}

/* A closed 0, 1 or 2 becomes /dev/null, so that no descriptor sbxrun opens
   later lands there and leaks into the command as its stdio. */
static void fill_stdio(void)
{
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", fd ? O_WRONLY : O_RDONLY) != fd)
			exit(EXIT_SETUP);
}

int main(int argc, char **argv)
{
	struct args a;
	fill_stdio();
	/* A log reader that went away must not kill the launcher (and with it the
	   sandbox); the command gets default dispositions back from init. */
	signal(SIGPIPE, SIG_IGN);
	memset(&a, 0, sizeof a);
	int rc = parse_args(argc, argv, &a);
	if (rc)
		return rc;
	struct sbx_ctx *ctx = sbx_ctx_create();
	if (!ctx)
		return die("out of memory", NULL);
	int log_fd = a.log_fd;
	if (a.log_path && (log_fd = open(a.log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)) < 0)
		rc = die("cannot open the log file", strerror(errno));
	if (!rc && sbx_ctx_open_blob(ctx, a.policy) != SBX_OK)
		rc = die(sbx_ctx_error(ctx), NULL);
	if (!rc)
		rc = bind_vars(ctx, &a);
	if (!rc)
		rc = run(ctx, &a, log_fd);
	if (a.log_path && log_fd >= 0)
		close(log_fd);
	sbx_ctx_destroy(&ctx);
	return rc;
}
