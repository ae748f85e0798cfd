/* ir.c - the normalized policy: freeing and comparing. */
#include "ir.h"

#include <stdlib.h>
#include <string.h>

void sbx_ir_policy_free(struct sbx_ir_policy *p)
{
	if (!p)
		return;
	free(p->name);
	for (size_t i = 0; i < p->nparams; i++)
		free(p->params[i].name);
	for (size_t i = 0; i < p->nrules; i++)
		free(p->rules[i].path.suffix);
	for (size_t i = 0; i < p->nenv; i++) {
		free(p->env[i].name);
		free(p->env[i].value);
	}
	free(p->params);
	free(p->rules);
	free(p->env);
	memset(p, 0, sizeof *p);
}

static int str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static int rules_equal(const struct sbx_ir_rule *a, const struct sbx_ir_rule *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (a[i].path.param != b[i].path.param || !str_eq(a[i].path.suffix, b[i].path.suffix) ||
		    a[i].path.platforms != b[i].path.platforms || a[i].kind != b[i].kind ||
		    a[i].flags != b[i].flags)
			return 0;
	}
	return 1;
}

static int env_equal(const struct sbx_ir_env *a, const struct sbx_ir_env *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i].op != b[i].op || a[i].flags != b[i].flags || !str_eq(a[i].name, b[i].name) ||
		    !str_eq(a[i].value, b[i].value))
			return 0;
	return 1;
}

static int params_equal(const struct sbx_ir_param *a, const struct sbx_ir_param *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i].flags != b[i].flags || !str_eq(a[i].name, b[i].name))
			return 0;
	return 1;
}

/* Everything but source locations and the policy name must match. */
int sbx_ir_equal(const struct sbx_ir_policy *a, const struct sbx_ir_policy *b)
{
	return a->nparams == b->nparams && a->nrules == b->nrules && a->nenv == b->nenv &&
	       a->network == b->network && a->best_effort == b->best_effort &&
	       a->userns_allowed == b->userns_allowed &&
	       a->targets == b->targets &&
	       !memcmp(&a->limits, &b->limits, sizeof a->limits) &&
	       params_equal(a->params, b->params, a->nparams) &&
	       rules_equal(a->rules, b->rules, a->nrules) &&
	       env_equal(a->env, b->env, a->nenv);
}
