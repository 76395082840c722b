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

/* The canonical text is built for every rule of the file: a plain growing
 * buffer, not a memory stream and printf, which cost more than the rest of
 * lowering a rule. */
struct text {
	char *buf;
	size_t len, cap;
};

static void put_mem(struct text *t, const char *s, size_t n)
{
	if (t->cap - t->len <= n) {
		while (t->cap - t->len <= n)
			t->cap = t->cap ? t->cap * 2 : 128;
		t->buf = xreallocarray(t->buf, t->cap, 1);
	}
	memcpy(t->buf + t->len, s, n);
	t->len += n;
	t->buf[t->len] = '\0';
}

static void put_str(struct text *t, const char *s)
{
	put_mem(t, s, strlen(s));
}

static void put_num(struct text *t, int v)
{
	char digits[12];
	size_t i = sizeof(digits);
	unsigned u = v < 0 ? 0u - (unsigned)v : (unsigned)v;

	do {
		digits[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		digits[--i] = '-';
	put_mem(t, digits + i, sizeof(digits) - i);
}

static void put_addr(struct text *t, const struct ir_program *p, const struct ir_addr_match *m)
{
	char buf[PREFIX_STRLEN];
	size_t n = m->nprefixes + m->nsets;
	const char *sep = "";

	if (m->negate)
		put_str(t, "not ");
	if (n != 1)
		put_str(t, "{ ");
	for (size_t i = 0; i < m->nprefixes; i++, sep = ", ") {
		put_str(t, sep);
		put_str(t, prefix_format(&m->prefixes[i], buf));
	}
	for (size_t i = 0; i < m->nsets; i++, sep = ", ") {
		put_str(t, sep);
		put_str(t, "@");
		put_str(t, p->sets[m->sets[i]].name);
	}
	if (n != 1)
		put_str(t, " }");
}

static void put_ports(struct text *t, const struct ir_port_match *m)
{
	const char *sep = "";

	put_str(t, "port ");
	if (m->negate)
		put_str(t, "not ");
	if (m->nranges != 1)
		put_str(t, "{ ");
	for (size_t i = 0; i < m->nranges; i++, sep = ", ") {
		put_str(t, sep);
		put_num(t, m->ranges[i].lo);
		if (m->ranges[i].lo != m->ranges[i].hi) {
			put_str(t, "-");
			put_num(t, m->ranges[i].hi);
		}
	}
	if (m->nranges != 1)
		put_str(t, " }");
}

static void put_side(struct text *t, const struct ir_program *p, const char *kw,
		     const struct ir_addr_match *a, const struct ir_port_match *ports)
{
	if (!a && !ports)
		return;
	put_str(t, " ");
	put_str(t, kw);
	if (a) {
		put_str(t, " ");
		put_addr(t, p, a);
	}
	if (ports) {
		put_str(t, " ");
		put_ports(t, ports);
	}
}

/* The canonical form is itself valid policy text that means the same rule. */
char *ir_rule_format(const struct ir_program *p, const struct ir_rule *r)
{
	struct text t = {0};

	if (r->dir == IR_EGRESS)
		put_str(&t, "egress ");
	put_str(&t, ir_action_name(r->action));
	if (r->proto != IR_PROTO_ANY) {
		const char *name = ir_proto_name(r->proto);

		put_str(&t, name ? " " : " proto ");
		if (name)
			put_str(&t, name);
		else
			put_num(&t, r->proto);
	}
	put_side(&t, p, "from", r->src, r->sport);
	put_side(&t, p, "to", r->dst, r->dport);
	if (r->icmp_type != IR_ICMP_ANY) {
		put_str(&t, " type ");
		put_num(&t, r->icmp_type);
	}
	if (r->icmp_code != IR_ICMP_ANY) {
		put_str(&t, " code ");
		put_num(&t, r->icmp_code);
	}
	/* exactly its size: the texts of every rule stay in memory */
	return xreallocarray(t.buf, t.len + 1, 1);
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
