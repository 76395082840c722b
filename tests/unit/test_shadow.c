/* Shadowed-rule analysis.
 *
 * - Pairs of rules, written as policy text, with whether the first covers
 *   the second: every field, negation, families, ranges, sets and the
 *   readability subtleties (fields a truncated packet lacks).
 * - A few pairs built as IR that the front end cannot produce.
 * - shadow_check on whole policies: the exact warnings and notes.
 * - shadow_rule_covers against the reference evaluator on random rules,
 *   over every readability state the reference parser reaches.
 * - shadow_check's index against a brute-force search on random programs,
 *   and on 100,000-rule programs of several shapes. */
#include "testutil.h"

#include "objfmt/addr.h"
#include "ref/eval.h"
#include "ref/pkt.h"
#include "ref/pktbuild.h"
#include "analysis/cover.h"
#include "analysis/shadow.h"

/* ---------------------------------------------------------------- pairs */

#define SETS                                                                                       \
	"set s4 { 10.0.0.0/8, 192.168.0.0/16 }\n"                                                  \
	"set s6 { 2001:db8::/32 }\n"                                                               \
	"set mix { 10.0.0.0/8, 2001:db8::/32 }\n"                                                  \
	"set all4 { 0.0.0.0/0 }\n"

struct pair {
	const char *e, *r;
	bool covers;
};

static const struct pair pairs[] = {
	/* protocol */
	{"deny", "deny tcp", true},
	{"deny tcp", "allow tcp to port 80", true},
	{"deny tcp", "deny", false},
	{"deny tcp", "deny udp", false},
	{"deny udp", "deny tcp to port 80", false},
	{"deny proto 6", "deny tcp", true},
	{"deny tcp", "deny proto 6", true},
	{"deny sctp to port 80", "deny proto 132 to port 80", true},
	{"deny proto 1", "deny icmp type 8", true},
	{"deny icmp", "deny proto 1", true},
	{"deny tcp", "deny icmp", false},

	/* readability: a rule without a condition on a field also matches
	 * packets too short to have it */
	{"deny from 0.0.0.0/0", "deny icmp", false}, /* protocol byte 9, source 12 */
	{"deny from 0.0.0.0/0", "deny tcp", false},
	{"deny from { 0.0.0.0/0, ::/0 }", "deny tcp", false},
	{"deny from 0.0.0.0/0", "deny to 10.0.0.1", true}, /* destination implies source */
	{"deny from 0.0.0.0/0", "deny tcp to 0.0.0.0/0", true},
	{"deny from 0.0.0.0/0", "deny tcp to port 80", false}, /* IPv6 too */
	{"deny from { 0.0.0.0/0, ::/0 }", "deny tcp to port 80", true},
	{"deny from ::/0", "deny to 2001:db8::1", true},
	{"deny to 0.0.0.0/0", "deny from 10.0.0.1", false},
	{"deny to ::/0", "deny from 2001:db8::1", false},
	{"deny from { 0.0.0.0/0, ::/0 }", "deny to { 0.0.0.0/0, ::/0 }", true},
	{"deny to { 0.0.0.0/0, ::/0 }", "deny from { 0.0.0.0/0, ::/0 }", false},
	{"deny from @all4", "deny to 1.2.3.4", true},
	{"deny from { 0.0.0.0/0, ::/0 }", "deny tcp from port 80", true}, /* L4 implies both */
	{"deny tcp to { 0.0.0.0/0, ::/0 }", "deny tcp from port 80", true},
	{"deny from ::/0", "deny icmpv6", false}, /* IPv6: Next Header at byte 6, source 8 */
	{"deny to ::/0", "deny icmpv6 from ::/0", false},
	/* An extension header number is only ever the protocol of a non-first
	 * fragment, read after both addresses; other numbers can be read from
	 * byte 6 before the destination. */
	{"deny to ::/0", "deny proto 43 from ::/0", true},
	{"deny to ::/0", "deny proto 99 from ::/0", false},
	{"deny to 0.0.0.0/0", "deny proto 43 from 0.0.0.0/0", false},
	{"deny tcp from port 0-65535", "deny tcp to port 80", true}, /* dport implies sport */
	{"deny tcp to port 0-65535", "deny tcp from port 80", false},
	{"deny icmp type 8", "deny icmp type 8 code 0", true},
	{"deny icmp type 8 code 0", "deny icmp type 8", false},
	{"deny icmp type 8", "deny icmp type 0", false},
	{"deny icmp", "deny icmp type 3 code 1", true},
	{"deny icmp type 3 code 1", "deny icmp", false},
	{"deny icmpv6 type 128", "deny icmp type 128", false},

	/* addresses */
	{"deny from 10.0.0.0/8", "deny tcp from 10.1.0.0/16 to 192.168.0.1 port 80", true},
	{"deny from 10.0.0.0/8", "deny from 10.0.0.0/7", false},
	{"deny from 10.0.0.0/8 to 10.0.0.0/8", "deny from 10.1.0.0/16", false},
	{"deny to 10.0.0.0/8", "deny from 10.0.0.0/8 to { 10.1.0.0/16, 2001:db8::1 }", true},
	{"deny from { 10.0.0.0/9, 10.128.0.0/9 }", "deny from 10.0.0.0/8", true},
	{"deny from { 10.0.0.0/9, 10.129.0.0/16 }", "deny from 10.0.0.0/8", false},

	/* negation */
	{"allow from not 10.0.0.0/8", "deny from 192.168.0.0/16", true},
	{"allow from not 10.0.0.0/8", "deny from 10.1.0.0/16", false},
	{"allow from not 10.0.0.0/8", "deny from 10.0.0.0/7", false},
	{"allow from not 10.0.0.0/8", "deny from 8.0.0.0/7", true},
	{"deny from not 10.0.0.0/8", "deny from not 10.0.0.0/7", true},
	{"deny from not 10.0.0.0/7", "deny from not 10.0.0.0/8", false},
	{"deny from not 192.168.0.0/16", "deny from not 10.0.0.0/8", false},
	{"deny from not 10.0.0.0/8", "deny from not 10.0.0.0/8", true},
	{"deny from { 0.0.0.0/1, 128.0.0.0/1 }", "deny from not 10.0.0.0/8", true},
	{"deny from 0.0.0.0/1", "deny from not 10.0.0.0/8", false},
	{"deny from not 2001:db8::/32", "deny from not 10.0.0.0/8", false},

	/* ports */
	{"allow tcp to port 1-1000", "deny tcp to port { 22, 80, 443 }", true},
	{"allow tcp to port 1-1000", "deny tcp to port { 22, 1001 }", false},
	{"allow tcp to port not 80", "deny tcp to port 81-90", true},
	{"allow tcp to port not 80", "deny tcp to port 79-80", false},
	{"allow tcp to port not 80", "deny tcp to port not { 80, 443 }", true},
	{"allow tcp to port not { 80, 443 }", "deny tcp to port not 80", false},
	{"allow tcp to port { 0-79, 81-65535 }", "deny tcp to port not 80", true},
	{"allow tcp to port not 80", "deny tcp to port { 0-79, 81-65535 }", true},
	{"allow udp to port 53", "allow tcp to port 53", false},
	{"deny tcp from port 1024-65535 to port 80", "deny tcp from port 5000 to port 80", true},
	{"deny tcp from port 1024-65535 to port 80", "deny tcp to port 80", false},

	/* families */
	{"deny from 10.0.0.0/8", "deny from { 10.1.0.0/16, 2001:db8::/48 }", false},
	{"deny from { 10.0.0.0/8, 2001:db8::/32 }", "deny from { 10.1.0.0/16, 2001:db8::/48 }",
	 true},
	{"deny tcp from 10.0.0.0/8", "deny tcp", false},
	{"deny icmp", "deny proto 58", false},

	/* sets: their initial contents */
	{"deny from @s4", "deny from 10.1.2.3", true},
	{"deny from @s4", "deny from { 10.0.0.0/8, 192.168.1.0/24 }", true},
	{"deny from @s4", "deny from 11.0.0.0/8", false},
	{"deny from @mix", "deny from { 10.9.0.0/16, 2001:db8:1::/48 }", true},
	{"deny from @s6", "deny from { 10.9.0.0/16, 2001:db8:1::/48 }", false},
	{"deny from 10.0.0.0/8", "deny from @s4", false},
	{"deny from { 10.0.0.0/8, 192.168.0.0/16 }", "deny from @s4", true},
	{"deny from not @s4", "deny from 172.16.0.0/12", true},
	{"deny from not @s4", "deny from not @mix", false}, /* IPv6 outside mix */
	{"deny from { @s4, 172.16.0.0/12 }", "deny from { 192.168.1.1, 172.16.0.1 }", true},
	{"deny from { @s4, @s6 }", "deny from @mix", true},
};

static void test_pairs(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		struct diag_ctx d;
		char *src;

		if (asprintf(&src, SETS "policy p {\n%s\n%s\n}\n", pairs[i].e, pairs[i].r) < 0)
			abort();
		struct ir_program *p = tu_compile(&d, src);
		if (!p || p->nrules != 2)
			fail_msg("does not compile: %s / %s", pairs[i].e, pairs[i].r);
		if (shadow_rule_covers(p, &p->rules[0], &p->rules[1]) != pairs[i].covers)
			fail_msg("'%s' %s '%s'", pairs[i].e,
				 pairs[i].covers ? "should cover" : "should not cover", pairs[i].r);
		ir_free(p);
		diag_free(&d);
		free(src);
	}
}

/* ---------------------------------------------------------------- hand-built IR */

static struct ir_addr_match *mk_addr(bool negate, const struct prefix *p, size_t n,
				     const uint32_t *sets, size_t nsets)
{
	struct ir_addr_match *m = calloc(1, sizeof(*m));

	m->negate = negate;
	m->prefixes = calloc(n + 1, sizeof(*p));
	if (n)
		memcpy(m->prefixes, p, n * sizeof(*p));
	m->nprefixes = n;
	m->sets = calloc(nsets + 1, sizeof(*sets));
	if (nsets)
		memcpy(m->sets, sets, nsets * sizeof(*sets));
	m->nsets = nsets;
	return m;
}

static struct ir_port_match *mk_ports(bool negate, const struct ir_range *r, size_t n)
{
	struct ir_port_match *m = calloc(1, sizeof(*m));

	m->negate = negate;
	m->ranges = calloc(n + 1, sizeof(*r));
	if (n)
		memcpy(m->ranges, r, n * sizeof(*r));
	m->nranges = n;
	return m;
}

static void free_addr(struct ir_addr_match *m)
{
	if (m) {
		free(m->prefixes);
		free(m->sets);
		free(m);
	}
}

static void free_ports(struct ir_port_match *m)
{
	if (m) {
		free(m->ranges);
		free(m);
	}
}

static void free_rule(struct ir_rule *r)
{
	free_addr(r->src);
	free_addr(r->dst);
	free_ports(r->sport);
	free_ports(r->dport);
	memset(r, 0, sizeof(*r));
}

static struct prefix pfx(const char *text)
{
	struct prefix p;

	if (prefix_parse(text, &p) != ADDR_OK)
		abort();
	return p;
}

static struct ir_rule bare(uint8_t families, int proto)
{
	struct ir_rule r = {.families = families, .proto = (int16_t)proto};

	r.icmp_type = r.icmp_code = IR_ICMP_ANY;
	return r;
}

/* Conditions the grammar or sema rule out still get exact answers. */
static void test_ir_pairs(void **state)
{
	struct ir_program p = {.file = "t"};
	struct prefix all4 = pfx("0.0.0.0/0"), net = pfx("10.0.0.0/8");
	const struct ir_range p80 = {80, 80};

	(void)state;
	/* ICMP fields without a protocol: only ICMP packets have them, so a
	 * rule on protocol 1 holds all IPv4 ones. */
	struct ir_rule e = bare(FAM_V4, IPPROTO_NUM_ICMP), r = bare(FAM_V4, IR_PROTO_ANY);
	r.icmp_type = 8;
	assert_true(shadow_rule_covers(&p, &e, &r));
	r.families = FAM_ALL; /* ... but not the ICMPv6 ones */
	assert_false(shadow_rule_covers(&p, &e, &r));
	e.proto = IR_PROTO_ANY;
	e.families = FAM_ALL;
	e.icmp_type = 8;
	assert_true(shadow_rule_covers(&p, &e, &r));

	/* Ports without a protocol: three protocols carry them. */
	e = bare(FAM_ALL, IPPROTO_NUM_TCP);
	r = bare(FAM_ALL, IR_PROTO_ANY);
	r.dport = mk_ports(false, &p80, 1);
	assert_false(shadow_rule_covers(&p, &e, &r));
	e.proto = IR_PROTO_ANY;
	e.sport = mk_ports(true, &p80, 1);
	assert_false(shadow_rule_covers(&p, &e, &r));
	free_rule(&e);
	e = bare(FAM_ALL, IR_PROTO_ANY);
	assert_true(shadow_rule_covers(&p, &e, &r));
	free_rule(&r);

	/* A rule that matches nothing is covered by anything: negated /0,
	 * ICMP fields on ICMP's number over IPv6, an empty named set. */
	r = bare(FAM_V4, IR_PROTO_ANY);
	r.src = mk_addr(true, &all4, 1, NULL, 0);
	e = bare(FAM_V6, IPPROTO_NUM_TCP);
	assert_true(shadow_rule_covers(&p, &e, &r));
	free_rule(&r);
	r = bare(FAM_V6, IPPROTO_NUM_ICMP);
	r.icmp_type = 0;
	assert_true(shadow_rule_covers(&p, &e, &r));
	struct ir_set empty = {.name = "empty"};
	p.sets = &empty;
	p.nsets = 1;
	const uint32_t set0 = 0;
	r = bare(FAM_ALL, IR_PROTO_ANY);
	r.dst = mk_addr(false, NULL, 0, &set0, 1);
	assert_true(shadow_rule_covers(&p, &e, &r));
	/* ... while its negation is "any readable destination" */
	r.dst->negate = true;
	assert_false(shadow_rule_covers(&p, &e, &r));
	e.proto = IR_PROTO_ANY;
	e.families = FAM_ALL;
	e.dst = mk_addr(true, NULL, 0, &set0, 1);
	assert_true(shadow_rule_covers(&p, &e, &r));
	free_rule(&e);
	free_rule(&r);

	/* A literal of a family the rule does not match is ignored. */
	e = bare(FAM_V6, IR_PROTO_ANY);
	e.src = mk_addr(false, &net, 1, NULL, 0);
	r = bare(FAM_V6, IR_PROTO_ANY);
	r.src = mk_addr(false, &net, 1, NULL, 0);
	assert_true(shadow_rule_covers(&p, &e, &r)); /* both match nothing */
	free_rule(&e);
	free_rule(&r);
}

/* ---------------------------------------------------------------- whole policies */

/* Every diagnostic as "LINE:COL: severity: message", one per line. */
static char *diag_lines(const struct diag_ctx *d)
{
	static const char *sev[] = {"error", "warning", "note"};
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	for (size_t i = 0; i < d->n; i++)
		fprintf(f, "%d:%d: %s: %s\n", d->items[i].loc.first_line,
			d->items[i].loc.first_column, sev[d->items[i].severity],
			d->items[i].message);
	fclose(f);
	return buf;
}

#define SHADOWED  "warning: rule is shadowed by an earlier rule and never decides anything\n"
#define NOTE(pol) "note: shadowed by this rule in policy '" pol "'\n"

static const struct {
	const char *src, *diags;
} programs[] = {
	/* the specification's example: nothing shadowed */
	{"set blocklist { 192.0.2.0/24, 198.51.100.7, 2001:db8:bad::/48 }\n"
	 "policy ddos order 10 {\n"
	 "    deny from @blocklist\n"
	 "    deny udp from any port 19\n"
	 "    deny icmp type 8 code 0\n"
	 "}\n"
	 "policy database order 20 {\n"
	 "    allow tcp from { 10.0.0.0/8, fd00::/8 } to port 5432\n"
	 "    egress allow tcp from port 5432 to { 10.0.0.0/8, fd00::/8 }\n"
	 "    pass tcp to port 22\n"
	 "    log udp to port { 53, 5353 }\n"
	 "    allow udp from not 10.0.0.0/8 to port 8000-8999; deny sctp\n"
	 "}\n",
	 ""},
	/* any action shadows, a log rule is "never reached", directions are
	 * separate, a log rule shadows nothing */
	{"policy a {\n"
	 "    deny tcp\n"
	 "    allow tcp to port 80\n"
	 "    log tcp from port 1\n"
	 "    egress allow tcp to port 80\n"
	 "    log udp\n"
	 "    pass udp to port 53\n"
	 "    egress deny tcp to port 80\n"
	 "}\n",
	 "3:5: " SHADOWED "2:5: " NOTE("a") "4:5: warning: log rule is shadowed by an earlier rule "
					    "and is never reached\n"
					    "2:5: " NOTE("a") "8:5: " SHADOWED "5:5: " NOTE("a")},
	/* evaluation order, not source order; the earliest cover is named,
	 * across policies */
	{"policy late order 20 {\n"
	 "    deny from 10.1.0.0/16\n"
	 "}\n"
	 "policy early order 10 {\n"
	 "    allow from 10.0.0.0/8\n"
	 "    deny from 10.0.0.0/8\n"
	 "}\n"
	 "policy unordered {\n"
	 "    pass from 10.1.2.3; deny from 10.2.0.0/16\n"
	 "}\n",
	 "6:5: " SHADOWED "5:5: " NOTE("early") "2:5: " SHADOWED "5:5: " NOTE(
		 "early") "9:5: " SHADOWED "5:5: " NOTE("early") "9:25: " SHADOWED
								 "5:5: " NOTE("early")},
	/* the cover of a shadowed rule is the earliest one */
	{"policy p {\n"
	 "    deny from 10.0.0.0/8\n"
	 "    deny from 10.1.0.0/16\n"
	 "    deny from 10.1.1.0/24\n"
	 "    deny from 10.1.1.0/24\n"
	 "}\n",
	 "3:5: " SHADOWED "2:5: " NOTE("p") "4:5: " SHADOWED "2:5: " NOTE("p") "5:5: " SHADOWED
									       "2:5: " NOTE("p")},
	/* readability: none of these is shadowed */
	{"policy p {\n"
	 "    deny from 0.0.0.0/0\n"
	 "    deny icmp\n"
	 "    deny udp\n"
	 "    deny to ::/0\n"
	 "    deny from 2001:db8::1\n"
	 "    allow tcp to port 0-65535\n"
	 "    allow tcp from port 22\n"
	 "}\n",
	 ""},
	/* ... and these are */
	{"policy p {\n"
	 "    deny from { 0.0.0.0/0, ::/0 }\n"
	 "    deny tcp from port 22\n"
	 "    deny to 192.0.2.1\n"
	 "}\n"
	 "policy q {\n"
	 "    egress allow udp from port 0-65535\n"
	 "    egress allow udp to port 53\n"
	 "}\n",
	 "3:5: " SHADOWED "2:5: " NOTE("p") "4:5: " SHADOWED "2:5: " NOTE("p") "8:5: " SHADOWED
									       "7:5: " NOTE("q")},
	/* negation and sets */
	{"set nets { 10.0.0.0/8, 2001:db8::/32 }\n"
	 "policy p {\n"
	 "    allow from not @nets\n"
	 "    deny from 192.168.0.0/16\n"
	 "    deny from 10.1.0.0/16\n"
	 "    deny from { 172.16.0.0/12, fd00::/8 }\n"
	 "    deny udp from @nets to port not 53\n"
	 "    deny udp from 10.9.9.9 to port 1000-2000\n"
	 "}\n",
	 "4:5: " SHADOWED "3:5: " NOTE("p") "6:5: " SHADOWED "3:5: " NOTE("p") "8:5: " SHADOWED
									       "7:5: " NOTE("p")},
};

static void test_programs(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(programs) / sizeof(programs[0]); i++) {
		struct diag_ctx d;
		struct ir_program *p = tu_compile(&d, programs[i].src);
		char *got = diag_lines(&d);

		assert_non_null(p);
		if (strcmp(got, programs[i].diags) != 0)
			fail_msg("program %zu:\n%s\nwant:\n%s\ngot:\n%s", i, programs[i].src,
				 programs[i].diags, got);
		free(got);
		ir_free(p);
		diag_free(&d);
	}
}

/* ---------------------------------------------------------------- random rules */

static uint64_t rng = 0x2545f4914f6cdd1dull;

static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

/* Small pools, so that random rules often overlap and cover each other. */
static const char *const pool4[] = {"0.0.0.0/0",    "10.0.0.0/8",  "10.0.0.0/9",
				    "10.128.0.0/9", "10.1.0.0/16", "10.1.2.3",
				    "11.0.0.0/8",   "128.0.0.0/1", "0.0.0.0/1"};
static const char *const pool6[] = {
	"::/0",	       "2001:db8::/32", "2001:db8::/33", "2001:db8:8000::/33",
	"2001:db8::1", "fd00::/8",	"8000::/1",	 "::/1"};
static const struct ir_range port_pool[] = {{0, 65535},	    {80, 80},	 {0, 1023},  {1024, 65535},
					    {53, 53},	    {79, 81},	 {443, 443}, {0, 0},
					    {65535, 65535}, {1000, 2000}};
static const int proto_pool[] = {IR_PROTO_ANY, IR_PROTO_ANY, 6, 6, 17, 1, 58, 43, 99};

static struct prefix
	prefix_pool[sizeof(pool4) / sizeof(pool4[0]) + sizeof(pool6) / sizeof(pool6[0])];
static size_t nprefix_pool;

/* Three sets: IPv4, mixed, and a big one of /32s. */
static struct ir_set rnd_sets[3];
static struct prefix set_v4[2], set_mix[3], set_big[64];

static void setup_pools(void)
{
	nprefix_pool = 0;
	for (size_t i = 0; i < sizeof(pool4) / sizeof(pool4[0]); i++)
		prefix_pool[nprefix_pool++] = pfx(pool4[i]);
	for (size_t i = 0; i < sizeof(pool6) / sizeof(pool6[0]); i++)
		prefix_pool[nprefix_pool++] = pfx(pool6[i]);
	set_v4[0] = pfx("10.0.0.0/9");
	set_v4[1] = pfx("192.168.0.0/16");
	set_mix[0] = pfx("10.1.0.0/16");
	set_mix[1] = pfx("2001:db8::/33");
	set_mix[2] = pfx("fd00::/8");
	for (unsigned i = 0; i < 64; i++) {
		set_big[i] = pfx("10.1.0.0/32");
		set_big[i].addr[3] = (uint8_t)(i * 3);
	}
	rnd_sets[0] = (struct ir_set){.name = "v4", .prefixes = set_v4, .nprefixes = 2};
	rnd_sets[1] = (struct ir_set){.name = "mix", .prefixes = set_mix, .nprefixes = 3};
	rnd_sets[2] = (struct ir_set){.name = "big", .prefixes = set_big, .nprefixes = 64};
}

static struct ir_addr_match *rnd_addr(void)
{
	struct prefix p[3];
	uint32_t sets[2];
	size_t n = rnd(4), ns = rnd(5) == 0 ? 1 + rnd(2) : 0;

	if (n == 0 && ns == 0)
		n = 1;
	for (size_t i = 0; i < n; i++)
		p[i] = prefix_pool[rnd((unsigned)nprefix_pool)];
	for (size_t i = 0; i < ns; i++)
		sets[i] = rnd(3);
	if (ns == 2 && sets[0] == sets[1])
		ns = 1;
	return mk_addr(rnd(4) == 0, p, n, sets, ns);
}

static struct ir_port_match *rnd_ports(void)
{
	struct ir_range r[3];
	size_t n = 1 + rnd(2);

	for (size_t i = 0; i < n; i++)
		r[i] = port_pool[rnd(sizeof(port_pool) / sizeof(port_pool[0]))];
	/* keep the IR's promise: sorted, disjoint, non-adjacent */
	if (n == 2 && (r[0].lo > r[1].lo || (uint32_t)r[0].hi + 1 >= r[1].lo))
		n = 1;
	return mk_ports(rnd(4) == 0, r, n);
}

static void rnd_rule(struct ir_rule *r)
{
	memset(r, 0, sizeof(*r));
	r->families = (uint8_t)(1 + rnd(3));
	r->proto = (int16_t)proto_pool[rnd(sizeof(proto_pool) / sizeof(proto_pool[0]))];
	r->icmp_type = r->icmp_code = IR_ICMP_ANY;
	if (rnd(2))
		r->src = rnd_addr();
	if (rnd(3) == 0)
		r->dst = rnd_addr();
	if (rnd(3) == 0)
		r->sport = rnd_ports();
	if (rnd(3) == 0)
		r->dport = rnd_ports();
	if (rnd(4) == 0) {
		r->icmp_type = rnd(2) ? 8 : 0;
		if (rnd(2))
			r->icmp_code = (int16_t)rnd(2);
	}
	r->incomplete = rnd(5) == 0;
	/* Mostly keep to what sema lets through, so that most rules match
	 * something; the rest checks the nonsense is handled too. */
	if (rnd(5)) {
		if (r->incomplete) {
			/* sema: an incomplete packet has no L4 field */
			free_ports(r->sport);
			free_ports(r->dport);
			r->sport = r->dport = NULL;
			r->icmp_type = r->icmp_code = IR_ICMP_ANY;
		}
		if (r->icmp_type >= 0) {
			free_ports(r->sport);
			free_ports(r->dport);
			r->sport = r->dport = NULL;
			r->proto = (int16_t)(rnd(3) ? (rnd(2) ? 1 : 58) : IR_PROTO_ANY);
		} else if (r->sport || r->dport) {
			r->proto = (int16_t)(rnd(3) ? (rnd(2) ? 6 : 17) : IR_PROTO_ANY);
		}
	}
}

/* A rule made from r by dropping or widening some of its conditions, so
 * that it often covers r. */
static void widen_rule(struct ir_rule *e, const struct ir_rule *r)
{
	memset(e, 0, sizeof(*e));
	*e = *r;
	e->src = e->dst = NULL;
	e->sport = e->dport = NULL;
	if (rnd(3) == 0)
		e->families = FAM_ALL;
	if (rnd(3) == 0)
		e->proto = IR_PROTO_ANY;
	if (rnd(3) == 0)
		e->icmp_type = e->icmp_code = IR_ICMP_ANY;
	if (rnd(3) == 0)
		e->incomplete = !e->incomplete;
	if (r->src && rnd(3)) {
		e->src = mk_addr(r->src->negate, r->src->prefixes, r->src->nprefixes, r->src->sets,
				 r->src->nsets);
		for (size_t i = 0; i < e->src->nprefixes; i++) {
			struct prefix *p = &e->src->prefixes[i];

			if (p->len && rnd(2)) {
				p->len = (uint8_t)(p->len - 1 - rnd(p->len));
				prefix_normalize(p);
			}
		}
	}
	if (r->dst && rnd(3))
		e->dst = mk_addr(r->dst->negate, r->dst->prefixes, r->dst->nprefixes, r->dst->sets,
				 r->dst->nsets);
	if (r->sport && rnd(3))
		e->sport = mk_ports(r->sport->negate, r->sport->ranges, r->sport->nranges);
	if (r->dport && rnd(3)) {
		e->dport = mk_ports(r->dport->negate, r->dport->ranges, r->dport->nranges);
		if (!e->dport->negate && rnd(2))
			e->dport->ranges[0].lo = 0;
	}
	if (rnd(4) == 0) {
		free_addr(e->src);
		e->src = rnd_addr();
	}
}

/* ---- the oracle: the reference evaluator over every readability state
 * (family, readable fields, protocol) that pkt_parse reaches on real
 * frames, truncated at every length. */

static bool seen[3][256][256]; /* [family][has][proto, 0 when unreadable] */

/* Family 0 counts when incomplete: a frame with more VLAN tags than are
 * walked. */
static void collect(const uint8_t *frame, size_t len)
{
	for (size_t cut = 0; cut <= len; cut++) {
		struct pkt_fields f;

		pkt_parse(frame, cut, &f);
		if (f.family || f.has)
			seen[f.family][f.has][(f.has & PKT_HAS_PROTO) ? f.proto : 0] = true;
	}
}

static void collect_states(void)
{
	static uint8_t buf[2048];

	for (unsigned fam = FAM_V4; fam <= FAM_V6; fam++) {
		for (int proto = 0; proto < 256; proto++) {
			for (unsigned variant = 0; variant < 12; variant++) {
				struct flow fl;
				size_t len;

				flow_init(&fl);
				fl.family = (uint8_t)fam;
				fl.proto = proto;
				fl.sport = fl.dport = 1;
				fl.icmp_type = fl.icmp_code = 1;
				fl.nonfirst_fragment = variant % 3 == 1;
				fl.first_fragment = variant % 3 == 2;
				if (fam == FAM_V4)
					fl.ip_options_len = (variant / 3) % 2 ? 4 : 0;
				else
					fl.ext_headers = (unsigned[]){0, 1, 2, 9}[variant / 3];
				len = pktbuild_frame(&fl, buf, sizeof(buf));
				if (!len)
					continue;
				collect(buf, len);
				if (fam == FAM_V4 && variant == 0) {
					buf[14] = (uint8_t)((buf[14] & 0xf0) | 4); /* IHL 4 */
					collect(buf, len);
				}
			}
		}
	}
	/* Three VLAN tags. */
	struct flow fl;
	size_t len;

	flow_init(&fl);
	fl.nvlan = 3;
	fl.vlan_tpid[0] = fl.vlan_tpid[1] = fl.vlan_tpid[2] = 0x8100;
	len = pktbuild_frame(&fl, buf, sizeof(buf));
	assert_true(len > 0);
	collect(buf, len);
}

/* Values worth trying in a field: one in every cell that the conditions'
 * boundaries cut the field into. */
#define MAX_POINTS 160

struct points {
	uint64_t hi[MAX_POINTS], lo[MAX_POINTS]; /* 128-bit values as two halves */
	size_t n;
};

static void add_point(struct points *pt, unsigned __int128 v)
{
	for (size_t i = 0; i < pt->n; i++)
		if (pt->hi[i] == (uint64_t)(v >> 64) && pt->lo[i] == (uint64_t)v)
			return;
	assert_true(pt->n < MAX_POINTS);
	pt->hi[pt->n] = (uint64_t)(v >> 64);
	pt->lo[pt->n++] = (uint64_t)v;
}

static void add_prefix_points(struct points *pt, const struct prefix *p, size_t n, uint8_t fam)
{
	unsigned width = family_width(fam);

	for (size_t i = 0; i < n; i++) {
		unsigned __int128 lo = 0, size;

		if (p[i].family != fam)
			continue;
		for (unsigned b = 0; b < width / 8; b++)
			lo = lo << 8 | p[i].addr[b];
		add_point(pt, lo);
		if (p[i].len == 0)
			continue;
		size = (unsigned __int128)1 << (width - p[i].len);
		if (width == 128 || lo + size <= ((unsigned __int128)1 << width) - 1)
			if (lo + size != 0)
				add_point(pt, lo + size);
	}
}

static void addr_points(const struct ir_program *p, const struct ir_addr_match *m, uint8_t fam,
			struct points *pt)
{
	if (!m)
		return;
	add_prefix_points(pt, m->prefixes, m->nprefixes, fam);
	for (size_t i = 0; i < m->nsets; i++)
		add_prefix_points(pt, p->sets[m->sets[i]].prefixes, p->sets[m->sets[i]].nprefixes,
				  fam);
}

static void port_points(const struct ir_port_match *m, struct points *pt)
{
	for (size_t i = 0; m && i < m->nranges; i++) {
		add_point(pt, m->ranges[i].lo);
		if (m->ranges[i].hi < 65535)
			add_point(pt, m->ranges[i].hi + 1);
	}
}

static void to_addr(const struct points *pt, size_t i, uint8_t fam, uint8_t out[16])
{
	unsigned __int128 v = (unsigned __int128)pt->hi[i] << 64 | pt->lo[i];
	unsigned bytes = family_width(fam) / 8;

	memset(out, 0, 16);
	for (unsigned b = bytes; b-- > 0; v >>= 8)
		out[b] = (uint8_t)v;
}

enum { X_SRC, X_DST, X_SPORT, X_DPORT, X_TYPE, X_CODE, X_N };

/* Try every combination of the points from field k on: false when some
 * packet matches r but not e. */
static bool try_values(const struct ir_program *p, const struct ir_rule *e, const struct ir_rule *r,
		       struct pkt_fields *f, const struct points pt[X_N], unsigned k)
{
	if (k == X_N)
		return !eval_rule_matches(p, r, f) || eval_rule_matches(p, e, f);
	for (size_t i = 0; i < pt[k].n; i++) {
		switch (k) {
		case X_SRC:
			to_addr(&pt[k], i, f->family, f->src);
			break;
		case X_DST:
			to_addr(&pt[k], i, f->family, f->dst);
			break;
		case X_SPORT:
			f->sport = (uint16_t)pt[k].lo[i];
			break;
		case X_DPORT:
			f->dport = (uint16_t)pt[k].lo[i];
			break;
		case X_TYPE:
			f->icmp_type = (uint8_t)pt[k].lo[i];
			break;
		case X_CODE:
			f->icmp_code = (uint8_t)pt[k].lo[i];
			break;
		}
		if (!try_values(p, e, r, f, pt, k + 1))
			return false;
	}
	return true;
}

/* Does every packet r matches also match e? By enumeration. */
static bool oracle_covers(const struct ir_program *p, const struct ir_rule *e,
			  const struct ir_rule *r)
{
	const struct ir_rule *both[2] = {e, r};
	/* The frame of no family: no field to vary. */
	const struct pkt_fields deep = {.family = 0, .has = PKT_HAS_INCOMPLETE};

	assert_true(seen[0][PKT_HAS_INCOMPLETE][0]);
	if (eval_rule_matches(p, r, &deep) && !eval_rule_matches(p, e, &deep))
		return false;
	for (uint8_t fam = FAM_V4; fam <= FAM_V6; fam++) {
		struct points pt[X_N];

		for (unsigned k = 0; k < X_N; k++) {
			pt[k].n = 0;
			add_point(&pt[k], 0);
		}
		for (int k = 0; k < 2; k++) {
			addr_points(p, both[k]->src, fam, &pt[X_SRC]);
			addr_points(p, both[k]->dst, fam, &pt[X_DST]);
			port_points(both[k]->sport, &pt[X_SPORT]);
			port_points(both[k]->dport, &pt[X_DPORT]);
			if (both[k]->icmp_type >= 0)
				add_point(&pt[X_TYPE], (unsigned)both[k]->icmp_type);
			if (both[k]->icmp_code >= 0)
				add_point(&pt[X_CODE], (unsigned)both[k]->icmp_code);
		}
		for (unsigned has = 0; has < 256; has++) {
			/* The protocols either rule names, and one other:
			 * all others behave alike. */
			bool other_done = false;

			for (int proto = 0; proto < 256; proto++) {
				struct pkt_fields f = {.family = fam, .has = (uint8_t)has};

				if (!seen[fam][has][proto])
					continue;
				if (proto != e->proto && proto != r->proto) {
					if (other_done)
						continue;
					other_done = true;
				}
				f.proto = (uint8_t)proto;
				if (!try_values(p, e, r, &f, pt, 0))
					return false;
			}
		}
	}
	return true;
}

static void test_oracle_states(void **state)
{
	unsigned n = 0;

	(void)state;
	/* A tripwire: the reference parser reaches exactly the states listed
	 * in shadow.c's table, with the protocols of each state's universe.
	 * If pkt.c changes what a frame can read, this count moves and the
	 * table must be revisited (test_random_pairs then says where). */
	for (unsigned fam = 0; fam <= FAM_V6; fam++)
		for (unsigned has = 0; has < 256; has++)
			for (unsigned proto = 0; proto < 256; proto++)
				n += seen[fam][has][proto];
	/* IPv4: 1 + 4 * 256 (three of them incomplete) + 2 * 3 + 2 * 1; IPv6:
	 * 1 + 2 * 251 + 2 * 1 (no protocol) + 2 * 256 (complete and not) +
	 * 2 * 3 + 2 * 1; and the deep VLAN frame. */
	assert_int_equal(n, (1 + 4 * 256 + 6 + 2) + (1 + 2 * 251 + 2 + 2 * 256 + 6 + 2) + 1);
}

static void test_random_pairs(void **state)
{
	struct ir_program p = {.file = "t", .sets = rnd_sets, .nsets = 3};
	unsigned yes = 0, no = 0;

	(void)state;
	for (int iter = 0; iter < 4000; iter++) {
		struct ir_rule e, r;

		rnd_rule(&r);
		if (iter % 2)
			widen_rule(&e, &r);
		else
			rnd_rule(&e);
		bool want = oracle_covers(&p, &e, &r), got = shadow_rule_covers(&p, &e, &r);
		if (want != got) {
			char *et = ir_rule_format(&p, &e), *rt = ir_rule_format(&p, &r);
			fail_msg("iteration %d: e = [fam %u] %s, r = [fam %u] %s: want %d got %d",
				 iter, e.families, et, r.families, rt, want, got);
		}
		want ? yes++ : no++;
		free_rule(&e);
		free_rule(&r);
	}
	/* Both answers must be well represented for the test to mean much. */
	assert_true(yes > 600 && no > 600);
}

/* ---------------------------------------------------------------- shadow_check's index */

static void free_program_rules(struct ir_program *p)
{
	for (size_t i = 0; i < p->nrules; i++)
		free_rule(&p->rules[i]);
	free(p->rules);
}

/* What shadow_check must say, by brute force over shadow_rule_covers. */
static char *brute_force(const struct ir_program *p)
{
	struct ir_rule never = bare(FAM_V4, IR_PROTO_ANY);
	struct prefix all4 = pfx("0.0.0.0/0");
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	never.src = mk_addr(true, &all4, 1, NULL, 0); /* matches nothing */
	for (size_t i = 0; i < p->nrules; i++) {
		const struct ir_rule *r = &p->rules[i];

		if (shadow_rule_covers(p, &never, r))
			continue; /* matches nothing: not reported */
		for (size_t j = 0; j < i; j++) {
			const struct ir_rule *e = &p->rules[j];

			if (e->dir != r->dir || e->action == ACT_LOG ||
			    !shadow_rule_covers(p, e, r))
				continue;
			fprintf(f, "%d: warning\n%d: note\n", r->loc.first_line, e->loc.first_line);
			break;
		}
	}
	fclose(f);
	free_rule(&never);
	return buf;
}

static char *checked(const struct ir_program *p)
{
	struct diag_ctx d;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	diag_init(&d, "t", "", 0);
	shadow_check(p, &d);
	for (size_t i = 0; i < d.n; i++)
		fprintf(f, "%d: %s\n", d.items[i].loc.first_line,
			d.items[i].severity == DIAG_WARNING ? "warning" : "note");
	fclose(f);
	diag_free(&d);
	return buf;
}

/* iters random programs of min_rules + rnd(span) rules, each rule drawn by
 * fill (given its index), checked against the brute force. One rule in
 * egress_one_in is egress. */
static void check_random_programs(int iters, size_t min_rules, unsigned span,
				  unsigned egress_one_in,
				  void (*fill)(struct ir_program *p, size_t i))
{
	struct ir_policy pol = {.name = "p"};

	for (int iter = 0; iter < iters; iter++) {
		struct ir_program p = {.file = "t", .sets = rnd_sets, .nsets = 3};
		size_t n = min_rules + rnd(span);

		p.policies = &pol;
		p.npolicies = 1;
		p.rules = calloc(n, sizeof(*p.rules));
		p.nrules = n;
		for (size_t i = 0; i < n; i++) {
			struct ir_rule *r = &p.rules[i];

			fill(&p, i);
			r->id = (uint32_t)i;
			r->dir = rnd(egress_one_in) ? DIR_INGRESS : DIR_EGRESS;
			r->action = (enum rule_action)rnd(4);
			r->loc.first_line = (int)i + 1;
		}
		char *want = brute_force(&p), *got = checked(&p);
		if (strcmp(want, got) != 0)
			fail_msg("iteration %d: want\n%s\ngot\n%s", iter, want, got);
		free(want);
		free(got);
		free_program_rules(&p);
	}
}

static void fill_random(struct ir_program *p, size_t i)
{
	if (i && rnd(3) == 0)
		widen_rule(&p->rules[i], &p->rules[rnd((unsigned)i)]);
	else
		rnd_rule(&p->rules[i]);
}

static void test_index_random(void **state)
{
	(void)state;
	check_random_programs(150, 20, 150, 5, fill_random);
}

/* Rules that share a few sources and differ in ports and destinations:
 * the lists keyed on the source alone fill up, and later rules are keyed
 * on all their fields. */
static void fill_crowded(struct ir_program *p, size_t i)
{
	static const char *const srcs[] = {"10.1.2.3", "10.0.0.0/8", "2001:db8::1"};
	static const char *const dsts[] = {"192.0.2.1", "192.0.2.0/24", "2001:db8::2"};
	struct ir_rule *r = &p->rules[i];

	if (i && rnd(12) == 0) {
		widen_rule(r, &p->rules[rnd((unsigned)i)]);
		return;
	}
	struct prefix a = pfx(srcs[rnd(3)]), b = pfx(dsts[rnd(3)]);
	uint16_t lo = (uint16_t)(1000 + rnd(256));
	struct ir_range ports = {lo, (uint16_t)(lo + (rnd(3) ? 0 : rnd(8)))};

	*r = bare(FAM_ALL, rnd(8) ? 17 : 6);
	r->src = mk_addr(rnd(16) == 0, &a, 1, NULL, 0);
	if (rnd(6) == 0)
		r->dst = mk_addr(false, &b, 1, NULL, 0);
	r->dport = mk_ports(rnd(32) == 0, &ports, 1);
	if (rnd(8) == 0)
		r->sport = mk_ports(false, &ports, 1);
}

static void test_index_crowded_random(void **state)
{
	(void)state;
	check_random_programs(40, 100, 200, 10, fill_crowded);
}

/* A program of n rules for the scale tests, every rule "deny" unless the
 * builder says otherwise. */
static void scale_program(struct ir_program *p, struct ir_policy *pol, size_t n)
{
	memset(p, 0, sizeof(*p));
	p->file = "t";
	p->policies = pol;
	p->npolicies = 1;
	p->rules = calloc(n, sizeof(*p->rules));
	p->nrules = n;
	for (size_t i = 0; i < n; i++) {
		p->rules[i] = bare(FAM_V4, IR_PROTO_ANY);
		p->rules[i].id = (uint32_t)i;
		p->rules[i].action = ACT_DENY;
		p->rules[i].loc.first_line = (int)i + 1;
	}
}

static struct prefix host4(unsigned b, unsigned c, unsigned d)
{
	struct prefix x = pfx("10.0.0.0/32");

	x.addr[1] = (uint8_t)b;
	x.addr[2] = (uint8_t)c;
	x.addr[3] = (uint8_t)d;
	return x;
}

/* "W: E\n" for every warning at rule W with its note at rule E. */
static char *pairs_text(const struct diag_ctx *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	for (size_t i = 0; i + 1 < d->n; i += 2)
		fprintf(f, "%d: %d\n", d->items[i].loc.first_line, d->items[i + 1].loc.first_line);
	fclose(f);
	return buf;
}

static char *check_pairs(const struct ir_program *p)
{
	struct diag_ctx d;
	char *out;

	diag_init(&d, "t", "", 0);
	shadow_check(p, &d);
	assert_int_equal(d.n % 2, 0);
	out = pairs_text(&d);
	diag_free(&d);
	return out;
}

static void assert_same(char *got, char *want)
{
	if (strcmp(got, want) != 0) {
		size_t i = 0;

		while (got[i] == want[i])
			i++;
		while (i > 0 && got[i - 1] != '\n')
			i--;
		fail_msg("first difference: got \"%.40s\", want \"%.40s\"", got + i, want + i);
	}
	free(got);
	free(want);
}

/* Large programs of the shapes the index must stay fast on, with the
 * warnings each must give. */
static void test_index_scale(void **state)
{
	struct ir_policy pol = {.name = "p"};
	struct ir_program p;
	const size_t n = 20000;
	char *got, *want;
	size_t len = 0;
	FILE *f;

	(void)state;
	/* distinct hosts, each then repeated: the repeat is shadowed */
	scale_program(&p, &pol, n);
	for (size_t i = 0; i < n; i++) {
		struct prefix h = host4((unsigned)(i / 2) >> 8, (unsigned)(i / 2) & 0xff, 1);

		p.rules[i].src = mk_addr(false, &h, 1, NULL, 0);
	}
	got = check_pairs(&p);
	f = open_memstream(&want, &len);
	for (size_t i = 1; i < n; i += 2)
		fprintf(f, "%zu: %zu\n", i + 1, i);
	fclose(f);
	assert_same(got, want);
	free_program_rules(&p);

	/* rules listing 20 hosts each (more blocks than a rule files by
	 * right), each followed by one of its hosts on a port */
	scale_program(&p, &pol, n);
	for (size_t i = 0; i < n; i += 2) {
		struct prefix h[20];
		const struct ir_range r = {80, 80};

		for (unsigned k = 0; k < 20; k++)
			h[k] = host4((unsigned)(i / 2) >> 8, (unsigned)(i / 2) & 0xff, 10 * k + 1);
		p.rules[i].src = mk_addr(false, h, 20, NULL, 0);
		p.rules[i + 1].src = mk_addr(false, &h[7], 1, NULL, 0);
		p.rules[i + 1].proto = IPPROTO_NUM_TCP;
		p.rules[i + 1].dport = mk_ports(false, &r, 1);
	}
	got = check_pairs(&p);
	f = open_memstream(&want, &len);
	for (size_t i = 0; i < n; i += 2)
		fprintf(f, "%zu: %zu\n", i + 2, i + 1);
	fclose(f);
	assert_same(got, want);
	free_program_rules(&p);

	/* negated hosts: none shadows another, then a repeat of the first */
	scale_program(&p, &pol, n);
	for (size_t i = 0; i < n; i++) {
		struct prefix h =
			host4((unsigned)(i % (n - 1)) >> 8, (unsigned)(i % (n - 1)) & 0xff, 1);

		p.rules[i].src = mk_addr(true, &h, 1, NULL, 0);
	}
	got = check_pairs(&p);
	assert_string_equal(got, "20000: 1\n");
	free(got);
	free_program_rules(&p);
}

/* Negations that exclude many blocks, and rules that name many: keyed
 * coarsely or not at all, still found. */
static void test_index_wide(void **state)
{
	struct ir_policy pol = {.name = "p"};
	struct ir_program p;
	struct prefix h[25];
	const struct ir_range r[20] = {{1, 1},	 {3, 3},   {5, 5},   {7, 7},   {9, 9},
				       {11, 11}, {13, 13}, {15, 15}, {17, 17}, {19, 19},
				       {21, 21}, {23, 23}, {25, 25}, {27, 27}, {29, 29},
				       {31, 31}, {33, 33}, {35, 35}, {37, 37}, {39, 39}};

	(void)state;
	for (unsigned k = 0; k < 25; k++)
		h[k] = host4(0, k, 2 * k + 1);
	scale_program(&p, &pol, 8);
	p.rules[0].src = mk_addr(true, h, 20, NULL, 0); /* excludes 20 hosts */
	p.rules[1].src = mk_addr(false, &h[22], 1, NULL, 0);
	p.rules[2].src = mk_addr(true, h, 25, NULL, 0);
	p.rules[3].src = mk_addr(false, &h[3], 1, NULL, 0);
	p.rules[4].src = mk_addr(false, h, 25, NULL, 0); /* names 25 hosts */
	p.rules[5].src = mk_addr(false, &h[3], 1, NULL, 0);
	p.rules[6].proto = IPPROTO_NUM_UDP; /* excludes 20 ports */
	p.rules[6].dport = mk_ports(true, r, 20);
	p.rules[7].proto = IPPROTO_NUM_UDP;
	p.rules[7].dport = mk_ports(false, &r[1], 1);
	char *want = brute_force(&p), *got = checked(&p);

	assert_string_equal(want, "2: warning\n1: note\n3: warning\n1: note\n"
				  "6: warning\n4: note\n");
	assert_string_equal(got, want);
	free(want);
	free(got);
	free_program_rules(&p);
}

/* Forty rules on one source and forty ports: the first few are keyed on
 * the source alone, the rest (the source's list being full) on source and
 * port too. Covers are found on either kind of list, the earliest first. */
static void test_index_crowded(void **state)
{
	struct ir_policy pol = {.name = "p"};
	struct ir_program p;
	const size_t n = 46;
	struct prefix host = pfx("10.0.0.1"), net = pfx("10.0.0.0/8");
	const struct ir_range seven = {7, 7}, wide = {2000, 3000}, all = {0, 65535};

	(void)state;
	scale_program(&p, &pol, n);
	for (size_t i = 0; i < n; i++) {
		struct ir_rule *r = &p.rules[i];
		struct ir_range one = {(uint16_t)(1000 + i), (uint16_t)(1000 + i)};

		r->proto = IPPROTO_NUM_UDP;
		r->src = mk_addr(false, i == 42 ? &net : &host, 1, NULL, 0);
		if (i < 40)
			r->dport = mk_ports(false, &one, 1);
	}
	/* 41: shadowed by 4, keyed on the source alone */
	p.rules[40].sport = mk_ports(false, &seven, 1);
	p.rules[40].dport = mk_ports(false, &(struct ir_range){1003, 1003}, 1);
	/* 42: shadowed by 31, keyed on both */
	p.rules[41].sport = mk_ports(false, &seven, 1);
	p.rules[41].dport = mk_ports(false, &(struct ir_range){1030, 1030}, 1);
	/* 43: a wide range from 10.0.0.0/8, keyed on its own source block */
	p.rules[42].dport = mk_ports(false, &wide, 1);
	/* 44: shadowed by 43 */
	p.rules[43].dport = mk_ports(false, &(struct ir_range){2500, 2500}, 1);
	/* 45: every port from the host, shadows nothing before it */
	p.rules[44].dport = mk_ports(false, &all, 1);
	/* 46: no port condition, after 45 that needs a readable port */
	char *want = brute_force(&p), *got = checked(&p);

	assert_string_equal(want, "41: warning\n4: note\n42: warning\n31: note\n"
				  "44: warning\n43: note\n");
	assert_string_equal(got, want);
	free(want);
	free(got);
	free_program_rules(&p);
}

/* Past IX_BUDGET candidates in rule order, the index settles for a cover
 * near the head of each remaining candidate list. Here 2,000 rules match
 * the witness of each later rule without covering it (each leaves out one
 * of its ports), so every later rule exhausts the budget; the cover is on
 * another list and is still found. */
static void test_index_budget(void **state)
{
	struct ir_policy pol = {.name = "p"};
	struct ir_program p;
	const size_t n = 2100;
	struct prefix host = pfx("10.0.0.0"), net = pfx("10.0.0.0/8");
	const struct ir_range some = {0, 1999};
	char *want;
	size_t len = 0;
	FILE *f;

	(void)state;
	scale_program(&p, &pol, n);
	for (size_t i = 0; i < n; i++) {
		struct ir_range one = {(uint16_t)i, (uint16_t)i};

		p.rules[i].proto = IPPROTO_NUM_UDP;
		if (i < 2000) {
			p.rules[i].src = mk_addr(false, &host, 1, NULL, 0);
			p.rules[i].dport = mk_ports(true, &one, 1);
		} else if (i == 2000) {
			p.rules[i].src = mk_addr(false, &net, 1, NULL, 0);
		} else {
			p.rules[i].src = mk_addr(false, &host, 1, NULL, 0);
			p.rules[i].dport = mk_ports(false, &some, 1);
		}
	}
	f = open_memstream(&want, &len);
	for (size_t i = 2001; i < n; i++)
		fprintf(f, "%zu: 2001\n", i + 1);
	fclose(f);
	assert_same(check_pairs(&p), want);
	free_program_rules(&p);

	/* The same list would hold the cover here, past the budget, if the
	 * witness were the smallest value r accepts; another value of r leads
	 * to it at once. */
	scale_program(&p, &pol, n);
	for (size_t i = 0; i < n; i++) {
		struct prefix two[2] = {host, pfx("192.168.0.0/16")};

		if (i < 2000)
			two[1] = host4(1 + (unsigned)(i >> 8), (unsigned)(i & 0xff), 1);
		else if (i > 2000)
			two[1].len = 32;
		two[1].addr[3] = (uint8_t)(i > 2000 ? i : two[1].addr[3]);
		p.rules[i].src = mk_addr(false, two, 2, NULL, 0);
	}
	f = open_memstream(&want, &len);
	for (size_t i = 2001; i < n; i++)
		fprintf(f, "%zu: 2001\n", i + 1);
	fclose(f);
	assert_same(check_pairs(&p), want);
	free_program_rules(&p);
}

static int setup(void **state)
{
	(void)state;
	setup_pools();
	collect_states();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pairs),
		cmocka_unit_test(test_ir_pairs),
		cmocka_unit_test(test_programs),
		cmocka_unit_test(test_oracle_states),
		cmocka_unit_test(test_random_pairs),
		cmocka_unit_test(test_index_random),
		cmocka_unit_test(test_index_wide),
		cmocka_unit_test(test_index_scale),
		cmocka_unit_test(test_index_budget),
		cmocka_unit_test(test_index_crowded),
		cmocka_unit_test(test_index_crowded_random),
	};

	if (getenv("TEST_FILTER"))
		cmocka_set_test_filter(getenv("TEST_FILTER"));
	return cmocka_run_group_tests(tests, setup, NULL);
}
