/* The linear strategy: one straight-line test per ingress rule, in
 * evaluation order. Cheapest for small policies.
 *
 * The compiler barrier before each rule makes clang reload the state's
 * fields instead of keeping them in registers across rules: otherwise every
 * path carries different register knowledge, the verifier cannot merge
 * states, and a few hundred rules exhaust its instruction budget
 * (shared/notes/performance.md). */
#include "emit.h"

void emit_linear_body(const struct emit_ctx *e)
{
	const struct ir_program *p = e->p;
	FILE *out = e->out;

	for (size_t i = 0; i < p->nrules; i++) {
		const struct ir_rule *r = &p->rules[i];

		if (r->dir != IR_INGRESS)
			continue;
		emit_line_directive(e, r);
		fputs("\tasm volatile(\"\" ::: \"memory\");\n\tif (", out);
		emit_rule_condition(e, r);
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
