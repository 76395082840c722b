/* The decision half of the chain: accept's metadata flag, drop, pass, the
 * counters each outcome moves, what happens when a program is missing from
 * ut_jmp, and rate-limited log events. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "objfmt/addr.h"
#include "ir/ir.h"
#include "ktests.h"
#include "ref/pkt.h"
#include "ref/pktbuild.h"

static size_t udp_frame(uint8_t *buf, size_t cap, uint8_t family, int dport)
{
	struct flow fl;

	flow_init(&fl);
	fl.family = family;
	fl.proto = IPPROTO_NUM_UDP;
	if (family == FAM_V4) {
		inet_pton(AF_INET, "10.1.2.3", fl.src);
		inet_pton(AF_INET, "10.3.2.1", fl.dst);
	} else {
		inet_pton(AF_INET6, "fd00::1", fl.src);
		inet_pton(AF_INET6, "fd00::2", fl.dst);
	}
	fl.sport = 5353;
	fl.dport = dport;
	fl.payload_len = 10;
	return pktbuild_frame(&fl, buf, cap);
}

static int need_runtime(struct kt *t, struct kctx *k)
{
	if (!k->loaded)
		kt_skip(t, "the runtime is not loaded (needs root and BPF)");
	return k->loaded;
}

/* Run and return the counter deltas. */
static int run_counted(struct kt *t, struct rt *rt, const void *meta, uint32_t meta_len,
		       const uint8_t *frame, size_t len, struct rt_run *run, uint64_t d[UT_RT_NR])
{
	uint64_t before[UT_RT_NR], after[UT_RT_NR];
	int err;

	err = rt_counters_read(rt, before);
	if (!err)
		err = rt_run_xdp_meta(rt->main_fd, meta, meta_len, frame, len, 1, run);
	if (!err)
		err = rt_counters_read(rt, after);
	if (err) {
		kt_fail(t, __FILE__, __LINE__, "test run: %s", strerror(-err));
		return err;
	}
	for (int i = 0; i < UT_RT_NR; i++)
		d[i] = after[i] - before[i];
	return 0;
}

/* Only the listed counters moved, each by one. */
static void expect_counters(struct kt *t, const char *what, const uint64_t d[UT_RT_NR],
			    const int *moved, size_t n)
{
	for (int i = 0; i < UT_RT_NR; i++) {
		uint64_t want = 0;

		for (size_t j = 0; j < n; j++)
			if (moved[j] == i)
				want = 1;
		KT_CHECK(t, d[i] == want, "%s: counter %d moved by %" PRIu64 ", want %" PRIu64,
			 what, i, d[i], want);
	}
}

void case_verdicts(struct kt *t, void *arg)
{
	struct kctx *k = arg;
	struct rt *rt = &k->rt;
	uint8_t frame[256];
	struct rt_run run;
	uint64_t d[UT_RT_NR];

	if (!need_runtime(t, k))
		return;
	for (uint8_t fam = FAM_V4; fam <= FAM_V6; fam++) {
		for (int dport = 1; dport <= 5; dport++) {
			struct probe_verdict v = probe_expect(dport);
			struct ut_rule_counter rc0 = {0}, rc1 = {0};
			size_t len = udp_frame(frame, sizeof(frame), fam, dport);
			uint32_t magic;
			struct ut_state st;
			char what[32];

			snprintf(what, sizeof(what), "v%d dport %d", fam == FAM_V4 ? 4 : 6, dport);
			if (v.rule != UT_RULE_NONE)
				rt_rule_counter_read(rt, v.rule, &rc0);
			if (run_counted(t, rt, NULL, 0, frame, len, &run, d))
				return;
			KT_CHECK(t, run.retval == v.retval, "%s: verdict %u", what, run.retval);
			if (v.outcome == UT_RT_ACCEPTED) {
				/* The flag sits right before the packet. */
				memcpy(&magic, run.out, sizeof(magic));
				KT_CHECK(t, run.meta_len == 4 && magic == UT_META_MAGIC,
					 "%s: metadata %u bytes, %#x", what, run.meta_len, magic);
			} else {
				KT_CHECK(t, run.meta_len == 0, "%s: metadata %u bytes", what,
					 run.meta_len);
			}
			KT_CHECK(t,
				 run.out_len == len + run.meta_len &&
					 !memcmp(run.out + run.meta_len, frame, len),
				 "%s: the packet was changed", what);
			if (!v.logs) {
				int moved[] = {(int)v.outcome};

				expect_counters(t, what, d, moved, 1);
			}
			rt_state_read(rt, &st);
			KT_CHECK(t, st.rule == v.rule, "%s: state rule %u, want %u", what, st.rule,
				 v.rule);
			if (v.rule != UT_RULE_NONE) {
				rt_rule_counter_read(rt, v.rule, &rc1);
				KT_CHECK(t,
					 rc1.packets == rc0.packets + 1 &&
						 rc1.bytes == rc0.bytes + len,
					 "%s: rule %u counted %" PRIu64 "/%" PRIu64 " -> %" PRIu64
					 "/%" PRIu64,
					 what, v.rule, (uint64_t)rc0.packets, (uint64_t)rc0.bytes,
					 (uint64_t)rc1.packets, (uint64_t)rc1.bytes);
			}
		}
	}
}

void case_failures(struct kt *t, void *arg)
{
	struct kctx *k = arg;
	struct rt *rt = &k->rt;
	uint8_t frame[256], meta[252];
	struct rt_run run;
	uint64_t d[UT_RT_NR];
	size_t len;

	if (!need_runtime(t, k))
		return;

	/* No policy loaded: pass, untouched. */
	len = udp_frame(frame, sizeof(frame), FAM_V4, 2);
	if (rt_set_slot(rt, UT_SLOT_POLICY, -1) == 0 &&
	    run_counted(t, rt, NULL, 0, frame, len, &run, d) == 0) {
		int moved[] = {UT_RT_NO_POLICY};

		KT_CHECK(t, run.retval == XDP_PASS, "no policy: verdict %u", run.retval);
		expect_counters(t, "no policy", d, moved, 1);
	}
	KT_CHECK(t, rt_set_slot(rt, UT_SLOT_POLICY, rt->policy_fd) == 0, "restoring the policy");

	/* No accept program: the packet stays tracked. */
	len = udp_frame(frame, sizeof(frame), FAM_V6, 1);
	if (rt_set_slot(rt, UT_SLOT_ACCEPT, -1) == 0 &&
	    run_counted(t, rt, NULL, 0, frame, len, &run, d) == 0) {
		int moved[] = {UT_RT_DECIDE_FAILED};

		KT_CHECK(t, run.retval == XDP_PASS && run.meta_len == 0,
			 "no accept: verdict %u, %u bytes of metadata", run.retval, run.meta_len);
		expect_counters(t, "no accept", d, moved, 1);
	}
	KT_CHECK(t, rt_set_slot(rt, UT_SLOT_ACCEPT, rt->accept_fd) == 0, "restoring accept");

	/* No drop program: the deny still drops. */
	len = udp_frame(frame, sizeof(frame), FAM_V4, 2);
	if (rt_set_slot(rt, UT_SLOT_DROP, -1) == 0 &&
	    run_counted(t, rt, NULL, 0, frame, len, &run, d) == 0) {
		int moved[] = {UT_RT_DECIDE_FAILED};

		KT_CHECK(t, run.retval == XDP_DROP, "no drop: verdict %u", run.retval);
		expect_counters(t, "no drop", d, moved, 1);
	}
	KT_CHECK(t, rt_set_slot(rt, UT_SLOT_DROP, rt->drop_fd) == 0, "restoring drop");

	/* The metadata area is full: accept cannot flag, passes, and says so.
	 * Full is the most a test run takes: 32 bytes on older kernels, all
	 * the headroom left beside struct xdp_frame (216 bytes) on newer. */
	memset(meta, 0x77, sizeof(meta));
	len = udp_frame(frame, sizeof(frame), FAM_V4, 1);
	for (uint32_t full = sizeof(meta); full >= 4; full -= 4) {
		int moved[] = {UT_RT_ACCEPTED, UT_RT_META_FAILED};

		if (rt_run_xdp_meta(rt->main_fd, meta, full, frame, len, 1, &run) == -EINVAL)
			continue; /* more than this kernel takes */
		if (run_counted(t, rt, meta, full, frame, len, &run, d))
			break;
		KT_CHECK(t,
			 run.retval == XDP_PASS && run.meta_len == full &&
				 !memcmp(run.out, meta, full),
			 "full metadata: verdict %u, %u bytes of metadata", run.retval,
			 run.meta_len);
		expect_counters(t, "full metadata", d, moved, 2);
		break;
	}

	/* Metadata from an earlier XDP program stays behind the flag. */
	len = udp_frame(frame, sizeof(frame), FAM_V4, 1);
	if (run_counted(t, rt, meta, 8, frame, len, &run, d) == 0) {
		uint32_t magic;

		memcpy(&magic, run.out, sizeof(magic));
		KT_CHECK(t,
			 run.meta_len == 12 && magic == UT_META_MAGIC &&
				 !memcmp(run.out + 4, meta, 8),
			 "earlier metadata: %u bytes, flag %#x", run.meta_len, magic);
	}
}

struct log_seen {
	unsigned events, bad;
	uint64_t last_ts;
	struct pkt_fields want;
	size_t len;
};

static int on_event(void *ctx, void *data, size_t size)
{
	struct log_seen *s = ctx;
	const struct ut_log_event *e = data;
	const struct pkt_fields *w = &s->want;
	const struct ut_state *p = &e->pkt;

	s->events++;
	if (size < sizeof(*e) || e->rule != 0 || e->ifindex != 1 || e->ts_ns < s->last_ts ||
	    p->family != w->family || p->has != w->has || p->proto != w->proto ||
	    p->sport != w->sport || p->dport != w->dport || p->pkt_len != w->len ||
	    memcmp(p->src, w->src, 16) || memcmp(p->dst, w->dst, 16))
		s->bad++;
	s->last_ts = e->ts_ns;
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void case_log_events(struct kt *t, void *arg)
{
	enum { SENT = 300 };
	struct kctx *k = arg;
	struct rt *rt = &k->rt;
	struct log_seen seen = {0};
	struct ring_buffer *rb;
	uint64_t before[UT_RT_NR], after[UT_RT_NR];
	struct ut_rule_counter rc0, rc1;
	uint8_t frame[256];
	struct rt_run run;
	double start, elapsed;
	uint64_t emitted, suppressed, lost, allowed;

	if (!need_runtime(t, k))
		return;
	rb = ring_buffer__new(rt->events_fd, on_event, &seen, NULL);
	if (!rb) {
		kt_fail(t, __FILE__, __LINE__, "ring_buffer__new: %s", strerror(errno));
		return;
	}
	/* Forget events of earlier cases, and let the bucket fill up. */
	ring_buffer__consume(rb);
	seen.events = seen.bad = 0;
	usleep(1100 * 1000);

	seen.len = udp_frame(frame, sizeof(frame), FAM_V6, 4);
	pkt_parse(frame, seen.len, &seen.want);
	rt_counters_read(rt, before);
	rt_rule_counter_read(rt, 0, &rc0);
	start = now_s();
	for (int i = 0; i < SENT; i++) {
		if (rt_run_xdp(rt->main_fd, frame, seen.len, 1, &run) || run.retval != XDP_PASS) {
			kt_fail(t, __FILE__, __LINE__, "test run %d failed", i);
			break;
		}
	}
	elapsed = now_s() - start;
	rt_counters_read(rt, after);
	rt_rule_counter_read(rt, 0, &rc1);
	ring_buffer__consume(rb);

	emitted = after[UT_RT_LOG_EMITTED] - before[UT_RT_LOG_EMITTED];
	suppressed = after[UT_RT_LOG_SUPPRESSED] - before[UT_RT_LOG_SUPPRESSED];
	lost = after[UT_RT_LOG_LOST] - before[UT_RT_LOG_LOST];
	/* A full bucket, plus what refilled while the frames went through. */
	allowed = UT_LOG_BURST + (uint64_t)(elapsed * UT_LOG_RATE) + 1;
	printf("      %d logged packets in %.3f s: %" PRIu64 " events, %" PRIu64 " suppressed\n",
	       SENT, elapsed, emitted, suppressed);
	KT_CHECK(t, emitted + suppressed + lost == SENT,
		 "events %" PRIu64 " + %" PRIu64 " + %" PRIu64, emitted, suppressed, lost);
	KT_CHECK(t, lost == 0, "%" PRIu64 " events lost", lost);
	KT_CHECK(t, emitted >= UT_LOG_BURST && emitted <= allowed,
		 "%" PRIu64 " events, want %d..%" PRIu64, emitted, UT_LOG_BURST, allowed);
	KT_CHECK(t, seen.events == emitted, "read %u events, counted %" PRIu64, seen.events,
		 emitted);
	KT_CHECK(t, seen.bad == 0, "%u events differ from the packet", seen.bad);
	KT_CHECK(t, rc1.packets - rc0.packets == SENT, "log rule counted %" PRIu64 " packets",
		 (uint64_t)(rc1.packets - rc0.packets));
	ring_buffer__free(rb);
}
