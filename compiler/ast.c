#include "ast.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

/* Each push returns a zeroed slot at the end of its array. */
#define PUSH(items, n, cap)                                                                        \
	({                                                                                         \
		XGROW(items, n, cap);                                                              \
		memset(&(items)[n], 0, sizeof((items)[n]));                                        \
		&(items)[(n)++];                                                                   \
	})

struct ast_addr *ast_addrs_push(struct ast_addrs *a)
{
	return PUSH(a->items, a->n, a->cap);
}

struct ast_range *ast_ports_push(struct ast_ports *p)
{
	return PUSH(p->items, p->n, p->cap);
}

struct ast_addr *ast_set_push(struct ast_set *s)
{
	return PUSH(s->items, s->n, s->cap);
}

struct ast_rule *ast_policy_push(struct ast_policy *p)
{
	return PUSH(p->rules, p->n, p->cap);
}

struct ast_set *ast_file_push_set(struct ast_file *f)
{
	return PUSH(f->sets, f->nsets, f->sets_cap);
}

struct ast_policy *ast_file_push_policy(struct ast_file *f)
{
	return PUSH(f->policies, f->npolicies, f->policies_cap);
}

void ast_addrs_free(struct ast_addrs *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->items[i].set_name);
	free(a->items);
	memset(a, 0, sizeof(*a));
}

void ast_ports_free(struct ast_ports *p)
{
	free(p->items);
	memset(p, 0, sizeof(*p));
}

void ast_rule_free(struct ast_rule *r)
{
	ast_addrs_free(&r->from.addrs);
	ast_ports_free(&r->from.ports);
	ast_addrs_free(&r->to.addrs);
	ast_ports_free(&r->to.ports);
}

void ast_set_free(struct ast_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->items[i].set_name);
	free(s->items);
	free(s->name);
	memset(s, 0, sizeof(*s));
}

void ast_policy_free(struct ast_policy *p)
{
	for (size_t i = 0; i < p->n; i++)
		ast_rule_free(&p->rules[i]);
	free(p->rules);
	free(p->name);
	memset(p, 0, sizeof(*p));
}

void ast_file_free(struct ast_file *f)
{
	for (size_t i = 0; i < f->nsets; i++)
		ast_set_free(&f->sets[i]);
	free(f->sets);
	for (size_t i = 0; i < f->npolicies; i++)
		ast_policy_free(&f->policies[i]);
	free(f->policies);
	memset(f, 0, sizeof(*f));
}
