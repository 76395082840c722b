/* The runtime and one policy object loaded into the kernel and wired
 * together: shared maps reused, set maps seeded from the policy's metadata,
 * the jump table filled. Used by every command that runs packets. */
#ifndef UNTRACK_PIPELINE_H
#define UNTRACK_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>

#include "objmeta.h"

struct bpf_object;

struct pipeline {
	struct bpf_object *runtime;
	struct bpf_object *policy;
	struct objmeta meta; /* the policy's self description */
	int main_fd, accept_fd, drop_fd, tc_fd, policy_fd;
	int state_fd, jmp_fd, rt_stats_fd, rule_stats_fd;
};

/* Where the prebuilt runtime object is: $UNTRACK_RUNTIME, next to the
 * binary in the build tree, or at the install prefix. */
int pipeline_runtime_path(char *buf, size_t size);

/* Read and check a policy object's metadata without loading it: not an
 * untrack object, unreadable, or built for another ABI → -errno with a
 * message in err. */
int pipeline_read_meta(const char *policy_path, struct objmeta *meta, char *err, size_t errlen);

/* Load runtime + policy, wire them. On failure everything this call did is
 * undone and err says which step failed. */
int pipeline_load(struct pipeline *pl, const char *policy_path, char *err, size_t errlen);

void pipeline_close(struct pipeline *pl);

#endif
