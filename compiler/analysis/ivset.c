#include "analysis/ivset.h"

#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"

#define IVSET_ALL ((ivset_val) ~(ivset_val)0)

void ivset_free(struct ivset *s)
{
	free(s->iv);
	s->iv = NULL;
	s->n = s->cap = 0;
}

void ivset_clear(struct ivset *s)
{
	s->n = 0;
}

void ivset_append(struct ivset *s, ivset_val lo, ivset_val hi)
{
	XGROW(s->iv, s->n, s->cap);
	s->iv[s->n].lo = lo;
	s->iv[s->n].hi = hi;
	s->n++;
}

/* May an interval starting at lo join one ending at hi? Adjacent intervals
 * are merged so that every set has exactly one representation (equality is
 * then a plain comparison). */
static bool touches(ivset_val hi, ivset_val lo)
{
	return hi == IVSET_ALL || lo <= hi + 1;
}

static int cmp_lo(const void *a, const void *b)
{
	const struct ivset_iv *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return 0;
}

void ivset_normalize(struct ivset *s)
{
	size_t out = 0;

	if (s->n < 2)
		return;
	qsort(s->iv, s->n, sizeof(*s->iv), cmp_lo);
	for (size_t i = 1; i < s->n; i++) {
		struct ivset_iv *cur = &s->iv[out];

		if (touches(cur->hi, s->iv[i].lo)) {
			if (s->iv[i].hi > cur->hi)
				cur->hi = s->iv[i].hi;
		} else {
			s->iv[++out] = s->iv[i];
		}
	}
	s->n = out + 1;
}

void ivset_add(struct ivset *s, ivset_val lo, ivset_val hi)
{
	size_t i = 0, j, lo_i = 0, hi_i = s->n;

	/* i: the first interval that ends at or after lo - 1. */
	while (lo_i < hi_i) {
		size_t mid = lo_i + (hi_i - lo_i) / 2;

		if (touches(s->iv[mid].hi, lo))
			hi_i = mid;
		else
			lo_i = mid + 1;
	}
	i = lo_i;
	/* [i, j): the intervals that overlap or touch [lo, hi]. */
	for (j = i; j < s->n && touches(hi, s->iv[j].lo); j++) {
		if (s->iv[j].lo < lo)
			lo = s->iv[j].lo;
		if (s->iv[j].hi > hi)
			hi = s->iv[j].hi;
	}
	if (i == j) {
		XGROW(s->iv, s->n, s->cap);
		memmove(&s->iv[i + 1], &s->iv[i], (s->n - i) * sizeof(*s->iv));
		s->n++;
	} else {
		memmove(&s->iv[i + 1], &s->iv[j], (s->n - j) * sizeof(*s->iv));
		s->n -= j - i - 1;
	}
	s->iv[i].lo = lo;
	s->iv[i].hi = hi;
}

ivset_val ivset_addr_value(const uint8_t addr[16], uint8_t family)
{
	ivset_val v = 0;

	for (unsigned i = 0; i < family_width(family) / 8; i++)
		v = v << 8 | addr[i];
	return v;
}

void ivset_value_addr(ivset_val v, uint8_t family, uint8_t addr[16])
{
	unsigned bytes = family_width(family) / 8;

	memset(addr, 0, 16);
	for (unsigned i = bytes; i-- > 0; v >>= 8)
		addr[i] = (uint8_t)v;
}

void ivset_prefix_bounds(const struct prefix *p, ivset_val *lo, ivset_val *hi)
{
	unsigned width = family_width(p->family);
	unsigned len = p->len > width ? width : p->len;
	ivset_val host = len == width ? 0 : ivset_max(width - len);

	/* Masking again keeps a prefix with stray host bits well-formed. */
	*lo = ivset_addr_value(p->addr, p->family) & ~host;
	*hi = *lo | host;
}

void ivset_add_prefixes(struct ivset *s, const struct prefix *p, size_t n, uint8_t family)
{
	for (size_t i = 0; i < n; i++) {
		ivset_val lo, hi;

		if (p[i].family != family)
			continue;
		ivset_prefix_bounds(&p[i], &lo, &hi);
		ivset_append(s, lo, hi);
	}
	ivset_normalize(s);
}

void ivset_add_ranges(struct ivset *s, const struct ir_range *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ivset_append(s, r[i].lo, r[i].hi);
	ivset_normalize(s);
}

/* Results are built aside and moved into *out, so out may alias an input. */
static void replace(struct ivset *out, struct ivset *tmp)
{
	free(out->iv);
	*out = *tmp;
}

void ivset_complement(struct ivset *out, const struct ivset *in, ivset_val max)
{
	struct ivset tmp = IVSET_INIT;
	ivset_val next = 0; /* the first value not yet accounted for */
	bool done = false;

	for (size_t i = 0; i < in->n && !done; i++) {
		if (in->iv[i].lo > next)
			ivset_append(&tmp, next, in->iv[i].lo - 1);
		if (in->iv[i].hi >= max)
			done = true;
		else
			next = in->iv[i].hi + 1;
	}
	if (!done)
		ivset_append(&tmp, next, max);
	replace(out, &tmp);
}

void ivset_union(struct ivset *out, const struct ivset *a, const struct ivset *b)
{
	struct ivset tmp = IVSET_INIT;
	size_t i = 0, j = 0;

	while (i < a->n || j < b->n) {
		const struct ivset_iv *next;

		if (j == b->n || (i < a->n && a->iv[i].lo <= b->iv[j].lo))
			next = &a->iv[i++];
		else
			next = &b->iv[j++];
		if (tmp.n && touches(tmp.iv[tmp.n - 1].hi, next->lo)) {
			if (next->hi > tmp.iv[tmp.n - 1].hi)
				tmp.iv[tmp.n - 1].hi = next->hi;
		} else {
			ivset_append(&tmp, next->lo, next->hi);
		}
	}
	replace(out, &tmp);
}

void ivset_intersect(struct ivset *out, const struct ivset *a, const struct ivset *b)
{
	struct ivset tmp = IVSET_INIT;
	size_t i = 0, j = 0;

	while (i < a->n && j < b->n) {
		ivset_val lo = a->iv[i].lo > b->iv[j].lo ? a->iv[i].lo : b->iv[j].lo;
		ivset_val hi = a->iv[i].hi < b->iv[j].hi ? a->iv[i].hi : b->iv[j].hi;

		if (lo <= hi)
			ivset_append(&tmp, lo, hi);
		/* The interval that ends first cannot meet anything later. */
		if (a->iv[i].hi < b->iv[j].hi)
			i++;
		else
			j++;
	}
	replace(out, &tmp);
}

void ivset_copy(struct ivset *out, const struct ivset *in)
{
	struct ivset tmp = IVSET_INIT;

	if (in->n) {
		tmp.iv = xreallocarray(NULL, in->n, sizeof(*tmp.iv));
		memcpy(tmp.iv, in->iv, in->n * sizeof(*tmp.iv));
		tmp.n = tmp.cap = in->n;
	}
	replace(out, &tmp);
}

bool ivset_first(const struct ivset *s, ivset_val *out)
{
	if (!s->n)
		return false;
	*out = s->iv[0].lo;
	return true;
}

bool ivset_first_missing(const struct ivset *s, ivset_val max, ivset_val *out)
{
	if (!s->n || s->iv[0].lo > 0) {
		*out = 0;
		return true;
	}
	if (s->iv[0].hi >= max)
		return false;
	*out = s->iv[0].hi + 1;
	return true;
}

bool ivset_contains(const struct ivset *s, ivset_val v)
{
	size_t lo = 0, hi = s->n;

	/* The last interval starting at or before v is the only candidate. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->iv[mid].lo <= v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && v <= s->iv[lo - 1].hi;
}

bool ivset_equal(const struct ivset *a, const struct ivset *b)
{
	return a->n == b->n && (a->n == 0 || memcmp(a->iv, b->iv, a->n * sizeof(*a->iv)) == 0);
}

/* Normalised sets never have adjacent intervals, so an interval of a lies
 * inside b only if it lies inside a single interval of b. */
bool ivset_subset(const struct ivset *a, const struct ivset *b)
{
	size_t j = 0;

	for (size_t i = 0; i < a->n; i++) {
		while (j < b->n && b->iv[j].hi < a->iv[i].lo)
			j++;
		if (j == b->n || b->iv[j].lo > a->iv[i].lo || b->iv[j].hi < a->iv[i].hi)
			return false;
	}
	return true;
}

bool ivset_disjoint(const struct ivset *a, const struct ivset *b)
{
	size_t i = 0, j = 0;

	while (i < a->n && j < b->n) {
		if (a->iv[i].hi < b->iv[j].lo)
			i++;
		else if (b->iv[j].hi < a->iv[i].lo)
			j++;
		else
			return false;
	}
	return true;
}

/* Walks the gaps of a and checks that each lies inside one interval of b. */
bool ivset_union_is_full(const struct ivset *a, const struct ivset *b, ivset_val max)
{
	ivset_val next = 0;
	size_t j = 0;

	for (size_t i = 0;; i++) {
		bool last = i == a->n;
		ivset_val gap_hi;

		if (!last && a->iv[i].lo == next) {
			/* no gap before this interval */
		} else {
			gap_hi = last ? max : a->iv[i].lo - 1;
			while (j < b->n && b->iv[j].hi < next)
				j++;
			if (j == b->n || b->iv[j].lo > next || b->iv[j].hi < gap_hi)
				return false;
		}
		if (last || a->iv[i].hi >= max)
			return true;
		next = a->iv[i].hi + 1;
	}
}

static unsigned ctz128(ivset_val v)
{
	uint64_t low = (uint64_t)v, high = (uint64_t)(v >> 64);

	if (low)
		return (unsigned)__builtin_ctzll(low);
	if (high)
		return 64 + (unsigned)__builtin_ctzll(high);
	return 128;
}

size_t ivset_blocks(const struct ivset *s, unsigned width, struct ivset_block *out, size_t max)
{
	size_t count = 0;

	for (size_t i = 0; i < s->n; i++) {
		ivset_val lo = s->iv[i].lo, hi = s->iv[i].hi;

		for (;;) {
			/* The largest aligned block that starts at lo and
			 * stays inside [lo, hi]. */
			unsigned k = ctz128(lo);
			if (k > width)
				k = width;
			while (k > 0 && ivset_max(k) > hi - lo)
				k--;
			if (count < max) {
				out[count].value = lo;
				out[count].len = (uint8_t)(width - k);
			}
			count++;
			ivset_val last = lo + ivset_max(k);
			if (last >= hi)
				break;
			lo = last + 1;
		}
	}
	return count;
}

/* How many blocks of length len touch s; stops counting past limit. */
static size_t count_touched(const struct ivset *s, unsigned width, unsigned len, size_t limit)
{
	unsigned shift = width - len;
	ivset_val prev = 0;
	size_t count = 0;

	if (len == 0)
		return s->n ? 1 : 0;
	for (size_t i = 0; i < s->n && count <= limit; i++) {
		ivset_val a = s->iv[i].lo >> shift, b = s->iv[i].hi >> shift;

		if (count && a == prev)
			a++; /* shares its first block with the interval before */
		if (a <= b) {
			if (b - a >= (ivset_val)(limit - count + 1))
				return limit + 1;
			count += (size_t)(b - a) + 1;
		}
		prev = b;
	}
	return count;
}

size_t ivset_cover(const struct ivset *s, unsigned width, size_t limit, struct ivset_block *out)
{
	unsigned lo = 0, hi = width;
	size_t n = 0;

	if (!s->n)
		return 0;
	/* The longest length whose blocks touching s are few enough: the
	 * count only grows with the length. */
	while (lo < hi) {
		unsigned mid = (lo + hi + 1) / 2;

		if (count_touched(s, width, mid, limit) <= limit)
			lo = mid;
		else
			hi = mid - 1;
	}
	if (lo == 0) {
		out[0].value = 0;
		out[0].len = 0;
		return 1;
	}
	ivset_val host = ivset_max(width - lo);
	for (size_t i = 0; i < s->n; i++) {
		ivset_val first = s->iv[i].lo & ~host, last = s->iv[i].hi & ~host;

		if (n && out[n - 1].value == first) {
			if (first == last)
				continue; /* shares its only block with the interval before */
			first += host + 1;
		}
		for (ivset_val v = first;; v += host + 1) {
			out[n].value = v;
			out[n].len = (uint8_t)lo;
			n++;
			if (v == last)
				break;
		}
	}
	return n;
}
