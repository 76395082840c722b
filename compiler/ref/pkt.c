#include "ref/pkt.h"

#include <string.h>

#include "objfmt/addr.h"
#include "ir/ir.h"

#define ETH_ADDRS_LEN	  12 /* destination and source MAC */
#define ETHERTYPE_IPV4	  0x0800
#define ETHERTYPE_IPV6	  0x86dd
#define ETHERTYPE_8021Q	  0x8100
#define ETHERTYPE_8021AD  0x88a8
#define IPV4_MIN_IHL	  5
#define IPV6_HDR_LEN	  40
#define IPV6_FRAG_HDR_LEN 8

#define IPV6_EXT_HOPOPTS  0
#define IPV6_EXT_ROUTING  43
#define IPV6_EXT_FRAGMENT 44
#define IPV6_EXT_AH	  51
#define IPV6_EXT_DSTOPTS  60

/* Every read goes through readable(), so no offset arithmetic elsewhere can
 * reach past the end of the frame. */
struct frame {
	const uint8_t *data;
	size_t len;
};

static bool readable(const struct frame *fr, size_t off, size_t n)
{
	return off <= fr->len && n <= fr->len - off;
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static bool is_vlan_tpid(uint16_t ethertype)
{
	return ethertype == ETHERTYPE_8021Q || ethertype == ETHERTYPE_8021AD;
}

/* Skip the Ethernet header and up to PKT_MAX_VLAN tags. Returns false when
 * the frame ends inside them; otherwise *ethertype is the last EtherType and
 * *off where the network header starts. */
static bool parse_ethernet(const struct frame *fr, uint16_t *ethertype, size_t *off)
{
	size_t pos = ETH_ADDRS_LEN;

	if (!readable(fr, pos, 2))
		return false;
	*ethertype = be16(fr->data + pos);
	pos += 2;
	for (unsigned tags = 0; tags < PKT_MAX_VLAN; tags++) {
		if (!is_vlan_tpid(*ethertype))
			break;
		/* A tag is 2 bytes of TCI, then the next EtherType. */
		if (!readable(fr, pos, 4))
			return false;
		*ethertype = be16(fr->data + pos + 2);
		pos += 4;
	}
	*off = pos;
	return true;
}

/* Returns true when the L4 header is locatable; *l4 is then its offset. */
static bool parse_ipv4(const struct frame *fr, size_t ip, struct pkt_fields *out, size_t *l4)
{
	const uint8_t *h = fr->data + ip;

	if (readable(fr, ip + 9, 1)) {
		out->proto = h[9];
		out->has |= PKT_HAS_PROTO;
	}
	if (readable(fr, ip + 12, 4)) {
		memcpy(out->src, h + 12, 4);
		out->has |= PKT_HAS_SRC;
	}
	if (readable(fr, ip + 16, 4)) {
		memcpy(out->dst, h + 16, 4);
		out->has |= PKT_HAS_DST;
	}
	/* The whole header, options included, or the packet is incomplete
	 * (whatever its fragment offset: a header the stack would drop). */
	unsigned ihl = readable(fr, ip, 1) ? h[0] & 0x0f : 0;
	if (ihl < IPV4_MIN_IHL || !readable(fr, ip, (size_t)ihl * 4))
		out->has |= PKT_HAS_INCOMPLETE;
	/* IHL (byte 0) and the fragment offset (bytes 6..7) are both needed
	 * to find an L4 header. */
	if (!readable(fr, ip, 8))
		return false;
	if ((be16(h + 6) & 0x1fff) != 0)
		out->nonfirst_fragment = true;
	if (ihl < IPV4_MIN_IHL)
		return false;
	*l4 = ip + (size_t)ihl * 4;
	return true;
}

static bool ipv6_is_extension(uint8_t nh)
{
	return nh == IPV6_EXT_HOPOPTS || nh == IPV6_EXT_ROUTING || nh == IPV6_EXT_FRAGMENT ||
	       nh == IPV6_EXT_AH || nh == IPV6_EXT_DSTOPTS;
}

/* The length of the extension header e of kind nh (its first two bytes
 * are readable). AH counts 4-byte words less 2 (RFC 4302), the others
 * 8-byte words less 1 (RFC 8200); the fragment header is 8 bytes. */
static size_t ipv6_ext_len(uint8_t nh, const uint8_t *e)
{
	if (nh == IPV6_EXT_FRAGMENT)
		return IPV6_FRAG_HDR_LEN;
	if (nh == IPV6_EXT_AH)
		return ((size_t)e[1] + 2) * 4;
	return ((size_t)e[1] + 1) * 8;
}

/* Walk the extension header chain to the upper-layer protocol, however
 * long it is: every header is at least 8 bytes, so the frame's end stops
 * the walk. Returns true when the L4 header is locatable; *l4 is then its
 * offset. */
static bool parse_ipv6(const struct frame *fr, size_t ip, struct pkt_fields *out, size_t *l4)
{
	const uint8_t *h = fr->data + ip;

	if (readable(fr, ip + 8, 16)) {
		memcpy(out->src, h + 8, 16);
		out->has |= PKT_HAS_SRC;
	}
	if (readable(fr, ip + 24, 16)) {
		memcpy(out->dst, h + 24, 16);
		out->has |= PKT_HAS_DST;
	}
	if (!readable(fr, ip, IPV6_HDR_LEN))
		out->has |= PKT_HAS_INCOMPLETE;
	if (!readable(fr, ip + 6, 1))
		return false;

	uint8_t nh = h[6];
	size_t pos = ip + IPV6_HDR_LEN;
	while (ipv6_is_extension(nh)) {
		if (!readable(fr, pos, 2)) {
			out->has |= PKT_HAS_INCOMPLETE;
			return false;
		}

		const uint8_t *e = fr->data + pos;
		size_t len = ipv6_ext_len(nh, e);
		if (!readable(fr, pos, len))
			out->has |= PKT_HAS_INCOMPLETE;
		if (nh == IPV6_EXT_FRAGMENT) {
			if (!readable(fr, pos, 4))
				return false;
			if ((be16(e + 2) & 0xfff8) != 0) {
				/* The rest of the chain is in the first
				 * fragment: what follows here is payload. */
				out->proto = e[0];
				out->has |= PKT_HAS_PROTO;
				out->nonfirst_fragment = true;
				return false;
			}
		}
		nh = e[0];
		pos += len;
	}
	out->proto = nh;
	out->has |= PKT_HAS_PROTO;
	*l4 = pos;
	return true;
}

/* l4 may lie past the end of the frame: every field is checked on its own. */
static void parse_l4(const struct frame *fr, size_t l4, struct pkt_fields *out)
{
	if (ir_proto_has_ports(out->proto)) {
		if (readable(fr, l4, 2)) {
			out->sport = be16(fr->data + l4);
			out->has |= PKT_HAS_SPORT;
		}
		if (readable(fr, l4 + 2, 2)) {
			out->dport = be16(fr->data + l4 + 2);
			out->has |= PKT_HAS_DPORT;
		}
	} else if (ir_proto_has_icmp(out->proto, out->family)) {
		if (readable(fr, l4, 1)) {
			out->icmp_type = fr->data[l4];
			out->has |= PKT_HAS_TYPE;
		}
		if (readable(fr, l4 + 1, 1)) {
			out->icmp_code = fr->data[l4 + 1];
			out->has |= PKT_HAS_CODE;
		}
	}
}

void pkt_parse(const uint8_t *frame, size_t len, struct pkt_fields *out)
{
	const struct frame fr = {frame, len};
	uint16_t ethertype;
	size_t ip, l4 = 0;
	bool l4_found;

	memset(out, 0, sizeof(*out));
	out->len = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
	if (!parse_ethernet(&fr, &ethertype, &ip))
		return;
	if (is_vlan_tpid(ethertype)) {
		/* More tags than are walked: the stack may still find IP
		 * inside (nested VLAN devices), so the frame is incomplete,
		 * of no family. */
		out->has = PKT_HAS_INCOMPLETE;
		return;
	}
	if (ethertype == ETHERTYPE_IPV4) {
		out->family = FAM_V4;
		l4_found = parse_ipv4(&fr, ip, out, &l4);
	} else if (ethertype == ETHERTYPE_IPV6) {
		out->family = FAM_V6;
		l4_found = parse_ipv6(&fr, ip, out, &l4);
	} else {
		return;
	}
	if (l4_found && (out->has & PKT_HAS_PROTO) && !out->nonfirst_fragment)
		parse_l4(&fr, l4, out);
}
