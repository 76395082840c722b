/* Sets of unsigned integers up to 128 bits wide, kept as sorted, disjoint,
 * non-adjacent closed intervals.
 *
 * One representation serves every field a rule matches on: an address set
 * of one family (IPv4 addresses as 32-bit values, IPv6 as 128-bit), a port
 * set (16 bits), or anything narrower. The shadow analysis compares rules
 * with it; code generators can search it (ivset_contains is a binary
 * search) or cut it back into aligned blocks for LPM and hash tables
 * (ivset_blocks).
 *
 * Building from n raw intervals costs O(n log n); every operation on two
 * normalised sets is one linear merge. Results are written to a separate
 * output set, which may alias an input. Memory comes from xalloc. */
#ifndef UNTRACK_IVSET_H
#define UNTRACK_IVSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "objfmt/addr.h"
#include "ir/ir.h"

typedef unsigned __int128 ivset_val;

struct ivset_iv {
	ivset_val lo, hi; /* inclusive */
};

struct ivset {
	struct ivset_iv *iv;
	size_t n, cap;
};

/* An aligned block: the values whose top len bits (of width) equal those of
 * value; the bits past len are zero. The same shape as a prefix. */
struct ivset_block {
	ivset_val value;
	uint8_t len;
};

#define IVSET_INIT                                                                                 \
	{                                                                                          \
		NULL, 0, 0                                                                         \
	}

/* The largest value of a width (1..128 bits). */
static inline ivset_val ivset_max(unsigned width)
{
	return width >= 128 ? ~(ivset_val)0 : ((ivset_val)1 << width) - 1;
}

void ivset_free(struct ivset *s);
void ivset_clear(struct ivset *s);

/* Append [lo, hi] (lo <= hi) without keeping the invariant: call
 * ivset_normalize after a batch of appends. */
void ivset_append(struct ivset *s, ivset_val lo, ivset_val hi);
/* Sort and merge overlapping or adjacent intervals. */
void ivset_normalize(struct ivset *s);

/* Add one interval, keeping the set normalised (linear). */
void ivset_add(struct ivset *s, ivset_val lo, ivset_val hi);

/* Address values: the address bytes of a family read as one big-endian
 * number, and back. */
ivset_val ivset_addr_value(const uint8_t addr[16], uint8_t family);
void ivset_value_addr(ivset_val v, uint8_t family, uint8_t addr[16]);
/* The first and last address of a prefix. */
void ivset_prefix_bounds(const struct prefix *p, ivset_val *lo, ivset_val *hi);

/* Add the prefixes of one family (others are ignored), normalised. */
void ivset_add_prefixes(struct ivset *s, const struct prefix *p, size_t n, uint8_t family);
/* Add port ranges (or any 16-bit ranges), normalised. */
void ivset_add_ranges(struct ivset *s, const struct ir_range *r, size_t n);

/* out = [0, max] minus in. Every value of in must be <= max. */
void ivset_complement(struct ivset *out, const struct ivset *in, ivset_val max);
void ivset_union(struct ivset *out, const struct ivset *a, const struct ivset *b);
void ivset_intersect(struct ivset *out, const struct ivset *a, const struct ivset *b);
void ivset_copy(struct ivset *out, const struct ivset *in);

static inline bool ivset_is_empty(const struct ivset *s)
{
	return s->n == 0;
}

/* Does s hold every value of [0, max]? */
static inline bool ivset_is_full(const struct ivset *s, ivset_val max)
{
	return s->n == 1 && s->iv[0].lo == 0 && s->iv[0].hi == max;
}

/* The smallest value; false when s is empty. */
bool ivset_first(const struct ivset *s, ivset_val *out);
/* The smallest value of [0, max] not in s; false when s is full. */
bool ivset_first_missing(const struct ivset *s, ivset_val max, ivset_val *out);

bool ivset_contains(const struct ivset *s, ivset_val v);
bool ivset_equal(const struct ivset *a, const struct ivset *b);
/* a ⊆ b */
bool ivset_subset(const struct ivset *a, const struct ivset *b);
/* a ∩ b = ∅ */
bool ivset_disjoint(const struct ivset *a, const struct ivset *b);
/* a ∪ b = [0, max]: the complement of one lies inside the other. */
bool ivset_union_is_full(const struct ivset *a, const struct ivset *b, ivset_val max);

/* Cut s (values of width bits) into the fewest aligned blocks, in ascending
 * order. Writes at most max of them to out (out may be NULL when max is 0)
 * and returns how many there are in all, so a caller can size a buffer or
 * give up on a set that needs too many. */
size_t ivset_blocks(const struct ivset *s, unsigned width, struct ivset_block *out, size_t max);

/* Cover s with at most limit (>= 1) aligned blocks of one length, the
 * longest that fits: a superset of s, for keying it coarsely. Writes them
 * to out in ascending order and returns how many (0 when s is empty). Costs
 * O(s->n log width). */
size_t ivset_cover(const struct ivset *s, unsigned width, size_t limit, struct ivset_block *out);

#endif
