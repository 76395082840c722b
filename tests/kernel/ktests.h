/* The kernel test cases, grouped by file, and what they share. */
#ifndef UNTRACK_KTESTS_H
#define UNTRACK_KTESTS_H

#include <stdbool.h>
#include <stdint.h>

#include "frames.h"
#include "kt.h"
#include "rt.h"

struct kctx {
	struct rt rt;
	bool loaded; /* rt is usable; otherwise every kernel case skips */
	const char *runtime_path, *probe_path, *mark_probe_path;
	uint64_t seed;
	unsigned random_frames;
};

/* What probe_policy (tests/kernel/bpf/probe_policy.bpf.c) decides for a
 * packet with this destination port (dport < 0: not readable). */
struct probe_verdict {
	uint32_t rule;	  /* UT_RULE_NONE when no rule decided */
	uint32_t outcome; /* UT_RT_NO_MATCH, _PASSED, _ACCEPTED or _DROPPED */
	uint32_t retval;  /* XDP action of the chain */
	bool logs;	  /* rule 0 logged it */
};
struct probe_verdict probe_expect(int dport);

/* test_parse.c */
void case_parse_corpus(struct kt *t, void *arg);
void case_parse_random(struct kt *t, void *arg);

/* test_verdicts.c */
void case_verdicts(struct kt *t, void *arg);
void case_failures(struct kt *t, void *arg);
void case_log_events(struct kt *t, void *arg);

/* test_tc.c */
void case_tc_test_run(struct kt *t, void *arg);
void case_tc_veth(struct kt *t, void *arg);

/* bench.c */
int bench_run(struct kctx *k);

#endif
