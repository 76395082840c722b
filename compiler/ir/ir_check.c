#include "ir/ir_check.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

__attribute__((format(printf, 3, 4))) static int broken(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return -1;
}

static bool families_ok(uint8_t f)
{
	return f != 0 && (f & ~FAM_ALL) == 0;
}

/* Sorted by prefix_cmp, no duplicates, each normalised and of one of the
 * families in fams. */
static const char *prefixes_problem(const struct prefix *v, size_t n, uint8_t fams)
{
	for (size_t i = 0; i < n; i++) {
		struct prefix norm = v[i];
		if (v[i].family != FAM_V4 && v[i].family != FAM_V6)
			return "a prefix has no family";
		if (!(v[i].family & fams))
			return "a prefix is of a family the rule does not match";
		if (v[i].len > family_width(v[i].family))
			return "a prefix is longer than its family";
		if (prefix_normalize(&norm))
			return "a prefix has host bits set";
		if (i > 0 && prefix_cmp(&v[i - 1], &v[i]) >= 0)
			return "prefixes are not sorted and unique";
	}
	return NULL;
}

static const char *addr_problem(const struct ir_program *p, const struct ir_addr_match *m,
				uint8_t fams)
{
	const char *why = prefixes_problem(m->prefixes, m->nprefixes, fams);

	if (why)
		return why;
	for (size_t i = 0; i < m->nsets; i++) {
		if (m->sets[i] >= p->nsets)
			return "a set index is out of range";
		if (i > 0 && m->sets[i - 1] >= m->sets[i])
			return "set indices are not ascending and unique";
	}
	return NULL;
}

static const char *ports_problem(const struct ir_port_match *m)
{
	if (m->nranges == 0)
		return "a port condition has no range";
	for (size_t i = 0; i < m->nranges; i++) {
		if (m->ranges[i].lo > m->ranges[i].hi)
			return "a port range is reversed";
		/* Disjoint and not adjacent: a gap of at least one port. */
		if (i > 0 && (uint32_t)m->ranges[i - 1].hi + 1 >= m->ranges[i].lo)
			return "port ranges are not sorted, disjoint and apart";
	}
	return NULL;
}

static int check_rule(const struct ir_program *p, size_t i, char *why, size_t len)
{
	const struct ir_rule *r = &p->rules[i];
	const char *problem = NULL;

	if (r->id != i)
		return broken(why, len, "rule %zu: id is %u", i, r->id);
	if (r->policy >= p->npolicies)
		return broken(why, len, "rule %zu: policy %u out of range", i, r->policy);
	if (!families_ok(r->families))
		return broken(why, len, "rule %zu: families 0x%x", i, r->families);
	if (r->proto < IR_PROTO_ANY || r->proto > 255)
		return broken(why, len, "rule %zu: protocol %d", i, r->proto);
	if (r->icmp_type < IR_ICMP_ANY || r->icmp_type > 255 || r->icmp_code < IR_ICMP_ANY ||
	    r->icmp_code > 255)
		return broken(why, len, "rule %zu: ICMP type %d code %d", i, r->icmp_type,
			      r->icmp_code);
	if (r->incomplete &&
	    (r->sport || r->dport || r->icmp_type != IR_ICMP_ANY || r->dir != DIR_INGRESS))
		return broken(why, len, "rule %zu: incomplete with an L4 condition or egress", i);
	if (!r->text)
		return broken(why, len, "rule %zu: no canonical text", i);
	if (r->src && (problem = addr_problem(p, r->src, r->families)))
		return broken(why, len, "rule %zu: source: %s", i, problem);
	if (r->dst && (problem = addr_problem(p, r->dst, r->families)))
		return broken(why, len, "rule %zu: destination: %s", i, problem);
	if (r->sport && (problem = ports_problem(r->sport)))
		return broken(why, len, "rule %zu: source port: %s", i, problem);
	if (r->dport && (problem = ports_problem(r->dport)))
		return broken(why, len, "rule %zu: destination port: %s", i, problem);
	return 0;
}

int ir_check(const struct ir_program *p, char *why, size_t len)
{
	uint32_t next = 0;

	for (size_t i = 0; i < p->npolicies; i++) {
		const struct ir_policy *pol = &p->policies[i];
		if (pol->first_rule != next)
			return broken(why, len, "policy %zu: rules start at %u, expected %u", i,
				      pol->first_rule, next);
		next += pol->nrules;
	}
	if (next != p->nrules)
		return broken(why, len, "policies hold %u rules, the program %zu", next, p->nrules);
	for (size_t i = 0; i < p->nrules; i++)
		if (check_rule(p, i, why, len) != 0)
			return -1;
	for (size_t i = 0; i < p->nsets; i++) {
		const struct ir_set *s = &p->sets[i];
		const char *problem = prefixes_problem(s->prefixes, s->nprefixes, FAM_ALL);
		if (problem)
			return broken(why, len, "set %zu: %s", i, problem);
	}
	return 0;
}
