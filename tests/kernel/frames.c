#include "frames.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "objfmt/addr.h"
#include "ir/ir.h"
#include "ref/pkt.h"
#include "ref/pktbuild.h"

#define ETH_IPV4 0x0800
#define ETH_IPV6 0x86dd
#define ETH_ARP	 0x0806
#define ETH_LLDP 0x88cc
#define ETH_QINQ 0x88a8
#define ETH_VLAN 0x8100

#define EXT_HOP	 0
#define EXT_RT	 43
#define EXT_FRAG 44
#define EXT_AH	 51
#define EXT_DST	 60
#define NH_NONE	 59

/* ---------------------------------------------------------------- corpus */

static struct frame *corpus_add(struct corpus *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static struct frame *corpus_add(struct corpus *c, const char *fmt, ...)
{
	struct frame *f;
	va_list ap;

	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 256;
		struct frame *v = realloc(c->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		c->v = v;
		c->cap = cap;
	}
	f = &c->v[c->n++];
	memset(f, 0, sizeof(*f));
	va_start(ap, fmt);
	vsnprintf(f->name, sizeof(f->name), fmt, ap);
	va_end(ap);
	return f;
}

static void set_addrs(struct flow *fl, uint8_t family)
{
	fl->family = family;
	if (family == FAM_V4) {
		inet_pton(AF_INET, "192.0.2.1", fl->src);
		inet_pton(AF_INET, "198.51.100.7", fl->dst);
	} else {
		inet_pton(AF_INET6, "2001:db8::1", fl->src);
		inet_pton(AF_INET6, "2001:db8:bad::ff02", fl->dst);
	}
}

static int add_flow(struct corpus *c, const struct flow *fl, const char *name)
{
	struct frame *f = corpus_add(c, "%s", name);

	if (!f)
		return -1;
	f->len = pktbuild_frame(fl, f->data, sizeof(f->data));
	if (!f->len) {
		fprintf(stderr, "frames: pktbuild refused %s\n", name);
		return -1;
	}
	return 0;
}

static const char *proto_label(int proto)
{
	static char buf[16];
	const char *n = proto_name(proto);

	if (n)
		return n;
	snprintf(buf, sizeof(buf), "proto%d", proto);
	return buf;
}

/* Every family x protocol x VLAN stack, the ports the probe policy reacts
 * to, IPv4 options and fragments, via the shared frame builder. */
static int add_built(struct corpus *c)
{
	static const int protos[] = {IPPROTO_NUM_TCP,
				     IPPROTO_NUM_UDP,
				     IPPROTO_NUM_SCTP,
				     IPPROTO_NUM_ICMP,
				     IPPROTO_NUM_ICMPV6,
				     47,
				     0,
				     255};
	static const uint16_t tpids[][3] = {
		{0}, {ETH_VLAN}, {ETH_QINQ, ETH_VLAN}, {ETH_VLAN, ETH_VLAN, ETH_VLAN}};
	char name[80];
	struct flow fl;
	int err = 0;

	for (uint8_t fam = FAM_V4; fam <= FAM_V6; fam++) {
		for (size_t p = 0; p < sizeof(protos) / sizeof(protos[0]); p++) {
			for (unsigned nv = 0; nv < 4; nv++) {
				flow_init(&fl);
				set_addrs(&fl, fam);
				fl.proto = protos[p];
				fl.sport = 40000 + (int)nv;
				fl.dport = 80;
				fl.icmp_type = fam == FAM_V4 ? 8 : 128;
				fl.icmp_code = 3;
				fl.nvlan = nv;
				for (unsigned i = 0; i < nv; i++) {
					fl.vlan_tpid[i] = tpids[nv][i];
					fl.vlan_id[i] = (uint16_t)(100 + i);
				}
				fl.payload_len = 4 * nv;
				snprintf(name, sizeof(name), "v%d %s vlan%u", fam == FAM_V4 ? 4 : 6,
					 proto_label(protos[p]), nv);
				err |= add_flow(c, &fl, name);
				/* IPv6 "protocol 0" is a hop-by-hop header made
				 * of whatever bytes follow. */
				if (fam == FAM_V6 && protos[p] == 0)
					c->v[c->n - 1].trunc = TRUNC_UNCHECKED;
			}
		}
		/* Ports the probe policy decides on, and the extremes. */
		static const int dports[] = {0, 1, 2, 3, 4, 65535};
		for (size_t i = 0; i < sizeof(dports) / sizeof(dports[0]); i++) {
			for (int udp = 0; udp < 2; udp++) {
				flow_init(&fl);
				set_addrs(&fl, fam);
				fl.proto = udp ? IPPROTO_NUM_UDP : IPPROTO_NUM_TCP;
				fl.sport = 65535 - dports[i];
				fl.dport = dports[i];
				snprintf(name, sizeof(name), "v%d %s dport %d",
					 fam == FAM_V4 ? 4 : 6, proto_label(fl.proto), dports[i]);
				err |= add_flow(c, &fl, name);
			}
		}
		/* Fragments. */
		for (int nonfirst = 0; nonfirst < 2; nonfirst++) {
			static const int fprotos[] = {IPPROTO_NUM_TCP, IPPROTO_NUM_UDP,
						      IPPROTO_NUM_ICMP, IPPROTO_NUM_ICMPV6};
			for (size_t p = 0; p < 4; p++) {
				flow_init(&fl);
				set_addrs(&fl, fam);
				fl.proto = fprotos[p];
				fl.sport = 1234;
				fl.dport = 1;
				fl.icmp_type = 3;
				fl.nonfirst_fragment = nonfirst;
				fl.first_fragment = !nonfirst;
				fl.payload_len = 16;
				snprintf(name, sizeof(name), "v%d %s %s fragment",
					 fam == FAM_V4 ? 4 : 6, proto_label(fl.proto),
					 nonfirst ? "non-first" : "first");
				err |= add_flow(c, &fl, name);
			}
		}
	}
	/* IPv4 options, up to IHL 15. */
	for (unsigned opt = 4; opt <= 40; opt += 12) {
		for (int icmp = 0; icmp < 2; icmp++) {
			flow_init(&fl);
			set_addrs(&fl, FAM_V4);
			fl.proto = icmp ? IPPROTO_NUM_ICMP : IPPROTO_NUM_TCP;
			fl.sport = 5;
			fl.dport = 2;
			fl.icmp_type = 0;
			fl.icmp_code = 0;
			fl.ip_options_len = opt;
			snprintf(name, sizeof(name), "v4 %s options %u", proto_label(fl.proto),
				 opt);
			err |= add_flow(c, &fl, name);
		}
	}
	/* IPv6 destination options chains, with the depths that were once
	 * a limit (8) and the attack (9, 20 headers). */
	static const unsigned depths[] = {1, 2, 7, 8, 9, 12, 20};
	for (size_t i = 0; i < sizeof(depths) / sizeof(depths[0]); i++) {
		for (int frag = 0; frag < 2; frag++) {
			flow_init(&fl);
			set_addrs(&fl, FAM_V6);
			fl.proto = IPPROTO_NUM_UDP;
			fl.sport = 53;
			fl.dport = 3;
			fl.ext_headers = depths[i];
			fl.first_fragment = frag;
			snprintf(name, sizeof(name), "v6 udp %u dstopts%s", depths[i],
				 frag ? " + first fragment" : "");
			err |= add_flow(c, &fl, name);
		}
	}
	/* An MTU-sized frame. */
	flow_init(&fl);
	set_addrs(&fl, FAM_V4);
	fl.sport = 443;
	fl.dport = 4;
	fl.payload_len = 1500 - 40;
	err |= add_flow(c, &fl, "v4 tcp mtu");
	return err ? -1 : 0;
}

/* A byte writer for frames pktbuild does not make. */
struct wr {
	uint8_t *p;
	size_t len, cap;
};

static void wr8(struct wr *w, unsigned v)
{
	if (w->len < w->cap)
		w->p[w->len] = (uint8_t)v;
	w->len++;
}

static void wr16(struct wr *w, unsigned v)
{
	wr8(w, v >> 8);
	wr8(w, v & 0xff);
}

static void wr_fill(struct wr *w, size_t n, unsigned v)
{
	while (n--)
		wr8(w, v);
}

static void wr_eth(struct wr *w, const uint16_t *tpids, unsigned ntags, unsigned type)
{
	wr_fill(w, 6, 0x02);
	wr_fill(w, 6, 0x04);
	for (unsigned i = 0; i < ntags; i++) {
		wr16(w, tpids[i]);
		wr16(w, 10 + i);
	}
	wr16(w, type);
}

struct ext {
	uint8_t type;
	uint8_t hdrlen; /* the length byte (the fragment header's is reserved) */
	uint16_t frag;	/* fragment header bytes 2..3: offset << 3 | M */
};

static size_t ext_len(const struct ext *e)
{
	switch (e->type) {
	case EXT_FRAG:
		return 8;
	case EXT_AH:
		return ((size_t)e->hdrlen + 2) * 4;
	default:
		return ((size_t)e->hdrlen + 1) * 8;
	}
}

/* Ethernet (ntags 802.1Q tags), IPv6, the extension headers, then an L4
 * header for proto: ports 7777 -> 3 or ICMPv6 type 135 code 0, and 8 bytes
 * of payload. */
static int add_v6_chain(struct corpus *c, const char *name, unsigned ntags, const struct ext *ext,
			size_t n, uint8_t proto)
{
	static const uint16_t tags[] = {ETH_VLAN, ETH_VLAN};
	struct frame *f = corpus_add(c, "v6 chain %s", name);
	struct wr w;

	if (!f)
		return -1;
	w = (struct wr){f->data, 0, sizeof(f->data)};
	wr_eth(&w, tags, ntags, ETH_IPV6);
	wr8(&w, 0x60);
	wr_fill(&w, 3, 0);
	wr16(&w, 0); /* payload length: never consulted */
	wr8(&w, n ? ext[0].type : proto);
	wr8(&w, 64);
	for (int i = 0; i < 16; i++)
		wr8(&w, 0x20 + i);
	for (int i = 0; i < 16; i++)
		wr8(&w, 0xf0 - i);
	for (size_t i = 0; i < n; i++) {
		size_t len = ext_len(&ext[i]);

		wr8(&w, i + 1 < n ? ext[i + 1].type : proto);
		if (ext[i].type == EXT_FRAG) {
			wr8(&w, 0);
			wr16(&w, ext[i].frag);
			wr_fill(&w, 4, 0xab);
		} else {
			wr8(&w, ext[i].hdrlen);
			wr_fill(&w, len - 2, 0x01);
		}
	}
	if (proto == IPPROTO_NUM_ICMPV6) {
		wr8(&w, 135);
		wr8(&w, 0);
		wr16(&w, 0);
	} else {
		wr16(&w, 7777);
		wr16(&w, 3);
	}
	wr_fill(&w, 8, 0x5a);
	if (w.len > w.cap)
		return -1;
	f->len = w.len;
	return 0;
}

/* Chains of every depth up to 24, then a few far deeper (the walk has no
 * limit but the frame): mixed kinds, each depth also ending in a
 * non-first fragment; and chains of minimal destination options headers,
 * the most headers a frame can hold. The parse test cuts each at every
 * byte. */
static int add_v6_deep(struct corpus *c, const struct ext *kinds, size_t nkinds,
		       const struct ext *frag1)
{
	static const size_t deep[] = {32, 64, 100, 127, 128, 129, 150};
	static const size_t minimal[] = {9, 20, 100, 200, 300};
	static const struct ext dst0 = {EXT_DST, 0, 0};
	struct ext chain[320];
	char name[64];
	int err = 0;

	for (size_t k = 0; k < 25 + sizeof(deep) / sizeof(deep[0]); k++) {
		size_t depth = k < 25 ? k : deep[k - 25];

		for (size_t i = 0; i < depth; i++)
			chain[i] = kinds[i % nkinds];
		snprintf(name, sizeof(name), "depth %zu tcp", depth);
		err |= add_v6_chain(c, name, k % 3, chain, depth, IPPROTO_NUM_TCP);
		if (!depth)
			continue;
		chain[depth - 1] = *frag1;
		snprintf(name, sizeof(name), "depth %zu ending in non-first fragment", depth);
		err |= add_v6_chain(c, name, 0, chain, depth, IPPROTO_NUM_UDP);
	}
	for (size_t k = 0; k < sizeof(minimal) / sizeof(minimal[0]); k++) {
		for (size_t i = 0; i < minimal[k]; i++)
			chain[i] = dst0;
		snprintf(name, sizeof(name), "%zu minimal dstopts udp", minimal[k]);
		err |= add_v6_chain(c, name, 0, chain, minimal[k], IPPROTO_NUM_UDP);
	}
	return err;
}

static int add_v6_chains(struct corpus *c)
{
	static const struct ext hop = {EXT_HOP, 0, 0}, rt = {EXT_RT, 2, 0}, dst = {EXT_DST, 1, 0},
				ah = {EXT_AH, 4, 0}, frag0 = {EXT_FRAG, 0, 1},
				frag1 = {EXT_FRAG, 0, 100 << 3}, hop_big = {EXT_HOP, 100, 0};
	const struct ext all[] = {hop, rt, frag0, ah, dst};
	int err = 0;

	/* Each kind alone, then all together, with each upper protocol. */
	const struct {
		const char *name;
		struct ext e;
	} one[] = {{"hop", hop},
		   {"routing", rt},
		   {"dstopts", dst},
		   {"ah", ah},
		   {"frag first", frag0},
		   {"frag non-first", frag1},
		   {"hop 808 bytes", hop_big}};
	const uint8_t protos[] = {IPPROTO_NUM_TCP, IPPROTO_NUM_ICMPV6, IPPROTO_NUM_SCTP};
	char name[64];

	for (size_t i = 0; i < sizeof(one) / sizeof(one[0]); i++) {
		for (size_t p = 0; p < sizeof(protos); p++) {
			snprintf(name, sizeof(name), "%s %s", one[i].name, proto_label(protos[p]));
			err |= add_v6_chain(c, name, 0, &one[i].e, 1, protos[p]);
		}
	}
	err |= add_v6_chain(c, "all kinds udp", 0, all, 5, IPPROTO_NUM_UDP);
	err |= add_v6_chain(c, "all kinds icmpv6 vlan2", 2, all, 5, IPPROTO_NUM_ICMPV6);
	err |= add_v6_chain(c, "no next header", 0, all, 5, NH_NONE);
	err |= add_v6_chain(c, "icmp(v4) inside", 0, &hop, 1, IPPROTO_NUM_ICMP);

	/* A chain that ends at the end of the frame, or cut inside an
	 * extension header, is incomplete; a non-first fragment header
	 * ends the walk early, but only if the walk gets to it. */
	err |= add_v6_deep(c, all, 5, &frag1);
	return err ? -1 : 0;
}

/* Frames that are not IP, or whose IP header is broken. */
static int add_odd(struct corpus *c)
{
	static const uint16_t three[] = {ETH_VLAN, ETH_VLAN, ETH_VLAN};
	static const uint16_t qinq[] = {ETH_QINQ, ETH_QINQ};
	struct frame *f;
	struct flow fl;
	struct wr w;
	int err = 0;

	f = corpus_add(c, "arp");
	w = (struct wr){f->data, 0, sizeof(f->data)};
	wr_eth(&w, NULL, 0, ETH_ARP);
	wr_fill(&w, 28, 0x11);
	f->len = w.len;

	f = corpus_add(c, "lldp");
	w = (struct wr){f->data, 0, sizeof(f->data)};
	wr_eth(&w, NULL, 0, ETH_LLDP);
	wr_fill(&w, 30, 0x22);
	f->len = w.len;

	f = corpus_add(c, "vlan arp");
	w = (struct wr){f->data, 0, sizeof(f->data)};
	wr_eth(&w, three, 1, ETH_ARP);
	wr_fill(&w, 28, 0x11);
	f->len = w.len;

	f = corpus_add(c, "qinq 88a8 88a8 ipv4 header");
	w = (struct wr){f->data, 0, sizeof(f->data)};
	wr_eth(&w, qinq, 2, ETH_IPV4);
	wr8(&w, 0x45);
	wr_fill(&w, 8, 0);
	wr8(&w, IPPROTO_NUM_UDP);
	wr_fill(&w, 10, 0x33);
	wr16(&w, 9);
	wr16(&w, 1);
	f->len = w.len;

	f = corpus_add(c, "three tags then ipv4");
	w = (struct wr){f->data, 0, sizeof(f->data)};
	wr_eth(&w, three, 3, ETH_IPV4);
	wr_fill(&w, 40, 0x45);
	f->len = w.len;

	f = corpus_add(c, "ipv4 ethertype, no header");
	f->len = 14;
	memset(f->data, 0x02, 12);
	f->data[12] = 0x08;
	f->trunc = TRUNC_ALWAYS;

	f = corpus_add(c, "ipv6 ethertype, no header");
	f->len = 14;
	memset(f->data, 0x02, 12);
	f->data[12] = 0x86;
	f->data[13] = 0xdd;
	f->trunc = TRUNC_ALWAYS;

	/* IHL below 5: the addresses and protocol stand, L4 is unlocatable. */
	for (unsigned ihl = 0; ihl < 5; ihl++) {
		flow_init(&fl);
		set_addrs(&fl, FAM_V4);
		fl.sport = 1;
		fl.dport = 1;
		f = corpus_add(c, "v4 tcp ihl %u", ihl);
		f->len = pktbuild_frame(&fl, f->data, sizeof(f->data));
		f->data[14] = (uint8_t)(0x40 | ihl);
		err |= !f->len;
	}
	/* IHL pointing past the end of the frame. */
	flow_init(&fl);
	set_addrs(&fl, FAM_V4);
	fl.proto = IPPROTO_NUM_UDP;
	fl.dport = 2;
	f = corpus_add(c, "v4 udp ihl 15 without options");
	f->len = pktbuild_frame(&fl, f->data, sizeof(f->data));
	f->data[14] = 0x4f;
	f->trunc = TRUNC_ALWAYS;
	err |= !f->len;
	return err ? -1 : 0;
}

int corpus_build(struct corpus *c)
{
	memset(c, 0, sizeof(*c));
	if (add_built(c) || add_v6_chains(c) || add_odd(c)) {
		corpus_free(c);
		return -1;
	}
	return 0;
}

void corpus_free(struct corpus *c)
{
	free(c->v);
	memset(c, 0, sizeof(*c));
}

/* ---------------------------------------------------------------- random */

uint64_t rng_next(struct rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545f4914f6cdd1dull;
}

static unsigned pick(struct rng *r, const unsigned *v, size_t n)
{
	return v[rng_below(r, (uint32_t)n)];
}

static void wr_random(struct rng *r, struct wr *w, size_t n)
{
	while (n--)
		wr8(w, (unsigned)rng_next(r));
}

static void random_l4(struct rng *r, struct wr *w)
{
	/* Small ports often, so the probe policy's verdicts come up. */
	if (rng_below(r, 4) == 0) {
		wr16(w, rng_below(r, 6));
		wr16(w, rng_below(r, 6));
	}
	wr_random(r, w, rng_below(r, 24));
}

static void random_ipv4(struct rng *r, struct wr *w)
{
	static const unsigned protos[] = {1, 6, 17, 132, 58, 47, 0, 255};
	unsigned ihl = rng_below(r, 3) ? 5 + rng_below(r, 11) : rng_below(r, 16);

	wr8(w, 0x40 | ihl);
	wr_random(r, w, 5);
	/* Fragment offset: mostly zero. */
	wr16(w, rng_below(r, 4) ? (rng_below(r, 2) ? 0x2000 : 0) : (unsigned)rng_next(r));
	wr8(w, 64);
	wr8(w, rng_below(r, 4) ? pick(r, protos, 8) : (unsigned)rng_next(r));
	wr_random(r, w, 10);
	if (ihl > 5)
		wr_random(r, w, (ihl - 5) * 4);
	random_l4(r, w);
}

static void random_ipv6(struct rng *r, struct wr *w)
{
	static const unsigned nhs[] = {EXT_HOP, EXT_RT, EXT_FRAG, EXT_AH, EXT_DST,
				       6,	17,	58,	  132,	  1};
	/* Mostly short chains; one in eight up to 130 headers, which the
	 * frame's capacity may cut. */
	unsigned n = rng_below(r, 8) ? rng_below(r, 11) : rng_below(r, 131);
	unsigned nh = n ? pick(r, nhs, 5) : pick(r, nhs, 10);

	wr8(w, 0x60);
	wr_random(r, w, 5);
	wr8(w, nh);
	wr8(w, 64);
	wr_random(r, w, 32);
	for (unsigned i = 0; i < n; i++) {
		struct ext e = {(uint8_t)nh, (uint8_t)rng_below(r, 3), 0};

		if (rng_below(r, 32) == 0)
			e.hdrlen = (uint8_t)rng_next(r);
		/* Mostly go on while the chain is to be longer. */
		nh = i + 1 < n && rng_below(r, 8) ? pick(r, nhs, 5) : pick(r, nhs, 10);
		if (e.type == EXT_FRAG) {
			wr8(w, nh);
			wr8(w, 0);
			wr16(w, rng_below(r, 3) ? rng_below(r, 2) : (unsigned)rng_next(r));
			wr_random(r, w, 4);
		} else if (e.type == EXT_HOP || e.type == EXT_RT || e.type == EXT_DST ||
			   e.type == EXT_AH) {
			wr8(w, nh);
			wr8(w, e.hdrlen);
			wr_random(r, w, ext_len(&e) - 2);
		} else {
			break; /* an upper-layer protocol: stop the chain here */
		}
	}
	random_l4(r, w);
}

size_t frame_random(struct rng *r, uint8_t *buf, size_t cap)
{
	static const unsigned tpids[] = {ETH_VLAN, ETH_QINQ, ETH_IPV4, ETH_IPV6, 0x9100};
	static const unsigned types[] = {ETH_IPV4, ETH_IPV6, ETH_IPV4, ETH_IPV6, ETH_ARP, ETH_VLAN};
	struct wr w = {buf, 0, cap};
	unsigned ntags = rng_below(r, 3) ? 0 : rng_below(r, 4);
	uint16_t tags[3];
	unsigned type;

	for (unsigned i = 0; i < ntags; i++)
		tags[i] = (uint16_t)(rng_below(r, 5) ? pick(r, tpids, 2) : pick(r, tpids, 5));
	type = rng_below(r, 16) ? pick(r, types, 6) : (unsigned)rng_next(r) & 0xffff;
	wr_eth(&w, tags, ntags, type);
	if (type == ETH_IPV4)
		random_ipv4(r, &w);
	else if (type == ETH_IPV6)
		random_ipv6(r, &w);
	else
		wr_random(r, &w, rng_below(r, 64));
	return w.len < cap ? w.len : cap;
}

void frame_mutate(struct rng *r, uint8_t *frame, size_t len)
{
	unsigned n = 1 + rng_below(r, 4);

	if (!len)
		return;
	for (unsigned i = 0; i < n; i++) {
		/* Headers live in the first ~100 bytes. */
		size_t at = rng_below(r, 2) ? rng_below(r, len < 100 ? (uint32_t)len : 100)
					    : rng_below(r, (uint32_t)len);

		switch (rng_below(r, 3)) {
		case 0:
			frame[at] ^= (uint8_t)(1u << rng_below(r, 8));
			break;
		case 1:
			frame[at] = (uint8_t)rng_next(r);
			break;
		default: {
			/* Plant a value the parser branches on. */
			static const unsigned hot[] = {
				0x08,	0x00,	  0x86,	  0xdd,	   0x81, 0x88, 0xa8, 0x45, EXT_HOP,
				EXT_RT, EXT_FRAG, EXT_AH, EXT_DST, 6,	 17,   58,   132,  1};
			frame[at] = (uint8_t)pick(r, hot, sizeof(hot) / sizeof(hot[0]));
		}
		}
	}
}
