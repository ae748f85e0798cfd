/* diag.c - collect diagnostics; render them with the source line and a caret. */
#include "diag.h"

#include <stdlib.h>
#include <string.h>

void sbx_diags_init(struct sbx_diags *d)
{
	memset(d, 0, sizeof *d);
}

void sbx_diags_free(struct sbx_diags *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->v[i].msg);
	free(d->v);
	memset(d, 0, sizeof *d);
}

static int diags_push(struct sbx_diags *d, enum sbx_severity sev, struct sbx_loc loc, char *msg)
{
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		struct sbx_diag *v = realloc(d->v, cap * sizeof *v);
		if (!v)
			return -1;
		d->v = v;
		d->cap = cap;
	}
	d->v[d->n++] = (struct sbx_diag){ sev, loc, msg };
	return 0;
}

void sbx_vdiag(struct sbx_diags *d, enum sbx_severity sev, struct sbx_loc loc,
               const char *fmt, va_list ap)
{
	if (sev == SBX_SEV_ERROR)
		d->nerrors++;
	else if (sev == SBX_SEV_WARNING)
		d->nwarnings++;
	/* Past the cap, count but do not store: the renderer says how many were cut. */
	if (sev == SBX_SEV_ERROR && d->nerrors > SBX_MAX_ERRORS)
		return;
	char *msg = NULL;
	if (vasprintf(&msg, fmt, ap) < 0) {
		d->oom = 1;
		return;
	}
	if (diags_push(d, sev, loc, msg) < 0) {
		free(msg);
		d->oom = 1;
	}
}

void sbx_error(struct sbx_diags *d, struct sbx_loc loc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sbx_vdiag(d, SBX_SEV_ERROR, loc, fmt, ap);
	va_end(ap);
}

void sbx_warning(struct sbx_diags *d, struct sbx_loc loc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sbx_vdiag(d, SBX_SEV_WARNING, loc, fmt, ap);
	va_end(ap);
}

void sbx_note(struct sbx_diags *d, struct sbx_loc loc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sbx_vdiag(d, SBX_SEV_NOTE, loc, fmt, ap);
	va_end(ap);
}

/* Finds line `line` (1-based) of src; returns its start and sets *len. */
static const char *source_line(const struct sbx_source *src, uint32_t line, size_t *len)
{
	const char *p = src->text, *end = src->text + src->len;
	for (uint32_t l = 1; l < line && p < end; l++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			return NULL;
		p = nl + 1;
	}
	const char *e = p;
	while (e < end && *e != '\n' && *e != '\r')
		e++;
	*len = (size_t)(e - p);
	return p;
}

/* Prints the line with control bytes made visible, then the caret underline. */
static void render_excerpt(const struct sbx_loc *loc, FILE *out)
{
	size_t len;
	const char *line = source_line(loc->src, loc->line, &len);
	if (!line)
		return;
	fputs("    ", out);
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)line[i];
		fputc(ch == '\t' ? ' ' : (ch < 0x20 || ch == 0x7f) ? '?' : ch, out);
	}
	fputs("\n    ", out);
	size_t col = loc->col ? loc->col - 1 : 0;
	for (size_t i = 0; i < col && i < len; i++)
		fputc(' ', out);
	fputc('^', out);
	for (uint32_t i = 1; i < loc->len && col + i < len; i++)
		fputc('~', out);
	fputc('\n', out);
}

void sbx_diags_render(const struct sbx_diags *d, FILE *out)
{
	static const char *const names[] = { "error", "warning", "note" };
	for (size_t i = 0; i < d->n; i++) {
		const struct sbx_diag *m = &d->v[i];
		if (m->loc.src)
			fprintf(out, "%s:%u:%u: %s: %s\n", m->loc.src->path, m->loc.line,
			        m->loc.col, names[m->severity], m->msg);
		else
			fprintf(out, "sbxc: %s: %s\n", names[m->severity], m->msg);
		if (m->loc.src && m->loc.line)
			render_excerpt(&m->loc, out);
	}
	if (d->nerrors > SBX_MAX_ERRORS)
		fprintf(out, "sbxc: too many errors (limit is %d); %u more not shown\n",
		        SBX_MAX_ERRORS, d->nerrors - SBX_MAX_ERRORS);
	if (d->oom)
		fputs("sbxc: error: out of memory while reporting errors\n", out);
}
