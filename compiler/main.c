/* main.c - the sbxc command line: compile, check, explain. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compiler.h"
#include "explain.h"

#ifndef SBX_VERSION
#define SBX_VERSION "0"
#endif

/* Exit codes, documented in usage() and the README. */
enum {
	EXIT_OK = 0,
	EXIT_POLICY = 1,   /* the policy has errors */
	EXIT_USAGE = 2,    /* bad command line */
	EXIT_IO = 3,       /* a file could not be read or written */
	EXIT_BLOB = 4,     /* explain: the blob failed verification */
};

static const char usage_text[] =
	"usage: sbxc compile IN.sbxpol [-o OUT] [--policy NAME] [-D NAME=VALUE]... [--target T]\n"
	"       sbxc check IN.sbxpol [-D NAME=VALUE]... [--target T]\n"
	"       sbxc explain BLOB [--json]\n"
	"       sbxc --help | --version\n"
	"\n"
	"compile  compiles one policy of IN into a blob for the sbx runtime.\n"
	"         -o OUT         output file (default: IN with the extension .sbxblob);\n"
	"                        written to a temporary file and renamed, so OUT is\n"
	"                        never left half-written and is untouched on error\n"
	"         --policy NAME  the policy to compile (default: the first policy\n"
	"                        written in IN itself)\n"
	"         -D NAME=VALUE  bind parameter NAME at compile time (an absolute path)\n"
	"         --target T     linux, windows or all (default: all)\n"
	"check    checks every policy in IN; writes nothing.\n"
	"explain  verifies BLOB and prints everything it makes the runtime do, per\n"
	"         platform; --json prints the same as one JSON object.\n"
	"\n"
	"exit status: 0 success, 1 the policy has errors, 2 usage error,\n"
	"             3 a file could not be read or written, 4 the blob is invalid.\n"
	"The language is described in docs/language.md.\n";

struct options {
	const char *cmd;
	const char *input;
	const char *output;
	const char *policy;
	int json;
};

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("sbxc: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputs("\nTry 'sbxc --help'.\n", stderr);
	va_end(ap);
	return EXIT_USAGE;
}

static int parse_target(struct sbx_compiler *c, const char *t)
{
	if (!strcmp(t, "linux"))
		c->targets = SBX_TARGET_LINUX;
	else if (!strcmp(t, "windows"))
		c->targets = SBX_TARGET_WINDOWS;
	else if (!strcmp(t, "all"))
		c->targets = SBX_TARGET_ALL;
	else
		return -1;
	return 0;
}

/* Reads the options after the subcommand; returns EXIT_OK or EXIT_USAGE. */
static int parse_args(int argc, char **argv, struct options *o, struct sbx_compiler *c)
{
	int compile = !strcmp(o->cmd, "compile"), explain = !strcmp(o->cmd, "explain");
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;
		if (explain && !strcmp(a, "--json")) {
			o->json = 1;
		} else if (!explain && !strncmp(a, "-D", 2)) {
			const char *def = a[2] ? a + 2 : val;
			if (!def)
				return usage_error("%s needs NAME=VALUE", a);
			if (!a[2])
				i++;
			if (sbx_compiler_define(c, def) < 0) {
				sbx_diags_render(&c->diags, stderr);
				return EXIT_USAGE;
			}
		} else if (!explain && !strcmp(a, "--target")) {
			if (!val || parse_target(c, val) < 0)
				return usage_error("--target expects linux, windows or all");
			i++;
		} else if (compile && (!strcmp(a, "-o") || !strcmp(a, "--policy"))) {
			if (!val)
				return usage_error("%s needs a value", a);
			*(a[1] == 'o' ? &o->output : &o->policy) = val;
			i++;
		} else if (a[0] == '-' && a[1]) {
			return usage_error("unknown option '%s'", a);
		} else if (!o->input) {
			o->input = a;
		} else {
			return usage_error("unexpected argument '%s'", a);
		}
	}
	if (!o->input)
		return usage_error("%s needs an input file", o->cmd);
	return EXIT_OK;
}

/* IN.sbxpol -> IN.sbxblob; any other name gets .sbxblob appended. */
static char *default_output(const char *input)
{
	size_t n = strlen(input);
	const char *ext = ".sbxpol";
	size_t elen = strlen(ext);
	if (n > elen && !strcmp(input + n - elen, ext))
		n -= elen;
	char *out = malloc(n + sizeof ".sbxblob");
	if (out) {
		memcpy(out, input, n);
		strcpy(out + n, ".sbxblob");
	}
	return out;
}

/* The temporary output file, removed if a signal arrives mid-write. */
static volatile sig_atomic_t tmp_active;
static char tmp_path[4096];

static void on_signal(int sig)
{
	if (tmp_active)
		unlink(tmp_path);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void catch_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE };
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		signal(sigs[i], on_signal);
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * Blocks the signals catch_signals handles, so that a temporary name never
 * exists without tmp_active saying so (and the handler removing it).
 */
static void block_signals(sigset_t *old)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGPIPE);
	sigprocmask(SIG_BLOCK, &set, old);
}

static int cannot_write(const char *path)
{
	fprintf(stderr, "sbxc: cannot write '%s': %s\n", path, strerror(errno));
	return -1;
}

/* The directory of `path` ("." when it has none); -1 when it does not fit. */
static int dir_of(const char *path, char *dir, size_t size)
{
	const char *slash = strrchr(path, '/');
	size_t n = !slash ? 1 : slash == path ? 1 : (size_t)(slash - path);
	if (n >= size)
		return -1;
	memcpy(dir, slash ? path : ".", n);
	dir[n] = '\0';
	return 0;
}

/* Sets tmp_path to "PATH.tmp-" and six random letters or digits; 0 or -1. */
static int random_tmp_path(const char *path)
{
	static const char set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char r[6];
	char sfx[sizeof r + 1];
	if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
		return -1;
	for (size_t i = 0; i < sizeof r; i++)
		sfx[i] = set[r[i] % (sizeof set - 1)];
	sfx[sizeof r] = '\0';
	return snprintf(tmp_path, sizeof tmp_path, "%s.tmp-%s", path, sfx) < (int)sizeof tmp_path ? 0 : -1;
}

/*
 * Gives the complete unnamed file `proc` (/proc/self/fd/N) a temporary name
 * and renames it over `path`.  Called with signals blocked, so only SIGKILL
 * can come between the two calls.  0, -1 (errno set), or 1 when linking is
 * not possible here (no /proc, say).
 */
static int link_and_rename(const char *proc, const char *path)
{
	int linked = 0;
	for (int tries = 0; tries < 16 && !linked; tries++) {
		if (random_tmp_path(path) < 0)
			return 1;
		linked = linkat(AT_FDCWD, proc, AT_FDCWD, tmp_path, AT_SYMLINK_FOLLOW) == 0;
		if (!linked && errno != EEXIST)
			return errno == ENOENT || errno == EPERM || errno == EOPNOTSUPP ? 1 : -1;
	}
	if (!linked)
		return -1;
	if (rename(tmp_path, path) != 0) {
		int saved = errno;
		unlink(tmp_path);
		errno = saved;
		return -1;
	}
	return 0;
}

/*
 * The file is created without a name (O_TMPFILE) and named only once it is
 * written and synced, right before the rename: even SIGKILL mid-write
 * leaves nothing behind.  0, -1 (reported), or 1 when O_TMPFILE cannot be
 * used here; the caller then falls back to mkstemp, which reports the
 * errors both would meet (a read-only directory, say).
 */
static int write_via_tmpfile(const char *path, const uint8_t *data, size_t len)
{
	char dir[4096], proc[64];
	if (dir_of(path, dir, sizeof dir) < 0)
		return 1;
	int fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
	if (fd < 0)
		return 1;
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
	int rc = -1;
	if (write_all(fd, data, len) == 0 && fsync(fd) == 0) {
		sigset_t old;
		block_signals(&old);
		rc = link_and_rename(proc, path);
		sigprocmask(SIG_SETMASK, &old, NULL);
	}
	int saved = errno;
	close(fd);
	errno = saved;
	return rc < 0 ? cannot_write(path) : rc;
}

/* Writes to a named temporary file next to `path`, then renames it over `path`. */
static int write_via_mkstemp(const char *path, const uint8_t *data, size_t len)
{
	sigset_t old;
	if (snprintf(tmp_path, sizeof tmp_path, "%s.tmp-XXXXXX", path) >= (int)sizeof tmp_path) {
		fprintf(stderr, "sbxc: output path too long: %s\n", path);
		return -1;
	}
	block_signals(&old);
	int fd = mkstemp(tmp_path);
	tmp_active = fd >= 0;
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (fd < 0) {
		fprintf(stderr, "sbxc: cannot create a file next to '%s': %s\n", path, strerror(errno));
		return -1;
	}
	mode_t mask = umask(0);
	umask(mask);
	int ok = fchmod(fd, 0644 & ~mask) == 0 && write_all(fd, data, len) == 0 && fsync(fd) == 0;
	int saved = errno;
	ok = (close(fd) == 0) && ok;
	block_signals(&old);
	if (ok && rename(tmp_path, path) == 0) {
		tmp_active = 0;
		sigprocmask(SIG_SETMASK, &old, NULL);
		return 0;
	}
	if (!ok)
		errno = saved;
	cannot_write(path);
	unlink(tmp_path);
	tmp_active = 0;
	sigprocmask(SIG_SETMASK, &old, NULL);
	return -1;
}

/* Writes next to `path`, then renames over it: readers see old or new, never half. */
static int write_atomically(const char *path, const uint8_t *data, size_t len)
{
	int rc = write_via_tmpfile(path, data, len);
	return rc == 1 ? write_via_mkstemp(path, data, len) : rc;
}

static int finish(struct sbx_compiler *c, int rc)
{
	sbx_diags_render(&c->diags, stderr);
	if (rc == EXIT_OK && c->diags.nerrors)
		rc = EXIT_POLICY;
	sbx_compiler_free(c);
	return rc;
}

/* Errors that come from reading the input are I/O errors, not policy errors. */
static int load_root(struct sbx_compiler *c, const char *path, struct sbx_ast_file **out)
{
	struct sbx_loc none = { 0 };
	*out = sbx_load(c, path, none);
	if (!*out)
		return c->nfiles == 0 ? EXIT_IO : EXIT_POLICY;
	return c->diags.nerrors ? EXIT_POLICY : EXIT_OK;
}

static int cmd_compile(struct sbx_compiler *c, const struct options *o)
{
	struct sbx_ast_file *root;
	struct sbx_ir_policy p;
	uint8_t *blob = NULL;
	size_t len = 0;
	int rc = load_root(c, o->input, &root);
	if (rc != EXIT_OK)
		return finish(c, rc);
	if (sbx_sema(c, root, o->policy, &p) < 0)
		return finish(c, EXIT_POLICY);
	rc = sbx_emit(c, &p, &blob, &len) < 0 ? EXIT_POLICY : EXIT_OK;
	sbx_ir_policy_free(&p);
	if (rc == EXIT_OK && c->diags.nerrors == 0) {
		char *def = o->output ? NULL : default_output(o->input);
		const char *out = o->output ? o->output : def;
		if (!out || write_atomically(out, blob, len) < 0)
			rc = EXIT_IO;
		free(def);
	}
	free(blob);
	return finish(c, rc);
}

static int cmd_check(struct sbx_compiler *c, const struct options *o)
{
	struct sbx_ast_file *root;
	int rc = load_root(c, o->input, &root);
	if (rc == EXIT_OK && sbx_check_all(c, root) < 0)
		rc = EXIT_POLICY;
	return finish(c, rc);
}

/* Reads a regular file of at most SBX_BLOB_MAX_SIZE bytes. */
static uint8_t *read_blob(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	uint8_t *buf = NULL;
	if (fd < 0 || fstat(fd, &st) != 0) {
		fprintf(stderr, "sbxc: cannot open '%s': %s\n", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > (off_t)SBX_BLOB_MAX_SIZE) {
		fprintf(stderr, "sbxc: '%s' is not a blob: %s\n", path,
		        S_ISREG(st.st_mode) ? "too large" : "not a regular file");
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	ssize_t n = buf ? read(fd, buf, (size_t)st.st_size + 1) : -1;
	if (n < 0 || n != st.st_size) {
		fprintf(stderr, "sbxc: cannot read '%s': %s\n", path,
		        n < 0 ? strerror(errno) : "it changed while being read");
		free(buf);
		buf = NULL;
		goto out;
	}
	*len = (size_t)n;
out:
	if (fd >= 0)
		close(fd);
	return buf;
}

static int cmd_explain(const struct options *o)
{
	size_t len = 0;
	uint8_t *blob = read_blob(o->input, &len);
	if (!blob)
		return EXIT_IO;
	char err[256] = "";
	int rc = sbx_explain(blob, len, stdout, o->json, err, sizeof err);
	free(blob);
	if (rc != 0) {
		fprintf(stderr, "sbxc: %s: %s\n", o->input, err);
		return EXIT_BLOB;
	}
	if (fflush(stdout) != 0) {
		fprintf(stderr, "sbxc: cannot write the explanation: %s\n", strerror(errno));
		return EXIT_IO;
	}
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	struct options o = { 0 };
	struct sbx_compiler c;

	if (argc < 2)
		return usage_error("missing command");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage_text, stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("sbxc %s (language %d, blob format %d.%d, compiler ABI %d)\n", SBX_VERSION,
		       SBX_LANG_VERSION, SBX_BLOB_MAJOR, SBX_BLOB_MINOR, SBX_COMPILER_ABI);
		return EXIT_OK;
	}
	o.cmd = argv[1];
	if (strcmp(o.cmd, "compile") && strcmp(o.cmd, "check") && strcmp(o.cmd, "explain"))
		return usage_error("unknown command '%s'", o.cmd);
	sbx_compiler_init(&c);
	int rc = parse_args(argc, argv, &o, &c);
	if (rc != EXIT_OK) {
		sbx_compiler_free(&c);
		return rc;
	}
	catch_signals();
	if (!strcmp(o.cmd, "explain")) {
		sbx_compiler_free(&c);
		return cmd_explain(&o);
	}
	return !strcmp(o.cmd, "check") ? cmd_check(&c, &o) : cmd_compile(&c, &o);
}
