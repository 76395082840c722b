/* The runtime and one policy object loaded into the kernel and wired
 * together: shared maps reused, set maps seeded from the policy's metadata,
 * the jump table filled. Used by every command that runs packets.
 *
 * pipeline_load() does it all for a throw-away pipeline (replay). attach
 * and replace use the steps: the runtime comes from its object
 * (pipeline_runtime_load) or from the pins of an earlier attach
 * (pipeline_runtime_open_pinned); the policy is loaded against it
 * (pipeline_policy_load); pipeline_wire() fills every slot and
 * pipeline_activate() only the policy's, which is the atomic swap. The
 * kernel tests (tests/kernel/rt.c), the differential test and the
 * benchmark load objects through these too, from build/libloader.a. */
#ifndef UNTRACK_PIPELINE_H
#define UNTRACK_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>

#include "objfmt/objmeta.h"
#include "untrack_abi.h"

struct bpf_object;

struct pipeline {
	struct bpf_object *runtime; /* NULL when the runtime comes from pins */
	struct bpf_object *policy;
	struct objmeta meta; /* the policy's self description */
	int main_fd, accept_fd, drop_fd, tc_fd, policy_fd;
	int state_fd, jmp_fd, rt_stats_fd, rule_stats_fd;
	/* Added for attach; zero-initialised users of the fields above are
	 * unaffected. */
	int events_fd, log_rl_fd;
	bool runtime_pinned; /* the runtime fds are ours to close */
	char *meta_text;     /* the policy's .untrack.meta as found */
	size_t meta_len;
};

/* Where the prebuilt runtime object is: $UNTRACK_RUNTIME, next to the
 * binary in the build tree, or at the install prefix. */
int pipeline_runtime_path(char *buf, size_t size);

/* Read and check a policy object's metadata without loading it: not an
 * untrack object, unreadable, or built for another ABI → -errno with a
 * message in err. */
int pipeline_read_meta(const char *policy_path, struct objmeta *meta, char *err, size_t errlen);

/* The bytes of ELF section `name` of an object (malloc'ed, with a NUL
 * appended; *size excludes it). Returns 0; -ENOENT when the object has no
 * such section; another -errno when it cannot be read. err says which. */
int pipeline_read_section(const char *path, const char *name, char **bytes, size_t *size, char *err,
			  size_t errlen);

/* The egress template of a policy object whose metadata is meta: its
 * NFT_SECTION (objfmt/nft_template.h), malloc'ed and NUL-terminated. An
 * object without the section is refused when it has egress rules (an older
 * untrackc would leave them unenforced) and has an empty template
 * otherwise. */
int pipeline_read_template(const char *path, const struct objmeta *meta, char **text, size_t *len,
			   char *err, size_t errlen);

/* The same, also returning the metadata text (malloc'ed, NUL-terminated). */
int pipeline_read_meta_text(const char *policy_path, struct objmeta *meta, char **text, size_t *len,
			    char *err, size_t errlen);

/* Test runs (BPF_PROG_TEST_RUN) execute on the calling CPU: keep the calling
 * thread on the CPU it runs on, so that it reads that CPU's slot of the
 * per-CPU maps afterwards. Returns the CPU, or -errno. */
int pipeline_pin_cpu(void);

/* The runtime counters summed over CPUs, from the maps ut_rt_stats and
 * ut_state (where NO_MATCH is kept, untrack_abi.h). Returns 0, or -errno
 * with err naming the counter that could not be read. */
int pipeline_rt_counters(int rt_stats_fd, int state_fd, __u64 out[UT_RT_NR], char *err,
			 size_t errlen);

/* Load runtime + policy, wire them. On failure everything this call did is
 * undone and err says which step failed. */
int pipeline_load(struct pipeline *pl, const char *policy_path, char *err, size_t errlen);

/* Load the runtime object with the given mark (NULL: the default) into an
 * empty (zeroed) pipeline. */
int pipeline_runtime_load(struct pipeline *pl, const struct ut_mark_config *mark, char *err,
			  size_t errlen);

/* The same with the runtime object at path. */
int pipeline_runtime_load_file(struct pipeline *pl, const char *path,
			       const struct ut_mark_config *mark, char *err, size_t errlen);

/* Take the runtime from the pins in dir (see pipeline_pin_runtime). */
int pipeline_runtime_open_pinned(struct pipeline *pl, const char *dir, char *err, size_t errlen);

/* Load a policy object against the pipeline's runtime: its shared maps are
 * the runtime's (after checking their definitions), its sets are seeded from
 * its metadata. Nothing runs it until pipeline_wire/_activate. */
int pipeline_policy_load(struct pipeline *pl, const char *policy_path, char *err, size_t errlen);

/* The steps of pipeline_policy_load() that need no metadata, for BPF objects
 * that are not policies (the kernel tests' probes): open the object at path
 * and check its ABI version; make its declarations of the shared maps the
 * runtime's maps, after checking that they declare them alike. */
int pipeline_object_open(const char *path, struct bpf_object **obj, char *err, size_t errlen);
int pipeline_share_maps(const struct pipeline *pl, struct bpf_object *obj, const char *path,
			char *err, size_t errlen);

/* The ABI version an object was built for (its UT_ABI_SECTION map):
 * -ENOENT without one, -EINVAL when it is too short. */
int pipeline_object_abi(struct bpf_object *obj, __u32 *version);

/* Fill the accept and drop slots, then the policy's. */
int pipeline_wire(struct pipeline *pl, char *err, size_t errlen);

/* Put the policy into UT_SLOT_POLICY: one map update, so every packet runs
 * either the program that was there or this one. */
int pipeline_activate(struct pipeline *pl, char *err, size_t errlen);

/* The maps of named set number index (seed_tables.h). */
struct ut_set_fds;
int pipeline_set_fds(const struct pipeline *pl, size_t index, struct ut_set_fds *fds);

/* Pin the runtime's programs and shared maps into dir (which must exist),
 * and the policy's program and maps into dir (created). On failure the pins
 * this call made are removed. */
int pipeline_pin_runtime(const struct pipeline *pl, const char *dir, char *err, size_t errlen);
int pipeline_pin_policy(const struct pipeline *pl, const char *dir, char *err, size_t errlen);

void pipeline_close(struct pipeline *pl);

#endif
