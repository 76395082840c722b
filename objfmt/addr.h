/* IPv4/IPv6 prefixes: parsing, formatting, comparison. */
#ifndef UNTRACK_OBJFMT_ADDR_H
#define UNTRACK_OBJFMT_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Address families as a bit mask, so a rule can match both. */
#define FAM_V4	1u
#define FAM_V6	2u
#define FAM_ALL (FAM_V4 | FAM_V6)

/* An IPv4 address uses addr[0..3]; the rest stays zero. Bits past len are
 * zero once prefix_normalize() ran. */
struct prefix {
	uint8_t family; /* FAM_V4 or FAM_V6 */
	uint8_t len;
	uint8_t addr[16];
};

enum addr_parse_status {
	ADDR_OK,
	ADDR_BAD_ADDRESS, /* not an address of either family */
	ADDR_BAD_LENGTH,  /* '/len' malformed or wider than the family */
	ADDR_HOST_BITS,	  /* parsed, but bits past len were set (cleared in *out) */
};

/* Parse "192.0.2.0/24", "2001:db8::1", ... A missing '/len' means a host
 * prefix (/32 or /128). */
enum addr_parse_status prefix_parse(const char *text, struct prefix *out);

static inline unsigned family_width(uint8_t family)
{
	return family == FAM_V4 ? 32 : 128;
}

/* Clear the bits past len; returns true if any were set. */
bool prefix_normalize(struct prefix *p);

/* Canonical text ("10.0.0.0/8", "2001:db8::1"): host prefixes without /len.
 * buf needs PREFIX_STRLEN bytes. */
#define PREFIX_STRLEN 64
char *prefix_format(const struct prefix *p, char *buf);

/* Total order: family, then address, then length. */
int prefix_cmp(const struct prefix *a, const struct prefix *b);

/* Does prefix p contain address addr (same family)? */
bool prefix_contains(const struct prefix *p, const uint8_t addr[16]);

/* Shorten acc to the longest prefix that contains both acc and p (same
 * family). */
void prefix_widen(struct prefix *acc, const struct prefix *p);

/* Sort prefixes (any families) and drop those inside another: what is left
 * covers the same addresses, disjointly. Returns the new count. */
size_t prefixes_min_cover(struct prefix *p, size_t n);

#endif
