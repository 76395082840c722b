/* The reference packet parser: what a rule can see of a frame. The BPF
 * runtime's parser implements the same definition; the kernel tests compare
 * the two.
 *
 * Definition (docs/language.md, "Packets"):
 * - The frame starts with an Ethernet header. Up to two VLAN tags (0x8100,
 *   0x88a8) are skipped. The EtherType after them decides the family: 0x0800
 *   IPv4, 0x86dd IPv6; anything else, or a frame too short for its Ethernet
 *   header or a tag, is not IP. A third tag makes the frame "deep": of no
 *   family, with no field readable, but incomplete (below).
 * - The end of the frame is the end of the packet; IP length fields are not
 *   consulted.
 * - A field is readable when every byte of it lies inside the frame and
 *   every header needed to locate it was readable. Unreadable fields fail
 *   every condition on them.
 * - IPv4: protocol byte 9, addresses 12..19. The L4 header starts at IHL*4;
 *   IHL < 5 makes it unlocatable. A non-zero fragment offset makes the
 *   packet a non-first fragment: no L4 fields.
 * - IPv6: addresses 8..39. Extension headers (hop-by-hop 0, routing 43,
 *   fragment 44, destination options 60, AH 51) are walked to the end of
 *   the chain, however many there are; the protocol is the first other
 *   Next Header. Each walked header needs its first two bytes readable
 *   (fragment: four); if not, the protocol is unreadable. A fragment
 *   header with non-zero offset ends the walk: the protocol is its Next
 *   Header and the packet is a non-first fragment.
 * - Incomplete (PKT_HAS_INCOMPLETE): the frame ends inside a header needed
 *   to locate the L4 header, or that header is malformed: IPv4 with IHL < 5
 *   or fewer than IHL*4 bytes; IPv6 with fewer than 40 bytes, or an
 *   extension header of the walk (the fragment header: all 8 bytes) not
 *   wholly in the frame; a deep VLAN frame. A whole non-first fragment is
 *   not incomplete. An incomplete packet has no L4 field.
 * - Ports (TCP, UDP, SCTP): source bytes 0..1, destination 2..3 of the L4
 *   header. ICMP (IPv4 proto 1) and ICMPv6 (IPv6 proto 58): type byte 0,
 *   code byte 1. */
#ifndef UNTRACK_PKT_H
#define UNTRACK_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PKT_MAX_VLAN 2

/* Which fields were readable. */
#define PKT_HAS_PROTO	   (1u << 0)
#define PKT_HAS_SRC	   (1u << 1)
#define PKT_HAS_DST	   (1u << 2)
#define PKT_HAS_SPORT	   (1u << 3)
#define PKT_HAS_DPORT	   (1u << 4)
#define PKT_HAS_TYPE	   (1u << 5)
#define PKT_HAS_CODE	   (1u << 6)
/* Not a field: the packet is incomplete (above). Kept with the fields so
 * that a rule's conditions, including this one, are one mask of bits the
 * packet must have. */
#define PKT_HAS_INCOMPLETE (1u << 7)

struct pkt_fields {
	uint8_t family; /* 0: not IP (or a deep VLAN frame); FAM_V4 or FAM_V6 */
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
