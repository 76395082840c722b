/* Anchor programs for `make bench`: the floor every figure is read against.
 *
 *   xdp_drop    return XDP_DROP, nothing else: the test-run harness's own cost
 *   parse_only  parse Ethernet / IPv4 or IPv6 / TCP or UDP ports and write a
 *               per-CPU state, no decision: what any filter pays before its
 *               first lookup */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

char _license[] SEC("license") = "Dual BSD/GPL";

struct anchor_state {
	__u32 family, proto, ports, pad;
	__u64 src[2], dst[2];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct anchor_state);
} anchor_state SEC(".maps");

SEC("xdp")
int xdp_drop(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_DROP;
}

SEC("xdp")
int parse_only(struct xdp_md *ctx)
{
	const __u8 *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	const __u8 *l4;
	struct anchor_state *st;
	__u32 zero = 0;
	__u16 proto;

	if (data + ETH_HLEN > end)
		return XDP_PASS;
	st = bpf_map_lookup_elem(&anchor_state, &zero);
	if (!st)
		return XDP_PASS;
	proto = *(__u16 *)(data + 12);
	if (proto == bpf_htons(ETH_P_IP)) {
		const __u8 *ip = data + ETH_HLEN;
		if (ip + 20 > end)
			return XDP_PASS;
		st->family = 1;
		st->proto = ip[9];
		st->src[0] = *(__u32 *)(ip + 12);
		st->dst[0] = *(__u32 *)(ip + 16);
		l4 = ip + (ip[0] & 0xf) * 4;
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		const __u8 *ip6 = data + ETH_HLEN;
		if (ip6 + 40 > end)
			return XDP_PASS;
		st->family = 2;
		st->proto = ip6[6];
		st->src[0] = *(__u64 *)(ip6 + 8);
		st->src[1] = *(__u64 *)(ip6 + 16);
		st->dst[0] = *(__u64 *)(ip6 + 24);
		st->dst[1] = *(__u64 *)(ip6 + 32);
		l4 = ip6 + 40;
	} else {
		return XDP_PASS;
	}
	if ((st->proto == IPPROTO_TCP || st->proto == IPPROTO_UDP) && l4 + 4 <= end)
		st->ports = *(__u32 *)l4;
	return XDP_PASS;
}
