#include "ir.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

void ir_addr_match_free(struct ir_addr_match *m)
{
	if (!m)
		return;
	free(m->prefixes);
	free(m->sets);
	free(m);
}

void ir_port_match_free(struct ir_port_match *m)
{
	if (!m)
		return;
	free(m->ranges);
	free(m);
}

void ir_free(struct ir_program *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nrules; i++) {
		struct ir_rule *r = &p->rules[i];
		ir_addr_match_free(r->src);
		ir_addr_match_free(r->dst);
		ir_port_match_free(r->sport);
		ir_port_match_free(r->dport);
		free(r->text);
	}
	free(p->rules);
	for (size_t i = 0; i < p->npolicies; i++)
		free(p->policies[i].name);
	free(p->policies);
	for (size_t i = 0; i < p->nsets; i++) {
		free(p->sets[i].name);
		free(p->sets[i].prefixes);
	}
	free(p->sets);
	free(p->file);
	free(p);
}

const char *ir_action_name(enum ir_action a)
{
	switch (a) {
	case IR_ALLOW:
		return "allow";
	case IR_DENY:
		return "deny";
	case IR_PASS:
		return "pass";
	case IR_LOG:
		return "log";
	}
	return "?";
}

const char *ir_proto_name(int proto)
{
	switch (proto) {
	case IPPROTO_NUM_TCP:
		return "tcp";
	case IPPROTO_NUM_UDP:
		return "udp";
	case IPPROTO_NUM_SCTP:
		return "sctp";
	case IPPROTO_NUM_ICMP:
		return "icmp";
	case IPPROTO_NUM_ICMPV6:
		return "icmpv6";
	default:
		return NULL;
	}
}

static void put_addr(FILE *out, const struct ir_program *p, const struct ir_addr_match *m)
{
	char buf[PREFIX_STRLEN];
	size_t n = m->nprefixes + m->nsets;
	const char *sep = "";

	if (m->negate)
		fputs("not ", out);
	if (n != 1)
		fputs("{ ", out);
	for (size_t i = 0; i < m->nprefixes; i++, sep = ", ")
		fprintf(out, "%s%s", sep, prefix_format(&m->prefixes[i], buf));
	for (size_t i = 0; i < m->nsets; i++, sep = ", ")
		fprintf(out, "%s@%s", sep, p->sets[m->sets[i]].name);
	if (n != 1)
		fputs(" }", out);
}

static void put_ports(FILE *out, const struct ir_port_match *m)
{
	const char *sep = "";

	fputs("port ", out);
	if (m->negate)
		fputs("not ", out);
	if (m->nranges != 1)
		fputs("{ ", out);
	for (size_t i = 0; i < m->nranges; i++, sep = ", ") {
		if (m->ranges[i].lo == m->ranges[i].hi)
			fprintf(out, "%s%u", sep, m->ranges[i].lo);
		else
			fprintf(out, "%s%u-%u", sep, m->ranges[i].lo, m->ranges[i].hi);
	}
	if (m->nranges != 1)
		fputs(" }", out);
}

static void put_side(FILE *out, const struct ir_program *p, const char *kw,
		     const struct ir_addr_match *a, const struct ir_port_match *ports)
{
	if (!a && !ports)
		return;
	fprintf(out, " %s", kw);
	if (a) {
		fputc(' ', out);
		put_addr(out, p, a);
	}
	if (ports) {
		fputc(' ', out);
		put_ports(out, ports);
	}
}

/* The canonical form is itself valid policy text that means the same rule. */
char *ir_rule_format(const struct ir_program *p, const struct ir_rule *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	if (!out)
		xalloc_die();
	if (r->dir == IR_EGRESS)
		fputs("egress ", out);
	fputs(ir_action_name(r->action), out);
	if (r->proto != IR_PROTO_ANY) {
		const char *name = ir_proto_name(r->proto);
		if (name)
			fprintf(out, " %s", name);
		else
			fprintf(out, " proto %d", r->proto);
	}
	put_side(out, p, "from", r->src, r->sport);
	put_side(out, p, "to", r->dst, r->dport);
	if (r->icmp_type != IR_ICMP_ANY)
		fprintf(out, " type %d", r->icmp_type);
	if (r->icmp_code != IR_ICMP_ANY)
		fprintf(out, " code %d", r->icmp_code);
	if (fclose(out) != 0 || !buf)
		xalloc_die();
	return buf;
}

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
				r->dir == IR_EGRESS ? "egress" : "ingress",
				families_name(r->families), r->loc.first_line, r->loc.first_column,
				r->text);
		}
	}
}
