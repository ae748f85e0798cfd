/* support.c - helpers shared by the tests. */
#include "support.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

struct sbx_ast_file *t_parse(struct sbx_compiler *c, const char *text)
{
	return sbx_load_text(c, "test.sbxpol", text, strlen(text));
}

char *t_render(const struct sbx_compiler *c)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	if (!f)
		return NULL;
	sbx_diags_render(&c->diags, f);
	fclose(f);
	return buf;
}

int t_compile(const char *text, const char *name, uint32_t targets,
              uint8_t **blob, size_t *len, char **diag_out)
{
	struct sbx_compiler c;
	struct sbx_ir_policy p;
	int rc = -1;

	*blob = NULL;
	*len = 0;
	memset(&p, 0, sizeof p);
	sbx_compiler_init(&c);
	c.targets = targets;
	struct sbx_ast_file *f = t_parse(&c, text);
	if (f && c.diags.nerrors == 0 && sbx_sema(&c, f, name, &p) == 0) {
		rc = sbx_emit(&c, &p, blob, len);
		sbx_ir_policy_free(&p);
	}
	if (diag_out)
		*diag_out = t_render(&c);
	sbx_compiler_free(&c);
	return rc;
}

/* Reads a stream to its end into malloc'd memory (NUL-terminated). */
static char *slurp(FILE *in, size_t *len)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *m = open_memstream(&buf, &size);
	if (!m)
		return NULL;
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, in)) > 0)
		fwrite(chunk, 1, n, m);
	fclose(m);
	if (len)
		*len = size;
	return buf;
}

int t_run(const char *cmd, char **output)
{
	char *full = NULL;
	if (asprintf(&full, "(%s) 2>&1", cmd) < 0)
		return -1;
	FILE *p = popen(full, "r");
	free(full);
	if (!p)
		return -1;
	char *buf = slurp(p, NULL);
	int st = pclose(p);
	if (output)
		*output = buf;
	else
		free(buf);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

char *t_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = slurp(f, len);
	fclose(f);
	return buf;
}

int t_write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	size_t w = fwrite(data, 1, len, f);
	return (fclose(f) == 0 && w == len) ? 0 : -1;
}

char *t_tmpdir(void)
{
	char *path = strdup("/tmp/sbx-test-XXXXXX");
	if (path && !mkdtemp(path)) {
		free(path);
		return NULL;
	}
	return path;
}
