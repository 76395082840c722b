#include "objfmt/settables.h"

#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ helpers */

static uint32_t bits_for(size_t entries)
{
	uint32_t bits = UT_SET_MIN_HASHBITS;

	/* load at most one half */
	while (bits < 31 && ((size_t)1 << bits) < 2 * entries)
		bits++;
	return bits;
}

/* A growable open-addressing map from a 24-bit block number to an index,
 * for the build only. */
struct blockmap {
	uint32_t *keys; /* block + 1; 0 empty */
	uint32_t *vals;
	size_t cap, n;
};

static int blockmap_grow(struct blockmap *m);

static uint32_t *blockmap_slot(struct blockmap *m, uint32_t block)
{
	size_t mask = m->cap - 1, i = (block * 0x9e3779b1u) & mask;

	for (;; i = (i + 1) & mask) {
		if (m->keys[i] == block + 1 || m->keys[i] == 0)
			return &m->keys[i];
	}
}

/* The index stored for block in *index, after inserting next if it was
 * not there (*added). Returns 0 or -ENOMEM. */
static int blockmap_get_or_add(struct blockmap *m, uint32_t block, uint32_t next, size_t *index,
			       bool *added)
{
	uint32_t *k;

	if (2 * (m->n + 1) > m->cap && blockmap_grow(m) != 0)
		return -ENOMEM;
	k = blockmap_slot(m, block);
	if (*k) {
		*added = false;
		*index = m->vals[k - m->keys];
		return 0;
	}
	*k = block + 1;
	m->vals[k - m->keys] = next;
	m->n++;
	*added = true;
	*index = next;
	return 0;
}

static int blockmap_grow(struct blockmap *m)
{
	struct blockmap old = *m;

	m->cap = old.cap ? old.cap * 2 : 1024;
	m->keys = calloc(m->cap, sizeof(*m->keys));
	m->vals = calloc(m->cap, sizeof(*m->vals));
	if (!m->keys || !m->vals) {
		free(m->keys);
		free(m->vals);
		*m = old;
		return -ENOMEM;
	}
	m->n = 0;
	for (size_t i = 0; i < old.cap; i++) {
		if (old.keys[i]) {
			uint32_t *k = blockmap_slot(m, old.keys[i] - 1);
			*k = old.keys[i];
			m->vals[k - m->keys] = old.vals[i];
			m->n++;
		}
	}
	free(old.keys);
	free(old.vals);
	return 0;
}

/* ------------------------------------------------------------ IPv4 */

struct block {
	uint32_t key24;
	uint32_t base;
	uint32_t head, tail; /* prefixes longer than 24, as indices + 1 */
};

static int place4(struct lpm4 *t, const struct block *blocks, size_t nblocks, const uint32_t *vals,
		  uint32_t bits)
{
	uint32_t mask = (1u << bits) - 1;

	t->bits = bits;
	t->slots = calloc((size_t)1 << bits, sizeof(*t->slots));
	if (!t->slots)
		return -ENOMEM;
	for (size_t b = 0; b < nblocks; b++) {
		uint32_t key = blocks[b].key24 + 1, h = ut_hash4(key, bits), i;
		for (i = 0; i < UT_SET_MAX_PROBE; i++) {
			struct lpm4_slot *s = &t->slots[(h + i) & mask];
			if (!s->key) {
				s->key = key;
				s->val = vals[b];
				break;
			}
		}
		if (i == UT_SET_MAX_PROBE) {
			free(t->slots);
			t->slots = NULL;
			return -ENOSPC;
		}
	}
	return 0;
}

int lpm4_build(const struct lpm4_prefix *p, size_t n, uint32_t max_bits, struct lpm4 *out)
{
	size_t *order = calloc(n ? n : 1, sizeof(*order)), count[34] = {0};
	uint32_t *next = calloc(n ? n : 1, sizeof(*next)), *vals = NULL;
	struct blockmap bm = {0};
	struct block *blocks = NULL;
	size_t nblocks = 0, cap = 0;
	int ret = -ENOMEM;

	memset(out, 0, sizeof(*out));
	out->l1 = calloc(65536, sizeof(*out->l1));
	if (!order || !next || !out->l1)
		goto out;

	/* Shortest first, so that longer prefixes overwrite. */
	for (size_t i = 0; i < n; i++)
		count[p[i].len + 1]++;
	for (size_t l = 1; l < 34; l++)
		count[l] += count[l - 1];
	for (size_t i = 0; i < n; i++)
		order[count[p[i].len]++] = i;

	for (size_t o = 0; o < n; o++) {
		const struct lpm4_prefix *q = &p[order[o]];
		if (q->len <= 16) {
			uint32_t b0 = q->addr >> 16, cnt = 1u << (16 - q->len);
			for (uint32_t b = 0; b < cnt; b++)
				out->l1[b0 + b] = q->value;
			continue;
		}
		uint32_t k0 = q->addr >> 8, cnt = q->len <= 24 ? 1u << (24 - q->len) : 1;
		for (uint32_t k = 0; k < cnt; k++) {
			uint32_t key24 = k0 + k;
			bool added;
			size_t bi;
			if (blockmap_get_or_add(&bm, key24, (uint32_t)nblocks, &bi, &added) != 0)
				goto out;
			if (added) {
				if (nblocks == cap) {
					struct block *grown = reallocarray(
						blocks, cap ? cap * 2 : 256, sizeof(*blocks));
					if (!grown)
						goto out;
					blocks = grown;
					cap = cap ? cap * 2 : 256;
				}
				blocks[nblocks++] = (struct block){
					.key24 = key24,
					.base = out->l1[key24 >> 8] & LPM4_VALUE_MAX,
				};
				out->l1[key24 >> 8] |= LPM4_REFINE;
			}
			if (q->len <= 24) {
				blocks[bi].base = q->value;
			} else {
				uint32_t me = (uint32_t)order[o] + 1;
				if (blocks[bi].tail)
					next[blocks[bi].tail - 1] = me;
				else
					blocks[bi].head = me;
				blocks[bi].tail = me;
			}
		}
	}
	out->nblocks = nblocks;

	/* Leaves: paint the longer prefixes over the block's base, shortest
	 * first (the lists are in that order). */
	vals = calloc(nblocks ? nblocks : 1, sizeof(*vals));
	if (!vals)
		goto out;
	for (size_t b = 0; b < nblocks; b++) {
		if (!blocks[b].head) {
			vals[b] = blocks[b].base;
			continue;
		}
		size_t leaf = out->nleaves;
		uint32_t *grown =
			reallocarray(out->leaves, (out->nleaves + 1) * 256, sizeof(*out->leaves));
		if (!grown)
			goto out;
		out->leaves = grown;
		out->nleaves++;
		uint32_t *v = &out->leaves[leaf * 256];
		for (unsigned a = 0; a < 256; a++)
			v[a] = blocks[b].base;
		for (uint32_t i = blocks[b].head; i; i = next[i - 1]) {
			const struct lpm4_prefix *q = &p[i - 1];
			uint32_t lo = q->addr & 255, cnt = 1u << (32 - q->len);
			for (uint32_t a = 0; a < cnt; a++)
				v[lo + a] = q->value;
		}
		vals[b] = LPM4_LEAF | (uint32_t)leaf;
	}

	ret = -ENOSPC;
	for (uint32_t bits = bits_for(nblocks); bits <= max_bits; bits++) {
		ret = place4(out, blocks, nblocks, vals, bits);
		if (ret != -ENOSPC)
			break;
	}
out:
	if (ret) {
		lpm4_free(out);
		out->nblocks = nblocks;
	}
	free(vals);
	free(blocks);
	free(bm.keys);
	free(bm.vals);
	free(order);
	free(next);
	return ret;
}

void lpm4_free(struct lpm4 *t)
{
	free(t->l1);
	free(t->slots);
	free(t->leaves);
	memset(t, 0, sizeof(*t));
}

uint32_t lpm4_lookup(const struct lpm4 *t, uint32_t a)
{
	uint32_t v = t->l1[a >> 16], key = (a >> 8) + 1, h, mask;

	if (!(v & LPM4_REFINE))
		return v;
	h = ut_hash4(key, t->bits);
	mask = (1u << t->bits) - 1;
	for (uint32_t i = 0; i < UT_SET_MAX_PROBE; i++) {
		const struct lpm4_slot *s = &t->slots[(h + i) & mask];
		if (!s->key)
			break;
		if (s->key == key)
			return s->val & LPM4_LEAF
				       ? t->leaves[(s->val & ~LPM4_LEAF) * 256 + (a & 255)]
				       : s->val;
	}
	return v & LPM4_VALUE_MAX;
}

/* ------------------------------------------------------------ IPv6 */

void lpm6_words(const uint8_t addr[16], uint64_t *hi, uint64_t *lo)
{
	memcpy(hi, addr, 8);
	memcpy(lo, addr + 8, 8);
}

void lpm6_mask(unsigned len, uint64_t *hi, uint64_t *lo)
{
	*hi = len >= 64 ? ~0ull : len ? htobe64(~0ull << (64 - len)) : 0;
	*lo = len >= 128 ? ~0ull : len > 64 ? htobe64(~0ull << (128 - len)) : 0;
}

static int place6(struct lpm6 *t, const struct lpm6_prefix *p, size_t n, uint32_t bits)
{
	uint32_t mask = (1u << bits) - 1;

	t->bits = bits;
	t->slots = calloc((size_t)1 << bits, sizeof(*t->slots));
	if (!t->slots)
		return -ENOMEM;
	for (size_t k = 0; k < n; k++) {
		uint64_t hi, lo;
		uint32_t h, i;
		lpm6_words(p[k].addr, &hi, &lo);
		h = ut_hash6(hi, lo, p[k].len, bits);
		for (i = 0; i < UT_SET_MAX_PROBE; i++) {
			struct lpm6_slot *s = &t->slots[(h + i) & mask];
			if (!s->len1) {
				*s = (struct lpm6_slot){.hi = hi,
							.lo = lo,
							.len1 = p[k].len + 1u,
							.val = p[k].value};
				break;
			}
		}
		if (i == UT_SET_MAX_PROBE) {
			free(t->slots);
			t->slots = NULL;
			return -ENOSPC;
		}
	}
	return 0;
}

int lpm6_build(const struct lpm6_prefix *p, size_t n, uint32_t max_bits, struct lpm6 *out)
{
	bool present[129] = {false};
	int ret = -ENOSPC;

	memset(out, 0, sizeof(*out));
	for (size_t k = 0; k < n; k++)
		present[p[k].len] = true;
	for (int len = 128; len >= 0; len--)
		if (present[len])
			out->lens[out->nlens++] = (uint8_t)len;
	for (uint32_t bits = bits_for(n); bits <= max_bits; bits++) {
		ret = place6(out, p, n, bits);
		if (ret != -ENOSPC)
			break;
	}
	if (ret)
		lpm6_free(out);
	return ret;
}

void lpm6_free(struct lpm6 *t)
{
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

uint32_t lpm6_lookup(const struct lpm6 *t, const uint8_t addr[16])
{
	uint64_t hi, lo, mhi, mlo;
	uint32_t mask = (1u << t->bits) - 1;

	lpm6_words(addr, &hi, &lo);
	for (unsigned k = 0; k < t->nlens; k++) {
		unsigned len = t->lens[k];
		lpm6_mask(len, &mhi, &mlo);
		uint32_t h = ut_hash6(hi & mhi, lo & mlo, len, t->bits);
		for (uint32_t i = 0; i < UT_SET_MAX_PROBE; i++) {
			const struct lpm6_slot *s = &t->slots[(h + i) & mask];
			if (!s->len1)
				break;
			if (s->len1 == len + 1 && s->hi == (hi & mhi) && s->lo == (lo & mlo))
				return s->val;
		}
	}
	return 0;
}

/* ------------------------------------------------------------ named sets */

static uint32_t log2_floor(uint32_t v)
{
	uint32_t b = 0;

	while (v >>= 1)
		b++;
	return b;
}

int set_tables_build(const struct prefix *members, size_t n, uint32_t cap4, uint32_t cap6,
		     struct ut_set_gen *gen, struct ut_set4_slot *slots4,
		     struct ut_set6_slot *slots6, char *err, size_t errlen)
{
	struct prefix *p = calloc(n ? n : 1, sizeof(*p));
	struct lpm4_prefix *p4 = calloc(n ? n : 1, sizeof(*p4));
	struct lpm6_prefix *p6 = calloc(n ? n : 1, sizeof(*p6));
	size_t n4 = 0, n6 = 0;
	struct lpm4 t4;
	struct lpm6 t6;
	int ret = -ENOMEM;

	if (!p || !p4 || !p6) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	memcpy(p, members, n * sizeof(*p));
	n = prefixes_min_cover(p, n);
	for (size_t i = 0; i < n; i++) {
		if (p[i].family == FAM_V4) {
			p4[n4++] = (struct lpm4_prefix){
				.addr = (uint32_t)p[i].addr[0] << 24 |
					(uint32_t)p[i].addr[1] << 16 | (uint32_t)p[i].addr[2] << 8 |
					p[i].addr[3],
				.len = p[i].len,
				.value = 1,
			};
		} else {
			p6[n6].len = p[i].len;
			p6[n6].value = 1;
			memcpy(p6[n6].addr, p[i].addr, 16);
			n6++;
		}
	}
	memset(gen, 0, sizeof(*gen));
	memset(slots4, 0, cap4 * sizeof(*slots4));
	memset(slots6, 0, cap6 * sizeof(*slots6));

	ret = lpm4_build(p4, n4, log2_floor(cap4), &t4);
	if (ret == -ENOMEM) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (ret) {
		snprintf(
			err, errlen,
			"the IPv4 part does not fit: %zu /24 blocks, room for about %u (recompile the policy to give the set more room)",
			t4.nblocks, cap4 / 2);
		goto out;
	}
	gen->h4_bits = t4.bits;
	for (uint32_t b = 0; b < 65536; b++) {
		uint32_t v = t4.l1[b], st = v & LPM4_REFINE ? UT_SET_L1_PART
					    : v		    ? UT_SET_L1_IN
							    : UT_SET_L1_OUT;
		gen->l1[b >> 5] |= (uint64_t)st << ((b & 31) * 2);
	}
	for (uint32_t i = 0; i < (1u << t4.bits); i++) {
		const struct lpm4_slot *s = &t4.slots[i];
		if (!s->key)
			continue;
		slots4[i].key = s->key;
		if (s->val & LPM4_LEAF) {
			const uint32_t *v = t4.leaves + (size_t)(s->val & ~LPM4_LEAF) * 256;
			for (unsigned a = 0; a < 256; a++)
				if (v[a])
					slots4[i].bits[a >> 5] |= 1u << (a & 31);
		} else if (s->val) {
			memset(slots4[i].bits, 0xff, sizeof(slots4[i].bits));
		}
	}
	lpm4_free(&t4);

	ret = lpm6_build(p6, n6, log2_floor(cap6), &t6);
	if (ret == -ENOMEM) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (ret) {
		snprintf(
			err, errlen,
			"the IPv6 part does not fit: %zu prefixes, room for about %u (recompile the policy to give the set more room)",
			n6, cap6 / 2);
		goto out;
	}
	gen->h6_bits = t6.bits;
	gen->nlen6 = t6.nlens;
	memcpy(gen->len6, t6.lens, t6.nlens);
	for (uint32_t i = 0; i < (1u << t6.bits); i++) {
		const struct lpm6_slot *s = &t6.slots[i];
		if (!s->len1)
			continue;
		slots6[i] = (struct ut_set6_slot){.hi = s->hi, .lo = s->lo, .len1 = s->len1};
	}
	lpm6_free(&t6);
out:
	free(p);
	free(p4);
	free(p6);
	return ret;
}

static uint32_t pow2_at_least(size_t v)
{
	uint32_t r = 1;

	while (r < v && r < (1u << 30))
		r <<= 1;
	return r;
}

/* Room for the set to grow to about one and a half times its /24 blocks
 * (IPv4) and prefixes (IPv6) at the hash's maximal load of one half, and
 * never less than a few thousand: a set that starts small is often filled
 * at run time. */
void set_tables_capacity(const struct prefix *p, size_t n, uint32_t *cap4, uint32_t *cap6,
			 uint32_t *capm)
{
	size_t blocks = 0, n6 = 0;

	for (size_t i = 0; i < n; i++) {
		if (p[i].family == FAM_V6)
			n6++;
		else if (p[i].len > 16)
			blocks += p[i].len <= 24 ? (size_t)1 << (24 - p[i].len) : 1;
	}
	*cap4 = pow2_at_least(blocks * 3 > 4096 ? blocks * 3 : 4096);
	*cap6 = pow2_at_least(n6 * 3 > 4096 ? n6 * 3 : 4096);
	*capm = n * 4 > 65536 ? (uint32_t)(n * 4) : 65536;
}
