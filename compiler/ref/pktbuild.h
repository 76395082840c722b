/* Build real Ethernet frames from a short flow description: for case files,
 * pcap fixtures and the kernel tests. The frames are what a host would put on
 * the wire (IPv4 header checksum, lengths, L4 checksums), so tools such as
 * tcpdump decode them without complaint. */
#ifndef UNTRACK_PKTBUILD_H
#define UNTRACK_PKTBUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* More tags than the parser skips, so tests can build frames it must refuse. */
#define PKTBUILD_MAX_VLAN    4
#define PKTBUILD_MAX_OPTIONS 40 /* IPv4 options: IHL 15 */
#define PKTBUILD_MAX_FRAME   65535

/* The fragment offset (in 8-byte units) of a non-first fragment. */
#define PKTBUILD_FRAG_OFFSET 185

/* The MACs every built frame carries. */
extern const uint8_t pktbuild_dst_mac[6], pktbuild_src_mac[6];

struct flow {
	uint8_t family; /* FAM_V4 or FAM_V6 */
	int proto;	/* 0..255; decides which L4 header is written */
	uint8_t src[16], dst[16];
	int sport, dport;	  /* -1: unset, written as 0 */
	int icmp_type, icmp_code; /* -1: unset, written as 0 */
	unsigned nvlan;		  /* tags, outermost first */
	uint16_t vlan_tpid[PKTBUILD_MAX_VLAN], vlan_id[PKTBUILD_MAX_VLAN];
	bool nonfirst_fragment;	 /* offset PKTBUILD_FRAG_OFFSET, no L4 header */
	bool first_fragment;	 /* offset 0, more fragments */
	unsigned ip_options_len; /* IPv4 option bytes (NOPs), multiple of 4 */
	unsigned ext_headers;	 /* IPv6 destination options headers to insert */
	unsigned payload_len;	 /* bytes after the L4 header */
};

/* A flow with nothing set: TCP over IPv4 between 0.0.0.0 addresses, ports
 * and ICMP fields unset. */
void flow_init(struct flow *f);

/* Write the frame into buf. Returns its length, or 0 when it does not fit in
 * cap (or PKTBUILD_MAX_FRAME) or the flow is impossible (bad family, too
 * many tags, malformed options length, both fragment kinds). */
size_t pktbuild_frame(const struct flow *f, uint8_t *buf, size_t cap);

#endif
