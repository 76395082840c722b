/* nftsend: send hand-built IPv4/IPv6 packets through the local output path
 * (raw sockets with the IP header included, so every packet crosses
 * nftables' OUTPUT hook exactly once), for tests/nft/run.sh.
 *
 *   nftsend SRC DST PROTO [--sport P] [--dport P] [--type T] [--code C]
 *           [--frag first|later] [--ext hbh,dst,rt,ah,...] [--l4len N]
 *           [--count N]
 *
 * PROTO is a number or tcp, udp, sctp, icmp, icmpv6. The family comes from
 * the addresses. TCP is a SYN, UDP carries 8 bytes, ICMP is an echo request
 * unless --type/--code say otherwise, SCTP is a common header and an INIT
 * chunk, other protocols 8 zero bytes. --frag sends a first fragment (more
 * fragments, offset 0) or a later one (offset 64); --ext (IPv6) puts those
 * extension headers before the upper layer; --l4len cuts the L4 header and
 * payload to N bytes. Prints nothing; exits 1 if a send fails. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_PKT 512

struct opts {
	int family;
	uint8_t src[16], dst[16];
	int proto;
	unsigned sport, dport, type, code;
	int has_type;
	const char *frag;
	char ext[64];
	long l4len;
	unsigned long count;
};

static void usage_exit(const char *msg)
{
	fprintf(stderr, "nftsend: %s\n", msg);
	exit(2);
}

static unsigned long number(const char *s, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || end == s || v > max)
		usage_exit("bad number");
	return v;
}

static uint32_t sum16(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)(p[len - 1] << 8);
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The L4 header and payload; returns its length. */
static size_t build_l4(const struct opts *o, uint8_t *l4)
{
	size_t n = 8;

	memset(l4, 0, 64);
	switch (o->proto) {
	case IPPROTO_TCP:
		n = 20;
		l4[0] = (uint8_t)(o->sport >> 8), l4[1] = (uint8_t)o->sport;
		l4[2] = (uint8_t)(o->dport >> 8), l4[3] = (uint8_t)o->dport;
		l4[7] = 1;	 /* sequence number */
		l4[12] = 5 << 4; /* data offset */
		l4[13] = 0x02;	 /* SYN */
		l4[14] = 0xff, l4[15] = 0xff;
		break;
	case IPPROTO_UDP:
		n = 16;
		l4[0] = (uint8_t)(o->sport >> 8), l4[1] = (uint8_t)o->sport;
		l4[2] = (uint8_t)(o->dport >> 8), l4[3] = (uint8_t)o->dport;
		l4[5] = (uint8_t)n;
		break;
	case IPPROTO_SCTP:
		n = 32;
		l4[0] = (uint8_t)(o->sport >> 8), l4[1] = (uint8_t)o->sport;
		l4[2] = (uint8_t)(o->dport >> 8), l4[3] = (uint8_t)o->dport;
		l4[12] = 1;  /* INIT */
		l4[15] = 20; /* chunk length */
		l4[16] = 0x12, l4[17] = 0x34, l4[18] = 0x56, l4[19] = 0x78;
		l4[22] = 0x10; /* a_rwnd */
		l4[25] = 1, l4[27] = 1;
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		n = 16;
		l4[0] = (uint8_t)(o->has_type ? o->type : o->proto == IPPROTO_ICMP ? 8 : 128);
		l4[1] = (uint8_t)o->code;
		l4[4] = 0x12, l4[5] = 0x34, l4[7] = 1; /* id, sequence */
		break;
	default:
		break;
	}
	return n;
}

static void l4_checksum(const struct opts *o, uint8_t *l4, size_t n)
{
	int off = o->proto == IPPROTO_TCP      ? 16
		  : o->proto == IPPROTO_UDP    ? 6
		  : o->proto == IPPROTO_ICMP   ? 2
		  : o->proto == IPPROTO_ICMPV6 ? 2
					       : -1;
	size_t alen = o->family == AF_INET ? 4 : 16;
	uint32_t sum = 0;
	uint8_t pseudo[4] = {0, 0, 0, 0};

	if (off < 0 || (size_t)off + 2 > n)
		return;
	if (o->proto != IPPROTO_ICMP) {
		sum = sum16(sum, o->src, alen);
		sum = sum16(sum, o->dst, alen);
		pseudo[1] = (uint8_t)o->proto;
		pseudo[2] = (uint8_t)(n >> 8), pseudo[3] = (uint8_t)n;
		sum = sum16(sum, pseudo, 4);
	}
	sum = sum16(sum, l4, n);
	uint16_t c = fold(sum);
	if (c == 0 && o->proto == IPPROTO_UDP)
		c = 0xffff;
	l4[off] = (uint8_t)(c >> 8), l4[off + 1] = (uint8_t)c;
}

static size_t build(const struct opts *o, uint8_t *pkt)
{
	uint8_t l4[64];
	size_t l4n = build_l4(o, l4), hdr, n;
	int later = o->frag && strcmp(o->frag, "later") == 0;

	l4_checksum(o, l4, l4n);
	if (o->l4len >= 0 && (size_t)o->l4len < l4n)
		l4n = (size_t)o->l4len;
	memset(pkt, 0, MAX_PKT);
	if (o->family == AF_INET) {
		hdr = 20;
		pkt[0] = 0x45;
		pkt[8] = 64;
		pkt[9] = (uint8_t)o->proto;
		if (o->frag)
			pkt[6] = later ? 0x00 : 0x20, pkt[7] = later ? 8 : 0; /* MF / offset 64 */
		memcpy(pkt + 12, o->src, 4);
		memcpy(pkt + 16, o->dst, 4);
		memcpy(pkt + hdr, l4, l4n);
		n = hdr + l4n;
		pkt[2] = (uint8_t)(n >> 8), pkt[3] = (uint8_t)n;
		return n;
	}
	/* IPv6: the fixed header, the extension headers asked for, then a
	 * fragment header if asked for, then the upper layer. */
	uint8_t *nh = pkt + 6;
	pkt[0] = 0x60;
	pkt[7] = 64;
	memcpy(pkt + 8, o->src, 16);
	memcpy(pkt + 24, o->dst, 16);
	hdr = 40;
	char list[64];
	snprintf(list, sizeof(list), "%s", o->ext);
	for (char *save = NULL, *e = strtok_r(list, ",", &save); e;
	     e = strtok_r(NULL, ",", &save)) {
		uint8_t code;
		if (strcmp(e, "hbh") == 0)
			code = 0;
		else if (strcmp(e, "dst") == 0)
			code = 60;
		else if (strcmp(e, "rt") == 0)
			code = 43;
		else if (strcmp(e, "ah") == 0)
			code = 51;
		else
			usage_exit("unknown extension header");
		*nh = code;
		nh = pkt + hdr;
		if (code == 51) {
			pkt[hdr + 1] = 2; /* (2 + 2) * 4 = 16 bytes */
			pkt[hdr + 7] = 1; /* SPI */
			hdr += 16;
		} else {
			pkt[hdr + 1] = 0; /* 8 bytes */
			if (code == 0 || code == 60)
				pkt[hdr + 2] = 1, pkt[hdr + 3] = 4; /* PadN */
			else
				pkt[hdr + 2] = 0, pkt[hdr + 3] = 0; /* type 0, segments left 0 */
			hdr += 8;
		}
	}
	if (o->frag) {
		*nh = 44;
		nh = pkt + hdr;
		pkt[hdr + 3] = later ? 8 << 3 : 1; /* offset 64 bytes, or M */
		pkt[hdr + 7] = 0x42;		   /* identification */
		hdr += 8;
	}
	*nh = (uint8_t)o->proto;
	memcpy(pkt + hdr, l4, l4n);
	n = hdr + l4n;
	pkt[4] = (uint8_t)((n - 40) >> 8), pkt[5] = (uint8_t)(n - 40);
	return n;
}

static int parse_proto(const char *s)
{
	static const struct {
		const char *name;
		int num;
	} names[] = {{"tcp", IPPROTO_TCP},
		     {"udp", IPPROTO_UDP},
		     {"sctp", IPPROTO_SCTP},
		     {"icmp", IPPROTO_ICMP},
		     {"icmpv6", IPPROTO_ICMPV6}};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i].name) == 0)
			return names[i].num;
	return (int)number(s, 255);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"sport", required_argument, NULL, 's'},
		{"dport", required_argument, NULL, 'd'},
		{"type", required_argument, NULL, 't'},
		{"code", required_argument, NULL, 'c'},
		{"frag", required_argument, NULL, 'f'},
		{"ext", required_argument, NULL, 'e'},
		{"l4len", required_argument, NULL, 'l'},
		{"count", required_argument, NULL, 'n'},
		{0},
	};
	struct opts o = {.l4len = -1, .count = 1, .sport = 40000};
	uint8_t pkt[MAX_PKT];
	int c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			o.sport = (unsigned)number(optarg, 65535);
			break;
		case 'd':
			o.dport = (unsigned)number(optarg, 65535);
			break;
		case 't':
			o.type = (unsigned)number(optarg, 255);
			o.has_type = 1;
			break;
		case 'c':
			o.code = (unsigned)number(optarg, 255);
			break;
		case 'f':
			if (strcmp(optarg, "first") && strcmp(optarg, "later"))
				usage_exit("--frag takes 'first' or 'later'");
			o.frag = optarg;
			break;
		case 'e':
			snprintf(o.ext, sizeof(o.ext), "%s", optarg);
			break;
		case 'l':
			o.l4len = (long)number(optarg, 64);
			break;
		case 'n':
			o.count = number(optarg, 1000000);
			break;
		default:
			usage_exit("usage: nftsend SRC DST PROTO [options]");
		}
	}
	if (argc - optind != 3)
		usage_exit("usage: nftsend SRC DST PROTO [options]");
	if (inet_pton(AF_INET, argv[optind], o.src) == 1 &&
	    inet_pton(AF_INET, argv[optind + 1], o.dst) == 1)
		o.family = AF_INET;
	else if (inet_pton(AF_INET6, argv[optind], o.src) == 1 &&
		 inet_pton(AF_INET6, argv[optind + 1], o.dst) == 1)
		o.family = AF_INET6;
	else
		usage_exit("SRC and DST must be addresses of one family");
	o.proto = parse_proto(argv[optind + 2]);
	if (o.ext[0] && o.family != AF_INET6)
		usage_exit("--ext is for IPv6");

	int fd = socket(o.family, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0) {
		perror("nftsend: socket");
		return 1;
	}
	size_t n = build(&o, pkt);
	struct sockaddr_storage to = {0};
	socklen_t tolen;
	if (o.family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&to;
		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, o.dst, 4);
		tolen = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&to;
		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, o.dst, 16);
		tolen = sizeof(*s6);
	}
	for (unsigned long i = 0; i < o.count; i++) {
		ssize_t r = sendto(fd, pkt, n, 0, (struct sockaddr *)&to, tolen);
		/* A dropping netfilter verdict shows as EPERM: the packet was
		 * sent into the stack, and that is all this tool promises. */
		if (r < 0 && errno != EPERM) {
			perror("nftsend: sendto");
			return 1;
		}
	}
	close(fd);
	return 0;
}
