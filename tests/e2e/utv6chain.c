/* utv6chain: UDP over IPv6 behind a chain of destination options headers,
 * for the end-to-end test of issue 17 (tests/e2e/evasion.sh), and the
 * socket that should or should not receive it.
 *
 *   utv6chain send --src ADDR --dst ADDR --sport P --dport P --ext N
 *                  [--cut BYTES] [--count C]
 *   utv6chain recv --bind ADDR --port P --seconds S
 *
 * send writes whole IPv6 packets through a raw socket (IPPROTO_RAW: the
 * header is ours), each with N destination options headers of 8 bytes (a
 * PadN option) before a UDP header with a correct checksum and 8 bytes of
 * payload. --cut ends the packet BYTES bytes after its IPv6 header (its
 * payload length says so too), so the chain can be cut inside a header. It
 * prints "sent C".
 * recv binds a UDP socket, prints "listening" once it is bound, and after
 * S seconds "received N": the datagrams the stack delivered to it. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define IPV6_HLEN  40
#define EXT_LEN	   8
#define UDP_HLEN   8
#define PAYLOAD	   8
#define MAX_EXT	   200
#define NH_DSTOPTS 60
#define NH_UDP	   17

struct opts {
	const char *src, *dst, *bind;
	unsigned long sport, dport, port, ext, count, seconds;
	long cut;
};

static void die(const char *what)
{
	fprintf(stderr, "utv6chain: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void usage(void)
{
	fprintf(stderr, "usage: utv6chain send --src ADDR --dst ADDR --sport P --dport P --ext N "
			"[--cut BYTES] [--count C]\n"
			"       utv6chain recv --bind ADDR --port P --seconds S\n");
	exit(2);
}

static unsigned long number(const char *s, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || end == s || v > max) {
		fprintf(stderr, "utv6chain: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

static void parse(int argc, char **argv, struct opts *o)
{
	*o = (struct opts){.count = 1, .cut = -1};
	for (int i = 2; i + 1 < argc; i += 2) {
		const char *k = argv[i], *v = argv[i + 1];

		if (!strcmp(k, "--src"))
			o->src = v;
		else if (!strcmp(k, "--dst"))
			o->dst = v;
		else if (!strcmp(k, "--bind"))
			o->bind = v;
		else if (!strcmp(k, "--sport"))
			o->sport = number(v, 65535);
		else if (!strcmp(k, "--dport"))
			o->dport = number(v, 65535);
		else if (!strcmp(k, "--port"))
			o->port = number(v, 65535);
		else if (!strcmp(k, "--ext"))
			o->ext = number(v, MAX_EXT);
		else if (!strcmp(k, "--count"))
			o->count = number(v, 1000000);
		else if (!strcmp(k, "--seconds"))
			o->seconds = number(v, 3600);
		else if (!strcmp(k, "--cut"))
			o->cut = (long)number(v, 65535);
		else
			usage();
	}
	if (argc % 2)
		usage();
}

static void addr(const char *text, struct in6_addr *out)
{
	if (!text || inet_pton(AF_INET6, text, out) != 1) {
		fprintf(stderr, "utv6chain: bad IPv6 address '%s'\n", text ? text : "");
		exit(2);
	}
}

/* The UDP checksum over the IPv6 pseudo header (RFC 8200, 8.1). */
static uint16_t udp6_checksum(const struct in6_addr *src, const struct in6_addr *dst,
			      const uint8_t *udp, size_t len)
{
	uint32_t sum = 0;

	for (int i = 0; i < 16; i += 2) {
		sum += (uint32_t)(src->s6_addr[i] << 8 | src->s6_addr[i + 1]);
		sum += (uint32_t)(dst->s6_addr[i] << 8 | dst->s6_addr[i + 1]);
	}
	sum += (uint32_t)len;
	sum += NH_UDP;
	for (size_t i = 0; i < len; i += 2)
		sum += (uint32_t)(udp[i] << 8 | (i + 1 < len ? udp[i + 1] : 0));
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	sum = ~sum & 0xffff;
	return (uint16_t)(sum ? sum : 0xffff);
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* The whole packet into buf; returns its length. */
static size_t build(const struct opts *o, const struct in6_addr *src, const struct in6_addr *dst,
		    uint8_t *buf)
{
	size_t ext = o->ext * EXT_LEN, udp_len = UDP_HLEN + PAYLOAD;
	uint8_t *p = buf + IPV6_HLEN, *udp = p + ext;

	memset(buf, 0, IPV6_HLEN + ext + udp_len);
	buf[0] = 0x60;
	put16(buf + 4, (unsigned)(ext + udp_len));
	buf[6] = o->ext ? NH_DSTOPTS : NH_UDP;
	buf[7] = 64;
	memcpy(buf + 8, src, 16);
	memcpy(buf + 24, dst, 16);
	for (unsigned long i = 0; i < o->ext; i++, p += EXT_LEN) {
		p[0] = i + 1 < o->ext ? NH_DSTOPTS : NH_UDP;
		p[1] = 0; /* 8 bytes */
		p[2] = 1; /* PadN */
		p[3] = 4; /* of the 4 bytes left */
	}
	put16(udp, (unsigned)o->sport);
	put16(udp + 2, (unsigned)o->dport);
	put16(udp + 4, (unsigned)udp_len);
	memcpy(udp + UDP_HLEN, "untrack!", PAYLOAD);
	put16(udp + 6, udp6_checksum(src, dst, udp, udp_len));
	if (o->cut >= 0 && (size_t)o->cut < ext + udp_len) {
		put16(buf + 4, (unsigned)o->cut);
		return IPV6_HLEN + (size_t)o->cut;
	}
	return IPV6_HLEN + ext + udp_len;
}

static int do_send(const struct opts *o)
{
	static uint8_t buf[IPV6_HLEN + MAX_EXT * EXT_LEN + UDP_HLEN + PAYLOAD];
	struct sockaddr_in6 to = {.sin6_family = AF_INET6};
	struct in6_addr src;
	unsigned long sent = 0;
	size_t len;
	int fd;

	addr(o->src, &src);
	addr(o->dst, &to.sin6_addr);
	len = build(o, &src, &to.sin6_addr, buf);
	fd = socket(AF_INET6, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0)
		die("raw IPv6 socket");
	while (sent < o->count) {
		if (sendto(fd, buf, len, 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
			if (errno == ENOBUFS)
				continue;
			die("sendto");
		}
		sent++;
	}
	close(fd);
	printf("sent %lu\n", sent);
	return 0;
}

static int do_recv(const struct opts *o)
{
	struct sockaddr_in6 me = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)o->port)};
	struct timespec now, end;
	unsigned long got = 0;
	uint8_t buf[2048];
	int fd;

	addr(o->bind, &me.sin6_addr);
	fd = socket(AF_INET6, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&me, sizeof(me)) < 0)
		die("bind");
	printf("listening\n");
	fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += (time_t)o->seconds;
	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		long ms;

		clock_gettime(CLOCK_MONOTONIC, &now);
		ms = (end.tv_sec - now.tv_sec) * 1000 + (end.tv_nsec - now.tv_nsec) / 1000000;
		if (ms <= 0)
			break;
		if (poll(&pfd, 1, (int)ms) > 0 && recv(fd, buf, sizeof(buf), 0) >= 0)
			got++;
	}
	close(fd);
	printf("received %lu\n", got);
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o;

	if (argc < 2)
		usage();
	parse(argc, argv, &o);
	if (!strcmp(argv[1], "send"))
		return do_send(&o);
	if (!strcmp(argv[1], "recv") && o.bind && o.port && o.seconds)
		return do_recv(&o);
	usage();
	return 2;
}
