/* Replacing the policy of an attached interface: what attach (again) and
 * replace share. The new policy is loaded against the pinned runtime,
 * whose shared maps are the running ones, and pinned beside the current
 * one in policy_new; swap_commit() records it and puts it into the jump
 * table's policy slot with one map update, so a packet runs the old policy
 * or the new one, never neither. */
#ifndef UNTRACK_SWAP_H
#define UNTRACK_SWAP_H

#include <limits.h>
#include <stddef.h>

#include "objload.h"
#include "state.h"

struct swap {
	const struct ut_where *w;
	struct pipeline pl; /* the new policy, against the pinned runtime */
	struct ut_info old_info, new_info;
	char *old_meta, *old_nft;
	size_t old_meta_len;
	const char *new_nft; /* the new policy's egress template */
	size_t new_nft_len;
	int old_policy_fd; /* the policy in slot 0 before, to swap back */
	char new_dir[PATH_MAX], cur_dir[PATH_MAX], old_dir[PATH_MAX];
};

/* Start a swap at w to the policy object at policy, whose egress template
 * is egress[0..egress_len); old is the record as it is. */
void swap_init(struct swap *s, const struct ut_where *w, const struct ut_info *old,
	       const char *policy, const char *egress, size_t egress_len);

/* Load the policy and pin it in policy_new. Nothing runs it yet. On
 * failure nothing is left pinned. */
int swap_prepare(struct swap *s, const char *policy, char *err, size_t errlen);

/* Record the new policy, swap slot 0, move the pins into place. On failure
 * everything is as before swap_commit(), and policy_new is gone. */
int swap_commit(struct swap *s, char *err, size_t errlen);

/* Close and free what the swap holds (also after a failure). */
void swap_release(struct swap *s);

#endif
