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
 * (docs/bpf-costs.md, "Straight-line code").
 *
 * Each family's block opens with a guard: the longest prefix that holds
 * every source (or destination) address any of its rules can match. A
 * packet outside it, the typical packet of a flood from everywhere, skips
 * the whole block after one test instead of failing every rule in turn. */
#include <inttypes.h>

#include "codegen/cwrite.h"
#include "codegen/emit.h"

/* The longest prefix of family fam that contains every address the rules
 * of the block can match in one address field (dst or src). False when some
 * rule of the block does not confine that field to fixed prefixes (no
 * condition, a negation, a named set whose contents change at run time). */
static bool block_hull(const struct ir_program *p, uint8_t fam, bool dst, struct prefix *hull)
{
	bool any = false;

	*hull = (struct prefix){0};
	for (size_t i = 0; i < p->nrules; i++) {
		const struct ir_rule *r = &p->rules[i];
		const struct ir_addr_match *m = dst ? r->dst : r->src;

		if (r->dir != DIR_INGRESS || !(r->families & fam))
			continue;
		if (!m || m->negate || m->nsets)
			return false;
		/* A rule with no prefix of this family cannot match here. */
		for (size_t j = 0; j < m->nprefixes; j++) {
			if (m->prefixes[j].family != fam)
				continue;
			if (any)
				prefix_widen(hull, &m->prefixes[j]);
			else
				*hull = m->prefixes[j];
			any = true;
		}
	}
	return any && hull->len > 0;
}

/* Inside a family's block. */
#define BLOCK_INDENT "\t\t"

/* Whether the guard was written. */
static bool emit_guard(const struct emit_ctx *e, uint8_t fam)
{
	struct prefix src, dst;
	bool has_src = block_hull(e->p, fam, false, &src);
	bool has_dst = block_hull(e->p, fam, true, &dst);
	const struct prefix *hull;
	const char *field;
	char text[PREFIX_STRLEN];

	if (!has_src && !has_dst)
		return false;
	if (has_src && (!has_dst || src.len >= dst.len))
		hull = &src, field = "src";
	else
		hull = &dst, field = "dst";
	fprintf(e->out, BLOCK_INDENT "/* No rule below matches a %s address outside %s. */\n",
		field, prefix_format(hull, text));
	fputs(BLOCK_INDENT "if (!(", e->out);
	if (fam == FAM_V4)
		emit_prefix4(e->out, field, hull);
	else
		emit_prefix6(e->out, field, hull);
	fputs("))\n" BLOCK_INDENT "\tgoto no_match;\n", e->out);
	return true;
}

/* What a matching rule does, at indent. */
void emit_action(FILE *out, const struct ir_rule *r, const char *indent)
{
	static const char *const verdicts[] = {
		[ACT_ALLOW] = "UT_VERDICT_ACCEPT",
		[ACT_DENY] = "UT_VERDICT_DROP",
		[ACT_PASS] = "UT_VERDICT_PASS",
	};

	if (r->action == ACT_LOG) {
		fprintf(out, "%sut_rule_count(&ut_rule_stats, %u, st);\n", indent, r->id);
		fprintf(out, "%sut_log_emit(ctx, st, %u);\n", indent, r->id);
		return;
	}
	fprintf(out, "%sverdict = %s;\n%srule = %u;\n%sgoto decide;\n", indent, verdicts[r->action],
		indent, r->id, indent);
}

/* The rule's text above its test; the #line directive right before the
 * code, so that clang's messages and the debug line info point at the
 * rule. A rule that tests nothing acts unconditionally. */
static void emit_rule(const struct emit_ctx *e, const struct ir_rule *r, uint8_t fam)
{
	FILE *out = e->out;
	char label[32];

	snprintf(label, sizeof(label), "rule %" PRIu32 ": ", r->id);
	cwrite_comment(out, BLOCK_INDENT, label, r->text);
	cwrite_line_directive(out, r->loc.first_line, e->p->file);
	fputs(BLOCK_INDENT "asm volatile(\"\" ::: \"memory\");\n", out);
	if (!emit_rule_has_tests(r, fam)) {
		emit_action(out, r, BLOCK_INDENT);
		return;
	}
	fputs(BLOCK_INDENT "if (", out);
	emit_rule_condition_in(e, r, fam, BLOCK_INDENT);
	fputs(") {\n", out);
	emit_action(out, r, BLOCK_INDENT "\t");
	fputs(BLOCK_INDENT "}\n", out);
}

/* One family's block: its guard, then its rules, a blank line between. */
static void emit_block(const struct emit_ctx *e, uint8_t fam)
{
	bool first = !emit_guard(e, fam);

	for (size_t i = 0; i < e->p->nrules; i++) {
		const struct ir_rule *r = &e->p->rules[i];

		if (r->dir != DIR_INGRESS || !(r->families & fam))
			continue;
		if (!first)
			fputc('\n', e->out);
		first = false;
		emit_rule(e, r, fam);
	}
}

void emit_linear_body(const struct emit_ctx *e)
{
	bool v4 = false, v6 = false;

	for (size_t i = 0; i < e->p->nrules; i++) {
		const struct ir_rule *r = &e->p->rules[i];
		if (r->dir != DIR_INGRESS)
			continue;
		v4 |= (r->families & FAM_V4) != 0;
		v6 |= (r->families & FAM_V6) != 0;
	}
	if (!v4 && !v6)
		return;
	/* untrack_main hands the policy IPv4 and IPv6 packets only. */
	fputs("\tif (st->family == UT_FAM_V4) {\n", e->out);
	emit_block(e, FAM_V4);
	fputs("\t} else {\n", e->out);
	emit_block(e, FAM_V6);
	/* Past both blocks: no rule decided (emit_c's no_match follows). */
	fputs("\t}\n", e->out);
}
