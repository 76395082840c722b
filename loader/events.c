/* untrack events IFACE [--json] [--count N]: the packets `log` rules
 * record, read from the pinned ring buffer ut_events, one line each, until
 * SIGINT or SIGTERM (or N events). Rule ids are turned into policy, line and
 * rule text through the recorded metadata, which is read again when a
 * replace changed it. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "commands.h"
#include "objfmt/vocab.h"
#include "objfmt/objmeta.h"
#include "state.h"
#include "untrack_abi.h"

#define ERRLEN 1024

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

struct reader {
	struct ut_where w;
	struct objmeta meta;
	unsigned long generation;
	bool json;
	unsigned long count, seen;
	long long mono_to_real_ns; /* CLOCK_REALTIME - CLOCK_MONOTONIC */
};

static long long clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* (Re)read the metadata when the policy changed since the last look. */
static int refresh_meta(struct reader *r, char *err, size_t errlen)
{
	struct ut_info info;
	struct objmeta meta;
	int lock, ret;

	lock = ut_lock(false, err, errlen);
	if (lock < 0)
		return lock;
	ret = ut_info_read(&r->w, &info, err, errlen);
	if (!ret && info.generation != r->generation) {
		ret = ut_state_load(&r->w, &info, &meta, err, errlen);
		if (!ret) {
			objmeta_free(&r->meta);
			r->meta = meta;
			r->generation = info.generation;
		}
	}
	close(lock);
	return ret;
}

static const char *event_proto_name(__u8 proto, __u8 family)
{
	if (proto == 1 && family == UT_FAM_V4)
		return "icmp";
	if (proto == 58 && family == UT_FAM_V6)
		return "icmpv6";
	return proto_name(proto);
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct reader *r = ctx;
	const struct ut_log_event *e = data;
	const struct ut_state *p;
	const struct objmeta_rule *rule = NULL;
	const char *pol = "?", *proto;
	char src[INET6_ADDRSTRLEN] = "", dst[INET6_ADDRSTRLEN] = "", when[64], ifname[IF_NAMESIZE];
	char protobuf[16];
	long long real_ns;
	time_t secs;
	struct tm tm;
	int af;

	/* A batch may hold more than --count asked for. */
	if (size < sizeof(*e) || (r->count && r->seen >= r->count))
		return 0;
	p = &e->pkt;
	if (e->rule < r->meta.nrules) {
		rule = &r->meta.rules[e->rule];
		if (rule->policy < r->meta.npolicies)
			pol = r->meta.policies[rule->policy].name;
	}
	af = p->family == UT_FAM_V6 ? AF_INET6 : AF_INET;
	if (p->has & UT_HAS_SRC)
		inet_ntop(af, p->src, src, sizeof(src));
	if (p->has & UT_HAS_DST)
		inet_ntop(af, p->dst, dst, sizeof(dst));
	proto = event_proto_name(p->proto, p->family);
	if (!proto) {
		snprintf(protobuf, sizeof(protobuf), "proto %u", p->proto);
		proto = protobuf;
	}
	if (!if_indextoname(e->ifindex, ifname))
		snprintf(ifname, sizeof(ifname), "if%u", e->ifindex);
	real_ns = (long long)e->ts_ns + r->mono_to_real_ns;
	secs = (time_t)(real_ns / 1000000000LL);
	if (!localtime_r(&secs, &tm) || !strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm))
		snprintf(when, sizeof(when), "-");

	if (r->json) {
		printf("{\"time\": \"%s.%06lld\", \"ts_ns\": %llu, \"ifname\": ", when,
		       (real_ns % 1000000000LL) / 1000, (unsigned long long)e->ts_ns);
		ut_json_string(stdout, ifname);
		printf(", \"rule\": %u, \"policy\": ", e->rule);
		ut_json_string(stdout, pol);
		printf(", \"line\": %d, \"text\": ", rule ? rule->line : 0);
		ut_json_string(stdout, rule ? rule->text : "");
		printf(", \"family\": \"%s\"", p->family == UT_FAM_V6 ? "ipv6" : "ipv4");
		if (p->has & UT_HAS_PROTO)
			printf(", \"proto\": %u, \"proto_name\": \"%s\"", p->proto, proto);
		else
			printf(", \"proto\": null");
		printf(", \"src\": \"%s\", \"dst\": \"%s\"", src, dst);
		if (p->has & UT_HAS_SPORT)
			printf(", \"sport\": %u", p->sport);
		if (p->has & UT_HAS_DPORT)
			printf(", \"dport\": %u", p->dport);
		if (p->has & UT_HAS_TYPE)
			printf(", \"icmp_type\": %u", p->icmp_type);
		if (p->has & UT_HAS_CODE)
			printf(", \"icmp_code\": %u", p->icmp_code);
		printf(", \"fragment\": %s, \"len\": %u}\n",
		       p->nonfirst_fragment ? "true" : "false", p->pkt_len);
	} else {
		printf("%s.%06lld %s %s:%d: %s", when, (real_ns % 1000000000LL) / 1000, ifname, pol,
		       rule ? rule->line : 0, (p->has & UT_HAS_PROTO) ? proto : "?");
		printf(" %s", src[0] ? src : "?");
		if (p->has & UT_HAS_SPORT)
			printf(" port %u", p->sport);
		printf(" -> %s", dst[0] ? dst : "?");
		if (p->has & UT_HAS_DPORT)
			printf(" port %u", p->dport);
		if (p->has & UT_HAS_TYPE)
			printf(" type %u", p->icmp_type);
		if (p->has & UT_HAS_CODE)
			printf(" code %u", p->icmp_code);
		if (p->nonfirst_fragment)
			printf(" fragment");
		printf(" len %u  [%s]\n", p->pkt_len, rule ? rule->text : "rule not in the policy");
	}
	r->seen++;
	if (r->count && r->seen >= r->count)
		stop = 1;
	return 0;
}

int cmd_events(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"json", no_argument, NULL, 'j'},
		{"count", required_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct reader r = {0};
	struct ring_buffer *rb = NULL;
	struct sigaction sa = {0};
	char err[ERRLEN], path[PATH_MAX];
	int c, fd = -1, ret, status = UT_EXIT_FAIL;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hjn:", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			r.json = true;
			break;
		case 'n': {
			char *end;
			errno = 0;
			r.count = strtoul(optarg, &end, 10);
			if (errno || *end || !*optarg || *optarg == '-' || r.count == 0) {
				ut_error("--count needs a positive whole number, not '%s'", optarg);
				return UT_EXIT_USAGE;
			}
			break;
		}
		case 'h':
			fputs("Usage: untrack events IFACE [--json] [--count N]\n"
			      "Print the packets the policy's 'log' rules record on IFACE, one line each,\n"
			      "until interrupted (SIGINT, SIGTERM) or N events. Events are rate-limited\n"
			      "in the kernel (see 'untrack stats': log_suppressed, log_lost).\n",
			      stdout);
			return UT_EXIT_OK;
		case ':':
			ut_error("option '%s' needs an argument", argv[optind - 1]);
			return UT_EXIT_USAGE;
		default:
			ut_error("unknown option '%s' for events", argv[optind - 1]);
			return UT_EXIT_USAGE;
		}
	}
	if (argc - optind != 1) {
		ut_error("events needs an interface");
		return UT_EXIT_USAGE;
	}
	if (ut_where_init(&r.w, argv[optind], err, sizeof(err))) {
		ut_error("%s", err);
		return UT_EXIT_FAIL;
	}
	if (ut_need_privileges("events"))
		return UT_EXIT_FAIL;
	if (!ut_where_attached(&r.w)) {
		ut_error("untrack is not attached to %s", r.w.ifname);
		return UT_EXIT_FAIL;
	}
	if (refresh_meta(&r, err, sizeof(err))) {
		ut_error("%s", err);
		goto cleanup;
	}
	if (ut_path(path, sizeof(path), r.w.pin_dir, "ut_events")) {
		ut_error("pin path too long");
		goto cleanup;
	}
	fd = bpf_obj_get(path);
	if (fd < 0) {
		ut_error("cannot open %s: %s", path, strerror(errno));
		goto cleanup;
	}
	rb = ring_buffer__new(fd, on_event, &r, NULL);
	if (!rb) {
		ut_error("cannot read the event ring buffer: %s", strerror(errno));
		goto cleanup;
	}
	r.mono_to_real_ns = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* Lines go out as they come, also into a pipe. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (!stop) {
		ret = ring_buffer__poll(rb, 250);
		if (ret < 0 && ret != -EINTR) {
			ut_error("reading events: %s", strerror(-ret));
			goto cleanup;
		}
		if (!ut_where_attached(&r.w)) {
			ut_note("untrack was detached from %s", r.w.ifname);
			break;
		}
		if (refresh_meta(&r, err, sizeof(err))) {
			ut_error("%s", err);
			goto cleanup;
		}
	}
	status = UT_EXIT_OK;
cleanup:
	ring_buffer__free(rb);
	if (fd >= 0)
		close(fd);
	objmeta_free(&r.meta);
	return status;
}
