/* Rebuilding untrack's nftables table from what is recorded in this
 * network namespace (nft.h says what the table holds), as attach, replace
 * and detach change it.
 *
 * Every rebuild carries over the egress counters of the interfaces whose
 * policy stays, and refills their nftables sets from the BPF set maps
 * (which `untrack set` may have changed). Undoing a step that gave an
 * interface a new policy rebuilds the table with the old one and the
 * counters read before the change, or removes the table if there was
 * none. */
#ifndef UNTRACK_NFT_SYNC_H
#define UNTRACK_NFT_SYNC_H

#include <stddef.h>

#include "nft.h"

struct objmeta;

/* How a rebuild of the table differs from the recorded state. */
enum nft_what {
	NFT_AS_RECORDED, /* every recorded interface as it is */
	NFT_REMOVE,	 /* ifname is left out (detach, rollback of attach) */
	NFT_NEW_POLICY,	 /* ifname gets a new policy (not recorded yet) */
	NFT_RESTORE,	 /* ifname's counters come from before (rollback of a new policy) */
};

struct nft_change {
	enum nft_what what;
	const char *ifname;
	/* NFT_NEW_POLICY: its template, metadata and where its set maps are
	 * pinned. */
	const char *egress;
	const struct objmeta *meta;
	const char *policy_dir;
	/* NFT_RESTORE: the table as read before the change. */
	const struct nft_live *before;
};

/* Rebuild the table, in one transaction, from the recorded state of this
 * namespace as c changes it (NULL: as recorded). Counters of interfaces
 * whose policy stays are carried over from the live table. */
int nft_sync(const struct nft_change *c, char *err, size_t errlen);

/* Put the table back as it was before a change to ifname's policy: its
 * counters from before, or no table at all if there was none. */
int nft_restore(const char *ifname, const struct nft_live *before, char *err, size_t errlen);

#endif
