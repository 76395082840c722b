/* Someone else's programs: an XDP program and a TC filter that pass
 * everything. The end-to-end tests put them on an interface to check that
 * untrack refuses to replace the XDP program without --force, and that it
 * leaves the filter (and its qdisc) in place. */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("xdp")
int other_xdp(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_PASS;
}

SEC("tc")
int other_tc(struct __sk_buff *skb)
{
	(void)skb;
	return TC_ACT_UNSPEC;
}
