/* One rule's match condition as a C expression over `st` (struct ut_state).
 *
 * Each field test carries its readability bit: an unreadable field is zero
 * in the state, and zero is a valid port, protocol or address, so the bit
 * is what makes "unreadable fails every condition" true. Addresses are in
 * network byte order in the state; constants are written through
 * bpf_htonl()/bpf_cpu_to_be64() so the code is right on either endianness
 * and clang folds them. */
#include <inttypes.h>
#include <string.h>

#include "codegen/emit.h"

void emit_prefix4(FILE *out, const char *field, const struct prefix *p)
{
	uint32_t net = (uint32_t)p->addr[0] << 24 | (uint32_t)p->addr[1] << 16 |
		       (uint32_t)p->addr[2] << 8 | p->addr[3];
	uint32_t mask = p->len ? 0xffffffffu << (32 - p->len) : 0;

	if (p->len == 0)
		fputs("1", out);
	else if (p->len == 32)
		fprintf(out, "st->%s4 == bpf_htonl(0x%08" PRIx32 "u)", field, net);
	else
		fprintf(out,
			"(st->%s4 & bpf_htonl(0x%08" PRIx32 "u)) == bpf_htonl(0x%08" PRIx32 "u)",
			field, mask, net);
}

/* One compare per 64-bit half the prefix reaches, parenthesised when there
 * are two: "&&" inside "||" and a lone "==" in parentheses are both
 * clang warnings (-Wlogical-op-parentheses, -Wparentheses-equality). */
void emit_prefix6(FILE *out, const char *field, const struct prefix *p)
{
	bool both = p->len > 64;
	const char *and = "";

	if (p->len == 0) {
		fputs("1", out);
		return;
	}
	if (both)
		fputc('(', out);
	for (unsigned half = 0; half < 2; half++) {
		unsigned bits = p->len > half * 64 ? p->len - half * 64 : 0;
		uint64_t net = 0, mask;

		if (bits == 0)
			break;
		if (bits > 64)
			bits = 64;
		for (unsigned i = 0; i < 8; i++)
			net = net << 8 | p->addr[half * 8 + i];
		mask = bits == 64 ? UINT64_MAX : ~(UINT64_MAX >> bits);
		if (bits == 64)
			fprintf(out, "%sst->%s64[%u] == bpf_cpu_to_be64(0x%016" PRIx64 "ull)", and,
				field, half, net);
		else
			fprintf(out,
				"%s(st->%s64[%u] & bpf_cpu_to_be64(0x%016" PRIx64
				"ull)) == bpf_cpu_to_be64(0x%016" PRIx64 "ull)",
				and, field, half, mask, net);
		and = " && ";
	}
	if (both)
		fputc(')', out);
}

static size_t addr_terms(const struct ir_addr_match *m, uint8_t fam)
{
	size_t n = m->nsets;

	for (size_t i = 0; i < m->nprefixes; i++)
		n += m->prefixes[i].family == fam;
	return n;
}

/* Is the address of family fam inside the condition's prefixes or sets?
 * Parenthesised when negated or more than one test (clang's
 * -Wparentheses-equality objects to parentheses around a lone ==). */
static void emit_addr_in(FILE *out, const char *field, const struct ir_addr_match *m, uint8_t fam,
			 bool negate)
{
	size_t n = addr_terms(m, fam);
	bool parens = negate || n != 1;
	const char * or = "";

	if (negate)
		fputc('!', out);
	if (parens)
		fputc('(', out);
	for (size_t i = 0; i < m->nprefixes; i++) {
		const struct prefix *p = &m->prefixes[i];
		if (p->family != fam)
			continue;
		fputs(or, out);
		if (fam == FAM_V4)
			emit_prefix4(out, field, p);
		else
			emit_prefix6(out, field, p);
		or = " || ";
	}
	for (size_t i = 0; i < m->nsets; i++) {
		if (fam == FAM_V4)
			fprintf(out, "%sut_set_has4_%" PRIu32 "(st->%s4)", or, m->sets[i], field);
		else
			fprintf(out, "%sut_set_has6_%" PRIu32 "(st->%s64[0], st->%s64[1])", or,
				m->sets[i], field, field);
		or = " || ";
	}
	if (!n)
		fputc('0', out);
	if (parens)
		fputc(')', out);
}

/* Does the condition need its readability bit tested? An unreadable
 * address is zero in the state (untrack_abi.h), so a positive test against
 * prefixes that do not contain the zero address fails on it anyway. Sets
 * can gain any prefix at run time; negations hold for zero. */
static bool addr_needs_has(const struct ir_addr_match *m, uint8_t families)
{
	static const uint8_t zero[16];

	if (m->negate || m->nsets)
		return true;
	for (size_t i = 0; i < m->nprefixes; i++)
		if ((m->prefixes[i].family & families) && prefix_contains(&m->prefixes[i], zero))
			return true;
	return false;
}

static bool ports_need_has(const struct ir_port_match *m)
{
	return m->negate || (m->nranges && m->ranges[0].lo == 0);
}

/* Writes a rule's tests joined by "&&", each test after the first on a
 * line of its own, aligned under the first one of `if (`. */
struct conj {
	FILE *out;
	const char *indent;
	bool first;
};

static FILE *conj_next(struct conj *c)
{
	if (!c->first)
		fprintf(c->out, " &&\n%s    ", c->indent);
	c->first = false;
	return c->out;
}

static void emit_addr_cond(struct conj *c, const char *field, const char *has_bit,
			   const struct ir_addr_match *m, uint8_t families)
{
	static const uint8_t fams[] = {FAM_V4, FAM_V6};
	FILE *out = conj_next(c);
	const char * or = "";

	if (addr_needs_has(m, families))
		fprintf(out, "(st->has & %s) && ", has_bit);
	if (families == FAM_ALL)
		fputc('(', out);
	for (size_t i = 0; i < 2; i++) {
		if (!(families & fams[i]))
			continue;
		fputs(or, out);
		if (families == FAM_ALL)
			fprintf(out, "(st->family == %s && ",
				fams[i] == FAM_V4 ? "UT_FAM_V4" : "UT_FAM_V6");
		emit_addr_in(out, field, m, fams[i], m->negate);
		if (families == FAM_ALL)
			fputc(')', out);
		or = " || ";
	}
	if (families == FAM_ALL)
		fputc(')', out);
}

static void emit_port_cond(struct conj *c, const char *field, const char *has_bit,
			   const struct ir_port_match *m)
{
	FILE *out = conj_next(c);
	/* as for addresses: no parentheses around a lone == */
	bool parens = m->negate || m->nranges != 1;
	const char * or = "";

	if (ports_need_has(m))
		fprintf(out, "(st->has & %s) && ", has_bit);
	if (m->negate)
		fputc('!', out);
	if (parens)
		fputc('(', out);
	for (size_t i = 0; i < m->nranges; i++, or = " || ") {
		const struct ir_range *r = &m->ranges[i];
		if (r->lo == r->hi)
			fprintf(out, "%sst->%s == %u", or, field, r->lo);
		else if (r->lo == 0)
			fprintf(out, "%sst->%s <= %u", or, field, r->hi);
		else if (r->hi == 65535)
			fprintf(out, "%sst->%s >= %u", or, field, r->lo);
		else
			fprintf(out, "%s(st->%s >= %u && st->%s <= %u)", or, field, r->lo, field,
				r->hi);
	}
	if (parens)
		fputc(')', out);
}

/* The family test a rule needs: none when the caller has tested the family
 * (fam), nor for both families together, since untrack_main hands the
 * policy IP packets only. */
/* untrack_main hands the policy IP packets, and frames of no family
 * (family 0) with more VLAN tags than it walks, which have no field. So
 * both families together need no test, nor does a family the caller has
 * tested, except in a rule that tests nothing else: it matches IP packets
 * only. */
static const char *family_test(const struct ir_rule *r, uint8_t fam)
{
	if (emit_rule_is_bare(r))
		return "st->family";
	if (fam || r->families == FAM_ALL)
		return NULL;
	return r->families == FAM_V4 ? "st->family == UT_FAM_V4" : "st->family == UT_FAM_V6";
}

bool emit_rule_reads_fields(const struct ir_rule *r)
{
	return r->proto != IR_PROTO_ANY || r->src || r->dst || r->sport || r->dport ||
	       r->icmp_type != IR_ICMP_ANY || r->icmp_code != IR_ICMP_ANY;
}

bool emit_rule_is_bare(const struct ir_rule *r)
{
	return !r->incomplete && !emit_rule_reads_fields(r);
}

bool emit_rule_has_tests(const struct ir_rule *r, uint8_t fam)
{
	return family_test(r, fam) || r->incomplete || emit_rule_reads_fields(r);
}

void emit_rule_condition_in(const struct emit_ctx *e, const struct ir_rule *r, uint8_t fam,
			    const char *indent)
{
	struct conj c = {.out = e->out, .indent = indent, .first = true};
	uint8_t families = fam ? fam : r->families;
	const char *family = family_test(r, fam);

	if (family)
		fputs(family, conj_next(&c));
	/* The tests are independent reads of the state, so their order is
	 * free: the ones that reject most packets for the fewest instructions
	 * go first (a port is one load and a compare; an IPv6 prefix needs
	 * 64-bit constants), and a packet no rule wants leaves each rule after
	 * one test. Protocols tell little apart: TCP and UDP are most traffic. */
	if (r->dport)
		emit_port_cond(&c, "dport", "UT_HAS_DPORT", r->dport);
	if (r->sport)
		emit_port_cond(&c, "sport", "UT_HAS_SPORT", r->sport);
	if (r->src)
		emit_addr_cond(&c, "src", "UT_HAS_SRC", r->src, families);
	if (r->dst)
		emit_addr_cond(&c, "dst", "UT_HAS_DST", r->dst, families);
	if (r->proto != IR_PROTO_ANY) {
		/* an unreadable protocol is 0 in the state: only proto 0 needs the bit */
		if (r->proto == 0)
			fputs("(st->has & UT_HAS_PROTO) && st->proto == 0", conj_next(&c));
		else
			fprintf(conj_next(&c), "st->proto == %d", r->proto);
	}
	/* likewise type and code: only 0 needs the bit */
	if (r->icmp_type != IR_ICMP_ANY)
		fprintf(conj_next(&c), "%sst->icmp_type == %d",
			r->icmp_type ? "" : "(st->has & UT_HAS_TYPE) && ", r->icmp_type);
	if (r->icmp_code != IR_ICMP_ANY)
		fprintf(conj_next(&c), "%sst->icmp_code == %d",
			r->icmp_code ? "" : "(st->has & UT_HAS_CODE) && ", r->icmp_code);
	if (r->incomplete)
		fputs("(st->has & UT_HAS_INCOMPLETE)", conj_next(&c));
	/* A rule without tests: callers leave out the `if`, but the
	 * expression must still be one. */
	if (c.first)
		fputc('1', e->out);
}
