/* untrack status [IFACE] [--json]: where untrack is attached in this network
 * namespace, and whether every part of it is still in place. Each
 * interface is looked at first (gather_status), then shown as text or
 * JSON: what is checked is the same for both. */
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "commands.h"
#include "json_out.h"
#include "netdev.h"
#include "nft.h"
#include "objfmt/json_text.h"
#include "objfmt/objmeta.h"
#include "show.h"
#include "state.h"
#include "untrack_abi.h"

#define ERRLEN 1024

/* What is in place of one attachment. */
struct health {
	bool iface_ok, xdp_ok, tc_ok, nft_ok, slot_ok;
	bool table_ok, egress_ok; /* the table; the egress part (if any) */
	size_t egress_rules;
	char egress_chain[UT_NFT_PREFIX_MAX + 8];
	int ifindex;
	__u32 main_id, tc_id, policy_id, slot_id, xdp_found_id, tc_found_id;
	enum ut_xdp_mode xdp_mode;
};

/* One attached interface as status shows it. */
struct iface_status {
	struct ut_where w;
	struct ut_info info;
	struct objmeta meta;
	struct health h;
};

/* The id of a pinned program under the interface's pin directory, or 0. */
static __u32 pinned_prog_id(const struct ut_where *w, const char *name)
{
	char path[PATH_MAX];
	__u32 id;
	int fd;

	if (ut_path(path, sizeof(path), w->pin_dir, name))
		return 0;
	fd = bpf_obj_get(path);
	id = ut_prog_id(fd);
	if (fd >= 0)
		close(fd);
	return id;
}

/* The program in the jump table's policy slot; from user space a
 * PROG_ARRAY lookup gives its id. 0 when it cannot be read. */
static __u32 slot_prog_id(const struct ut_where *w)
{
	char path[PATH_MAX];
	__u32 slot = UT_SLOT_POLICY, id = 0;
	int jmp;

	if (ut_path(path, sizeof(path), w->pin_dir, "ut_jmp"))
		return 0;
	jmp = bpf_obj_get(path);
	if (jmp < 0)
		return 0;
	if (bpf_map_lookup_elem(jmp, &slot, &id))
		id = 0;
	close(jmp);
	return id;
}

static void check_health(const struct ut_where *w, const struct ut_info *info,
			 const struct objmeta *meta, const struct nft_live *live, struct health *h)
{
	const struct nft_live_iface *li;
	char err[ERRLEN];
	struct xdp_found f;

	memset(h, 0, sizeof(*h));
	h->ifindex = (int)if_nametoindex(w->ifname);
	h->iface_ok = h->ifindex && h->ifindex == info->ifindex;
	h->main_id = pinned_prog_id(w, "untrack_main");
	h->tc_id = pinned_prog_id(w, "untrack_tc_ingress");
	h->policy_id = pinned_prog_id(w, UT_POLICY_DIR "/untrack_policy");
	h->xdp_mode = info->mode;
	if (h->iface_ok && xdp_query(h->ifindex, &f, err, sizeof(err)) == 0) {
		h->xdp_found_id = f.drv_id ? f.drv_id : f.skb_id;
		h->xdp_ok = h->main_id && h->xdp_found_id == h->main_id;
		if (h->xdp_ok)
			h->xdp_mode = f.drv_id == h->main_id ? UT_XDP_NATIVE : UT_XDP_GENERIC;
	}
	if (h->iface_ok && tc_query(h->ifindex, &h->tc_found_id) == 0)
		h->tc_ok = h->tc_id && h->tc_found_id == h->tc_id;
	/* The table, and the jump to the interface's egress chain when its
	 * policy has egress rules. */
	for (size_t i = 0; i < meta->nrules; i++)
		h->egress_rules += meta->rules[i].dir == DIR_EGRESS;
	li = nft_live_find(live, w->ifname);
	if (li)
		snprintf(h->egress_chain, sizeof(h->egress_chain), "%segress", li->prefix);
	h->table_ok = live->present;
	h->egress_ok = !h->egress_rules || li;
	h->nft_ok = h->table_ok && h->egress_ok;
	h->slot_id = slot_prog_id(w);
	h->slot_ok = h->policy_id && h->slot_id == h->policy_id;
}

static bool healthy(const struct health *h)
{
	return h->iface_ok && h->xdp_ok && h->tc_ok && h->nft_ok && h->slot_ok;
}

/* Read the record of interface name and check every part. -ENOENT when
 * untrack is not attached there; err says why on every failure. */
static int gather_status(const char *name, const struct nft_live *live, struct iface_status *s,
			 char *err, size_t errlen)
{
	int ret = ut_where_init(&s->w, name, err, errlen);

	memset(&s->meta, 0, sizeof(s->meta));
	if (!ret)
		ret = ut_state_load(&s->w, &s->info, &s->meta, err, errlen);
	if (ret) {
		objmeta_free(&s->meta);
		return ret;
	}
	check_health(&s->w, &s->info, &s->meta, live, &s->h);
	return 0;
}

static const char *ok_or(bool ok, const char *problem)
{
	return ok ? "ok" : problem;
}

static void print_status_text(const struct iface_status *s)
{
	const struct ut_info *info = &s->info;
	const struct objmeta *meta = &s->meta;
	const struct health *h = &s->h;
	char since[64], last[64];

	format_time(info->attached, since, sizeof(since));
	format_time(info->replaced, last, sizeof(last));
	printf("%s: attached, %s XDP, %s\n", s->w.ifname, ut_xdp_mode_name(h->xdp_mode),
	       healthy(h) ? "every part in place" : "DEGRADED (see below)");
	printf("  policy      %s\n", info->policy);
	printf("  source      %s (%zu %s, %zu %s, %zu %s)\n", meta->source ? meta->source : "-",
	       meta->npolicies, meta->npolicies == 1 ? "policy" : "policies", meta->nrules,
	       meta->nrules == 1 ? "rule" : "rules", meta->nsets,
	       meta->nsets == 1 ? "set" : "sets");
	printf("  since       %s; policy loaded %s (%lu %s)\n", since, last, info->generation,
	       info->generation == 1 ? "load" : "loads");
	if (!h->iface_ok)
		printf("  interface   %s\n",
		       h->ifindex ? "RE-CREATED since attach: run 'untrack attach' again" : "GONE");
	printf("  xdp         untrack_main id %u: %s\n", h->main_id,
	       ok_or(h->xdp_ok, h->xdp_found_id ? "REPLACED by another program" : "MISSING"));
	printf("  tc ingress  untrack_tc_ingress id %u, priority %d handle %#x: %s\n", h->tc_id,
	       UT_TC_PRIORITY, UT_TC_HANDLE,
	       ok_or(h->tc_ok, h->tc_found_id ? "REPLACED by another filter" : "MISSING"));
	printf("  nftables    table %s %s: %s\n", NFT_FAMILY, NFT_TABLE,
	       ok_or(h->table_ok, "MISSING (flushed?): run 'untrack attach' again"));
	if (h->egress_rules && h->egress_ok)
		printf("  egress      %zu %s in chain %s: ok\n", h->egress_rules,
		       h->egress_rules == 1 ? "rule" : "rules", h->egress_chain);
	else if (h->egress_rules)
		printf("  egress      %zu %s: MISSING from the table: run 'untrack attach' again\n",
		       h->egress_rules, h->egress_rules == 1 ? "rule" : "rules");
	printf("  policy prog id %u in the jump table: %s\n", h->policy_id,
	       ok_or(h->slot_ok, "MISMATCH"));
	printf("  mark        0x%08x/0x%08x\n", info->mark_value, info->mark_mask);
	printf("  pins        %s\n", s->w.pin_dir);
}

/* The names of the policies or of the sets of meta, as a JSON array. */
static json_t *names_json(const struct objmeta *meta, bool sets)
{
	size_t n = sets ? meta->nsets : meta->npolicies;
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++) {
		const char *name = sets ? meta->sets[i].name : meta->policies[i].name;
		if (json_array_append_new(a, json_text(name))) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *status_json(const struct iface_status *s)
{
	const struct ut_info *info = &s->info;
	const struct objmeta *meta = &s->meta;
	const struct health *h = &s->h;
	char mark[16], mask[16];

	snprintf(mark, sizeof(mark), "0x%08x", info->mark_value);
	snprintf(mask, sizeof(mask), "0x%08x", info->mark_mask);
	return json_pack(
		"{s:o, s:b, s:s, s:i, s:s, s:o, s:o, s:o, s:I, s:o, s:I, s:I, s:I, s:s, s:s, "
		"s:b, s:{s:b, s:I, s:I}, s:{s:b, s:I, s:I, s:i, s:i, s:b}, "
		"s:{s:b, s:s, s:b, s:I, s:b, s:o}, s:{s:b, s:I, s:I}, s:o}",
		"ifname", json_text(s->w.ifname), "attached", 1, "health",
		healthy(h) ? "ok" : "degraded", "ifindex", info->ifindex, "mode",
		ut_xdp_mode_name(h->xdp_mode), "policy", json_text(info->policy), "source",
		json_text(meta->source ? meta->source : ""), "policies", names_json(meta, false),
		"rules", (json_int_t)meta->nrules, "sets", names_json(meta, true), "attached_at",
		(json_int_t)info->attached, "replaced_at", (json_int_t)info->replaced, "generation",
		(json_int_t)info->generation, "mark", mark, "mask", mask, "interface_ok",
		h->iface_ok, "xdp", "ok", h->xdp_ok, "prog_id", (json_int_t)h->main_id, "found_id",
		(json_int_t)h->xdp_found_id, "tc", "ok", h->tc_ok, "prog_id", (json_int_t)h->tc_id,
		"found_id", (json_int_t)h->tc_found_id, "priority", UT_TC_PRIORITY, "handle",
		UT_TC_HANDLE, "qdisc_created", info->tc_hook_created, "nftables", "ok", h->nft_ok,
		"table", NFT_FAMILY " " NFT_TABLE, "table_ok", h->table_ok, "egress_rules",
		(json_int_t)h->egress_rules, "egress_ok", h->egress_ok, "egress_chain",
		h->egress_chain[0] ? json_text(h->egress_chain) : json_null(), "policy_prog", "ok",
		h->slot_ok, "prog_id", (json_int_t)h->policy_id, "slot_id", (json_int_t)h->slot_id,
		"pins", json_text(s->w.pin_dir));
}

static json_t *not_attached_json(const char *ifname)
{
	return json_pack("{s:o, s:b}", "ifname", json_text(ifname), "attached", 0);
}

/* The interfaces to show: IFACE, or every one with a record here. */
static int status_names(const struct show_opts *o, char (**names)[IF_NAMESIZE], size_t *n,
			char *err, size_t errlen)
{
	if (!o->ifname)
		return ut_state_list(names, n, err, errlen);
	*names = calloc(1, sizeof(**names));
	if (!*names)
		return ut_fail(-ENOMEM, err, errlen, "out of memory looking at %s", o->ifname);
	snprintf((*names)[0], IF_NAMESIZE, "%s", o->ifname);
	*n = 1;
	return 0;
}

/* Show one interface: as a line of its own, or (all, JSON) into all.
 * Returns 0, -ENOENT when IFACE is not attached (shown as such), or
 * another -errno (reported). */
static int show_one(const struct show_opts *o, const char *name, const struct nft_live *live,
		    json_t *all)
{
	struct iface_status s;
	char err[ERRLEN];
	int ret = gather_status(name, live, &s, err, sizeof(err));

	if (ret == -ENOENT && o->ifname) {
		if (!o->json)
			printf("%s: not attached\n", name);
		else if (ut_json_print(not_attached_json(name), name, err, sizeof(err)))
			ut_error("%s", err);
		return ret;
	}
	if (ret) {
		ut_error("%s", err);
		return ret;
	}
	if (!o->json)
		print_status_text(&s);
	else if (all && json_array_append_new(all, status_json(&s)))
		ret = ut_fail(-ENOMEM, err, sizeof(err), "out of memory building the status of %s",
			      name);
	else if (!all)
		ret = ut_json_print(status_json(&s), name, err, sizeof(err));
	if (ret)
		ut_error("%s", err);
	objmeta_free(&s.meta);
	return ret;
}

int cmd_status(int argc, char **argv)
{
	static const char usage[] =
		"Usage: untrack status [IFACE] [--json]\n"
		"Show where untrack is attached in this network namespace, with which policy,\n"
		"and whether every part (XDP, TC, nftables, the policy in the jump table) is\n"
		"in place. Exit status 1 when IFACE is given and untrack is not attached there.\n"
		"\n"
		"      --json    one JSON object (for IFACE), or {\"interfaces\": [...]}\n"
		"  -h, --help    show this help\n";
	char(*names)[IF_NAMESIZE] = NULL;
	struct nft_live live = {0};
	struct show_opts o;
	json_t *all = NULL;
	char err[ERRLEN];
	size_t n = 0;
	int lock, status = UT_EXIT_FAIL;

	if (parse_show(argc, argv, "status", usage, false, &o))
		return UT_EXIT_USAGE;
	if (o.ifname && !ut_ifname_valid(o.ifname)) {
		ut_error("'%s' is not a valid interface name", o.ifname);
		return UT_EXIT_FAIL;
	}
	if (ut_need_privileges("status"))
		return UT_EXIT_FAIL;
	lock = ut_lock(false, err, sizeof(err));
	if (lock < 0) {
		ut_error("%s", err);
		return UT_EXIT_FAIL;
	}
	if (status_names(&o, &names, &n, err, sizeof(err))) {
		ut_error("%s", err);
		goto cleanup;
	}
	/* Without nftables the rest is still worth showing: the table then
	 * shows as missing. */
	if (n && nft_live_read(&live, err, sizeof(err)))
		ut_note("%s", err);
	if (o.json && !o.ifname) {
		all = json_array();
		if (!all) {
			ut_error("out of memory");
			goto cleanup;
		}
	}
	status = UT_EXIT_OK;
	for (size_t i = 0; i < n; i++)
		if (show_one(&o, names[i], &live, all))
			status = UT_EXIT_FAIL;
	if (all && ut_json_print(json_pack("{s:O}", "interfaces", all), "the interfaces", err,
				 sizeof(err))) {
		ut_error("%s", err);
		status = UT_EXIT_FAIL;
	} else if (!o.json && n == 0) {
		printf("untrack is not attached to any interface in this network namespace\n");
	}
cleanup:
	json_decref(all);
	nft_live_free(&live);
	free(names);
	close(lock);
	return status;
}
