/* The checked, normalised policy: what the evaluator, the shadow analysis and
 * every code generation strategy consume.
 *
 * All rules of the file, ingress and egress, stand in one array in
 * evaluation order (policies by order then name, rules in source order); a
 * rule's id is its index there, so ids are dense, deterministic for the same
 * input, and usable as counter indices. Each condition is normalised so that
 * a strategy can lower it without re-deriving anything: families as a mask,
 * literal prefixes sorted and restricted to the rule's families, ports as
 * sorted disjoint ranges. */
#ifndef UNTRACK_IR_H
#define UNTRACK_IR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/loc.h"
#include "objfmt/addr.h"
#include "objfmt/vocab.h"

#define IR_PROTO_ANY (-1)
#define IR_ICMP_ANY  (-1)

struct ir_range {
	uint16_t lo, hi; /* inclusive */
};

/* Address condition. Matches a packet of the rule's families whose address
 * is (or, with negate, is not) inside the union of the literal prefixes and
 * the named sets' current contents. */
struct ir_addr_match {
	bool negate;
	struct prefix *prefixes; /* sorted by prefix_cmp, no duplicates */
	size_t nprefixes;
	uint32_t *sets; /* indices into ir_program.sets, ascending, unique */
	size_t nsets;
};

/* Port condition: the port must be readable and inside (or, with negate,
 * outside) the ranges. */
struct ir_port_match {
	bool negate;
	struct ir_range *ranges; /* sorted, disjoint, non-adjacent */
	size_t nranges;
};

struct ir_rule {
	uint32_t id;
	uint32_t policy; /* index into ir_program.policies */
	enum rule_dir dir;
	enum rule_action action;
	uint8_t families;	   /* FAM_V4 | FAM_V6, never 0 */
	int16_t proto;		   /* IR_PROTO_ANY or 0..255 */
	struct ir_addr_match *src; /* NULL: no condition */
	struct ir_addr_match *dst;
	struct ir_port_match *sport;
	struct ir_port_match *dport;
	int16_t icmp_type; /* IR_ICMP_ANY or 0..255 */
	int16_t icmp_code;
	/* The packet's IP headers are cut off or malformed, so that its
	 * protocol or ports cannot be located (docs/language.md,
	 * "incomplete"). Such a packet has no L4 field, so a rule with this
	 * condition has no port or ICMP condition. */
	bool incomplete;
	struct ut_loc loc;
	char *text; /* canonical form, e.g. "deny udp from port 19" */
};

struct ir_policy {
	char *name;
	bool has_order;
	uint32_t order;
	struct ut_loc loc;
	uint32_t first_rule; /* rules[first_rule .. first_rule + nrules) */
	uint32_t nrules;
};

struct ir_set {
	char *name;
	struct ut_loc loc;
	struct prefix *prefixes; /* initial contents, sorted, unique */
	size_t nprefixes;
	uint8_t families;  /* families present in the initial contents */
	bool used_ingress; /* referenced by an ingress rule */
	bool used_egress;
};

struct ir_program {
	char *file;
	struct ir_policy *policies; /* evaluation order */
	size_t npolicies;
	struct ir_rule *rules; /* evaluation order; rules[i].id == i */
	size_t nrules;
	struct ir_set *sets; /* definition order */
	size_t nsets;
};

void ir_free(struct ir_program *p);
void ir_addr_match_free(struct ir_addr_match *m); /* accepts NULL */
void ir_port_match_free(struct ir_port_match *m); /* accepts NULL */

/* The canonical text of a rule, as stored in ir_rule.text (malloc'd). */
char *ir_rule_format(const struct ir_program *p, const struct ir_rule *r);

/* --dump=ir */
void ir_dump(const struct ir_program *p, FILE *out);

/* Which L4 fields a protocol carries. */
static inline bool ir_proto_has_ports(int proto)
{
	return proto == IPPROTO_NUM_TCP || proto == IPPROTO_NUM_UDP || proto == IPPROTO_NUM_SCTP;
}

/* ICMP type/code are defined for ICMP on IPv4 and ICMPv6 on IPv6. */
static inline bool ir_proto_has_icmp(int proto, uint8_t family)
{
	return (proto == IPPROTO_NUM_ICMP && family == FAM_V4) ||
	       (proto == IPPROTO_NUM_ICMPV6 && family == FAM_V6);
}

#endif
