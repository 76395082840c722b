/* untrack stats IFACE [--json]: what the policy counted, per rule (ingress
 * rules in XDP, egress rules in nftables), and the runtime's counters.
 * Everything is read first (gather_stats), so that a failure prints no half
 * a table, then shown as text or JSON. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "commands.h"
#include "json_out.h"
#include "nft.h"
#include "objfmt/json_text.h"
#include "objfmt/objmeta.h"
#include "objload.h"
#include "show.h"
#include "state.h"
#include "untrack_abi.h"

#define ERRLEN 1024

struct rule_count {
	bool counted; /* false: an egress rule whose nftables counter is missing */
	__u64 packets, bytes;
};

struct stats_report {
	struct ut_where w;
	struct ut_info info;
	struct objmeta meta;
	struct rule_count *rules; /* one per rule of meta */
	__u64 rt[UT_RT_NR];
	__u64 packets_seen; /* the sum of the outcome counters */
	size_t egress_rules;
	bool egress_missing; /* the interface's part of the table is not there */
};

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

/* Open a pinned map of the interface: its fd, or -errno. */
static int pinned_map(const struct ut_where *w, const char *name, char *err, size_t errlen)
{
	char path[PATH_MAX];
	int fd;

	if (ut_path(path, sizeof(path), w->pin_dir, name))
		return ut_fail(-ENAMETOOLONG, err, errlen, "pin path too long: %s/%s", w->pin_dir,
			       name);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return ut_fail(-errno, err, errlen, "cannot open %.200s/%s: %s", w->pin_dir, name,
			       strerror(errno));
	return fd;
}

/* The ingress rules' counters, summed over CPUs, from ut_rule_stats. */
static int read_ingress(const struct ut_where *w, struct stats_report *r, char *err, size_t errlen)
{
	int ncpus = libbpf_num_possible_cpus(), fd;
	struct ut_rule_counter *rc;
	int ret = 0;

	if (ncpus <= 0)
		return ut_fail(ncpus, err, errlen, "cannot count the CPUs: %s", strerror(-ncpus));
	fd = pinned_map(w, UT_POLICY_DIR "/" UT_RULE_STATS_MAP, err, errlen);
	if (fd < 0)
		return fd;
	rc = calloc((size_t)ncpus, sizeof(*rc));
	if (!rc) {
		close(fd);
		return ut_fail(-ENOMEM, err, errlen,
			       "out of memory reading the counters of %d CPUs", ncpus);
	}
	for (__u32 id = 0; id < r->meta.nrules && !ret; id++) {
		if (r->meta.rules[id].dir != DIR_INGRESS)
			continue;
		if (bpf_map_lookup_elem(fd, &id, rc)) {
			ret = ut_fail(-errno, err, errlen,
				      "cannot read the counters of rule %u: %s", id,
				      strerror(errno));
			break;
		}
		r->rules[id].counted = true;
		for (int c = 0; c < ncpus; c++) {
			r->rules[id].packets += rc[c].packets;
			r->rules[id].bytes += rc[c].bytes;
		}
	}
	free(rc);
	close(fd);
	return ret;
}

/* The runtime counters, and the packets seen. */
static int read_runtime(const struct ut_where *w, struct stats_report *r, char *err, size_t errlen)
{
	int rt_fd = pinned_map(w, "ut_rt_stats", err, errlen), state_fd = -1, ret;

	if (rt_fd < 0)
		return rt_fd;
	state_fd = pinned_map(w, "ut_state", err, errlen);
	ret = state_fd < 0 ? state_fd : pipeline_rt_counters(rt_fd, state_fd, r->rt, err, errlen);
	for (__u32 i = 0; !ret && i < UT_RT_NR; i++)
		if (rt_is_outcome(i))
			r->packets_seen += r->rt[i];
	close(rt_fd);
	if (state_fd >= 0)
		close(state_fd);
	return ret;
}

/* The egress rules count in the table's named counters PREFIXrID. Without
 * the table they show as missing: the XDP counters are still worth
 * showing. */
static void read_egress(struct stats_report *r)
{
	const struct nft_live_iface *li;
	struct nft_live live = {0};
	char err[ERRLEN];

	for (size_t i = 0; i < r->meta.nrules; i++)
		r->egress_rules += r->meta.rules[i].dir == DIR_EGRESS;
	if (!r->egress_rules)
		return;
	if (nft_live_read(&live, err, sizeof(err)))
		ut_note("%s", err);
	li = nft_live_find(&live, r->w.ifname);
	r->egress_missing = !li;
	for (__u32 id = 0; li && id < r->meta.nrules; id++) {
		const struct nft_counter *c = nft_counter_find(li->counters, li->ncounters, id);
		if (r->meta.rules[id].dir != DIR_EGRESS || !c)
			continue;
		r->rules[id] = (struct rule_count){
			.counted = true, .packets = c->packets, .bytes = c->bytes};
	}
	nft_live_free(&live);
}

static void stats_free(struct stats_report *r)
{
	free(r->rules);
	r->rules = NULL;
	objmeta_free(&r->meta);
}

static int gather_stats(const struct ut_where *w, struct stats_report *r, char *err, size_t errlen)
{
	int ret;

	memset(r, 0, sizeof(*r));
	r->w = *w;
	ret = ut_state_load(w, &r->info, &r->meta, err, errlen);
	if (ret)
		goto fail;
	r->rules = calloc(r->meta.nrules ? r->meta.nrules : 1, sizeof(*r->rules));
	if (!r->rules) {
		ret = ut_fail(-ENOMEM, err, errlen, "out of memory counting %zu rules",
			      r->meta.nrules);
		goto fail;
	}
	ret = read_ingress(w, r, err, errlen);
	if (!ret)
		ret = read_runtime(w, r, err, errlen);
	if (ret)
		goto fail;
	read_egress(r);
	return 0;
fail:
	stats_free(r);
	return ret;
}

static const char *policy_of(const struct objmeta *meta, const struct objmeta_rule *rule)
{
	return rule->policy < meta->npolicies ? meta->policies[rule->policy].name : "?";
}

static void print_stats_text(const struct stats_report *r)
{
	char when[64];

	format_time(r->info.replaced, when, sizeof(when));
	printf("%s: %s (%s), rule counters since %s\n", r->w.ifname, r->info.policy,
	       r->meta.source ? r->meta.source : "-", when);
	printf("%12s %14s  %-6s %-20s %s\n", "packets", "bytes", "action", "where", "rule");
	for (size_t id = 0; id < r->meta.nrules; id++) {
		const struct objmeta_rule *rule = &r->meta.rules[id];
		const struct rule_count *c = &r->rules[id];
		char where[300];

		snprintf(where, sizeof(where), "%s:%d", policy_of(&r->meta, rule), rule->line);
		if (c->counted)
			printf("%12llu %14llu  %-6s %-20s %s\n", (unsigned long long)c->packets,
			       (unsigned long long)c->bytes, rule_action_name(rule->action), where,
			       rule->text);
		else
			printf("%12s %14s  %-6s %-20s %s\n", "-", "-",
			       rule_action_name(rule->action), where, rule->text);
	}
	if (r->egress_missing)
		printf("(egress counters: the interface's part of the nftables table is MISSING; 'untrack attach' puts it back, from zero)\n");
	printf("runtime (since attach):\n");
	for (unsigned i = 0; i < UT_RT_NR; i++)
		printf("%12llu  %s\n", (unsigned long long)r->rt[i], rt_names[i]);
	printf("%12llu  packets seen (the sum of non_ip, no_policy, no_match, passed, accepted, dropped, decide_failed)\n",
	       (unsigned long long)r->packets_seen);
}

static json_t *rule_json(const struct stats_report *r, size_t id)
{
	const struct objmeta_rule *rule = &r->meta.rules[id];
	const struct rule_count *c = &r->rules[id];
	bool ingress = rule->dir == DIR_INGRESS;

	return json_pack("{s:I, s:o, s:i, s:i, s:s, s:s, s:s, s:o, s:o, s:o}", "id", (json_int_t)id,
			 "policy", json_text(policy_of(&r->meta, rule)), "line", rule->line,
			 "column", rule->column, "direction", ingress ? "ingress" : "egress",
			 "action", rule_action_name(rule->action), "counted_in",
			 ingress ? "xdp" : "nftables", "text", json_text(rule->text), "packets",
			 c->counted ? ut_json_u64(c->packets) : json_null(), "bytes",
			 c->counted ? ut_json_u64(c->bytes) : json_null());
}

static json_t *stats_json(const struct stats_report *r)
{
	json_t *rules = json_array(), *rt = json_object();

	for (size_t id = 0; rules && id < r->meta.nrules; id++)
		if (json_array_append_new(rules, rule_json(r, id)))
			goto oom;
	for (unsigned i = 0; rt && i < UT_RT_NR; i++)
		if (json_object_set_new(rt, rt_names[i], ut_json_u64(r->rt[i])))
			goto oom;
	return json_pack("{s:o, s:o, s:o, s:I, s:o, s:o, s:o, s:s}", "ifname",
			 json_text(r->w.ifname), "policy", json_text(r->info.policy), "source",
			 json_text(r->meta.source ? r->meta.source : ""), "since",
			 (json_int_t)r->info.replaced, "rules", rules, "runtime", rt, "packets",
			 ut_json_u64(r->packets_seen), "egress_counters",
			 !r->egress_rules    ? "none"
			 : r->egress_missing ? "missing"
					     : "ok");
oom:
	json_decref(rules);
	json_decref(rt);
	return NULL;
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
	struct stats_report r;
	struct show_opts o;
	struct ut_where w;
	char err[ERRLEN];
	int lock, ret;

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
	ret = gather_stats(&w, &r, err, sizeof(err));
	close(lock);
	if (ret) {
		ut_error("%s", err);
		return UT_EXIT_FAIL;
	}
	if (o.json)
		ret = ut_json_print(stats_json(&r), w.ifname, err, sizeof(err));
	else
		print_stats_text(&r);
	stats_free(&r);
	if (ret) {
		ut_error("%s", err);
		return UT_EXIT_FAIL;
	}
	return UT_EXIT_OK;
}
