/* Address tables: longest-prefix classification of IPv4 and IPv6 addresses
 * by a few array reads, built in user space. Two users:
 *
 * - the table strategy (compiler/codegen/table_emit.c) classifies a packet's address by the
 *   longest literal prefix of all rules that contains it, to find the rules
 *   that can match; its tables become read-only data in the object;
 * - named sets at run time (runtime-bpf/untrack_abi.h, "named sets"): the
 *   loader builds a set's tables from its members whenever they change
 *   (loader/seed_tables.c), with set_tables_build() below.
 *
 * Builders return 0, -ENOSPC (does not fit) or -ENOMEM; they never exit.
 *
 * IPv4 (lpm4): a direct table over the top 16 bits; a /16 that longer
 * prefixes cut into is refined by an open-addressing hash over its /24
 * blocks, and a /24 that prefixes longer than 24 cut into gets a leaf of
 * 256 values. A lookup is one array read, at most UT_SET_MAX_PROBE hash
 * slots (one or two in practice), and one leaf read.
 *
 * IPv6 (lpm6): one open-addressing hash of every prefix keyed by (length,
 * masked address); a lookup probes the lengths present, longest first.
 *
 * Both use the hashes of untrack_abi.h (ut_hash4, ut_hash6) and guarantee
 * that every key sits within UT_SET_MAX_PROBE slots of its hash. */
#ifndef UNTRACK_OBJFMT_SETTABLES_H
#define UNTRACK_OBJFMT_SETTABLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "objfmt/addr.h"
#include "untrack_abi.h"

/* ------------------------------------------------------------ IPv4 */

struct lpm4_prefix {
	uint32_t addr; /* host byte order, bits past len zero */
	uint8_t len;
	uint32_t value; /* 1..LPM4_VALUE_MAX; 0 means "no prefix" */
};

#define LPM4_VALUE_MAX 0x3fffffffu
#define LPM4_REFINE    0x80000000u /* l1: look the /24 up in the hash */
#define LPM4_LEAF      0x80000000u /* slot val: a leaf (index in the low bits) */

struct lpm4_slot {
	uint32_t key; /* (addr >> 8) + 1; 0: empty */
	uint32_t val; /* value of the whole /24, or LPM4_LEAF | leaf */
};

struct lpm4 {
	uint32_t *l1; /* 65536 entries: value of the /16, | LPM4_REFINE */
	struct lpm4_slot *slots;
	uint32_t bits;	  /* 1 << bits slots */
	uint32_t *leaves; /* 256 values per leaf */
	size_t nleaves;
	size_t nblocks; /* /24 blocks in the hash */
};

/* Build the table mapping each address to the value of the longest prefix
 * containing it (0: none). Prefixes must be unique. The hash gets the
 * fewest slots (at least 1 << UT_SET_MIN_HASHBITS, load at most one half)
 * that keeps every key within UT_SET_MAX_PROBE of its hash; -ENOSPC when
 * that needs more than 1 << max_bits slots. */
int lpm4_build(const struct lpm4_prefix *p, size_t n, uint32_t max_bits, struct lpm4 *out);
void lpm4_free(struct lpm4 *t);
/* The reference lookup, for tests. */
uint32_t lpm4_lookup(const struct lpm4 *t, uint32_t addr);

/* ------------------------------------------------------------ IPv6 */

struct lpm6_prefix {
	uint8_t addr[16]; /* bits past len zero */
	uint8_t len;
	uint32_t value; /* 1..UINT32_MAX */
};

struct lpm6_slot {
	uint64_t hi, lo; /* masked address, bytes 0..7 and 8..15 as loaded */
	uint32_t len1;	 /* length + 1; 0: empty */
	uint32_t val;
};

struct lpm6 {
	struct lpm6_slot *slots;
	uint32_t bits;
	uint8_t lens[129]; /* lengths present, longest first */
	unsigned nlens;
};

int lpm6_build(const struct lpm6_prefix *p, size_t n, uint32_t max_bits, struct lpm6 *out);
void lpm6_free(struct lpm6 *t);
uint32_t lpm6_lookup(const struct lpm6 *t, const uint8_t addr[16]);

/* The first len bits of an address as two loaded words (hi: bytes 0..7). */
void lpm6_mask(unsigned len, uint64_t *hi, uint64_t *lo);
void lpm6_words(const uint8_t addr[16], uint64_t *hi, uint64_t *lo);

/* ------------------------------------------------------------ named sets */

/* One generation of a set's tables (untrack_abi.h) from its members, for
 * slot arrays of cap4 and cap6 entries (slots4/slots6, zeroed here). Fails
 * with -ENOSPC when a family does not fit; err then says which. */
int set_tables_build(const struct prefix *members, size_t n, uint32_t cap4, uint32_t cap6,
		     struct ut_set_gen *gen, struct ut_set4_slot *slots4,
		     struct ut_set6_slot *slots6, char *err, size_t errlen);

/* The slot-map sizes (per generation) untrackc gives a set that starts with
 * these prefixes: room to grow, see the function. */
void set_tables_capacity(const struct prefix *p, size_t n, uint32_t *cap4, uint32_t *cap6,
			 uint32_t *capm);

#endif
