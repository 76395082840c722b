/* Named sets as tables (untrack_abi.h, "named sets"): seeding them when a
 * policy is loaded, and changing them while it runs. The tables are built
 * in user space (objfmt/settables.h) into the generation no packet reads,
 * then made live with one store, so every packet sees either the old set
 * or the new one. */
#ifndef UNTRACK_SEED_TABLES_H
#define UNTRACK_SEED_TABLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "objfmt/addr.h"
#include "objfmt/objmeta.h"

struct bpf_object;

/* The four maps of one set, and the slot maps' size per generation. */
struct ut_set_fds {
	int hdr, v4, v6, members;
	uint32_t cap4, cap6;
};

/* The maps of set number index of a loaded policy object (the fds belong
 * to the object). -ENOENT when the object lacks them. */
int ut_set_fds_from_object(struct bpf_object *obj, unsigned index, struct ut_set_fds *f);

/* Fill cap4/cap6 from the maps themselves, for fds opened from pins. */
int ut_set_fds_caps(struct ut_set_fds *f);

/* Seed every named set of a freshly loaded policy object from its metadata
 * (before the policy is put into ut_jmp). The call pipeline_load() makes in
 * place of the LPM-trie seeding of ABI 1. */
int ut_seed_tables(struct bpf_object *policy, const struct objmeta *meta, char *err, size_t errlen);

/* Replace a set's members by members[0..n) (any order, no duplicates),
 * rebuilding its tables into the idle generation and switching to it.
 * Everything that can run out of memory happens before the switch. */
int ut_set_replace(const struct ut_set_fds *f, const struct prefix *members, size_t n, char *err,
		   size_t errlen);

/* Add (add = true) or delete prefixes, all or nothing: adding a member or
 * deleting a non-member is an error (-EEXIST, -ENOENT; *bad is the index of
 * the offending prefix), a set that would not fit is -ENOSPC, running out of
 * memory -ENOMEM, and then the set is unchanged. err says why, always. */
int ut_set_change(const struct ut_set_fds *f, bool add, const struct prefix *p, size_t n,
		  size_t *bad, char *err, size_t errlen);

/* The current members, sorted (malloc'd array). */
int ut_set_members(const struct ut_set_fds *f, struct prefix **out, size_t *n);

#endif
