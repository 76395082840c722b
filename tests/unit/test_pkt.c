/* pkt_parse: every field of every family and protocol, VLAN tags, IPv4
 * options, IPv6 extension headers and their depth limit, fragments, and
 * truncation at every byte. Every parse runs on a heap copy of exactly the
 * frame's length, so ASan catches any read past its end. */
#include "testutil.h"

#include <arpa/inet.h>

#include "objfmt/addr.h"
#include "ir/ir.h"
#include "ref/pkt.h"
#include "ref/pktbuild.h"

#define HAS_ADDRS (PKT_HAS_PROTO | PKT_HAS_SRC | PKT_HAS_DST)
#define HAS_PORTS (HAS_ADDRS | PKT_HAS_SPORT | PKT_HAS_DPORT)
#define HAS_ICMP  (HAS_ADDRS | PKT_HAS_TYPE | PKT_HAS_CODE)

static void parse_exact(const uint8_t *frame, size_t len, struct pkt_fields *out)
{
	uint8_t *copy = malloc(len ? len : 1);

	assert_non_null(copy);
	if (len)
		memcpy(copy, frame, len);
	pkt_parse(copy, len, out);
	free(copy);
}

static void set_addr(uint8_t out[16], const char *text)
{
	memset(out, 0, 16);
	if (inet_pton(AF_INET, text, out) != 1)
		assert_int_equal(inet_pton(AF_INET6, text, out), 1);
}

static void assert_addr(const uint8_t got[16], const char *want)
{
	uint8_t w[16];

	set_addr(w, want);
	assert_memory_equal(got, w, 16);
}

static size_t build(const struct flow *f, uint8_t *buf, size_t cap)
{
	size_t len = pktbuild_frame(f, buf, cap);

	assert_true(len > 0);
	return len;
}

/* ---------------------------------------------------------------- fields */

struct field_case {
	const char *name;
	uint8_t family;
	int proto;
	const char *src, *dst;
	int sport, dport, type, code;
	uint8_t has;
};

static const struct field_case field_cases[] = {
	{"ipv4 tcp", FAM_V4, 6, "192.0.2.1", "10.0.0.1", 1234, 80, -1, -1, HAS_PORTS},
	{"ipv4 udp", FAM_V4, 17, "10.1.2.3", "10.4.5.6", 53, 5353, -1, -1, HAS_PORTS},
	{"ipv4 sctp", FAM_V4, 132, "10.0.0.9", "172.16.0.1", 36412, 2905, -1, -1, HAS_PORTS},
	{"ipv4 icmp", FAM_V4, 1, "198.51.100.7", "10.0.0.2", -1, -1, 8, 0, HAS_ICMP},
	{"ipv4 icmp unreach", FAM_V4, 1, "10.0.0.1", "10.0.0.2", -1, -1, 3, 13, HAS_ICMP},
	{"ipv6 tcp", FAM_V6, 6, "2001:db8::1", "fd00::2", 65535, 22, -1, -1, HAS_PORTS},
	{"ipv6 udp", FAM_V6, 17, "fd00::1", "2001:db8:bad::7", 0, 65534, -1, -1, HAS_PORTS},
	{"ipv6 sctp", FAM_V6, 132, "::1", "::2", 5000, 5001, -1, -1, HAS_PORTS},
	{"ipv6 icmpv6", FAM_V6, 58, "fe80::1", "ff02::1", -1, -1, 135, 0, HAS_ICMP},
	/* The ICMP header belongs to one family each. */
	{"ipv4 proto 58", FAM_V4, 58, "10.0.0.1", "10.0.0.2", -1, -1, 128, 0, HAS_ADDRS},
	{"ipv6 proto 1", FAM_V6, 1, "2001:db8::1", "2001:db8::2", -1, -1, 8, 0, HAS_ADDRS},
	{"ipv4 gre", FAM_V4, 47, "10.0.0.1", "10.0.0.2", -1, -1, -1, -1, HAS_ADDRS},
	{"ipv6 no next header", FAM_V6, 59, "2001:db8::1", "2001:db8::2", -1, -1, -1, -1,
	 HAS_ADDRS},
	{"ipv4 proto 0", FAM_V4, 0, "0.0.0.0", "255.255.255.255", -1, -1, -1, -1, HAS_ADDRS},
	{"ipv4 proto 255", FAM_V4, 255, "10.0.0.1", "10.0.0.2", -1, -1, -1, -1, HAS_ADDRS},
};

static void check_field_case(const struct field_case *c, unsigned nvlan, uint16_t outer_tpid)
{
	struct flow fl;
	struct pkt_fields f;
	uint8_t buf[256];

	flow_init(&fl);
	fl.family = c->family;
	fl.proto = c->proto;
	set_addr(fl.src, c->src);
	set_addr(fl.dst, c->dst);
	fl.sport = c->sport;
	fl.dport = c->dport;
	fl.icmp_type = c->type;
	fl.icmp_code = c->code;
	fl.nvlan = nvlan;
	for (unsigned i = 0; i < nvlan; i++) {
		fl.vlan_tpid[i] = i == 0 ? outer_tpid : 0x8100;
		fl.vlan_id[i] = (uint16_t)(100 + i);
	}
	size_t len = build(&fl, buf, sizeof(buf));
	parse_exact(buf, len, &f);

	assert_int_equal(f.family, c->family);
	assert_int_equal(f.has, c->has);
	assert_int_equal(f.proto, c->proto);
	assert_false(f.nonfirst_fragment);
	assert_int_equal(f.len, len);
	assert_addr(f.src, c->src);
	assert_addr(f.dst, c->dst);
	if (c->has & PKT_HAS_SPORT) {
		assert_int_equal(f.sport, c->sport);
		assert_int_equal(f.dport, c->dport);
	} else {
		assert_int_equal(f.sport, 0);
		assert_int_equal(f.dport, 0);
	}
	if (c->has & PKT_HAS_TYPE) {
		assert_int_equal(f.icmp_type, c->type);
		assert_int_equal(f.icmp_code, c->code);
	} else {
		assert_int_equal(f.icmp_type, 0);
		assert_int_equal(f.icmp_code, 0);
	}
}

static void test_fields(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(field_cases) / sizeof(field_cases[0]); i++) {
		print_message("%s\n", field_cases[i].name);
		check_field_case(&field_cases[i], 0, 0);
	}
}

/* ---------------------------------------------------------------- VLAN */

static void test_vlan_tags_skipped(void **state)
{
	static const struct {
		unsigned nvlan;
		uint16_t outer_tpid;
	} tags[] = {{1, 0x8100}, {1, 0x88a8}, {2, 0x88a8}, {2, 0x8100}};

	(void)state;
	for (size_t t = 0; t < sizeof(tags) / sizeof(tags[0]); t++)
		for (size_t i = 0; i < sizeof(field_cases) / sizeof(field_cases[0]); i++)
			check_field_case(&field_cases[i], tags[t].nvlan, tags[t].outer_tpid);
}

/* A third tag: the frame may still be IP for the stack (nested VLAN
 * devices), so it is incomplete, of no family. */
static void test_vlan_third_tag_incomplete(void **state)
{
	static const uint16_t tpids[][3] = {
		{0x8100, 0x8100, 0x8100},
		{0x88a8, 0x8100, 0x8100},
		{0x88a8, 0x88a8, 0x88a8},
	};
	struct flow fl;
	struct pkt_fields f;
	uint8_t buf[256];

	(void)state;
	for (size_t i = 0; i < sizeof(tpids) / sizeof(tpids[0]); i++) {
		flow_init(&fl);
		fl.sport = 1;
		fl.dport = 2;
		fl.nvlan = 3;
		memcpy(fl.vlan_tpid, tpids[i], sizeof(tpids[i]));
		size_t len = build(&fl, buf, sizeof(buf));
		parse_exact(buf, len, &f);
		assert_int_equal(f.family, 0);
		assert_int_equal(f.has, PKT_HAS_INCOMPLETE);
		assert_int_equal(f.len, len);
		/* Cut inside the tags, it is not known to be IP at all. */
		parse_exact(buf, 14 + 4 + 3, &f);
		assert_int_equal(f.has, 0);
	}
}

/* ---------------------------------------------------------------- IPv4 IHL */

static void test_ipv4_options(void **state)
{
	struct flow fl;
	struct pkt_fields f;
	uint8_t buf[256];

	(void)state;
	for (unsigned opt = 0; opt <= 40; opt += 4) {
		flow_init(&fl);
		fl.proto = 17;
		fl.sport = 4000 + (int)opt;
		fl.dport = 53;
		fl.ip_options_len = opt;
		set_addr(fl.src, "10.0.0.1");
		set_addr(fl.dst, "10.0.0.2");
		size_t len = build(&fl, buf, sizeof(buf));
		assert_int_equal(buf[14] & 0x0f, 5 + opt / 4);
		parse_exact(buf, len, &f);
		assert_int_equal(f.has, HAS_PORTS);
		assert_int_equal(f.sport, 4000 + opt);
		assert_int_equal(f.dport, 53);
		assert_addr(f.dst, "10.0.0.2");
	}
}

static void test_ipv4_ihl_below_5(void **state)
{
	struct flow fl;
	struct pkt_fields f;
	uint8_t buf[256];

	(void)state;
	flow_init(&fl);
	fl.sport = 1;
	fl.dport = 2;
	set_addr(fl.src, "10.0.0.1");
	set_addr(fl.dst, "10.0.0.2");
	size_t len = build(&fl, buf, sizeof(buf));
	for (unsigned ihl = 0; ihl < 5; ihl++) {
		buf[14] = (uint8_t)(0x40 | ihl);
		parse_exact(buf, len, &f);
		/* The addresses sit at fixed offsets; only L4 is lost, and
		 * the header is broken: incomplete. */
		assert_int_equal(f.family, FAM_V4);
		assert_int_equal(f.has, HAS_ADDRS | PKT_HAS_INCOMPLETE);
		assert_int_equal(f.proto, 6);
		assert_addr(f.src, "10.0.0.1");
		assert_addr(f.dst, "10.0.0.2");
	}
}

/* IHL 15 with a frame that ends inside the options: no ports. */
static void test_ipv4_ihl_past_end(void **state)
{
	struct flow fl;
	struct pkt_fields f;
	uint8_t buf[256];

	(void)state;
	flow_init(&fl);
	fl.sport = 1;
	fl.dport = 2;
	size_t len = build(&fl, buf, sizeof(buf));
	buf[14] = 0x4f;
	parse_exact(buf, len, &f); /* 20 bytes of TCP fall inside the 60-byte header */
	assert_int_equal(f.has, HAS_ADDRS | PKT_HAS_INCOMPLETE);
	/* A non-first fragment with that header is incomplete too: the
	 * stack drops a header it cannot read whole. */
	buf[20] = 0x00;
	buf[21] = 0x10;
	parse_exact(buf, len, &f);
	assert_int_equal(f.has, HAS_ADDRS | PKT_HAS_INCOMPLETE);
	assert_true(f.nonfirst_fragment);
}

/* ---------------------------------------------------------------- IPv6 ext */

struct ext {
	uint8_t type;
	uint8_t len_byte;    /* byte 1 */
	uint16_t frag_field; /* fragment header bytes 2..3 */
};

static size_t ext_size(const struct ext *e)
{
	if (e->type == 44)
		return 8;
	if (e->type == 51)
		return ((size_t)e->len_byte + 2) * 4;
	return ((size_t)e->len_byte + 1) * 8;
}

/* Ethernet + IPv6 + the chain + 8 bytes of L4 header: ports 1111 -> 2222,
 * or ICMPv6 type 128 code 3. */
static size_t v6_chain(const struct ext *chain, size_t n, uint8_t proto, uint8_t *buf, size_t cap)
{
	static const uint8_t l4[8] = {0x04, 0x57, 0x08, 0xae, 0, 8, 0, 0};
	static const uint8_t icmp[8] = {128, 3, 0, 0, 0, 1, 0, 1};
	size_t pos = 0, total = 14 + 40 + 8;

	for (size_t i = 0; i < n; i++)
		total += ext_size(&chain[i]);
	assert_true(total <= cap);
	memset(buf, 0xee, total); /* filler no parser should take for a field */
	memcpy(buf, pktbuild_dst_mac, 6);
	memcpy(buf + 6, pktbuild_src_mac, 6);
	buf[12] = 0x86;
	buf[13] = 0xdd;
	pos = 14;
	memset(buf + pos, 0, 40);
	buf[pos] = 0x60;
	buf[pos + 6] = n ? chain[0].type : proto;
	buf[pos + 7] = 64;
	set_addr(buf + pos + 8, "2001:db8::1");
	set_addr(buf + pos + 24, "2001:db8::2");
	pos += 40;
	for (size_t i = 0; i < n; i++) {
		buf[pos] = i + 1 < n ? chain[i + 1].type : proto;
		buf[pos + 1] = chain[i].len_byte;
		if (chain[i].type == 44) {
			buf[pos + 2] = (uint8_t)(chain[i].frag_field >> 8);
			buf[pos + 3] = (uint8_t)chain[i].frag_field;
		}
		pos += ext_size(&chain[i]);
	}
	memcpy(buf + pos, proto == 58 ? icmp : l4, 8);
	return pos + 8;
}

struct ext_case {
	const char *name;
	struct ext chain[10];
	size_t n;
	uint8_t proto; /* the final upper-layer protocol written */
	uint8_t has;
	uint8_t want_proto;
	bool nonfirst;
};

#define DST0                                                                                       \
	{                                                                                          \
		60, 0, 0                                                                           \
	}
#define FRAG_OFF0                                                                                  \
	{                                                                                          \
		44, 0, 0x0001                                                                      \
	} /* first fragment: offset 0, M set */

static const struct ext_case ext_cases[] = {
	{"no extension", {{0}}, 0, 17, HAS_PORTS, 17, false},
	{"hop-by-hop", {{0, 0, 0}}, 1, 17, HAS_PORTS, 17, false},
	{"hop-by-hop long", {{0, 3, 0}}, 1, 6, HAS_PORTS, 6, false},
	{"routing", {{43, 1, 0}}, 1, 6, HAS_PORTS, 6, false},
	{"destination options", {{60, 2, 0}}, 1, 132, HAS_PORTS, 132, false},
	{"ah 12 bytes", {{51, 1, 0}}, 1, 17, HAS_PORTS, 17, false},
	{"ah 24 bytes", {{51, 4, 0}}, 1, 17, HAS_PORTS, 17, false},
	{"fragment, first", {FRAG_OFF0}, 1, 17, HAS_PORTS, 17, false},
	{"fragment, offset 0 reserved bits", {{44, 0, 0x0006}}, 1, 17, HAS_PORTS, 17, false},
	{"fragment, non-first", {{44, 0, 0x0008}}, 1, 17, HAS_ADDRS, 17, true},
	{"fragment, non-first, max offset", {{44, 0, 0xfff8}}, 1, 6, HAS_ADDRS, 6, true},
	/* The walk stops at a non-first fragment: its next header is the
	 * protocol even when it names another extension header. */
	{"fragment, non-first, then dstopts", {{44, 0, 0x0100}, DST0}, 2, 17, HAS_ADDRS, 60, true},
	{"icmpv6 after every kind",
	 {{0, 0, 0}, {43, 0, 0}, FRAG_OFF0, {51, 2, 0}, DST0},
	 5,
	 58,
	 HAS_ICMP,
	 58,
	 false},
	{"depth 7", {DST0, DST0, DST0, DST0, DST0, DST0, DST0}, 7, 17, HAS_PORTS, 17, false},
	/* Depth 8 was once a limit: the chain now goes on to its end. */
	{"depth 9",
	 {DST0, DST0, DST0, DST0, DST0, DST0, DST0, DST0, DST0},
	 9,
	 17,
	 HAS_PORTS,
	 17,
	 false},
	{"non-first fragment as the 9th header",
	 {DST0, DST0, DST0, DST0, DST0, DST0, DST0, DST0, {44, 0, 0x0008}},
	 9,
	 6,
	 HAS_ADDRS,
	 6,
	 true},
	{"mixed kinds, depth 10",
	 {{0, 0, 0},
	  {43, 2, 0},
	  FRAG_OFF0,
	  {51, 4, 0},
	  DST0,
	  DST0,
	  {43, 0, 0},
	  {51, 1, 0},
	  DST0,
	  DST0},
	 10,
	 6,
	 HAS_PORTS,
	 6,
	 false},
};

static void test_ipv6_extension_headers(void **state)
{
	uint8_t buf[1024];
	struct pkt_fields f;

	(void)state;
	for (size_t i = 0; i < sizeof(ext_cases) / sizeof(ext_cases[0]); i++) {
		const struct ext_case *c = &ext_cases[i];

		print_message("%s\n", c->name);
		size_t len = v6_chain(c->chain, c->n, c->proto, buf, sizeof(buf));
		parse_exact(buf, len, &f);
		assert_int_equal(f.family, FAM_V6);
		assert_int_equal(f.has, c->has);
		assert_int_equal(f.proto, c->want_proto);
		assert_int_equal(f.nonfirst_fragment, c->nonfirst);
		assert_addr(f.src, "2001:db8::1");
		assert_addr(f.dst, "2001:db8::2");
		if (c->has & PKT_HAS_SPORT) {
			assert_int_equal(f.sport, 1111);
			assert_int_equal(f.dport, 2222);
		}
		if (c->has & PKT_HAS_TYPE) {
			assert_int_equal(f.icmp_type, 128);
			assert_int_equal(f.icmp_code, 3);
		}
	}
}

/* pktbuild's own extension headers: any number of them, and the frame cut
 * anywhere inside them is incomplete with the protocol unreadable or, cut
 * inside the last one, readable. */
static void test_ipv6_builder_depth(void **state)
{
	struct flow fl;
	struct pkt_fields f;
	uint8_t buf[2048];

	(void)state;
	for (unsigned n = 0; n <= 130; n++) {
		flow_init(&fl);
		fl.family = FAM_V6;
		fl.proto = 17;
		fl.sport = 7;
		fl.dport = 9;
		fl.ext_headers = n;
		size_t len = build(&fl, buf, sizeof(buf));
		parse_exact(buf, len, &f);
		assert_int_equal(f.has, HAS_PORTS);
		assert_int_equal(f.dport, 9);
		/* Ethernet 14 | IPv6 40 | n * 8 | UDP 8 */
		size_t l4 = 14 + 40 + (size_t)n * 8;
		assert_int_equal(len, l4 + 8);
		for (size_t cut = 54; cut < l4; cut++) {
			parse_exact(buf, cut, &f);
			assert_true(f.has & PKT_HAS_INCOMPLETE);
			/* Only the last header's first two bytes give the
			 * protocol away. */
			assert_int_equal(f.has & ~PKT_HAS_INCOMPLETE,
					 cut >= l4 - 6 ? HAS_ADDRS : PKT_HAS_SRC | PKT_HAS_DST);
		}
		parse_exact(buf, l4, &f);
		assert_int_equal(f.has, HAS_ADDRS);
	}
}

/* Headers the walk does not step over, as the stack does not either: each
 * is the protocol, behind one destination options header or none, and the
 * packet is complete. */
static void test_ipv6_unwalked_headers(void **state)
{
	static const uint8_t protos[] = {50, 59, 135, 139, 140, 253, 254};
	static const struct ext dst = {60, 0, 0};
	uint8_t buf[256];
	struct pkt_fields f;

	(void)state;
	for (size_t i = 0; i < sizeof(protos); i++) {
		for (size_t n = 0; n < 2; n++) {
			size_t len = v6_chain(&dst, n, protos[i], buf, sizeof(buf));

			parse_exact(buf, len, &f);
			assert_int_equal(f.has, HAS_ADDRS);
			assert_int_equal(f.proto, protos[i]);
		}
	}
}

/* The frame, not the IP length fields, is the packet: an IPv4 header that
 * claims 20 bytes in all, followed by Ethernet padding, has "ports" where
 * the padding is. The stack trims to the IP length and finds no UDP
 * header, so this can only make untrack decide on a packet the stack
 * drops. */
static void test_ip_length_not_consulted(void **state)
{
	struct flow fl;
	struct pkt_fields f;
	uint8_t buf[256];

	(void)state;
	flow_init(&fl);
	fl.proto = 17;
	fl.sport = 53;
	fl.dport = 2223;
	size_t len = build(&fl, buf, sizeof(buf));
	buf[16] = 0; /* total length 20: no UDP header for the stack */
	buf[17] = 20;
	parse_exact(buf, len, &f);
	assert_int_equal(f.has, HAS_PORTS);
	assert_int_equal(f.dport, 2223);
}

/* ---------------------------------------------------------------- fragments */

struct frag_case {
	const char *name;
	uint8_t family;
	int proto;
	bool first, nonfirst;
	uint8_t has;
};

static const struct frag_case frag_cases[] = {
	{"ipv4 tcp first fragment", FAM_V4, 6, true, false, HAS_PORTS},
	{"ipv4 tcp non-first", FAM_V4, 6, false, true, HAS_ADDRS},
	{"ipv4 udp non-first", FAM_V4, 17, false, true, HAS_ADDRS},
	{"ipv4 icmp first fragment", FAM_V4, 1, true, false, HAS_ICMP},
	{"ipv4 icmp non-first", FAM_V4, 1, false, true, HAS_ADDRS},
	{"ipv6 udp first fragment", FAM_V6, 17, true, false, HAS_PORTS},
	{"ipv6 udp non-first", FAM_V6, 17, false, true, HAS_ADDRS},
	{"ipv6 sctp non-first", FAM_V6, 132, false, true, HAS_ADDRS},
	{"ipv6 icmpv6 first fragment", FAM_V6, 58, true, false, HAS_ICMP},
	{"ipv6 icmpv6 non-first", FAM_V6, 58, false, true, HAS_ADDRS},
};

static void test_fragments(void **state)
{
	struct flow fl;
	struct pkt_fields f;
	uint8_t buf[256];

	(void)state;
	for (size_t i = 0; i < sizeof(frag_cases) / sizeof(frag_cases[0]); i++) {
		const struct frag_case *c = &frag_cases[i];

		print_message("%s\n", c->name);
		flow_init(&fl);
		fl.family = c->family;
		fl.proto = c->proto;
		fl.sport = 1000;
		fl.dport = 2000;
		fl.icmp_type = 8;
		fl.icmp_code = 0;
		fl.first_fragment = c->first;
		fl.nonfirst_fragment = c->nonfirst;
		size_t len = build(&fl, buf, sizeof(buf));
		parse_exact(buf, len, &f);
		assert_int_equal(f.family, c->family);
		assert_int_equal(f.has, c->has);
		assert_int_equal(f.proto, c->proto);
		assert_int_equal(f.nonfirst_fragment, c->nonfirst);
		assert_int_equal(f.sport, c->has & PKT_HAS_SPORT ? 1000 : 0);
		assert_int_equal(f.icmp_type, c->has & PKT_HAS_TYPE ? 8 : 0);
	}
}

/* Only the 13 offset bits of IPv4's flags/offset field count. */
static void test_ipv4_fragment_bits(void **state)
{
	static const struct {
		uint16_t field;
		bool nonfirst;
	} bits[] = {
		{0x0000, false}, {0x4000, false}, {0x2000, false}, {0x8000, false},
		{0x0001, true},	 {0x1fff, true},  {0x6001, true},  {0x4100, true},
	};
	struct flow fl;
	struct pkt_fields f;
	uint8_t buf[256];

	(void)state;
	flow_init(&fl);
	fl.sport = 1;
	fl.dport = 2;
	size_t len = build(&fl, buf, sizeof(buf));
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		buf[20] = (uint8_t)(bits[i].field >> 8);
		buf[21] = (uint8_t)bits[i].field;
		parse_exact(buf, len, &f);
		assert_int_equal(f.nonfirst_fragment, bits[i].nonfirst);
		assert_int_equal(f.has, bits[i].nonfirst ? HAS_ADDRS : HAS_PORTS);
	}
}

/* ---------------------------------------------------------------- truncation */

/* The length from which a field becomes readable; 0: never. */
struct truncation_sample {
	const char *name;
	struct flow flow;
	size_t family_at, proto_at, src_at, dst_at, sport_at, dport_at, type_at, code_at;
	size_t nonfirst_at;
	size_t complete_at; /* the end of the IP headers: shorter is incomplete */
	size_t full_len;
};

static void fill_flow(struct flow *f, uint8_t family, int proto)
{
	flow_init(f);
	f->family = family;
	f->proto = proto;
	f->sport = 0x1234;
	f->dport = 0x5678;
	f->icmp_type = 0x9a;
	f->icmp_code = 0xbc;
	set_addr(f->src, family == FAM_V4 ? "10.1.2.3" : "2001:db8::1:2:3");
	set_addr(f->dst, family == FAM_V4 ? "10.4.5.6" : "2001:db8::4:5:6");
}

static void check_truncation(struct truncation_sample *s)
{
	uint8_t buf[256];
	struct pkt_fields full, f;

	print_message("%s\n", s->name);
	size_t len = build(&s->flow, buf, sizeof(buf));
	assert_int_equal(len, s->full_len);
	pkt_parse(buf, len, &full);

	const struct {
		size_t at;
		uint8_t bit;
	} fields[] = {
		{s->proto_at, PKT_HAS_PROTO}, {s->src_at, PKT_HAS_SRC},
		{s->dst_at, PKT_HAS_DST},     {s->sport_at, PKT_HAS_SPORT},
		{s->dport_at, PKT_HAS_DPORT}, {s->type_at, PKT_HAS_TYPE},
		{s->code_at, PKT_HAS_CODE},
	};
	for (size_t cut = 0; cut <= len; cut++) {
		uint8_t want = 0;
		for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
			if (fields[i].at && cut >= fields[i].at)
				want |= fields[i].bit;
		if (cut >= s->family_at && cut < s->complete_at)
			want |= PKT_HAS_INCOMPLETE;

		parse_exact(buf, cut, &f);
		if (f.has != want)
			fail_msg("%s cut at %zu: has 0x%02x, want 0x%02x", s->name, cut, f.has,
				 want);
		assert_int_equal(f.family, cut >= s->family_at ? s->flow.family : 0);
		assert_int_equal(f.len, cut);
		assert_int_equal(f.nonfirst_fragment, s->nonfirst_at && cut >= s->nonfirst_at);
		/* What is readable reads the same as in the whole frame. */
		if (want & PKT_HAS_PROTO)
			assert_int_equal(f.proto, full.proto);
		if (want & PKT_HAS_SRC)
			assert_memory_equal(f.src, full.src, 16);
		if (want & PKT_HAS_DST)
			assert_memory_equal(f.dst, full.dst, 16);
		if (want & PKT_HAS_SPORT)
			assert_int_equal(f.sport, 0x1234);
		if (want & PKT_HAS_DPORT)
			assert_int_equal(f.dport, 0x5678);
		if (want & PKT_HAS_TYPE)
			assert_int_equal(f.icmp_type, 0x9a);
		if (want & PKT_HAS_CODE)
			assert_int_equal(f.icmp_code, 0xbc);
	}
}

static void test_truncation_every_byte(void **state)
{
	struct truncation_sample s[8];
	size_t n = 0;

	(void)state;
	/* Ethernet 14 | IPv4 20 | TCP 20 */
	s[n] = (struct truncation_sample){"ipv4 tcp",	  .family_at = 14,   .proto_at = 24,
					  .src_at = 30,	  .dst_at = 34,	     .sport_at = 36,
					  .dport_at = 38, .complete_at = 34, .full_len = 54};
	fill_flow(&s[n++].flow, FAM_V4, 6);

	/* Ethernet 14 | tag 4 | IPv4 20 + options 8 | UDP 8 */
	s[n] = (struct truncation_sample){"vlan ipv4 options udp",
					  .family_at = 18,
					  .proto_at = 28,
					  .src_at = 34,
					  .dst_at = 38,
					  .sport_at = 48,
					  .dport_at = 50,
					  .complete_at = 46,
					  .full_len = 54};
	fill_flow(&s[n].flow, FAM_V4, 17);
	s[n].flow.nvlan = 1;
	s[n].flow.vlan_tpid[0] = 0x8100;
	s[n++].flow.ip_options_len = 8;

	/* Ethernet 14 | IPv4 20 | ICMP 8 */
	s[n] = (struct truncation_sample){"ipv4 icmp",	 .family_at = 14,   .proto_at = 24,
					  .src_at = 30,	 .dst_at = 34,	    .type_at = 35,
					  .code_at = 36, .complete_at = 34, .full_len = 42};
	fill_flow(&s[n++].flow, FAM_V4, 1);

	/* Ethernet 14 | IPv4 20 (offset 185) | 8 bytes of payload */
	s[n] = (struct truncation_sample){"ipv4 non-first fragment",
					  .family_at = 14,
					  .proto_at = 24,
					  .src_at = 30,
					  .dst_at = 34,
					  .nonfirst_at = 22,
					  .complete_at = 34,
					  .full_len = 42};
	fill_flow(&s[n].flow, FAM_V4, 6);
	s[n++].flow.nonfirst_fragment = true;

	/* Ethernet 14 | IPv6 40 | dest-opts 8 | UDP 8: the protocol needs
	 * the extension header's first two bytes. */
	s[n] = (struct truncation_sample){"ipv6 dstopts udp", .family_at = 14,	 .proto_at = 56,
					  .src_at = 38,	      .dst_at = 54,	 .sport_at = 64,
					  .dport_at = 66,     .complete_at = 62, .full_len = 70};
	fill_flow(&s[n].flow, FAM_V6, 17);
	s[n++].flow.ext_headers = 1;

	/* Ethernet 14 | IPv6 40 | fragment 8 (first) | TCP 20: a fragment
	 * header needs four bytes. */
	s[n] = (struct truncation_sample){"ipv6 first fragment tcp",
					  .family_at = 14,
					  .proto_at = 58,
					  .src_at = 38,
					  .dst_at = 54,
					  .sport_at = 64,
					  .dport_at = 66,
					  .complete_at = 62,
					  .full_len = 82};
	fill_flow(&s[n].flow, FAM_V6, 6);
	s[n++].flow.first_fragment = true;

	/* Ethernet 14 | IPv6 40 | fragment 8 (offset 185) | 8 of payload */
	s[n] = (struct truncation_sample){"ipv6 non-first fragment",
					  .family_at = 14,
					  .proto_at = 58,
					  .src_at = 38,
					  .dst_at = 54,
					  .nonfirst_at = 58,
					  .complete_at = 62,
					  .full_len = 70};
	fill_flow(&s[n].flow, FAM_V6, 17);
	s[n++].flow.nonfirst_fragment = true;

	/* Ethernet 14 | tags 8 | IPv6 40 | ICMPv6 8: without extension
	 * headers the protocol is byte 6. */
	s[n] = (struct truncation_sample){"qinq ipv6 icmpv6", .family_at = 22,	 .proto_at = 29,
					  .src_at = 46,	      .dst_at = 62,	 .type_at = 63,
					  .code_at = 64,      .complete_at = 62, .full_len = 70};
	fill_flow(&s[n].flow, FAM_V6, 58);
	s[n].flow.nvlan = 2;
	s[n].flow.vlan_tpid[0] = 0x88a8;
	s[n++].flow.vlan_tpid[1] = 0x8100;

	for (size_t i = 0; i < n; i++)
		check_truncation(&s[i]);
}

/* ---------------------------------------------------------------- non-IP */

static void test_non_ip(void **state)
{
	/* An ARP request for 10.0.0.2 from 10.0.0.1. */
	static const uint8_t arp[42] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06,
		0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
		10,   0,    0,	  1,	0,    0,    0,	  0,	0,    0,    10,	  0,	0,    2,
	};
	uint8_t buf[64];
	struct pkt_fields f;

	(void)state;
	parse_exact(arp, sizeof(arp), &f);
	assert_int_equal(f.family, 0);
	assert_int_equal(f.has, 0);
	assert_int_equal(f.len, 42);

	/* LLDP, and an ARP tagged inside a VLAN. */
	memcpy(buf, arp, sizeof(arp));
	buf[12] = 0x88;
	buf[13] = 0xcc;
	parse_exact(buf, sizeof(arp), &f);
	assert_int_equal(f.family, 0);
	buf[12] = 0x81;
	buf[13] = 0x00;
	buf[14] = 0x00;
	buf[15] = 0x05;
	buf[16] = 0x08;
	buf[17] = 0x06;
	parse_exact(buf, sizeof(arp), &f);
	assert_int_equal(f.family, 0);
	assert_int_equal(f.has, 0);

	/* Too short for an Ethernet header, down to nothing at all. */
	for (size_t len = 0; len < 14; len++) {
		parse_exact(arp, len, &f);
		assert_int_equal(f.family, 0);
		assert_int_equal(f.len, len);
	}
	pkt_parse(NULL, 0, &f);
	assert_int_equal(f.family, 0);
	assert_int_equal(f.len, 0);
}

/* ---------------------------------------------------------------- noise */

/* Random frames with an IP EtherType: whatever the bytes, the parser stays
 * in bounds (ASan) and what it reports is self-consistent. */
static void test_random_frames(void **state)
{
	uint32_t seed = 12345;
	uint8_t buf[160];
	struct pkt_fields f;

	(void)state;
	for (int iter = 0; iter < 20000; iter++) {
		for (size_t i = 0; i < sizeof(buf); i++) {
			seed = seed * 1103515245u + 12345u;
			buf[i] = (uint8_t)(seed >> 16);
		}
		size_t len = (seed >> 8) % sizeof(buf);
		buf[12] = iter & 1 ? 0x86 : 0x08;
		buf[13] = iter & 1 ? 0xdd : 0x00;
		if (iter % 3 == 0) {
			/* Steer the chain through extension headers. */
			static const uint8_t ext[] = {0, 43, 44, 51, 60};
			buf[20] = ext[(seed >> 4) % 5];
			buf[54] = ext[(seed >> 7) % 5];
			buf[55] = (uint8_t)(buf[55] & 1);
		}
		parse_exact(buf, len, &f);
		assert_int_equal(f.family, len >= 14 ? (iter & 1 ? FAM_V6 : FAM_V4) : 0);
		if (f.has & (PKT_HAS_SPORT | PKT_HAS_DPORT)) {
			assert_true(ir_proto_has_ports(f.proto));
			assert_false(f.nonfirst_fragment);
		}
		if (f.has & (PKT_HAS_TYPE | PKT_HAS_CODE)) {
			assert_true(ir_proto_has_icmp(f.proto, f.family));
			assert_false(f.nonfirst_fragment);
		}
		if (f.has & (PKT_HAS_DPORT | PKT_HAS_TYPE))
			assert_true(f.has & PKT_HAS_PROTO);
		/* An incomplete packet has no L4 field. */
		if (f.has & PKT_HAS_INCOMPLETE)
			assert_false(f.has & (PKT_HAS_SPORT | PKT_HAS_TYPE));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_vlan_tags_skipped),
		cmocka_unit_test(test_vlan_third_tag_incomplete),
		cmocka_unit_test(test_ipv4_options),
		cmocka_unit_test(test_ipv4_ihl_below_5),
		cmocka_unit_test(test_ipv4_ihl_past_end),
		cmocka_unit_test(test_ipv6_extension_headers),
		cmocka_unit_test(test_ipv6_builder_depth),
		cmocka_unit_test(test_ipv6_unwalked_headers),
		cmocka_unit_test(test_ip_length_not_consulted),
		cmocka_unit_test(test_fragments),
		cmocka_unit_test(test_ipv4_fragment_bits),
		cmocka_unit_test(test_truncation_every_byte),
		cmocka_unit_test(test_non_ip),
		cmocka_unit_test(test_random_frames),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
