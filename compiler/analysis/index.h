/* The index behind shadow_check: it finds the few earlier deciding rules
 * that may cover a rule, for the exact test (cover.h). */
#ifndef UNTRACK_ANALYSIS_INDEX_H
#define UNTRACK_ANALYSIS_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "analysis/cover.h"

struct shadow_index;

/* infos[0..n) stay owned by the caller and must outlive the index. */
struct shadow_index *shadow_index_new(const struct rinfo *infos, size_t n);
void shadow_index_free(struct shadow_index *ix);
void shadow_index_add(struct shadow_index *ix, uint32_t id, enum rule_dir dir);
/* The earliest rule added for dir that covers rule id, or UINT32_MAX. */
uint32_t shadow_index_find(struct shadow_index *ix, uint32_t id, enum rule_dir dir);

#endif
