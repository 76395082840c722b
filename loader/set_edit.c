/* A change of a named set, in both directions. seed_tables.c rebuilds the
 * set's tables into the generation no packet reads and switches over with
 * one store, so the maps change all or nothing, for every packet from the
 * next one on.
 *
 * A set that egress rules use is also an nftables set pair (PREFIXsIv4,
 * PREFIXsIv6, docs/egress.md): after the maps change, one nftables
 * transaction replaces its contents with the maps' new members, so one edit
 * changes both directions. If nftables refuses, the maps are put back and
 * the edit fails. If the table (or the interface's part of it) is missing,
 * the maps keep the change, with a note: egress rules are not in force
 * then, and whatever rebuilds the table fills the sets from the maps.
 *
 * For tests, UNTRACK_FAIL_AFTER=set makes an edit fail after both changes,
 * so that the undo runs for real. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "nft.h"
#include "sets.h"

#define ERRLEN 1024

/* The prefix of the interface's objects in the live table; -ENOENT when the
 * table or the interface's jump is not there. */
static int live_prefix(const char *ifname, char *prefix, size_t size, char *err, size_t errlen)
{
	struct nft_live live;
	const struct nft_live_iface *li;
	int ret = nft_live_read(&live, err, errlen);

	if (ret)
		return ret;
	li = nft_live_find(&live, ifname);
	if (li)
		snprintf(prefix, size, "%s", li->prefix);
	else
		ret = ut_fail(-ENOENT, err, errlen, "the table has no egress chain for %s", ifname);
	nft_live_free(&live);
	return ret;
}

/* Refill the nftables sets of the set from its maps. */
static int sync_nft(const struct set_target *t, const char *prefix, char *err, size_t errlen)
{
	struct ut_egress_sets sets;
	int ret = ut_egress_sets_read(t->policy_dir, &t->meta, (long)t->index, &sets, err, errlen);

	if (ret)
		return ret;
	ret = nft_sets_apply(prefix, sets.sets, sets.n, err, errlen);
	ut_egress_sets_free(&sets);
	return ret;
}

/* Does the policy have egress rules that use the set? */
static int uses_egress(const struct set_target *t, bool *egress, char *err, size_t errlen)
{
	char *tmpl = NULL;
	int ret;

	*egress = false;
	if (!t->set->egress)
		return 0;
	ret = ut_nft_read(&t->w, &tmpl, err, errlen);
	if (!ret)
		*egress = tmpl[0] != '\0';
	free(tmpl);
	return ret;
}

/* The maps' side, with the user's message for each way it can fail. */
static int change_maps(const struct set_target *t, bool add, const struct prefix *p, size_t n,
		       char *err, size_t errlen)
{
	char why[ERRLEN], buf[PREFIX_STRLEN];
	size_t bad = 0;
	int ret = ut_set_change(&t->fds, add, p, n, &bad, why, sizeof(why));

	if (!ret)
		return 0;
	prefix_format(&p[bad < n ? bad : 0], buf);
	if (ret == -EEXIST)
		return ut_fail(ret, err, errlen, "%s is already in set '%s'; set left unchanged",
			       buf, t->set->name);
	if (ret == -ENOENT)
		return ut_fail(ret, err, errlen, "%s is not in set '%s'; set left unchanged", buf,
			       t->set->name);
	if (ret == -ENOSPC)
		return ut_fail(ret, err, errlen,
			       "set '%s' would not fit its maps (%s); set left unchanged",
			       t->set->name, why);
	return ut_fail(ret, err, errlen, "cannot change set '%s': %s", t->set->name, why);
}

/* The nftables side, after the maps changed; on failure both go back to
 * old[0..nold). */
static int change_nft(const struct set_target *t, const struct prefix *old, size_t nold, char *err,
		      size_t errlen)
{
	char prefix[UT_NFT_PREFIX_MAX] = "", why[ERRLEN], undo_err[ERRLEN];
	int ret = live_prefix(t->w.ifname, prefix, sizeof(prefix), why, sizeof(why));

	if (ret == -ENOENT) {
		ut_note("the nftables part of %s is missing (see 'untrack status'): the set changed for ingress; egress rules are not in force until 'untrack attach' puts the table back",
			t->w.ifname);
		return 0;
	}
	if (!ret)
		ret = sync_nft(t, prefix, why, sizeof(why));
	if (!ret)
		ret = ut_injected("set", why, sizeof(why));
	if (!ret)
		return 0;
	/* Both directions as they were. */
	ut_set_replace(&t->fds, old, nold, undo_err, sizeof(undo_err));
	if (prefix[0])
		sync_nft(t, prefix, undo_err, sizeof(undo_err));
	return ut_fail(ret, err, errlen,
		       "cannot change set '%s' in nftables: %s; set left unchanged", t->set->name,
		       why);
}

int set_edit(const struct set_target *t, bool add, const struct prefix *p, size_t n, char *err,
	     size_t errlen)
{
	struct prefix *old = NULL;
	size_t nold = 0;
	bool egress;
	int ret = uses_egress(t, &egress, err, errlen);

	if (ret)
		return ret;
	/* What to put back if nftables refuses. */
	if (egress) {
		ret = ut_set_members(&t->fds, &old, &nold);
		if (ret)
			return ut_fail(ret, err, errlen, "cannot read set '%s': %s", t->set->name,
				       strerror(-ret));
	}
	ret = change_maps(t, add, p, n, err, errlen);
	if (!ret && egress)
		ret = change_nft(t, old, nold, err, errlen);
	free(old);
	return ret;
}
