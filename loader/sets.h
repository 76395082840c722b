/* untrack set: a named set of the running policy, found and then listed
 * (sets.c) or changed in both directions (set_edit.c). */
#ifndef UNTRACK_SETS_H
#define UNTRACK_SETS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "objfmt/addr.h"
#include "objfmt/objmeta.h"
#include "seed_tables.h"
#include "state.h"

/* One set of the policy attached to an interface, its maps open. */
struct set_target {
	struct ut_where w;
	struct ut_info info;
	struct objmeta meta;
	const struct objmeta_set *set;
	size_t index; /* in meta: the set's maps are *_<index> */
	char policy_dir[PATH_MAX];
	struct ut_set_fds fds;
};

/* Add (add = true) or delete p[0..n) in the set's maps and, when egress
 * rules use it, in its nftables sets: both change, or neither does. On
 * failure err holds the whole message for the user. */
int set_edit(const struct set_target *t, bool add, const struct prefix *p, size_t n, char *err,
	     size_t errlen);

#endif
