#include "ref/pktbuild.h"

#include <string.h>

#include "objfmt/addr.h"
#include "ir/ir.h"

#define ETH_HLEN	  14
#define VLAN_TAG_LEN	  4
#define IPV4_HDR_LEN	  20
#define IPV6_HDR_LEN	  40
#define IPV6_EXT_LEN	  8 /* a destination options or fragment header */
#define IPV6_EXT_FRAGMENT 44
#define IPV6_EXT_DSTOPTS  60
#define TCP_HDR_LEN	  20
#define UDP_HDR_LEN	  8
#define SCTP_HDR_LEN	  12
#define ICMP_HDR_LEN	  8
#define TCP_FLAG_SYN	  0x02
#define IPV4_FLAG_MF	  0x2000
#define IPV6_FRAG_M	  0x0001

const uint8_t pktbuild_dst_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};
const uint8_t pktbuild_src_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};

/* What a non-first fragment carries where the L4 header would be: bytes that
 * make wrong port or ICMP reads visible in tests. */
static const uint8_t fragment_payload[8] = {0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0};

void flow_init(struct flow *f)
{
	memset(f, 0, sizeof(*f));
	f->family = FAM_V4;
	f->proto = IPPROTO_NUM_TCP;
	f->sport = f->dport = -1;
	f->icmp_type = f->icmp_code = -1;
}

static size_t l4_header_len(int proto)
{
	switch (proto) {
	case IPPROTO_NUM_TCP:
		return TCP_HDR_LEN;
	case IPPROTO_NUM_UDP:
		return UDP_HDR_LEN;
	case IPPROTO_NUM_SCTP:
		return SCTP_HDR_LEN;
	case IPPROTO_NUM_ICMP:
	case IPPROTO_NUM_ICMPV6:
		return ICMP_HDR_LEN;
	default:
		return 0; /* other protocols: the payload follows the IP header */
	}
}

static uint8_t *put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

static uint8_t *put32(uint8_t *p, uint32_t v)
{
	p = put16(p, v >> 16);
	return put16(p, v & 0xffff);
}

static uint16_t field(int v)
{
	return v < 0 ? 0 : (uint16_t)v;
}

/* The Internet checksum (RFC 1071), accumulated in pieces. */
static uint32_t sum_bytes(uint32_t acc, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		acc += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		acc += (uint32_t)p[n - 1] << 8;
	return acc;
}

static uint16_t sum_fold(uint32_t acc)
{
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)~acc;
}

static uint32_t pseudo_header_sum(const struct flow *f, size_t l4_len)
{
	size_t alen = f->family == FAM_V4 ? 4 : 16;
	uint32_t acc = sum_bytes(0, f->src, alen);

	acc = sum_bytes(acc, f->dst, alen);
	return acc + (uint32_t)f->proto + (uint32_t)(l4_len >> 16) + (uint32_t)(l4_len & 0xffff);
}

/* CRC32c (Castagnoli), as SCTP uses it (RFC 4960 appendix B). */
static uint32_t crc32c(const uint8_t *p, size_t n)
{
	uint32_t crc = 0xffffffff;

	for (size_t i = 0; i < n; i++) {
		crc ^= p[i];
		for (int bit = 0; bit < 8; bit++)
			crc = (crc >> 1) ^ (0x82f63b78 & (0u - (crc & 1)));
	}
	return ~crc;
}

/* Write the L4 header at p; len covers it and the payload after it, which
 * is already in place, so the checksum can include it. */
static void write_l4(const struct flow *f, uint8_t *p, size_t len)
{
	size_t csum_at = 0;
	bool pseudo = true;

	switch (f->proto) {
	case IPPROTO_NUM_TCP:
		put16(p, field(f->sport));
		put16(p + 2, field(f->dport));
		put32(p + 4, 1); /* sequence number */
		p[12] = (TCP_HDR_LEN / 4) << 4;
		p[13] = TCP_FLAG_SYN;
		put16(p + 14, 65535); /* window */
		csum_at = 16;
		break;
	case IPPROTO_NUM_UDP:
		put16(p, field(f->sport));
		put16(p + 2, field(f->dport));
		put16(p + 4, (unsigned)len);
		csum_at = 6;
		break;
	case IPPROTO_NUM_SCTP: {
		put16(p, field(f->sport));
		put16(p + 2, field(f->dport));
		uint32_t crc = crc32c(p, len);
		/* The CRC goes out least significant byte first. */
		for (int i = 0; i < 4; i++)
			p[8 + i] = (uint8_t)(crc >> (8 * i));
		return;
	}
	case IPPROTO_NUM_ICMP:
	case IPPROTO_NUM_ICMPV6:
		p[0] = (uint8_t)field(f->icmp_type);
		p[1] = (uint8_t)field(f->icmp_code);
		put16(p + 4, 1); /* echo identifier, harmless for other types */
		put16(p + 6, 1); /* and sequence number */
		csum_at = 2;
		/* ICMP for IPv4 has no pseudo-header; ICMPv6 does. */
		pseudo = f->proto == IPPROTO_NUM_ICMPV6;
		break;
	default:
		return;
	}

	uint32_t acc = sum_bytes(pseudo ? pseudo_header_sum(f, len) : 0, p, len);
	uint16_t csum = sum_fold(acc);
	/* A UDP checksum of 0 means "none", so a real zero goes out as 0xffff. */
	if (csum == 0 && f->proto == IPPROTO_NUM_UDP)
		csum = 0xffff;
	put16(p + csum_at, csum);
}

static bool flow_valid(const struct flow *f)
{
	if (f->family != FAM_V4 && f->family != FAM_V6)
		return false;
	if (f->proto < 0 || f->proto > 255 || f->nvlan > PKTBUILD_MAX_VLAN)
		return false;
	if (f->nonfirst_fragment && f->first_fragment)
		return false;
	if (f->ip_options_len % 4 != 0 || f->ip_options_len > PKTBUILD_MAX_OPTIONS)
		return false;
	if (f->family == FAM_V6 && f->ip_options_len)
		return false;
	return f->family == FAM_V6 || f->ext_headers == 0;
}

static uint8_t *write_ethernet(const struct flow *f, uint8_t *p)
{
	memcpy(p, pktbuild_dst_mac, 6);
	memcpy(p + 6, pktbuild_src_mac, 6);
	p += 12;
	for (unsigned i = 0; i < f->nvlan; i++) {
		p = put16(p, f->vlan_tpid[i]);
		p = put16(p, f->vlan_id[i] & 0x0fff);
	}
	return put16(p, f->family == FAM_V4 ? 0x0800 : 0x86dd);
}

static uint8_t *write_ipv4(const struct flow *f, uint8_t *p, size_t total_len)
{
	size_t hlen = IPV4_HDR_LEN + f->ip_options_len;
	unsigned frag = 0;

	if (f->nonfirst_fragment)
		frag = PKTBUILD_FRAG_OFFSET;
	else if (f->first_fragment)
		frag = IPV4_FLAG_MF;
	memset(p, 0, hlen);
	p[0] = (uint8_t)(0x40 | hlen / 4);
	put16(p + 2, (unsigned)total_len);
	put16(p + 4, 0x1234); /* identification */
	put16(p + 6, frag);
	p[8] = 64; /* TTL */
	p[9] = (uint8_t)f->proto;
	memcpy(p + 12, f->src, 4);
	memcpy(p + 16, f->dst, 4);
	memset(p + IPV4_HDR_LEN, 0x01, f->ip_options_len); /* NOP options */
	put16(p + 10, sum_fold(sum_bytes(0, p, hlen)));
	return p + hlen;
}

static uint8_t *write_ipv6(const struct flow *f, uint8_t *p, size_t payload_len)
{
	bool fragment = f->nonfirst_fragment || f->first_fragment;
	uint8_t after_ext = fragment ? IPV6_EXT_FRAGMENT : (uint8_t)f->proto;

	memset(p, 0, IPV6_HDR_LEN);
	p[0] = 0x60;
	put16(p + 4, (unsigned)payload_len);
	p[6] = f->ext_headers ? IPV6_EXT_DSTOPTS : after_ext;
	p[7] = 64; /* hop limit */
	memcpy(p + 8, f->src, 16);
	memcpy(p + 24, f->dst, 16);
	p += IPV6_HDR_LEN;

	for (unsigned i = 0; i < f->ext_headers; i++) {
		/* Next header, length 0 (8 bytes), then a PadN option
		 * filling the remaining 6 bytes. */
		static const uint8_t padn[6] = {0x01, 0x04, 0, 0, 0, 0};
		p[0] = i + 1 < f->ext_headers ? IPV6_EXT_DSTOPTS : after_ext;
		p[1] = 0;
		memcpy(p + 2, padn, sizeof(padn));
		p += IPV6_EXT_LEN;
	}
	if (fragment) {
		unsigned off = f->nonfirst_fragment ? PKTBUILD_FRAG_OFFSET << 3 : IPV6_FRAG_M;
		p[0] = (uint8_t)f->proto;
		p[1] = 0;
		put16(p + 2, off);
		put32(p + 4, 0x12345678); /* identification */
		p += IPV6_EXT_LEN;
	}
	return p;
}

size_t pktbuild_frame(const struct flow *f, uint8_t *buf, size_t cap)
{
	if (!flow_valid(f))
		return 0;

	/* Everything is sized first so the writers below need no bounds
	 * checks of their own. */
	size_t l3_len;
	if (f->family == FAM_V4)
		l3_len = IPV4_HDR_LEN + f->ip_options_len;
	else
		l3_len = IPV6_HDR_LEN + (size_t)f->ext_headers * IPV6_EXT_LEN +
			 (f->nonfirst_fragment || f->first_fragment ? IPV6_EXT_LEN : 0);
	size_t l4_len = f->nonfirst_fragment ? sizeof(fragment_payload) : l4_header_len(f->proto);
	size_t ip_len = l3_len + l4_len + f->payload_len;
	size_t total = ETH_HLEN + (size_t)f->nvlan * VLAN_TAG_LEN + ip_len;
	if (total > PKTBUILD_MAX_FRAME || total > cap)
		return 0;

	uint8_t *p = write_ethernet(f, buf);
	if (f->family == FAM_V4)
		p = write_ipv4(f, p, ip_len);
	else
		p = write_ipv6(f, p, ip_len - IPV6_HDR_LEN);

	memset(p + l4_len, 0, f->payload_len);
	if (f->nonfirst_fragment) {
		memcpy(p, fragment_payload, sizeof(fragment_payload));
	} else {
		memset(p, 0, l4_len);
		write_l4(f, p, l4_len + f->payload_len);
	}
	return total;
}
