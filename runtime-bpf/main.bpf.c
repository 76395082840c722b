/* untrack_main: the XDP entry point. Parses the frame into the per-CPU
 * struct ut_state exactly as compiler/ref/pkt.h defines the packet view, then
 * tail-calls the policy.
 *
 * This runs for every packet, so it has two parsers. parse_fast takes the
 * common frame (untagged, IPv4 without options or fragmentation or IPv6
 * without extension headers, carrying TCP, UDP or ICMP whose first bytes are
 * present) with one bounds check and straight stores. Everything else goes
 * to parse_slow, a function of its own, where every byte read is
 * bounds-checked on its own, so a short frame makes only the fields it cuts
 * off unreadable. The two
 * must agree byte for byte on every frame the fast path takes: the kernel
 * tests compare both against the reference parser. */
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <bpf/bpf_endian.h>

#include "untrack_abi.h"

/* The whole runtime object is under this license (one object, one string);
 * none of the helpers it calls is GPL-only. */
char ut_runtime_license[] SEC("license") = "Dual BSD/GPL";

#define IPV4_HLEN 20
#define IPV6_HLEN 40

/* IPv6 extension headers the walk steps over, as a bit set of Next Header
 * values (all are below 64). */
#define IPV6_EXT_SET                                                                               \
	((1ull << IPPROTO_HOPOPTS) | (1ull << IPPROTO_ROUTING) | (1ull << IPPROTO_FRAGMENT) |      \
	 (1ull << IPPROTO_AH) | (1ull << IPPROTO_DSTOPTS))

/* What the parse found besides the addresses, which go straight to the
 * state. Lives in registers once inlined. */
struct view {
	__u32 has;
	__u32 proto;
	__u32 nonfirst;
	__u32 ports; /* sport | dport << 16, host byte order */
	__u32 icmp;  /* type | code << 8 */
};

static __always_inline int ipv6_is_ext(__u32 nh)
{
	return nh < 64 && ((IPV6_EXT_SET >> nh) & 1);
}

static __always_inline int is_vlan_tpid(__u16 type)
{
	return type == bpf_htons(ETH_P_8021Q) || type == bpf_htons(ETH_P_8021AD);
}

static __always_inline void set_addr4(__u64 *dst, __u32 addr)
{
	/* One store clears bytes 4..7 too (the BPF target is little endian:
	 * the address's network-order bytes stay at offsets 0..3). */
	dst[0] = addr;
	dst[1] = 0;
}

/* Both ports, as loaded from the wire, to sport | dport << 16 in host
 * order: each 16-bit half byte-swapped in place (ntohl and a rotation would
 * take more instructions). */
static __always_inline __u64 ports_in_state_order(__u32 wire)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return ((wire & 0x00ff00ffu) << 8) | ((wire >> 8) & 0x00ff00ffu);
#else
	return wire >> 16 | wire << 16;
#endif
}

/* Ports or ICMP type/code of the L4 header at l4 (which may lie past the
 * end: every field is checked on its own). */
static __always_inline void parse_l4(struct view *v, const __u8 *l4, const __u8 *end,
				     __u32 icmp_proto)
{
	if (v->proto == IPPROTO_TCP || v->proto == IPPROTO_UDP || v->proto == IPPROTO_SCTP) {
		if (l4 + 4 <= end) {
			v->ports = ports_in_state_order(*(__u32 *)l4);
			v->has |= UT_HAS_SPORT | UT_HAS_DPORT;
			return;
		}
		ut_rt_count(UT_RT_TRUNCATED);
		if (l4 + 2 <= end) {
			v->ports = bpf_ntohs(*(__u16 *)l4);
			v->has |= UT_HAS_SPORT;
		}
	} else if (v->proto == icmp_proto) {
		if (l4 + 2 <= end) {
			v->icmp = *(__u16 *)l4; /* type, code: already in struct order */
			v->has |= UT_HAS_TYPE | UT_HAS_CODE;
			return;
		}
		ut_rt_count(UT_RT_TRUNCATED);
		if (l4 + 1 <= end) {
			v->icmp = l4[0];
			v->has |= UT_HAS_TYPE;
		}
	}
}

/* An IPv4 header the frame ends inside: whatever of protocol, source and
 * fragment offset it still holds. Incomplete: the header is cut. */
static __always_inline void parse_ipv4_short(struct ut_state *st, struct view *v, const __u8 *ip,
					     const __u8 *end)
{
	__u32 src = 0;

	ut_rt_count(UT_RT_TRUNCATED);
	v->has |= UT_HAS_INCOMPLETE;
	if (ip + 8 <= end && (*(__u16 *)(ip + 6) & bpf_htons(0x1fff)))
		v->nonfirst = 1;
	if (ip + 10 <= end) {
		v->proto = ip[9];
		v->has |= UT_HAS_PROTO;
	}
	if (ip + 16 <= end) {
		src = *(__u32 *)(ip + 12);
		v->has |= UT_HAS_SRC;
	}
	set_addr4(st->src64, src);
	set_addr4(st->dst64, 0);
}

static __always_inline void parse_ipv4(struct ut_state *st, struct view *v, const __u8 *ip,
				       const __u8 *end)
{
	__u32 ihl;

	if (ip + IPV4_HLEN > end) {
		parse_ipv4_short(st, v, ip, end);
		return;
	}
	v->has = UT_HAS_PROTO | UT_HAS_SRC | UT_HAS_DST;
	v->proto = ip[9];
	set_addr4(st->src64, *(__u32 *)(ip + 12));
	set_addr4(st->dst64, *(__u32 *)(ip + 16));
	/* The options must be in the frame too, whatever the fragment
	 * offset: the stack drops a header it cannot read whole. */
	ihl = ip[0] & 0xf;
	if (ihl < 5) {
		ut_rt_count(UT_RT_UNLOCATABLE);
		v->has |= UT_HAS_INCOMPLETE;
	} else if (ip + ihl * 4 > end) {
		v->has |= UT_HAS_INCOMPLETE;
	}
	if (*(__u16 *)(ip + 6) & bpf_htons(0x1fff)) {
		v->nonfirst = 1;
		return;
	}
	if (ihl < 5)
		return;
	parse_l4(v, ip + ihl * 4, end, IPPROTO_ICMP);
}

/* An IPv6 header the frame ends inside: the source address and a Next
 * Header that is not an extension header are all it can still hold.
 * Incomplete: the header is cut. */
static __always_inline void parse_ipv6_short(struct ut_state *st, struct view *v, const __u8 *ip6,
					     const __u8 *end)
{
	ut_rt_count(UT_RT_TRUNCATED);
	v->has |= UT_HAS_INCOMPLETE;
	if (ip6 + 7 <= end && !ipv6_is_ext(ip6[6])) {
		v->proto = ip6[6];
		v->has |= UT_HAS_PROTO;
	}
	if (ip6 + 24 <= end) {
		st->src64[0] = *(__u64 *)(ip6 + 8);
		st->src64[1] = *(__u64 *)(ip6 + 16);
		v->has |= UT_HAS_SRC;
	} else {
		st->src64[0] = 0;
		st->src64[1] = 0;
	}
	st->dst64[0] = 0;
	st->dst64[1] = 0;
}

/* The walk of an IPv6 extension header chain, one step per header: the
 * first EXT_INLINE steps inline, the rest (a chain that long is rare, or
 * an attack) in bpf_loop, whose callback the verifier checks once. Offsets
 * count from the start of the frame: a callback re-derives its packet
 * pointers from the context, the one pointer the verifier follows into
 * it. */
enum ext_end {
	EXT_WALKING,  /* nh is an extension header at off */
	EXT_FOUND,    /* nh is the protocol, its header at off */
	EXT_CUT,      /* the frame ends before nh's header can be read */
	EXT_NONFIRST, /* nh is the protocol of a non-first fragment */
};

struct ext_walk {
	struct xdp_md *ctx;
	__u32 off;
	__u32 nh;
	__u32 end;	  /* enum ext_end */
	__u32 incomplete; /* a header of the chain is not wholly in the frame */
};

/* The verifier bounds a frame to 0xffff bytes (MAX_PACKET_OFF), and marks
 * a pointer as checked against the end only while its largest offset plus
 * the bytes read stays within that: so the walk reads no header starting
 * past 0xffff - 4. A header there could not hold its 4 bytes (the
 * fragment header's Next Header and offset; ports) in such a frame anyway,
 * and only a frame of more than 65,532 bytes could have one at all. */
#define EXT_OFF_MAX (0xffff - 4)

/* Chains this short (most that occur: hop-by-hop, a fragment header, a
 * few options) cost no call. */
#define EXT_INLINE 4

/* One header: the fragment header is 8 bytes; AH counts its length in
 * 4-byte units less 2 (RFC 4302), the others in 8-byte units less 1 (RFC
 * 8200). A header needs its first two bytes (the fragment header four) to
 * be stepped over; all of it to be complete. Returns 1 when the walk has
 * ended. */
static __always_inline int ext_walk_one(struct ext_walk *w, const __u8 *data, const __u8 *end)
{
	const __u8 *cur;
	__u32 nh = w->nh, off = w->off, len;

	if (!ipv6_is_ext(nh)) {
		w->end = EXT_FOUND;
		return 1;
	}
	if (off > EXT_OFF_MAX)
		goto cut;
	cur = data + off;
	if (cur + 2 > end)
		goto cut;
	if (nh == IPPROTO_FRAGMENT)
		len = 8;
	else if (nh == IPPROTO_AH)
		len = ((__u32)cur[1] + 2) * 4;
	else
		len = ((__u32)cur[1] + 1) * 8;
	if (cur + len > end)
		w->incomplete = 1;
	if (nh == IPPROTO_FRAGMENT) {
		if (cur + 4 > end)
			goto cut_read;
		if (*(__u16 *)(cur + 2) & bpf_htons(0xfff8)) {
			/* A later fragment: its Next Header is the protocol,
			 * and nothing behind it is L4. */
			w->nh = cur[0];
			w->end = EXT_NONFIRST;
			return 1;
		}
	}
	w->nh = cur[0];
	w->off = off + len;
	return 0;
cut:
	w->incomplete = 1;
cut_read:
	w->end = EXT_CUT;
	return 1;
}

static long ext_step(__u32 i, void *arg)
{
	struct ext_walk *w = arg;

	(void)i;
	return ext_walk_one(w, (void *)(long)w->ctx->data, (void *)(long)w->ctx->data_end);
}

static __always_inline void parse_ipv6(struct ut_state *st, struct view *v, struct xdp_md *ctx,
				       const __u8 *ip6, const __u8 *end)
{
	const __u8 *data = (void *)(long)ctx->data;
	struct ext_walk w = {.ctx = ctx};
	__u32 room;

	if (ip6 + IPV6_HLEN > end) {
		parse_ipv6_short(st, v, ip6, end);
		return;
	}
	st->src64[0] = *(__u64 *)(ip6 + 8);
	st->src64[1] = *(__u64 *)(ip6 + 16);
	st->dst64[0] = *(__u64 *)(ip6 + 24);
	st->dst64[1] = *(__u64 *)(ip6 + 32);
	v->has = UT_HAS_SRC | UT_HAS_DST;
	w.nh = ip6[6];
	w.off = ip6 + IPV6_HLEN - data;
#pragma unroll
	for (int i = 0; i < EXT_INLINE; i++) {
		if (ext_walk_one(&w, data, end))
			goto walked;
	}
	/* Every header is at least 8 bytes, so the frame holds at most
	 * room / 8 more of them whole, plus one cut and one step that finds
	 * the protocol. */
	room = end - (ip6 + IPV6_HLEN);
	bpf_loop((room >> 3) + 2, ext_step, &w, 0);
walked:
	if (w.incomplete)
		v->has |= UT_HAS_INCOMPLETE;
	if (w.end == EXT_NONFIRST) {
		v->proto = w.nh;
		v->has |= UT_HAS_PROTO;
		v->nonfirst = 1;
		return;
	}
	if (w.end != EXT_FOUND) {
		ut_rt_count(UT_RT_TRUNCATED);
		return;
	}
	v->proto = w.nh;
	v->has |= UT_HAS_PROTO;
	if (w.off > EXT_OFF_MAX)
		return;
	parse_l4(v, data + w.off, end, IPPROTO_ICMPV6);
}

/* Every frame the fast path does not take: VLAN tags, IPv4 options and
 * fragments, IPv6 extension headers, truncated headers, non-IP. Returns 0
 * for a frame that is not IP. A function of its own, so that its registers
 * and stack do not weigh on the fast path. */
static __noinline int parse_slow(struct xdp_md *ctx, struct ut_state *st)
{
	const __u8 *data = (void *)(long)ctx->data;
	const __u8 *end = (void *)(long)ctx->data_end;
	struct view v = {0};
	__u64 *head = (__u64 *)st;
	const __u8 *l3;
	__u32 family;
	__u16 type;

	if (data + ETH_HLEN > end)
		return 0;
	type = *(__u16 *)(data + 12);
	l3 = data + ETH_HLEN;
	if (is_vlan_tpid(type)) {
#pragma unroll
		for (int i = 0; i < UT_MAX_VLAN; i++) {
			if (!is_vlan_tpid(type))
				break;
			if (l3 + 4 > end)
				return 0;
			type = *(__u16 *)(l3 + 2);
			l3 += 4;
		}
	}
	if (type == bpf_htons(ETH_P_IP)) {
		family = UT_FAM_V4;
		parse_ipv4(st, &v, l3, end);
	} else if (type == bpf_htons(ETH_P_IPV6)) {
		family = UT_FAM_V6;
		parse_ipv6(st, &v, ctx, l3, end);
	} else if (is_vlan_tpid(type)) {
		/* More tags than are walked: the stack may still find IP
		 * inside (nested VLAN devices). No family, no field, but
		 * incomplete, for the rules that ask (docs/language.md). */
		ut_rt_count(UT_RT_UNLOCATABLE);
		family = 0;
		v.has = UT_HAS_INCOMPLETE;
		st->src64[0] = st->src64[1] = 0;
		st->dst64[0] = st->dst64[1] = 0;
	} else {
		return 0;
	}
	/* Bytes 0..7: family, has, proto, nonfirst_fragment, sport, dport;
	 * 8..15: icmp_type, icmp_code, padding, pkt_len. */
	head[0] = family | v.has << 8 | v.proto << 16 | v.nonfirst << 24 | (__u64)v.ports << 32;
	head[1] = v.icmp | (__u64)(end - data) << 32;
	return 1;
}

/* The state's first 16 bytes for an IP header followed directly by its L4
 * header, whose first 4 bytes are in the frame (l4word, as loaded). Only
 * TCP, UDP and ICMP take the fast path, the bulk of any traffic: fewer
 * protocols are fewer tests for every packet. Returns 0 for the others,
 * having written nothing. */
static __always_inline int put_head(struct ut_state *st, __u64 family, __u64 proto, __u32 l4word,
				    __u32 icmp_proto, __u64 len)
{
	__u64 *head = (__u64 *)st;
	__u64 has = UT_HAS_PROTO | UT_HAS_SRC | UT_HAS_DST;

	if (proto == IPPROTO_TCP || proto == IPPROTO_UDP) {
		head[0] = family | (has | UT_HAS_SPORT | UT_HAS_DPORT) << 8 | proto << 16 |
			  ports_in_state_order(l4word) << 32;
		head[1] = len << 32;
		return 1;
	}
	if (proto == icmp_proto) {
		head[0] = family | (has | UT_HAS_TYPE | UT_HAS_CODE) << 8 | proto << 16;
		head[1] = (l4word & 0xffff) | len << 32;
		return 1;
	}
	return 0;
}

/* The common frame, in one bounds check: untagged IPv4 without options or
 * fragmentation, or untagged IPv6 without extension headers, carrying TCP,
 * UDP or ICMP whose first 4 bytes are present. Returns 0 for anything else,
 * which then takes parse_slow. */
static __always_inline int parse_fast(const __u8 *data, const __u8 *end, struct ut_state *st)
{
	const __u8 *ip = data + ETH_HLEN;
	__u16 type;

	if (ip + IPV4_HLEN + 4 > end)
		return 0;
	type = *(__u16 *)(data + 12);
	if (type == bpf_htons(ETH_P_IP)) {
		if (ip[0] != 0x45 || (*(__u16 *)(ip + 6) & bpf_htons(0x1fff)) ||
		    !put_head(st, UT_FAM_V4, ip[9], *(__u32 *)(ip + IPV4_HLEN), IPPROTO_ICMP,
			      end - data))
			return 0;
		set_addr4(st->src64, *(__u32 *)(ip + 12));
		set_addr4(st->dst64, *(__u32 *)(ip + 16));
		return 1;
	}
	if (type == bpf_htons(ETH_P_IPV6)) {
		/* any Next Header but TCP, UDP and ICMPv6 (extension headers
		 * among them) takes the slow path */
		if (ip + IPV6_HLEN + 4 > end ||
		    !put_head(st, UT_FAM_V6, ip[6], *(__u32 *)(ip + IPV6_HLEN), IPPROTO_ICMPV6,
			      end - data))
			return 0;
		st->src64[0] = *(__u64 *)(ip + 8);
		st->src64[1] = *(__u64 *)(ip + 16);
		st->dst64[0] = *(__u64 *)(ip + 24);
		st->dst64[1] = *(__u64 *)(ip + 32);
		return 1;
	}
	return 0;
}

SEC("xdp")
int untrack_main(struct xdp_md *ctx)
{
	const __u8 *data = (void *)(long)ctx->data;
	const __u8 *end = (void *)(long)ctx->data_end;
	struct ut_state *st = ut_state_get();

	if (!st)
		return XDP_PASS;
	/* parse_slow writes a state for every IP frame and for a frame with
	 * more VLAN tags than it walks (family 0, incomplete). */
	if (!parse_fast(data, end, st) && !parse_slow(ctx, st)) {
		ut_rt_count(UT_RT_NON_IP);
		return XDP_PASS;
	}
	st->rule = UT_RULE_NONE;
	bpf_tail_call_static(ctx, &ut_jmp, UT_SLOT_POLICY);
	ut_rt_count(UT_RT_NO_POLICY);
	return XDP_PASS;
}
