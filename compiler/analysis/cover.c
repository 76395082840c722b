/* The exact containment test of the shadowed-rule analysis.
 *
 * Rule e covers rule r when every packet r matches also matches e. A packet
 * is a family, the set of fields it was able to read, and their values. The
 * fields a packet can read are not independent of each other (they become
 * readable in frame order), so the packets of one family are split into a
 * handful of readability states (the table below). Inside one state every
 * field that is readable can take any value of its universe independently
 * of the others, so the packets a rule matches there form a box, one set of
 * values per field, and e covers r when, in every state where r's box is
 * not empty, e's box contains it field by field.
 *
 * shadow_check (shadow.c) needs that test for every rule against the earlier
 * deciding rules of its direction; index.c narrows those to a few candidates
 * first. */
#include "analysis/cover.h"

#include <stdlib.h>
#include <string.h>

#include "analysis/ivset.h"
#include "ref/pkt.h"
#include "base/xalloc.h"

#define P  PKT_HAS_PROTO
#define S  PKT_HAS_SRC
#define D  PKT_HAS_DST
#define SP PKT_HAS_SPORT
#define DP PKT_HAS_DPORT
#define T  PKT_HAS_TYPE
#define C  PKT_HAS_CODE
#define I  PKT_HAS_INCOMPLETE /* not a field: the condition 'incomplete' */

/* The protocol values a state can carry when its protocol is readable. */
enum proto_univ {
	U_ANY,	    /* all 256 */
	U_V6_FIRST, /* IPv6 Next Header at byte 6 that names no extension header */
	U_PORTS,    /* TCP, UDP, SCTP */
	U_ICMP4,    /* 1 */
	U_ICMP6,    /* 58 */
};

struct pkt_state {
	uint8_t family;
	uint8_t has; /* PKT_HAS_* */
	uint8_t univ;
};

/* Every readability state a frame can reach, from the definition in pkt.h.
 * A state is listed when some frame reaches it with every protocol of its
 * universe and every value of each readable field; a field is readable only
 * when every byte of it is in the frame. Whether the packet is incomplete
 * (I) is part of the state: a frame that ends inside the IP headers, or
 * IPv4 with IHL < 5, is; one that ends in or before the L4 header is not.
 * No state with an L4 field is incomplete: the L4 header lies past the IP
 * headers.
 *
 * IPv4: protocol at byte 9, source 12..15, destination 16..19. The L4
 * header starts at IHL*4 >= 20, after both addresses, and has ports (TCP,
 * UDP, SCTP) or a type and a code (ICMP) or nothing we read. */
static const struct pkt_state states[] = {
	/* The frame ends before byte 10. */
	{FAM_V4, I, U_ANY},
	/* It ends in bytes 10..15: any protocol byte. */
	{FAM_V4, P | I, U_ANY},
	/* It ends in 16..19. */
	{FAM_V4, P | S | I, U_ANY},
	/* No L4 field: a non-first fragment, a protocol without ports or
	 * ICMP header, or the frame ends before the first L4 field. */
	{FAM_V4, P | S | D, U_ANY},
	/* No L4 field, incomplete: IHL < 5, or the frame ends inside the
	 * options. */
	{FAM_V4, P | S | D | I, U_ANY},
	/* TCP, UDP or SCTP ending inside the destination port, or not. */
	{FAM_V4, P | S | D | SP, U_PORTS},
	{FAM_V4, P | S | D | SP | DP, U_PORTS},
	/* ICMP ending right after the type byte, or not. */
	{FAM_V4, P | S | D | T, U_ICMP4},
	{FAM_V4, P | S | D | T | C, U_ICMP4},

	/* IPv6: Next Header at byte 6, source 8..23, destination 24..39, then
	 * extension headers and the L4 header. */

	/* The frame ends before byte 7, or before 24 when byte 6 names an
	 * extension header (the protocol is then further on). */
	{FAM_V6, I, U_ANY},
	/* Byte 6 names no extension header, so it is the protocol and is
	 * readable on its own: the frame ends in 7..23, or in 24..39. */
	{FAM_V6, P | I, U_V6_FIRST},
	{FAM_V6, P | S | I, U_V6_FIRST},
	/* Byte 6 names an extension header, the frame ends in 24..39. */
	{FAM_V6, S | I, U_ANY},
	/* The walk ran out of frame before an extension header's first
	 * bytes. */
	{FAM_V6, S | D | I, U_ANY},
	/* No L4 field, as for IPv4. A non-first fragment's protocol is its
	 * fragment header's Next Header: any value, extension headers
	 * included. */
	{FAM_V6, P | S | D, U_ANY},
	/* The same, the frame ending inside the last extension header (a
	 * fragment header too: its offset is in its first four bytes). */
	{FAM_V6, P | S | D | I, U_ANY},
	/* L4 fields as for IPv4, with ICMPv6 for ICMP. */
	{FAM_V6, P | S | D | SP, U_PORTS},
	{FAM_V6, P | S | D | SP | DP, U_PORTS},
	{FAM_V6, P | S | D | T, U_ICMP6},
	{FAM_V6, P | S | D | T | C, U_ICMP6},

	/* More VLAN tags than are walked: no family, no field. */
	{0, I, U_ANY},
};

#define NSTATES (sizeof(states) / sizeof(states[0]))

static bool univ_has(uint8_t univ, int proto)
{
	switch (univ) {
	case U_ANY:
		return true;
	case U_V6_FIRST:
		/* the extension headers pkt.h walks */
		return proto != 0 && proto != 43 && proto != 44 && proto != 51 && proto != 60;
	case U_PORTS:
		return ir_proto_has_ports(proto);
	case U_ICMP4:
		return proto == IPPROTO_NUM_ICMP;
	case U_ICMP6:
		return proto == IPPROTO_NUM_ICMPV6;
	}
	abort();
}

/* The only protocol of a universe, or -1 when it has several. */
static int univ_single(uint8_t univ)
{
	if (univ == U_ICMP4)
		return IPPROTO_NUM_ICMP;
	if (univ == U_ICMP6)
		return IPPROTO_NUM_ICMPV6;
	return -1;
}

/* ---------------------------------------------------------------- rules */

uint32_t shadow_family_states(unsigned fi)
{
	uint32_t m = 0;

	for (unsigned i = 0; i < NSTATES; i++) {
		if (states[i].family == shadow_fam(fi))
			m |= 1u << i;
	}
	return m;
}

void shadow_ctx_init(struct shadow_ctx *c, const struct ir_program *p)
{
	memset(c, 0, sizeof(*c));
	c->p = p;
	c->sets = xcalloc(p->nsets, sizeof(*c->sets));
	c->built = xcalloc(p->nsets, 1);
}

void shadow_ctx_free(struct shadow_ctx *c)
{
	for (size_t i = 0; i < c->p->nsets; i++) {
		for (unsigned fi = 0; fi < SHADOW_NFAM; fi++)
			ivset_free(&c->sets[i][fi]);
	}
	free(c->sets);
	free(c->built);
	while (c->chunks) {
		struct iv_chunk *next = c->chunks->next;

		free(c->chunks);
		c->chunks = next;
	}
	ivset_free(&c->scratch);
}

/* A lasting copy of s's intervals. */
static const struct ivset_iv *keep(struct shadow_ctx *c, const struct ivset *s)
{
	struct iv_chunk *ch = c->chunks;

	if (s->n == 0)
		return NULL;
	if (!ch || ch->cap - ch->used < s->n) {
		/* chunks grow with use: one pair of rules needs little */
		size_t cap = ch ? (ch->cap < CHUNK_IVS ? ch->cap * 2 : CHUNK_IVS) : 16;

		if (cap < s->n)
			cap = s->n;
		ch = xmalloc(sizeof(*ch) + cap * sizeof(ch->iv[0]));
		ch->used = 0;
		ch->cap = cap;
		ch->next = c->chunks;
		c->chunks = ch;
	}
	struct ivset_iv *out = &ch->iv[ch->used];
	memcpy(out, s->iv, s->n * sizeof(*out));
	ch->used += s->n;
	return out;
}

static const struct ivset *set_values(struct shadow_ctx *c, uint32_t set, unsigned fi)
{
	struct ivset *s = &c->sets[set][fi];

	if (!(c->built[set] & (1u << fi))) {
		const struct ir_set *is = &c->p->sets[set];

		ivset_add_prefixes(s, is->prefixes, is->nprefixes, shadow_fam(fi));
		c->built[set] |= (uint8_t)(1u << fi);
	}
	return s;
}

static void addr_cond(struct shadow_ctx *c, const struct ir_addr_match *m, unsigned fi,
		      struct cond *out)
{
	out->present = true;
	out->negate = m->negate;
	/* A lone set reference borrows the cache's copy: rules naming one
	 * big set stay cheap. */
	if (m->nprefixes == 0 && m->nsets == 1) {
		const struct ivset *s = set_values(c, m->sets[0], fi);

		out->iv = s->iv;
		out->n = (uint32_t)s->n;
		return;
	}
	ivset_clear(&c->scratch);
	ivset_add_prefixes(&c->scratch, m->prefixes, m->nprefixes, shadow_fam(fi));
	for (size_t i = 0; i < m->nsets; i++)
		ivset_union(&c->scratch, &c->scratch, set_values(c, m->sets[i], fi));
	out->iv = keep(c, &c->scratch);
	out->n = (uint32_t)c->scratch.n;
}

static void port_cond(struct shadow_ctx *c, const struct ir_port_match *m, struct cond *out)
{
	ivset_clear(&c->scratch);
	ivset_add_ranges(&c->scratch, m->ranges, m->nranges);
	out->present = true;
	out->negate = m->negate;
	out->iv = keep(c, &c->scratch);
	out->n = (uint32_t)c->scratch.n;
}

bool cond_full(const struct cond *c, ivset_val max)
{
	struct ivset s = cond_set(c);

	if (!c->present)
		return true;
	return c->negate ? ivset_is_empty(&s) : ivset_is_full(&s, max);
}

/* Does the condition let some value of [0, max] through? */
static bool cond_nonempty(const struct cond *c, ivset_val max)
{
	struct ivset s = cond_set(c);

	if (!c->present)
		return true;
	return c->negate ? !ivset_is_full(&s, max) : !ivset_is_empty(&s);
}

/* Is every value condition a lets through also let through by b? (b is
 * present.) Each case is one linear merge, without building complements. */
static bool cond_subset(const struct cond *a, const struct cond *b, ivset_val max)
{
	struct ivset as = cond_set(a), bs = cond_set(b);

	if (!a->present)
		return cond_full(b, max);
	if (!a->negate && !b->negate)
		return ivset_subset(&as, &bs);
	if (!a->negate)
		return ivset_disjoint(&as, &bs);
	if (!b->negate)
		return ivset_union_is_full(&as, &bs, max);
	return ivset_subset(&bs, &as);
}

void rinfo_build(struct shadow_ctx *c, const struct ir_rule *r, struct rinfo *ri)
{
	const struct ir_addr_match *addrs[2] = {r->src, r->dst};
	const struct ir_port_match *ports[2] = {r->sport, r->dport};
	bool fam_ok[SHADOW_NFAM];

	memset(ri, 0, sizeof(*ri));
	ri->proto = r->proto;
	ri->type = r->icmp_type;
	ri->code = r->icmp_code;
	if (r->proto >= 0)
		ri->need |= P;
	if (r->src)
		ri->need |= S;
	if (r->dst)
		ri->need |= D;
	if (r->sport)
		ri->need |= SP;
	if (r->dport)
		ri->need |= DP;
	if (r->icmp_type >= 0)
		ri->need |= T;
	if (r->icmp_code >= 0)
		ri->need |= C;
	if (r->incomplete)
		ri->need |= I;

	for (unsigned k = 0; k < 2; k++) {
		if (ports[k])
			port_cond(c, ports[k], &ri->port[k]);
	}
	for (unsigned fi = 0; fi < SHADOW_NFAM; fi++) {
		fam_ok[fi] = (r->families & shadow_fam(fi)) != 0;
		for (unsigned k = 0; k < 2 && fam_ok[fi]; k++) {
			if (addrs[k])
				addr_cond(c, addrs[k], fi, &ri->addr[fi][k]);
			fam_ok[fi] = cond_nonempty(&ri->addr[fi][k], shadow_addr_max(fi));
		}
		for (unsigned k = 0; k < 2; k++)
			fam_ok[fi] = fam_ok[fi] && cond_nonempty(&ri->port[k], SHADOW_PORT_MAX);
	}
	for (unsigned i = 0; i < NSTATES; i++) {
		const struct pkt_state *st = &states[i];

		/* A frame of no family meets only a rule of both families
		 * whose sole condition is 'incomplete'. */
		if (st->family == 0
			    ? r->families != FAM_ALL || ri->need != I
			    : !fam_ok[st->family == FAM_V4 ? 0 : 1] || (ri->need & ~st->has))
			continue;
		if (r->proto >= 0 && !univ_has(st->univ, r->proto))
			continue;
		ri->states |= 1u << i;
	}
}

bool shadow_covers(const struct rinfo *e, const struct rinfo *r)
{
	/* A rule that matches nothing is inside every rule. */
	if (!r->states)
		return true;
	/* e's box must at least be non-empty wherever r's is. */
	if (r->states & ~e->states)
		return false;
	if (e->proto >= 0 && r->proto != e->proto) {
		/* r takes any protocol of each state's universe: only a
		 * one-protocol universe fits inside e's protocol. */
		for (unsigned i = 0; i < NSTATES; i++) {
			if ((r->states & (1u << i)) && univ_single(states[i].univ) != e->proto)
				return false;
		}
	}
	if (e->type >= 0 && r->type != e->type)
		return false;
	if (e->code >= 0 && r->code != e->code)
		return false;
	for (unsigned k = 0; k < 2; k++) {
		if (e->port[k].present && !cond_subset(&r->port[k], &e->port[k], SHADOW_PORT_MAX))
			return false;
	}
	for (unsigned fi = 0; fi < SHADOW_NFAM; fi++) {
		if (!(r->states & shadow_family_states(fi)))
			continue;
		for (unsigned k = 0; k < 2; k++) {
			if (e->addr[fi][k].present &&
			    !cond_subset(&r->addr[fi][k], &e->addr[fi][k], shadow_addr_max(fi)))
				return false;
		}
	}
	return true;
}

bool shadow_rule_covers(const struct ir_program *p, const struct ir_rule *e,
			const struct ir_rule *r)
{
	struct shadow_ctx c;
	struct rinfo ei, ri;
	bool ok;

	shadow_ctx_init(&c, p);
	rinfo_build(&c, e, &ei);
	rinfo_build(&c, r, &ri);
	ok = shadow_covers(&ei, &ri);
	shadow_ctx_free(&c);
	return ok;
}
