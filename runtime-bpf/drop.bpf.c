/* untrack_drop: the end of a `deny` decision. A program of its own (rather
 * than XDP_DROP in the policy) so that the runtime counts every outcome and
 * a later version can add drop-side work without regenerating policies. */
#include "untrack_abi.h"

SEC("xdp")
int untrack_drop(struct xdp_md *ctx)
{
	(void)ctx;
	ut_rt_count(UT_RT_DROPPED);
	return XDP_DROP;
}
