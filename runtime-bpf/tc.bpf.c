/* untrack_tc_ingress: carries untrack_accept's verdict from XDP into the
 * skb. XDP cannot set skb->mark (there is no skb yet), but the metadata in
 * front of the packet survives into the skb as data_meta. */
#include <linux/pkt_cls.h>

#include "untrack_abi.h"

/* Load-time settable (see UT_MARK_SECTION in untrack_abi.h). */
const volatile struct ut_mark_config ut_mark SEC(UT_MARK_SECTION) = {
	.value = UT_MARK_VALUE,
	.mask = UT_MARK_MASK,
};

SEC("tc")
int untrack_tc_ingress(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *meta = (void *)(long)skb->data_meta;

	/* bpf_xdp_adjust_meta() grows the area at its front, so as the last
	 * XDP writer untrack_accept's flag is the first 4 bytes; metadata of
	 * programs that ran before it may follow up to skb->data. */
	if (meta + sizeof(__u32) > data)
		return TC_ACT_UNSPEC;
	if (*(__u32 *)meta != UT_META_MAGIC)
		return TC_ACT_UNSPEC;
	skb->mark = (skb->mark & ~ut_mark.mask) | ut_mark.value;
	ut_rt_count(UT_RT_TC_MARKED);
	/* UNSPEC, not OK: let any later TC program run as if we were not
	 * there. */
	return TC_ACT_UNSPEC;
}
