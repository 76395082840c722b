/* Frames of no family: untrack_main hands the policy a frame with more
 * VLAN tags than it walks as family 0, no field readable, incomplete
 * (untrack_abi.h). No rule matches it; a strategy whose tests would let it
 * reach a rule that reads no field decides it here first. */
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
	if (!has_fieldless_rule(e->p))
		return;
	fputs("\t/* More VLAN tags than untrack_main walks: no rule matches. */\n"
	      "\tif (!st->family)\n\t\tgoto decide;\n",
	      e->out);
}
