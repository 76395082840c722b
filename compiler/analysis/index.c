/* The index behind shadow_check: it finds the few earlier deciding rules
 * that can cover a rule, so the exact test (shadow_covers) runs on those
 * only. It finds the earliest cover unless a rule's search runs out of
 * budget (IX_BUDGET), which takes contrived policies.
 *
 * Three facts narrow the earlier rules that can cover r:
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
 *   carries, in each field r constrains, a value r accepts. A condition of e
 *   is cut into aligned blocks (prefixes, or their like for ports) and e is
 *   filed under every combination of its blocks, with its protocol and ICMP
 *   values; the rules that match the witness are then found by masking the
 *   witness to the block lengths present in a shape and probing a hash
 *   table ("positive" keys). A condition with too many blocks is filed under
 *   a coarser cover of larger blocks instead, which still holds every value
 *   it accepts. Any value of r serves as the witness, so r picks, among a
 *   few, the one with the shortest lists to search.
 * - Keying e on fewer of its fields still files it where r's witness finds
 *   it, only among more rules. Every combination of block lengths over
 *   several fields is one more probe for every later rule, while one
 *   address usually sets rules apart already; so e is first keyed on one
 *   field, its most specific address (else port) condition, and only where
 *   that key's list already holds IX_CROWD rules (rules alike in that
 *   field) on all its fields instead.
 * - Negated conditions are nearly everything, so every witness falls into
 *   them and positive keys would not tell them apart. But when both e and r
 *   negate a field, e covers r there only if what e excludes lies inside
 *   what r excludes, so the smallest value e excludes lies in one of the
 *   blocks r excludes. e is filed under that value masked to every length
 *   such blocks have anywhere in the program, and r probes with its
 *   excluded blocks ("negative" keys). For an r whose field is not negated
 *   (or excludes too many blocks), e is filed a second time without that
 *   field in its key. */
#include <stdlib.h>
#include <string.h>

#include "analysis/ivset.h"
#include "ref/pkt.h"
#include "analysis/index.h"
#include "base/xalloc.h"

/* Fields: 0 source, 1 destination, 2 source port, 3 destination port (the
 * ones with blocks), then ICMP type and code. */
#define NKEYED	4
#define F_TYPE	(1u << 4)
#define F_CODE	(1u << 5)
#define NFIELDS 6

enum mode { M_NONE, M_POS, M_NEG };

/* Keys one rule is filed under, per family. A condition with more blocks
 * is keyed by a coarser cover (fewer, larger blocks), which still holds
 * every witness the condition can contain. */
#define IX_RULE_KEYS	    16
/* Sets of more intervals are keyed by the one block that holds them all,
 * without looking further (a rule naming a huge set stays cheap). */
#define IX_COVER_MAX_IVS    256
/* Blocks a negated condition may exclude and still be probed negatively. */
#define IX_NEG_BLOCKS	    16
/* A negated condition whose complement is this small is keyed positively. */
#define IX_SMALL_COMPLEMENT 4
#define IX_SMALL_IVS	    8 /* intervals: a cheap bound before computing it */
/* Rules a list keyed on one field holds before later rules that would
 * join it are keyed on all their fields instead. */
#define IX_CROWD	    8
/* Exact tests per rule in ascending order. Past it, the analysis may name
 * a later cover than the earliest, or miss one: only contrived policies
 * (hundreds of rules that match one witness without covering it, none
 * keyed finely enough to tell them apart) get there, and the analysis must
 * stay near-linear on them too. */
#define IX_BUDGET	    512
/* Values of a field tried as the witness, to find the shortest lists. */
#define IX_WITNESSES	    4
/* After the budget: entries tried at the head of every remaining list. */
#define IX_TAIL_SCAN	    8
#define IX_NONE		    UINT32_MAX

struct ix_key {
	uint64_t val[2][2]; /* source and destination, high word first */
	uint32_t shape;
	int16_t proto, type, code;
	uint16_t port[2];
	uint8_t fam;
	uint8_t len[NKEYED];
	uint8_t kind; /* 0: rule list; 1: marks a length tuple as known */
};

/* One key and the rules filed under it, in ascending order. */
struct ix_rec {
	struct ix_key key;
	uint32_t head, tail;
	uint32_t count;
};

struct ix_entry {
	uint32_t rule, next;
};

/* Block lengths used together by some rule of a shape, with its protocol
 * and ICMP values: a probe only tries the tuples that can match. */
struct ix_tuple {
	int16_t proto, type, code;
	uint8_t fam;
	uint8_t len[NKEYED];
};

struct ix_shape {
	uint8_t dir;
	uint8_t nontriv; /* fields constrained short of their universe */
	uint8_t mode[NKEYED];
	int8_t fallback; /* field left out of the key for rules not negating it */
	bool has_proto;
	struct ix_tuple *tuples;
	size_t n, cap;
	size_t last; /* the tuple filed last */
	/* Tuples chained by (family, protocol), so a probe visits only the
	 * ones that can match: a shape can hold hundreds of tuples. */
	uint32_t *chain;		  /* next tuple of the same bucket, parallel to tuples */
	uint32_t heads[SHADOW_NFAM][257]; /* first tuple per bucket; 256: shape without protocol */
};

#define TUPLE_NONE UINT32_MAX

static unsigned tuple_bucket(const struct ix_shape *sh, int proto)
{
	return sh->has_proto && proto >= 0 ? (unsigned)proto : 256;
}

/* A rule's blocks per family and field, and the count of keys per field. */
struct rule_blocks {
	struct ivset_block b[SHADOW_NFAM][NKEYED][IX_RULE_KEYS];
	size_t n[SHADOW_NFAM][NKEYED];
};

struct shadow_index {
	const struct rinfo *infos;
	uint64_t *slots; /* record index + 1 in the low half, hash in the high */
	size_t cap, n;
	uint64_t *bloom;
	uint64_t bloom_mask; /* bits - 1 */
	struct ix_rec *recs;
	size_t nrecs, recs_cap;
	struct ix_entry *entries;
	size_t nentries, entries_cap;
	struct ix_shape *shapes;
	size_t nshapes, shapes_cap;
	uint32_t *shape_of; /* shape code -> shape + 1 */
	/* [domain][length]: some negated condition excludes a block of this
	 * length. Domains: IPv4 addresses, IPv6 addresses, ports. */
	bool neg_len[3][129];
	struct rule_blocks scratch;
	struct ivset tmp;
	/* probe state */
	uint32_t *cursors;
	size_t ncursors, cursors_cap;
};

static unsigned domain(unsigned field, unsigned fi)
{
	return field < 2 ? fi : 2;
}

static unsigned width_of(unsigned field, unsigned fi)
{
	return field < 2 ? family_width(shadow_fam(fi)) : 16;
}

static ivset_val max_of(unsigned field, unsigned fi)
{
	return ivset_max(width_of(field, fi));
}

static const struct cond *field_cond(const struct rinfo *ri, unsigned field, unsigned fi)
{
	return field < 2 ? &ri->addr[fi][field] : &ri->port[field - 2];
}

static unsigned rule_fams(const struct rinfo *ri)
{
	unsigned fams = 0;

	for (unsigned fi = 0; fi < SHADOW_NFAM; fi++) {
		if (ri->states & shadow_family_states(fi))
			fams |= 1u << fi;
	}
	return fams;
}

/* ---------------------------------------------------------------- table */

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

/* The slot holding k (hash h), or the empty slot where it belongs. Slots
 * are 8 bytes (record index and a hash tag), so the table stays small and
 * most misses are settled without touching a record. */
static uint64_t *ix_slot(const struct shadow_index *ix, const struct ix_key *k, uint64_t h)
{
	uint64_t tag = h >> 32 << 32;
	size_t mask = ix->cap - 1;

	for (size_t i = h & mask;; i = (i + 1) & mask) {
		uint64_t s = ix->slots[i];

		if (!s)
			return &ix->slots[i];
		if ((s & ~0xffffffffull) == tag &&
		    memcmp(&ix->recs[(uint32_t)s - 1].key, k, sizeof(*k)) == 0)
			return &ix->slots[i];
	}
}

/* Most probes miss. A Bloom filter of a few bits per key is small enough
 * to stay in cache and answers most of them without the table. */
static uint64_t bloom_bit(const struct shadow_index *ix, uint64_t h, unsigned which)
{
	return (which ? h >> 40 : h >> 16) & ix->bloom_mask;
}

static void bloom_add(struct shadow_index *ix, uint64_t h)
{
	for (unsigned w = 0; w < 2; w++) {
		uint64_t b = bloom_bit(ix, h, w);

		ix->bloom[b / 64] |= 1ull << (b % 64);
	}
}

static bool bloom_has(const struct shadow_index *ix, uint64_t h)
{
	for (unsigned w = 0; w < 2; w++) {
		uint64_t b = bloom_bit(ix, h, w);

		if (!(ix->bloom[b / 64] & (1ull << (b % 64))))
			return false;
	}
	return true;
}

static void ix_grow(struct shadow_index *ix)
{
	uint64_t *old = ix->slots;
	size_t old_cap = ix->cap;

	ix->cap = old_cap * 2;
	ix->slots = xcalloc(ix->cap, sizeof(*ix->slots));
	for (size_t i = 0; i < old_cap; i++) {
		if (old[i]) {
			const struct ix_key *k = &ix->recs[(uint32_t)old[i] - 1].key;

			*ix_slot(ix, k, key_hash(k)) = old[i];
		}
	}
	free(old);
}

/* The record for k, created when missing; *fresh tells which. */
static struct ix_rec *ix_get(struct shadow_index *ix, const struct ix_key *k, bool *fresh)
{
	uint64_t h = key_hash(k);

	if ((ix->n + 1) * 2 > ix->cap)
		ix_grow(ix);

	uint64_t *s = ix_slot(ix, k, h);
	*fresh = !*s;
	if (!*s) {
		XGROW(ix->recs, ix->nrecs, ix->recs_cap);
		struct ix_rec *rec = &ix->recs[ix->nrecs++];
		rec->key = *k;
		rec->head = rec->tail = IX_NONE;
		rec->count = 0;
		*s = (h >> 32 << 32) | (uint64_t)ix->nrecs;
		ix->n++;
		bloom_add(ix, h);
	}
	return &ix->recs[(uint32_t)*s - 1];
}

static const struct ix_rec *ix_find(const struct shadow_index *ix, const struct ix_key *k)
{
	uint64_t h = key_hash(k), s;

	if (!bloom_has(ix, h))
		return NULL;
	s = *ix_slot(ix, k, h);
	return s ? &ix->recs[(uint32_t)s - 1] : NULL;
}

/* ---------------------------------------------------------------- shapes */

static uint32_t shape_code(enum rule_dir dir, bool has_proto, unsigned nontriv,
			   const uint8_t mode[NKEYED], int fallback)
{
	uint32_t c = (uint32_t)dir << 1 | has_proto;

	c = c << NFIELDS | nontriv;
	for (unsigned k = 0; k < NKEYED; k++)
		c = c << 2 | mode[k];
	return c << 3 | (uint32_t)(fallback + 1);
}

#define SHAPE_CODES (1u << (2 + NFIELDS + 2 * NKEYED + 3))

static uint32_t ix_shape(struct shadow_index *ix, enum rule_dir dir, bool has_proto,
			 unsigned nontriv, const uint8_t mode[NKEYED], int fallback)
{
	uint32_t *slot = &ix->shape_of[shape_code(dir, has_proto, nontriv, mode, fallback)];

	if (!*slot) {
		XGROW(ix->shapes, ix->nshapes, ix->shapes_cap);
		struct ix_shape *sh = &ix->shapes[ix->nshapes++];
		memset(sh, 0, sizeof(*sh));
		sh->dir = (uint8_t)dir;
		sh->has_proto = has_proto;
		memset(sh->heads, 0xff, sizeof(sh->heads)); /* TUPLE_NONE */
		sh->nontriv = (uint8_t)nontriv;
		memcpy(sh->mode, mode, NKEYED);
		sh->fallback = (int8_t)fallback;
		*slot = (uint32_t)ix->nshapes;
	}
	return *slot - 1;
}

/* ---------------------------------------------------------------- building */

/* The negated conditions of every rule decide the lengths negative keys
 * are filed at: r probes with its excluded blocks, whatever their length. */
static void note_negative_lengths(struct shadow_index *ix, const struct rinfo *ri)
{
	unsigned fams = rule_fams(ri);
	struct ivset_block *blk = ix->scratch.b[0][0];

	for (unsigned k = 0; k < NKEYED; k++) {
		for (unsigned fi = 0; fi < SHADOW_NFAM; fi++) {
			const struct cond *c = field_cond(ri, k, fi);
			struct ivset s = cond_set(c);
			size_t n;

			if (!(fams & (1u << fi)) || !c->present || !c->negate ||
			    s.n > IX_NEG_BLOCKS)
				continue;
			n = ivset_blocks(&s, width_of(k, fi), blk, IX_NEG_BLOCKS);
			for (size_t i = 0; i < n && n <= IX_NEG_BLOCKS; i++)
				ix->neg_len[domain(k, fi)][blk[i].len] = true;
		}
	}
}

struct shadow_index *shadow_index_new(const struct rinfo *infos, size_t n)
{
	struct shadow_index *ix = xcalloc(1, sizeof(*ix));

	ix->infos = infos;
	ix->shape_of = xcalloc(SHAPE_CODES, sizeof(*ix->shape_of));
	for (size_t i = 0; i < n; i++)
		note_negative_lengths(ix, &infos[i]);
	/* Most rules file one key: size the table for that from the start
	 * rather than rehash it on the way. */
	ix->cap = 1024;
	while (ix->cap < 2 * (n + 1024))
		ix->cap *= 2;
	ix->slots = xcalloc(ix->cap, sizeof(*ix->slots));
	/* 16 bits per expected key: a few percent false positives */
	ix->bloom_mask = ix->cap * 8 - 1;
	ix->bloom = xcalloc((ix->bloom_mask + 1) / 64, sizeof(*ix->bloom));
	return ix;
}

void shadow_index_free(struct shadow_index *ix)
{
	if (!ix)
		return;
	for (size_t i = 0; i < ix->nshapes; i++) {
		free(ix->shapes[i].tuples);
		free(ix->shapes[i].chain);
	}
	free(ix->shapes);
	free(ix->slots);
	free(ix->bloom);
	free(ix->recs);
	free(ix->entries);
	free(ix->shape_of);
	free(ix->cursors);
	ivset_free(&ix->tmp);
	free(ix);
}

static void add_entry(struct shadow_index *ix, struct ix_rec *rec, uint32_t rule)
{
	XGROW(ix->entries, ix->nentries, ix->entries_cap);
	uint32_t at = (uint32_t)ix->nentries++;

	ix->entries[at].rule = rule;
	ix->entries[at].next = IX_NONE;
	rec->count++;
	if (rec->tail == IX_NONE)
		rec->head = at;
	else
		ix->entries[rec->tail].next = at;
	rec->tail = at;
}

static bool same_tuple(const struct ix_tuple *t, const struct ix_key *k)
{
	return t->fam == k->fam && t->proto == k->proto && t->type == k->type &&
	       t->code == k->code && memcmp(t->len, k->len, sizeof(t->len)) == 0;
}

/* File one key of rule id, remembering its length tuple in the shape. */
static void file_key(struct shadow_index *ix, uint32_t shape, const struct ix_key *k, uint32_t id)
{
	struct ix_shape *sh = &ix->shapes[shape];
	struct ix_key tk;
	bool fresh;

	/* Rules of a shape mostly repeat the tuple of the one before. */
	if (!sh->n || !same_tuple(&sh->tuples[sh->last], k)) {
		memset(&tk, 0, sizeof(tk));
		tk.kind = 1;
		tk.shape = shape;
		tk.fam = k->fam;
		tk.proto = k->proto;
		tk.type = k->type;
		tk.code = k->code;
		memcpy(tk.len, k->len, sizeof(tk.len));
		struct ix_rec *rec = ix_get(ix, &tk, &fresh);
		if (fresh) {
			struct ix_tuple *t;

			size_t cap = sh->cap;
			XGROW(sh->tuples, sh->n, sh->cap);
			if (sh->cap != cap)
				sh->chain = xreallocarray(sh->chain, sh->cap, sizeof(*sh->chain));
			rec->head = (uint32_t)sh->n;
			unsigned fi = k->fam == FAM_V4 ? 0 : 1, b = tuple_bucket(sh, k->proto);
			sh->chain[sh->n] = sh->heads[fi][b];
			sh->heads[fi][b] = (uint32_t)sh->n;
			t = &sh->tuples[sh->n++];
			t->fam = k->fam;
			t->proto = k->proto;
			t->type = k->type;
			t->code = k->code;
			memcpy(t->len, k->len, sizeof(k->len));
		}
		sh->last = rec->head; /* a marker's head is its tuple's index */
	}
	add_entry(ix, ix_get(ix, k, &fresh), id);
}

static void key_value(struct ix_key *k, unsigned field, ivset_val v)
{
	if (field < 2) {
		k->val[field][0] = (uint64_t)(v >> 64);
		k->val[field][1] = (uint64_t)v;
	} else {
		k->port[field - 2] = (uint16_t)v;
	}
}

/* The longest block holding both a and b. */
static struct ivset_block hull(ivset_val a, ivset_val b, unsigned width)
{
	ivset_val x = a ^ b;
	unsigned len = width;

	while (x) {
		x >>= 1;
		len--;
	}
	return (struct ivset_block){a & ~ivset_max(width - len), (uint8_t)len};
}

/* Positive keys for one condition of e in one family: its exact blocks when
 * at most limit, else a cover by at most limit blocks. Returns the count. */
static size_t pos_keys(struct shadow_index *ix, const struct cond *c, unsigned field, unsigned fi,
		       size_t limit, struct ivset_block *out)
{
	unsigned width = width_of(field, fi);
	struct ivset s = cond_set(c);
	const struct ivset *set = &s;

	if (c->negate) {
		/* only for small complements: see shadow_index_add */
		ivset_complement(&ix->tmp, &s, ivset_max(width));
		set = &ix->tmp;
	}
	/* a set has at least as many blocks as intervals */
	if (set->n <= limit && ivset_blocks(set, width, NULL, 0) <= limit)
		return ivset_blocks(set, width, out, limit);
	if (set->n > IX_COVER_MAX_IVS) {
		out[0] = hull(set->iv[0].lo, set->iv[set->n - 1].hi, width);
		return 1;
	}
	return ivset_cover(set, width, limit, out);
}

/* Negative keys for one condition of e: the smallest value it excludes,
 * masked to every length an excluded block has in the program. Returns the
 * count; writes them only when they fit. */
static size_t neg_keys(const struct shadow_index *ix, const struct cond *c, unsigned field,
		       unsigned fi, struct ivset_block *out)
{
	unsigned width = width_of(field, fi);
	ivset_val v = c->iv[0].lo;
	size_t n = 0;

	for (unsigned len = 0; len <= width; len++) {
		if (!ix->neg_len[domain(field, fi)][len])
			continue;
		if (n < IX_RULE_KEYS) {
			out[n].value = v & ~ivset_max(width - len);
			out[n].len = (uint8_t)len;
		}
		n++;
	}
	return n;
}

/* Keys of field k in every family of e, given a limit for positive ones. */
static void field_keys(struct shadow_index *ix, const struct rinfo *e, unsigned fams, unsigned k,
		       enum mode mode, size_t limit)
{
	struct rule_blocks *rb = &ix->scratch;

	for (unsigned fi = 0; fi < SHADOW_NFAM; fi++) {
		const struct cond *c = field_cond(e, k, fi);

		if (!(fams & (1u << fi)))
			continue;
		if (mode == M_NEG)
			rb->n[fi][k] = neg_keys(ix, c, k, fi, rb->b[fi][k]);
		else
			rb->n[fi][k] = pos_keys(ix, c, k, fi, limit, rb->b[fi][k]);
	}
}

/* The most keys any family has for field k. */
static size_t most_keys(const struct rule_blocks *rb, unsigned fams, unsigned k)
{
	size_t most = 0;

	for (unsigned fi = 0; fi < SHADOW_NFAM; fi++) {
		if ((fams & (1u << fi)) && rb->n[fi][k] > most)
			most = rb->n[fi][k];
	}
	return most;
}

static size_t least_keys(const struct rule_blocks *rb, unsigned fams, unsigned k)
{
	size_t least = SIZE_MAX;

	for (unsigned fi = 0; fi < SHADOW_NFAM; fi++) {
		if ((fams & (1u << fi)) && rb->n[fi][k] < least)
			least = rb->n[fi][k];
	}
	return least;
}

/* The most keys one family files under, over all keyed fields. */
static size_t count_keys(const struct rule_blocks *rb, unsigned fams, const uint8_t mode[NKEYED])
{
	size_t most = 0;

	for (unsigned fi = 0; fi < SHADOW_NFAM; fi++) {
		size_t prod = 1;

		if (!(fams & (1u << fi)))
			continue;
		for (unsigned k = 0; k < NKEYED; k++) {
			if (mode[k] != M_NONE)
				prod *= rb->n[fi][k];
		}
		if (prod > most)
			most = prod;
	}
	return most;
}

/* Visit every combination of one block per keyed field: file e under it,
 * or (with crowd_check) only look whether its list already holds
 * IX_CROWD rules. Returns true when some list does. */
static bool file_rule(struct shadow_index *ix, const struct rinfo *e, uint32_t id, uint32_t shape,
		      unsigned fams, const uint8_t mode[NKEYED], bool crowd_check)
{
	const struct rule_blocks *rb = &ix->scratch;

	for (unsigned fi = 0; fi < SHADOW_NFAM; fi++) {
		size_t n[NKEYED], at[NKEYED] = {0};

		if (!(fams & (1u << fi)))
			continue;
		for (unsigned k = 0; k < NKEYED; k++)
			n[k] = mode[k] != M_NONE ? rb->n[fi][k] : 1;
		for (;;) {
			struct ix_key key;

			memset(&key, 0, sizeof(key));
			key.shape = shape;
			key.fam = shadow_fam(fi);
			key.proto = e->proto;
			key.type = e->type;
			key.code = e->code;
			for (unsigned k = 0; k < NKEYED; k++) {
				if (mode[k] == M_NONE)
					continue;
				key_value(&key, k, rb->b[fi][k][at[k]].value);
				key.len[k] = rb->b[fi][k][at[k]].len;
			}
			if (crowd_check) {
				const struct ix_rec *rec = ix_find(ix, &key);

				if (rec && rec->count >= IX_CROWD)
					return true;
			} else {
				file_key(ix, shape, &key, id);
			}

			/* odometer */
			unsigned k = 0;
			while (k < NKEYED && ++at[k] == n[k])
				at[k++] = 0;
			if (k == NKEYED)
				break;
		}
	}
	return false;
}

/* The field to key e on alone: its address condition with the longest
 * blocks, else its port condition with the longest blocks; -1 when it has
 * no positive condition. Blocks are those of the scratch. */
static int primary_field(const struct shadow_index *ix, unsigned fams, const uint8_t mode[NKEYED])
{
	const struct rule_blocks *rb = &ix->scratch;
	int best = -1;
	unsigned best_rank = 0;

	for (unsigned k = 0; k < NKEYED; k++) {
		unsigned shortest = 128;

		if (mode[k] != M_POS)
			continue;
		for (unsigned fi = 0; fi < SHADOW_NFAM; fi++) {
			if (!(fams & (1u << fi)))
				continue;
			for (size_t i = 0; i < rb->n[fi][k]; i++) {
				/* as a share of the width, so families compare */
				unsigned len = rb->b[fi][k][i].len * 128u / width_of(k, fi);

				if (len < shortest)
					shortest = len;
			}
		}
		/* addresses first, whatever their length */
		unsigned rank = (k < 2 ? 256u : 0u) + shortest + 1;
		if (rank > best_rank) {
			best_rank = rank;
			best = (int)k;
		}
	}
	return best;
}

/* File e keyed on its primary field alone, unless it has a single keyed
 * field anyway or one of the primary keys is crowded. Returns whether e was
 * filed. */
static bool file_primary(struct shadow_index *ix, const struct rinfo *e, uint32_t id,
			 enum rule_dir dir, unsigned fams, unsigned nontriv,
			 const uint8_t mode[NKEYED])
{
	uint8_t one[NKEYED] = {M_NONE, M_NONE, M_NONE, M_NONE};
	unsigned keyed = 0;
	int k = primary_field(ix, fams, mode);

	for (unsigned f = 0; f < NKEYED; f++)
		keyed += mode[f] != M_NONE;
	if (k < 0 || keyed < 2)
		return false;
	one[k] = M_POS;

	uint32_t code = shape_code(dir, e->proto >= 0, nontriv, one, -1);
	/* A shape not seen yet has no lists, let alone crowded ones. */
	if (ix->shape_of[code] && file_rule(ix, e, id, ix->shape_of[code] - 1, fams, one, true))
		return false;
	file_rule(ix, e, id, ix_shape(ix, dir, e->proto >= 0, nontriv, one, -1), fams, one, false);
	return true;
}

/* How e constrains field k: not at all (or not short of its universe), a
 * set to key positively, or a negation to key negatively. */
static enum mode field_mode(struct shadow_index *ix, const struct rinfo *e, unsigned fams,
			    unsigned k)
{
	bool small = true;

	for (unsigned fi = 0; fi < SHADOW_NFAM; fi++) {
		const struct cond *c = field_cond(e, k, fi);
		struct ivset s = cond_set(c);

		if (!(fams & (1u << fi)))
			continue;
		if (!c->present || cond_full(c, max_of(k, fi)))
			return M_NONE;
		if (!c->negate)
			continue;
		if (s.n > IX_SMALL_IVS) {
			small = false;
		} else {
			ivset_complement(&ix->tmp, &s, max_of(k, fi));
			small = small && ivset_blocks(&ix->tmp, width_of(k, fi), NULL, 0) <=
						 IX_SMALL_COMPLEMENT;
		}
	}
	return small ? M_POS : M_NEG;
}

void shadow_index_add(struct shadow_index *ix, uint32_t id, enum rule_dir dir)
{
	const struct rinfo *e = &ix->infos[id];
	struct rule_blocks *rb = &ix->scratch;
	unsigned fams = rule_fams(e), nontriv = 0;
	uint8_t mode[NKEYED];
	size_t limit[NKEYED];
	int neg_field = -1;

	memset(rb->n, 0, sizeof(rb->n));
	for (unsigned k = 0; k < NKEYED; k++) {
		mode[k] = (uint8_t)(fams ? field_mode(ix, e, fams, k) : M_NONE);
		limit[k] = IX_RULE_KEYS;
		if (mode[k] == M_NONE)
			continue;
		nontriv |= 1u << k;
		/* one negative field per rule: it is filed twice */
		if (mode[k] == M_NEG && neg_field >= 0)
			mode[k] = M_NONE;
		if (mode[k] == M_NEG)
			neg_field = (int)k;
		field_keys(ix, e, fams, k, (enum mode)mode[k], limit[k]);
		/* Too many lengths to file, or none that any rule probes with. */
		if (mode[k] == M_NEG &&
		    (most_keys(rb, fams, k) > IX_RULE_KEYS || least_keys(rb, fams, k) == 0)) {
			mode[k] = M_NONE;
			neg_field = -1;
		}
	}
	if (e->type >= 0)
		nontriv |= F_TYPE;
	if (e->code >= 0)
		nontriv |= F_CODE;
	if (file_primary(ix, e, id, dir, fams, nontriv, mode))
		return;

	/* Coarsen the field with the most keys until the combinations fit;
	 * a negative field cannot be coarsened, only left out. */
	while (count_keys(rb, fams, mode) > IX_RULE_KEYS) {
		unsigned worst = 0;
		size_t most = 0, others = 1;

		for (unsigned k = 0; k < NKEYED; k++) {
			if (mode[k] != M_NONE && most_keys(rb, fams, k) > most) {
				most = most_keys(rb, fams, k);
				worst = k;
			}
		}
		if (mode[worst] == M_NEG) {
			mode[worst] = M_NONE;
			neg_field = -1;
			continue;
		}
		for (unsigned k = 0; k < NKEYED; k++) {
			if (k != worst && mode[k] != M_NONE)
				others *= most_keys(rb, fams, k);
		}
		limit[worst] = IX_RULE_KEYS / others;
		if (limit[worst] >= most)
			limit[worst] = most - 1;
		if (limit[worst] < 1)
			limit[worst] = 1;
		field_keys(ix, e, fams, worst, M_POS, limit[worst]);
	}

	file_rule(ix, e, id, ix_shape(ix, dir, e->proto >= 0, nontriv, mode, -1), fams, mode,
		  false);
	if (neg_field >= 0) {
		/* again without the negated field, for rules that cannot
		 * probe it */
		mode[neg_field] = M_NONE;
		file_rule(ix, e, id, ix_shape(ix, dir, e->proto >= 0, nontriv, mode, neg_field),
			  fams, mode, false);
	}
}

/* ---------------------------------------------------------------- probing */

/* What r offers the index: the fields it constrains, candidate witness
 * values, and the blocks its negated conditions exclude. */
struct probe {
	unsigned fi;
	unsigned fields;
	int proto;
	ivset_val cand[NKEYED][IX_WITNESSES];
	size_t ncand[NKEYED];
	bool neg_ok[NKEYED];
	struct ivset_block neg[NKEYED][IX_NEG_BLOCKS];
	size_t nneg[NKEYED];
};

static void probe_init(const struct rinfo *r, struct probe *pr)
{
	pr->fi = (r->states & shadow_family_states(0)) ? 0 : 1;
	pr->fields = 0;
	pr->proto = r->proto;
	for (unsigned k = 0; k < NKEYED; k++) {
		const struct cond *c = field_cond(r, k, pr->fi);
		struct ivset s = cond_set(c);

		pr->neg_ok[k] = false;
		pr->ncand[k] = 0;
		if (!c->present)
			continue;
		pr->fields |= 1u << k;
		/* r matches something in this family, so these exist */
		if (c->negate) {
			ivset_first_missing(&s, max_of(k, pr->fi), &pr->cand[k][0]);
			pr->ncand[k] = 1;
		}
		for (size_t i = 0; !c->negate && i < s.n && i < IX_WITNESSES; i++)
			pr->cand[k][pr->ncand[k]++] = s.iv[i].lo;
		if (c->negate && s.n <= IX_NEG_BLOCKS) {
			pr->nneg[k] =
				ivset_blocks(&s, width_of(k, pr->fi), pr->neg[k], IX_NEG_BLOCKS);
			pr->neg_ok[k] = pr->nneg[k] <= IX_NEG_BLOCKS;
		}
	}
	if (r->type >= 0)
		pr->fields |= F_TYPE;
	if (r->code >= 0)
		pr->fields |= F_CODE;
	/* Without a protocol of its own, r fits inside a rule's protocol only
	 * where ICMP fields pin the protocol down. */
	if (pr->proto < 0 && (pr->fields & (F_TYPE | F_CODE)))
		pr->proto = pr->fi == 0 ? IPPROTO_NUM_ICMP : IPPROTO_NUM_ICMPV6;
}

/* Visit every key r probes in shape si with witness w: add the lists as
 * cursors, or just count the rules in them. Returns the count. */
static size_t probe_keys(struct shadow_index *ix, const struct rinfo *r, const struct probe *pr,
			 uint32_t si, const ivset_val w[NKEYED], int neg, bool add)
{
	const struct ix_shape *sh = &ix->shapes[si];
	size_t total = 0;

	for (uint32_t ti = sh->heads[pr->fi][tuple_bucket(sh, pr->proto)]; ti != TUPLE_NONE;
	     ti = sh->chain[ti]) {
		const struct ix_tuple *t = &sh->tuples[ti];
		struct ix_key key;
		size_t nvals = neg < 0 ? 1 : pr->nneg[neg];

		if (t->fam != shadow_fam(pr->fi) || (sh->has_proto && t->proto != pr->proto) ||
		    ((sh->nontriv & F_TYPE) && t->type != r->type) ||
		    ((sh->nontriv & F_CODE) && t->code != r->code))
			continue;
		memset(&key, 0, sizeof(key));
		key.shape = si;
		key.fam = t->fam;
		key.proto = t->proto;
		key.type = t->type;
		key.code = t->code;
		for (unsigned k = 0; k < NKEYED; k++) {
			if (sh->mode[k] == M_NONE)
				continue;
			key.len[k] = t->len[k];
			if (sh->mode[k] == M_POS)
				key_value(&key, k,
					  w[k] & ~ivset_max(width_of(k, pr->fi) - t->len[k]));
		}
		for (size_t i = 0; i < nvals; i++) {
			const struct ix_rec *rec;

			if (neg >= 0) {
				if (pr->neg[neg][i].len != t->len[neg])
					continue;
				key_value(&key, (unsigned)neg, pr->neg[neg][i].value);
			}
			rec = ix_find(ix, &key);
			if (!rec)
				continue;
			total += rec->count;
			if (add) {
				XGROW(ix->cursors, ix->ncursors, ix->cursors_cap);
				ix->cursors[ix->ncursors++] = rec->head;
			}
		}
	}
	return total;
}

static void probe_shape(struct shadow_index *ix, const struct rinfo *r, const struct probe *pr,
			uint32_t si)
{
	const struct ix_shape *sh = &ix->shapes[si];
	ivset_val w[NKEYED];
	int neg = -1;

	if (sh->fallback >= 0 && pr->neg_ok[sh->fallback])
		return; /* the shape keyed on the negated field serves r */
	for (unsigned k = 0; k < NKEYED; k++) {
		w[k] = pr->ncand[k] ? pr->cand[k][0] : 0;
		if (sh->mode[k] == M_NEG) {
			if (!pr->neg_ok[k])
				return;
			neg = (int)k;
		}
	}
	/* Any value r accepts is a witness, as long as one is used for a
	 * field throughout the shape: pick, field by field, the one whose
	 * lists are shortest. */
	for (unsigned k = 0; k < NKEYED; k++) {
		size_t best = SIZE_MAX;
		ivset_val pick = w[k];

		if (sh->mode[k] != M_POS || pr->ncand[k] < 2)
			continue;
		for (size_t i = 0; i < pr->ncand[k] && best; i++) {
			size_t n;

			w[k] = pr->cand[k][i];
			n = probe_keys(ix, r, pr, si, w, neg, false);
			if (n < best) {
				best = n;
				pick = w[k];
			}
		}
		w[k] = pick;
	}
	probe_keys(ix, r, pr, si, w, neg, true);
}

uint32_t shadow_index_find(struct shadow_index *ix, uint32_t id, enum rule_dir dir)
{
	const struct rinfo *r = &ix->infos[id];
	struct probe pr;
	unsigned budget = IX_BUDGET;

	probe_init(r, &pr);
	ix->ncursors = 0;
	for (uint32_t si = 0; si < ix->nshapes; si++) {
		const struct ix_shape *sh = &ix->shapes[si];

		if (sh->dir == dir && !(sh->nontriv & ~pr.fields) &&
		    (!sh->has_proto || pr.proto >= 0))
			probe_shape(ix, r, &pr, si);
	}
	/* Merge the candidate lists by rule id, so the first rule that
	 * covers r is the earliest. */
	while (ix->ncursors && budget--) {
		size_t best = 0;

		for (size_t i = 1; i < ix->ncursors; i++) {
			if (ix->entries[ix->cursors[i]].rule < ix->entries[ix->cursors[best]].rule)
				best = i;
		}
		const struct ix_entry *en = &ix->entries[ix->cursors[best]];
		if (shadow_covers(&ix->infos[en->rule], r))
			return en->rule;
		if (en->next == IX_NONE)
			ix->cursors[best] = ix->cursors[--ix->ncursors];
		else
			ix->cursors[best] = en->next;
	}
	/* Out of budget: a long list of rules that do not cover r is in the
	 * way. A cover further down a short list still shows r is shadowed,
	 * even if it may not be the earliest. */
	uint32_t found = IX_NONE;
	for (size_t i = 0; i < ix->ncursors; i++) {
		uint32_t x = ix->cursors[i];

		for (unsigned k = 0; k < IX_TAIL_SCAN && x != IX_NONE;
		     k++, x = ix->entries[x].next) {
			uint32_t rule = ix->entries[x].rule;

			if (rule >= found)
				break;
			if (shadow_covers(&ix->infos[rule], r)) {
				found = rule;
				break;
			}
		}
	}
	return found;
}
