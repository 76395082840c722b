/* A hand-written stand-in for a generated policy: it uses the ABI exactly as
 * untrackc's output must (one ut_decide() epilogue reached by goto, its own
 * ut_rule_stats), with verdicts the kernel tests can steer from the frame.
 *
 * Rules, by destination port when it is readable:
 *   0: log (dport 4)   1: allow (dport 1, 4)   2: deny (dport 2)
 *   3: pass (dport 3)  anything else: no match */
#include "untrack_abi.h"

char probe_license[] SEC("license") = "Dual BSD/GPL";

UT_DEFINE_RULE_STATS(4);

SEC("xdp")
int probe_policy(struct xdp_md *ctx)
{
	__u32 verdict = UT_VERDICT_NONE, rule = UT_RULE_NONE;
	struct ut_state *st = ut_state_get();

	if (!st)
		return XDP_PASS;
	if (!(st->has & UT_HAS_DPORT))
		goto decide;
	switch (st->dport) {
	case 4:
		ut_rule_count(&ut_rule_stats, 0, st);
		ut_log_emit(ctx, st, 0);
		/* fall through */
	case 1:
		verdict = UT_VERDICT_ACCEPT;
		rule = 1;
		goto decide;
	case 2:
		verdict = UT_VERDICT_DROP;
		rule = 2;
		goto decide;
	case 3:
		verdict = UT_VERDICT_PASS;
		rule = 3;
		goto decide;
	}
decide:
	return ut_decide(ctx, st, &ut_rule_stats, verdict, rule);
}

/* The cheapest possible policy, for measuring the runtime alone. */
SEC("xdp")
int stub_policy(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_PASS;
}

/* Not part of any chain: the cost of BPF_PROG_TEST_RUN itself. */
SEC("xdp")
int baseline_pass(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_PASS;
}
