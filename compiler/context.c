/* context.c - the compiler context: owns sources, trees, -D bindings, diagnostics. */
#include "compiler.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void sbx_compiler_init(struct sbx_compiler *c)
{
	memset(c, 0, sizeof *c);
	sbx_diags_init(&c->diags);
	c->targets = SBX_TARGET_ALL;
}

static void source_free(struct sbx_source *s)
{
	if (!s)
		return;
	free(s->path);
	free(s->text);
	free(s);
}

void sbx_compiler_free(struct sbx_compiler *c)
{
	for (size_t i = 0; i < c->nfiles; i++)
		sbx_ast_free(c->files[i]);
	for (size_t i = 0; i < c->nsources; i++)
		source_free(c->sources[i]);
	for (size_t i = 0; i < c->ndefines; i++) {
		free(c->defines[i].name);
		free(c->defines[i].value);
	}
	free(c->files);
	free(c->sources);
	free(c->defines);
	sbx_diags_free(&c->diags);
	memset(c, 0, sizeof *c);
}

static const struct sbx_loc no_loc;

int sbx_compiler_define(struct sbx_compiler *c, const char *name_eq_value)
{
	const char *eq = strchr(name_eq_value, '=');
	if (!eq || eq == name_eq_value) {
		sbx_error(&c->diags, no_loc, "-D expects NAME=VALUE, got '%s'", name_eq_value);
		return -1;
	}
	size_t nlen = (size_t)(eq - name_eq_value);
	for (size_t i = 0; i < c->ndefines; i++) {
		if (strlen(c->defines[i].name) == nlen && !memcmp(c->defines[i].name, name_eq_value, nlen)) {
			sbx_error(&c->diags, no_loc, "-D %.*s is given twice", (int)nlen, name_eq_value);
			return -1;
		}
	}
	struct sbx_define *v = realloc(c->defines, (c->ndefines + 1) * sizeof *v);
	if (!v)
		goto oom;
	c->defines = v;
	struct sbx_define def = { strndup(name_eq_value, nlen), strdup(eq + 1), 0 };
	if (!def.name || !def.value) {
		free(def.name);
		free(def.value);
		goto oom;
	}
	c->defines[c->ndefines++] = def;
	return 0;
oom:
	sbx_error(&c->diags, no_loc, "out of memory");
	return -1;
}

/* Takes ownership of src and parses it; records both in the context. */
static struct sbx_ast_file *adopt(struct sbx_compiler *c, struct sbx_source *src)
{
	struct sbx_source **sv = realloc(c->sources, (c->nsources + 1) * sizeof *sv);
	if (!sv) {
		source_free(src);
		return NULL;
	}
	c->sources = sv;
	struct sbx_ast_file **fv = realloc(c->files, (c->nfiles + 1) * sizeof *fv);
	if (!fv) {
		source_free(src);
		return NULL;
	}
	c->files = fv;
	struct sbx_ast_file *f = sbx_parse(src, &c->diags);
	if (!f) {
		source_free(src);
		return NULL;
	}
	c->sources[c->nsources++] = src;
	c->files[c->nfiles++] = f;
	return f;
}

struct sbx_ast_file *sbx_load_text(struct sbx_compiler *c, const char *name,
                                   const char *text, size_t len)
{
	struct sbx_source *src = calloc(1, sizeof *src);
	if (!src || !(src->path = strdup(name)) || !(src->text = malloc(len + 1))) {
		source_free(src);
		sbx_error(&c->diags, no_loc, "out of memory");
		return NULL;
	}
	memcpy(src->text, text, len);
	src->text[len] = '\0';
	src->len = len;
	struct sbx_ast_file *f = adopt(c, src);
	if (!f)
		sbx_error(&c->diags, no_loc, "out of memory");
	return f;
}

/* Reads a regular file of bounded size into a new source. */
static struct sbx_source *read_source(struct sbx_compiler *c, const char *path, struct sbx_loc from)
{
	FILE *fp = fopen(path, "rb");
	struct stat st;
	if (!fp) {
		sbx_error(&c->diags, from, "cannot open '%s': %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode)) {
		sbx_error(&c->diags, from, "'%s' is not a regular file", path);
		fclose(fp);
		return NULL;
	}
	if (st.st_size > (off_t)SBX_MAX_SOURCE_SIZE) {
		sbx_error(&c->diags, from, "'%s' is too large (limit is %u bytes)", path, SBX_MAX_SOURCE_SIZE);
		fclose(fp);
		return NULL;
	}
	struct sbx_source *src = calloc(1, sizeof *src);
	size_t cap = (size_t)st.st_size + 1;
	if (!src || !(src->path = strdup(path)) || !(src->text = malloc(cap))) {
		source_free(src);
		fclose(fp);
		sbx_error(&c->diags, from, "out of memory");
		return NULL;
	}
	src->len = fread(src->text, 1, cap - 1, fp);
	int err = ferror(fp) || fgetc(fp) != EOF;  /* grew while reading: refuse */
	fclose(fp);
	if (err) {
		sbx_error(&c->diags, from, "cannot read '%s' (it changed while being read?)", path);
		source_free(src);
		return NULL;
	}
	src->text[src->len] = '\0';
	return src;
}

struct sbx_ast_file *sbx_load(struct sbx_compiler *c, const char *path, struct sbx_loc from)
{
	for (size_t i = 0; i < c->nsources; i++)
		if (!strcmp(c->sources[i]->path, path))
			return c->files[i];
	struct sbx_source *src = read_source(c, path, from);
	if (!src)
		return NULL;
	struct sbx_ast_file *f = adopt(c, src);
	if (!f)
		sbx_error(&c->diags, from, "out of memory");
	return f;
}
