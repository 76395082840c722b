/* The reference packet parser: what a rule can see of a frame. The BPF
 * runtime's parser implements the same definition; the kernel tests compare
 * the two.
 *
 * Definition (docs/language.md, "Packets"):
 * - The frame starts with an Ethernet header. Up to two VLAN tags (0x8100,
 *   0x88a8) are skipped. The EtherType after them decides the family: 0x0800
 *   IPv4, 0x86dd IPv6; anything else, or a frame too short for its Ethernet
 *   header or a tag, is not IP.
 * - The end of the frame is the end of the packet; IP length fields are not
 *   consulted.
 * - A field is readable when every byte of it lies inside the frame and
 *   every header needed to locate it was readable. Unreadable fields fail
 *   every condition on them.
 * - IPv4: protocol byte 9, addresses 12..19. The L4 header starts at IHL*4;
 *   IHL < 5 makes it unlocatable. A non-zero fragment offset makes the
 *   packet a non-first fragment: no L4 fields.
 * - IPv6: addresses 8..39. Extension headers (hop-by-hop 0, routing 43,
 *   fragment 44, destination options 60, AH 51) are walked, at most
 *   PKT_IPV6_MAX_EXT of them; the protocol is the first other Next Header.
 *   Each walked header needs its first two bytes readable (fragment: four);
 *   if not, or the depth runs out, the protocol is unreadable. A fragment
 *   header with non-zero offset ends the walk: the protocol is its Next
 *   Header and the packet is a non-first fragment.
 * - Ports (TCP, UDP, SCTP): source bytes 0..1, destination 2..3 of the L4
 *   header. ICMP (IPv4 proto 1) and ICMPv6 (IPv6 proto 58): type byte 0,
 *   code byte 1. */
#ifndef UNTRACK_PKT_H
#define UNTRACK_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PKT_MAX_VLAN	 2
#define PKT_IPV6_MAX_EXT 8

/* Which fields were readable. */
#define PKT_HAS_PROTO (1u << 0)
#define PKT_HAS_SRC   (1u << 1)
#define PKT_HAS_DST   (1u << 2)
#define PKT_HAS_SPORT (1u << 3)
#define PKT_HAS_DPORT (1u << 4)
#define PKT_HAS_TYPE  (1u << 5)
#define PKT_HAS_CODE  (1u << 6)

struct pkt_fields {
	uint8_t family; /* 0: not IP; FAM_V4 or FAM_V6 */
	uint8_t has;	/* PKT_HAS_* */
	uint8_t proto;
	bool nonfirst_fragment;
	uint8_t src[16], dst[16]; /* IPv4 in bytes 0..3 */
	uint16_t sport, dport;	  /* host byte order */
	uint8_t icmp_type, icmp_code;
	uint32_t len; /* bytes in the frame */
};

void pkt_parse(const uint8_t *frame, size_t len, struct pkt_fields *out);

#endif
