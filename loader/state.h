/* Where untrack keeps what it attached, so that a later process can find,
 * show, change and remove it.
 *
 * Per interface, keyed by its name and its network namespace:
 *   /sys/fs/bpf/untrack/KEY/          bpffs pins of the runtime programs and
 *                                     shared maps
 *   /sys/fs/bpf/untrack/KEY/policy/   pins of the current policy program and
 *                                     its maps (ut_rule_stats, ut_set4_N, ...)
 *   /run/untrack/KEY/info             what was attached and how (text)
 *   /run/untrack/KEY/policy.meta      a copy of the policy's .untrack.meta
 *   /run/untrack/KEY/policy.nft       a copy of its .untrack.nft (the egress
 *                                     template, objfmt/nft_template.h), so any
 *                                     later command can rebuild the table
 * KEY is the interface name in the host's network namespace (the one of
 * PID 1) and "netns:INODE/NAME" in any other (or when PID 1's cannot be
 * seen), so equal names in different namespaces never meet. bpffs refuses
 * '.' in names, so NAME has ':' for '.' (eth0.100 → eth0:100); no interface
 * name contains ':', and "netns:INODE" (16 characters and more) is longer
 * than any interface name.
 * /run/untrack/lock serialises the commands that change anything. Both
 * trees live in memory and vanish at reboot, as the attachments do. */
#ifndef UNTRACK_STATE_H
#define UNTRACK_STATE_H

#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>

#include <linux/types.h>

#define UT_BPFFS_ROOT "/sys/fs/bpf"
#define UT_PIN_ROOT   UT_BPFFS_ROOT "/untrack"
#define UT_RUN_ROOT   "/run/untrack"

/* Pin names under the policy directory and its staging siblings. */
#define UT_POLICY_DIR	  "policy"
#define UT_POLICY_NEW_DIR "policy_new" /* bpffs names cannot have a '.' */
#define UT_POLICY_OLD_DIR "policy_old"

enum ut_xdp_mode {
	UT_XDP_AUTO,	/* native, else generic (a request, never a state) */
	UT_XDP_NATIVE,	/* driver mode */
	UT_XDP_GENERIC, /* skb mode */
};

const char *ut_xdp_mode_name(enum ut_xdp_mode mode);
int ut_xdp_mode_parse(const char *text, enum ut_xdp_mode *mode);

/* One interface's place in both trees. */
struct ut_where {
	char ifname[IF_NAMESIZE];
	char key[48];		    /* NAME or netns:INODE/NAME, '.' as ':' */
	char ns_dir[32];	    /* "" or netns:INODE */
	unsigned long long netns;   /* inode of the network namespace */
	char pin_dir[PATH_MAX / 4]; /* UT_PIN_ROOT/KEY */
	char run_dir[PATH_MAX / 4]; /* UT_RUN_ROOT/KEY */
};

/* What /run/untrack/KEY/info records. */
struct ut_info {
	char ifname[IF_NAMESIZE];
	int ifindex;
	unsigned long long netns;
	enum ut_xdp_mode mode; /* as attached: native or generic */
	__u32 mark_value, mark_mask;
	bool tc_hook_created; /* untrack created the clsact qdisc */
	char policy[PATH_MAX / 4];
	char source[PATH_MAX / 4];    /* the .utp file the policy was built from */
	long long attached, replaced; /* seconds since the epoch */
	unsigned long generation;     /* 1 at attach, +1 on every replace */
};

/* Is name a valid interface name (what the kernel's dev_valid_name accepts)?
 * Checked before a name becomes part of a path. */
bool ut_ifname_valid(const char *name);

/* Fill w for interface ifname in the calling process's network namespace. */
int ut_where_init(struct ut_where *w, const char *ifname, char *err, size_t errlen);

/* Does w have recorded state (an info file)? */
bool ut_where_attached(const struct ut_where *w);

/* The interfaces with recorded state in this network namespace, sorted by
 * name. *names is one malloc'ed array of IF_NAMESIZE-byte names. */
int ut_state_list(char (**names)[IF_NAMESIZE], size_t *n, char *err, size_t errlen);

int ut_info_write(const struct ut_where *w, const struct ut_info *info, char *err, size_t errlen);
int ut_info_read(const struct ut_where *w, struct ut_info *info, char *err, size_t errlen);

/* The policy metadata copy: write it, or read it back as malloc'ed text. */
int ut_meta_write(const struct ut_where *w, const char *text, size_t len, char *err, size_t errlen);
int ut_meta_read(const struct ut_where *w, char **text, size_t *len, char *err, size_t errlen);

/* The egress template copy: write it (len bytes, "" for a policy without
 * egress rules), or read it back as malloc'ed text ("" when the record
 * has none). */
int ut_nft_write(const struct ut_where *w, const char *text, size_t len, char *err, size_t errlen);
int ut_nft_read(const struct ut_where *w, char **text, char *err, size_t errlen);

struct objmeta;
struct ut_set_fds;
struct nft_set_elems;

/* Open the pinned maps of named set number index of the policy pinned in
 * policy_dir (KEY/policy or KEY/policy_new), with their capacities. */
int ut_set_open(const char *policy_dir, size_t index, struct ut_set_fds *f);
void ut_set_close(struct ut_set_fds *f);

/* The live members of sets that egress rules use, as nftables elements:
 * what nft_iface.sets and nft_sets_apply() take. */
struct ut_egress_sets {
	struct nft_set_elems *sets;
	size_t n;
};

/* Read them from the maps pinned in policy_dir, for every set meta marks
 * as used by egress rules (only < 0), or for set number only alone (none
 * when egress rules do not use it). */
int ut_egress_sets_read(const char *policy_dir, const struct objmeta *meta, long only,
			struct ut_egress_sets *out, char *err, size_t errlen);
void ut_egress_sets_free(struct ut_egress_sets *s);

/* Read the info file and the parsed metadata copy of an attached
 * interface; -ENOENT (with a message) when untrack is not attached. */
int ut_state_load(const struct ut_where *w, struct ut_info *info, struct objmeta *meta, char *err,
		  size_t errlen);

/* Remove the run directory of w (and empty parents below UT_RUN_ROOT). */
int ut_run_dir_remove(const struct ut_where *w);

/* Take /run/untrack/lock: exclusive for changes, shared for readers.
 * Returns the lock's fd (close it to release) or -errno. */
int ut_lock(bool exclusive, char *err, size_t errlen);

/* Mount bpffs on /sys/fs/bpf when nothing is mounted there. *mounted says
 * whether this call did it. */
int ut_bpffs_ensure(bool *mounted, char *err, size_t errlen);

/* mkdir -p, mode 0700 for what it creates. */
int ut_mkdirs(const char *path);

/* rm -r of a directory tree (bpffs pins or files). Absent: 0. */
int ut_remove_tree(const char *path);

/* Remove the parents of dir, up to and including stop, while they are
 * empty (dir itself is already gone). */
void ut_remove_empty_parents(const char *dir, const char *stop);

/* path = dir/name, failing with -ENAMETOOLONG rather than truncating. */
int ut_path(char *buf, size_t size, const char *dir, const char *name);

#endif
