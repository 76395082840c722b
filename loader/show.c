/* untrack status and untrack stats: what is attached, whether every part of
 * it is still in place, and what it counted. Both read the pins and the
 * recorded state; neither changes anything. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "commands.h"
#include "netdev.h"
#include "nft.h"
#include "objfmt/objmeta.h"
#include "objload.h"
#include "state.h"
#include "untrack_abi.h"

#define ERRLEN 1024

/* Options shared by status and stats. */
struct show_opts {
	const char *ifname; /* NULL: every attached interface (status only) */
	bool json;
};

static int parse_show(int argc, char **argv, const char *cmd, const char *usage, bool need_iface,
		      struct show_opts *o)
{
	static const struct option longopts[] = {
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	int c;

	memset(o, 0, sizeof(*o));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hj", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			o->json = true;
			break;
		case 'h':
			fputs(usage, stdout);
			exit(UT_EXIT_OK);
		default:
			ut_error("unknown option '%s' for %s", argv[optind - 1], cmd);
			return -1;
		}
	}
	if (argc - optind > 1 || (need_iface && argc - optind != 1)) {
		ut_error("%s needs %san interface", cmd, need_iface ? "" : "at most ");
		return -1;
	}
	if (argc - optind == 1)
		o->ifname = argv[optind];
	return 0;
}

static void format_time(long long t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!t || !localtime_r(&tt, &tm) || !strftime(buf, size, "%Y-%m-%dT%H:%M:%S%z", &tm))
		snprintf(buf, size, "-");
}

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

/* ---------------------------------------------------------------- status */

struct health {
	bool iface_ok, xdp_ok, tc_ok, nft_ok, slot_ok;
	bool table_ok, egress_ok; /* the table; the egress part (if any) */
	size_t egress_rules;
	char egress_chain[UT_NFT_PREFIX_MAX + 8];
	int ifindex;
	__u32 main_id, tc_id, policy_id, slot_id, xdp_found_id, tc_found_id;
	enum ut_xdp_mode xdp_mode;
};

static void check_health(const struct ut_where *w, const struct ut_info *info,
			 const struct objmeta *meta, const struct nft_live *live, struct health *h)
{
	const struct nft_live_iface *li;
	char path[PATH_MAX], err[ERRLEN];
	struct xdp_found f;
	__u32 slot = UT_SLOT_POLICY;
	int jmp;

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
	/* From user space a PROG_ARRAY lookup gives the program's id. */
	if (ut_path(path, sizeof(path), w->pin_dir, "ut_jmp") == 0) {
		jmp = bpf_obj_get(path);
		if (jmp >= 0) {
			if (bpf_map_lookup_elem(jmp, &slot, &h->slot_id))
				h->slot_id = 0;
			close(jmp);
		}
	}
	h->slot_ok = h->policy_id && h->slot_id == h->policy_id;
}

static bool healthy(const struct health *h)
{
	return h->iface_ok && h->xdp_ok && h->tc_ok && h->nft_ok && h->slot_ok;
}

static void status_json(const struct ut_where *w, const struct ut_info *info,
			const struct objmeta *meta, const struct health *h)
{
	printf("{\"ifname\": ");
	ut_json_string(stdout, w->ifname);
	printf(", \"attached\": true, \"health\": \"%s\", \"ifindex\": %d, \"mode\": \"%s\", "
	       "\"policy\": ",
	       healthy(h) ? "ok" : "degraded", info->ifindex, ut_xdp_mode_name(h->xdp_mode));
	ut_json_string(stdout, info->policy);
	printf(", \"source\": ");
	ut_json_string(stdout, meta->source ? meta->source : "");
	printf(", \"policies\": [");
	for (size_t i = 0; i < meta->npolicies; i++) {
		printf("%s", i ? ", " : "");
		ut_json_string(stdout, meta->policies[i].name);
	}
	printf("], \"rules\": %zu, \"sets\": [", meta->nrules);
	for (size_t i = 0; i < meta->nsets; i++) {
		printf("%s", i ? ", " : "");
		ut_json_string(stdout, meta->sets[i].name);
	}
	printf("], \"attached_at\": %lld, \"replaced_at\": %lld, \"generation\": %lu, "
	       "\"mark\": \"0x%08x\", \"mask\": \"0x%08x\", ",
	       info->attached, info->replaced, info->generation, info->mark_value, info->mark_mask);
	printf("\"interface_ok\": %s, \"xdp\": {\"ok\": %s, \"prog_id\": %u, \"found_id\": %u}, "
	       "\"tc\": {\"ok\": %s, \"prog_id\": %u, \"found_id\": %u, \"priority\": %d, "
	       "\"handle\": %d, \"qdisc_created\": %s}, "
	       "\"nftables\": {\"ok\": %s, \"table\": \"%s %s\", \"table_ok\": %s, "
	       "\"egress_rules\": %zu, \"egress_ok\": %s, \"egress_chain\": ",
	       h->iface_ok ? "true" : "false", h->xdp_ok ? "true" : "false", h->main_id,
	       h->xdp_found_id, h->tc_ok ? "true" : "false", h->tc_id, h->tc_found_id,
	       UT_TC_PRIORITY, UT_TC_HANDLE, info->tc_hook_created ? "true" : "false",
	       h->nft_ok ? "true" : "false", UT_NFT_FAMILY, UT_NFT_TABLE,
	       h->table_ok ? "true" : "false", h->egress_rules, h->egress_ok ? "true" : "false");
	if (h->egress_chain[0])
		ut_json_string(stdout, h->egress_chain);
	else
		printf("null");
	printf("}, \"policy_prog\": {\"ok\": %s, \"prog_id\": %u, \"slot_id\": %u}, \"pins\": ",
	       h->slot_ok ? "true" : "false", h->policy_id, h->slot_id);
	ut_json_string(stdout, w->pin_dir);
	printf("}");
}

static const char *ok_or(bool ok, const char *problem)
{
	return ok ? "ok" : problem;
}

static void status_text(const struct ut_where *w, const struct ut_info *info,
			const struct objmeta *meta, const struct health *h)
{
	char since[64], last[64];

	format_time(info->attached, since, sizeof(since));
	format_time(info->replaced, last, sizeof(last));
	printf("%s: attached, %s XDP, %s\n", w->ifname, ut_xdp_mode_name(h->xdp_mode),
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
	printf("  nftables    table %s %s: %s\n", UT_NFT_FAMILY, UT_NFT_TABLE,
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
	printf("  pins        %s\n", w->pin_dir);
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
	char err[ERRLEN];
	size_t n = 0;
	int lock = -1, status = UT_EXIT_FAIL;

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
	if (o.ifname) {
		names = calloc(1, sizeof(*names));
		if (!names) {
			ut_error("out of memory");
			goto cleanup;
		}
		snprintf(names[0], IF_NAMESIZE, "%s", o.ifname);
		n = 1;
	} else if (ut_state_list(&names, &n, err, sizeof(err))) {
		ut_error("%s", err);
		goto cleanup;
	}
	/* Without nftables the rest is still worth showing: the table then
	 * shows as missing. */
	if (n && nft_live_read(&live, err, sizeof(err)))
		ut_note("%s", err);
	if (o.json && !o.ifname)
		printf("{\"interfaces\": [");
	status = UT_EXIT_OK;
	for (size_t i = 0; i < n; i++) {
		struct ut_where w;
		struct ut_info info;
		struct objmeta meta;
		struct health h;
		int ret = ut_where_init(&w, names[i], err, sizeof(err));

		if (!ret)
			ret = ut_state_load(&w, &info, &meta, err, sizeof(err));
		if (ret == -ENOENT && o.ifname) {
			if (o.json)
				printf("{\"ifname\": \"%s\", \"attached\": false}\n", w.ifname);
			else
				printf("%s: not attached\n", w.ifname);
			status = UT_EXIT_FAIL;
			continue;
		}
		if (ret) {
			ut_error("%s", err);
			status = UT_EXIT_FAIL;
			objmeta_free(&meta);
			continue;
		}
		check_health(&w, &info, &meta, &live, &h);
		if (o.json) {
			printf("%s", i && !o.ifname ? ", " : "");
			status_json(&w, &info, &meta, &h);
			if (o.ifname)
				putchar('\n');
		} else {
			status_text(&w, &info, &meta, &h);
		}
		objmeta_free(&meta);
	}
	if (o.json && !o.ifname)
		printf("]}\n");
	else if (!o.json && n == 0)
		printf("untrack is not attached to any interface in this network namespace\n");
cleanup:
	nft_live_free(&live);
	free(names);
	close(lock);
	return status;
}

/* ---------------------------------------------------------------- stats */

/* Open a pinned map of the interface. */
static int pinned_map(const struct ut_where *w, const char *name, char *err, size_t errlen)
{
	char path[PATH_MAX];
	int fd;

	if (ut_path(path, sizeof(path), w->pin_dir, name)) {
		snprintf(err, errlen, "pin path too long");
		return -ENAMETOOLONG;
	}
	fd = bpf_obj_get(path);
	if (fd < 0) {
		fd = -errno;
		snprintf(err, errlen, "cannot open %.200s/%s: %s", w->pin_dir, name, strerror(-fd));
	}
	return fd;
}

static const char *const rt_names[] = {
#define UT_RT_NAME_(id, name) name,
	UT_RT_COUNTERS(UT_RT_NAME_)
#undef UT_RT_NAME_
};

/* Which runtime counters are outcomes: they add up to the packets seen. */
static bool rt_is_outcome(unsigned i)
{
	return i == UT_RT_NON_IP || i == UT_RT_NO_POLICY || i == UT_RT_NO_MATCH ||
	       i == UT_RT_PASSED || i == UT_RT_ACCEPTED || i == UT_RT_DROPPED ||
	       i == UT_RT_DECIDE_FAILED;
}

int cmd_stats(int argc, char **argv)
{
	static const char usage[] =
		"Usage: untrack stats IFACE [--json]\n"
		"Show per-rule packets and bytes since the policy was loaded (attach or\n"
		"replace): ingress rules counted in XDP, egress rules in nftables; then the\n"
		"runtime's counters.\n"
		"\n"
		"      --json    one JSON object\n"
		"  -h, --help    show this help\n";
	struct ut_rule_counter *rc = NULL;
	__u64 rt_sum[UT_RT_NR] = {0}, packets_seen = 0;
	struct show_opts o;
	struct ut_where w;
	struct ut_info info;
	struct objmeta meta = {0};
	struct nft_live live = {0};
	const struct nft_live_iface *li = NULL;
	char err[ERRLEN], when[64];
	size_t egress_rules = 0;
	int ncpus, rules_fd = -1, rt_fd = -1, state_fd = -1, lock = -1, status = UT_EXIT_FAIL;

	if (parse_show(argc, argv, "stats", usage, true, &o))
		return UT_EXIT_USAGE;
	if (ut_where_init(&w, o.ifname, err, sizeof(err))) {
		ut_error("%s", err);
		return UT_EXIT_FAIL;
	}
	if (ut_need_privileges("stats"))
		return UT_EXIT_FAIL;
	lock = ut_lock(false, err, sizeof(err));
	if (lock < 0) {
		ut_error("%s", err);
		return UT_EXIT_FAIL;
	}
	if (ut_state_load(&w, &info, &meta, err, sizeof(err))) {
		ut_error("%s", err);
		goto cleanup;
	}
	ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0) {
		ut_error("cannot count the CPUs: %s", strerror(-ncpus));
		goto cleanup;
	}
	rules_fd = pinned_map(&w, UT_POLICY_DIR "/" UT_RULE_STATS_MAP, err, sizeof(err));
	if (rules_fd >= 0)
		rt_fd = pinned_map(&w, "ut_rt_stats", err, sizeof(err));
	if (rt_fd >= 0)
		state_fd = pinned_map(&w, "ut_state", err, sizeof(err));
	if (rules_fd < 0 || rt_fd < 0 || state_fd < 0) {
		ut_error("%s", err);
		goto cleanup;
	}
	rc = calloc((size_t)ncpus, sizeof(*rc));
	if (!rc) {
		ut_error("out of memory");
		goto cleanup;
	}
	if (pipeline_rt_counters(rt_fd, state_fd, rt_sum, err, sizeof(err))) {
		ut_error("%s", err);
		goto cleanup;
	}
	for (__u32 i = 0; i < UT_RT_NR; i++)
		if (rt_is_outcome(i))
			packets_seen += rt_sum[i];

	/* Egress rules count in the table's named counters PREFIXrID. */
	for (size_t i = 0; i < meta.nrules; i++)
		egress_rules += meta.rules[i].dir == DIR_EGRESS;
	if (egress_rules) {
		if (nft_live_read(&live, err, sizeof(err)))
			ut_note("%s", err); /* the XDP counters are still worth showing */
		li = nft_live_find(&live, w.ifname);
	}

	format_time(info.replaced, when, sizeof(when));
	if (o.json) {
		printf("{\"ifname\": ");
		ut_json_string(stdout, w.ifname);
		printf(", \"policy\": ");
		ut_json_string(stdout, info.policy);
		printf(", \"source\": ");
		ut_json_string(stdout, meta.source ? meta.source : "");
		printf(", \"since\": %lld, \"rules\": [", info.replaced);
	} else {
		printf("%s: %s (%s), rule counters since %s\n", w.ifname, info.policy,
		       meta.source ? meta.source : "-", when);
		printf("%12s %14s  %-6s %-20s %s\n", "packets", "bytes", "action", "where", "rule");
	}
	for (__u32 id = 0; id < meta.nrules; id++) {
		const struct objmeta_rule *r = &meta.rules[id];
		const char *pol = r->policy < meta.npolicies ? meta.policies[r->policy].name : "?";
		bool ingress = r->dir == DIR_INGRESS, counted = ingress;
		__u64 packets = 0, bytes = 0;
		char where[300];

		if (!ingress) {
			const struct nft_counter *c =
				li ? nft_counter_find(li->counters, li->ncounters, id) : NULL;
			counted = c != NULL;
			if (c) {
				packets = c->packets;
				bytes = c->bytes;
			}
		} else {
			if (bpf_map_lookup_elem(rules_fd, &id, rc)) {
				ut_error("cannot read the counters of rule %u: %s", id,
					 strerror(errno));
				goto cleanup;
			}
			for (int c = 0; c < ncpus; c++) {
				packets += rc[c].packets;
				bytes += rc[c].bytes;
			}
		}
		if (o.json) {
			printf("%s{\"id\": %u, \"policy\": ", id ? ", " : "", id);
			ut_json_string(stdout, pol);
			printf(", \"line\": %d, \"column\": %d, \"direction\": \"%s\", "
			       "\"action\": \"%s\", \"counted_in\": \"%s\", \"text\": ",
			       r->line, r->column, ingress ? "ingress" : "egress",
			       rule_action_name(r->action), ingress ? "xdp" : "nftables");
			ut_json_string(stdout, r->text);
			if (counted)
				printf(", \"packets\": %llu, \"bytes\": %llu}",
				       (unsigned long long)packets, (unsigned long long)bytes);
			else
				printf(", \"packets\": null, \"bytes\": null}");
			continue;
		}
		snprintf(where, sizeof(where), "%s:%d", pol, r->line);
		if (counted)
			printf("%12llu %14llu  %-6s %-20s %s\n", (unsigned long long)packets,
			       (unsigned long long)bytes, rule_action_name(r->action), where,
			       r->text);
		else
			printf("%12s %14s  %-6s %-20s %s\n", "-", "-", rule_action_name(r->action),
			       where, r->text);
	}
	if (egress_rules && !li && !o.json)
		printf("(egress counters: the interface's part of the nftables table is MISSING; 'untrack attach' puts it back, from zero)\n");
	if (o.json) {
		printf("], \"runtime\": {");
		for (unsigned i = 0; i < UT_RT_NR; i++)
			printf("%s\"%s\": %llu", i ? ", " : "", rt_names[i],
			       (unsigned long long)rt_sum[i]);
		printf("}, \"packets\": %llu, \"egress_counters\": %s}\n",
		       (unsigned long long)packets_seen,
		       !egress_rules ? "\"none\""
		       : li	     ? "\"ok\""
				     : "\"missing\"");
	} else {
		printf("runtime (since attach):\n");
		for (unsigned i = 0; i < UT_RT_NR; i++)
			printf("%12llu  %s\n", (unsigned long long)rt_sum[i], rt_names[i]);
		printf("%12llu  packets seen (the sum of non_ip, no_policy, no_match, passed, accepted, dropped, decide_failed)\n",
		       (unsigned long long)packets_seen);
	}
	status = UT_EXIT_OK;
cleanup:
	free(rc);
	if (rules_fd >= 0)
		close(rules_fd);
	if (rt_fd >= 0)
		close(rt_fd);
	if (state_fd >= 0)
		close(state_fd);
	nft_live_free(&live);
	objmeta_free(&meta);
	close(lock);
	return status;
}
