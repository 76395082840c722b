/* untrack detach IFACE: XDP (only if the program there is still
 * untrack's), the TC filter (only if it still runs untrack's program), the
 * clsact qdisc if attach created it and nothing else uses it, the
 * interface's part of the nftables table, the pins and the record. If a
 * hook cannot be cleared, the record stays, so that detach can simply be
 * run again. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "change.h"
#include "commands.h"
#include "netdev.h"
#include "nft_sync.h"

#define ERRLEN 1024

/* untrack's programs on the interface, to recognise them on its hooks. */
struct ours {
	int main_fd, tc_fd; /* -1: not found */
};

/* A pinned object's fd, or -errno. */
static int pinned_fd(const struct ut_where *w, const char *name)
{
	char path[PATH_MAX];
	int fd;

	if (ut_path(path, sizeof(path), w->pin_dir, name))
		return -ENAMETOOLONG;
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

/* From the pins; when they are gone (someone removed them), by their names
 * on the interface's hooks. */
static void find_ours(const struct change *c, const struct ut_info *info, struct ours *p)
{
	char err[ERRLEN];
	struct xdp_found f;
	__u32 tc_id = 0;

	p->main_fd = pinned_fd(&c->w, "untrack_main");
	p->tc_fd = pinned_fd(&c->w, "untrack_tc_ingress");
	if (!c->ifindex || c->ifindex != info->ifindex || (p->main_fd >= 0 && p->tc_fd >= 0))
		return;
	if (p->main_fd < 0 && xdp_query(c->ifindex, &f, err, sizeof(err)) == 0)
		p->main_fd = ut_prog_fd_named(f.drv_id ? f.drv_id : f.skb_id, "untrack_main");
	if (p->tc_fd < 0 && tc_query(c->ifindex, &tc_id) == 0)
		p->tc_fd = ut_prog_fd_named(tc_id, "untrack_tc_ingress");
	ut_note("%s: untrack's pins are damaged; removing what it finds of itself", c->w.ifname);
}

/* XDP and TC off the interface, where they are still untrack's. Reports
 * each failure; false if any. */
static bool clear_hooks(const struct change *c, const struct ut_info *info, const struct ours *p)
{
	__u32 ours = ut_prog_id(p->main_fd);
	char err[ERRLEN];
	struct xdp_found f;
	bool clean = true;

	if (xdp_query(c->ifindex, &f, err, sizeof(err))) {
		ut_error("detach %s: %s", c->w.ifname, err);
		clean = false;
	} else if (ours && (f.drv_id == ours || f.skb_id == ours)) {
		if (xdp_detach(c->ifindex, p->main_fd,
			       f.drv_id == ours ? UT_XDP_NATIVE : UT_XDP_GENERIC, err,
			       sizeof(err))) {
			ut_error("detach %s: %s", c->w.ifname, err);
			clean = false;
		}
	} else if (f.drv_id || f.skb_id) {
		ut_note("%s: the XDP program there is not untrack's; left in place", c->w.ifname);
	}
	if (tc_detach(c->ifindex, p->tc_fd, info->tc_hook_created, err, sizeof(err))) {
		ut_error("detach %s: %s", c->w.ifname, err);
		clean = false;
	}
	return clean;
}

/* The hooks, when the interface is still the one attached to. */
static bool detach_hooks(const struct change *c, const struct ut_info *info)
{
	struct ours p;
	bool clean = true;

	find_ours(c, info, &p);
	if (!c->ifindex)
		ut_note("interface %s is gone; removing untrack's state for it", c->w.ifname);
	else if (c->ifindex != info->ifindex)
		ut_note("interface %s was re-created since untrack attached to it; removing untrack's state for it",
			c->w.ifname);
	else
		clean = clear_hooks(c, info, &p);
	if (p.main_fd >= 0)
		close(p.main_fd);
	if (p.tc_fd >= 0)
		close(p.tc_fd);
	return clean;
}

static void remove_pins(const struct ut_where *w)
{
	ut_remove_tree(w->pin_dir);
	ut_remove_empty_parents(w->pin_dir, UT_PIN_ROOT);
}

/* Returns the exit status, having reported. */
static int detach(const struct change *c)
{
	const struct ut_where *w = &c->w;
	struct nft_change leave = {.what = NFT_REMOVE, .ifname = w->ifname};
	struct ut_info info;
	char err[ERRLEN];

	if (!ut_where_attached(w)) {
		/* An attach that died before recording itself. */
		if (access(w->pin_dir, F_OK) == 0)
			remove_pins(w);
		ut_note("untrack is not attached to %s: nothing to do", w->ifname);
		return UT_EXIT_OK;
	}
	if (ut_info_read(w, &info, err, sizeof(err))) {
		ut_error("%s", err);
		return UT_EXIT_FAIL;
	}
	if (!detach_hooks(c, &info)) {
		ut_error("detach %s: state kept so that 'untrack detach' can be run again",
			 w->ifname);
		return UT_EXIT_FAIL;
	}
	if (nft_sync(&leave, err, sizeof(err))) {
		ut_error("detach %s: %s; state kept so that 'untrack detach' can be run again",
			 w->ifname, err);
		return UT_EXIT_FAIL;
	}
	remove_pins(w);
	ut_run_dir_remove(w);
	return UT_EXIT_OK;
}

int cmd_detach(int argc, char **argv)
{
	struct change c;
	int status;

	status = ut_help_only_options(
		argc, argv, "detach",
		"Usage: untrack detach IFACE\n"
		"Remove untrack from an interface: XDP, the TC filter (and the clsact qdisc\n"
		"if untrack created it and nothing else uses it), the interface's part of\n"
		"the nftables table (the table with the last one), the pins. Detaching\n"
		"where nothing is attached succeeds with a note.\n");
	if (status >= 0)
		return status;
	if (argc - optind != 1) {
		ut_error("detach needs an interface");
		return UT_EXIT_USAGE;
	}
	status = change_begin("detach", argv[optind], NULL, false, &c);
	if (!status)
		status = detach(&c);
	change_end(&c);
	return status;
}
