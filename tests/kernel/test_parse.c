/* untrack_main against the reference parser (compiler/ref/pkt.c pkt_parse):
 * every crafted frame, every truncation of it, and seeded random frames
 * with mutations must give the same packet view, field by field. */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <linux/bpf.h>

#include "objfmt/addr.h"
#include "ktests.h"
#include "ref/pkt.h"

/* One ABI, two definitions: the runtime's numbers must be pkt.h's. */
_Static_assert(UT_HAS_PROTO == PKT_HAS_PROTO && UT_HAS_SRC == PKT_HAS_SRC &&
		       UT_HAS_DST == PKT_HAS_DST && UT_HAS_SPORT == PKT_HAS_SPORT &&
		       UT_HAS_DPORT == PKT_HAS_DPORT && UT_HAS_TYPE == PKT_HAS_TYPE &&
		       UT_HAS_CODE == PKT_HAS_CODE && UT_HAS_INCOMPLETE == PKT_HAS_INCOMPLETE,
	       "UT_HAS_* must equal PKT_HAS_*");
_Static_assert(UT_FAM_V4 == FAM_V4 && UT_FAM_V6 == FAM_V6, "UT_FAM_* must equal FAM_*");
_Static_assert(UT_MAX_VLAN == PKT_MAX_VLAN, "VLAN depth differs from pkt.h");

#define POISON	 0xa5
#define ETH_HLEN 14

struct probe_verdict probe_expect(int dport)
{
	struct probe_verdict v = {UT_RULE_NONE, UT_RT_NO_MATCH, XDP_PASS, false};

	switch (dport) {
	case 4:
		v.logs = true;
		/* fall through */
	case 1:
		v.rule = 1;
		v.outcome = UT_RT_ACCEPTED;
		break;
	case 2:
		v.rule = 2;
		v.outcome = UT_RT_DROPPED;
		v.retval = XDP_DROP;
		break;
	case 3:
		v.rule = 3;
		v.outcome = UT_RT_PASSED;
		break;
	}
	return v;
}

static void hex(char *out, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

/* Compare what main wrote with pkt_parse's view. Returns mismatches. */
static int compare_state(struct kt *t, const char *name, size_t len, const struct pkt_fields *w,
			 const struct ut_state *g, uint32_t rule)
{
	char a[33], b[33];
	int bad = 0;

#define FIELD(gf, wf)                                                                              \
	do {                                                                                       \
		if ((uint64_t)(gf) != (uint64_t)(wf)) {                                            \
			kt_fail(t, __FILE__, __LINE__,                                             \
				"%s len %zu: %s = %" PRIu64 ", want %" PRIu64, name, len, #gf,     \
				(uint64_t)(gf), (uint64_t)(wf));                                   \
			bad++;                                                                     \
		}                                                                                  \
	} while (0)
	FIELD(g->family, w->family);
	FIELD(g->has, w->has);
	FIELD(g->proto, w->proto);
	FIELD(g->nonfirst_fragment, w->nonfirst_fragment);
	FIELD(g->sport, w->sport);
	FIELD(g->dport, w->dport);
	FIELD(g->icmp_type, w->icmp_type);
	FIELD(g->icmp_code, w->icmp_code);
	FIELD(g->pkt_len, w->len);
	FIELD(g->rule, rule);
#undef FIELD
	if (memcmp(g->src, w->src, 16) || memcmp(g->dst, w->dst, 16)) {
		hex(a, g->src, 16);
		hex(b, w->src, 16);
		kt_fail(t, __FILE__, __LINE__, "%s len %zu: src %s want %s", name, len, a, b);
		hex(a, g->dst, 16);
		hex(b, w->dst, 16);
		kt_fail(t, __FILE__, __LINE__, "%s len %zu: dst %s want %s", name, len, a, b);
		bad++;
	}
	return bad;
}

/* Run one frame through main -> probe_policy and check everything it can
 * be checked on. trunc: whether UT_RT_TRUNCATED must count; -2: unknown,
 * -1: do not read the runtime counters at all (for speed). */
static int check_frame(struct kt *t, struct rt *rt, const uint8_t *frame, size_t len,
		       const char *name, int trunc)
{
	uint64_t before[UT_RT_NR], after[UT_RT_NR];
	struct probe_verdict v;
	struct pkt_fields want;
	struct ut_state got;
	struct rt_run run;
	int err, bad = 0;

	pkt_parse(frame, len, &want);
	if (rt_state_poison(rt, POISON) || (trunc != -1 && rt_counters_read(rt, before))) {
		kt_fail(t, __FILE__, __LINE__, "map access failed: %s", strerror(errno));
		return 1;
	}
	err = rt_run_xdp(rt->main_fd, frame, len, 1, &run);
	if (len < ETH_HLEN) {
		/* BPF_PROG_TEST_RUN refuses runts; no driver delivers one. */
		KT_CHECK(t, err == -EINVAL, "%s len %zu: test run gave %d", name, len, err);
		return err != -EINVAL;
	}
	if (err) {
		kt_fail(t, __FILE__, __LINE__, "%s len %zu: test run: %s", name, len,
			strerror(-err));
		return 1;
	}
	if (rt_state_read(rt, &got)) {
		kt_fail(t, __FILE__, __LINE__, "reading ut_state: %s", strerror(errno));
		return 1;
	}

	if (want.family == 0 && !want.has) {
		struct ut_state poison;

		/* Not IP: no policy, and the state is not even written. */
		memset(&poison, POISON, sizeof(poison));
		v = probe_expect(-1);
		v.outcome = UT_RT_NON_IP;
		if (memcmp(&got, &poison, offsetof(struct ut_state, no_match))) {
			kt_fail(t, __FILE__, __LINE__, "%s len %zu: non-IP frame wrote ut_state",
				name, len);
			bad++;
		}
	} else {
		v = probe_expect(want.has & PKT_HAS_DPORT ? want.dport : -1);
		bad += compare_state(t, name, len, &want, &got, v.rule);
	}
	if (run.retval != v.retval) {
		kt_fail(t, __FILE__, __LINE__, "%s len %zu: verdict %u, want %u", name, len,
			run.retval, v.retval);
		bad++;
	}
	if (run.meta_len != (v.outcome == UT_RT_ACCEPTED ? sizeof(uint32_t) : 0) ||
	    run.out_len != len + run.meta_len || memcmp(run.out + run.meta_len, frame, len)) {
		kt_fail(t, __FILE__, __LINE__, "%s len %zu: output %u bytes, %u of metadata", name,
			len, run.out_len, run.meta_len);
		bad++;
	}
	if (trunc == -1)
		return bad;

	if (rt_counters_read(rt, after)) {
		kt_fail(t, __FILE__, __LINE__, "reading ut_rt_stats: %s", strerror(errno));
		return bad + 1;
	}
	for (int i = 0; i < UT_RT_NR; i++) {
		uint64_t d = after[i] - before[i], w = 0;

		if (i == (int)v.outcome)
			w = 1;
		else if (i == UT_RT_TRUNCATED)
			w = !want.family ? 0 : trunc >= 0 ? (uint64_t)trunc : d <= 1 ? d : 1;
		else if (i == UT_RT_UNLOCATABLE)
			/* Not derivable from the packet view; only plausible. */
			w = (want.family || want.has) && d <= 1 ? d : 0;
		else if (i == UT_RT_LOG_EMITTED || i == UT_RT_LOG_SUPPRESSED)
			w = v.logs ? d : 0; /* checked as a sum below */
		if (d != w) {
			kt_fail(t, __FILE__, __LINE__,
				"%s len %zu: counter %d moved by %" PRIu64 ", want %" PRIu64, name,
				len, i, d, w);
			bad++;
		}
	}
	if (v.logs && after[UT_RT_LOG_EMITTED] + after[UT_RT_LOG_SUPPRESSED] !=
			      before[UT_RT_LOG_EMITTED] + before[UT_RT_LOG_SUPPRESSED] + 1) {
		kt_fail(t, __FILE__, __LINE__, "%s len %zu: log counters did not move", name, len);
		bad++;
	}
	return bad;
}

static int need_runtime(struct kt *t, struct kctx *k)
{
	if (!k->loaded)
		kt_skip(t, "the runtime is not loaded (needs root and BPF)");
	return k->loaded;
}

void case_parse_corpus(struct kt *t, void *arg)
{
	struct kctx *k = arg;
	struct corpus c;
	size_t runs = 0;
	int mismatched = 0;

	if (!need_runtime(t, k))
		return;
	if (corpus_build(&c)) {
		kt_fail(t, __FILE__, __LINE__, "cannot build the frame corpus");
		return;
	}
	for (size_t i = 0; i < c.n; i++) {
		const struct frame *f = &c.v[i];
		struct pkt_fields full;

		pkt_parse(f->data, f->len, &full);
		/* The whole frame, then every shorter prefix of it. A prefix
		 * counts as truncated exactly when it lost a readable field
		 * (becoming incomplete is not a field). */
		for (size_t len = f->len + 1; len-- > 0;) {
			struct pkt_fields part;
			int trunc;

			pkt_parse(f->data, len, &part);
			if (f->trunc == TRUNC_UNCHECKED)
				trunc = -2;
			else if (f->trunc == TRUNC_ALWAYS)
				trunc = 1;
			else
				trunc = (part.has & ~PKT_HAS_INCOMPLETE) !=
					(full.has & ~PKT_HAS_INCOMPLETE);
			mismatched += check_frame(t, &k->rt, f->data, len, f->name, trunc) != 0;
			runs++;
		}
	}
	printf("      %zu frames, %zu runs, %d mismatched\n", c.n, runs, mismatched);
	corpus_free(&c);
}

void case_parse_random(struct kt *t, void *arg)
{
	struct kctx *k = arg;
	struct rng r = {k->seed ? k->seed : 1};
	uint8_t buf[FRAME_MAX];
	char name[64];
	struct corpus c;
	size_t runs = 0;
	int mismatched = 0;

	if (!need_runtime(t, k))
		return;
	if (corpus_build(&c)) {
		kt_fail(t, __FILE__, __LINE__, "cannot build the frame corpus");
		return;
	}
	for (unsigned i = 0; i < k->random_frames; i++) {
		size_t len;

		/* Half structured random stacks, half mutated corpus frames. */
		if (i % 2) {
			len = frame_random(&r, buf, sizeof(buf));
		} else {
			const struct frame *f = &c.v[rng_below(&r, (uint32_t)c.n)];

			len = f->len < 512 ? f->len : 512;
			memcpy(buf, f->data, len);
		}
		frame_mutate(&r, buf, len);
		snprintf(name, sizeof(name), "random #%u (seed %" PRIu64 ")", i, k->seed);
		mismatched += check_frame(t, &k->rt, buf, len, name, -1) != 0;
		/* And one random truncation of it. */
		if (len > ETH_HLEN) {
			size_t cut = ETH_HLEN + rng_below(&r, (uint32_t)(len - ETH_HLEN));

			mismatched += check_frame(t, &k->rt, buf, cut, name, -1) != 0;
			runs++;
		}
		runs++;
	}
	printf("      %zu runs (seed %" PRIu64 "), %d mismatched\n", runs, k->seed, mismatched);
	corpus_free(&c);
}
