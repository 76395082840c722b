/* The linear strategy: one straight-line test per ingress rule, in
 * evaluation order. Cheapest for small policies.
 *
 * The rules are emitted twice over, once under a test for IPv4 and once
 * for IPv6, each copy holding only the rules of that family: a packet
 * tests only the rules that can match it, and no rule repeats the family
 * test. Within a family the order is the evaluation order.
 *
 * The compiler barrier before each rule makes clang reload the state's
 * fields instead of keeping them in registers across rules: otherwise every
 * path carries different register knowledge, the verifier cannot merge
 * states, and a few hundred rules exhaust its instruction budget
 * (shared/notes/performance.md). */
#include "emit.h"

static void emit_rules(const struct emit_ctx *e, uint8_t fam)
{
	const struct ir_program *p = e->p;
	FILE *out = e->out;

	for (size_t i = 0; i < p->nrules; i++) {
		const struct ir_rule *r = &p->rules[i];

		if (r->dir != IR_INGRESS || !(r->families & fam))
			continue;
		emit_line_directive(e, r);
		fputs("\tasm volatile(\"\" ::: \"memory\");\n\tif (", out);
		emit_rule_condition_in(e, r, fam);
		fputs(") {\n", out);
		switch (r->action) {
		case IR_LOG:
			fprintf(out, "\t\tut_rule_count(&ut_rule_stats, %u, st);\n", r->id);
			fprintf(out, "\t\tut_log_emit(ctx, st, %u);\n\t}\n", r->id);
			continue;
		case IR_ALLOW:
			fputs("\t\tverdict = UT_VERDICT_ACCEPT;\n", out);
			break;
		case IR_DENY:
			fputs("\t\tverdict = UT_VERDICT_DROP;\n", out);
			break;
		case IR_PASS:
			fputs("\t\tverdict = UT_VERDICT_PASS;\n", out);
			break;
		}
		fprintf(out, "\t\trule = %u;\n\t\tgoto decide;\n\t}\n", r->id);
	}
}

void emit_linear_body(const struct emit_ctx *e)
{
	bool v4 = false, v6 = false;

	for (size_t i = 0; i < e->p->nrules; i++) {
		const struct ir_rule *r = &e->p->rules[i];
		if (r->dir != IR_INGRESS)
			continue;
		v4 |= (r->families & FAM_V4) != 0;
		v6 |= (r->families & FAM_V6) != 0;
	}
	if (!v4 && !v6)
		return;
	/* untrack_main hands the policy IPv4 and IPv6 packets only. */
	fputs("\tif (st->family == UT_FAM_V4) {\n", e->out);
	emit_rules(e, FAM_V4);
	fputs("\t} else {\n", e->out);
	emit_rules(e, FAM_V6);
	fputs("\t}\n", e->out);
}
