#include "ir/ir.h"

#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"

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

	if (r->dir == DIR_EGRESS)
		put_str(&t, "egress ");
	put_str(&t, rule_action_name(r->action));
	if (r->incomplete)
		put_str(&t, " incomplete");
	if (r->proto != IR_PROTO_ANY) {
		const char *name = proto_name(r->proto);

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
