#include "codegen/objmeta_write.h"

void objmeta_write(const struct ir_program *p, uint32_t abi, FILE *out)
{
	char buf[PREFIX_STRLEN];

	fprintf(out, "untrack-meta\t%d\nabi\t%u\nsource\t", OBJMETA_FORMAT, abi);
	objmeta_put_escaped(p->file, out);
	fputc('\n', out);
	for (size_t i = 0; i < p->npolicies; i++) {
		const struct ir_policy *pol = &p->policies[i];
		fprintf(out, "policy\t%zu\t", i);
		objmeta_put_escaped(pol->name, out);
		fprintf(out, "\t%d\t%u\t%d\n", pol->has_order, pol->order, pol->loc.first_line);
	}
	for (size_t i = 0; i < p->nrules; i++) {
		const struct ir_rule *r = &p->rules[i];
		fprintf(out, "rule\t%u\t%s\t%s\t%u\t%d\t%d\t", r->id,
			r->dir == DIR_EGRESS ? "egress" : "ingress", rule_action_name(r->action),
			r->policy, r->loc.first_line, r->loc.first_column);
		objmeta_put_escaped(r->text, out);
		fputc('\n', out);
	}
	for (size_t i = 0; i < p->nsets; i++) {
		const struct ir_set *s = &p->sets[i];
		fprintf(out, "set\t%zu\t", i);
		objmeta_put_escaped(s->name, out);
		fprintf(out, "\t%u\t%zu\t%s\n", s->families, s->nprefixes,
			s->used_ingress ? (s->used_egress ? "both" : "ingress")
					: (s->used_egress ? "egress" : "none"));
		for (size_t k = 0; k < s->nprefixes; k++)
			fprintf(out, "prefix\t%zu\t%s\n", i, prefix_format(&s->prefixes[k], buf));
	}
	fputs("end\n", out);
}
