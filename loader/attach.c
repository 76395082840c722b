/* untrack attach, replace and detach: put a policy on an interface, swap it,
 * take everything away again.
 *
 * attach, on an interface without untrack, in this order (XDP last, so the
 * pipeline is complete before the first packet enters it):
 *   pin     load runtime + policy, wire the jump table, pin them
 *   state   record the attachment in /run/untrack (info, the metadata and
 *           the egress template)
 *   nft     rebuild the `inet untrack` table (nft.h): the notrack rule and
 *           the policy's egress rules, in one transaction
 *   tc      TC ingress filter (and the clsact qdisc if there was none)
 *   xdp     XDP on the interface
 * A failure at any step undoes the steps before it in reverse order, so the
 * interface is left as it was found. On an interface where untrack is
 * attached already, attach loads the new policy against the pinned runtime,
 * installs its egress rules (repairing the table if it was flushed),
 * repairs whatever else is missing (tc, xdp) and swaps the policy like
 * replace does. replace: load and pin the new policy, swap the egress rules
 * (one nftables transaction), then the XDP policy (one map update); a
 * failure of the second puts the first back.
 *
 * Every rebuild of the table carries over the egress counters of the
 * interfaces whose policy stays, and refills their nftables sets from the
 * BPF set maps (which `untrack set` may have changed). Undoing a step that
 * gave an interface a new policy rebuilds the table with the old one and
 * the counters read before the change, or removes the table if there was
 * none.
 *
 * For tests, UNTRACK_FAIL_AFTER=STEP (one of pin, state, nft, tc, xdp,
 * swap) makes the command fail right after that step, so that every undo
 * path runs for real; replace knows nft and swap. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "commands.h"
#include "errors.h"
#include "netdev.h"
#include "nft.h"
#include "objload.h"
#include "state.h"
#include "untrack_abi.h"

#define ERRLEN 1024

struct attach_opts {
	const char *ifname, *policy;
	enum ut_xdp_mode mode;
	bool mode_given, force, mark_given;
	struct ut_mark_config mark;
	char *egress; /* the policy's egress template */
	size_t egress_len;
};

/* ---------------------------------------------------------------- nftables */

/* The egress template of a policy object: its NFT_SECTION, the
 * template's bytes and a NUL (objfmt/nft_template.h). An object without the
 * section is refused when it has egress rules (an older untrackc would
 * leave them unenforced) and has an empty template otherwise. */
static int read_template(const char *path, const struct objmeta *meta, char **text, size_t *len,
			 char *err, size_t errlen)
{
	size_t size;
	int ret = pipeline_read_section(path, UT_NFT_SECTION, text, &size, err, errlen);

	*len = 0;
	if (ret == -ENOENT) {
		for (size_t i = 0; i < meta->nrules; i++) {
			if (meta->rules[i].dir == DIR_EGRESS) {
				return ut_fail(
					-EINVAL, err, errlen,
					"'%s' has egress rules but no %s section (built by an older untrackc?): recompile it",
					path, UT_NFT_SECTION);
			}
		}
		*text = strdup("");
		if (!*text)
			return ut_fail(-ENOMEM, err, errlen, "out of memory reading '%s'", path);
		return 0;
	}
	if (ret)
		return ret;
	*len = strlen(*text);
	if (*len + 1 < size) {
		free(*text);
		*text = NULL;
		*len = 0;
		return ut_fail(-EINVAL, err, errlen,
			       "'%s': section %s is damaged (a NUL byte inside)", path,
			       UT_NFT_SECTION);
	}
	return 0;
}

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

/* Rebuild the nftables table, in one transaction, from the recorded state
 * of this namespace as c changes it (NULL: as recorded). Counters of
 * interfaces whose policy stays are carried over from the live table. */
static int nft_sync(const struct nft_change *c, char *err, size_t errlen)
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

/* Put the table back as it was before a change to ifname's policy: its
 * counters from before, or no table at all if there was none. */
static int nft_restore(const char *ifname, const struct nft_live *before, char *err, size_t errlen)
{
	struct nft_change c = {.what = NFT_RESTORE, .ifname = ifname, .before = before};

	if (!before->present)
		return nft_apply(NULL, 0, err, errlen);
	return nft_sync(&c, err, errlen);
}

static void print_usage_attach(FILE *out)
{
	fputs("Usage: untrack attach IFACE POLICY.o [--mode auto|native|generic] [--force]\n"
	      "                      [--mark VALUE[/MASK]]\n"
	      "Attach an untrack policy to an interface: XDP, TC ingress, the nftables notrack\n"
	      "rule, pins under /sys/fs/bpf/untrack. Where untrack is attached already, the\n"
	      "policy is replaced atomically (and anything missing is put back).\n"
	      "\n"
	      "      --mode MODE   XDP mode: auto (native, else generic; the default),\n"
	      "                    native or generic\n"
	      "      --force       replace another XDP program on the interface\n"
	      "      --mark V[/M]  the skb mark bit(s) for accepted packets (default\n"
	      "                    0x40000000/0x40000000)\n"
	      "  -h, --help        show this help\n",
	      out);
}

static int parse_mark(const char *text, struct ut_mark_config *mark)
{
	char *end, *slash;
	unsigned long v, m;

	errno = 0;
	v = strtoul(text, &end, 0);
	if (errno || end == text || v > 0xffffffffUL || (*end && *end != '/'))
		return -EINVAL;
	m = v;
	if (*end == '/') {
		slash = end + 1;
		m = strtoul(slash, &end, 0);
		if (errno || end == slash || *end || m > 0xffffffffUL)
			return -EINVAL;
	}
	/* The value must lie inside the mask and set something. */
	if (m == 0 || (v & ~m) || v == 0)
		return -EINVAL;
	mark->value = (__u32)v;
	mark->mask = (__u32)m;
	return 0;
}

static int parse_attach(int argc, char **argv, struct attach_opts *o)
{
	static const struct option longopts[] = {
		{"mode", required_argument, NULL, 'm'},
		{"force", no_argument, NULL, 'f'},
		{"mark", required_argument, NULL, 'k'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->mark = (struct ut_mark_config){UT_MARK_VALUE, UT_MARK_MASK};
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hf", longopts, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (ut_xdp_mode_parse(optarg, &o->mode)) {
				ut_error("--mode is auto, native or generic, not '%s'", optarg);
				return -1;
			}
			o->mode_given = o->mode != UT_XDP_AUTO;
			break;
		case 'f':
			o->force = true;
			break;
		case 'k':
			if (parse_mark(optarg, &o->mark)) {
				ut_error(
					"--mark needs VALUE[/MASK] with VALUE non-zero and inside MASK, not '%s'",
					optarg);
				return -1;
			}
			o->mark_given = true;
			break;
		case 'h':
			print_usage_attach(stdout);
			exit(UT_EXIT_OK);
		case ':':
			ut_error("option '%s' needs an argument", argv[optind - 1]);
			return -1;
		default:
			ut_error("unknown option '%s' for attach", argv[optind - 1]);
			return -1;
		}
	}
	if (argc - optind != 2) {
		ut_error("attach needs an interface and a policy object");
		fputs("Try 'untrack attach --help' for more information.\n", stderr);
		return -1;
	}
	o->ifname = argv[optind];
	o->policy = argv[optind + 1];
	return 0;
}

/* The absolute path of a policy object, for the record. */
static void abs_path(const char *path, char *buf, size_t size)
{
	char *real = realpath(path, NULL);

	snprintf(buf, size, "%s", real ? real : path);
	free(real);
}

/* ---------------------------------------------------------------- swap */

/* What replacing the policy of an attached interface needs and undoes. */
struct swap {
	const struct ut_where *w;
	struct ut_info old_info, new_info;
	char *old_meta, *old_nft;
	size_t old_meta_len;
	const char *new_nft; /* the new policy's egress template */
	size_t new_nft_len;
	int old_policy_fd; /* the policy in slot 0 before, to swap back */
	char new_dir[PATH_MAX], cur_dir[PATH_MAX], old_dir[PATH_MAX];
};

/* Load pl's policy against the pinned runtime and pin it beside the current
 * one, in policy_new. Nothing runs it yet. */
static int swap_prepare(struct swap *s, struct pipeline *pl, const char *policy, char *err,
			size_t errlen)
{
	int ret;

	s->old_policy_fd = -1;
	if (ut_path(s->new_dir, sizeof(s->new_dir), s->w->pin_dir, UT_POLICY_NEW_DIR) ||
	    ut_path(s->cur_dir, sizeof(s->cur_dir), s->w->pin_dir, UT_POLICY_DIR) ||
	    ut_path(s->old_dir, sizeof(s->old_dir), s->w->pin_dir, UT_POLICY_OLD_DIR))
		return ut_fail(-ENAMETOOLONG, err, errlen, "pin path too long: %s/%s",
			       s->w->pin_dir, UT_POLICY_NEW_DIR);
	ret = pipeline_runtime_open_pinned(pl, s->w->pin_dir, err, errlen);
	if (!ret)
		ret = pipeline_policy_load(pl, policy, err, errlen);
	if (ret)
		return ret;
	/* Leftovers of a replace that died half-way. */
	ut_remove_tree(s->new_dir);
	ut_remove_tree(s->old_dir);
	ret = pipeline_pin_policy(pl, s->new_dir, err, errlen);
	if (ret)
		return ret;
	{
		char path[PATH_MAX + 32];
		snprintf(path, sizeof(path), "%s/untrack_policy", s->cur_dir);
		s->old_policy_fd = bpf_obj_get(path);
	}
	ret = ut_meta_read(s->w, &s->old_meta, &s->old_meta_len, err, errlen);
	if (!ret)
		ret = ut_nft_read(s->w, &s->old_nft, err, errlen);
	if (ret)
		ut_remove_tree(s->new_dir);
	return ret;
}

static void swap_release(struct swap *s)
{
	if (s->old_policy_fd >= 0)
		close(s->old_policy_fd);
	s->old_policy_fd = -1;
	free(s->old_meta);
	s->old_meta = NULL;
	free(s->old_nft);
	s->old_nft = NULL;
}

/* Record the new policy, swap slot 0, move the pins into place. On failure
 * everything is as before swap_commit, and policy_new is gone. */
static int swap_commit(struct swap *s, struct pipeline *pl, char *err, size_t errlen)
{
	char undo_err[ERRLEN];
	int ret;
	bool swapped = false, moved_cur = false;

	ret = ut_meta_write(s->w, pl->meta_text, pl->meta_len, err, errlen);
	if (!ret)
		ret = ut_nft_write(s->w, s->new_nft, s->new_nft_len, err, errlen);
	if (!ret)
		ret = ut_info_write(s->w, &s->new_info, err, errlen);
	if (ret)
		goto undo;
	ret = pipeline_activate(pl, err, errlen);
	if (ret)
		goto undo;
	swapped = true;
	ret = ut_injected("swap", err, errlen);
	if (ret)
		goto undo;
	if (rename(s->cur_dir, s->old_dir) && errno != ENOENT) {
		ret = ut_fail(-errno, err, errlen, "cannot move %s aside: %s", s->cur_dir,
			      strerror(errno));
		goto undo;
	}
	moved_cur = true;
	if (rename(s->new_dir, s->cur_dir)) {
		ret = ut_fail(-errno, err, errlen, "cannot move %s into place: %s", s->new_dir,
			      strerror(errno));
		goto undo;
	}
	ut_remove_tree(s->old_dir);
	return 0;
undo:
	if (moved_cur)
		rename(s->old_dir, s->cur_dir);
	if (swapped && s->old_policy_fd >= 0) {
		__u32 slot = UT_SLOT_POLICY;
		bpf_map_update_elem(pl->jmp_fd, &slot, &s->old_policy_fd, BPF_ANY);
	}
	ut_meta_write(s->w, s->old_meta, s->old_meta_len, undo_err, sizeof(undo_err));
	ut_nft_write(s->w, s->old_nft, strlen(s->old_nft), undo_err, sizeof(undo_err));
	ut_info_write(s->w, &s->old_info, undo_err, sizeof(undo_err));
	ut_remove_tree(s->new_dir);
	return ret;
}

/* ---------------------------------------------------------------- attach */

/* attach on an interface without untrack. */
static int attach_fresh(const struct attach_opts *o, const struct ut_where *w, int ifindex,
			char *err, size_t errlen)
{
	struct pipeline pl = {0};
	struct ut_info info = {0};
	struct xdp_prev prev = {.fd = -1};
	struct nft_live before = {0};
	struct nft_change leave = {.what = NFT_REMOVE, .ifname = w->ifname};
	char policy_dir[PATH_MAX], undo_err[ERRLEN];
	bool pinned = false, recorded = false, nft_done = false, tc_done = false;
	bool xdp_done = false;
	int ret;

	snprintf(info.ifname, sizeof(info.ifname), "%s", w->ifname);
	info.ifindex = ifindex;
	info.netns = w->netns;
	info.mark_value = o->mark.value;
	info.mark_mask = o->mark.mask;
	info.mode = o->mode == UT_XDP_GENERIC ? UT_XDP_GENERIC : UT_XDP_NATIVE;
	abs_path(o->policy, info.policy, sizeof(info.policy));
	info.attached = info.replaced = (long long)time(NULL);
	info.generation = 1;

	/* Debris of an attach that died before recording anything. */
	ut_remove_tree(w->pin_dir);

	ret = pipeline_runtime_load(&pl, &o->mark, err, errlen);
	if (!ret)
		ret = pipeline_policy_load(&pl, o->policy, err, errlen);
	if (!ret)
		ret = pipeline_wire(&pl, err, errlen);
	if (ret)
		goto undo;
	snprintf(info.source, sizeof(info.source), "%s", pl.meta.source ? pl.meta.source : "");
	ret = ut_mkdirs(w->pin_dir);
	if (ret) {
		ut_fail(ret, err, errlen, "cannot create %s: %s", w->pin_dir, strerror(-ret));
		goto undo;
	}
	pinned = true;
	ret = ut_path(policy_dir, sizeof(policy_dir), w->pin_dir, UT_POLICY_DIR);
	if (ret)
		ut_fail(ret, err, errlen, "pin path too long: %s/%s", w->pin_dir, UT_POLICY_DIR);
	if (!ret)
		ret = pipeline_pin_runtime(&pl, w->pin_dir, err, errlen);
	if (!ret)
		ret = pipeline_pin_policy(&pl, policy_dir, err, errlen);
	if (!ret)
		ret = ut_injected("pin", err, errlen);
	if (ret)
		goto undo;

	recorded = true;
	ret = ut_meta_write(w, pl.meta_text, pl.meta_len, err, errlen);
	if (!ret)
		ret = ut_nft_write(w, o->egress, o->egress_len, err, errlen);
	if (!ret)
		ret = ut_info_write(w, &info, err, errlen);
	if (!ret)
		ret = ut_injected("state", err, errlen);
	if (ret)
		goto undo;

	/* The egress rules and the notrack rule, in one transaction. */
	ret = nft_live_read(&before, err, errlen);
	if (ret)
		goto undo;
	ret = nft_sync(NULL, err, errlen);
	if (ret)
		goto undo; /* one transaction: nothing changed */
	nft_done = true;
	ret = ut_injected("nft", err, errlen);
	if (ret)
		goto undo;

	ret = tc_attach(ifindex, w->ifname, pl.tc_fd, &info.tc_hook_created, err, errlen);
	if (ret)
		goto undo;
	tc_done = true;
	ret = ut_info_write(w, &info, err, errlen);
	if (!ret)
		ret = ut_injected("tc", err, errlen);
	if (ret)
		goto undo;

	ret = xdp_attach(ifindex, w->ifname, pl.main_fd, o->mode, o->force, &info.mode, &prev, err,
			 errlen);
	if (ret)
		goto undo;
	xdp_done = true;
	ret = ut_info_write(w, &info, err, errlen);
	if (!ret)
		ret = ut_injected("xdp", err, errlen);
	if (ret)
		goto undo;

	xdp_prev_release(&prev);
	nft_live_free(&before);
	pipeline_close(&pl);
	return 0;
undo:
	/* Errors while undoing cannot be reported better than the one that
	 * made us undo; they land in undo_err. */
	if (xdp_done) {
		xdp_detach(ifindex, pl.main_fd, info.mode, undo_err, sizeof(undo_err));
		xdp_restore(ifindex, &prev, undo_err, sizeof(undo_err));
	}
	if (tc_done)
		tc_detach(ifindex, pl.tc_fd, info.tc_hook_created, undo_err, sizeof(undo_err));
	if (recorded)
		ut_run_dir_remove(w);
	if (nft_done && !before.present)
		nft_apply(NULL, 0, undo_err, sizeof(undo_err));
	else if (nft_done)
		nft_sync(&leave, undo_err, sizeof(undo_err));
	if (pinned) {
		ut_remove_tree(w->pin_dir);
		ut_remove_empty_parents(w->pin_dir, UT_PIN_ROOT);
	}
	xdp_prev_release(&prev);
	nft_live_free(&before);
	pipeline_close(&pl);
	return ret;
}

/* attach where untrack is attached already: a new policy, and whatever is
 * missing put back. */
static int attach_again(const struct attach_opts *o, const struct ut_where *w, int ifindex,
			char *err, size_t errlen)
{
	struct pipeline pl = {0};
	struct swap s = {.w = w, .old_policy_fd = -1};
	struct xdp_prev prev = {.fd = -1};
	struct nft_live before = {0};
	struct nft_change change = {.what = NFT_NEW_POLICY, .ifname = w->ifname};
	char undo_err[ERRLEN];
	bool tc_done = false, tc_created = false, xdp_done = false, prepared = false;
	bool nft_done = false;
	__u32 tc_id = 0;
	int ret;

	ret = ut_info_read(w, &s.old_info, err, errlen);
	if (ret)
		return ret;
	if (o->mark_given &&
	    (o->mark.value != s.old_info.mark_value || o->mark.mask != s.old_info.mark_mask)) {
		return ut_fail(
			-EINVAL, err, errlen,
			"untrack is attached to %s with mark 0x%08x/0x%08x; detach it first to change the mark",
			w->ifname, s.old_info.mark_value, s.old_info.mark_mask);
	}
	if (o->mode_given && o->mode != s.old_info.mode && s.old_info.ifindex == ifindex) {
		return ut_fail(
			-EINVAL, err, errlen,
			"untrack is attached to %s in %s mode; detach it first to change the mode",
			w->ifname, ut_xdp_mode_name(s.old_info.mode));
	}
	s.new_info = s.old_info;
	s.new_info.ifindex = ifindex;
	abs_path(o->policy, s.new_info.policy, sizeof(s.new_info.policy));
	s.new_info.replaced = (long long)time(NULL);
	s.new_info.generation++;

	s.new_nft = o->egress;
	s.new_nft_len = o->egress_len;
	ret = swap_prepare(&s, &pl, o->policy, err, errlen);
	if (ret)
		goto undo;
	prepared = true;
	snprintf(s.new_info.source, sizeof(s.new_info.source), "%s",
		 pl.meta.source ? pl.meta.source : "");
	ret = ut_injected("pin", err, errlen);
	if (!ret)
		ret = ut_injected("state", err, errlen);
	if (ret)
		goto undo;

	/* The new policy's egress rules, in one transaction with the
	 * notrack rule (which someone may have flushed). */
	ret = nft_live_read(&before, err, errlen);
	if (ret)
		goto undo;
	change.egress = o->egress;
	change.meta = &pl.meta;
	change.policy_dir = s.new_dir;
	ret = nft_sync(&change, err, errlen);
	if (ret)
		goto undo;
	nft_done = true;
	ret = ut_injected("nft", err, errlen);
	if (ret)
		goto undo;

	ret = tc_query(ifindex, &tc_id);
	if (ret) {
		ut_fail(ret, err, errlen, "cannot query TC on %s: %s", w->ifname, strerror(-ret));
		goto undo;
	}
	if (tc_id != ut_prog_id(pl.tc_fd)) {
		ret = tc_attach(ifindex, w->ifname, pl.tc_fd, &tc_created, err, errlen);
		if (ret)
			goto undo;
		tc_done = true;
		/* A qdisc created now is ours; on a re-created interface the
		 * one there is not; otherwise what was recorded holds. */
		if (tc_created)
			s.new_info.tc_hook_created = true;
		else if (s.old_info.ifindex != ifindex)
			s.new_info.tc_hook_created = false;
	}
	ret = ut_injected("tc", err, errlen);
	if (ret)
		goto undo;

	{
		struct xdp_found f;
		__u32 ours = ut_prog_id(pl.main_fd);
		ret = xdp_query(ifindex, &f, err, errlen);
		if (ret)
			goto undo;
		xdp_done = f.drv_id != ours && f.skb_id != ours;
	}
	ret = xdp_attach(ifindex, w->ifname, pl.main_fd, o->mode, o->force, &s.new_info.mode, &prev,
			 err, errlen);
	if (ret) {
		xdp_done = false;
		goto undo;
	}
	ret = ut_injected("xdp", err, errlen);
	if (ret)
		goto undo;

	ret = swap_commit(&s, &pl, err, errlen);
	if (ret)
		goto undo;
	xdp_prev_release(&prev);
	swap_release(&s);
	nft_live_free(&before);
	pipeline_close(&pl);
	return 0;
undo:
	if (xdp_done) {
		xdp_detach(ifindex, pl.main_fd, s.new_info.mode, undo_err, sizeof(undo_err));
		xdp_restore(ifindex, &prev, undo_err, sizeof(undo_err));
	}
	if (tc_done)
		tc_detach(ifindex, pl.tc_fd, tc_created, undo_err, sizeof(undo_err));
	/* swap_commit, when it ran, has put the record back. */
	if (nft_done)
		nft_restore(w->ifname, &before, undo_err, sizeof(undo_err));
	if (prepared)
		ut_remove_tree(s.new_dir);
	xdp_prev_release(&prev);
	swap_release(&s);
	nft_live_free(&before);
	pipeline_close(&pl);
	return ret;
}

/* The checks every changing command starts with; 0 or an exit status. */
static int common_checks(const char *cmd, const char *ifname, struct ut_where *w, int *ifindex,
			 bool need_iface)
{
	char err[ERRLEN];

	if (ut_need_privileges(cmd))
		return UT_EXIT_FAIL;
	if (ut_where_init(w, ifname, err, sizeof(err))) {
		ut_error("%s", err);
		return UT_EXIT_FAIL;
	}
	*ifindex = (int)if_nametoindex(ifname);
	if (!*ifindex && need_iface) {
		ut_error("no such interface '%s'%s", ifname,
			 w->ns_dir[0] ? " in this network namespace" : "");
		return UT_EXIT_FAIL;
	}
	return 0;
}

int cmd_attach(int argc, char **argv)
{
	struct attach_opts o;
	struct ut_where w;
	struct objmeta meta;
	char err[ERRLEN];
	bool mounted = false;
	int ifindex, lock = -1, ret, status;

	if (parse_attach(argc, argv, &o))
		return UT_EXIT_USAGE;
	status = common_checks("attach", o.ifname, &w, &ifindex, true);
	if (status)
		return status;
	/* A bad object is refused before anything is touched. */
	if (pipeline_read_meta(o.policy, &meta, err, sizeof(err))) {
		ut_error("%s", err);
		return UT_EXIT_FAIL;
	}
	ret = read_template(o.policy, &meta, &o.egress, &o.egress_len, err, sizeof(err));
	objmeta_free(&meta);
	if (ret) {
		ut_error("%s", err);
		return UT_EXIT_FAIL;
	}
	status = UT_EXIT_FAIL;
	if (strchr(o.policy, '\n')) {
		ut_error("policy path contains a newline");
		goto cleanup;
	}

	lock = ut_lock(true, err, sizeof(err));
	if (lock < 0) {
		ut_error("%s", err);
		goto cleanup;
	}
	ret = ut_bpffs_ensure(&mounted, err, sizeof(err));
	if (ret) {
		ut_error("%s", err);
		goto cleanup;
	}
	if (ut_where_attached(&w))
		ret = attach_again(&o, &w, ifindex, err, sizeof(err));
	else
		ret = attach_fresh(&o, &w, ifindex, err, sizeof(err));
	if (ret) {
		ut_error("attach %s: %s", o.ifname, err);
		if (mounted)
			umount(UT_BPFFS_ROOT);
		goto cleanup;
	}
	status = UT_EXIT_OK;
cleanup:
	free(o.egress);
	if (lock >= 0)
		close(lock);
	return status;
}

/* ---------------------------------------------------------------- replace */

int cmd_replace(int argc, char **argv)
{
	struct pipeline pl = {0};
	struct ut_where w;
	struct swap s = {.w = &w, .old_policy_fd = -1};
	struct nft_live before = {0};
	struct nft_change change = {.what = NFT_NEW_POLICY};
	struct objmeta meta;
	char err[ERRLEN], undo_err[ERRLEN], *egress = NULL;
	size_t egress_len = 0;
	int ret, ifindex, lock = -1, status;
	bool prepared = false;

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
	status = common_checks("replace", argv[optind], &w, &ifindex, false);
	if (status)
		return status;
	if (pipeline_read_meta(argv[optind + 1], &meta, err, sizeof(err))) {
		ut_error("%s", err);
		return UT_EXIT_FAIL;
	}
	ret = read_template(argv[optind + 1], &meta, &egress, &egress_len, err, sizeof(err));
	objmeta_free(&meta);
	if (ret) {
		ut_error("%s", err);
		return UT_EXIT_FAIL;
	}
	status = UT_EXIT_FAIL;
	if (strchr(argv[optind + 1], '\n')) {
		ut_error("policy path contains a newline");
		goto cleanup;
	}
	lock = ut_lock(true, err, sizeof(err));
	if (lock < 0) {
		ut_error("%s", err);
		goto cleanup;
	}
	if (!ut_where_attached(&w)) {
		ut_error("untrack is not attached to %s: use 'untrack attach'", w.ifname);
		goto cleanup;
	}
	if (ut_info_read(&w, &s.old_info, err, sizeof(err))) {
		ut_error("%s", err);
		goto cleanup;
	}
	s.new_info = s.old_info;
	abs_path(argv[optind + 1], s.new_info.policy, sizeof(s.new_info.policy));
	s.new_info.replaced = (long long)time(NULL);
	s.new_info.generation++;
	s.new_nft = egress;
	s.new_nft_len = egress_len;
	if (swap_prepare(&s, &pl, argv[optind + 1], err, sizeof(err))) {
		ut_error("replace %s: %s", w.ifname, err);
		goto cleanup;
	}
	prepared = true;
	snprintf(s.new_info.source, sizeof(s.new_info.source), "%s",
		 pl.meta.source ? pl.meta.source : "");
	/* Egress first, in one nftables transaction; then the XDP swap. Each
	 * is atomic for its direction; a failure of the second puts the first
	 * back. */
	change.ifname = w.ifname;
	change.egress = egress;
	change.meta = &pl.meta;
	change.policy_dir = s.new_dir;
	if (nft_live_read(&before, err, sizeof(err)) || nft_sync(&change, err, sizeof(err))) {
		ut_error("replace %s: %s", w.ifname, err);
		goto cleanup;
	}
	if (ut_injected("nft", err, sizeof(err)) || swap_commit(&s, &pl, err, sizeof(err))) {
		ut_error("replace %s: %s", w.ifname, err);
		nft_restore(w.ifname, &before, undo_err, sizeof(undo_err));
		goto cleanup;
	}
	prepared = false; /* policy_new is policy now */
	status = UT_EXIT_OK;
cleanup:
	if (prepared)
		ut_remove_tree(s.new_dir);
	swap_release(&s);
	nft_live_free(&before);
	free(egress);
	pipeline_close(&pl);
	if (lock >= 0)
		close(lock);
	return status;
}

/* ---------------------------------------------------------------- detach */

/* A pinned object's fd, or -1. */
static int pinned_fd(const struct ut_where *w, const char *name)
{
	char path[PATH_MAX];

	if (ut_path(path, sizeof(path), w->pin_dir, name))
		return -1;
	return bpf_obj_get(path);
}

int cmd_detach(int argc, char **argv)
{
	struct ut_where w;
	struct ut_info info;
	char err[ERRLEN];
	int ifindex, lock = -1, main_fd = -1, tc_fd = -1, status;
	bool clean = true;

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
	status = common_checks("detach", argv[optind], &w, &ifindex, false);
	if (status)
		return status;
	status = UT_EXIT_FAIL;
	lock = ut_lock(true, err, sizeof(err));
	if (lock < 0) {
		ut_error("%s", err);
		goto cleanup;
	}
	if (!ut_where_attached(&w)) {
		if (access(w.pin_dir, F_OK) == 0) {
			/* An attach that died before recording itself. */
			ut_remove_tree(w.pin_dir);
			ut_remove_empty_parents(w.pin_dir, UT_PIN_ROOT);
		}
		ut_note("untrack is not attached to %s: nothing to do", w.ifname);
		status = UT_EXIT_OK;
		goto cleanup;
	}
	if (ut_info_read(&w, &info, err, sizeof(err))) {
		ut_error("%s", err);
		goto cleanup;
	}
	main_fd = pinned_fd(&w, "untrack_main");
	tc_fd = pinned_fd(&w, "untrack_tc_ingress");
	if (ifindex && ifindex == info.ifindex && (main_fd < 0 || tc_fd < 0)) {
		/* The pins are gone (someone removed them): recognise
		 * untrack's programs on the interface by their names. */
		struct xdp_found f;
		__u32 tc_id = 0;
		if (main_fd < 0 && xdp_query(ifindex, &f, err, sizeof(err)) == 0)
			main_fd = ut_prog_fd_named(f.drv_id ? f.drv_id : f.skb_id, "untrack_main");
		if (tc_fd < 0 && tc_query(ifindex, &tc_id) == 0)
			tc_fd = ut_prog_fd_named(tc_id, "untrack_tc_ingress");
		ut_note("%s: untrack's pins are damaged; removing what it finds of itself",
			w.ifname);
	}
	if (!ifindex) {
		ut_note("interface %s is gone; removing untrack's state for it", w.ifname);
	} else if (ifindex != info.ifindex) {
		ut_note("interface %s was re-created since untrack attached to it; removing untrack's state for it",
			w.ifname);
	} else {
		struct xdp_found f;
		__u32 ours = ut_prog_id(main_fd);
		if (xdp_query(ifindex, &f, err, sizeof(err))) {
			ut_error("detach %s: %s", w.ifname, err);
			clean = false;
		} else if (ours && (f.drv_id == ours || f.skb_id == ours)) {
			if (xdp_detach(ifindex, main_fd,
				       f.drv_id == ours ? UT_XDP_NATIVE : UT_XDP_GENERIC, err,
				       sizeof(err))) {
				ut_error("detach %s: %s", w.ifname, err);
				clean = false;
			}
		} else if (f.drv_id || f.skb_id) {
			ut_note("%s: the XDP program there is not untrack's; left in place",
				w.ifname);
		}
		if (tc_detach(ifindex, tc_fd, info.tc_hook_created, err, sizeof(err))) {
			ut_error("detach %s: %s", w.ifname, err);
			clean = false;
		}
	}
	if (!clean) {
		ut_error("detach %s: state kept so that 'untrack detach' can be run again",
			 w.ifname);
		goto cleanup;
	}
	if (nft_sync(&(struct nft_change){.what = NFT_REMOVE, .ifname = w.ifname}, err,
		     sizeof(err))) {
		ut_error("detach %s: %s; state kept so that 'untrack detach' can be run again",
			 w.ifname, err);
		goto cleanup;
	}
	ut_remove_tree(w.pin_dir);
	ut_remove_empty_parents(w.pin_dir, UT_PIN_ROOT);
	ut_run_dir_remove(&w);
	status = UT_EXIT_OK;
cleanup:
	if (main_fd >= 0)
		close(main_fd);
	if (tc_fd >= 0)
		close(tc_fd);
	if (lock >= 0)
		close(lock);
	return status;
}
