/* untrack_accept: the end of an `allow` decision. Flags the packet in the
 * XDP metadata so that untrack_tc_ingress can mark the skb for nftables'
 * notrack rule; the packet itself goes on to the stack unchanged. */
#include "untrack_abi.h"

SEC("xdp")
int untrack_accept(struct xdp_md *ctx)
{
	void *data, *meta;

	/* Failing to flag is not a reason to drop: the packet is then merely
	 * tracked, as if no rule had matched. */
	if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(__u32)) < 0)
		goto no_meta;
	data = (void *)(long)ctx->data;
	meta = (void *)(long)ctx->data_meta;
	if (meta + sizeof(__u32) > data)
		goto no_meta;
	*(__u32 *)meta = UT_META_MAGIC;
	ut_rt_count(UT_RT_ACCEPTED);
	return XDP_PASS;

no_meta:
	ut_rt_count(UT_RT_META_FAILED);
	ut_rt_count(UT_RT_ACCEPTED);
	return XDP_PASS;
}
