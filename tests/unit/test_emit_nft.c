/* The nftables form of egress rules (compiler/codegen/nft_emit.c): the exact template
 * text for every rule kind, the alternatives of OR conditions, log rules
 * that must log once, named sets, the section in the generated C, the
 * standalone ruleset of --emit=nft, and the set-use field of the metadata.
 * tests/nft/run.sh checks the same text with nft itself and in the kernel. */
#include "testutil.h"

#include <errno.h>

#include "codegen/emit.h"
#include "codegen/nft_emit.h"
#include "codegen/objmeta_write.h"
#include "objfmt/objmeta.h"

/* The template of a policy that must compile without errors. */
static char *body_with(const char *src, const char *prefix)
{
	struct diag_ctx d;
	struct ir_program *ir = tu_compile(&d, src);
	char *text = NULL;
	size_t len = 0;

	if (!ir || diag_failed(&d)) {
		char *diags = tu_diag_text(&d, DIAG_TEXT);
		print_error("policy does not compile:\n%s", diags);
		free(diags);
		fail();
	}
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	emit_nft_body(ir, prefix, f);
	fclose(f);
	ir_free(ir);
	diag_free(&d);
	return text;
}

static char *body(const char *src)
{
	return body_with(src, NFT_PLACEHOLDER);
}

static void check(const char *src, const char *want)
{
	char *got = body(src);

	if (strcmp(got, want) != 0)
		print_error("policy:\n%s\n--- want:\n%s--- got:\n%s", src, want, got);
	assert_string_equal(got, want);
	free(got);
}

/* The chain and counter around the rules of a policy whose egress rules
 * all have id 0. */
#define ONE(rules) "counter %UT%r0 { }\nchain %UT%egress {\n" rules "}\n"

static void test_no_egress_rules(void **state)
{
	(void)state;
	struct diag_ctx d;
	struct ir_program *ir = tu_compile(&d, "set s { 10.0.0.0/8 }\n"
					       "policy p { allow tcp to port 22; deny from @s }\n");
	assert_non_null(ir);
	assert_false(emit_nft_needed(ir));
	ir_free(ir);
	diag_free(&d);
	check("policy p { allow tcp to port 22 }\n", "");
}

static void test_allow_ports_both_families(void **state)
{
	(void)state;
	/* Ports split the families: only IPv4 needs the fragment test. */
	check("policy p { egress allow tcp to port 22 }\n",
	      ONE("\t# rule 0, line 1: egress allow tcp to port 22\n"
		  "\tmeta nfproto ipv4 meta l4proto 6 ip frag-off & 0x1fff == 0 tcp dport 22 "
		  "counter name \"%UT%r0\" notrack accept\n"
		  "\tmeta nfproto ipv6 meta l4proto 6 tcp dport 22 "
		  "counter name \"%UT%r0\" notrack accept\n"));
}

static void test_deny_everything(void **state)
{
	(void)state;
	check("policy p { egress deny }\n", ONE("\t# rule 0, line 1: egress deny\n"
						"\tcounter name \"%UT%r0\" drop\n"));
}

static void test_pass_protocol_only(void **state)
{
	(void)state;
	/* No family-dependent condition: one rule for both families. */
	check("policy p { egress pass udp }\n",
	      ONE("\t# rule 0, line 1: egress pass udp\n"
		  "\tmeta l4proto 17 counter name \"%UT%r0\" return\n"));
	check("policy p { egress pass proto 47 }\n",
	      ONE("\t# rule 0, line 1: egress pass proto 47\n"
		  "\tmeta l4proto 47 counter name \"%UT%r0\" return\n"));
}

static void test_address_family(void **state)
{
	(void)state;
	check("policy p { egress pass udp from 10.0.0.0/8 to 192.0.2.1 }\n",
	      ONE("\t# rule 0, line 1: egress pass udp from 10.0.0.0/8 to 192.0.2.1\n"
		  "\tmeta nfproto ipv4 meta l4proto 17 ip saddr 10.0.0.0/8 ip daddr 192.0.2.1 "
		  "counter name \"%UT%r0\" return\n"));
	check("policy p { egress deny to { 2001:db8::/32, fd00::1 } }\n",
	      ONE("\t# rule 0, line 1: egress deny to { 2001:db8::/32, fd00::1 }\n"
		  "\tmeta nfproto ipv6 ip6 daddr { 2001:db8::/32, fd00::1 } "
		  "counter name \"%UT%r0\" drop\n"));
}

static void test_literals_of_both_families(void **state)
{
	(void)state;
	/* Literals of each family go to that family's rule; nested ones are
	 * left out of the anonymous set (an interval set refuses overlaps). */
	check("policy p { egress allow from { 10.0.0.0/8, 10.1.0.0/16, 192.0.2.0/24, fd00::/8 } "
	      "}\n",
	      ONE("\t# rule 0, line 1: egress allow from { 10.0.0.0/8, 10.1.0.0/16, "
		  "192.0.2.0/24, fd00::/8 }\n"
		  "\tmeta nfproto ipv4 ip saddr { 10.0.0.0/8, 192.0.2.0/24 } "
		  "counter name \"%UT%r0\" notrack accept\n"
		  "\tmeta nfproto ipv6 ip6 saddr fd00::/8 counter name \"%UT%r0\" notrack accept\n"));
}

static void test_negation(void **state)
{
	(void)state;
	/* `not` over literals and sets is a conjunction: one rule per family. */
	check("set s { 192.0.2.0/24, 2001:db8::/32 }\n"
	      "policy p { egress deny from not { 10.0.0.0/8, 10.2.0.0/16, @s } }\n",
	      "counter %UT%r0 { }\n"
	      "set %UT%s0v4 {\n\ttype ipv4_addr; flags interval; auto-merge\n"
	      "\telements = { 192.0.2.0/24 }\n}\n"
	      "set %UT%s0v6 {\n\ttype ipv6_addr; flags interval; auto-merge\n"
	      "\telements = { 2001:db8::/32 }\n}\n"
	      "chain %UT%egress {\n"
	      "\t# rule 0, line 2: egress deny from not { 10.0.0.0/8, 10.2.0.0/16, @s }\n"
	      "\tmeta nfproto ipv4 ip saddr != 10.0.0.0/8 ip saddr != @%UT%s0v4 "
	      "counter name \"%UT%r0\" drop\n"
	      "\tmeta nfproto ipv6 ip6 saddr != @%UT%s0v6 counter name \"%UT%r0\" drop\n"
	      "}\n");
	check("policy p { egress allow udp from not { 10.0.0.0/8, 172.16.0.0/12 } }\n",
	      ONE("\t# rule 0, line 1: egress allow udp from not { 10.0.0.0/8, 172.16.0.0/12 }\n"
		  "\tmeta nfproto ipv4 meta l4proto 17 ip saddr != { 10.0.0.0/8, 172.16.0.0/12 } "
		  "counter name \"%UT%r0\" notrack accept\n"));
}

static void test_ports(void **state)
{
	(void)state;
	check("policy p { egress allow sctp from port 1-1023 to port not { 25, 465, 8000-8999 } }\n",
	      ONE("\t# rule 0, line 1: egress allow sctp from port 1-1023 to port not "
		  "{ 25, 465, 8000-8999 }\n"
		  "\tmeta nfproto ipv4 meta l4proto 132 ip frag-off & 0x1fff == 0 sctp sport "
		  "1-1023 sctp dport != { 25, 465, 8000-8999 } counter name \"%UT%r0\" notrack "
		  "accept\n"
		  "\tmeta nfproto ipv6 meta l4proto 132 sctp sport 1-1023 sctp dport != "
		  "{ 25, 465, 8000-8999 } counter name \"%UT%r0\" notrack accept\n"));
	/* Protocol numbers with ports are their named protocols. */
	check("policy p { egress deny proto 17 from 10.0.0.0/8 port 0-65535 }\n",
	      ONE("\t# rule 0, line 1: egress deny udp from 10.0.0.0/8 port 0-65535\n"
		  "\tmeta nfproto ipv4 meta l4proto 17 ip frag-off & 0x1fff == 0 ip saddr "
		  "10.0.0.0/8 udp sport 0-65535 counter name \"%UT%r0\" drop\n"));
}

static void test_icmp(void **state)
{
	(void)state;
	check("policy p { egress allow icmp type 8 code 0 }\n",
	      ONE("\t# rule 0, line 1: egress allow icmp type 8 code 0\n"
		  "\tmeta nfproto ipv4 meta l4proto 1 ip frag-off & 0x1fff == 0 icmp type 8 "
		  "icmp code 0 counter name \"%UT%r0\" notrack accept\n"));
	check("policy p { egress deny icmpv6 type 128 }\n",
	      ONE("\t# rule 0, line 1: egress deny icmpv6 type 128\n"
		  "\tmeta nfproto ipv6 meta l4proto 58 icmpv6 type 128 counter name \"%UT%r0\" "
		  "drop\n"));
	/* Protocol alone: a family, no fragment test. */
	check("policy p { egress allow icmp }\n",
	      ONE("\t# rule 0, line 1: egress allow icmp\n"
		  "\tmeta nfproto ipv4 meta l4proto 1 counter name \"%UT%r0\" notrack accept\n"));
}

static void test_ipv6_extension_protocols(void **state)
{
	(void)state;
	/* untrack walks AH; nftables stops at it. So the IPv6 half of
	 * `proto 51` is not written, and an IPv6-only one matches nothing. */
	check("policy p { egress deny proto 51 }\n",
	      ONE("\t# rule 0, line 1: egress deny proto 51\n"
		  "\tmeta nfproto ipv4 meta l4proto 51 counter name \"%UT%r0\" drop\n"));
	check("policy p { egress deny proto 0 from fd00::/8 }\n",
	      ONE("\t# rule 0, line 1: egress deny proto 0 from fd00::/8\n"
		  "\t# it matches no packet that nftables can tell apart\n"));
}

static void test_log_single(void **state)
{
	(void)state;
	/* One alternative per family: logged inline, evaluation goes on. */
	check("policy p { egress log udp to port { 53, 5353 } }\n",
	      "limit %UT%log { rate 100/second burst 100 packets }\n" ONE(
		      "\t# rule 0, line 1: egress log udp to port { 53, 5353 }\n"
		      "\tmeta nfproto ipv4 meta l4proto 17 ip frag-off & 0x1fff == 0 udp dport "
		      "{ 53, 5353 } counter name \"%UT%r0\" limit name \"%UT%log\" log prefix "
		      "\"untrack egress rule 0: \"\n"
		      "\tmeta nfproto ipv6 meta l4proto 17 udp dport { 53, 5353 } counter name "
		      "\"%UT%r0\" limit name \"%UT%log\" log prefix \"untrack egress rule 0: \"\n"));
}

static void test_log_alternatives(void **state)
{
	(void)state;
	/* A packet in both the literals and the set is logged and counted once:
	 * the alternatives goto one logging chain, which returns to the rule
	 * after the jump. */
	check("set s { 192.0.2.0/24 }\n"
	      "policy p { egress log from { 192.0.2.0/25, @s }; egress deny }\n",
	      "limit %UT%log { rate 100/second burst 100 packets }\n"
	      "counter %UT%r0 { }\n"
	      "counter %UT%r1 { }\n"
	      "set %UT%s0v4 {\n\ttype ipv4_addr; flags interval; auto-merge\n"
	      "\telements = { 192.0.2.0/24 }\n}\n"
	      "set %UT%s0v6 {\n\ttype ipv6_addr; flags interval; auto-merge\n}\n"
	      "chain %UT%egress {\n"
	      "\t# rule 0, line 2: egress log from { 192.0.2.0/25, @s }\n"
	      "\tjump %UT%alt0\n"
	      "\t# rule 1, line 2: egress deny\n"
	      "\tcounter name \"%UT%r1\" drop\n"
	      "}\n"
	      "chain %UT%alt0 {\n"
	      "\tmeta nfproto ipv4 ip saddr 192.0.2.0/25 goto %UT%log0\n"
	      "\tmeta nfproto ipv4 ip saddr @%UT%s0v4 goto %UT%log0\n"
	      "}\n"
	      "chain %UT%log0 {\n"
	      "\tcounter name \"%UT%r0\" limit name \"%UT%log\" log prefix "
	      "\"untrack egress rule 0: \"\n"
	      "}\n");
}

static void test_alternatives_cross_product(void **state)
{
	(void)state;
	check("set s { 198.51.100.0/24 }\nset t { 203.0.113.0/24 }\n"
	      "policy p { egress allow tcp from { 192.0.2.0/24, @s } to { 10.0.0.0/8, @t } port 80 }\n",
	      "counter %UT%r0 { }\n"
	      "set %UT%s0v4 {\n\ttype ipv4_addr; flags interval; auto-merge\n"
	      "\telements = { 198.51.100.0/24 }\n}\n"
	      "set %UT%s0v6 {\n\ttype ipv6_addr; flags interval; auto-merge\n}\n"
	      "set %UT%s1v4 {\n\ttype ipv4_addr; flags interval; auto-merge\n"
	      "\telements = { 203.0.113.0/24 }\n}\n"
	      "set %UT%s1v6 {\n\ttype ipv6_addr; flags interval; auto-merge\n}\n"
	      "chain %UT%egress {\n"
	      "\t# rule 0, line 3: egress allow tcp from { 192.0.2.0/24, @s } to "
	      "{ 10.0.0.0/8, @t } port 80\n"
	      "\tmeta nfproto ipv4 meta l4proto 6 ip frag-off & 0x1fff == 0 ip saddr "
	      "192.0.2.0/24 ip daddr 10.0.0.0/8 tcp dport 80 counter name \"%UT%r0\" notrack "
	      "accept\n"
	      "\tmeta nfproto ipv4 meta l4proto 6 ip frag-off & 0x1fff == 0 ip saddr "
	      "192.0.2.0/24 ip daddr @%UT%s1v4 tcp dport 80 counter name \"%UT%r0\" notrack "
	      "accept\n"
	      "\tmeta nfproto ipv4 meta l4proto 6 ip frag-off & 0x1fff == 0 ip saddr "
	      "@%UT%s0v4 ip daddr 10.0.0.0/8 tcp dport 80 counter name \"%UT%r0\" notrack "
	      "accept\n"
	      "\tmeta nfproto ipv4 meta l4proto 6 ip frag-off & 0x1fff == 0 ip saddr "
	      "@%UT%s0v4 ip daddr @%UT%s1v4 tcp dport 80 counter name \"%UT%r0\" notrack "
	      "accept\n"
	      "}\n");
}

static void test_sets_and_ids(void **state)
{
	(void)state;
	/* Rule ids are the global ones (ingress rules count); only sets used
	 * by egress rules become nftables sets, under their index; a set's
	 * other family is used too, since the loader may add to it. */
	check("set in-only { 192.0.2.0/24 }\n"
	      "set both { 10.0.0.0/8, 10.1.0.0/16, 2001:db8::/32 }\n"
	      "policy a order 1 { deny from @in-only; allow tcp to port 22 }\n"
	      "policy b order 2 { egress deny to @both }\n",
	      "counter %UT%r2 { }\n"
	      "set %UT%s1v4 {\n\ttype ipv4_addr; flags interval; auto-merge\n"
	      "\telements = { 10.0.0.0/8 }\n}\n"
	      "set %UT%s1v6 {\n\ttype ipv6_addr; flags interval; auto-merge\n"
	      "\telements = { 2001:db8::/32 }\n}\n"
	      "chain %UT%egress {\n"
	      "\t# rule 2, line 4: egress deny to @both\n"
	      "\tmeta nfproto ipv4 ip daddr @%UT%s1v4 counter name \"%UT%r2\" drop\n"
	      "\tmeta nfproto ipv6 ip6 daddr @%UT%s1v6 counter name \"%UT%r2\" drop\n"
	      "}\n");
}

static void test_prefix_substitution(void **state)
{
	(void)state;
	char *t = body_with("set s { 10.0.0.0/8 }\npolicy p { egress log tcp to @s port 1; egress "
			    "allow from { 192.0.2.1, @s } }\n",
			    NFT_PLACEHOLDER);
	char *i = body_with("set s { 10.0.0.0/8 }\npolicy p { egress log tcp to @s port 1; egress "
			    "allow from { 192.0.2.1, @s } }\n",
			    "i7_");
	/* The instance is the template with every placeholder replaced. */
	size_t n = 0;
	char *subst = calloc(strlen(t) * 2 + 1, 1);
	for (const char *c = t; *c;) {
		if (strncmp(c, NFT_PLACEHOLDER, strlen(NFT_PLACEHOLDER)) == 0) {
			strcat(subst, "i7_");
			c += strlen(NFT_PLACEHOLDER);
			n++;
		} else {
			strncat(subst, c++, 1);
		}
	}
	assert_string_equal(subst, i);
	assert_true(n >= 10);
	assert_null(strchr(i, '%'));
	free(subst);
	free(t);
	free(i);
}

static void test_elements(void **state)
{
	(void)state;
	struct prefix p[12];
	char *text = NULL;
	size_t len = 0;

	/* Unsorted, nested, mixed families; wrapped every 8. */
	const char *in[] = {"10.9.0.0/16", "10.0.0.0/8", "2001:db8::/32", "11.0.0.1",
			    "11.0.0.2",	   "11.0.0.3",	 "11.0.0.4",	  "11.0.0.5",
			    "11.0.0.6",	   "11.0.0.7",	 "11.0.0.8",	  "11.0.0.0/30"};
	for (size_t i = 0; i < 12; i++)
		assert_int_not_equal(prefix_parse(in[i], &p[i]), ADDR_BAD_ADDRESS);
	FILE *f = open_memstream(&text, &len);
	assert_int_equal(nft_elements_write(f, p, 12, FAM_V4, "  "), 7);
	fputc('|', f);
	assert_int_equal(nft_elements_write(f, p, 12, FAM_V6, "  "), 1);
	assert_int_equal(nft_elements_write(f, p, 0, FAM_V6, "  "), 0);
	fclose(f);
	assert_string_equal(text,
			    "10.0.0.0/8, 11.0.0.0/30, 11.0.0.4, 11.0.0.5, 11.0.0.6, 11.0.0.7, "
			    "11.0.0.8|2001:db8::/32");
	free(text);

	struct prefix many[10];
	for (unsigned i = 0; i < 10; i++)
		many[i] = (struct prefix){
			.family = FAM_V4, .len = 32, .addr = {10, 0, 0, (uint8_t)i}};
	text = NULL;
	f = open_memstream(&text, &len);
	assert_int_equal(nft_elements_write(f, many, 10, FAM_V4, "\t\t"), 10);
	fclose(f);
	assert_string_equal(text, "10.0.0.0, 10.0.0.1, 10.0.0.2, 10.0.0.3, 10.0.0.4, 10.0.0.5, "
				  "10.0.0.6, 10.0.0.7,\n\t\t10.0.0.8, 10.0.0.9");
	free(text);
}

static char *compiled(const char *src, void (*fn)(const struct ir_program *, FILE *))
{
	struct diag_ctx d;
	struct ir_program *ir = tu_compile(&d, src);
	char *text = NULL;
	size_t len = 0;

	assert_non_null(ir);
	FILE *f = open_memstream(&text, &len);
	fn(ir, f);
	fclose(f);
	ir_free(ir);
	diag_free(&d);
	return text;
}

static void section(const struct ir_program *p, FILE *f)
{
	emit_nft_section(p, f);
}

static void test_section(void **state)
{
	(void)state;
	char *c = compiled("policy p { egress deny udp }\n", section);
	assert_string_equal(c, "\n/* The egress rules for nftables (objfmt/nft_template.h). */\n"
			       "static const char ut_nft[] SEC(\".untrack.nft\") "
			       "__attribute__((used)) =\n"
			       "\t\"counter %UT%r0 { }\\012\"\n"
			       "\t\"chain %UT%egress {\\012\"\n"
			       "\t\"\\011# rule 0, line 1: egress deny udp\\012\"\n"
			       "\t\"\\011meta l4proto 17 counter name \\\"%UT%r0\\\" drop\\012\"\n"
			       "\t\"}\\012\";\n");
	free(c);
	c = compiled("policy p { deny udp }\n", section);
	assert_non_null(strstr(c, "__attribute__((used)) = \"\";\n"));
	free(c);
}

static void ruleset_wlan(const struct ir_program *p, FILE *f)
{
	emit_nft_ruleset(p, "wlan0", f);
}

static void test_ruleset(void **state)
{
	(void)state;
	char *r = compiled("policy p { egress deny udp to port 9 }\n", ruleset_wlan);
	const char *first = "# Generated by untrackc ", *rest = strchr(r, '\n');

	assert_int_equal(strncmp(r, first, strlen(first)), 0);
	assert_non_null(rest);
	assert_non_null(strstr(r, " (--emit=nft) from test.utp.\n"));
	assert_string_equal(
		rest + 1,
		"# Its egress rules as untrack attach installs them for interface wlan0, in\n"
		"# nftables' raw output hook (docs/egress.md). For reading and `nft -c -f`:\n"
		"# the loader installs them itself, beside the ingress notrack rule.\n"
		"table inet untrack {\n"
		"\tcounter i0_r0 { }\n"
		"\tchain i0_egress {\n"
		"\t\t# rule 0, line 1: egress deny udp to port 9\n"
		"\t\tmeta nfproto ipv4 meta l4proto 17 ip frag-off & 0x1fff == 0 udp dport 9 "
		"counter name \"i0_r0\" drop\n"
		"\t\tmeta nfproto ipv6 meta l4proto 17 udp dport 9 counter name \"i0_r0\" "
		"drop\n"
		"\t}\n"
		"\tchain output {\n"
		"\t\ttype filter hook output priority raw; policy accept;\n"
		"\t\toifname \"wlan0\" jump i0_egress\n"
		"\t}\n"
		"}\n");
	free(r);
	r = compiled("policy p { deny udp }\n", ruleset_wlan);
	assert_non_null(strstr(r, "# It has no egress rule"));
	assert_non_null(strstr(r, "\ntable inet untrack {\n}\n"));
	free(r);
}

static void test_iface_names(void **state)
{
	(void)state;
	assert_true(nft_iface_ok("eth0"));
	assert_true(nft_iface_ok("veth-a.100"));
	assert_true(nft_iface_ok("abcdefghijklmno"));
	assert_false(nft_iface_ok("abcdefghijklmnop"));
	assert_false(nft_iface_ok(""));
	assert_false(nft_iface_ok("a\"b"));
	assert_false(nft_iface_ok("a\\b"));
	assert_false(nft_iface_ok("a b"));
	assert_false(nft_iface_ok("a\nb"));
}

static void meta(const struct ir_program *p, FILE *f)
{
	objmeta_write(p, 1, f);
}

static void test_meta_set_uses(void **state)
{
	(void)state;
	char *text = compiled("set a { 10.0.0.0/8 }\nset b { 10.0.0.0/8 }\nset c { 10.0.0.0/8 }\n"
			      "set d { 10.0.0.0/8 }\n"
			      "policy p { deny from @a; egress deny to @b; deny to @c; egress deny "
			      "from @c }\n",
			      meta);
	struct objmeta m;
	char err[256];

	assert_non_null(strstr(text, "set\t0\ta\t1\t1\tingress\n"));
	assert_non_null(strstr(text, "set\t1\tb\t1\t1\tegress\n"));
	assert_non_null(strstr(text, "set\t2\tc\t1\t1\tboth\n"));
	assert_non_null(strstr(text, "set\t3\td\t1\t1\tnone\n"));
	assert_int_equal(objmeta_parse(text, strlen(text), &m, err, sizeof(err)), 0);
	assert_int_equal(m.nsets, 4);
	assert_true(m.sets[0].ingress && !m.sets[0].egress);
	assert_true(!m.sets[1].ingress && m.sets[1].egress);
	assert_true(m.sets[2].ingress && m.sets[2].egress);
	assert_true(!m.sets[3].ingress && !m.sets[3].egress);
	objmeta_free(&m);
	free(text);

	/* Without the field (older objects): used by ingress. */
	const char *old = "untrack-meta\t1\nabi\t1\nsource\tx\npolicy\t0\tp\t0\t0\t1\n"
			  "set\t0\ts\t1\t1\nprefix\t0\t10.0.0.0/8\nend\n";
	assert_int_equal(objmeta_parse(old, strlen(old), &m, err, sizeof(err)), 0);
	assert_true(m.sets[0].ingress && !m.sets[0].egress);
	objmeta_free(&m);
	const char *bad = "untrack-meta\t1\nabi\t1\nsource\tx\npolicy\t0\tp\t0\t0\t1\n"
			  "set\t0\ts\t1\t1\tsideways\nprefix\t0\t10.0.0.0/8\nend\n";
	assert_int_equal(objmeta_parse(bad, strlen(bad), &m, err, sizeof(err)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_egress_rules),
		cmocka_unit_test(test_allow_ports_both_families),
		cmocka_unit_test(test_deny_everything),
		cmocka_unit_test(test_pass_protocol_only),
		cmocka_unit_test(test_address_family),
		cmocka_unit_test(test_literals_of_both_families),
		cmocka_unit_test(test_negation),
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_icmp),
		cmocka_unit_test(test_ipv6_extension_protocols),
		cmocka_unit_test(test_log_single),
		cmocka_unit_test(test_log_alternatives),
		cmocka_unit_test(test_alternatives_cross_product),
		cmocka_unit_test(test_sets_and_ids),
		cmocka_unit_test(test_prefix_substitution),
		cmocka_unit_test(test_elements),
		cmocka_unit_test(test_section),
		cmocka_unit_test(test_ruleset),
		cmocka_unit_test(test_iface_names),
		cmocka_unit_test(test_meta_set_uses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
