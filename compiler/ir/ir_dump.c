/* --dump=ir: the IR as text, one policy and its rules at a time. */
#include "ir/ir.h"

#include <inttypes.h>

static const char *families_name(uint8_t f)
{
	return f == FAM_ALL ? "ip+ip6" : f == FAM_V4 ? "ip" : "ip6";
}

void ir_dump(const struct ir_program *p, FILE *out)
{
	char buf[PREFIX_STRLEN];

	fprintf(out, "# untrack IR of %s: %zu sets, %zu policies, %zu rules\n", p->file, p->nsets,
		p->npolicies, p->nrules);
	for (size_t i = 0; i < p->nsets; i++) {
		const struct ir_set *s = &p->sets[i];
		fprintf(out, "set %s  # line %d, %s, %zu prefixes, used by%s%s%s\n", s->name,
			s->loc.first_line, families_name(s->families), s->nprefixes,
			s->used_ingress ? " ingress" : "", s->used_egress ? " egress" : "",
			s->used_ingress || s->used_egress ? "" : " nothing");
		for (size_t k = 0; k < s->nprefixes; k++)
			fprintf(out, "    %s\n", prefix_format(&s->prefixes[k], buf));
	}
	for (size_t i = 0; i < p->npolicies; i++) {
		const struct ir_policy *pol = &p->policies[i];
		if (pol->has_order)
			fprintf(out, "policy %s order %u  # line %d\n", pol->name, pol->order,
				pol->loc.first_line);
		else
			fprintf(out, "policy %s  # line %d, no order\n", pol->name,
				pol->loc.first_line);
		for (uint32_t k = 0; k < pol->nrules; k++) {
			const struct ir_rule *r = &p->rules[pol->first_rule + k];
			fprintf(out, "    r%-4u %-7s %-6s line %d:%d  %s\n", r->id,
				r->dir == DIR_EGRESS ? "egress" : "ingress",
				families_name(r->families), r->loc.first_line, r->loc.first_column,
				r->text);
		}
	}
}
