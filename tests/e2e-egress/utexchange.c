/* utexchange: ordinary-socket traffic for the egress end-to-end tests
 * (tests/e2e-egress/run.sh): what a process on the attached host sends, and
 * request/reply exchanges.
 *
 *   utexchange send --src A --dst B --dport P [--sport P] [--count N]
 *       N UDP datagrams from A (port P or any) to B:P. Prints
 *       "sent N refused M": M is how many the local stack refused with
 *       EPERM, which is how a netfilter drop on output shows.
 *   utexchange serve --proto udp|tcp --addr A --port P
 *       An echo server on A:P until SIGTERM/SIGINT; prints "echoed N"
 *       (datagrams or TCP messages of 16 bytes).
 *   utexchange ask --proto udp|tcp --src A --dst B --dport P [--count N]
 *                  [--wait MS]
 *       N requests of 16 bytes to B:P, each waiting (up to MS, default
 *       1000) for its echo; TCP on one connection, opened and closed
 *       normally. Prints "replies N".
 *
 * The family comes from the addresses. Exit status 0 unless something
 * failed that is not the test's business (bad arguments, no socket). */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MSG 16

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

union addr {
	struct sockaddr sa;
	struct sockaddr_in v4;
	struct sockaddr_in6 v6;
};

struct opts {
	const char *mode, *proto, *src, *dst;
	unsigned sport, dport;
	unsigned long count, wait_ms;
};

static void die(const char *what)
{
	fprintf(stderr, "utexchange: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void usage(void)
{
	fputs("usage: utexchange send --src A --dst B --dport P [--sport P] [--count N]\n"
	      "       utexchange serve --proto udp|tcp --addr A --port P\n"
	      "       utexchange ask --proto udp|tcp --src A --dst B --dport P [--count N]\n"
	      "                      [--wait MS]\n",
	      stderr);
	exit(2);
}

static unsigned long number(const char *s, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || end == s || v > max)
		usage();
	return v;
}

static socklen_t make_addr(const char *text, unsigned port, union addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, text, &a->v4.sin_addr) == 1) {
		a->v4.sin_family = AF_INET;
		a->v4.sin_port = htons((unsigned short)port);
		return sizeof(a->v4);
	}
	if (inet_pton(AF_INET6, text, &a->v6.sin6_addr) == 1) {
		a->v6.sin6_family = AF_INET6;
		a->v6.sin6_port = htons((unsigned short)port);
		return sizeof(a->v6);
	}
	fprintf(stderr, "utexchange: '%s' is not an address\n", text);
	exit(2);
}

static int bound_socket(int type, const char *addr, unsigned port)
{
	union addr a;
	socklen_t len = make_addr(addr, port, &a);
	int one = 1, fd = socket(a.sa.sa_family, type, 0);

	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, &a.sa, len))
		die("bind");
	return fd;
}

static int cmd_send(const struct opts *o)
{
	union addr to;
	socklen_t tolen = make_addr(o->dst, o->dport, &to);
	int fd = bound_socket(SOCK_DGRAM, o->src, o->sport);
	unsigned long sent = 0, refused = 0;
	char buf[MSG] = "utexchange send";

	for (unsigned long i = 0; i < o->count; i++) {
		const struct timespec gap = {0, 200000};
		ssize_t r = sendto(fd, buf, sizeof(buf), 0, &to.sa, tolen);
		if (r < 0 && errno == EPERM)
			refused++;
		else if (r < 0)
			die("sendto");
		sent++;
		nanosleep(&gap, NULL);
	}
	printf("sent %lu refused %lu\n", sent, refused);
	close(fd);
	return 0;
}

static int cmd_serve(const struct opts *o)
{
	int tcp = strcmp(o->proto, "tcp") == 0;
	int fd = bound_socket(tcp ? SOCK_STREAM : SOCK_DGRAM, o->src, o->dport);
	unsigned long echoed = 0;
	char buf[MSG];

	if (tcp && listen(fd, 8))
		die("listen");
	/* Ready: the test waits for this line. */
	printf("ready\n");
	fflush(stdout);
	while (!stop) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		union addr from;
		socklen_t flen = sizeof(from);
		int c;

		if (poll(&p, 1, 100) <= 0)
			continue;
		if (!tcp) {
			ssize_t r = recvfrom(fd, buf, sizeof(buf), 0, &from.sa, &flen);
			if (r > 0 && sendto(fd, buf, (size_t)r, 0, &from.sa, flen) == r)
				echoed++;
			continue;
		}
		c = accept(fd, NULL, NULL);
		if (c < 0)
			continue;
		while (!stop) {
			struct pollfd q = {.fd = c, .events = POLLIN};
			ssize_t r;
			if (poll(&q, 1, 100) <= 0)
				continue;
			r = recv(c, buf, sizeof(buf), MSG_WAITALL);
			if (r <= 0)
				break;
			if (send(c, buf, (size_t)r, 0) == r)
				echoed++;
		}
		close(c);
	}
	printf("echoed %lu\n", echoed);
	close(fd);
	return 0;
}

/* Wait up to ms for fd to be readable. */
static int readable(int fd, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return poll(&p, 1, ms) == 1;
}

static int cmd_ask(const struct opts *o)
{
	int tcp = strcmp(o->proto, "tcp") == 0;
	union addr to;
	socklen_t tolen = make_addr(o->dst, o->dport, &to);
	int fd = bound_socket(tcp ? SOCK_STREAM : SOCK_DGRAM, o->src, o->sport);
	unsigned long replies = 0;
	char req[MSG], rep[MSG];

	if (connect(fd, &to.sa, tolen)) {
		if (!tcp)
			die("connect");
		printf("replies 0\n");
		close(fd);
		return 0;
	}
	for (unsigned long i = 0; i < o->count; i++) {
		ssize_t r;
		memset(req, 0, sizeof(req));
		snprintf(req, sizeof(req), "req %08lu", i % 100000000);
		if (send(fd, req, sizeof(req), 0) != (ssize_t)sizeof(req))
			break;
		if (!readable(fd, (int)o->wait_ms))
			continue;
		r = recv(fd, rep, sizeof(rep), tcp ? MSG_WAITALL : 0);
		if (r == (ssize_t)sizeof(rep) && memcmp(req, rep, sizeof(rep)) == 0)
			replies++;
		else if (tcp)
			break;
	}
	if (tcp) {
		/* An orderly close: FIN both ways. */
		shutdown(fd, SHUT_WR);
		if (readable(fd, 1000))
			(void)recv(fd, rep, sizeof(rep), 0);
	}
	printf("replies %lu\n", replies);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"proto", required_argument, NULL, 'p'}, {"src", required_argument, NULL, 's'},
		{"addr", required_argument, NULL, 's'},	 {"dst", required_argument, NULL, 'd'},
		{"sport", required_argument, NULL, 'S'}, {"dport", required_argument, NULL, 'D'},
		{"port", required_argument, NULL, 'D'},	 {"count", required_argument, NULL, 'c'},
		{"wait", required_argument, NULL, 'w'},	 {0},
	};
	struct opts o = {.proto = "udp", .count = 1, .wait_ms = 1000};
	struct sigaction sa;
	int c;

	if (argc < 2)
		usage();
	o.mode = argv[1];
	optind = 2;
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
			o.sport = (unsigned)number(optarg, 65535);
			break;
		case 'D':
			o.dport = (unsigned)number(optarg, 65535);
			break;
		case 'c':
			o.count = number(optarg, 10000000);
			break;
		case 'w':
			o.wait_ms = number(optarg, 60000);
			break;
		default:
			usage();
		}
	}
	if (optind != argc || !o.src || (strcmp(o.proto, "udp") && strcmp(o.proto, "tcp")))
		usage();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (strcmp(o.mode, "serve") == 0 && o.dport)
		return cmd_serve(&o);
	if (!o.dst || !o.dport)
		usage();
	if (strcmp(o.mode, "send") == 0)
		return cmd_send(&o);
	if (strcmp(o.mode, "ask") == 0)
		return cmd_ask(&o);
	usage();
	return 2;
}
