/* Shadowed-rule analysis, the driver: every rule against the earlier
 * deciding rules of its direction, through the index (index.c) and the exact
 * containment test (cover.c). */
#include "analysis/shadow.h"

#include <stdint.h>
#include <stdlib.h>

#include "analysis/cover.h"
#include "analysis/index.h"
#include "base/xalloc.h"

static void report(const struct ir_program *p, struct diag_ctx *d, const struct ir_rule *r,
		   const struct ir_rule *e)
{
	if (r->action == ACT_LOG)
		diag_at(d, DIAG_WARNING, r->loc,
			"log rule is shadowed by an earlier rule and is never reached");
	else
		diag_at(d, DIAG_WARNING, r->loc,
			"rule is shadowed by an earlier rule and never decides anything");
	diag_at(d, DIAG_NOTE, e->loc, "shadowed by this rule in policy '%s'",
		p->policies[e->policy].name);
}

void shadow_check(const struct ir_program *p, struct diag_ctx *d)
{
	struct rinfo *infos = xreallocarray(NULL, p->nrules, sizeof(*infos));
	struct shadow_ctx c;

	shadow_ctx_init(&c, p);
	for (size_t i = 0; i < p->nrules; i++)
		rinfo_build(&c, &p->rules[i], &infos[i]);

	struct shadow_index *ix = shadow_index_new(infos, p->nrules);
	for (size_t i = 0; i < p->nrules; i++) {
		const struct ir_rule *r = &p->rules[i];
		uint32_t by = UINT32_MAX;

		/* A rule that matches nothing (with the sets' initial
		 * contents) is not "shadowed" by whatever comes first. */
		if (!infos[i].states)
			continue;
		by = shadow_index_find(ix, (uint32_t)i, r->dir);
		if (by != UINT32_MAX)
			report(p, d, r, &p->rules[by]);
		/* A covered rule is never needed as a cover: whatever it
		 * covers, its own earlier cover covers too. */
		else if (r->action != ACT_LOG)
			shadow_index_add(ix, (uint32_t)i, r->dir);
	}
	shadow_index_free(ix);
	free(infos);
	shadow_ctx_free(&c);
}
