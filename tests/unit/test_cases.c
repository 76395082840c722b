/* Case files: the line format (good lines, every error with its line and
 * column), pktbuild frames round-tripped through pkt_parse, the runner's
 * report, and an end-to-end run on a compiled policy. */
#include "testutil.h"

#include <arpa/inet.h>

#include "objfmt/addr.h"
#include "ref/cases.h"
#include "ref/eval.h"
#include "ref/pkt.h"
#include "ref/pktbuild.h"

#define HAS_ADDRS (PKT_HAS_PROTO | PKT_HAS_SRC | PKT_HAS_DST)
#define HAS_PORTS (HAS_ADDRS | PKT_HAS_SPORT | PKT_HAS_DPORT)
#define HAS_ICMP  (HAS_ADDRS | PKT_HAS_TYPE | PKT_HAS_CODE)

/* An ARP request, as a case file writes it. */
#define ARP_HEX                                                                                    \
	"ff ff ff ff ff ff 02 00 00 00 00 01 08 06 00 01 08 00 06 04 00 01 "                       \
	"02 00 00 00 00 01 0a 00 00 01 00 00 00 00 00 00 0a 00 00 02"

static int parse_text(struct diag_ctx *d, const char *text, struct case_file *cf)
{
	diag_init(d, "cases.txt", text, strlen(text));
	return cases_parse(d, cf);
}

static void set_addr(uint8_t out[16], const char *text)
{
	memset(out, 0, 16);
	if (inet_pton(AF_INET, text, out) != 1)
		assert_int_equal(inet_pton(AF_INET6, text, out), 1);
}

/* ---------------------------------------------------------------- good lines */

struct good_case {
	const char *line;
	enum rule_dir dir;
	enum eval_verdict verdict;
	int rule_line;
	size_t len; /* frame length */
	/* what pkt_parse sees in the frame */
	uint8_t family, has, proto;
	const char *src, *dst;
	int sport, dport, type, code;
	bool nonfirst;
};

/* What pkt_parse must see in the frame. */
#define PORTS(fam, pr, s, d, sp, dp)                                                               \
	.family = fam, .has = HAS_PORTS, .proto = pr, .src = s, .dst = d, .sport = sp, .dport = dp
#define ICMP(fam, pr, s, d, t, c)                                                                  \
	.family = fam, .has = HAS_ICMP, .proto = pr, .src = s, .dst = d, .type = t, .code = c
#define ADDRS(fam, h, pr, s, d, nf)                                                                \
	.family = fam, .has = h, .proto = pr, .src = s, .dst = d, .nonfirst = nf
#define NOT_IP(fam)	.family = fam
/* No field, incomplete: IP cut short, or a frame with a third VLAN tag. */
#define INCOMPLETE(fam) .family = fam, .has = PKT_HAS_INCOMPLETE

static const struct good_case good_cases[] = {
	{"deny tcp 192.0.2.1:1234 -> 10.0.0.1:80", DIR_INGRESS, EVAL_DENY, 0, 54,
	 PORTS(FAM_V4, 6, "192.0.2.1", "10.0.0.1", 1234, 80)},
	{"allow@12 udp [2001:db8::1]:53 -> [fd00::2]:5353", DIR_INGRESS, EVAL_ALLOW, 12, 62,
	 PORTS(FAM_V6, 17, "2001:db8::1", "fd00::2", 53, 5353)},
	{"none icmp 10.0.0.1 -> 10.0.0.2 type 8 code 0", DIR_INGRESS, EVAL_NONE, 0, 42,
	 ICMP(FAM_V4, 1, "10.0.0.1", "10.0.0.2", 8, 0)},
	{"egress deny tcp 10.0.0.1:5432 -> 10.1.2.3:40000", DIR_EGRESS, EVAL_DENY, 0, 54,
	 PORTS(FAM_V4, 6, "10.0.0.1", "10.1.2.3", 5432, 40000)},
	{"ingress pass tcp 10.0.0.1 -> 10.0.0.2", DIR_INGRESS, EVAL_PASS, 0, 54,
	 PORTS(FAM_V4, 6, "10.0.0.1", "10.0.0.2", 0, 0)},
	{"pass hex " ARP_HEX, DIR_INGRESS, EVAL_PASS, 0, 42, NOT_IP(0)},
	/* IPv4 by EtherType, with no IP header at all */
	{"pass hex 0200000000020200 00000001 0800", DIR_INGRESS, EVAL_PASS, 0, 14,
	 INCOMPLETE(FAM_V4)},
	{"  allow @ 7 sctp 10.0.0.1:1->10.0.0.2:2   # no spaces round the arrow", DIR_INGRESS,
	 EVAL_ALLOW, 7, 46, PORTS(FAM_V4, 132, "10.0.0.1", "10.0.0.2", 1, 2)},
	{"deny\tudp\t10.0.0.1:1 -> 10.0.0.2:2\r", DIR_INGRESS, EVAL_DENY, 0, 42,
	 PORTS(FAM_V4, 17, "10.0.0.1", "10.0.0.2", 1, 2)},
	{"deny vlan 5 udp 10.0.0.1:1 -> 10.0.0.2:2", DIR_INGRESS, EVAL_DENY, 0, 46,
	 PORTS(FAM_V4, 17, "10.0.0.1", "10.0.0.2", 1, 2)},
	{"deny vlan 5 vlan 6 udp 10.0.0.1:1 -> 10.0.0.2:2", DIR_INGRESS, EVAL_DENY, 0, 50,
	 PORTS(FAM_V4, 17, "10.0.0.1", "10.0.0.2", 1, 2)},
	{"none vlan 1 vlan 2 vlan 3 tcp 10.0.0.1 -> 10.0.0.2", DIR_INGRESS, EVAL_NONE, 0, 66,
	 INCOMPLETE(0)},
	{"deny tcp 10.0.0.1:1 -> 10.0.0.2:2 frag", DIR_INGRESS, EVAL_DENY, 0, 42,
	 ADDRS(FAM_V4, HAS_ADDRS, 6, "10.0.0.1", "10.0.0.2", true)},
	{"deny udp [::1]:1 -> [::2]:2 frag first", DIR_INGRESS, EVAL_DENY, 0, 70,
	 PORTS(FAM_V6, 17, "::1", "::2", 1, 2)},
	{"deny udp [::1]:1 -> [::2]:2 frag", DIR_INGRESS, EVAL_DENY, 0, 70,
	 ADDRS(FAM_V6, HAS_ADDRS, 17, "::1", "::2", true)},
	{"deny proto 47 10.0.0.1 -> 10.0.0.2", DIR_INGRESS, EVAL_DENY, 0, 34,
	 ADDRS(FAM_V4, HAS_ADDRS, 47, "10.0.0.1", "10.0.0.2", false)},
	{"deny proto 6 10.0.0.1:7 -> 10.0.0.2:8", DIR_INGRESS, EVAL_DENY, 0, 54,
	 PORTS(FAM_V4, 6, "10.0.0.1", "10.0.0.2", 7, 8)},
	{"deny proto 1 2001:db8::1 -> 2001:db8::2", DIR_INGRESS, EVAL_DENY, 0, 62,
	 ADDRS(FAM_V6, HAS_ADDRS, 1, "2001:db8::1", "2001:db8::2", false)},
	{"deny udp 10.0.0.1:1 -> 10.0.0.2:2 options 8", DIR_INGRESS, EVAL_DENY, 0, 50,
	 PORTS(FAM_V4, 17, "10.0.0.1", "10.0.0.2", 1, 2)},
	{"deny udp 10.0.0.1 -> 10.0.0.2 frag options 40", DIR_INGRESS, EVAL_DENY, 0, 82,
	 ADDRS(FAM_V4, HAS_ADDRS, 17, "10.0.0.1", "10.0.0.2", true)},
	{"deny udp 2001:db8::1 -> 2001:db8::2 ext 8", DIR_INGRESS, EVAL_DENY, 0, 126,
	 PORTS(FAM_V6, 17, "2001:db8::1", "2001:db8::2", 0, 0)},
	/* the walk goes on to the end of the chain */
	{"deny udp 2001:db8::1 -> 2001:db8::2 ext 9", DIR_INGRESS, EVAL_DENY, 0, 134,
	 PORTS(FAM_V6, 17, "2001:db8::1", "2001:db8::2", 0, 0)},
	{"deny udp 2001:db8::1 -> 2001:db8::2 ext 255", DIR_INGRESS, EVAL_DENY, 0, 2102,
	 PORTS(FAM_V6, 17, "2001:db8::1", "2001:db8::2", 0, 0)},
	/* 'cut': the IP part of the frame ends after N bytes */
	{"deny udp [2001:db8::1]:1 -> [2001:db8::2]:2 ext 2 cut 49", DIR_INGRESS, EVAL_DENY, 0, 63,
	 ADDRS(FAM_V6, PKT_HAS_SRC | PKT_HAS_DST | PKT_HAS_INCOMPLETE, 0, "2001:db8::1",
	       "2001:db8::2", false)},
	/* the last header's first two bytes give the protocol away */
	{"deny udp [2001:db8::1]:1 -> [2001:db8::2]:2 ext 2 cut 50", DIR_INGRESS, EVAL_DENY, 0, 64,
	 ADDRS(FAM_V6, HAS_ADDRS | PKT_HAS_INCOMPLETE, 17, "2001:db8::1", "2001:db8::2", false)},
	{"deny udp [2001:db8::1]:1 -> [2001:db8::2]:2 ext 2 cut 56", DIR_INGRESS, EVAL_DENY, 0, 70,
	 ADDRS(FAM_V6, HAS_ADDRS, 17, "2001:db8::1", "2001:db8::2", false)},
	{"deny vlan 3 tcp 10.0.0.1 -> 10.0.0.2 cut 12", DIR_INGRESS, EVAL_DENY, 0, 30,
	 ADDRS(FAM_V4, PKT_HAS_PROTO | PKT_HAS_INCOMPLETE, 6, NULL, NULL, false)},
	{"deny icmpv6 fe80::1 -> ff02::1 type 135", DIR_INGRESS, EVAL_DENY, 0, 62,
	 ICMP(FAM_V6, 58, "fe80::1", "ff02::1", 135, 0)},
	{"deny icmp 10.0.0.1 -> 10.0.0.2 frag type 3 code 4", DIR_INGRESS, EVAL_DENY, 0, 42,
	 ADDRS(FAM_V4, HAS_ADDRS, 1, "10.0.0.1", "10.0.0.2", true)},
	{"deny tcp ::ffff:10.0.0.1 -> [::1]", DIR_INGRESS, EVAL_DENY, 0, 74,
	 PORTS(FAM_V6, 6, "::ffff:10.0.0.1", "::1", 0, 0)},
	{"allow@2147483647 udp 0.0.0.0:0 -> 255.255.255.255:65535", DIR_INGRESS, EVAL_ALLOW,
	 2147483647, 42, PORTS(FAM_V4, 17, "0.0.0.0", "255.255.255.255", 0, 65535)},
};

static void test_good_lines(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(good_cases) / sizeof(good_cases[0]); i++) {
		const struct good_case *c = &good_cases[i];
		struct diag_ctx d;
		struct case_file cf;
		struct pkt_fields f;
		uint8_t a[16];

		print_message("%s\n", c->line);
		if (parse_text(&d, c->line, &cf) != 0) {
			char *first = tu_first_diag(&d);
			fail_msg("rejected: %s", first);
		}
		assert_int_equal(d.n, 0);
		assert_int_equal(cf.n, 1);
		const struct case_item *it = &cf.items[0];
		assert_int_equal(it->line, 1);
		assert_int_equal(it->dir, c->dir);
		assert_int_equal(it->expect, c->verdict);
		assert_int_equal(it->expect_rule_line, c->rule_line);
		assert_int_equal(it->len, c->len);

		pkt_parse(it->frame, it->len, &f);
		assert_int_equal(f.family, c->family);
		assert_int_equal(f.has, c->has);
		assert_int_equal(f.proto, c->proto);
		assert_int_equal(f.nonfirst_fragment, c->nonfirst);
		if (c->src) {
			set_addr(a, c->src);
			assert_memory_equal(f.src, a, 16);
			set_addr(a, c->dst);
			assert_memory_equal(f.dst, a, 16);
		}
		if (c->has & PKT_HAS_SPORT) {
			assert_int_equal(f.sport, c->sport);
			assert_int_equal(f.dport, c->dport);
		}
		if (c->has & PKT_HAS_TYPE) {
			assert_int_equal(f.icmp_type, c->type);
			assert_int_equal(f.icmp_code, c->code);
		}
		cases_free(&cf);
		diag_free(&d);
	}
}

/* The raw bytes of a few frames: tags, and that "hex" copies exactly. */
static void test_frame_bytes(void **state)
{
	static const uint8_t arp[] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06,
		0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
		0x0a, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x02};
	const char *text = "pass hex " ARP_HEX "\n"
			   "deny vlan 5 udp 10.0.0.1:1 -> 10.0.0.2:2\n"
			   "deny vlan 4095 vlan 6 udp 10.0.0.1:1 -> 10.0.0.2:2\n"
			   "pass hex 0A0b0C0d\n";
	struct diag_ctx d;
	struct case_file cf;

	(void)state;
	assert_int_equal(parse_text(&d, text, &cf), 0);
	assert_int_equal(cf.n, 4);
	assert_int_equal(cf.items[0].len, sizeof(arp));
	assert_memory_equal(cf.items[0].frame, arp, sizeof(arp));

	/* One tag: 802.1Q. */
	const uint8_t *one = cf.items[1].frame;
	assert_memory_equal(one, pktbuild_dst_mac, 6);
	assert_memory_equal(one + 6, pktbuild_src_mac, 6);
	assert_memory_equal(one + 12, ((uint8_t[]){0x81, 0x00, 0x00, 0x05, 0x08, 0x00}), 6);
	/* Two tags: 802.1ad outside, 802.1Q inside. */
	const uint8_t *two = cf.items[2].frame;
	assert_memory_equal(
		two + 12, ((uint8_t[]){0x88, 0xa8, 0x0f, 0xff, 0x81, 0x00, 0x00, 0x06, 0x08, 0x00}),
		10);
	assert_int_equal(cf.items[3].len, 4);
	assert_memory_equal(cf.items[3].frame, ((uint8_t[]){0x0a, 0x0b, 0x0c, 0x0d}), 4);
	cases_free(&cf);
	diag_free(&d);
}

/* Comments, blank lines, line numbers and the stored text. */
static void test_file_structure(void **state)
{
	const char *text = "# verdicts for the web tier\n"
			   "\n"
			   "   \t\n"
			   "deny tcp 10.0.0.1 -> 10.0.0.2   # a comment\n"
			   "#deny tcp 10.0.0.1 -> 10.0.0.2\n"
			   "egress allow@3 udp [::1]:1 -> [::2]:2\n"
			   "pass tcp 10.0.0.1 -> 10.0.0.2"; /* no final newline */
	struct diag_ctx d;
	struct case_file cf;

	(void)state;
	assert_int_equal(parse_text(&d, text, &cf), 0);
	assert_int_equal(cf.n, 3);
	assert_int_equal(cf.items[0].line, 4);
	assert_string_equal(cf.items[0].text, "deny tcp 10.0.0.1 -> 10.0.0.2");
	assert_int_equal(cf.items[1].line, 6);
	assert_string_equal(cf.items[1].text, "egress allow@3 udp [::1]:1 -> [::2]:2");
	assert_int_equal(cf.items[1].dir, DIR_EGRESS);
	assert_int_equal(cf.items[2].line, 7);
	assert_int_equal(cf.items[2].expect, EVAL_PASS);
	cases_free(&cf);
	diag_free(&d);

	/* Nothing at all is a valid, empty case file. */
	assert_int_equal(parse_text(&d, "", &cf), 0);
	assert_int_equal(cf.n, 0);
	cases_free(&cf);
	diag_free(&d);
}

/* ---------------------------------------------------------------- errors */

struct bad_case {
	const char *line;
	const char *diag; /* "LINE:COL: error: message" */
};

static const struct bad_case bad_cases[] = {
	{"maybe tcp 10.0.0.1 -> 10.0.0.2",
	 "1:1: error: expected a verdict (allow, deny, pass or none), found 'maybe'"},
	{"egress", "1:7: error: expected a verdict (allow, deny, pass or none), found end of line"},
	{"egress ingress deny tcp 1.2.3.4 -> 1.2.3.5",
	 "1:8: error: expected a verdict (allow, deny, pass or none), found 'ingress'"},
	{"deny",
	 "1:5: error: expected a protocol (tcp, udp, sctp, icmp, icmpv6, 'proto N'), 'vlan' or 'hex', found end of line"},
	{"deny tcpp 10.0.0.1 -> 10.0.0.2",
	 "1:6: error: expected a protocol (tcp, udp, sctp, icmp, icmpv6, 'proto N'), 'vlan' or 'hex', found 'tcpp'"},
	{"deny@ tcp 10.0.0.1 -> 10.0.0.2",
	 "1:7: error: expected a policy line number after '@', found 'tcp'"},
	{"deny@0 tcp 10.0.0.1 -> 10.0.0.2",
	 "1:6: error: expected a policy line number after '@', found '0'"},
	{"deny@2147483648 tcp 10.0.0.1 -> 10.0.0.2",
	 "1:6: error: expected a policy line number after '@', found '2147483648'"},
	{"none@3 tcp 10.0.0.1 -> 10.0.0.2",
	 "1:5: error: 'none' means no rule decides: '@LINE' cannot apply"},
	{"deny tcp 10.0.0.1 10.0.0.2",
	 "1:19: error: expected '->' between source and destination, found '10.0.0.2'"},
	{"deny tcp 10.0.0.1 ->",
	 "1:21: error: expected the destination address, found end of line"},
	{"deny tcp -> 10.0.0.2", "1:10: error: expected the source address, found '->'"},
	{"deny tcp 10.0.0.256 -> 10.0.0.2",
	 "1:10: error: '10.0.0.256' is not an IPv4 or IPv6 address"},
	{"deny tcp 10.0.0.1 -> 10.0.0.0/8",
	 "1:22: error: '10.0.0.0/8' is not an IPv4 or IPv6 address"},
	{"deny tcp 10.0.0.1 -> host.example",
	 "1:22: error: 'host.example' is not an IPv4 or IPv6 address"},
	{"deny tcp 2001:db8::1:2:3:4:5:6:7 -> ::1",
	 "1:10: error: '2001:db8::1:2:3:4:5:6:7' is not an IPv4 or IPv6 address"},
	{"deny tcp 10.0.0.1:65536 -> 10.0.0.2",
	 "1:19: error: port must be a number 0-65535, found '65536'"},
	{"deny tcp 10.0.0.1:http -> 10.0.0.2",
	 "1:19: error: port must be a number 0-65535, found 'http'"},
	{"deny tcp 10.0.0.1: -> 10.0.0.2", "1:18: error: expected a port after ':'"},
	{"deny udp [2001:db8::1:53 -> [::1]:1",
	 "1:10: error: missing ']' after the IPv6 address in '[2001:db8::1:53'"},
	{"deny udp [2001:db8::1]53 -> [::1]:1", "1:23: error: expected ':PORT' after ']'"},
	{"deny udp [10.0.0.1]:53 -> [::1]:1", "1:11: error: '10.0.0.1' is not an IPv6 address"},
	{"deny udp [::1]:99999 -> [::1]:1",
	 "1:16: error: port must be a number 0-65535, found '99999'"},
	{"deny tcp 10.0.0.1 -> 2001:db8::1",
	 "1:22: error: source and destination must be of the same family"},
	{"deny icmp 10.0.0.1:5 -> 10.0.0.2",
	 "1:20: error: ports need tcp, udp or sctp, not 'icmp'"},
	{"deny proto 47 10.0.0.1 -> 10.0.0.2:5",
	 "1:36: error: ports need tcp, udp or sctp, not 'proto 47'"},
	{"deny icmp 2001:db8::1 -> ::1",
	 "1:6: error: 'icmp' needs IPv4 addresses (ICMP for IPv6 is 'icmpv6')"},
	{"deny icmpv6 10.0.0.1 -> 10.0.0.2", "1:6: error: 'icmpv6' needs IPv6 addresses"},
	{"deny tcp 10.0.0.1 -> 10.0.0.2 type 8",
	 "1:31: error: 'type' needs icmp with IPv4 addresses or icmpv6 with IPv6 addresses, not 'tcp'"},
	{"deny proto 1 ::1 -> ::2 type 8",
	 "1:25: error: 'type' needs icmp with IPv4 addresses or icmpv6 with IPv6 addresses, not 'proto 1'"},
	{"deny icmp 10.0.0.1 -> 10.0.0.2 type 256",
	 "1:37: error: expected an ICMP type 0-255, found '256'"},
	{"deny icmp 10.0.0.1 -> 10.0.0.2 type",
	 "1:36: error: expected an ICMP type 0-255, found end of line"},
	{"deny icmp 10.0.0.1 -> 10.0.0.2 type 8 code x",
	 "1:44: error: expected an ICMP code 0-255, found 'x'"},
	{"deny icmp 10.0.0.1 -> 10.0.0.2 code 0", "1:32: error: 'code' needs a 'type' before it"},
	{"deny icmp 10.0.0.1 -> 10.0.0.2 type 8 type 9", "1:39: error: 'type' given twice"},
	{"deny tcp 10.0.0.1 -> 10.0.0.2 frag frag", "1:36: error: 'frag' given twice"},
	{"deny tcp 10.0.0.1 -> 10.0.0.2 options 6",
	 "1:39: error: expected an IPv4 options length, a multiple of 4 from 0 to 40, found '6'"},
	{"deny tcp 10.0.0.1 -> 10.0.0.2 options 44",
	 "1:39: error: expected an IPv4 options length, a multiple of 4 from 0 to 40, found '44'"},
	{"deny tcp ::1 -> ::2 options 4", "1:21: error: 'options' needs IPv4 addresses"},
	{"deny tcp 10.0.0.1 -> 10.0.0.2 ext 1", "1:31: error: 'ext' needs IPv6 addresses"},
	{"deny tcp ::1 -> ::2 ext 256",
	 "1:25: error: expected a number of extension headers 0-255, found '256'"},
	{"deny tcp ::1 -> ::2 cut 80",
	 "1:21: error: 'cut 80' keeps the whole packet: its IP part is 60 bytes"},
	{"deny tcp ::1 -> ::2 cut x",
	 "1:25: error: expected the number of IP bytes to keep, found 'x'"},
	{"deny tcp 10.0.0.1 -> 10.0.0.2 extra", "1:31: error: unexpected 'extra' after the packet"},
	{"deny tcp 10.0.0.1 -> 10.0.0.2 -> 10.0.0.3",
	 "1:31: error: unexpected '->' after the packet"},
	{"deny vlan 4096 tcp 10.0.0.1 -> 10.0.0.2",
	 "1:11: error: expected a VLAN id 0-4095, found '4096'"},
	{"deny vlan tcp 10.0.0.1 -> 10.0.0.2",
	 "1:11: error: expected a VLAN id 0-4095, found 'tcp'"},
	{"deny vlan 1 vlan 2 vlan 3 vlan 4 vlan 5 tcp 10.0.0.1 -> 10.0.0.2",
	 "1:34: error: at most 4 VLAN tags"},
	{"deny proto 256 10.0.0.1 -> 10.0.0.2",
	 "1:12: error: expected a protocol number 0-255, found '256'"},
	{"deny proto -> 10.0.0.2", "1:12: error: expected a protocol number 0-255, found '->'"},
	{"deny hex", "1:9: error: expected hex bytes after 'hex', found end of line"},
	{"deny hex # nothing", "1:9: error: expected hex bytes after 'hex', found end of line"},
	{"deny hex 02 0g", "1:13: error: '0g' is not hex bytes (pairs of hex digits)"},
	{"deny hex 020", "1:10: error: '020' is not hex bytes (pairs of hex digits)"},
	{"deny tcp 10.0.0.1 -> 10.0.0.2 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	 "1:31: error: unexpected 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...' after the packet"},
};

static void test_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct diag_ctx d;
		struct case_file cf;

		assert_int_equal(parse_text(&d, c->line, &cf), -1);
		char *first = tu_first_diag(&d);
		if (strcmp(first, c->diag) != 0)
			fail_msg("%s\n  got:  %s\n  want: %s", c->line, first, c->diag);
		assert_int_equal(d.errors, 1);
		assert_int_equal(cf.n, 0);
		assert_null(cf.items);
		free(first);
		cases_free(&cf);
		diag_free(&d);
	}
}

/* One run reports every bad line, and the diagnostics print GCC style. */
static void test_every_error_reported(void **state)
{
	const char *text = "deny tcp 10.0.0.1 -> 10.0.0.2\n"
			   "deny tcp 10.0.0.1 -> ::1\n"
			   "# fine\n"
			   "allow udp 10.0.0.1:1 -> 10.0.0.2:2\n"
			   "deny hex 0\n"
			   "bogus\n";
	struct diag_ctx d;
	struct case_file cf;

	(void)state;
	assert_int_equal(parse_text(&d, text, &cf), -1);
	assert_int_equal(d.errors, 3);
	assert_int_equal(d.items[0].loc.first_line, 2);
	assert_int_equal(d.items[1].loc.first_line, 5);
	assert_int_equal(d.items[2].loc.first_line, 6);
	assert_int_equal(cf.n, 0);

	char *out = tu_diag_text(&d, DIAG_TEXT);
	assert_non_null(strstr(out, "cases.txt:2:22: error: source and destination must be of the "
				    "same family\n deny tcp 10.0.0.1 -> ::1\n"));
	assert_non_null(strstr(out, "cases.txt:6:1: error: expected a verdict"));
	free(out);
	cases_free(&cf);
	diag_free(&d);
}

/* NUL bytes and stray control characters are errors, not crashes. */
static void test_binary_input(void **state)
{
	static const char text[] = "deny tcp 10.0.0.1 -> 10.0.0.2\n"
				   "deny\0tcp 10.0.0.1 -> 10.0.0.2\n"
				   "\x01\x02\xff\n";
	struct diag_ctx d;
	struct case_file cf;

	(void)state;
	diag_init(&d, "cases.txt", text, sizeof(text) - 1);
	assert_int_equal(cases_parse(&d, &cf), -1);
	assert_int_equal(d.errors, 2);
	assert_int_equal(d.items[0].loc.first_line, 2);
	assert_int_equal(d.items[1].loc.first_line, 3);
	cases_free(&cf);
	diag_free(&d);
}

/* ---------------------------------------------------------------- pktbuild */

static uint32_t csum_add(uint32_t acc, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		acc += i % 2 ? p[i] : (uint32_t)p[i] << 8;
	return acc;
}

static uint16_t csum_fold(uint32_t acc)
{
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)acc;
}

/* Every combination of family, protocol, tags, options or extension
 * headers and fragment kind: what pkt_parse reads back is what was asked
 * for, and the lengths and checksums are what a receiver would check. */
static void test_pktbuild_round_trip(void **state)
{
	static const int v4_protos[] = {6, 17, 132, 1, 47}, v6_protos[] = {6, 17, 132, 58, 59};
	uint8_t buf[1024];
	unsigned combos = 0;

	(void)state;
	for (int fam = 0; fam < 2; fam++)
		for (int pi = 0; pi < 5; pi++)
			for (unsigned nvlan = 0; nvlan <= 2; nvlan++)
				for (unsigned extra = 0; extra <= 3; extra++)
					for (int frag = 0; frag < 3; frag++) {
						struct flow fl;
						struct pkt_fields f;
						flow_init(&fl);
						fl.family = fam ? FAM_V6 : FAM_V4;
						fl.proto = fam ? v6_protos[pi] : v4_protos[pi];
						set_addr(fl.src,
							 fam ? "2001:db8::10" : "192.0.2.10");
						set_addr(fl.dst, fam ? "fd00::20" : "10.20.30.40");
						fl.sport = 1000 + (int)extra;
						fl.dport = 2000 + (int)nvlan;
						fl.icmp_type = 8 + (int)extra;
						fl.icmp_code = (int)nvlan;
						fl.nvlan = nvlan;
						for (unsigned i = 0; i < nvlan; i++) {
							fl.vlan_tpid[i] = i ? 0x8100 : 0x88a8;
							fl.vlan_id[i] = (uint16_t)(10 * i + 1);
						}
						if (fam)
							fl.ext_headers = extra;
						else
							fl.ip_options_len = 4 * extra;
						fl.first_fragment = frag == 1;
						fl.nonfirst_fragment = frag == 2;
						fl.payload_len = 3 * extra;

						size_t len = pktbuild_frame(&fl, buf, sizeof(buf));
						assert_true(len > 0);
						pkt_parse(buf, len, &f);
						combos++;

						assert_int_equal(f.family, fl.family);
						assert_int_equal(f.proto, fl.proto);
						assert_memory_equal(f.src, fl.src, 16);
						assert_memory_equal(f.dst, fl.dst, 16);
						assert_int_equal(f.nonfirst_fragment, frag == 2);
						uint8_t want = HAS_ADDRS;
						if (frag != 2 && ir_proto_has_ports(fl.proto))
							want |= PKT_HAS_SPORT | PKT_HAS_DPORT;
						if (frag != 2 &&
						    ir_proto_has_icmp(fl.proto, fl.family))
							want |= PKT_HAS_TYPE | PKT_HAS_CODE;
						assert_int_equal(f.has, want);
						if (want & PKT_HAS_SPORT) {
							assert_int_equal(f.sport, fl.sport);
							assert_int_equal(f.dport, fl.dport);
						}
						if (want & PKT_HAS_TYPE) {
							assert_int_equal(f.icmp_type, fl.icmp_type);
							assert_int_equal(f.icmp_code, fl.icmp_code);
						}

						size_t ip = 14 + 4 * nvlan, iplen = len - ip;
						const uint8_t *h = buf + ip;
						size_t l4 = 0;
						uint32_t pseudo = 0;
						if (!fam) {
							size_t hlen = (h[0] & 15) * 4u;
							assert_int_equal(h[0] >> 4, 4);
							assert_int_equal(hlen, 20 + 4 * extra);
							assert_int_equal(h[2] << 8 | h[3], iplen);
							assert_int_equal(h[8], 64);
							assert_int_equal(
								csum_fold(csum_add(0, h, hlen)),
								0xffff);
							l4 = ip + hlen;
							pseudo = csum_add(0, h + 12, 8) +
								 (uint32_t)fl.proto +
								 (uint32_t)(len - l4);
						} else {
							assert_int_equal(h[0] >> 4, 6);
							assert_int_equal(h[4] << 8 | h[5],
									 iplen - 40);
							assert_int_equal(h[7], 64);
							l4 = ip + 40 + 8 * extra + (frag ? 8 : 0);
							pseudo = csum_add(0, h + 8, 32) +
								 (uint32_t)fl.proto +
								 (uint32_t)(len - l4);
						}
						if (frag == 2 || fl.proto == 132 ||
						    fl.proto == 47 || fl.proto == 59)
							continue;
						/* The L4 checksum verifies. */
						if (fl.proto == 1)
							pseudo = 0;
						assert_int_equal(
							csum_fold(csum_add(pseudo, buf + l4,
									   len - l4)),
							0xffff);
						if (fl.proto == 17)
							assert_int_equal(buf[l4 + 4] << 8 |
										 buf[l4 + 5],
									 len - l4);
					}
	assert_int_equal(combos, 2 * 5 * 3 * 4 * 3);
}

static void test_pktbuild_refuses(void **state)
{
	uint8_t buf[256];
	struct flow fl;

	(void)state;
	flow_init(&fl);
	size_t len = pktbuild_frame(&fl, buf, sizeof(buf));
	assert_int_equal(len, 54);
	for (size_t cap = 0; cap < len; cap++)
		assert_int_equal(pktbuild_frame(&fl, buf, cap), 0);
	assert_int_equal(pktbuild_frame(&fl, buf, len), len);

	static const struct {
		const char *why;
		uint8_t family;
		int proto;
		unsigned nvlan, options, ext;
		bool first, nonfirst;
	} bad[] = {
		{"no family", 0, 6, 0, 0, 0, false, false},
		{"family 3", 3, 6, 0, 0, 0, false, false},
		{"proto 256", FAM_V4, 256, 0, 0, 0, false, false},
		{"proto -1", FAM_V4, -1, 0, 0, 0, false, false},
		{"too many tags", FAM_V4, 6, PKTBUILD_MAX_VLAN + 1, 0, 0, false, false},
		{"options not words", FAM_V4, 6, 0, 6, 0, false, false},
		{"options past IHL 15", FAM_V4, 6, 0, 44, 0, false, false},
		{"options on IPv6", FAM_V6, 6, 0, 4, 0, false, false},
		{"ext on IPv4", FAM_V4, 6, 0, 0, 1, false, false},
		{"both fragment kinds", FAM_V4, 6, 0, 0, 0, true, true},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		flow_init(&fl);
		fl.family = bad[i].family;
		fl.proto = bad[i].proto;
		fl.nvlan = bad[i].nvlan;
		fl.ip_options_len = bad[i].options;
		fl.ext_headers = bad[i].ext;
		fl.first_fragment = bad[i].first;
		fl.nonfirst_fragment = bad[i].nonfirst;
		if (pktbuild_frame(&fl, buf, sizeof(buf)) != 0)
			fail_msg("built a frame for: %s", bad[i].why);
	}

	/* Past the largest frame, whatever the buffer. */
	flow_init(&fl);
	fl.payload_len = PKTBUILD_MAX_FRAME;
	uint8_t *big = malloc(2 * PKTBUILD_MAX_FRAME);
	assert_non_null(big);
	assert_int_equal(pktbuild_frame(&fl, big, 2 * PKTBUILD_MAX_FRAME), 0);
	free(big);
}

/* ---------------------------------------------------------------- runner */

static char *run_to_string(const struct ir_program *p, const struct case_file *cf, int *failures)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	assert_non_null(out);
	*failures = cases_run(p, cf, "cases.txt", out);
	fclose(out);
	return buf;
}

/* A hand-built program, so the runner is tested without the front end. */
static void test_runner_report(void **state)
{
	struct ir_port_match port80 = {.ranges = (struct ir_range[]){{80, 80}}, .nranges = 1};
	struct ir_rule rules[] = {
		{.id = 0,
		 .action = ACT_DENY,
		 .families = FAM_ALL,
		 .proto = 6,
		 .dport = &port80,
		 .icmp_type = IR_ICMP_ANY,
		 .icmp_code = IR_ICMP_ANY,
		 .loc = {3, 5, 3, 23},
		 .text = "deny tcp to port 80"},
		{.id = 1,
		 .action = ACT_ALLOW,
		 .families = FAM_ALL,
		 .proto = 17,
		 .icmp_type = IR_ICMP_ANY,
		 .icmp_code = IR_ICMP_ANY,
		 .loc = {4, 5, 4, 13},
		 .text = "allow udp"},
		{.id = 2,
		 .dir = DIR_EGRESS,
		 .action = ACT_PASS,
		 .families = FAM_ALL,
		 .proto = IR_PROTO_ANY,
		 .icmp_type = IR_ICMP_ANY,
		 .icmp_code = IR_ICMP_ANY,
		 .loc = {6, 5, 6, 15},
		 .text = "egress pass"},
	};
	struct ir_program p = {.file = "test.utp", .rules = rules, .nrules = 3};
	const char *text = "deny tcp 10.0.0.1:1 -> 10.0.0.2:80\n"
			   "deny@3 tcp 10.0.0.1:1 -> 10.0.0.2:80\n"
			   "deny@4 tcp 10.0.0.1:1 -> 10.0.0.2:80\n"
			   "allow tcp 10.0.0.1:1 -> 10.0.0.2:81\n"
			   "deny udp 10.0.0.1:1 -> 10.0.0.2:80\n"
			   "none tcp 10.0.0.1:1 -> 10.0.0.2:81\n"
			   "egress pass tcp 10.0.0.1:1 -> 10.0.0.2:80\n"
			   "egress pass@5 tcp 10.0.0.1:1 -> 10.0.0.2:80\n"
			   "pass hex " ARP_HEX "\n"
			   "none hex " ARP_HEX "\n"
			   "deny tcp 10.0.0.1:1 -> 10.0.0.2:80 frag\n"
			   "none tcp 10.0.0.1:1 -> 10.0.0.2:80 frag\n";
	struct diag_ctx d;
	struct case_file cf;
	int failures;

	(void)state;
	assert_int_equal(parse_text(&d, text, &cf), 0);
	char *out = run_to_string(&p, &cf, &failures);
	assert_string_equal(
		out,
		"cases.txt:3: FAIL: expected deny by rule at test.utp:4, got deny by rule at test.utp:3 (deny tcp to port 80)\n"
		"cases.txt:4: FAIL: expected allow, got none (no rule decided)\n"
		"cases.txt:5: FAIL: expected deny, got allow by rule at test.utp:4 (allow udp)\n"
		"cases.txt:8: FAIL: expected pass by rule at test.utp:5, got pass by rule at test.utp:6 (egress pass)\n"
		"cases.txt:9: FAIL: expected pass, got none (no rule decided)\n"
		"cases.txt:11: FAIL: expected deny, got none (no rule decided)\n"
		"6 passed, 6 failed\n");
	assert_int_equal(failures, 6);
	free(out);
	cases_free(&cf);
	diag_free(&d);

	/* No cases: nothing fails. */
	struct case_file empty = {0};
	out = run_to_string(&p, &empty, &failures);
	assert_string_equal(out, "0 passed, 0 failed\n");
	assert_int_equal(failures, 0);
	free(out);
}

/* ---------------------------------------------------------------- end to end */

/* The spec's example policy. */
static const char example_policy[] =
	"# Untracked policies for this host's interfaces.\n"
	"set blocklist { 192.0.2.0/24, 198.51.100.7, 2001:db8:bad::/48 }   # named address set\n"
	"\n"
	"policy ddos order 10 {\n"
	"    deny from @blocklist                  # any IP packet from a listed source\n"
	"    deny udp from any port 19             # chargen reflection\n"
	"    deny icmp type 8 code 0               # echo request\n"
	"}\n"
	"\n"
	"policy database order 20 {\n"
	"    allow tcp from { 10.0.0.0/8, fd00::/8 } to port 5432\n"
	"    egress allow tcp from port 5432 to { 10.0.0.0/8, fd00::/8 }\n"
	"    pass tcp to port 22                    # never untrack ssh: leave it to conntrack\n"
	"    log udp to port { 53, 5353 }\n"
	"    allow udp from not 10.0.0.0/8 to port 8000-8999; deny sctp\n"
	"}\n";

static const char example_cases[] = "# blocklisted sources, whatever they send\n"
				    "deny@5 tcp 192.0.2.9:1234 -> 10.0.0.1:5432\n"
				    "deny@5 udp [2001:db8:bad::1]:53 -> [fd00::1]:53\n"
				    "deny@5 proto 47 198.51.100.7 -> 10.0.0.1\n"
				    "none tcp 198.51.100.8:1 -> 10.0.0.1:5432\n"
				    "deny@5 tcp 192.0.2.9 -> 10.0.0.1 frag\n"
				    "# chargen and pings\n"
				    "deny@6 udp 203.0.113.1:19 -> 10.0.0.1:9999\n"
				    "none udp 203.0.113.1:19 -> 10.0.0.1:9999 frag\n"
				    "deny@7 icmp 203.0.113.1 -> 10.0.0.1 type 8 code 0\n"
				    "none icmp 203.0.113.1 -> 10.0.0.1 type 8 code 1\n"
				    "none icmpv6 2001:db8::1 -> 2001:db8::2 type 128\n"
				    "# the database tier\n"
				    "allow@11 tcp 10.1.2.3:40000 -> 10.0.0.1:5432\n"
				    "allow@11 tcp [fd00::5]:40000 -> [2001:db8::1]:5432\n"
				    "none tcp 172.16.0.1:40000 -> 10.0.0.1:5432\n"
				    "egress allow@12 tcp 10.0.0.1:5432 -> 10.1.2.3:40000\n"
				    "egress none tcp 10.0.0.1:5432 -> 172.16.0.1:40000\n"
				    "none tcp 10.0.0.1:5432 -> 10.1.2.3:40000\n"
				    "pass@13 tcp 10.1.2.3:50000 -> 10.0.0.1:22\n"
				    "pass@13 vlan 7 vlan 8 tcp [fd00::1]:50000 -> [fd00::2]:22\n"
				    "none vlan 7 vlan 8 vlan 9 tcp 10.1.2.3:50000 -> 10.0.0.1:22\n"
				    "none udp 10.1.2.3:1000 -> 10.0.0.1:53\n"
				    "allow@15 udp 172.16.0.1:1000 -> 10.0.0.1:8080\n"
				    "none udp 10.9.9.9:1000 -> 10.0.0.1:8080\n"
				    "none udp [fd00::1]:1000 -> [fd00::2]:8080\n"
				    "deny@15 sctp [fd00::1]:1 -> [fd00::2]:2\n"
				    "deny@15 sctp 10.0.0.1 -> 10.0.0.2 frag\n"
				    "pass@13 tcp 10.1.2.3:50000 -> 10.0.0.1:22 options 40\n"
				    "pass@13 tcp [fd00::1]:50000 -> [fd00::2]:22 ext 8\n"
				    "pass@13 tcp [fd00::1]:50000 -> [fd00::2]:22 ext 9\n"
				    "none hex " ARP_HEX "\n";

static void test_end_to_end(void **state)
{
	struct diag_ctx pd, cd;
	struct case_file cf;
	int failures;

	(void)state;
	struct ir_program *p = tu_compile(&pd, example_policy);
	if (!p) {
		char *text = tu_diag_text(&pd, DIAG_TEXT);
		fail_msg("the example policy does not compile:\n%s", text);
	}
	diag_init(&cd, "cases.txt", example_cases, strlen(example_cases));
	assert_int_equal(cases_parse(&cd, &cf), 0);
	assert_int_equal(cf.n, 29);
	char *out = run_to_string(p, &cf, &failures);
	if (failures != 0)
		fail_msg("%s", out);
	assert_string_equal(out, "29 passed, 0 failed\n");
	free(out);
	cases_free(&cf);
	diag_free(&cd);

	/* Wrong expectations fail with the policy's own words. */
	static const char wrong[] = "allow tcp 192.0.2.9:1234 -> 10.0.0.1:5432\n"
				    "deny@6 udp 203.0.113.1:19 -> 10.0.0.1:9999\n"
				    "deny udp 10.1.2.3:1000 -> 10.0.0.1:53\n"
				    "egress pass tcp 10.0.0.1:5432 -> fd00::1\n";
	diag_init(&cd, "cases.txt", wrong, strlen(wrong));
	assert_int_equal(cases_parse(&cd, &cf), -1);
	char *first = tu_first_diag(&cd);
	assert_string_equal(first,
			    "4:34: error: source and destination must be of the same family");
	free(first);
	diag_free(&cd);

	diag_init(&cd, "cases.txt", wrong,
		  strlen(wrong) - strlen("egress pass tcp 10.0.0.1:5432 -> fd00::1\n"));
	assert_int_equal(cases_parse(&cd, &cf), 0);
	out = run_to_string(p, &cf, &failures);
	assert_string_equal(
		out,
		"cases.txt:1: FAIL: expected allow, got deny by rule at test.utp:5 (deny from @blocklist)\n"
		"cases.txt:3: FAIL: expected deny, got none (no rule decided)\n"
		"1 passed, 2 failed\n");
	assert_int_equal(failures, 2);
	free(out);
	cases_free(&cf);
	diag_free(&cd);
	ir_free(p);
	diag_free(&pd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_lines),
		cmocka_unit_test(test_frame_bytes),
		cmocka_unit_test(test_file_structure),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_every_error_reported),
		cmocka_unit_test(test_binary_input),
		cmocka_unit_test(test_pktbuild_round_trip),
		cmocka_unit_test(test_pktbuild_refuses),
		cmocka_unit_test(test_runner_report),
		cmocka_unit_test(test_end_to_end),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
