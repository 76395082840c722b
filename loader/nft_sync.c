#include "nft_sync.h"

#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "objfmt/objmeta.h"
#include "state.h"

/* What one interface's entry in a rebuild owns. */
struct sync_iface {
	struct ut_info info;
	char *egress;
	struct objmeta meta;
	struct ut_egress_sets sets;
};

/* The egress part of one interface's entry: template, live sets, counters
 * carried over. */
static int sync_egress(const struct ut_where *w, const struct nft_change *c,
		       const struct nft_live *live, struct sync_iface *own, struct nft_iface *out,
		       char *err, size_t errlen)
{
	bool changed = c && c->ifname && strcmp(c->ifname, w->ifname) == 0;
	const struct nft_live_iface *li = nft_live_find(live, w->ifname);
	const struct objmeta *meta = &own->meta;
	char policy_dir[PATH_MAX], why[256], *text = NULL;
	size_t len = 0;
	int ret;

	if (changed && c->what == NFT_NEW_POLICY) {
		out->egress = c->egress;
		meta = c->meta;
		snprintf(policy_dir, sizeof(policy_dir), "%s", c->policy_dir);
		li = NULL; /* a new policy's counters start from zero */
	} else {
		ret = ut_nft_read(w, &own->egress, err, errlen);
		if (ret)
			return ret;
		out->egress = own->egress;
		if (!own->egress[0])
			return 0;
		if (changed && c->what == NFT_RESTORE)
			li = nft_live_find(c->before, w->ifname);
		if (ut_path(policy_dir, sizeof(policy_dir), w->pin_dir, UT_POLICY_DIR))
			return ut_fail(-ENAMETOOLONG, err, errlen, "pin path too long: %s/%s",
				       w->pin_dir, UT_POLICY_DIR);
		ret = ut_meta_read(w, &text, &len, why, sizeof(why));
		if (!ret)
			ret = objmeta_parse(text, len, &own->meta, why, sizeof(why));
		free(text);
		if (ret) {
			/* Its rules still go in, with the policy file's set
			 * members: better than holding up every interface. */
			ut_note("%s: cannot read its policy's metadata (%s): its egress sets start from the policy file's members",
				w->ifname, why);
			return 0;
		}
	}
	if (!out->egress || !out->egress[0])
		return 0;
	if (li) {
		out->counters = li->counters;
		out->ncounters = li->ncounters;
	}
	ret = ut_egress_sets_read(policy_dir, meta, -1, &own->sets, why, sizeof(why));
	if (ret && changed && c->what == NFT_NEW_POLICY)
		return ut_fail(ret, err, errlen, "%s", why);
	if (ret)
		ut_note("%s: %s: its egress sets start from the policy file's members", w->ifname,
			why);
	out->sets = own->sets.sets;
	out->nsets = own->sets.n;
	return 0;
}

int nft_sync(const struct nft_change *c, char *err, size_t errlen)
{
	char(*names)[IF_NAMESIZE] = NULL;
	struct nft_iface *ifaces = NULL;
	struct sync_iface *own = NULL;
	struct nft_live live = {0};
	char live_err[256];
	size_t n = 0, k = 0;
	int ret;

	ret = ut_state_list(&names, &n, err, errlen);
	if (ret)
		return ret;
	ifaces = calloc(n ? n : 1, sizeof(*ifaces));
	own = calloc(n ? n : 1, sizeof(*own));
	if (!ifaces || !own) {
		ret = ut_fail(-ENOMEM, err, errlen,
			      "out of memory rebuilding the nftables table for %zu interfaces", n);
		goto cleanup;
	}
	/* Only for the counters: without it they start from zero. */
	if (nft_live_read(&live, live_err, sizeof(live_err)))
		memset(&live, 0, sizeof(live));
	for (size_t i = 0; i < n; i++) {
		struct ut_where w;
		if (c && c->what == NFT_REMOVE && strcmp(names[i], c->ifname) == 0)
			continue;
		ret = ut_where_init(&w, names[i], err, errlen);
		if (!ret)
			ret = ut_info_read(&w, &own[k].info, err, errlen);
		if (ret)
			goto cleanup;
		ifaces[k] = (struct nft_iface){.ifname = own[k].info.ifname,
					       .mark_value = own[k].info.mark_value,
					       .mark_mask = own[k].info.mark_mask};
		/* Counted before the call: its allocations are freed below
		 * whatever happens. */
		k++;
		ret = sync_egress(&w, c, &live, &own[k - 1], &ifaces[k - 1], err, errlen);
		if (ret)
			goto cleanup;
	}
	ret = nft_apply(ifaces, k, err, errlen);
cleanup:
	for (size_t i = 0; own && i < k; i++) {
		free(own[i].egress);
		objmeta_free(&own[i].meta);
		ut_egress_sets_free(&own[i].sets);
	}
	nft_live_free(&live);
	free(own);
	free(ifaces);
	free(names);
	return ret;
}

int nft_restore(const char *ifname, const struct nft_live *before, char *err, size_t errlen)
{
	struct nft_change c = {.what = NFT_RESTORE, .ifname = ifname, .before = before};

	if (!before->present)
		return nft_apply(NULL, 0, err, errlen);
	return nft_sync(&c, err, errlen);
}
