/* Internals of the shadow analysis, shared by shadow.c (the exact
 * containment test) and shadow_index.c (the index that finds candidates for
 * it). Not for use elsewhere. */
#ifndef UNTRACK_SHADOW_IMPL_H
#define UNTRACK_SHADOW_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "ir.h"
#include "ivset.h"

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
	uint8_t need; /* PKT_HAS_* fields the rule reads */
};

/* The states of one family, as a mask over rinfo.states. */
uint32_t shadow_family_states(unsigned fi);

/* Does every packet r matches also match e? */
bool shadow_covers(const struct rinfo *e, const struct rinfo *r);

/* The index of earlier deciding rules (shadow_index.c). */
struct shadow_index;

/* infos[0..n) stay owned by the caller and must outlive the index. */
struct shadow_index *shadow_index_new(const struct rinfo *infos, size_t n);
void shadow_index_free(struct shadow_index *ix);
void shadow_index_add(struct shadow_index *ix, uint32_t id, enum ir_dir dir);
/* The earliest rule added for dir that covers rule id, or UINT32_MAX. */
uint32_t shadow_index_find(struct shadow_index *ix, uint32_t id, enum ir_dir dir);

#endif
