/* main.c - the sbxc command line: compile, check, explain. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* Writes next to `path`, then renames over it: readers see old or new, never half. */
static int write_atomically(const char *path, const uint8_t *data, size_t len)
{
	if (snprintf(tmp_path, sizeof tmp_path, "%s.tmp-XXXXXX", path) >= (int)sizeof tmp_path) {
		fprintf(stderr, "sbxc: output path too long: %s\n", path);
		return -1;
	}
	int fd = mkstemp(tmp_path);
	if (fd < 0) {
		fprintf(stderr, "sbxc: cannot create a file next to '%s': %s\n", path, strerror(errno));
		return -1;
	}
	tmp_active = 1;
	mode_t mask = umask(0);
	umask(mask);
	int ok = fchmod(fd, 0644 & ~mask) == 0 && write_all(fd, data, len) == 0 && fsync(fd) == 0;
	int saved = errno;
	ok = (close(fd) == 0) && ok;
	if (ok && rename(tmp_path, path) == 0) {
		tmp_active = 0;
		return 0;
	}
	if (!ok)
		errno = saved;
	fprintf(stderr, "sbxc: cannot write '%s': %s\n", path, strerror(errno));
	unlink(tmp_path);
	tmp_active = 0;
	return -1;
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
