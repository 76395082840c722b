/* attach on an interface without untrack: pin, state, nft, tc, xdp
 * (attach.c says what each puts in place), and the undo of those that ran
 * when a later one fails. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "attach_steps.h"
#include "errors.h"
#include "netdev.h"
#include "nft_sync.h"
#include "objload.h"

#define ERRLEN 1024

/* One attach, and what its undo needs to know. */
struct fresh {
	const struct attach_opts *o;
	const struct change *c;
	struct pipeline pl;
	struct ut_info info;
	struct xdp_prev prev;	/* a program --force replaced */
	struct nft_live before; /* the table before, for its undo */
	bool pinned, recorded, nft_done, tc_done, xdp_done;
};

static void init_info(struct fresh *f)
{
	const struct attach_opts *o = f->o;
	struct ut_info *info = &f->info;

	snprintf(info->ifname, sizeof(info->ifname), "%s", f->c->w.ifname);
	info->ifindex = f->c->ifindex;
	info->netns = f->c->w.netns;
	info->mark_value = o->mark.value;
	info->mark_mask = o->mark.mask;
	info->mode = o->mode == UT_XDP_GENERIC ? UT_XDP_GENERIC : UT_XDP_NATIVE;
	change_abs_path(o->policy, info->policy, sizeof(info->policy));
	info->attached = info->replaced = (long long)time(NULL);
	info->generation = 1;
}

static int step_pin(void *ctx, char *err, size_t errlen)
{
	struct fresh *f = ctx;
	const char *pin_dir = f->c->w.pin_dir;
	char policy_dir[PATH_MAX];
	int ret = pipeline_runtime_load(&f->pl, &f->o->mark, err, errlen);

	if (!ret)
		ret = pipeline_policy_load(&f->pl, f->o->policy, err, errlen);
	if (!ret)
		ret = pipeline_wire(&f->pl, err, errlen);
	if (ret)
		return ret;
	snprintf(f->info.source, sizeof(f->info.source), "%s",
		 f->pl.meta.source ? f->pl.meta.source : "");
	ret = ut_mkdirs(pin_dir);
	if (ret)
		return ut_fail(ret, err, errlen, "cannot create %s: %s", pin_dir, strerror(-ret));
	f->pinned = true;
	if (ut_path(policy_dir, sizeof(policy_dir), pin_dir, UT_POLICY_DIR))
		return ut_fail(-ENAMETOOLONG, err, errlen, "pin path too long: %s/%s", pin_dir,
			       UT_POLICY_DIR);
	ret = pipeline_pin_runtime(&f->pl, pin_dir, err, errlen);
	if (!ret)
		ret = pipeline_pin_policy(&f->pl, policy_dir, err, errlen);
	return ret;
}

static int step_state(void *ctx, char *err, size_t errlen)
{
	struct fresh *f = ctx;
	const struct ut_where *w = &f->c->w;
	int ret;

	f->recorded = true; /* a record written in part is removed too */
	ret = ut_meta_write(w, f->pl.meta_text, f->pl.meta_len, err, errlen);
	if (!ret)
		ret = ut_nft_write(w, f->c->egress, f->c->egress_len, err, errlen);
	if (!ret)
		ret = ut_info_write(w, &f->info, err, errlen);
	return ret;
}

static int step_nft(void *ctx, char *err, size_t errlen)
{
	struct fresh *f = ctx;
	int ret = nft_live_read(&f->before, err, errlen);

	if (!ret)
		ret = nft_sync(NULL, err, errlen);
	/* One transaction: when it fails, nothing changed. */
	f->nft_done = !ret;
	return ret;
}

static int step_tc(void *ctx, char *err, size_t errlen)
{
	struct fresh *f = ctx;
	int ret = tc_attach(f->c->ifindex, f->c->w.ifname, f->pl.tc_fd, &f->info.tc_hook_created,
			    err, errlen);

	if (ret)
		return ret;
	f->tc_done = true;
	return ut_info_write(&f->c->w, &f->info, err, errlen);
}

static int step_xdp(void *ctx, char *err, size_t errlen)
{
	struct fresh *f = ctx;
	int ret = xdp_attach(f->c->ifindex, f->c->w.ifname, f->pl.main_fd, f->o->mode, f->o->force,
			     &f->info.mode, &f->prev, err, errlen);

	if (ret)
		return ret;
	f->xdp_done = true;
	return ut_info_write(&f->c->w, &f->info, err, errlen);
}

static const struct attach_step steps[] = {
	{"pin", step_pin}, {"state", step_state}, {"nft", step_nft},
	{"tc", step_tc},   {"xdp", step_xdp},
};

/* Undo the steps that ran, in reverse. Failures here cannot be reported
 * better than the one that made us undo. */
static void undo(struct fresh *f)
{
	const struct ut_where *w = &f->c->w;
	struct nft_change leave = {.what = NFT_REMOVE, .ifname = w->ifname};
	char undo_err[ERRLEN];

	if (f->xdp_done) {
		xdp_detach(f->c->ifindex, f->pl.main_fd, f->info.mode, undo_err, sizeof(undo_err));
		xdp_restore(f->c->ifindex, &f->prev, undo_err, sizeof(undo_err));
	}
	if (f->tc_done)
		tc_detach(f->c->ifindex, f->pl.tc_fd, f->info.tc_hook_created, undo_err,
			  sizeof(undo_err));
	if (f->recorded)
		ut_run_dir_remove(w);
	if (f->nft_done && !f->before.present)
		nft_apply(NULL, 0, undo_err, sizeof(undo_err));
	else if (f->nft_done)
		nft_sync(&leave, undo_err, sizeof(undo_err));
	if (f->pinned) {
		ut_remove_tree(w->pin_dir);
		ut_remove_empty_parents(w->pin_dir, UT_PIN_ROOT);
	}
}

int attach_fresh(const struct attach_opts *o, const struct change *c, char *err, size_t errlen)
{
	struct fresh f = {.o = o, .c = c, .prev = {.fd = -1}};
	int ret;

	init_info(&f);
	/* Debris of an attach that died before recording anything. */
	ut_remove_tree(c->w.pin_dir);
	ret = attach_run_steps(steps, sizeof(steps) / sizeof(steps[0]), &f, err, errlen);
	if (ret)
		undo(&f);
	xdp_prev_release(&f.prev);
	nft_live_free(&f.before);
	pipeline_close(&f.pl);
	return ret;
}
