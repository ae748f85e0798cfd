/*
 * sema_policies.c - one table over the policies of the root file and its
 * imports (names are unique), and each policy's chain of parents
 * (`extends`), with unknown parents and cycles reported.
 */
#include "sema_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pol *sbx_sema_find_pol(const struct sema *s, const char *name)
{
	for (size_t i = 0; i < s->npols; i++)
		if (!strcmp(s->pols[i].ast->name.text, name))
			return &s->pols[i];
	return NULL;
}

static size_t count_policies(const struct sema *s)
{
	size_t n = 0;
	for (size_t i = 0; i < s->nfiles; i++)
		n += s->files[i].ast->npolicies;
	return n;
}

int sbx_sema_collect_policies(struct sema *s)
{
	size_t total = count_policies(s);
	s->pols = calloc(total ? total : 1, sizeof *s->pols);
	if (!s->pols)
		return sbx_sema_oom(s);
	for (size_t i = 0; i < s->nfiles; i++) {
		const struct sbx_ast_file *f = s->files[i].ast;
		for (size_t j = 0; j < f->npolicies; j++) {
			const struct sbx_ast_policy *ap = &f->policies[j];
			if (!ap->name.text || !ap->name.text[0])
				continue;   /* a name the parser could not read: already reported */
			struct pol *first = sbx_sema_find_pol(s, ap->name.text);
			if (first) {
				sbx_error(&s->c->diags, ap->name.loc, "policy '%s' is defined twice", ap->name.text);
				sbx_note(&s->c->diags, first->ast->name.loc, "the first definition is here");
			} else if (s->npols == MAX_POLICIES) {
				sbx_error(&s->c->diags, ap->name.loc, "too many policies (limit is %d)", MAX_POLICIES);
				return -1;
			} else {
				s->pols[s->npols++].ast = ap;
			}
		}
	}
	return 0;
}

/* "extends cycle: a -> b -> a", starting where the walk came back. */
static void report_extends_cycle(struct sema *s, struct pol *start)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	if (!m) {
		sbx_sema_oom(s);
		return;
	}
	struct pol *q = start;
	do {
		fprintf(m, "%s -> ", q->ast->name.text);
		q->chain = -1;
		q = q->parent;
	} while (q && q != start);
	fputs(start->ast->name.text, m);
	fclose(m);
	sbx_error(&s->c->diags, start->ast->parent.loc, "extends cycle: %s", buf);
	free(buf);
}

/* Follows parents from p; marks the whole walk fine or broken.  1 or -1. */
int sbx_sema_resolve_chain(struct sema *s, struct pol *p)
{
	struct pol *cur = p;
	s->stamp++;
	while (cur && cur->chain == 0 && cur->mark != s->stamp) {
		cur->mark = s->stamp;
		const struct sbx_ast_item *pn = &cur->ast->parent;
		if (pn->text && !(cur->parent = sbx_sema_find_pol(s, pn->text))) {
			sbx_error(&s->c->diags, pn->loc, "policy '%s' extends unknown policy '%s'",
			          cur->ast->name.text, pn->text);
			cur->chain = -1;
			break;
		}
		cur = cur->parent;
	}
	int result = 1;
	if (cur && cur->chain)
		result = cur->chain;
	else if (cur) {
		report_extends_cycle(s, cur);
		result = -1;
	}
	for (struct pol *q = p; q && q->chain == 0; q = q->parent)
		q->chain = result;
	return result;
}
