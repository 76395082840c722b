/* --dump=ast: the tree as parsed, before any check, with locations. */
#include <inttypes.h>

#include "front/ast.h"

static const char *const action_names[] = {"allow", "deny", "pass", "log"};
static const char *const proto_names[] = {"", "tcp", "udp", "sctp", "icmp", "icmpv6", "proto"};

static void put_loc(FILE *out, struct ut_loc l)
{
	fprintf(out, "<%d:%d-%d:%d>", l.first_line, l.first_column, l.last_line, l.last_column);
}

static void dump_addr(FILE *out, const struct ast_addr *a)
{
	char buf[PREFIX_STRLEN];

	if (a->is_set)
		fprintf(out, " @%s", a->set_name);
	else if (a->bad)
		fputs(" <invalid>", out);
	else
		fprintf(out, " %s", prefix_format(&a->prefix, buf));
}

static void dump_side(FILE *out, const char *kw, const struct ast_side *s)
{
	if (!s->present)
		return;
	fprintf(out, "      %s ", kw);
	put_loc(out, s->loc);
	fputc('\n', out);
	if (s->addrs.present) {
		fprintf(out, "        addrs%s%s%s", s->addrs.negate ? " not" : "",
			s->addrs.any ? " any" : "", s->addrs.braced ? " {}" : "");
		for (size_t i = 0; i < s->addrs.n; i++)
			dump_addr(out, &s->addrs.items[i]);
		fputc(' ', out);
		put_loc(out, s->addrs.loc);
		fputc('\n', out);
	}
	if (s->ports.present) {
		fprintf(out, "        ports%s%s", s->ports.negate ? " not" : "",
			s->ports.braced ? " {}" : "");
		for (size_t i = 0; i < s->ports.n; i++) {
			const struct ast_range *r = &s->ports.items[i];
			if (r->is_range)
				fprintf(out, " %" PRIu64 "-%" PRIu64, r->lo.value, r->hi.value);
			else
				fprintf(out, " %" PRIu64, r->lo.value);
		}
		fputc(' ', out);
		put_loc(out, s->ports.loc);
		fputc('\n', out);
	}
}

static void dump_rule(FILE *out, const struct ast_rule *r)
{
	fprintf(out, "    rule %s%s",
		r->dir_written ? (r->dir == AST_EGRESS ? "egress " : "ingress ") : "",
		action_names[r->action]);
	if (r->incomplete)
		fputs(" incomplete", out);
	if (r->proto == AST_PROTO_NUMBER)
		fprintf(out, " proto %" PRIu64, r->proto_num.value);
	else if (r->proto != AST_PROTO_NONE)
		fprintf(out, " %s", proto_names[r->proto]);
	fputc(' ', out);
	put_loc(out, r->loc);
	fputc('\n', out);
	dump_side(out, "from", &r->from);
	dump_side(out, "to", &r->to);
	if (r->has_type) {
		fprintf(out, "      type %" PRIu64, r->icmp_type.value);
		if (r->has_code)
			fprintf(out, " code %" PRIu64, r->icmp_code.value);
		fputc(' ', out);
		put_loc(out, r->icmp_loc);
		fputc('\n', out);
	}
}

void ast_dump(const struct ast_file *f, FILE *out)
{
	for (size_t i = 0; i < f->nsets; i++) {
		const struct ast_set *s = &f->sets[i];
		fprintf(out, "set %s ", s->name);
		put_loc(out, s->loc);
		fputc('\n', out);
		for (size_t k = 0; k < s->n; k++) {
			fputs("   ", out);
			dump_addr(out, &s->items[k]);
			fputc(' ', out);
			put_loc(out, s->items[k].loc);
			fputc('\n', out);
		}
	}
	for (size_t i = 0; i < f->npolicies; i++) {
		const struct ast_policy *p = &f->policies[i];
		fprintf(out, "policy %s", p->name);
		if (p->has_order)
			fprintf(out, " order %" PRIu64, p->order.value);
		fputc(' ', out);
		put_loc(out, p->loc);
		fputc('\n', out);
		for (size_t k = 0; k < p->n; k++)
			dump_rule(out, p->rules[k]);
	}
}
