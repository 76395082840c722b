/* Checking and lowering (sema_lower): the IR's fields for what the tables of
 * tests/lang only see as text -- families, set indices and flags, sorted and
 * merged ranges, the order of policies and rule ids -- and the errors, each
 * with its place, all of them in one run. */
#include "testutil.h"

#include "objfmt/addr.h"

static struct diag_ctx D;

/* Lower src (no shadow analysis); NULL on errors, which stay in D. */
static struct ir_program *lower(const char *src)
{
	diag_init(&D, "s.utp", src, strlen(src));
	return policy_lower(&D);
}

static int teardown(void **state)
{
	(void)state;
	diag_free(&D);
	return 0;
}

/* The i-th recorded diagnostic, as "LINE:COL: severity: message". */
static void assert_diag(size_t i, const char *want)
{
	static const char *const sev[] = {"error", "warning", "note"};
	char got[512];

	assert_true(i < D.n);
	if (D.items[i].has_loc)
		snprintf(got, sizeof(got), "%d:%d: %s: %s", D.items[i].loc.first_line,
			 D.items[i].loc.first_column, sev[D.items[i].severity], D.items[i].message);
	else
		snprintf(got, sizeof(got), "%s: %s", sev[D.items[i].severity], D.items[i].message);
	assert_string_equal(got, want);
}

/* A one-rule policy: the rule lowered, or NULL. */
static struct ir_program *rule(const char *sets, const char *text)
{
	char src[1024];

	snprintf(src, sizeof(src), "%spolicy p {\n%s\n}\n", sets, text);
	return lower(src);
}

static void assert_prefixes(const struct prefix *p, size_t n, const char *want)
{
	char buf[PREFIX_STRLEN], got[512] = "";

	for (size_t i = 0; i < n; i++) {
		if (i)
			strcat(got, " ");
		strcat(got, prefix_format(&p[i], buf));
	}
	assert_string_equal(got, want);
}

static void assert_ranges(const struct ir_port_match *m, const char *want)
{
	char got[512] = "";

	assert_non_null(m);
	for (size_t i = 0; i < m->nranges; i++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%u-%u", i ? " " : "",
			 m->ranges[i].lo, m->ranges[i].hi);
	assert_string_equal(got, want);
}

/* ---------------------------------------------------------------- lowering */

static void test_one_rule_every_field(void **state)
{
	(void)state;
	struct ir_program *ir =
		rule("set s { 2001:db8::/32, 10.0.0.0/8 }\n",
		     "  egress allow tcp from { 192.0.2.0/24, 2001:db8::1, @s } port { 443, 80 } "
		     "to not 198.51.100.7 port not 22");

	assert_non_null(ir);
	assert_int_equal(D.n, 0);
	assert_int_equal(ir->nrules, 1);
	const struct ir_rule *r = &ir->rules[0];
	assert_int_equal(r->id, 0);
	assert_int_equal(r->policy, 0);
	assert_int_equal(r->dir, DIR_EGRESS);
	assert_int_equal(r->action, ACT_ALLOW);
	assert_int_equal(r->proto, IPPROTO_NUM_TCP);
	/* the destination is IPv4 only: so is the rule, and its IPv6 source
	 * literal goes; the set keeps both families for the loader */
	assert_int_equal(r->families, FAM_V4);
	assert_false(r->src->negate);
	assert_prefixes(r->src->prefixes, r->src->nprefixes, "192.0.2.0/24");
	assert_int_equal(r->src->nsets, 1);
	assert_int_equal(r->src->sets[0], 0);
	assert_true(r->dst->negate);
	assert_prefixes(r->dst->prefixes, r->dst->nprefixes, "198.51.100.7");
	assert_int_equal(r->dst->nsets, 0);
	assert_false(r->sport->negate);
	assert_ranges(r->sport, "80-80 443-443");
	assert_true(r->dport->negate);
	assert_ranges(r->dport, "22-22");
	assert_int_equal(r->icmp_type, IR_ICMP_ANY);
	assert_int_equal(r->icmp_code, IR_ICMP_ANY);
	assert_int_equal(r->loc.first_line, 3);
	assert_int_equal(r->loc.first_column, 3);
	assert_string_equal(r->text, "egress allow tcp from { 192.0.2.0/24, @s } port { 80, 443 } "
				     "to not 198.51.100.7 port not 22");
	assert_int_equal(ir->nsets, 1);
	assert_int_equal(ir->sets[0].families, FAM_ALL);
	assert_true(ir->sets[0].used_egress);
	assert_false(ir->sets[0].used_ingress);
	ir_free(ir);
}

static void test_no_condition_is_null(void **state)
{
	(void)state;
	struct ir_program *ir = rule("", "deny from any to any");

	assert_non_null(ir);
	const struct ir_rule *r = &ir->rules[0];
	assert_null(r->src);
	assert_null(r->dst);
	assert_null(r->sport);
	assert_null(r->dport);
	assert_int_equal(r->proto, IR_PROTO_ANY);
	assert_int_equal(r->families, FAM_ALL);
	assert_int_equal(r->action, ACT_DENY);
	assert_int_equal(r->dir, DIR_INGRESS);
	assert_string_equal(r->text, "deny");
	ir_free(ir);
}

static void test_protocols(void **state)
{
	(void)state;
	static const struct {
		const char *rule;
		int proto;
		uint8_t families;
		int type, code;
	} cases[] = {
		{"deny tcp", IPPROTO_NUM_TCP, FAM_ALL, IR_ICMP_ANY, IR_ICMP_ANY},
		{"deny udp", IPPROTO_NUM_UDP, FAM_ALL, IR_ICMP_ANY, IR_ICMP_ANY},
		{"deny sctp", IPPROTO_NUM_SCTP, FAM_ALL, IR_ICMP_ANY, IR_ICMP_ANY},
		{"deny icmp", IPPROTO_NUM_ICMP, FAM_V4, IR_ICMP_ANY, IR_ICMP_ANY},
		{"deny icmpv6", IPPROTO_NUM_ICMPV6, FAM_V6, IR_ICMP_ANY, IR_ICMP_ANY},
		{"deny proto 0", 0, FAM_ALL, IR_ICMP_ANY, IR_ICMP_ANY},
		{"deny proto 255", 255, FAM_ALL, IR_ICMP_ANY, IR_ICMP_ANY},
		{"deny proto 1 type 8", IPPROTO_NUM_ICMP, FAM_V4, 8, IR_ICMP_ANY},
		{"deny proto 58 type 128 code 0", IPPROTO_NUM_ICMPV6, FAM_V6, 128, 0},
		{"deny icmp type 255 code 255", IPPROTO_NUM_ICMP, FAM_V4, 255, 255},
		{"deny icmp type 0 code 0", IPPROTO_NUM_ICMP, FAM_V4, 0, 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ir_program *ir = rule("", cases[i].rule);
		assert_non_null(ir);
		assert_int_equal(ir->rules[0].proto, cases[i].proto);
		assert_int_equal(ir->rules[0].families, cases[i].families);
		assert_int_equal(ir->rules[0].icmp_type, cases[i].type);
		assert_int_equal(ir->rules[0].icmp_code, cases[i].code);
		ir_free(ir);
		diag_free(&D);
	}
}

/* Ranges sorted, overlapping and adjacent ones merged, up to the last port
 * without wrapping. */
static void test_port_normalisation(void **state)
{
	(void)state;
	static const struct {
		const char *ports, *ranges;
	} cases[] = {
		{"80", "80-80"},
		{"{ 5, 3, 4 }", "3-5"},
		{"{ 1-10, 5-20, 30 }", "1-20 30-30"},
		{"{ 1-10, 11-20 }", "1-20"},
		{"{ 1-10, 12-20 }", "1-10 12-20"},
		{"{ 1-100, 5-6, 50-60 }", "1-100"},
		{"{ 7, 7, 7 }", "7-7"},
		{"{ 65535, 0 }", "0-0 65535-65535"},
		{"{ 65534, 65535 }", "65534-65535"},
		{"{ 0-65535, 7 }", "0-65535"},
		{"{ 65535, 65535 }", "65535-65535"},
		{"{ 3-3, 2-2, 1 }", "1-3"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[128];
		snprintf(text, sizeof(text), "deny tcp to port %s", cases[i].ports);
		struct ir_program *ir = rule("", text);
		assert_non_null(ir);
		assert_ranges(ir->rules[0].dport, cases[i].ranges);
		ir_free(ir);
		diag_free(&D);
	}
}

/* Prefixes sorted by family, address, length; duplicates (also after
 * masking host bits) dropped; those of a family the rule cannot match
 * dropped. */
static void test_prefix_normalisation(void **state)
{
	(void)state;
	static const struct {
		const char *rule, *src;
		uint8_t families;
	} cases[] = {
		{"deny from { 10.0.0.2, 10.0.0.1 }", "10.0.0.1 10.0.0.2", FAM_V4},
		{"deny from { ::1, 10.0.0.1 }", "10.0.0.1 ::1", FAM_ALL},
		{"deny from { 10.0.0.0/16, 10.0.0.0/8 }", "10.0.0.0/8 10.0.0.0/16", FAM_V4},
		{"deny from { 10.1.2.3/8, 10.0.0.0/8 }", "10.0.0.0/8", FAM_V4},
		{"deny from { 2001:db8::2, 2001:db8::1, 2001:db8::1 }", "2001:db8::1 2001:db8::2",
		 FAM_V6},
		{"deny from { 10.0.0.1, ::1 } to 10.0.0.2", "10.0.0.1", FAM_V4},
		{"deny icmpv6 from { 10.0.0.1, ::1 }", "::1", FAM_V6},
		{"deny from not { ::1, 10.0.0.1 } to ::2", "::1", FAM_V6},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ir_program *ir = rule("", cases[i].rule);
		assert_non_null(ir);
		const struct ir_rule *r = &ir->rules[0];
		assert_prefixes(r->src->prefixes, r->src->nprefixes, cases[i].src);
		assert_int_equal(r->families, cases[i].families);
		ir_free(ir);
		diag_free(&D);
	}
}

/* A rule's families: the intersection over its conditions, sets counted
 * with their contents in the file. */
static void test_families(void **state)
{
	(void)state;
	static const char sets[] = "set v4 { 192.0.2.0/24 }\nset v6 { 2001:db8::/32 }\n"
				   "set mix { 10.0.0.0/8, 2001:db8::/32 }\n";
	static const struct {
		const char *rule;
		uint8_t families;
	} cases[] = {
		{"deny", FAM_ALL},
		{"deny tcp to port 80", FAM_ALL},
		{"deny from 10.0.0.0/8", FAM_V4},
		{"deny to ::/0", FAM_V6},
		{"deny from not 10.0.0.0/8", FAM_V4},
		{"deny from @v4", FAM_V4},
		{"deny from @v6", FAM_V6},
		{"deny from @mix", FAM_ALL},
		{"deny from not @mix", FAM_ALL},
		{"deny from { @v4, @v6 }", FAM_ALL},
		{"deny from @mix to @v6", FAM_V6},
		{"deny icmp from @mix", FAM_V4},
		{"deny proto 58 to @mix", FAM_V6},
		{"deny from { 10.0.0.1, @v6 } to 2001:db8::1", FAM_V6},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ir_program *ir = rule(sets, cases[i].rule);
		assert_non_null(ir);
		assert_int_equal(ir->rules[0].families, cases[i].families);
		ir_free(ir);
		diag_free(&D);
	}
}

/* Sets: definition order is their index; contents sorted and unique;
 * families from the contents; which directions use them. */
static void test_sets(void **state)
{
	(void)state;
	struct ir_program *ir = lower("set zz { 10.0.0.2, 10.0.0.1, 10.0.0.1 }\n"
				      "set aa { 2001:db8::1 }\n"
				      "set unused { ::1, 10.0.0.1 }\n"
				      "set both { 192.0.2.1 }\n"
				      "policy p {\n"
				      "    deny from { @aa, @zz, @zz }\n"
				      "    egress deny to @both\n"
				      "    deny to @both\n"
				      "}\n");

	assert_non_null(ir);
	assert_int_equal(ir->nsets, 4);
	assert_string_equal(ir->sets[0].name, "zz");
	assert_prefixes(ir->sets[0].prefixes, ir->sets[0].nprefixes, "10.0.0.1 10.0.0.2");
	assert_int_equal(ir->sets[0].families, FAM_V4);
	assert_int_equal(ir->sets[0].loc.first_line, 1);
	assert_int_equal(ir->sets[0].loc.first_column, 5);
	assert_string_equal(ir->sets[1].name, "aa");
	assert_int_equal(ir->sets[1].families, FAM_V6);
	assert_int_equal(ir->sets[2].families, FAM_ALL);
	assert_false(ir->sets[2].used_ingress);
	assert_false(ir->sets[2].used_egress);
	assert_true(ir->sets[0].used_ingress);
	assert_false(ir->sets[0].used_egress);
	assert_true(ir->sets[3].used_ingress);
	assert_true(ir->sets[3].used_egress);
	/* indices ascending and unique, whatever the written order */
	const struct ir_addr_match *src = ir->rules[0].src;
	assert_int_equal(src->nsets, 2);
	assert_int_equal(src->sets[0], 0);
	assert_int_equal(src->sets[1], 1);
	assert_string_equal(ir->rules[0].text, "deny from { @zz, @aa }");
	ir_free(ir);
}

/* Policies by order, ties and unordered ones by name in byte order,
 * unordered last; rules in source order; ids dense over both directions. */
static void test_evaluation_order(void **state)
{
	(void)state;
	struct ir_program *ir = lower("policy zulu { deny proto 1 }\n"
				      "policy alpha { deny proto 2; egress deny proto 12 }\n"
				      "policy late order 20 { deny proto 3 }\n"
				      "policy early order 10 { deny proto 4; deny proto 14 }\n"
				      "policy bravo order 10 { egress deny proto 5 }\n"
				      "policy Bravo order 10 { deny proto 6 }\n"
				      "policy zero order 0 { }\n"
				      "policy max order 4294967295 { deny proto 7 }\n");
	static const char *const names[] = {"zero", "Bravo", "bravo", "early",
					    "late", "max",   "alpha", "zulu"};
	static const uint32_t first[] = {0, 0, 1, 2, 4, 5, 6, 8};
	static const uint32_t count[] = {0, 1, 1, 2, 1, 1, 2, 1};
	static const int protos[] = {6, 5, 4, 14, 3, 7, 2, 12, 1};

	assert_non_null(ir);
	assert_int_equal(ir->npolicies, 8);
	for (size_t k = 0; k < 8; k++) {
		assert_string_equal(ir->policies[k].name, names[k]);
		assert_int_equal(ir->policies[k].first_rule, first[k]);
		assert_int_equal(ir->policies[k].nrules, count[k]);
	}
	assert_true(ir->policies[0].has_order);
	assert_int_equal(ir->policies[0].order, 0);
	assert_int_equal(ir->policies[5].order, UINT32_MAX);
	assert_false(ir->policies[6].has_order);
	assert_int_equal(ir->nrules, 9);
	for (uint32_t i = 0; i < 9; i++) {
		assert_int_equal(ir->rules[i].id, i);
		assert_int_equal(ir->rules[i].proto, protos[i]);
	}
	assert_int_equal(ir->rules[1].dir, DIR_EGRESS);
	assert_int_equal(ir->rules[7].dir, DIR_EGRESS);
	assert_int_equal(ir->rules[7].policy, 6);
	/* the empty policy was warned about, nothing else */
	assert_int_equal(D.n, 1);
	assert_diag(0, "7:8: warning: policy 'zero' has no rules");
	ir_free(ir);
}

/* ---------------------------------------------------------------- errors */

static void test_names(void **state)
{
	(void)state;

	assert_null(lower("set s { 10.0.0.1 }\n"
			  "set s { 10.0.0.2 }\n"
			  "policy p { deny from @s }\n"
			  "policy p { deny from @t }\n"
			  "policy q { deny from { @s, @nosuch } }\n"));
	assert_int_equal(D.errors, 3);
	assert_int_equal(D.n, 5);
	assert_diag(0, "2:5: error: set 's' is already defined");
	assert_diag(1, "1:5: note: previous definition of 's' is here");
	assert_diag(2, "4:8: error: policy 'p' is already defined");
	assert_diag(3, "3:8: note: previous definition of 'p' is here");
	/* the second 'p' is not checked: its unknown '@t' goes unsaid */
	assert_diag(4, "5:28: error: unknown set '@nosuch'");
}

static void test_values_out_of_range(void **state)
{
	(void)state;

	assert_null(
		lower("policy p order 4294967296 {\n"
		      "    deny tcp to port 65536\n"
		      "    deny tcp from port 1-70000\n"
		      "    deny tcp to port 9-8\n"
		      "    deny icmp type 256 code 300\n"
		      "    deny proto 256 to port 80\n"
		      "    deny tcp to port 65535; deny proto 255; deny icmp type 255 code 255\n"
		      "}\n"));
	assert_int_equal(D.n, 7);
	assert_diag(0, "1:16: error: policy order 4294967296 is out of range (0-4294967295)");
	assert_diag(1, "2:22: error: port 65536 is out of range (0-65535)");
	assert_diag(2, "3:26: error: port 70000 is out of range (0-65535)");
	assert_diag(3, "4:22: error: port range 9-8 is empty: the first port is greater than the "
		       "last");
	assert_diag(4, "5:20: error: ICMP type 256 is out of range (0-255)");
	assert_diag(5, "5:29: error: ICMP code 300 is out of range (0-255)");
	/* an out-of-range protocol says nothing of the ports it would allow */
	assert_diag(6, "6:16: error: protocol number 256 is out of range (0-255)");
}

static void test_protocol_dependencies(void **state)
{
	(void)state;

	assert_null(lower(
		"policy p {\n"
		"    deny to port 80\n"
		"    deny icmp from port 1 to port 2\n"
		"    deny tcp type 3\n"
		"    deny proto 47 type 1 code 1\n"
		"    deny proto 6 to port 1; deny proto 17 from port 2; deny proto 132 to port 3\n"
		"    deny proto 1 type 1; deny proto 58 type 1 code 0\n"
		"}\n"));
	assert_int_equal(D.n, 4);
	/* one error per rule, at its first ports */
	assert_diag(0, "2:18: error: ports need 'tcp', 'udp' or 'sctp' in the same rule");
	assert_diag(1, "3:25: error: ports need 'tcp', 'udp' or 'sctp' in the same rule");
	assert_diag(2, "4:14: error: 'type' and 'code' need 'icmp' or 'icmpv6' in the same rule");
	assert_diag(3, "5:19: error: 'type' and 'code' need 'icmp' or 'icmpv6' in the same rule");
}

static void test_never_matching_rules(void **state)
{
	(void)state;

	assert_null(lower("set v6 { ::/0 }\n"
			  "policy p {\n"
			  "    deny from 10.0.0.0/8 to ::1\n"
			  "    deny icmp from @v6\n"
			  "    deny proto 58 to 10.0.0.1\n"
			  "    deny from not any\n"
			  "    deny udp to port not { 0-9, 10-65535 }\n"
			  "    deny udp to port not 1-65535\n"
			  "}\n"));
	assert_int_equal(D.n, 5);
	assert_diag(0, "3:5: error: rule can never match: the source addresses are IPv4 only but "
		       "the destination addresses are IPv6 only");
	assert_diag(1, "4:5: error: rule can never match: 'icmp' is IPv4 only but the source "
		       "addresses are IPv6 only");
	assert_diag(2, "5:5: error: rule can never match: 'proto 58' is IPv6 only but the "
		       "destination addresses are IPv4 only");
	assert_diag(3, "6:15: error: 'not any' matches no address; the rule can never match");
	assert_diag(4, "7:22: error: 'port not' excludes every port; the rule can never match");
}

/* A set that lost entries to errors: no family conflict made up from what
 * is left of it (regression: both sides printed as "IPv4 and IPv6 only"). */
static void test_set_with_invalid_entries(void **state)
{
	(void)state;

	assert_null(lower("set s { 10.0.0.256 }\n"
			  "set t { 10.0.0.300, 2001:db8::1 }\n"
			  "policy p {\n"
			  "    deny from @s\n"
			  "    deny icmp from @t to port 80\n"
			  "}\n"));
	assert_int_equal(D.n, 3);
	assert_diag(0, "1:9: error: invalid IPv4 address '10.0.0.256'");
	assert_diag(1, "2:9: error: invalid IPv4 address '10.0.0.300'");
	/* the rule's other errors are still reported */
	assert_diag(2, "5:31: error: ports need 'tcp', 'udp' or 'sctp' in the same rule");
}

static void test_empty_policies_and_files(void **state)
{
	(void)state;
	struct ir_program *ir = lower("policy e { }\npolicy f {\n  # none\n}\npolicy g { deny }");

	assert_non_null(ir);
	assert_int_equal(D.n, 2);
	assert_diag(0, "1:8: warning: policy 'e' has no rules");
	assert_diag(1, "2:8: warning: policy 'f' has no rules");
	assert_int_equal(ir->npolicies, 3);
	assert_int_equal(ir->policies[0].nrules, 0);
	ir_free(ir);
	diag_free(&D);

	/* rules dropped for syntax errors do not make a policy "empty" */
	assert_null(lower("policy e { deny bogus }"));
	assert_int_equal(D.n, 1);
	assert_int_equal(D.items[0].severity, DIAG_ERROR);
	diag_free(&D);

	assert_null(lower("set s { 10.0.0.1 }\n"));
	assert_int_equal(D.n, 1);
	assert_diag(0, "error: no policy in file");
	diag_free(&D);

	/* ... said only when nothing else is wrong */
	assert_null(lower("set s { 10.0.0.1/33 }\n"));
	assert_int_equal(D.n, 1);
	assert_diag(0, "1:9: error: invalid prefix length in '10.0.0.1/33' (IPv4 allows 0-32, "
		       "IPv6 0-128)");
}

/* Every error of a file in one run, in every policy, and the IR withheld. */
static void test_every_error_reported(void **state)
{
	(void)state;

	assert_null(lower("policy b { deny tcp to port 99999 }\n"
			  "policy a order 1 { deny icmp type 300; deny from @x }\n"
			  "policy c { deny from 10.0.0.1 to ::1; allow tcp }\n"));
	assert_int_equal(D.errors, 4);
	/* recorded in evaluation order; printing sorts them (test_diag) */
	assert_diag(0, "2:35: error: ICMP type 300 is out of range (0-255)");
	assert_diag(1, "2:50: error: unknown set '@x'");
	assert_diag(2, "1:29: error: port 99999 is out of range (0-65535)");
	assert_diag(3, "3:12: error: rule can never match: the source addresses are IPv4 only "
		       "but the destination addresses are IPv6 only");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_one_rule_every_field, teardown),
		cmocka_unit_test_teardown(test_no_condition_is_null, teardown),
		cmocka_unit_test_teardown(test_protocols, teardown),
		cmocka_unit_test_teardown(test_port_normalisation, teardown),
		cmocka_unit_test_teardown(test_prefix_normalisation, teardown),
		cmocka_unit_test_teardown(test_families, teardown),
		cmocka_unit_test_teardown(test_sets, teardown),
		cmocka_unit_test_teardown(test_evaluation_order, teardown),
		cmocka_unit_test_teardown(test_names, teardown),
		cmocka_unit_test_teardown(test_values_out_of_range, teardown),
		cmocka_unit_test_teardown(test_protocol_dependencies, teardown),
		cmocka_unit_test_teardown(test_never_matching_rules, teardown),
		cmocka_unit_test_teardown(test_set_with_invalid_entries, teardown),
		cmocka_unit_test_teardown(test_empty_policies_and_files, teardown),
		cmocka_unit_test_teardown(test_every_error_reported, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
