#include "front/ast.h"

#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"

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

/* The lists of a side, copied into the arena at their exact size. */
static void side_copy(struct arena *a, struct ast_side *s)
{
	struct ast_addrs *as = &s->addrs;
	struct ast_ports *ps = &s->ports;

	as->items = arena_dup(a, as->items, as->n * sizeof(*as->items));
	as->cap = as->n;
	for (size_t i = 0; i < as->n; i++) {
		if (as->items[i].set_name)
			as->items[i].set_name = arena_strdup(a, as->items[i].set_name);
	}
	ps->items = arena_dup(a, ps->items, ps->n * sizeof(*ps->items));
	ps->cap = ps->n;
}

void ast_policy_add(struct ast_policy *p, const struct ast_rule *r)
{
	struct ast_rule *copy = arena_dup(&p->arena, r, sizeof(*r));

	side_copy(&p->arena, &copy->from);
	side_copy(&p->arena, &copy->to);
	XGROW(p->rules, p->n, p->cap);
	p->rules[p->n++] = copy;
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

void ast_rule_clear(struct ast_rule *r)
{
	struct ast_side *sides[2] = {&r->from, &r->to};
	struct ast_addrs addrs[2];
	struct ast_ports ports[2];

	for (unsigned k = 0; k < 2; k++) {
		for (size_t i = 0; i < sides[k]->addrs.n; i++)
			free(sides[k]->addrs.items[i].set_name);
		addrs[k] = (struct ast_addrs){.items = sides[k]->addrs.items,
					      .cap = sides[k]->addrs.cap};
		ports[k] = (struct ast_ports){.items = sides[k]->ports.items,
					      .cap = sides[k]->ports.cap};
	}
	memset(r, 0, sizeof(*r));
	for (unsigned k = 0; k < 2; k++) {
		sides[k]->addrs = addrs[k];
		sides[k]->ports = ports[k];
	}
}

void ast_set_free(struct ast_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->items[i].set_name);
	free(s->items);
	free(s->name);
	memset(s, 0, sizeof(*s));
}

void ast_policy_free_rules(struct ast_policy *p)
{
	free(p->rules);
	p->rules = NULL;
	p->n = p->cap = 0;
	arena_free(&p->arena);
}

void ast_policy_free(struct ast_policy *p)
{
	ast_policy_free_rules(p);
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
