/* The canonical text's promise (ir.h: "itself valid policy text that means
 * the same rule"): every rule's text, parsed again, gives the same rule and
 * the same text. Checked on every policy in testdata/ and on random rules from a
 * seeded generator that writes addresses and ports in forms the canonical
 * text never uses; the tables of tests/lang check their own lines. And the
 * check itself: it must notice a rule that comes back different. */
#include "testutil.h"

#include <arpa/inet.h>
#include <glob.h>

#include "front/read_file.h"
#include "objfmt/addr.h"
#include "roundtrip.h"

/* make unit runs the tests from the top of the tree */
static void test_testdata(void **state)
{
	(void)state;
	glob_t g;
	size_t rules = 0;

	assert_int_equal(glob("testdata/*.utp", 0, NULL, &g), 0);
	assert_true(g.gl_pathc >= 5);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		char *src = NULL, why[512] = "";
		size_t len = 0;
		const char *rwhy = NULL;
		struct diag_ctx d;

		assert_int_equal(read_source_file(g.gl_pathv[i], &src, &len, &rwhy), 0);
		diag_init(&d, g.gl_pathv[i], src, len);
		struct ir_program *ir = policy_lower(&d);
		assert_non_null(ir);
		if (roundtrip_check(ir, why, sizeof(why)) != 0)
			fail_msg("%s: %s", g.gl_pathv[i], why);
		rules += ir->nrules;
		ir_free(ir);
		diag_free(&d);
		free(src);
	}
	assert_true(rules >= 50);
	globfree(&g);
}

/* ---------------------------------------------------------------- random rules */

static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

struct buf {
	char s[4096];
	size_t n;
};

__attribute__((format(printf, 2, 3))) static void put(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int k = vsnprintf(b->s + b->n, sizeof(b->s) - b->n, fmt, ap);
	va_end(ap);
	assert_true(k >= 0 && (size_t)k < sizeof(b->s) - b->n);
	b->n += (size_t)k;
}

/* An address in one of the text forms the language accepts: host bits,
 * missing or full-width lengths, IPv6 uncompressed, upper case, with an
 * embedded IPv4 address. */
static void put_prefix(struct buf *b, int family)
{
	uint8_t a[16] = {0};
	char host[INET6_ADDRSTRLEN];

	if (family == 4 || (family == 0 && rnd(2))) {
		uint32_t len = rnd(4) ? rnd(33) : 32;
		for (int i = 0; i < 4; i++)
			a[i] = (uint8_t)rnd(256);
		put(b, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
		if (len < 32 || rnd(2))
			put(b, "/%u", len);
		return;
	}
	uint32_t len = rnd(4) ? rnd(129) : 128;
	switch (rnd(4)) {
	case 0: /* a few non-zero words: '::' somewhere */
		for (int i = 0; i < 16; i += 2)
			if (rnd(3) == 0)
				a[i + 1] = (uint8_t)rnd(256);
		break;
	case 1: /* IPv4-mapped */
		a[10] = a[11] = 0xff;
		for (int i = 12; i < 16; i++)
			a[i] = (uint8_t)rnd(256);
		break;
	default:
		for (int i = 0; i < 16; i++)
			a[i] = (uint8_t)rnd(256);
	}
	if (rnd(2)) {
		inet_ntop(AF_INET6, a, host, sizeof(host));
		put(b, "%s", host);
	} else {
		for (int i = 0; i < 16; i += 2)
			put(b, rnd(2) ? "%s%04X" : "%s%x", i ? ":" : "", a[i] << 8 | a[i + 1]);
	}
	if (len < 128 || rnd(2))
		put(b, "/%u", len);
}

static const char *const set_names[] = {"v4", "v6", "mix", "zz-last.set"};

static void put_addrs(struct buf *b)
{
	uint32_t n = 1 + rnd(4);
	bool braced = n > 1 || rnd(4) == 0;

	if (rnd(5) == 0) {
		put(b, " any");
		return;
	}
	put(b, "%s%s", rnd(3) == 0 ? " not" : "", braced ? " {" : "");
	for (uint32_t i = 0; i < n; i++) {
		put(b, "%s ", i ? "," : "");
		if (rnd(3) == 0)
			put(b, "@%s", set_names[rnd(4)]);
		else
			put_prefix(b, 0);
	}
	if (braced)
		put(b, " }");
}

static void put_ports(struct buf *b)
{
	uint32_t n = 1 + rnd(4);

	put(b, " port%s", rnd(4) == 0 ? " not" : "");
	if (n > 1)
		put(b, " {");
	for (uint32_t i = 0; i < n; i++) {
		/* small ports so that lists overlap and touch */
		uint32_t lo = rnd(8) == 0 ? 65535 - rnd(3) : rnd(40);
		put(b, "%s %u", i ? "," : "", lo);
		if (rnd(2))
			put(b, "-%u", lo + rnd(65536 - lo));
	}
	if (n > 1)
		put(b, rnd(3) ? " }" : ", }");
}

/* A rule the grammar takes; sema may still reject it (families that
 * exclude each other, 'port not' every port): those are skipped. */
static void gen_rule(struct buf *b)
{
	static const char *const dirs[] = {"", "ingress ", "egress "};
	static const char *const actions[] = {"allow", "deny", "pass", "log"};
	static const char *const protos[] = {"",	   " tcp",     " udp",	   " sctp",
					     " icmp",	   " icmpv6",  " proto 6", " proto 17",
					     " proto 132", " proto 1", " proto 58"};
	uint32_t p = rnd(12);
	bool ports, icmp;

	b->n = 0;
	b->s[0] = '\0';
	put(b, "%s%s", dirs[rnd(3)], actions[rnd(4)]);
	if (p < 11) {
		put(b, "%s", protos[p]);
	} else {
		p = rnd(256);
		put(b, " proto %u", p);
		p = p == 6 ? 1 : p == 1 ? 4 : 0; /* as named, for what follows */
	}
	ports = (p >= 1 && p <= 3) || (p >= 6 && p <= 8);
	icmp = p == 4 || p == 5 || p == 9 || p == 10;
	for (int side = 0; side < 2; side++) {
		bool addrs = rnd(2), with_ports = ports && rnd(2);
		if (!addrs && !with_ports)
			continue;
		put(b, side ? " to" : " from");
		if (addrs)
			put_addrs(b);
		if (with_ports)
			put_ports(b);
	}
	if (icmp && rnd(2)) {
		put(b, " type %u", rnd(256));
		if (rnd(2))
			put(b, " code %u", rnd(256));
	}
}

static const char SETS[] = "set v4 { 10.0.0.0/8, 192.0.2.1 }\n"
			   "set v6 { 2001:db8::/32 }\n"
			   "set mix { 10.1.0.0/16, fd00::/8 }\n"
			   "set zz-last.set { 0.0.0.0/0, ::/0 }\n";

/* The rule alone, with the sets: its program, or NULL if sema rejects it. */
static struct ir_program *compile_rule(const char *rule, struct diag_ctx *d, char *src, size_t size)
{
	snprintf(src, size, "%spolicy p {\n%s\n}\n", SETS, rule);
	diag_init(d, "random.utp", src, strlen(src));
	return policy_lower(d);
}

static void test_random_rules(void **state)
{
	(void)state;
	enum { RULES = 3000 };
	static char file[RULES * 256];
	size_t flen = 0, kept = 0;
	struct buf b;
	char src[8192], why[512];

	flen += (size_t)snprintf(file, sizeof(file), "%spolicy p {\n", SETS);
	for (int i = 0; i < RULES; i++) {
		struct diag_ctx d;

		gen_rule(&b);
		struct ir_program *ir = compile_rule(b.s, &d, src, sizeof(src));
		if (ir) {
			if (roundtrip_check(ir, why, sizeof(why)) != 0)
				fail_msg("rule %d '%s': %s", i, b.s, why);
			kept++;
			if (flen + b.n + 2 < sizeof(file))
				flen += (size_t)snprintf(file + flen, sizeof(file) - flen, "%s\n",
							 b.s);
		} else if (d.errors == 0) {
			fail_msg("rule %d '%s' rejected without an error", i, b.s);
		} else {
			/* a rejection the generator may produce, nothing else */
			const char *m = d.items[d.n - 1].message;
			if (strncmp(m, "rule can never match", 20) != 0 &&
			    strncmp(m, "'port not' excludes", 19) != 0)
				fail_msg("rule %d '%s': %s", i, b.s, m);
		}
		ir_free(ir);
		diag_free(&d);
	}
	/* most random rules are valid, or the test says little */
	assert_true(kept > RULES * 6 / 10);

	/* and all of them together, in one program */
	flen += (size_t)snprintf(file + flen, sizeof(file) - flen, "}\n");
	struct diag_ctx d;
	diag_init(&d, "random.utp", file, flen);
	struct ir_program *ir = policy_lower(&d);
	assert_non_null(ir);
	assert_int_equal(ir->nrules, kept);
	if (roundtrip_check(ir, why, sizeof(why)) != 0)
		fail_msg("the whole program: %s", why);
	ir_free(ir);
	diag_free(&d);
}

/* ---------------------------------------------------------------- the check */

static struct ir_program *two_rules(struct diag_ctx *d, const char *a, const char *b)
{
	static char src[512];

	snprintf(src, sizeof(src), "set s { 10.0.0.0/8 }\nset t { ::/0 }\npolicy p {\n%s\n%s\n}\n",
		 a, b);
	diag_init(d, "t.utp", src, strlen(src));
	return policy_lower(d);
}

/* Pairs that differ in one field each: the comparison names it. */
static void test_rule_cmp_names_the_field(void **state)
{
	(void)state;
	static const struct {
		const char *a, *b, *why;
	} cases[] = {
		{"deny", "egress deny", "direction differs"},
		{"deny", "allow", "action differs"},
		{"deny from 10.0.0.1", "deny from ::1", "families differ (1, 2)"},
		{"deny tcp", "deny udp", "protocol differs (6, 17)"},
		{"deny from 10.0.0.1", "deny from 10.0.0.2", "source addresses differ"},
		{"deny from 10.0.0.1", "deny from not 10.0.0.1", "source addresses differ"},
		{"deny from @s", "deny from { @s, 10.0.0.1 }", "source addresses differ"},
		{"deny from @t", "deny from { @t, ::1 }", "source addresses differ"},
		{"deny to { 10.0.0.1, ::1 }", "deny", "destination addresses differ"},
		{"deny tcp from port 1", "deny tcp from port 1-2", "source ports differ"},
		{"deny tcp to port 1", "deny tcp to port not 1", "destination ports differ"},
		{"deny tcp to port { 1, 3 }", "deny tcp to port 1", "destination ports differ"},
		{"deny icmp type 1", "deny icmp type 2", "ICMP type or code differs"},
		{"deny icmp type 1", "deny icmp type 1 code 0", "ICMP type or code differs"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct diag_ctx d;
		char why[128] = "";
		struct ir_program *ir = two_rules(&d, cases[i].a, cases[i].b);

		assert_non_null(ir);
		assert_int_equal(roundtrip_rule_cmp(&ir->rules[0], &ir->rules[1], why, sizeof(why)),
				 -1);
		assert_string_equal(why, cases[i].why);
		assert_int_equal(roundtrip_rule_cmp(&ir->rules[0], &ir->rules[0], why, sizeof(why)),
				 0);
		ir_free(ir);
		diag_free(&d);
	}
}

/* A text that means another rule, prints differently, or does not parse:
 * each caught, with the rule named. */
static void test_check_catches_a_wrong_text(void **state)
{
	(void)state;
	struct diag_ctx d;
	char why[512];
	struct ir_program *ir = two_rules(&d, "deny tcp", "allow from @s");

	assert_non_null(ir);
	assert_int_equal(roundtrip_check(ir, why, sizeof(why)), 0);

	char *keep = ir->rules[1].text;
	ir->rules[1].text = (char *)"allow from @t";
	assert_int_equal(roundtrip_check(ir, why, sizeof(why)), -1);
	assert_string_equal(why, "'allow from @t' re-parsed: families differ (1, 2)");

	ir->rules[1].text = (char *)"allow from { @s }";
	assert_int_equal(roundtrip_check(ir, why, sizeof(why)), -1);
	assert_string_equal(why, "'allow from { @s }' re-parsed prints as 'allow from @s'");

	ir->rules[1].text = (char *)"allow from";
	assert_int_equal(roundtrip_check(ir, why, sizeof(why)), -1);
	assert_string_equal(why, "the canonical text does not compile: roundtrip.utp:5:11: error: "
				 "syntax error: unexpected end of line, expected set reference, "
				 "address, 'port', 'not', 'any' or '{'");
	ir->rules[1].text = keep;
	ir_free(ir);
	diag_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_testdata),
		cmocka_unit_test(test_random_rules),
		cmocka_unit_test(test_rule_cmp_names_the_field),
		cmocka_unit_test(test_check_catches_a_wrong_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
