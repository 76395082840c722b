/* Attached after untrack_tc_ingress in the end-to-end TC test: records the
 * skb mark the runtime left, keyed by the UDP destination port's low byte,
 * so the test can tell which injected frame got which mark. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

char mark_probe_license[] SEC("license") = "Dual BSD/GPL";

struct mark_seen {
	__u32 mark;  /* of the last frame */
	__u32 count; /* frames seen */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, struct mark_seen);
} marks SEC(".maps");

SEC("tc")
int mark_probe(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);
	struct udphdr *udp = (void *)(ip + 1);
	struct mark_seen *m;
	__u32 key;

	if ((void *)(udp + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP) ||
	    ip->protocol != IPPROTO_UDP || ip->ihl != 5)
		return TC_ACT_UNSPEC;
	key = bpf_ntohs(udp->dest) & 0xff;
	m = bpf_map_lookup_elem(&marks, &key);
	if (m) {
		m->mark = skb->mark;
		__sync_fetch_and_add(&m->count, 1);
	}
	/* The test's frames end here, before the stack sees them. */
	return TC_ACT_SHOT;
}
