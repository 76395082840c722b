/* untrack replace IFACE POLICY.o: the atomic swap (swap.h). Egress first,
 * in one nftables transaction, then the XDP policy, with one map update:
 * each is atomic for its direction, and a failure of the second puts the
 * first back. For tests, UNTRACK_FAIL_AFTER=nft or swap makes it fail right
 * after that step. */
#include <stdio.h>
#include <unistd.h>

#include "change.h"
#include "commands.h"
#include "nft_sync.h"
#include "swap.h"

#define ERRLEN 1024

static int swap_both(struct swap *s, const char *policy, const struct change *c, char *err,
		     size_t errlen)
{
	struct nft_change change = {.what = NFT_NEW_POLICY,
				    .ifname = c->w.ifname,
				    .egress = c->egress,
				    .meta = &s->pl.meta,
				    .policy_dir = s->new_dir};
	struct nft_live before = {0};
	char undo_err[ERRLEN];
	int ret = swap_prepare(s, policy, err, errlen);

	if (ret)
		return ret;
	ret = nft_live_read(&before, err, errlen);
	if (!ret)
		ret = nft_sync(&change, err, errlen);
	if (ret)
		goto out;
	ret = ut_injected("nft", err, errlen);
	if (!ret)
		ret = swap_commit(s, err, errlen);
	if (ret)
		nft_restore(c->w.ifname, &before, undo_err, sizeof(undo_err));
out:
	if (ret)
		ut_remove_tree(s->new_dir);
	nft_live_free(&before);
	return ret;
}

/* Returns the exit status, having reported. */
static int replace(const struct change *c, const char *policy)
{
	struct ut_info old;
	struct swap s;
	char err[ERRLEN];
	int ret;

	if (!ut_where_attached(&c->w)) {
		ut_error("untrack is not attached to %s: use 'untrack attach'", c->w.ifname);
		return UT_EXIT_FAIL;
	}
	if (ut_info_read(&c->w, &old, err, sizeof(err))) {
		ut_error("%s", err);
		return UT_EXIT_FAIL;
	}
	swap_init(&s, &c->w, &old, policy, c->egress, c->egress_len);
	ret = swap_both(&s, policy, c, err, sizeof(err));
	if (ret)
		ut_error("replace %s: %s", c->w.ifname, err);
	swap_release(&s);
	return ret ? UT_EXIT_FAIL : UT_EXIT_OK;
}

int cmd_replace(int argc, char **argv)
{
	struct change c;
	int status;

	status = ut_help_only_options(
		argc, argv, "replace",
		"Usage: untrack replace IFACE POLICY.o\n"
		"Swap the policy on an interface atomically: every packet runs the old or\n"
		"the new policy. Sets start from the new object's contents; rule counters\n"
		"start from zero (they belong to the policy object).\n");
	if (status >= 0)
		return status;
	if (argc - optind != 2) {
		ut_error("replace needs an interface and a policy object");
		return UT_EXIT_USAGE;
	}
	status = change_begin("replace", argv[optind], argv[optind + 1], false, &c);
	if (!status)
		status = replace(&c, argv[optind + 1]);
	change_end(&c);
	return status;
}
