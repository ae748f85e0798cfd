/*
 * sema_import.c - imports: load every imported file once, relative to its
 * importer; report cycles, depth and count caps (docs/language.md).
 */
#include "sema_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long find_file(const struct sema *s, const char *key)
{
	for (size_t i = 0; i < s->nfiles; i++)
		if (s->files[i].key && !strcmp(s->files[i].key, key))
			return (long)i;
	return -1;
}

/* Records a file; takes ownership of key.  Returns its index or -1. */
long sbx_sema_add_file(struct sema *s, struct sbx_ast_file *f, char *key, const char *shown)
{
	struct sfile *v = sbx_sema_grow(s->files, &s->capfiles, s->nfiles + 1, sizeof *v);
	if (!v) {
		free(key);
		return sbx_sema_oom(s);
	}
	s->files = v;
	s->files[s->nfiles] = (struct sfile){ f, key, shown, 0 };
	return (long)s->nfiles++;
}

/* The import's path: relative to the importing file's directory (or the cwd). */
static char *import_path(const struct sbx_ast_file *f, const char *rel)
{
	const char *from = f->src ? f->src->path : "";
	const char *slash = strrchr(from, '/');
	char *p = NULL;
	if (rel[0] == '/' || !slash)
		return strdup(rel);
	if (asprintf(&p, "%.*s/%s", (int)(slash - from), from, rel) < 0)
		return NULL;
	return p;
}

static void report_import_cycle(struct sema *s, size_t fi, const struct sbx_ast_item *imp)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	if (!m) {
		sbx_sema_oom(s);
		return;
	}
	size_t i = 0;
	while (i < s->depth && s->stack[i] != fi)
		i++;
	for (; i < s->depth; i++)
		fprintf(m, "%s -> ", s->files[s->stack[i]].shown);
	fputs(imp->text, m);
	fclose(m);
	sbx_error(&s->c->diags, imp->loc, "import cycle: %s", buf);
	free(buf);
}

/* The canonical path of an import (so that one file is loaded once), or NULL (reported). */
static char *import_key(struct sema *s, const struct sbx_ast_file *f, const struct sbx_ast_item *it)
{
	if (it->len == 0) {
		sbx_error(&s->c->diags, it->loc, "empty import path");
		return NULL;
	}
	char *path = import_path(f, it->text);
	if (!path) {
		sbx_sema_oom(s);
		return NULL;
	}
	char *key = realpath(path, NULL);
	if (!key)
		sbx_error(&s->c->diags, it->loc, "cannot import '%s': %s", it->text, strerror(errno));
	free(path);
	return key;
}

static void import_one(struct sema *s, const struct sbx_ast_file *f, const struct sbx_ast_item *it)
{
	if (s->depth > SBX_MAX_IMPORT_DEPTH) {
		sbx_error(&s->c->diags, it->loc, "imports nested too deeply (limit is %d)", SBX_MAX_IMPORT_DEPTH);
		return;
	}
	char *key = import_key(s, f, it);
	if (!key)
		return;
	long k = find_file(s, key);
	if (k >= 0 && s->files[k].on_stack)
		report_import_cycle(s, (size_t)k, it);
	else if (k < 0 && s->nfiles >= MAX_FILES)
		sbx_error(&s->c->diags, it->loc, "too many imported files (limit is %d)", MAX_FILES);
	struct sbx_ast_file *g = k < 0 && s->nfiles < MAX_FILES ? sbx_load(s->c, key, it->loc) : NULL;
	if (!g) {
		free(key);   /* already visited (importing twice is harmless), or an error */
		return;
	}
	k = sbx_sema_add_file(s, g, key, it->text);
	if (k >= 0)
		sbx_sema_visit_file(s, (size_t)k);
}

/* Depth-first over imports; the stack is the chain for cycle messages. */
void sbx_sema_visit_file(struct sema *s, size_t fi)
{
	const struct sbx_ast_file *f = s->files[fi].ast;
	s->files[fi].on_stack = 1;
	s->stack[s->depth++] = fi;
	for (size_t i = 0; i < f->nimports; i++)
		import_one(s, f, &f->imports[i]);
	s->depth--;
	s->files[fi].on_stack = 0;
}
