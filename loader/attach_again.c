/* attach where untrack is attached already, which is how boot scripts stay
 * simple: the new policy is loaded against the pinned runtime and swapped
 * in like replace does (swap.h), and whatever went missing is put back
 * first: the nftables table (someone flushed the ruleset), the TC filter,
 * XDP (someone removed it, or the interface was re-created). Changing the
 * mode or the mark needs a detach first. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "attach_steps.h"
#include "errors.h"
#include "netdev.h"
#include "nft_sync.h"
#include "swap.h"

#define ERRLEN 1024

/* One attach again, and what its undo needs to know. */
struct again {
	const struct attach_opts *o;
	const struct change *c;
	struct swap s;
	struct xdp_prev prev;	/* a program --force replaced */
	struct nft_live before; /* the table before, for its undo */
	bool prepared, nft_done, tc_done, tc_created, xdp_done;
};

/* What attaching again cannot change. */
static int check_same(const struct attach_opts *o, const struct change *c,
		      const struct ut_info *old, char *err, size_t errlen)
{
	if (o->mark_given && (o->mark.value != old->mark_value || o->mark.mask != old->mark_mask))
		return ut_fail(
			-EINVAL, err, errlen,
			"untrack is attached to %s with mark 0x%08x/0x%08x; detach it first to change the mark",
			c->w.ifname, old->mark_value, old->mark_mask);
	if (o->mode_given && o->mode != old->mode && old->ifindex == c->ifindex)
		return ut_fail(
			-EINVAL, err, errlen,
			"untrack is attached to %s in %s mode; detach it first to change the mode",
			c->w.ifname, ut_xdp_mode_name(old->mode));
	return 0;
}

/* pin: the new policy, in policy_new. The record is written by the swap,
 * at the end, so "state" has nothing of its own here. */
static int step_pin(void *ctx, char *err, size_t errlen)
{
	struct again *a = ctx;
	int ret = swap_prepare(&a->s, a->o->policy, err, errlen);

	a->prepared = !ret;
	return ret;
}

/* nft: the new policy's egress rules, in one transaction with the notrack
 * rule (which someone may have flushed). */
static int step_nft(void *ctx, char *err, size_t errlen)
{
	struct again *a = ctx;
	struct nft_change change = {.what = NFT_NEW_POLICY,
				    .ifname = a->c->w.ifname,
				    .egress = a->c->egress,
				    .meta = &a->s.pl.meta,
				    .policy_dir = a->s.new_dir};
	int ret = nft_live_read(&a->before, err, errlen);

	if (!ret)
		ret = nft_sync(&change, err, errlen);
	a->nft_done = !ret;
	return ret;
}

/* tc: put back the filter if it is not the pinned runtime's. */
static int step_tc(void *ctx, char *err, size_t errlen)
{
	struct again *a = ctx;
	struct ut_info *info = &a->s.new_info;
	__u32 tc_id = 0;
	int ret = tc_query(a->c->ifindex, &tc_id);

	if (ret)
		return ut_fail(ret, err, errlen, "cannot query TC on %s: %s", a->c->w.ifname,
			       strerror(-ret));
	if (tc_id == ut_prog_id(a->s.pl.tc_fd))
		return 0;
	ret = tc_attach(a->c->ifindex, a->c->w.ifname, a->s.pl.tc_fd, &a->tc_created, err, errlen);
	if (ret)
		return ret;
	a->tc_done = true;
	/* A qdisc created now is ours; on a re-created interface the one
	 * there is not; otherwise what was recorded holds. */
	if (a->tc_created)
		info->tc_hook_created = true;
	else if (a->s.old_info.ifindex != a->c->ifindex)
		info->tc_hook_created = false;
	return 0;
}

/* xdp: put back the runtime's program if it is not there. */
static int step_xdp(void *ctx, char *err, size_t errlen)
{
	struct again *a = ctx;
	__u32 ours = ut_prog_id(a->s.pl.main_fd);
	struct xdp_found f;
	bool missing;
	int ret = xdp_query(a->c->ifindex, &f, err, errlen);

	if (ret)
		return ret;
	missing = f.drv_id != ours && f.skb_id != ours;
	ret = xdp_attach(a->c->ifindex, a->c->w.ifname, a->s.pl.main_fd, a->o->mode, a->o->force,
			 &a->s.new_info.mode, &a->prev, err, errlen);
	a->xdp_done = !ret && missing;
	return ret;
}

/* The swap itself; it undoes itself when it fails, and names its own step
 * for UNTRACK_FAIL_AFTER. */
static int step_swap(void *ctx, char *err, size_t errlen)
{
	struct again *a = ctx;

	return swap_commit(&a->s, err, errlen);
}

static const struct attach_step steps[] = {
	{"pin", step_pin}, {"state", NULL},   {"nft", step_nft},
	{"tc", step_tc},   {"xdp", step_xdp}, {NULL, step_swap},
};

/* Undo the steps that ran, in reverse. Failures here cannot be reported
 * better than the one that made us undo. */
static void undo(struct again *a)
{
	char undo_err[ERRLEN];
	int ifindex = a->c->ifindex;

	if (a->xdp_done) {
		xdp_detach(ifindex, a->s.pl.main_fd, a->s.new_info.mode, undo_err,
			   sizeof(undo_err));
		xdp_restore(ifindex, &a->prev, undo_err, sizeof(undo_err));
	}
	if (a->tc_done)
		tc_detach(ifindex, a->s.pl.tc_fd, a->tc_created, undo_err, sizeof(undo_err));
	/* swap_commit, when it ran, has put the record back. */
	if (a->nft_done)
		nft_restore(a->c->w.ifname, &a->before, undo_err, sizeof(undo_err));
	if (a->prepared)
		ut_remove_tree(a->s.new_dir);
}

int attach_again(const struct attach_opts *o, const struct change *c, char *err, size_t errlen)
{
	struct again a = {.o = o, .c = c, .prev = {.fd = -1}};
	struct ut_info old;
	int ret = ut_info_read(&c->w, &old, err, errlen);

	if (!ret)
		ret = check_same(o, c, &old, err, errlen);
	if (ret)
		return ret;
	swap_init(&a.s, &c->w, &old, o->policy, c->egress, c->egress_len);
	a.s.new_info.ifindex = c->ifindex;
	ret = attach_run_steps(steps, sizeof(steps) / sizeof(steps[0]), &a, err, errlen);
	if (ret)
		undo(&a);
	xdp_prev_release(&a.prev);
	swap_release(&a.s);
	nft_live_free(&a.before);
	return ret;
}
