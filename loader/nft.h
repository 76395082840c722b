/* untrack's nftables table, `inet untrack`, one per network namespace.
 *
 * The table is always rebuilt whole from the list of interfaces untrack is
 * attached to in the namespace, in one libnftables transaction ("add table;
 * delete table; table { ... }", then the egress sets' live contents), so it
 * can never be half updated and never drifts from what is attached; with no
 * interface the same transaction deletes it. Its content:
 *
 *   chain prerouting   hook prerouting, priority raw: for each distinct
 *                      (value, mask) of the attached interfaces,
 *                      `meta mark & MASK == VALUE notrack`. Not scoped by
 *                      interface: the mark is set on the attached interface,
 *                      but the packet may reach prerouting through a VLAN or
 *                      bond device above it.
 *   chain output       hook output, priority raw, only when an interface has
 *                      egress rules: `oifname NAME jump PREFIXegress` per
 *                      such interface, in name order.
 *   PREFIX...          each such interface's egress template (the policy
 *                      object's NFT_SECTION, objfmt/nft_template.h) with
 *                      its placeholder replaced by the interface's PREFIX,
 *                      "i<N>_" for the N-th attached interface by name
 *                      (nft_prefix()).
 *
 * A rebuild starts the template's named counters from the values given in
 * nft_iface.counters (the loader carries them over for interfaces whose
 * policy does not change) and, after the table, in the same transaction,
 * replaces the contents of the egress sets with nft_iface.sets (the live
 * contents of the BPF set maps): `flush set` + `add element`.
 *
 * Prefixes depend on the other attached interfaces, so commands that look
 * into the table (stats, set) find an interface's prefix in the live output
 * chain (nft_live_read()), never by recomputing it. */
#ifndef UNTRACK_NFT_H
#define UNTRACK_NFT_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>

#include <linux/types.h>

#include "objfmt/nft_template.h" /* NFT_FAMILY, NFT_TABLE, NFT_PLACEHOLDER */

/* Room for a prefix ("i<N>_"). */
#define UT_NFT_PREFIX_MAX 24

/* The contents of one named set of an interface's egress rules: objects
 * PREFIXs<index>v4 and PREFIXs<index>v6. */
struct nft_set_elems {
	unsigned index;
	/* The inside of a set expression ("10.0.0.0/8, 192.0.2.1", as
	 * nft_elements_write() writes it); NULL or "" for none. */
	const char *v4, *v6;
};

/* A named counter's value: PREFIXr<id>. */
struct nft_counter {
	__u32 id;
	__u64 packets, bytes;
};

/* One attached interface, as the ruleset sees it. The array passed to the
 * functions below is sorted by ifname (the order of ut_state_list()). */
struct nft_iface {
	const char *ifname;
	__u32 mark_value, mark_mask; /* the bypass mark its TC program sets */
	/* Its policy's egress template (declarations in the table, every name
	 * starting with NFT_PLACEHOLDER); NULL or "" when the policy has no
	 * egress rule. */
	const char *egress;
	/* With a template: the sets its rules use, refilled after the table
	 * (the template's own elements are the policy file's). */
	const struct nft_set_elems *sets;
	size_t nsets;
	/* With a template: values its counters start from (a line
	 * `counter %UT%rID { }` of the template), sorted by id; the others
	 * start from 0. */
	const struct nft_counter *counters;
	size_t ncounters;
};

/* The prefix of the index-th interface's objects: "i<index>_". */
void nft_prefix(size_t index, char *buf, size_t size);

/* The transaction text for ifaces[0..n) (malloc'ed), as `nft -f` reads it. */
int nft_ruleset(const struct nft_iface *ifaces, size_t n, char **text, char *err, size_t errlen);

/* Commit that transaction through libnftables in the calling process's
 * network namespace: the table is replaced atomically, or deleted when n is
 * 0. On failure nothing changed and err holds nftables' message. */
int nft_apply(const struct nft_iface *ifaces, size_t n, char *err, size_t errlen);

/* The transaction that replaces the contents of sets[0..n) of the
 * interface whose objects start with prefix (malloc'ed text): per family
 * `flush set` and, when there are elements, `add element`. */
int nft_sets_text(const char *prefix, const struct nft_set_elems *sets, size_t n, char **text,
		  char *err, size_t errlen);

/* Commit it: all the sets change, or none. */
int nft_sets_apply(const char *prefix, const struct nft_set_elems *sets, size_t n, char *err,
		   size_t errlen);

/* What the live table holds for one interface with egress rules: the
 * prefix its output rule jumps to, and the values of its rule counters. */
struct nft_live_iface {
	char ifname[IF_NAMESIZE];
	char prefix[UT_NFT_PREFIX_MAX];
	struct nft_counter *counters; /* sorted by id */
	size_t ncounters;
};

struct nft_live {
	bool present; /* the table exists */
	struct nft_live_iface *ifaces;
	size_t n;
};

/* Read the live table (nft_live.c): its output chain's jumps and the named
 * counters. A missing table is not an error (present = false). */
int nft_live_read(struct nft_live *live, char *err, size_t errlen);

/* Parse `list chain ... output` and `list counters ...` output, in
 * nftables' JSON (nft -j), for nft_live_read() and its tests. */
int nft_live_parse(const char *chain, const char *counters, struct nft_live *live, char *err,
		   size_t errlen);

/* Run an nftables command buffer in this network namespace; on failure err
 * starts with what and has nftables' message (-EPERM, -ENOENT, or -EIO for
 * any other). With out, the output, in nftables' JSON, is copied there
 * (malloc'ed). */
int nft_run(const char *text, const char *what, char **out, char *err, size_t errlen);

/* The interface named ifname in live, or NULL. */
const struct nft_live_iface *nft_live_find(const struct nft_live *live, const char *ifname);

/* The counter of rule id in c[0..n) (sorted by id), or NULL. */
/* The order of counters by rule id, for qsort. */
int nft_counter_cmp(const void *a, const void *b);
const struct nft_counter *nft_counter_find(const struct nft_counter *c, size_t n, __u32 id);

void nft_live_free(struct nft_live *live);

#endif
