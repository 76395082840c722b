/* untrack replay POLICY.o CAPTURE [--json] [--repeat N]: every packet of a
 * capture through the real pipeline (main → policy → accept/drop) with
 * BPF_PROG_TEST_RUN, nothing attached anywhere. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
/* pcap.h would bring classic BPF's struct bpf_insn, which clashes with eBPF's. */
#define PCAP_DONT_INCLUDE_PCAP_BPF_H
#include <pcap/pcap.h>
#include <pcap/dlt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "commands.h"
#include "json_out.h"
#include "objfmt/json_text.h"
#include "objload.h"
#include "untrack_abi.h"

struct replay_opts {
	const char *policy, *capture;
	bool json;
	unsigned long repeat; /* 0: run each packet once, report no timing */
};

struct verdict {
	const char *verdict; /* allow, deny, pass, none */
	bool drop, untracked;
	__u32 rule;
	__u32 ns;
};

static void usage(FILE *out)
{
	fputs("Usage: untrack replay POLICY.o CAPTURE [--json] [--repeat N]\n"
	      "Run every packet of a pcap or pcapng capture through the untrack pipeline in the\n"
	      "kernel (BPF_PROG_TEST_RUN; attaches nothing) and print each verdict.\n"
	      "\n"
	      "      --json        one JSON object per packet\n"
	      "      --repeat N    run each packet N times and report the mean ns per run\n"
	      "  -h, --help        show this help\n",
	      out);
}

static int parse(int argc, char **argv, struct replay_opts *o)
{
	static const struct option longopts[] = {
		{"json", no_argument, NULL, 'j'},
		{"repeat", required_argument, NULL, 'r'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			o->json = true;
			break;
		case 'r': {
			char *end;
			errno = 0;
			o->repeat = strtoul(optarg, &end, 10);
			if (errno || *end || !*optarg || *optarg == '-' || o->repeat == 0 ||
			    o->repeat > UINT32_MAX) {
				ut_error("--repeat needs a whole number from 1 to %u, not '%s'",
					 UINT32_MAX, optarg);
				return -EINVAL;
			}
			break;
		}
		case 'h':
			usage(stdout);
			exit(UT_EXIT_OK);
		case ':':
			ut_error("option '%s' needs an argument", argv[optind - 1]);
			return -EINVAL;
		default:
			ut_error("unknown option '%s' for replay", argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (argc - optind != 2) {
		ut_error("replay needs a policy object and a capture file");
		return -EINVAL;
	}
	o->policy = argv[optind];
	o->capture = argv[optind + 1];
	return 0;
}

static int reset_state(const struct pipeline *pl, int ncpus)
{
	struct ut_state *vals = calloc((size_t)ncpus, sizeof(*vals));
	__u32 zero = 0;
	int ret;

	if (!vals)
		return -ENOMEM;
	for (int i = 0; i < ncpus; i++)
		vals[i].rule = UT_RULE_NONE;
	ret = bpf_map_update_elem(pl->state_fd, &zero, vals, BPF_ANY) ? -errno : 0;
	free(vals);
	return ret;
}

static int read_state(const struct pipeline *pl, int ncpus, int cpu, struct ut_state *out)
{
	struct ut_state *vals = calloc((size_t)ncpus, sizeof(*vals));
	__u32 zero = 0;
	int ret;

	if (!vals)
		return -ENOMEM;
	ret = bpf_map_lookup_elem(pl->state_fd, &zero, vals) ? -errno : 0;
	if (!ret)
		*out = vals[cpu];
	free(vals);
	return ret;
}

static int run_packet(const struct pipeline *pl, int ncpus, int cpu, const struct replay_opts *o,
		      const unsigned char *pkt, __u32 len, struct verdict *v)
{
	/* Room for the frame plus the metadata accept may prepend. */
	unsigned char out[65536 + 256];
	struct xdp_md ctx_in = {.data = 0, .data_meta = 0, .data_end = len}, ctx_out = {0};
	struct ut_state st;
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = pkt, .data_size_in = len, .data_out = out,
		    .data_size_out = sizeof(out), .ctx_in = &ctx_in, .ctx_size_in = sizeof(ctx_in),
		    .ctx_out = &ctx_out, .ctx_size_out = sizeof(ctx_out),
		    .repeat = o->repeat ? (int)o->repeat : 1);
	int err = reset_state(pl, ncpus);

	if (err)
		return err;
	if (bpf_prog_test_run_opts(pl->main_fd, &opts))
		return -errno;
	err = read_state(pl, ncpus, cpu, &st);
	if (err)
		return err;

	memset(v, 0, sizeof(*v));
	v->ns = opts.duration;
	v->drop = opts.retval == XDP_DROP;
	__u32 meta_len = ctx_out.data - ctx_out.data_meta;
	if (meta_len >= sizeof(__u32) && meta_len <= opts.data_size_out) {
		__u32 flag;
		/* the output starts at data_meta, where accept puts its flag */
		memcpy(&flag, out, sizeof(flag));
		v->untracked = flag == UT_META_MAGIC;
	}
	v->rule = st.rule;
	if (st.rule == UT_RULE_NONE || st.rule >= pl->meta.nrules) {
		v->rule = UT_RULE_NONE;
		v->verdict = "none";
	} else {
		v->verdict = rule_action_name(pl->meta.rules[st.rule].action);
		if (strcmp(v->verdict, "log") == 0) /* cannot decide: the runtime is broken */
			v->verdict = "none";
	}
	return 0;
}

static void print_packet_text(const struct pipeline *pl, const struct replay_opts *o,
			      unsigned long n, const struct verdict *v)
{
	const struct objmeta_rule *r = v->rule != UT_RULE_NONE ? &pl->meta.rules[v->rule] : NULL;

	printf("packet %lu: %-5s xdp=%s%s", n, v->verdict, v->drop ? "drop" : "pass",
	       v->untracked ? " untracked" : "");
	if (r)
		printf("  %s:%d  %s", pl->meta.policies[r->policy].name, r->line, r->text);
	if (o->repeat)
		printf("  %u ns", v->ns);
	putchar('\n');
}

static json_t *packet_json(const struct pipeline *pl, const struct replay_opts *o, unsigned long n,
			   const struct verdict *v)
{
	const struct objmeta_rule *r = v->rule != UT_RULE_NONE ? &pl->meta.rules[v->rule] : NULL;
	json_t *rule = r ? json_pack("{s:o, s:i}", "policy",
				     json_text(pl->meta.policies[r->policy].name), "line", r->line)
			 : json_null();
	json_t *j = json_pack("{s:I, s:s, s:s, s:b, s:o}", "packet", (json_int_t)n, "verdict",
			      v->verdict, "xdp", v->drop ? "drop" : "pass", "untracked",
			      v->untracked, "rule", rule);

	if (j && o->repeat && json_object_set_new(j, "ns", json_integer(v->ns))) {
		json_decref(j);
		return NULL;
	}
	return j;
}

/* The rule counters after the run (text only). */
static void print_summary(const struct pipeline *pl, int ncpus)
{
	struct ut_rule_counter *vals = calloc((size_t)ncpus, sizeof(*vals));

	if (!vals) {
		ut_error("out of memory reading the rule counters of %d CPUs", ncpus);
		return;
	}
	printf("\nrule hits:\n");
	for (__u32 id = 0; id < pl->meta.nrules; id++) {
		const struct objmeta_rule *r = &pl->meta.rules[id];
		__u64 packets = 0, bytes = 0;
		if (r->dir != DIR_INGRESS)
			continue;
		if (bpf_map_lookup_elem(pl->rule_stats_fd, &id, vals) == 0) {
			for (int c = 0; c < ncpus; c++) {
				packets += vals[c].packets;
				bytes += vals[c].bytes;
			}
		}
		printf("  %8llu pkts %10llu bytes  %s:%d  %s\n", (unsigned long long)packets,
		       (unsigned long long)bytes, pl->meta.policies[r->policy].name, r->line,
		       r->text);
	}
	free(vals);
}

/* The capture, checked before the kernel is touched: bad input costs
 * nothing. */
static int open_capture(const char *path, pcap_t **pcap, char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE];
	const char *type;

	*pcap = pcap_open_offline(path, perr);
	if (!*pcap)
		return ut_fail(-EINVAL, err, errlen, "cannot read capture '%s': %s", path, perr);
	if (pcap_datalink(*pcap) == DLT_EN10MB)
		return 0;
	type = pcap_datalink_val_to_name(pcap_datalink(*pcap));
	pcap_close(*pcap);
	*pcap = NULL;
	return ut_fail(-EINVAL, err, errlen,
		       "capture '%s' has link type %s; untrack replays Ethernet captures only",
		       path, type ? type : "unknown");
}

/* Every packet of the capture through the pipeline, each verdict printed
 * as it comes. */
static int replay_capture(const struct pipeline *pl, pcap_t *pcap, const struct replay_opts *o,
			  int ncpus, int cpu, char *err, size_t errlen)
{
	struct pcap_pkthdr *hdr;
	const unsigned char *data;
	unsigned long n = 0;
	int rc, ret;

	while ((rc = pcap_next_ex(pcap, &hdr, &data)) == 1) {
		struct verdict v;
		n++;
		if (hdr->caplen < 14 || hdr->caplen > 65535)
			return ut_fail(
				-EINVAL, err, errlen,
				"capture '%s': packet %lu has %u bytes; the kernel test run needs 14 to 65535",
				o->capture, n, hdr->caplen);
		ret = run_packet(pl, ncpus, cpu, o, data, hdr->caplen, &v);
		if (ret)
			return ut_fail(ret, err, errlen, "test run of packet %lu failed: %s", n,
				       strerror(-ret));
		if (!o->json)
			print_packet_text(pl, o, n, &v);
		else if ((ret = ut_json_print(packet_json(pl, o, n, &v), "a verdict", err, errlen)))
			return ret;
	}
	if (rc == PCAP_ERROR)
		return ut_fail(-EIO, err, errlen, "capture '%s' is damaged after packet %lu: %s",
			       o->capture, n, pcap_geterr(pcap));
	return 0;
}

int cmd_replay(int argc, char **argv)
{
	struct replay_opts o = {0};
	struct pipeline pl;
	char err[1024];
	pcap_t *pcap = NULL;
	int ret, ncpus, cpu;

	if (parse(argc, argv, &o))
		return UT_EXIT_USAGE;
	ret = open_capture(o.capture, &pcap, err, sizeof(err));
	if (ret) {
		ut_error("%s", err);
		return UT_EXIT_FAIL;
	}
	ret = pipeline_load(&pl, o.policy, err, sizeof(err));
	if (ret) {
		ut_error("%s", err);
		pcap_close(pcap);
		return UT_EXIT_FAIL;
	}
	ncpus = libbpf_num_possible_cpus();
	cpu = pipeline_pin_cpu();
	if (ncpus <= 0 || cpu < 0)
		ret = ut_fail(cpu < 0 ? cpu : ncpus, err, sizeof(err),
			      "cannot pin to one CPU for the test runs: %s",
			      strerror(cpu < 0 ? -cpu : -ncpus));
	if (!ret)
		ret = replay_capture(&pl, pcap, &o, ncpus, cpu, err, sizeof(err));
	if (ret)
		ut_error("%s", err);
	else if (!o.json)
		print_summary(&pl, ncpus);
	pipeline_close(&pl);
	pcap_close(pcap);
	return ret ? UT_EXIT_FAIL : UT_EXIT_OK;
}
