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
#include "json_out.h"
#include "objfmt/json_text.h"
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
	const char *ifname;
	struct ut_where w;
	struct objmeta meta;
	unsigned long generation;
	bool json;
	unsigned long count, seen;
	bool failed;		   /* an event could not be printed */
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

/* One event as both formats show it. */
struct event_view {
	const struct ut_log_event *e;
	const struct ut_state *p;
	const struct objmeta_rule *rule; /* NULL: not in the policy */
	const char *pol, *proto;
	char when[64]; /* local time, to the second */
	long long usec;
	char ifname[IF_NAMESIZE];
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	char protobuf[16];
};

static void decode_event(const struct reader *r, const struct ut_log_event *e, struct event_view *v)
{
	const struct ut_state *p = &e->pkt;
	long long real_ns = (long long)e->ts_ns + r->mono_to_real_ns;
	time_t secs = (time_t)(real_ns / 1000000000LL);
	struct tm tm;
	int af = p->family == UT_FAM_V6 ? AF_INET6 : AF_INET;

	memset(v, 0, sizeof(*v));
	v->e = e;
	v->p = p;
	v->pol = "?";
	if (e->rule < r->meta.nrules) {
		v->rule = &r->meta.rules[e->rule];
		if (v->rule->policy < r->meta.npolicies)
			v->pol = r->meta.policies[v->rule->policy].name;
	}
	if (p->has & UT_HAS_SRC)
		inet_ntop(af, p->src, v->src, sizeof(v->src));
	if (p->has & UT_HAS_DST)
		inet_ntop(af, p->dst, v->dst, sizeof(v->dst));
	v->proto = event_proto_name(p->proto, p->family);
	if (!v->proto) {
		snprintf(v->protobuf, sizeof(v->protobuf), "proto %u", p->proto);
		v->proto = v->protobuf;
	}
	if (!if_indextoname(e->ifindex, v->ifname))
		snprintf(v->ifname, sizeof(v->ifname), "if%u", e->ifindex);
	v->usec = (real_ns % 1000000000LL) / 1000;
	if (!localtime_r(&secs, &tm) ||
	    !strftime(v->when, sizeof(v->when), "%Y-%m-%dT%H:%M:%S", &tm))
		snprintf(v->when, sizeof(v->when), "-");
}

static void print_event_text(const struct event_view *v)
{
	const struct ut_state *p = v->p;

	printf("%s.%06lld %s %s:%d: %s", v->when, v->usec, v->ifname, v->pol,
	       v->rule ? v->rule->line : 0, (p->has & UT_HAS_PROTO) ? v->proto : "?");
	printf(" %s", v->src[0] ? v->src : "?");
	if (p->has & UT_HAS_SPORT)
		printf(" port %u", p->sport);
	printf(" -> %s", v->dst[0] ? v->dst : "?");
	if (p->has & UT_HAS_DPORT)
		printf(" port %u", p->dport);
	if (p->has & UT_HAS_TYPE)
		printf(" type %u", p->icmp_type);
	if (p->has & UT_HAS_CODE)
		printf(" code %u", p->icmp_code);
	if (p->nonfirst_fragment)
		printf(" fragment");
	if (p->has & UT_HAS_INCOMPLETE)
		printf(" incomplete");
	printf(" len %u  [%s]\n", p->pkt_len, v->rule ? v->rule->text : "rule not in the policy");
}

/* Set key to n when the packet has the field (flag). */
static int set_if(json_t *o, const struct ut_state *p, unsigned flag, const char *key, unsigned n)
{
	return (p->has & flag) ? json_object_set_new(o, key, json_integer(n)) : 0;
}

/* Family 0 is a frame with more VLAN tags than the runtime walks, which
 * only 'incomplete' rules see: it has none. */
static json_t *event_family(const struct ut_state *p)
{
	if (p->family == UT_FAM_V6)
		return json_string("ipv6");
	return p->family == UT_FAM_V4 ? json_string("ipv4") : json_null();
}

static json_t *event_json(const struct event_view *v)
{
	const struct ut_state *p = v->p;
	char time[96];
	json_t *o;

	snprintf(time, sizeof(time), "%s.%06lld", v->when, v->usec);
	o = json_pack("{s:s, s:o, s:o, s:I, s:o, s:i, s:o, s:o}", "time", time, "ts_ns",
		      ut_json_u64(v->e->ts_ns), "ifname", json_text(v->ifname), "rule",
		      (json_int_t)v->e->rule, "policy", json_text(v->pol), "line",
		      v->rule ? v->rule->line : 0, "text", json_text(v->rule ? v->rule->text : ""),
		      "family", event_family(p));
	if (!o)
		return NULL;
	if (((p->has & UT_HAS_PROTO)
		     ? json_object_set_new(o, "proto", json_integer(p->proto)) ||
			       json_object_set_new(o, "proto_name", json_text(v->proto))
		     : json_object_set_new(o, "proto", json_null())) ||
	    json_object_set_new(o, "src", json_text(v->src)) ||
	    json_object_set_new(o, "dst", json_text(v->dst)) ||
	    set_if(o, p, UT_HAS_SPORT, "sport", p->sport) ||
	    set_if(o, p, UT_HAS_DPORT, "dport", p->dport) ||
	    set_if(o, p, UT_HAS_TYPE, "icmp_type", p->icmp_type) ||
	    set_if(o, p, UT_HAS_CODE, "icmp_code", p->icmp_code) ||
	    json_object_set_new(o, "fragment", json_boolean(p->nonfirst_fragment)) ||
	    ((p->has & UT_HAS_INCOMPLETE) && json_object_set_new(o, "incomplete", json_true())) ||
	    json_object_set_new(o, "len", json_integer(p->pkt_len))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct reader *r = ctx;
	struct event_view v;
	char err[ERRLEN];

	/* A batch may hold more than --count asked for. */
	if (size < sizeof(struct ut_log_event) || (r->count && r->seen >= r->count) || r->failed)
		return 0;
	decode_event(r, data, &v);
	if (!r->json) {
		print_event_text(&v);
	} else if (ut_json_print(event_json(&v), "an event", err, sizeof(err))) {
		ut_error("%s", err);
		r->failed = true;
		stop = 1;
		return 0;
	}
	r->seen++;
	if (r->count && r->seen >= r->count)
		stop = 1;
	return 0;
}

/* The command line into r; --help prints the usage and exits. 0, or
 * -EINVAL after reporting a bad one. */
static int parse_events(int argc, char **argv, struct reader *r)
{
	static const struct option longopts[] = {
		{"json", no_argument, NULL, 'j'},
		{"count", required_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hjn:", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			r->json = true;
			break;
		case 'n': {
			char *end;
			errno = 0;
			r->count = strtoul(optarg, &end, 10);
			if (errno || *end || !*optarg || *optarg == '-' || r->count == 0) {
				ut_error("--count needs a positive whole number, not '%s'", optarg);
				return -EINVAL;
			}
			break;
		}
		case 'h':
			fputs("Usage: untrack events IFACE [--json] [--count N]\n"
			      "Print the packets the policy's 'log' rules record on IFACE, one line each,\n"
			      "until interrupted (SIGINT, SIGTERM) or N events. Events are rate-limited\n"
			      "in the kernel (see 'untrack stats': log_suppressed, log_lost).\n",
			      stdout);
			exit(UT_EXIT_OK);
		case ':':
			ut_error("option '%s' needs an argument", argv[optind - 1]);
			return -EINVAL;
		default:
			ut_error("unknown option '%s' for events", argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (argc - optind != 1) {
		ut_error("events needs an interface");
		return -EINVAL;
	}
	r->ifname = argv[optind];
	return 0;
}

/* The pinned ring buffer of r's interface, read into on_event(). */
static int open_ring(struct reader *r, int *fd, struct ring_buffer **rb, char *err, size_t errlen)
{
	char path[PATH_MAX];

	if (ut_path(path, sizeof(path), r->w.pin_dir, "ut_events"))
		return ut_fail(-ENAMETOOLONG, err, errlen, "pin path too long: %s/ut_events",
			       r->w.pin_dir);
	*fd = bpf_obj_get(path);
	if (*fd < 0)
		return ut_fail(-errno, err, errlen, "cannot open %s: %s", path, strerror(errno));
	*rb = ring_buffer__new(*fd, on_event, r, NULL);
	if (!*rb)
		return ut_fail(-errno, err, errlen, "cannot read the event ring buffer: %s",
			       strerror(errno));
	return 0;
}

/* Print events until a signal, --count, a detach or a failure. */
static int read_events(struct reader *r, struct ring_buffer *rb, char *err, size_t errlen)
{
	struct sigaction sa = {0};
	int ret;

	r->mono_to_real_ns = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* Lines go out as they come, also into a pipe. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (!stop) {
		ret = ring_buffer__poll(rb, 250);
		if (ret < 0 && ret != -EINTR)
			return ut_fail(ret, err, errlen, "reading events: %s", strerror(-ret));
		if (!ut_where_attached(&r->w)) {
			ut_note("untrack was detached from %s", r->w.ifname);
			break;
		}
		ret = refresh_meta(r, err, errlen);
		if (ret)
			return ret;
	}
	return r->failed ? -EIO : 0;
}

int cmd_events(int argc, char **argv)
{
	struct reader r = {0};
	struct ring_buffer *rb = NULL;
	char err[ERRLEN];
	int fd = -1, ret;

	if (parse_events(argc, argv, &r))
		return UT_EXIT_USAGE;
	if (ut_where_init(&r.w, r.ifname, err, sizeof(err))) {
		ut_error("%s", err);
		return UT_EXIT_FAIL;
	}
	if (ut_need_privileges("events"))
		return UT_EXIT_FAIL;
	if (!ut_where_attached(&r.w)) {
		ut_error("untrack is not attached to %s", r.w.ifname);
		return UT_EXIT_FAIL;
	}
	ret = refresh_meta(&r, err, sizeof(err));
	if (!ret)
		ret = open_ring(&r, &fd, &rb, err, sizeof(err));
	if (!ret)
		ret = read_events(&r, rb, err, sizeof(err));
	/* An event that could not be printed was reported as it happened. */
	if (ret && !r.failed)
		ut_error("%s", err);
	ring_buffer__free(rb);
	if (fd >= 0)
		close(fd);
	objmeta_free(&r.meta);
	return ret ? UT_EXIT_FAIL : UT_EXIT_OK;
}
