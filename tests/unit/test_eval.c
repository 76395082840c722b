/* The reference evaluator on hand-built IR and packet views: every condition
 * kind, negation, named sets, unreadable fields, families, log-then-decide
 * order and direction filtering. No front end involved. */
#include "testutil.h"

#include "objfmt/addr.h"
#include "ref/eval.h"
#include "ir/ir.h"
#include "ref/pkt.h"

#define HAS_ALL                                                                                    \
	(PKT_HAS_PROTO | PKT_HAS_SRC | PKT_HAS_DST | PKT_HAS_SPORT | PKT_HAS_DPORT |               \
	 PKT_HAS_TYPE | PKT_HAS_CODE)

#define P4(a, b, c, d, l)                                                                          \
	{                                                                                          \
		.family = FAM_V4, .len = l, .addr = { a, b, c, d }                                 \
	}
/* 2001:db8:XXXX::/l */
#define P6(x, l)                                                                                   \
	{                                                                                          \
		.family = FAM_V6, .len = l, .addr = { 0x20, 0x01, 0x0d, 0xb8, (x) >> 8, (x)&0xff } \
	}

/* Packets: readable everything unless a test says otherwise. */
#define TCP4(s3, d3, sp, dp)                                                                       \
	{                                                                                          \
		.family = FAM_V4, .has = HAS_ALL & ~(PKT_HAS_TYPE | PKT_HAS_CODE), .proto = 6,     \
		.src = {10, 0, 0, s3}, .dst = {192, 0, 2, d3}, .sport = sp, .dport = dp            \
	}
#define UDP6(sx, dx, sp, dp)                                                                       \
	{                                                                                          \
		.family = FAM_V6, .has = HAS_ALL & ~(PKT_HAS_TYPE | PKT_HAS_CODE), .proto = 17,    \
		.src = {0x20, 0x01, 0x0d, 0xb8, (sx) >> 8, (sx)&0xff},                             \
		.dst = {0x20, 0x01, 0x0d, 0xb8, (dx) >> 8, (dx)&0xff}, .sport = sp, .dport = dp    \
	}
#define ICMP4(t, c)                                                                                \
	{                                                                                          \
		.family = FAM_V4, .has = HAS_ALL & ~(PKT_HAS_SPORT | PKT_HAS_DPORT), .proto = 1,   \
		.src = {10, 0, 0, 1}, .dst = {192, 0, 2, 1}, .icmp_type = t, .icmp_code = c        \
	}

/* A rule with no conditions, of the given families. */
#define RULE(fam)	     RULEX(fam, IR_PROTO_ANY, IR_ICMP_ANY, IR_ICMP_ANY)
/* ... with a protocol, ICMP type and code. */
#define RULEX(fam, pr, t, c) .families = fam, .proto = pr, .icmp_type = t, .icmp_code = c

/* Two named sets: set 0 mixes families, set 1 is empty. */
static struct prefix set0_prefixes[] = {P4(198, 51, 100, 0, 24), P6(0xbad, 48)};
static struct ir_set sets[] = {
	{.name = "mixed", .prefixes = set0_prefixes, .nprefixes = 2, .families = FAM_ALL},
	{.name = "empty"},
};
static struct ir_program prog = {.file = "test.utp", .sets = sets, .nsets = 2};

static uint32_t set0[] = {0}, set01[] = {0, 1};

struct match_case {
	const char *name;
	struct ir_rule rule;
	struct pkt_fields pkt;
	bool match;
};

static const struct match_case match_cases[] = {
	/* families */
	{"no conditions, v4", {RULE(FAM_ALL)}, TCP4(1, 1, 1, 1), true},
	{"no conditions, v6", {RULE(FAM_ALL)}, UDP6(1, 1, 1, 1), true},
	{"no conditions, not IP", {RULE(FAM_ALL)}, {.family = 0}, false},
	{"no conditions, bare IPv4", {RULE(FAM_ALL)}, {.family = FAM_V4}, true},
	{"v4 rule, v6 packet", {RULE(FAM_V4)}, UDP6(1, 1, 1, 1), false},
	{"v6 rule, v4 packet", {RULE(FAM_V6)}, TCP4(1, 1, 1, 1), false},
	{"v6 rule, v6 packet", {RULE(FAM_V6)}, UDP6(1, 1, 1, 1), true},

	/* incomplete */
	{"incomplete, complete packet",
	 {RULE(FAM_ALL), .incomplete = true},
	 TCP4(1, 1, 1, 1),
	 false},
	{"incomplete, cut IPv4",
	 {RULE(FAM_ALL), .incomplete = true},
	 {.family = FAM_V4, .has = PKT_HAS_PROTO | PKT_HAS_INCOMPLETE, .proto = 6},
	 true},
	{"incomplete v4 rule, cut IPv6",
	 {RULE(FAM_V4), .incomplete = true},
	 {.family = FAM_V6, .has = PKT_HAS_INCOMPLETE},
	 false},
	{"incomplete tcp, cut IPv6 with the protocol",
	 {RULEX(FAM_ALL, 6, IR_ICMP_ANY, IR_ICMP_ANY), .incomplete = true},
	 {.family = FAM_V6,
	  .has = PKT_HAS_PROTO | PKT_HAS_SRC | PKT_HAS_DST | PKT_HAS_INCOMPLETE,
	  .proto = 6},
	 true},
	{"no conditions, cut IPv6",
	 {RULE(FAM_ALL)},
	 {.family = FAM_V6, .has = PKT_HAS_INCOMPLETE},
	 true},
	/* a frame with more VLAN tags than are walked: no family, incomplete */
	{"incomplete alone, deep VLAN frame",
	 {RULE(FAM_ALL), .incomplete = true},
	 {.family = 0, .has = PKT_HAS_INCOMPLETE},
	 true},
	{"no conditions, deep VLAN frame",
	 {RULE(FAM_ALL)},
	 {.family = 0, .has = PKT_HAS_INCOMPLETE},
	 false},
	{"incomplete tcp, deep VLAN frame",
	 {RULEX(FAM_ALL, 6, IR_ICMP_ANY, IR_ICMP_ANY), .incomplete = true},
	 {.family = 0, .has = PKT_HAS_INCOMPLETE},
	 false},
	{"incomplete from not v4, deep VLAN frame",
	 {RULE(FAM_V4), .incomplete = true, .src = &(struct ir_addr_match){.negate = true}},
	 {.family = 0, .has = PKT_HAS_INCOMPLETE},
	 false},

	/* protocol */
	{"proto equal", {RULEX(FAM_ALL, 6, IR_ICMP_ANY, IR_ICMP_ANY)}, TCP4(1, 1, 1, 1), true},
	{"proto differs", {RULEX(FAM_ALL, 17, IR_ICMP_ANY, IR_ICMP_ANY)}, TCP4(1, 1, 1, 1), false},
	{"proto unreadable",
	 {RULEX(FAM_ALL, 6, IR_ICMP_ANY, IR_ICMP_ANY)},
	 {.family = FAM_V4, .has = PKT_HAS_SRC, .proto = 6},
	 false},
	{"proto 0 unreadable",
	 {RULEX(FAM_ALL, 0, IR_ICMP_ANY, IR_ICMP_ANY)},
	 {.family = FAM_V4},
	 false},
	{"proto 0 readable",
	 {RULEX(FAM_ALL, 0, IR_ICMP_ANY, IR_ICMP_ANY)},
	 {.family = FAM_V4, .has = PKT_HAS_PROTO},
	 true},

	/* source and destination prefixes */
	{"src in /8",
	 {RULE(FAM_V4),
	  .src = &(struct ir_addr_match){.prefixes = (struct prefix[]){P4(10, 0, 0, 0, 8)},
					 .nprefixes = 1}},
	 TCP4(7, 1, 1, 1),
	 true},
	{"src host exact",
	 {RULE(FAM_V4),
	  .src = &(struct ir_addr_match){.prefixes = (struct prefix[]){P4(10, 0, 0, 7, 32)},
					 .nprefixes = 1}},
	 TCP4(7, 1, 1, 1),
	 true},
	{"src host other",
	 {RULE(FAM_V4),
	  .src = &(struct ir_addr_match){.prefixes = (struct prefix[]){P4(10, 0, 0, 7, 32)},
					 .nprefixes = 1}},
	 TCP4(8, 1, 1, 1),
	 false},
	{"src /0 matches all v4",
	 {RULE(FAM_V4),
	  .src = &(struct ir_addr_match){.prefixes = (struct prefix[]){P4(0, 0, 0, 0, 0)},
					 .nprefixes = 1}},
	 TCP4(8, 1, 1, 1),
	 true},
	{"dst is checked, not src",
	 {RULE(FAM_V4),
	  .dst = &(struct ir_addr_match){.prefixes = (struct prefix[]){P4(10, 0, 0, 0, 8)},
					 .nprefixes = 1}},
	 TCP4(7, 1, 1, 1),
	 false},
	{"dst in /24",
	 {RULE(FAM_V4),
	  .dst = &(struct ir_addr_match){.prefixes = (struct prefix[]){P4(192, 0, 2, 0, 24)},
					 .nprefixes = 1}},
	 TCP4(7, 99, 1, 1),
	 true},
	{"v4 prefix never holds a v6 address",
	 {RULE(FAM_ALL),
	  .src = &(struct ir_addr_match){.prefixes = (struct prefix[]){P4(0, 0, 0, 0, 0)},
					 .nprefixes = 1}},
	 UDP6(1, 1, 1, 1),
	 false},
	{"v6 prefix of a mixed list",
	 {RULE(FAM_ALL),
	  .src = &(struct ir_addr_match){.prefixes = (struct prefix[]){P4(10, 0, 0, 0, 8),
								       P6(0xbad, 48)},
					 .nprefixes = 2}},
	 UDP6(0xbad, 1, 1, 1),
	 true},
	{"v6 prefix mismatch",
	 {RULE(FAM_V6), .src = &(struct ir_addr_match){.prefixes = (struct prefix[]){P6(0xbad, 48)},
						       .nprefixes = 1}},
	 UDP6(0xbae, 1, 1, 1),
	 false},
	{"src unreadable",
	 {RULE(FAM_V4),
	  .src = &(struct ir_addr_match){.prefixes = (struct prefix[]){P4(0, 0, 0, 0, 0)},
					 .nprefixes = 1}},
	 {.family = FAM_V4, .has = PKT_HAS_PROTO | PKT_HAS_DST},
	 false},
	{"dst unreadable",
	 {RULE(FAM_V4),
	  .dst = &(struct ir_addr_match){.prefixes = (struct prefix[]){P4(0, 0, 0, 0, 0)},
					 .nprefixes = 1}},
	 {.family = FAM_V4, .has = PKT_HAS_PROTO | PKT_HAS_SRC},
	 false},

	/* negation */
	{"not: inside",
	 {RULE(FAM_V4),
	  .src = &(struct ir_addr_match){.negate = true,
					 .prefixes = (struct prefix[]){P4(10, 0, 0, 0, 8)},
					 .nprefixes = 1}},
	 TCP4(7, 1, 1, 1),
	 false},
	{"not: outside",
	 {RULE(FAM_V4),
	  .dst = &(struct ir_addr_match){.negate = true,
					 .prefixes = (struct prefix[]){P4(10, 0, 0, 0, 8)},
					 .nprefixes = 1}},
	 TCP4(7, 1, 1, 1),
	 true},
	{"not: unreadable",
	 {RULE(FAM_V4),
	  .src = &(struct ir_addr_match){.negate = true,
					 .prefixes = (struct prefix[]){P4(10, 0, 0, 0, 8)},
					 .nprefixes = 1}},
	 {.family = FAM_V4, .has = PKT_HAS_PROTO},
	 false},
	{"not v4 list, v6 packet of a v6 rule",
	 {RULE(FAM_V6), .src = &(struct ir_addr_match){.negate = true,
						       .prefixes = (struct prefix[]){P6(0xbad, 48)},
						       .nprefixes = 1}},
	 UDP6(0x1, 1, 1, 1),
	 true},

	/* named sets */
	{"set: v4 member",
	 {RULE(FAM_ALL), .src = &(struct ir_addr_match){.sets = set0, .nsets = 1}},
	 {.family = FAM_V4, .has = PKT_HAS_SRC, .src = {198, 51, 100, 200}},
	 true},
	{"set: v6 member",
	 {RULE(FAM_ALL), .src = &(struct ir_addr_match){.sets = set0, .nsets = 1}},
	 UDP6(0xbad, 1, 1, 1),
	 true},
	{"set: not a member",
	 {RULE(FAM_ALL), .src = &(struct ir_addr_match){.sets = set0, .nsets = 1}},
	 TCP4(1, 1, 1, 1),
	 false},
	{"set: empty set matches nothing",
	 {RULE(FAM_ALL), .src = &(struct ir_addr_match){.sets = (uint32_t[]){1}, .nsets = 1}},
	 TCP4(1, 1, 1, 1),
	 false},
	{"set: not empty set matches everything",
	 {RULE(FAM_ALL),
	  .dst = &(struct ir_addr_match){.negate = true, .sets = (uint32_t[]){1}, .nsets = 1}},
	 TCP4(1, 1, 1, 1),
	 true},
	{"set and literal: literal hit",
	 {RULE(FAM_ALL),
	  .src = &(struct ir_addr_match){.prefixes = (struct prefix[]){P4(10, 0, 0, 0, 8)},
					 .nprefixes = 1,
					 .sets = set01,
					 .nsets = 2}},
	 TCP4(1, 1, 1, 1),
	 true},
	{"set and literal: set hit",
	 {RULE(FAM_ALL),
	  .src = &(struct ir_addr_match){.prefixes = (struct prefix[]){P4(172, 16, 0, 0, 12)},
					 .nprefixes = 1,
					 .sets = set01,
					 .nsets = 2}},
	 {.family = FAM_V4, .has = PKT_HAS_SRC, .src = {198, 51, 100, 1}},
	 true},
	{"not set: member",
	 {RULE(FAM_ALL), .src = &(struct ir_addr_match){.negate = true, .sets = set0, .nsets = 1}},
	 UDP6(0xbad, 1, 1, 1),
	 false},

	/* ports */
	{"dport in range lo",
	 {RULE(FAM_ALL),
	  .dport = &(struct ir_port_match){.ranges = (struct ir_range[]){{8000, 8999}},
					   .nranges = 1}},
	 TCP4(1, 1, 1, 8000),
	 true},
	{"dport in range hi",
	 {RULE(FAM_ALL),
	  .dport = &(struct ir_port_match){.ranges = (struct ir_range[]){{8000, 8999}},
					   .nranges = 1}},
	 TCP4(1, 1, 1, 8999),
	 true},
	{"dport below range",
	 {RULE(FAM_ALL),
	  .dport = &(struct ir_port_match){.ranges = (struct ir_range[]){{8000, 8999}},
					   .nranges = 1}},
	 TCP4(1, 1, 1, 7999),
	 false},
	{"dport above range",
	 {RULE(FAM_ALL),
	  .dport = &(struct ir_port_match){.ranges = (struct ir_range[]){{8000, 8999}},
					   .nranges = 1}},
	 TCP4(1, 1, 1, 9000),
	 false},
	{"dport second range",
	 {RULE(FAM_ALL),
	  .dport = &(struct ir_port_match){.ranges = (struct ir_range[]){{53, 53}, {5353, 5353}},
					   .nranges = 2}},
	 UDP6(1, 1, 1, 5353),
	 true},
	{"dport between ranges",
	 {RULE(FAM_ALL),
	  .dport = &(struct ir_port_match){.ranges = (struct ir_range[]){{53, 53}, {5353, 5353}},
					   .nranges = 2}},
	 UDP6(1, 1, 1, 54),
	 false},
	{"sport checked, not dport",
	 {RULE(FAM_ALL),
	  .sport = &(struct ir_port_match){.ranges = (struct ir_range[]){{19, 19}}, .nranges = 1}},
	 TCP4(1, 1, 1, 19),
	 false},
	{"sport match",
	 {RULE(FAM_ALL),
	  .sport = &(struct ir_port_match){.ranges = (struct ir_range[]){{19, 19}}, .nranges = 1}},
	 TCP4(1, 1, 19, 1),
	 true},
	{"port 0 and 65535",
	 {RULE(FAM_ALL),
	  .sport = &(struct ir_port_match){.ranges = (struct ir_range[]){{0, 0}, {65535, 65535}},
					   .nranges = 2}},
	 TCP4(1, 1, 65535, 1),
	 true},
	{"port not: inside",
	 {RULE(FAM_ALL), .dport = &(struct ir_port_match){.negate = true,
							  .ranges = (struct ir_range[]){{22, 22}},
							  .nranges = 1}},
	 TCP4(1, 1, 1, 22),
	 false},
	{"port not: outside",
	 {RULE(FAM_ALL), .dport = &(struct ir_port_match){.negate = true,
							  .ranges = (struct ir_range[]){{22, 22}},
							  .nranges = 1}},
	 TCP4(1, 1, 1, 23),
	 true},
	{"port not: unreadable (fragment)",
	 {RULE(FAM_ALL), .dport = &(struct ir_port_match){.negate = true,
							  .ranges = (struct ir_range[]){{22, 22}},
							  .nranges = 1}},
	 {.family = FAM_V4,
	  .has = PKT_HAS_PROTO | PKT_HAS_SRC | PKT_HAS_DST,
	  .proto = 6,
	  .nonfirst_fragment = true},
	 false},
	{"sport readable, dport not",
	 {RULE(FAM_ALL), .dport = &(struct ir_port_match){.ranges = (struct ir_range[]){{0, 65535}},
							  .nranges = 1}},
	 {.family = FAM_V4, .has = PKT_HAS_PROTO | PKT_HAS_SPORT, .proto = 6},
	 false},

	/* ICMP */
	{"type equal", {RULEX(FAM_V4, 1, 8, IR_ICMP_ANY)}, ICMP4(8, 0), true},
	{"type differs", {RULEX(FAM_V4, 1, 8, IR_ICMP_ANY)}, ICMP4(0, 0), false},
	{"type and code", {RULEX(FAM_V4, 1, 3, 4)}, ICMP4(3, 4), true},
	{"code differs", {RULEX(FAM_V4, 1, 3, 4)}, ICMP4(3, 3), false},
	{"type 0 unreadable",
	 {RULEX(FAM_V4, IR_PROTO_ANY, 0, IR_ICMP_ANY)},
	 {.family = FAM_V4, .has = PKT_HAS_PROTO, .proto = 1},
	 false},
	{"code unreadable",
	 {RULEX(FAM_V4, IR_PROTO_ANY, 3, 0)},
	 {.family = FAM_V4, .has = PKT_HAS_PROTO | PKT_HAS_TYPE, .proto = 1, .icmp_type = 3},
	 false},

	/* everything at once */
	{"all conditions hold",
	 {RULEX(FAM_V4, 6, IR_ICMP_ANY, IR_ICMP_ANY),
	  .src = &(struct ir_addr_match){.prefixes = (struct prefix[]){P4(10, 0, 0, 0, 8)},
					 .nprefixes = 1},
	  .dst = &(struct ir_addr_match){.negate = true, .sets = set0, .nsets = 1},
	  .sport = &(struct ir_port_match){.ranges = (struct ir_range[]){{1024, 65535}},
					   .nranges = 1},
	  .dport =
		  &(struct ir_port_match){.ranges = (struct ir_range[]){{443, 443}}, .nranges = 1}},
	 TCP4(1, 1, 40000, 443),
	 true},
	{"all but one hold",
	 {RULEX(FAM_V4, 6, IR_ICMP_ANY, IR_ICMP_ANY),
	  .src = &(struct ir_addr_match){.prefixes = (struct prefix[]){P4(10, 0, 0, 0, 8)},
					 .nprefixes = 1},
	  .dst = &(struct ir_addr_match){.negate = true, .sets = set0, .nsets = 1},
	  .sport = &(struct ir_port_match){.ranges = (struct ir_range[]){{1024, 65535}},
					   .nranges = 1},
	  .dport =
		  &(struct ir_port_match){.ranges = (struct ir_range[]){{443, 443}}, .nranges = 1}},
	 TCP4(1, 1, 1023, 443),
	 false},
};

static void test_rule_matches(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(match_cases) / sizeof(match_cases[0]); i++) {
		const struct match_case *c = &match_cases[i];
		if (eval_rule_matches(&prog, &c->rule, &c->pkt) != c->match)
			fail_msg("%s: expected %s", c->name, c->match ? "a match" : "no match");
	}
}

/* Set contents are read at evaluation time, as the loader may change them. */
static void test_set_contents_change(void **state)
{
	struct prefix grown[] = {P4(198, 51, 100, 0, 24), P4(203, 0, 113, 0, 24)};
	struct ir_set live[] = {{.name = "live", .prefixes = grown, .nprefixes = 1}};
	struct ir_program p = {.sets = live, .nsets = 1};
	struct ir_rule r = {RULE(FAM_V4), .src = &(struct ir_addr_match){.sets = set0, .nsets = 1}};
	struct pkt_fields f = {.family = FAM_V4, .has = PKT_HAS_SRC, .src = {203, 0, 113, 9}};

	(void)state;
	assert_false(eval_rule_matches(&p, &r, &f));
	live[0].nprefixes = 2;
	assert_true(eval_rule_matches(&p, &r, &f));
	live[0].nprefixes = 0;
	assert_false(eval_rule_matches(&p, &r, &f));
}

/* ---------------------------------------------------------------- eval_packet */

#define PROG(rules)                                                                                \
	{                                                                                          \
		.file = "test.utp", .rules = rules, .nrules = sizeof(rules) / sizeof(rules[0])     \
	}

static struct ir_port_match dport22 = {.ranges = (struct ir_range[]){{22, 22}}, .nranges = 1};
static struct ir_port_match dport80 = {.ranges = (struct ir_range[]){{80, 80}}, .nranges = 1};

static void test_log_then_decide(void **state)
{
	struct ir_rule rules[] = {
		{.id = 0, .action = ACT_LOG, RULE(FAM_ALL)},
		{.id = 1, .action = ACT_LOG, RULE(FAM_ALL), .dport = &dport22},
		{.id = 2, .action = ACT_LOG, RULE(FAM_V6)},
		{.id = 3, .action = ACT_DENY, RULE(FAM_ALL), .dport = &dport80},
		{.id = 4, .action = ACT_LOG, RULE(FAM_ALL)},
		{.id = 5, .action = ACT_ALLOW, RULE(FAM_ALL)},
		{.id = 6, .action = ACT_DENY, RULE(FAM_ALL)},
	};
	struct ir_program p = PROG(rules);
	struct pkt_fields http = TCP4(1, 1, 1000, 80), ssh = TCP4(1, 1, 1000, 22);
	struct eval_result res;

	(void)state;
	eval_packet(&p, DIR_INGRESS, &http, &res);
	assert_int_equal(res.verdict, EVAL_DENY);
	assert_int_equal(res.rule, 3);
	assert_int_equal(res.nlogged, 1);
	assert_int_equal(res.logged[0], 0);

	/* Logged by 0, 1 and 4, then allowed by 5; 6 never runs. */
	eval_packet(&p, DIR_INGRESS, &ssh, &res);
	assert_int_equal(res.verdict, EVAL_ALLOW);
	assert_int_equal(res.rule, 5);
	assert_int_equal(res.nlogged, 3);
	assert_int_equal(res.logged[0], 0);
	assert_int_equal(res.logged[1], 1);
	assert_int_equal(res.logged[2], 4);
}

static void test_verdicts_and_none(void **state)
{
	struct ir_rule rules[] = {
		{.id = 0, .action = ACT_PASS, RULE(FAM_ALL), .dport = &dport22},
		{.id = 1, .action = ACT_ALLOW, RULE(FAM_ALL), .dport = &dport80},
		{.id = 2, .action = ACT_LOG, RULE(FAM_V4)},
		{.id = 3, .action = ACT_DENY, RULE(FAM_V6)},
	};
	struct ir_program p = PROG(rules);
	static const struct {
		struct pkt_fields pkt;
		enum eval_verdict verdict;
		int64_t rule;
		size_t nlogged;
	} cases[] = {
		{TCP4(1, 1, 1, 22), EVAL_PASS, 0, 0}, {UDP6(1, 1, 1, 80), EVAL_ALLOW, 1, 0},
		{UDP6(1, 1, 1, 81), EVAL_DENY, 3, 0}, {TCP4(1, 1, 1, 81), EVAL_NONE, -1, 1},
		{{.family = 0}, EVAL_NONE, -1, 0},
	};
	struct eval_result res;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		eval_packet(&p, DIR_INGRESS, &cases[i].pkt, &res);
		assert_int_equal(res.verdict, cases[i].verdict);
		assert_int_equal(res.rule, cases[i].rule);
		assert_int_equal(res.nlogged, cases[i].nlogged);
	}
}

static void test_direction(void **state)
{
	struct ir_rule rules[] = {
		{.id = 0, .dir = DIR_EGRESS, .action = ACT_DENY, RULE(FAM_ALL), .dport = &dport80},
		{.id = 1, .dir = DIR_INGRESS, .action = ACT_LOG, RULE(FAM_ALL)},
		{.id = 2, .dir = DIR_EGRESS, .action = ACT_LOG, RULE(FAM_ALL)},
		{.id = 3,
		 .dir = DIR_INGRESS,
		 .action = ACT_ALLOW,
		 RULE(FAM_ALL),
		 .dport = &dport80},
		{.id = 4, .dir = DIR_EGRESS, .action = ACT_PASS, RULE(FAM_ALL)},
	};
	struct ir_program p = PROG(rules);
	struct pkt_fields http = TCP4(1, 1, 1000, 80), other = TCP4(1, 1, 1000, 81);
	struct eval_result res;

	(void)state;
	eval_packet(&p, DIR_INGRESS, &http, &res);
	assert_int_equal(res.verdict, EVAL_ALLOW);
	assert_int_equal(res.rule, 3);
	assert_int_equal(res.nlogged, 1);
	assert_int_equal(res.logged[0], 1);

	eval_packet(&p, DIR_EGRESS, &http, &res);
	assert_int_equal(res.verdict, EVAL_DENY);
	assert_int_equal(res.rule, 0);
	assert_int_equal(res.nlogged, 0);

	eval_packet(&p, DIR_INGRESS, &other, &res);
	assert_int_equal(res.verdict, EVAL_NONE);
	assert_int_equal(res.rule, -1);

	eval_packet(&p, DIR_EGRESS, &other, &res);
	assert_int_equal(res.verdict, EVAL_PASS);
	assert_int_equal(res.rule, 4);
	assert_int_equal(res.nlogged, 1);
	assert_int_equal(res.logged[0], 2);
}

/* More log rules than EVAL_MAX_LOGGED: the first ones are kept and the
 * decision still comes from the first deciding rule after them. */
static void test_logged_cap(void **state)
{
	enum { NLOG = EVAL_MAX_LOGGED + 10 };
	struct ir_rule rules[NLOG + 1];
	struct ir_program p = {.rules = rules, .nrules = NLOG + 1};
	struct pkt_fields f = TCP4(1, 1, 1, 1);
	struct eval_result res;

	(void)state;
	for (uint32_t i = 0; i <= NLOG; i++)
		rules[i] = (struct ir_rule){
			.id = i, .action = i < NLOG ? ACT_LOG : ACT_DENY, RULE(FAM_ALL)};
	eval_packet(&p, DIR_INGRESS, &f, &res);
	assert_int_equal(res.verdict, EVAL_DENY);
	assert_int_equal(res.rule, NLOG);
	assert_int_equal(res.nlogged, EVAL_MAX_LOGGED);
	for (uint32_t i = 0; i < EVAL_MAX_LOGGED; i++)
		assert_int_equal(res.logged[i], i);
}

static void test_empty_program(void **state)
{
	struct ir_program p = {.file = "empty.utp"};
	struct pkt_fields f = TCP4(1, 1, 1, 1);
	struct eval_result res;

	(void)state;
	memset(&res, 0xa5, sizeof(res));
	eval_packet(&p, DIR_INGRESS, &f, &res);
	assert_int_equal(res.verdict, EVAL_NONE);
	assert_int_equal(res.rule, -1);
	assert_int_equal(res.nlogged, 0);
}

static void test_verdict_names(void **state)
{
	(void)state;
	assert_string_equal(eval_verdict_name(EVAL_NONE), "none");
	assert_string_equal(eval_verdict_name(EVAL_ALLOW), "allow");
	assert_string_equal(eval_verdict_name(EVAL_DENY), "deny");
	assert_string_equal(eval_verdict_name(EVAL_PASS), "pass");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rule_matches),	cmocka_unit_test(test_set_contents_change),
		cmocka_unit_test(test_log_then_decide), cmocka_unit_test(test_verdicts_and_none),
		cmocka_unit_test(test_direction),	cmocka_unit_test(test_logged_cap),
		cmocka_unit_test(test_empty_program),	cmocka_unit_test(test_verdict_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
