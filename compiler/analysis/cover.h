/* The exact containment test of the shadowed-rule analysis (cover.c): rule
 * summaries and "does e cover r". Used by the driver (shadow.c), the index
 * that finds candidates for it (index.c) and the tests. */
#ifndef UNTRACK_ANALYSIS_COVER_H
#define UNTRACK_ANALYSIS_COVER_H

#include <stdbool.h>
#include <stdint.h>

#include "analysis/ivset.h"
#include "ir/ir.h"

#define SHADOW_NFAM 2 /* family index 0: IPv4, 1: IPv6 */

static inline uint8_t shadow_fam(unsigned fi)
{
	return fi == 0 ? FAM_V4 : FAM_V6;
}

static inline ivset_val shadow_addr_max(unsigned fi)
{
	return ivset_max(family_width(shadow_fam(fi)));
}

#define SHADOW_PORT_MAX ivset_max(16)

/* One address or port condition within one family: the values listed in
 * the rule, or all others when negated. The intervals are borrowed (from
 * the analysis' arena or its named-set cache). */
struct cond {
	const struct ivset_iv *iv;
	uint32_t n;
	bool present;
	bool negate;
};

static inline struct ivset cond_set(const struct cond *c)
{
	return (struct ivset){(struct ivset_iv *)c->iv, c->n, 0};
}

/* Does the condition let every value of [0, max] through? */
bool cond_full(const struct cond *c, ivset_val max);

/* What the analysis needs of a rule, computed once. */
struct rinfo {
	struct cond addr[SHADOW_NFAM][2]; /* [family][0: source, 1: destination] */
	struct cond port[2];		  /* 0: source, 1: destination */
	uint32_t states;		  /* bit i: r matches some packet in state i */
	int16_t proto, type, code;
	uint8_t need; /* PKT_HAS_* bits the rule needs: fields, and INCOMPLETE */
};

/* The states of one family, as a mask over rinfo.states. */
uint32_t shadow_family_states(unsigned fi);

/* Does every packet r matches also match e? */
bool shadow_covers(const struct rinfo *e, const struct rinfo *r);

/* Intervals of every condition live in chunks freed together: a rule's
 * conditions are usually one or two intervals, not worth a malloc each. */
struct iv_chunk {
	struct iv_chunk *next;
	size_t used, cap;
	struct ivset_iv iv[];
};

#define CHUNK_IVS 4096

/* Everything the rule summaries borrow from. */
struct shadow_ctx {
	const struct ir_program *p;
	struct ivset (*sets)[SHADOW_NFAM]; /* named sets' initial contents */
	uint8_t *built;			   /* bit per family: sets[i][fi] is ready */
	struct iv_chunk *chunks;
	struct ivset scratch;
};

void shadow_ctx_init(struct shadow_ctx *c, const struct ir_program *p);
void shadow_ctx_free(struct shadow_ctx *c);

/* The summary of r, borrowing from c. */
void rinfo_build(struct shadow_ctx *c, const struct ir_rule *r, struct rinfo *ri);

/* Does every packet that rule r matches also match rule e? Exact for the
 * conditions the IR has, including which fields a packet can lack
 * (truncation, fragments, protocols without ports). Named sets count with
 * their initial contents. */
bool shadow_rule_covers(const struct ir_program *p, const struct ir_rule *e,
			const struct ir_rule *r);

#endif
