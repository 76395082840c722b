/* uttraffic: sends real TCP, UDP and ICMP packets through the kernel's IP
 * stack, counted exactly, for the end-to-end tests of the loader.
 *
 *   uttraffic --proto tcp|udp|icmp --src ADDR --dst ADDR [--sport P]
 *             [--dport P] [--type T] [--code C] [--count N] [--pps R]
 *             [--until-signal]
 *
 * The family comes from the addresses. UDP goes out of an ordinary datagram
 * socket bound to SRC:SPORT; TCP is a SYN segment per packet (a raw socket,
 * so that no retransmission or handshake adds packets the test did not
 * count); ICMP is an echo request (or --type/--code) per packet. Packets
 * are paced at R per second (default: as fast as the socket takes them).
 * A send the kernel refuses (ENOBUFS) is retried, so the count printed at
 * the end ("sent N") is the number of packets that left. With
 * --until-signal it sends until SIGINT or SIGTERM instead of N packets. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

struct opts {
	const char *proto, *src, *dst;
	unsigned sport, dport, type, code;
	unsigned long count, pps;
	int until_signal;
};

static void die(const char *what)
{
	fprintf(stderr, "uttraffic: %s: %s\n", what, strerror(errno));
	exit(1);
}

static unsigned long number(const char *s, unsigned long max, const char *what)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || end == s || v > max) {
		fprintf(stderr, "uttraffic: bad %s '%s'\n", what, s);
		exit(2);
	}
	return v;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint32_t csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)(p[len - 1] << 8);
	return sum;
}

union sa {
	struct sockaddr sa;
	struct sockaddr_in v4;
	struct sockaddr_in6 v6;
};

static int parse_addr(const char *text, unsigned port, union sa *out, socklen_t *len)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, text, &out->v4.sin_addr) == 1) {
		out->v4.sin_family = AF_INET;
		out->v4.sin_port = htons((uint16_t)port);
		*len = sizeof(out->v4);
		return AF_INET;
	}
	if (inet_pton(AF_INET6, text, &out->v6.sin6_addr) == 1) {
		out->v6.sin6_family = AF_INET6;
		out->v6.sin6_port = htons((uint16_t)port);
		*len = sizeof(out->v6);
		return AF_INET6;
	}
	fprintf(stderr, "uttraffic: '%s' is not an address\n", text);
	exit(2);
}

/* A TCP SYN (20 bytes), checksummed for IPv4 (IPv6: the kernel does it). */
static size_t build_tcp(uint8_t *b, const struct opts *o, const union sa *src, const union sa *dst,
			int af, uint32_t seq)
{
	memset(b, 0, 20);
	b[0] = (uint8_t)(o->sport >> 8);
	b[1] = (uint8_t)o->sport;
	b[2] = (uint8_t)(o->dport >> 8);
	b[3] = (uint8_t)o->dport;
	b[4] = (uint8_t)(seq >> 24);
	b[5] = (uint8_t)(seq >> 16);
	b[6] = (uint8_t)(seq >> 8);
	b[7] = (uint8_t)seq;
	b[12] = 5 << 4; /* data offset */
	b[13] = 0x02;	/* SYN */
	b[14] = 0xff;	/* window */
	b[15] = 0xff;
	if (af == AF_INET) {
		uint8_t pseudo[4] = {0, 6, 0, 20};
		uint32_t sum = 0;
		uint16_t c;
		sum = csum_add(sum, &src->v4.sin_addr, 4);
		sum = csum_add(sum, &dst->v4.sin_addr, 4);
		sum = csum_add(sum, pseudo, 4);
		sum = csum_add(sum, b, 20);
		c = csum_fold(sum);
		b[16] = (uint8_t)(c >> 8);
		b[17] = (uint8_t)c;
	}
	return 20;
}

/* An ICMP echo request (or --type/--code) with an 8-byte payload. */
static size_t build_icmp(uint8_t *b, const struct opts *o, int af, uint32_t seq)
{
	memset(b, 0, 16);
	b[0] = (uint8_t)o->type;
	b[1] = (uint8_t)o->code;
	b[4] = 0x75; /* id "ut" */
	b[5] = 0x74;
	b[6] = (uint8_t)(seq >> 8);
	b[7] = (uint8_t)seq;
	memcpy(b + 8, "untrack!", 8);
	if (af == AF_INET) {
		uint16_t c = csum_fold(csum_add(0, b, 16));
		b[2] = (uint8_t)(c >> 8);
		b[3] = (uint8_t)c;
	}
	return 16;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"proto", required_argument, NULL, 'p'},
		{"src", required_argument, NULL, 's'},
		{"dst", required_argument, NULL, 'd'},
		{"sport", required_argument, NULL, 'S'},
		{"dport", required_argument, NULL, 'D'},
		{"type", required_argument, NULL, 't'},
		{"code", required_argument, NULL, 'c'},
		{"count", required_argument, NULL, 'n'},
		{"pps", required_argument, NULL, 'r'},
		{"until-signal", no_argument, NULL, 'u'},
		{0},
	};
	struct opts o = {.sport = 40000, .dport = 9, .count = 1, .type = 8};
	union sa src, dst;
	socklen_t srclen, dstlen;
	struct sigaction sa = {0};
	struct timespec start, next;
	unsigned long sent = 0;
	int c, af, fd, type_given = 0;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			o.proto = optarg;
			break;
		case 's':
			o.src = optarg;
			break;
		case 'd':
			o.dst = optarg;
			break;
		case 'S':
			o.sport = (unsigned)number(optarg, 65535, "port");
			break;
		case 'D':
			o.dport = (unsigned)number(optarg, 65535, "port");
			break;
		case 't':
			o.type = (unsigned)number(optarg, 255, "type");
			type_given = 1;
			break;
		case 'c':
			o.code = (unsigned)number(optarg, 255, "code");
			break;
		case 'n':
			o.count = number(optarg, 100000000, "count");
			break;
		case 'r':
			o.pps = number(optarg, 10000000, "rate");
			break;
		case 'u':
			o.until_signal = 1;
			break;
		default:
			return 2;
		}
	}
	if (!o.proto || !o.src || !o.dst) {
		fprintf(stderr, "usage: uttraffic --proto tcp|udp|icmp --src ADDR --dst ADDR "
				"[--sport P] [--dport P] [--type T] [--code C] [--count N] "
				"[--pps R] [--until-signal]\n");
		return 2;
	}
	af = parse_addr(o.src, strcmp(o.proto, "udp") == 0 ? o.sport : 0, &src, &srclen);
	if (parse_addr(o.dst, strcmp(o.proto, "udp") == 0 ? o.dport : 0, &dst, &dstlen) != af) {
		fprintf(stderr, "uttraffic: --src and --dst are of different families\n");
		return 2;
	}
	if (af == AF_INET6 && !type_given)
		o.type = 128; /* echo request */

	if (strcmp(o.proto, "udp") == 0)
		fd = socket(af, SOCK_DGRAM, 0);
	else if (strcmp(o.proto, "tcp") == 0)
		fd = socket(af, SOCK_RAW, IPPROTO_TCP);
	else if (strcmp(o.proto, "icmp") == 0)
		fd = socket(af, SOCK_RAW, af == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6);
	else {
		fprintf(stderr, "uttraffic: --proto is tcp, udp or icmp\n");
		return 2;
	}
	if (fd < 0)
		die("socket");
	if (af == AF_INET6 && strcmp(o.proto, "tcp") == 0) {
		int off = 16; /* the TCP checksum field */
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_CHECKSUM, &off, sizeof(off)))
			die("IPV6_CHECKSUM");
	}
	if (bind(fd, &src.sa, srclen))
		die("bind");

	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (!stop && (o.until_signal || sent < o.count)) {
		uint8_t buf[64];
		size_t len;
		ssize_t n;

		if (o.pps) {
			/* Packet i leaves at start + i / pps: no drift. */
			unsigned long long at = (unsigned long long)start.tv_nsec +
						(unsigned long long)sent * 1000000000ull / o.pps;
			next.tv_sec = start.tv_sec + (time_t)(at / 1000000000ull);
			next.tv_nsec = (long)(at % 1000000000ull);
			while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) ==
			       EINTR)
				if (stop)
					break;
			if (stop)
				break;
		}
		if (strcmp(o.proto, "udp") == 0) {
			len = 32;
			memset(buf, 0, len);
			memcpy(buf, &sent, sizeof(sent));
		} else if (strcmp(o.proto, "tcp") == 0) {
			len = build_tcp(buf, &o, &src, &dst, af, (uint32_t)sent);
		} else {
			len = build_icmp(buf, &o, af, (uint32_t)sent);
		}
		n = sendto(fd, buf, len, 0, &dst.sa, dstlen);
		if (n < 0) {
			if (errno == ENOBUFS || errno == EAGAIN || errno == EINTR) {
				usleep(100);
				continue;
			}
			die("sendto");
		}
		sent++;
	}
	close(fd);
	printf("sent %lu\n", sent);
	return 0;
}
