/* Frames of no family: untrack_main hands the policy a frame with more
 * VLAN tags than it walks as family 0, no field readable, incomplete
 * (untrack_abi.h). Only a rule of both families whose sole condition is
 * 'incomplete' matches it; a strategy whose tests would let it reach other
 * rules decides it here first. */
#include "codegen/emit.h"

/* Does a frame of no family reach a rule that reads no field? Only then
 * does a strategy that tests no family need this block. */
static bool has_fieldless_rule(const struct ir_program *p)
{
	for (size_t i = 0; i < p->nrules; i++)
		if (p->rules[i].dir == DIR_INGRESS && !emit_rule_reads_fields(&p->rules[i]))
			return true;
	return false;
}

void emit_deep_frames(const struct emit_ctx *e)
{
	const struct ir_program *p = e->p;

	if (!has_fieldless_rule(p))
		return;
	fputs("\t/* More VLAN tags than untrack_main walks: only 'incomplete' alone\n"
	      "\t * matches. */\n"
	      "\tif (!st->family) {\n",
	      e->out);
	for (size_t i = 0; i < p->nrules; i++) {
		const struct ir_rule *r = &p->rules[i];

		if (r->dir != DIR_INGRESS || !r->incomplete || emit_rule_reads_fields(r))
			continue;
		emit_action(e->out, r, "\t\t");
		if (r->action != ACT_LOG) {
			fputs("\t}\n", e->out);
			return;
		}
	}
	/* no rule decides it */
	fputs("\t\tgoto decide;\n\t}\n", e->out);
}
