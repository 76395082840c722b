/* Shadowed-rule analysis.
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
 * shadow_check needs that test for every rule against the earlier deciding
 * rules of its direction: an index (further down) narrows the earlier rules
 * to a few candidates before the exact test runs. */
#include "shadow.h"

#include <stdlib.h>
#include <string.h>

#include "ivset.h"
#include "pkt.h"
#include "xalloc.h"

#define P  PKT_HAS_PROTO
#define S  PKT_HAS_SRC
#define D  PKT_HAS_DST
#define SP PKT_HAS_SPORT
#define DP PKT_HAS_DPORT
#define T  PKT_HAS_TYPE
#define C  PKT_HAS_CODE

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
 * universe and every value of each readable field. */
static const struct pkt_state states[] = {
	/* IPv4: protocol byte 9, source 12..15, destination 16..19; the L4
	 * header starts at IHL*4 >= 20, after both addresses. */
	{FAM_V4, 0, U_ANY},			/* the frame ends before byte 10 */
	{FAM_V4, P, U_ANY},			/* ends in bytes 10..15: any protocol byte */
	{FAM_V4, P | S, U_ANY},			/* ends in 16..19 */
	{FAM_V4, P | S | D, U_ANY},		/* no L4 field: IHL < 5, a non-first fragment,
				     * a protocol without ports or ICMP header, or
				     * the frame ends before the first L4 field */
	{FAM_V4, P | S | D | SP, U_PORTS},	/* ends inside the destination port */
	{FAM_V4, P | S | D | SP | DP, U_PORTS}, /* a whole TCP/UDP/SCTP port pair */
	{FAM_V4, P | S | D | T, U_ICMP4},	/* ends right after the type byte */
	{FAM_V4, P | S | D | T | C, U_ICMP4},
	/* IPv6: Next Header byte 6, source 8..23, destination 24..39, then
	 * extension headers and the L4 header. */
	{FAM_V6, 0, U_ANY},	     /* ends before byte 7, or before 24 when byte 6
				      * names an extension header */
	{FAM_V6, P, U_V6_FIRST},     /* byte 6 names no extension header, so it is
				      * the protocol, readable on its own; ends in 7..23 */
	{FAM_V6, P | S, U_V6_FIRST}, /* the same, ends in 24..39 */
	{FAM_V6, S, U_ANY},	     /* byte 6 names an extension header; ends in 24..39 */
	{FAM_V6, S | D, U_ANY},	     /* the walk ran out of frame or past
				      * PKT_IPV6_MAX_EXT headers: no protocol */
	{FAM_V6, P | S | D, U_ANY},  /* no L4 field, as for IPv4; a non-first
				      * fragment's Next Header may be any value,
				      * extension header numbers included */
	{FAM_V6, P | S | D | SP, U_PORTS},
	{FAM_V6, P | S | D | SP | DP, U_PORTS},
	{FAM_V6, P | S | D | T, U_ICMP6},
	{FAM_V6, P | S | D | T | C, U_ICMP6},
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

#define NFAM 2 /* index 0: IPv4, 1: IPv6 */

static uint8_t fam_of(unsigned fi)
{
	return fi == 0 ? FAM_V4 : FAM_V6;
}

/* One address or port condition within one family: the values listed in
 * the rule (set), or all others when negated. */
struct cond {
	bool present;
	bool negate;
	const struct ivset *set;
};

/* What the analysis needs of a rule, computed once. */
struct rinfo {
	uint8_t need;	 /* PKT_HAS_* fields the rule reads */
	uint32_t states; /* bit i: the rule matches some packet in states[i] */
	int16_t proto, type, code;
	struct cond addr[NFAM][2]; /* [family][0: source, 1: destination] */
	struct cond port[2];	   /* 0: source, 1: destination */
	struct ivset own[NFAM * 2 + 2];
	unsigned nown;
};

/* Named sets' initial contents per family, built on first use. */
struct set_cache {
	const struct ir_program *p;
	struct ivset (*fam)[NFAM];
	uint8_t *built; /* bit per family */
};

static void set_cache_init(struct set_cache *c, const struct ir_program *p)
{
	c->p = p;
	c->fam = xcalloc(p->nsets, sizeof(*c->fam));
	c->built = xcalloc(p->nsets, 1);
}

static void set_cache_free(struct set_cache *c)
{
	for (size_t i = 0; i < c->p->nsets; i++) {
		for (unsigned fi = 0; fi < NFAM; fi++)
			ivset_free(&c->fam[i][fi]);
	}
	free(c->fam);
	free(c->built);
}

static const struct ivset *set_values(struct set_cache *c, uint32_t set, unsigned fi)
{
	struct ivset *s = &c->fam[set][fi];

	if (!(c->built[set] & (1u << fi))) {
		const struct ir_set *is = &c->p->sets[set];

		ivset_add_prefixes(s, is->prefixes, is->nprefixes, fam_of(fi));
		c->built[set] |= (uint8_t)(1u << fi);
	}
	return s;
}

static struct ivset *own_set(struct rinfo *ri)
{
	struct ivset *s = &ri->own[ri->nown++];

	*s = (struct ivset)IVSET_INIT;
	return s;
}

static void addr_cond(struct set_cache *c, struct rinfo *ri, const struct ir_addr_match *m,
		      unsigned fi, struct cond *out)
{
	out->present = true;
	out->negate = m->negate;
	/* A lone set reference is shared with the cache, not copied: rules
	 * naming one big set stay cheap. */
	if (m->nprefixes == 0 && m->nsets == 1) {
		out->set = set_values(c, m->sets[0], fi);
		return;
	}
	struct ivset *s = own_set(ri);
	ivset_add_prefixes(s, m->prefixes, m->nprefixes, fam_of(fi));
	for (size_t i = 0; i < m->nsets; i++)
		ivset_union(s, s, set_values(c, m->sets[i], fi));
	out->set = s;
}

static void port_cond(struct rinfo *ri, const struct ir_port_match *m, struct cond *out)
{
	struct ivset *s = own_set(ri);

	ivset_add_ranges(s, m->ranges, m->nranges);
	out->present = true;
	out->negate = m->negate;
	out->set = s;
}

/* Does the condition let some value of [0, max] through? */
static bool cond_nonempty(const struct cond *c, ivset_val max)
{
	if (!c->present)
		return true;
	return c->negate ? !ivset_is_full(c->set, max) : !ivset_is_empty(c->set);
}

static bool cond_full(const struct cond *c, ivset_val max)
{
	if (!c->present)
		return true;
	return c->negate ? ivset_is_empty(c->set) : ivset_is_full(c->set, max);
}

/* Is every value condition a lets through also let through by b? (b is
 * present.) Each case is one linear merge, without building complements. */
static bool cond_subset(const struct cond *a, const struct cond *b, ivset_val max)
{
	if (!a->present)
		return cond_full(b, max);
	if (!a->negate && !b->negate)
		return ivset_subset(a->set, b->set);
	if (!a->negate)
		return ivset_disjoint(a->set, b->set);
	if (!b->negate)
		return ivset_union_is_full(a->set, b->set, max);
	return ivset_subset(b->set, a->set);
}

static ivset_val addr_max(unsigned fi)
{
	return ivset_max(family_width(fam_of(fi)));
}

#define PORT_MAX ivset_max(16)

static void rinfo_build(struct set_cache *c, const struct ir_rule *r, struct rinfo *ri)
{
	const struct ir_addr_match *addrs[2] = {r->src, r->dst};
	const struct ir_port_match *ports[2] = {r->sport, r->dport};
	bool fam_ok[NFAM];

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

	for (unsigned k = 0; k < 2; k++) {
		if (ports[k])
			port_cond(ri, ports[k], &ri->port[k]);
	}
	for (unsigned fi = 0; fi < NFAM; fi++) {
		fam_ok[fi] = (r->families & fam_of(fi)) != 0;
		for (unsigned k = 0; k < 2 && fam_ok[fi]; k++) {
			if (addrs[k])
				addr_cond(c, ri, addrs[k], fi, &ri->addr[fi][k]);
			fam_ok[fi] = cond_nonempty(&ri->addr[fi][k], addr_max(fi));
		}
		for (unsigned k = 0; k < 2; k++)
			fam_ok[fi] = fam_ok[fi] && cond_nonempty(&ri->port[k], PORT_MAX);
	}
	for (unsigned i = 0; i < NSTATES; i++) {
		const struct pkt_state *st = &states[i];

		if (!fam_ok[st->family == FAM_V4 ? 0 : 1] || (ri->need & ~st->has))
			continue;
		if (r->proto >= 0 && !univ_has(st->univ, r->proto))
			continue;
		ri->states |= 1u << i;
	}
}

static void rinfo_free(struct rinfo *ri)
{
	for (unsigned i = 0; i < ri->nown; i++)
		ivset_free(&ri->own[i]);
}

static uint32_t family_states(unsigned fi)
{
	uint32_t m = 0;

	for (unsigned i = 0; i < NSTATES; i++) {
		if (states[i].family == fam_of(fi))
			m |= 1u << i;
	}
	return m;
}

static bool covers(const struct rinfo *e, const struct rinfo *r)
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
		if (e->port[k].present && !cond_subset(&r->port[k], &e->port[k], PORT_MAX))
			return false;
	}
	for (unsigned fi = 0; fi < NFAM; fi++) {
		if (!(r->states & family_states(fi)))
			continue;
		for (unsigned k = 0; k < 2; k++) {
			if (e->addr[fi][k].present &&
			    !cond_subset(&r->addr[fi][k], &e->addr[fi][k], addr_max(fi)))
				return false;
		}
	}
	return true;
}

bool shadow_rule_covers(const struct ir_program *p, const struct ir_rule *e,
			const struct ir_rule *r)
{
	struct set_cache c;
	struct rinfo ei, ri;
	bool ok;

	set_cache_init(&c, p);
	rinfo_build(&c, e, &ei);
	rinfo_build(&c, r, &ri);
	ok = covers(&ei, &ri);
	rinfo_free(&ei);
	rinfo_free(&ri);
	set_cache_free(&c);
	return ok;
}

/* ---------------------------------------------------------------- index
 *
 * Two facts narrow the earlier rules that can cover r:
 * - If e constrains a field with a set short of the field's whole universe
 *   in every family e matches, e covers r only if r constrains that field
 *   too: where r leaves a field free it matches packets that lack the field
 *   or carry any value in it, and e misses one of those. (A whole-universe
 *   condition such as 'from 0.0.0.0/0' only asks for the field to be
 *   readable, which r can imply through a later field, so such conditions
 *   take no part in this filter.) Rules are therefore grouped into shapes by
 *   the fields they constrain, and r only looks at shapes whose fields it
 *   constrains as well.
 * - If e covers r, e matches r's witness: a packet of r's first family that
 *   carries, in each field r constrains, the smallest value r accepts. Each
 *   of e's address and port conditions is cut into aligned blocks (a
 *   prefix, or the like for ports) and e is filed under every combination of
 *   its blocks together with its protocol and ICMP values, so the rules that
 *   match the witness are found by masking the witness to the block lengths
 *   present in a shape and probing a hash table. Conditions that need too
 *   many blocks are left out of the key and checked by the exact test. */

#define F_SRC	(1u << 0)
#define F_DST	(1u << 1)
#define F_SPORT (1u << 2)
#define F_DPORT (1u << 3)
#define F_TYPE	(1u << 4)
#define F_CODE	(1u << 5)
#define NFIELDS 6

/* Keys one rule may be filed under; beyond it, fields leave the key. */
#define IX_MAX_KEYS 64
#define IX_NONE	    UINT32_MAX

struct ix_key {
	uint64_t src[2], dst[2]; /* masked values, high word first */
	uint32_t shape;
	int16_t proto, type, code;
	uint16_t sport, dport;
	uint8_t fam, slen, dlen, splen, dplen;
	uint8_t kind; /* 0: rule list; 1: marks a length tuple as known */
};

struct ix_slot {
	struct ix_key key;
	uint32_t head, tail; /* rule list, ascending rule ids */
	bool used;
};

struct ix_entry {
	uint32_t rule, next;
};

/* Block lengths used together by some rule of a shape. */
struct ix_tuple {
	uint8_t fam, slen, dlen, splen, dplen;
};

struct ix_shape {
	uint8_t dir, keyed, nontriv; /* F_* masks */
	bool has_proto;
	struct ix_tuple *tuples;
	size_t n, cap;
};

/* Blocks of one rule: [family][field 0..3 as in F_SRC..F_DPORT]. */
struct rule_blocks {
	struct ivset_block b[NFAM][4][IX_MAX_KEYS];
	size_t n[NFAM][4];
};

struct index {
	struct ix_slot *slots;
	size_t cap, n;
	struct ix_entry *entries;
	size_t nentries, entries_cap;
	struct ix_shape *shapes;
	size_t nshapes, shapes_cap;
	uint32_t *shape_of; /* (dir, has_proto, keyed, nontriv) -> shape + 1 */
	struct rule_blocks *scratch;
};

#define SHAPE_SLOT(dir, has_proto, keyed, nontriv)                                                 \
	((((((unsigned)(dir) << 1) | (unsigned)(has_proto)) << NFIELDS | (keyed)) << NFIELDS) |    \
	 (nontriv))

static void ix_init(struct index *ix)
{
	memset(ix, 0, sizeof(*ix));
	ix->shape_of = xcalloc((size_t)SHAPE_SLOT(2, 0, 0, 0), sizeof(*ix->shape_of));
	ix->scratch = xmalloc(sizeof(*ix->scratch));
}

static void ix_free(struct index *ix)
{
	for (size_t i = 0; i < ix->nshapes; i++)
		free(ix->shapes[i].tuples);
	free(ix->shapes);
	free(ix->slots);
	free(ix->entries);
	free(ix->shape_of);
	free(ix->scratch);
}

static uint64_t key_hash(const struct ix_key *k)
{
	uint64_t h = 0x9e3779b97f4a7c15ull, w;
	const unsigned char *b = (const unsigned char *)k;

	_Static_assert(sizeof(struct ix_key) % 8 == 0, "ix_key is hashed in 8-byte words");
	for (size_t i = 0; i < sizeof(*k); i += 8) {
		memcpy(&w, b + i, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	/* murmur3's finaliser: the table takes the low bits */
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

static struct ix_slot *ix_lookup(const struct index *ix, const struct ix_key *k)
{
	size_t mask = ix->cap - 1;

	for (size_t i = key_hash(k) & mask;; i = (i + 1) & mask) {
		if (!ix->slots[i].used || memcmp(&ix->slots[i].key, k, sizeof(*k)) == 0)
			return &ix->slots[i];
	}
}

static void ix_grow(struct index *ix)
{
	struct ix_slot *old = ix->slots;
	size_t old_cap = ix->cap;

	ix->cap = old_cap ? old_cap * 2 : 1024;
	ix->slots = xcalloc(ix->cap, sizeof(*ix->slots));
	for (size_t i = 0; i < old_cap; i++) {
		if (old[i].used)
			*ix_lookup(ix, &old[i].key) = old[i];
	}
	free(old);
}

/* The slot for k, created when missing; *fresh tells which. */
static struct ix_slot *ix_get(struct index *ix, const struct ix_key *k, bool *fresh)
{
	if ((ix->n + 1) * 2 > ix->cap)
		ix_grow(ix);

	struct ix_slot *s = ix_lookup(ix, k);
	*fresh = !s->used;
	if (!s->used) {
		s->used = true;
		s->key = *k;
		s->head = s->tail = IX_NONE;
		ix->n++;
	}
	return s;
}

static uint32_t ix_shape(struct index *ix, enum ir_dir dir, bool has_proto, unsigned keyed,
			 unsigned nontriv)
{
	uint32_t *slot = &ix->shape_of[SHAPE_SLOT(dir, has_proto, keyed, nontriv)];

	if (!*slot) {
		XGROW(ix->shapes, ix->nshapes, ix->shapes_cap);
		struct ix_shape *sh = &ix->shapes[ix->nshapes++];
		memset(sh, 0, sizeof(*sh));
		sh->dir = (uint8_t)dir;
		sh->has_proto = has_proto;
		sh->keyed = (uint8_t)keyed;
		sh->nontriv = (uint8_t)nontriv;
		*slot = (uint32_t)ix->nshapes;
	}
	return *slot - 1;
}

static void key_set_value(uint64_t out[2], ivset_val v)
{
	out[0] = (uint64_t)(v >> 64);
	out[1] = (uint64_t)v;
}

/* v with the bits past len (of width) cleared. */
static ivset_val mask_value(ivset_val v, unsigned len, unsigned width)
{
	return v & ~ivset_max(width - len);
}

/* The blocks of a condition: its set, or the complement of it. Returns how
 * many there are; writes them only when they fit. */
static size_t cond_blocks(const struct cond *c, unsigned width, struct ivset_block *out)
{
	size_t n;

	if (!c->negate)
		return ivset_blocks(c->set, width, out, IX_MAX_KEYS);
	struct ivset comp = IVSET_INIT;
	ivset_complement(&comp, c->set, ivset_max(width));
	n = ivset_blocks(&comp, width, out, IX_MAX_KEYS);
	ivset_free(&comp);
	return n;
}

static size_t count_keys(const struct rule_blocks *rb, unsigned fams, unsigned keyed)
{
	size_t total = 0;

	for (unsigned fi = 0; fi < NFAM; fi++) {
		size_t prod = 1;

		if (!(fams & (1u << fi)))
			continue;
		for (unsigned k = 0; k < 4; k++) {
			if (keyed & (1u << k))
				prod *= rb->n[fi][k];
		}
		total += prod;
	}
	return total;
}

static void ix_add_entry(struct index *ix, struct ix_slot *s, uint32_t rule)
{
	XGROW(ix->entries, ix->nentries, ix->entries_cap);
	uint32_t at = (uint32_t)ix->nentries++;

	ix->entries[at].rule = rule;
	ix->entries[at].next = IX_NONE;
	if (s->tail == IX_NONE)
		s->head = at;
	else
		ix->entries[s->tail].next = at;
	s->tail = at;
}

/* File one key of rule id, remembering its length tuple in the shape. */
static void ix_file(struct index *ix, uint32_t shape, struct ix_key *k, uint32_t id)
{
	struct ix_key tk;
	bool fresh;

	memset(&tk, 0, sizeof(tk));
	tk.kind = 1;
	tk.shape = shape;
	tk.fam = k->fam;
	tk.slen = k->slen;
	tk.dlen = k->dlen;
	tk.splen = k->splen;
	tk.dplen = k->dplen;
	ix_get(ix, &tk, &fresh);
	if (fresh) {
		struct ix_shape *sh = &ix->shapes[shape];

		XGROW(sh->tuples, sh->n, sh->cap);
		sh->tuples[sh->n++] =
			(struct ix_tuple){k->fam, k->slen, k->dlen, k->splen, k->dplen};
	}
	ix_add_entry(ix, ix_get(ix, k, &fresh), id);
}

static void ix_insert(struct index *ix, const struct rinfo *e, uint32_t id, enum ir_dir dir)
{
	struct rule_blocks *rb = ix->scratch;
	unsigned fams = 0, nontriv = 0, keyed;

	memset(rb->n, 0, sizeof(rb->n));
	for (unsigned fi = 0; fi < NFAM; fi++) {
		if (e->states & family_states(fi))
			fams |= 1u << fi;
	}
	for (unsigned k = 0; k < 2; k++) {
		bool strict = e->port[k].present && !cond_full(&e->port[k], PORT_MAX);

		for (unsigned fi = 0; fi < NFAM && strict; fi++)
			rb->n[fi][2 + k] = cond_blocks(&e->port[k], 16, rb->b[fi][2 + k]);
		if (strict)
			nontriv |= F_SPORT << k;
	}
	for (unsigned k = 0; k < 2; k++) {
		bool strict = e->need & (k ? D : S);

		for (unsigned fi = 0; fi < NFAM && strict; fi++) {
			const struct cond *c = &e->addr[fi][k];
			unsigned width = family_width(fam_of(fi));

			if (!(fams & (1u << fi)))
				continue;
			strict = !cond_full(c, addr_max(fi));
			if (strict)
				rb->n[fi][k] = cond_blocks(c, width, rb->b[fi][k]);
		}
		if (strict)
			nontriv |= F_SRC << k;
	}
	/* Key on as many address and port fields as fit. */
	keyed = nontriv;
	for (unsigned k = 0; k < 4; k++) {
		for (unsigned fi = 0; fi < NFAM; fi++) {
			if ((fams & (1u << fi)) && rb->n[fi][k] > IX_MAX_KEYS)
				keyed &= ~(1u << k);
		}
	}
	while (count_keys(rb, fams, keyed) > IX_MAX_KEYS) {
		unsigned worst = 0;
		size_t most = 0;

		for (unsigned k = 0; k < 4; k++) {
			for (unsigned fi = 0; fi < NFAM; fi++) {
				if ((keyed & (1u << k)) && (fams & (1u << fi)) &&
				    rb->n[fi][k] > most) {
					most = rb->n[fi][k];
					worst = k;
				}
			}
		}
		keyed &= ~(1u << worst);
	}
	if (e->type >= 0)
		nontriv |= F_TYPE;
	if (e->code >= 0)
		nontriv |= F_CODE;
	keyed |= nontriv & (F_TYPE | F_CODE);

	uint32_t shape = ix_shape(ix, dir, e->proto >= 0, keyed, nontriv);
	for (unsigned fi = 0; fi < NFAM; fi++) {
		size_t n[4], at[4] = {0, 0, 0, 0};

		if (!(fams & (1u << fi)))
			continue;
		for (unsigned k = 0; k < 4; k++)
			n[k] = (keyed & (1u << k)) ? rb->n[fi][k] : 1;
		/* Every combination of one block per keyed field, odometer
		 * style. */
		for (;;) {
			struct ix_key key;
			const struct ivset_block *b[4];

			memset(&key, 0, sizeof(key));
			for (unsigned k = 0; k < 4; k++)
				b[k] = (keyed & (1u << k)) ? &rb->b[fi][k][at[k]] : NULL;
			key.shape = shape;
			key.fam = fam_of(fi);
			key.proto = e->proto;
			key.type = (keyed & F_TYPE) ? e->type : -1;
			key.code = (keyed & F_CODE) ? e->code : -1;
			if (b[0]) {
				key_set_value(key.src, b[0]->value);
				key.slen = b[0]->len;
			}
			if (b[1]) {
				key_set_value(key.dst, b[1]->value);
				key.dlen = b[1]->len;
			}
			if (b[2]) {
				key.sport = (uint16_t)b[2]->value;
				key.splen = b[2]->len;
			}
			if (b[3]) {
				key.dport = (uint16_t)b[3]->value;
				key.dplen = b[3]->len;
			}
			ix_file(ix, shape, &key, id);

			unsigned k = 0;
			while (k < 4 && ++at[k] == n[k])
				at[k++] = 0;
			if (k == 4)
				break;
		}
	}
}

/* The smallest value a condition lets through (it lets some through). */
static ivset_val cond_witness(const struct cond *c, ivset_val max)
{
	ivset_val v = 0;

	if (c->negate)
		ivset_first_missing(c->set, max, &v);
	else
		ivset_first(c->set, &v);
	return v;
}

/* The earliest indexed rule that covers r, or IX_NONE. */
static uint32_t ix_probe(const struct index *ix, const struct rinfo *infos, const struct rinfo *r,
			 enum ir_dir dir)
{
	unsigned fi = (r->states & family_states(0)) ? 0 : 1;
	unsigned width = family_width(fam_of(fi));
	unsigned fields = 0;
	ivset_val w[4] = {0, 0, 0, 0};
	int wproto = r->proto;
	uint32_t best = IX_NONE;

	if (!ix->cap)
		return IX_NONE;
	for (unsigned k = 0; k < 2; k++) {
		if (r->addr[fi][k].present) {
			fields |= F_SRC << k;
			w[k] = cond_witness(&r->addr[fi][k], addr_max(fi));
		}
		if (r->port[k].present) {
			fields |= F_SPORT << k;
			w[2 + k] = cond_witness(&r->port[k], PORT_MAX);
		}
	}
	if (r->type >= 0)
		fields |= F_TYPE;
	if (r->code >= 0)
		fields |= F_CODE;
	/* Without a protocol of its own, r fits inside a rule's protocol only
	 * where ICMP fields pin the protocol down. */
	if (wproto < 0 && (fields & (F_TYPE | F_CODE)))
		wproto = fi == 0 ? IPPROTO_NUM_ICMP : IPPROTO_NUM_ICMPV6;

	for (size_t si = 0; si < ix->nshapes; si++) {
		const struct ix_shape *sh = &ix->shapes[si];

		if (sh->dir != dir || (sh->nontriv & ~fields) || (sh->has_proto && wproto < 0))
			continue;
		for (size_t ti = 0; ti < sh->n; ti++) {
			const struct ix_tuple *t = &sh->tuples[ti];
			struct ix_key key;

			if (t->fam != fam_of(fi))
				continue;
			memset(&key, 0, sizeof(key));
			key.shape = (uint32_t)si;
			key.fam = t->fam;
			key.proto = (int16_t)(sh->has_proto ? wproto : IR_PROTO_ANY);
			key.type = (sh->keyed & F_TYPE) ? r->type : -1;
			key.code = (sh->keyed & F_CODE) ? r->code : -1;
			if (sh->keyed & F_SRC) {
				key_set_value(key.src, mask_value(w[0], t->slen, width));
				key.slen = t->slen;
			}
			if (sh->keyed & F_DST) {
				key_set_value(key.dst, mask_value(w[1], t->dlen, width));
				key.dlen = t->dlen;
			}
			if (sh->keyed & F_SPORT) {
				key.sport = (uint16_t)mask_value(w[2], t->splen, 16);
				key.splen = t->splen;
			}
			if (sh->keyed & F_DPORT) {
				key.dport = (uint16_t)mask_value(w[3], t->dplen, 16);
				key.dplen = t->dplen;
			}

			const struct ix_slot *s = ix_lookup(ix, &key);
			if (!s->used)
				continue;
			for (uint32_t x = s->head; x != IX_NONE; x = ix->entries[x].next) {
				uint32_t id = ix->entries[x].rule;

				if (id >= best)
					break;
				if (covers(&infos[id], r)) {
					best = id;
					break;
				}
			}
		}
	}
	return best;
}

static void report(const struct ir_program *p, struct diag_ctx *d, const struct ir_rule *r,
		   const struct ir_rule *e)
{
	if (r->action == IR_LOG)
		diag_at(d, DIAG_WARNING, r->loc,
			"log rule is shadowed by an earlier rule and is never reached");
	else
		diag_at(d, DIAG_WARNING, r->loc,
			"rule is shadowed by an earlier rule and never decides anything");
	diag_at(d, DIAG_NOTE, e->loc, "shadowed by this rule in policy '%s'",
		p->policies[e->policy].name);
}

void shadow_check(const struct ir_program *p, struct diag_ctx *d)
{
	struct rinfo *infos = xcalloc(p->nrules, sizeof(*infos));
	struct set_cache c;
	struct index ix;

	set_cache_init(&c, p);
	ix_init(&ix);
	for (size_t i = 0; i < p->nrules; i++) {
		const struct ir_rule *r = &p->rules[i];
		struct rinfo *ri = &infos[i];
		uint32_t by = IX_NONE;

		rinfo_build(&c, r, ri);
		/* A rule that matches nothing (with the sets' initial
		 * contents) is not "shadowed" by whatever comes first. */
		if (ri->states)
			by = ix_probe(&ix, infos, ri, r->dir);
		if (by != IX_NONE)
			report(p, d, r, &p->rules[by]);
		/* A covered rule is never needed as a cover: whatever it
		 * covers, its own earlier cover covers too. */
		if (ri->states && by == IX_NONE && r->action != IR_LOG)
			ix_insert(&ix, ri, (uint32_t)i, r->dir);
		else
			rinfo_free(ri);
	}
	for (size_t i = 0; i < p->nrules; i++)
		rinfo_free(&infos[i]);
	free(infos);
	ix_free(&ix);
	set_cache_free(&c);
}
