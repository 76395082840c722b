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

void emit_prefix6(FILE *out, const char *field, const struct prefix *p)
{
	const char *and = "";

	if (p->len == 0) {
		fputs("1", out);
		return;
	}
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
	fputc(')', out);
}

/* Is the address of family fam inside the condition's prefixes or sets? */
static void emit_addr_in(const struct emit_ctx *e, const char *field, const struct ir_addr_match *m,
			 uint8_t fam)
{
	const char * or = "";
	bool any = false;

	fputc('(', e->out);
	for (size_t i = 0; i < m->nprefixes; i++) {
		const struct prefix *p = &m->prefixes[i];
		if (p->family != fam)
			continue;
		fputs(or, e->out);
		if (fam == FAM_V4)
			emit_prefix4(e->out, field, p);
		else
			emit_prefix6(e->out, field, p);
		or = " || ";
		any = true;
	}
	for (size_t i = 0; i < m->nsets; i++) {
		if (fam == FAM_V4)
			fprintf(e->out, "%sut_set_has4_%" PRIu32 "(st->%s4)", or, m->sets[i],
				field);
		else
			fprintf(e->out, "%sut_set_has6_%" PRIu32 "(st->%s64[0], st->%s64[1])", or,
				m->sets[i], field, field);
		or = " || ";
		any = true;
	}
	if (!any)
		fputc('0', e->out);
	fputc(')', e->out);
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

static void emit_addr_cond(const struct emit_ctx *e, const char *field, const char *has_bit,
			   const struct ir_addr_match *m, uint8_t families)
{
	static const uint8_t fams[] = {FAM_V4, FAM_V6};
	const char * or = "";

	if (addr_needs_has(m, families))
		fprintf(e->out, " &&\n\t    (st->has & %s) && ", has_bit);
	else
		fputs(" &&\n\t    ", e->out);
	if (families == FAM_ALL)
		fputc('(', e->out);
	for (size_t i = 0; i < 2; i++) {
		if (!(families & fams[i]))
			continue;
		fputs(or, e->out);
		if (families == FAM_ALL)
			fprintf(e->out, "(st->family == %s && ",
				fams[i] == FAM_V4 ? "UT_FAM_V4" : "UT_FAM_V6");
		if (m->negate)
			fputc('!', e->out);
		emit_addr_in(e, field, m, fams[i]);
		if (families == FAM_ALL)
			fputc(')', e->out);
		or = " || ";
	}
	if (families == FAM_ALL)
		fputc(')', e->out);
}

static void emit_port_cond(const struct emit_ctx *e, const char *field, const char *has_bit,
			   const struct ir_port_match *m)
{
	const char * or = "";

	if (ports_need_has(m))
		fprintf(e->out, " &&\n\t    (st->has & %s) && %s(", has_bit, m->negate ? "!" : "");
	else
		fputs(" &&\n\t    (", e->out);
	for (size_t i = 0; i < m->nranges; i++, or = " || ") {
		const struct ir_range *r = &m->ranges[i];
		if (r->lo == r->hi)
			fprintf(e->out, "%sst->%s == %u", or, field, r->lo);
		else if (r->lo == 0)
			fprintf(e->out, "%sst->%s <= %u", or, field, r->hi);
		else if (r->hi == 65535)
			fprintf(e->out, "%sst->%s >= %u", or, field, r->lo);
		else
			fprintf(e->out, "%s(st->%s >= %u && st->%s <= %u)", or, field, r->lo, field,
				r->hi);
	}
	fputc(')', e->out);
}

void emit_rule_condition_in(const struct emit_ctx *e, const struct ir_rule *r, uint8_t fam)
{
	FILE *out = e->out;
	uint8_t families = fam ? fam : r->families;

	/* untrack_main hands the policy IP packets only, so both families
	 * together need no test; nor does a family the caller has tested. */
	if (fam)
		fputs("1", out);
	else if (r->families == FAM_V4)
		fputs("st->family == UT_FAM_V4", out);
	else if (r->families == FAM_V6)
		fputs("st->family == UT_FAM_V6", out);
	else
		fputs("1", out);
	/* The tests are independent reads of the state, so their order is
	 * free: the ones that reject most packets for the fewest instructions
	 * go first (a port is one load and a compare; an IPv6 prefix needs
	 * 64-bit constants), and a packet no rule wants leaves each rule after
	 * one test. Protocols tell little apart: TCP and UDP are most traffic. */
	if (r->dport)
		emit_port_cond(e, "dport", "UT_HAS_DPORT", r->dport);
	if (r->sport)
		emit_port_cond(e, "sport", "UT_HAS_SPORT", r->sport);
	if (r->src)
		emit_addr_cond(e, "src", "UT_HAS_SRC", r->src, families);
	if (r->dst)
		emit_addr_cond(e, "dst", "UT_HAS_DST", r->dst, families);
	if (r->proto != IR_PROTO_ANY) {
		/* an unreadable protocol is 0 in the state: only proto 0 needs the bit */
		if (r->proto == 0)
			fputs(" &&\n\t    (st->has & UT_HAS_PROTO) && st->proto == 0", out);
		else
			fprintf(out, " &&\n\t    st->proto == %d", r->proto);
	}
	/* likewise type and code: only 0 needs the bit */
	if (r->icmp_type != IR_ICMP_ANY)
		fprintf(out, " &&\n\t    %sst->icmp_type == %d",
			r->icmp_type ? "" : "(st->has & UT_HAS_TYPE) && ", r->icmp_type);
	if (r->icmp_code != IR_ICMP_ANY)
		fprintf(out, " &&\n\t    %sst->icmp_code == %d",
			r->icmp_code ? "" : "(st->has & UT_HAS_CODE) && ", r->icmp_code);
}

void emit_rule_condition(const struct emit_ctx *e, const struct ir_rule *r)
{
	emit_rule_condition_in(e, r, 0);
}
