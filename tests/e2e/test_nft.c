/* The nftables transaction untrack commits, checked as text: no kernel, no
 * privileges. Each case is the interfaces attached and the exact text. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nft.h"

static int passed, failed;

static void check(const char *name, const struct nft_iface *ifaces, size_t n, const char *want)
{
	char err[256] = "";
	char *got = NULL;
	int ret = nft_ruleset(ifaces, n, &got, err, sizeof(err));

	if (want == NULL ? ret != 0 : ret == 0 && got && strcmp(got, want) == 0) {
		passed++;
		printf("ok   %s\n", name);
	} else {
		failed++;
		printf("FAIL %s\n", name);
		if (ret)
			printf("     error %d: %s\n", ret, err);
		else
			printf("--- want\n%s--- got\n%s---\n", want ? want : "(an error)\n", got);
	}
	free(got);
}

#define HEAD                                                                                       \
	"add table inet untrack\n"                                                                 \
	"delete table inet untrack\n"
#define TABLE                                                                                      \
	"table inet untrack {\n"                                                                   \
	"\tcomment \"untrack(8): rebuilt on every attach, replace and detach; do not edit\"\n"     \
	"\tchain prerouting {\n"                                                                   \
	"\t\ttype filter hook prerouting priority raw; policy accept;\n"
#define NOTRACK(mask, value)                                                                       \
	"\t\tmeta mark & " mask " == " value " notrack comment \"accepted by untrack in XDP\"\n"

/* An interface without sets or counters to carry. */
#define IFACE(name, value, mask, tmpl)                                                             \
	{                                                                                          \
		.ifname = (name), .mark_value = (value), .mark_mask = (mask), .egress = (tmpl)     \
	}

static void check_text(const char *name, int ret, const char *err, char *got, const char *want)
{
	if (ret == 0 && got && strcmp(got, want) == 0) {
		passed++;
		printf("ok   %s\n", name);
	} else {
		failed++;
		printf("FAIL %s\n", name);
		if (ret)
			printf("     error %d: %s\n", ret, err);
		else
			printf("--- want\n%s--- got\n%s---\n", want, got);
	}
	free(got);
}

/* The live table as nft -j prints it: jumps by interface, counters by rule;
 * other rules and counters are not untrack's. */
#define META "{\"metainfo\": {\"version\": \"1.0.6\", \"json_schema_version\": 1}}"
#define JUMP(name, target)                                                                         \
	"{\"rule\": {\"family\": \"inet\", \"table\": \"untrack\", \"chain\": \"output\", "        \
	"\"handle\": 3, \"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"meta\": {\"key\": "   \
	"\"oifname\"}}, \"right\": \"" name "\"}}, {\"jump\": {\"target\": \"" target "\"}}]}}"
#define COUNTER(name, packets, bytes)                                                              \
	"{\"counter\": {\"family\": \"inet\", \"name\": \"" name "\", \"table\": \"untrack\", "    \
	"\"handle\": 6, \"packets\": " packets ", \"bytes\": " bytes "}}"

#define CHAIN                                                                                      \
	"{\"chain\": {\"family\": \"inet\", \"table\": \"untrack\", \"name\": \"output\", "        \
	"\"handle\": 2, \"type\": \"filter\", \"hook\": \"output\", \"prio\": -300, "              \
	"\"policy\": \"accept\"}}"
#define OTHER_RULE                                                                                 \
	"{\"rule\": {\"family\": \"inet\", \"table\": \"untrack\", \"chain\": \"output\", "        \
	"\"handle\": 9, \"expr\": [{\"accept\": null}]}}"

/* {"nftables": [items...]} (malloc'ed). */
static char *listing(const char *const *items, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		abort();
	fputs("{\"nftables\": [", f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%s", i ? ", " : "", items[i]);
	fputs("]}\n", f);
	if (fclose(f))
		abort();
	return buf;
}

static void check_live(void)
{
	static const char *const chain_items[] = {
		META,
		CHAIN,
		JUMP("eth.0", "i0_egress"),
		JUMP("veth1", "i1_egress"),
		JUMP("veth2", "i2_ingress"),
		OTHER_RULE,
	};
	static const char *const counter_items[] = {
		META,
		COUNTER("i1_r12", "7", "700"),
		COUNTER("i0_r3", "5", "420"),
		COUNTER("i1_r2", "0", "0"),
		COUNTER("other", "9", "9"),
		COUNTER("i0_log", "9", "9"),
	};
	static const char broken[] = "table inet untrack {\n}\n";
	char *chain = listing(chain_items, sizeof(chain_items) / sizeof(chain_items[0]));
	char *counters = listing(counter_items, sizeof(counter_items) / sizeof(counter_items[0]));
	struct nft_live live = {0};
	const struct nft_live_iface *a, *b;
	const struct nft_counter *c;
	char err[256] = "";
	int ret = nft_live_parse(chain, counters, &live, err, sizeof(err));
	int ok = ret == 0 && live.n == 2;

	a = nft_live_find(&live, "eth.0");
	b = nft_live_find(&live, "veth1");
	ok = ok && a && b && !nft_live_find(&live, "eth0");
	ok = ok && strcmp(a->prefix, "i0_") == 0 && strcmp(b->prefix, "i1_") == 0;
	ok = ok && a->ncounters == 1 && b->ncounters == 2;
	c = ok ? nft_counter_find(a->counters, a->ncounters, 3) : NULL;
	ok = ok && c && c->packets == 5 && c->bytes == 420;
	c = ok ? nft_counter_find(b->counters, b->ncounters, 12) : NULL;
	ok = ok && c && c->packets == 7 && c->bytes == 700;
	ok = ok && !nft_counter_find(b->counters, b->ncounters, 3);
	if (ok) {
		passed++;
		printf("ok   the live table: prefixes by interface, counters by rule\n");
	} else {
		failed++;
		printf("FAIL the live table: prefixes by interface, counters by rule (%d: %s)\n",
		       ret, err);
	}
	nft_live_free(&live);
	err[0] = '\0';
	ret = nft_live_parse(broken, counters, &live, err, sizeof(err));
	if (ret == -EINVAL && strstr(err, "JSON")) {
		passed++;
		printf("ok   a listing that is not JSON is an error that says so\n");
	} else {
		failed++;
		printf("FAIL a listing that is not JSON is an error that says so (%d: %s)\n", ret,
		       err);
	}
	nft_live_free(&live);
	free(chain);
	free(counters);
}

int main(void)
{
	const struct nft_iface one[] = {IFACE("eth0", 0x40000000, 0x40000000, NULL)};
	const struct nft_iface same[] = {IFACE("eth0", 0x40000000, 0x40000000, NULL),
					 IFACE("eth1", 0x40000000, 0x40000000, "")};
	const struct nft_iface marks[] = {IFACE("eth0", 0x40000000, 0x40000000, NULL),
					  IFACE("eth1", 0x00100000, 0x00f00000, NULL),
					  IFACE("eth2", 0x40000000, 0x40000000, NULL)};
	const struct nft_iface egress[] = {
		IFACE("eth0", 0x40000000, 0x40000000,
		      "counter %UT%r4 { }\nchain %UT%egress {\n\ttcp sport 5432 counter name %UT%r4 notrack accept\n}\n"),
		IFACE("eth1", 0x40000000, 0x40000000, NULL),
		IFACE("eth2", 0x40000000, 0x40000000,
		      "chain %UT%egress {\n\tudp dport 19 drop\n}")};
	const struct nft_iface quote[] = {IFACE("a\"b", 0x40000000, 0x40000000, NULL)};
	const struct nft_set_elems sets[] = {{.index = 0, .v4 = "10.0.0.0/8, 192.0.2.1", .v6 = ""},
					     {.index = 3, .v4 = NULL, .v6 = "2001:db8::/32"}};
	const struct nft_counter counters[] = {{.id = 2, .packets = 5, .bytes = 300},
					       {.id = 40, .packets = 1, .bytes = 60}};
	const struct nft_iface live[] = {
		{.ifname = "eth0",
		 .mark_value = 0x40000000,
		 .mark_mask = 0x40000000,
		 .egress = "counter %UT%r2 { }\ncounter %UT%r4 { }\ncounter %UT%r40 { }\n"
			   "chain %UT%egress {\n}\n",
		 .sets = sets,
		 .nsets = 2,
		 .counters = counters,
		 .ncounters = 2}};
	char err[256] = "", *text = NULL;
	int ret;

	check("nothing attached: the table goes", NULL, 0, HEAD);
	check("one interface: one notrack rule", one, 1,
	      HEAD TABLE NOTRACK("0x40000000", "0x40000000") "\t}\n}\n");
	check("two interfaces, one mark: one rule", same, 2,
	      HEAD TABLE NOTRACK("0x40000000", "0x40000000") "\t}\n}\n");
	check("different marks: one rule each, sorted", marks, 3,
	      HEAD TABLE NOTRACK("0x00f00000", "0x00100000")
		      NOTRACK("0x40000000", "0x40000000") "\t}\n}\n");
	check("egress templates: an output chain, each template under its prefix", egress, 3,
	      HEAD TABLE NOTRACK(
		      "0x40000000",
		      "0x40000000") "\t}\n"
				    "\tchain output {\n"
				    "\t\ttype filter hook output priority raw; policy accept;\n"
				    "\t\toifname \"eth0\" jump i0_egress\n"
				    "\t\toifname \"eth2\" jump i2_egress\n"
				    "\t}\n"
				    "\tcounter i0_r4 { }\n"
				    "\tchain i0_egress {\n"
				    "\t\ttcp sport 5432 counter name i0_r4 notrack accept\n"
				    "\t}\n"
				    "\tchain i2_egress {\n"
				    "\t\tudp dport 19 drop\n"
				    "\t}\n"
				    "}\n");
	check("a name nft cannot quote is refused", quote, 1, NULL);
	check("counters carried over, sets refilled after the table", live, 1,
	      HEAD TABLE NOTRACK(
		      "0x40000000",
		      "0x40000000") "\t}\n"
				    "\tchain output {\n"
				    "\t\ttype filter hook output priority raw; policy accept;\n"
				    "\t\toifname \"eth0\" jump i0_egress\n"
				    "\t}\n"
				    "\tcounter i0_r2 { packets 5 bytes 300 }\n"
				    "\tcounter i0_r4 { }\n"
				    "\tcounter i0_r40 { packets 1 bytes 60 }\n"
				    "\tchain i0_egress {\n"
				    "\t}\n"
				    "}\n"
				    "flush set inet untrack i0_s0v4\n"
				    "add element inet untrack i0_s0v4 { 10.0.0.0/8, 192.0.2.1 }\n"
				    "flush set inet untrack i0_s0v6\n"
				    "flush set inet untrack i0_s3v4\n"
				    "flush set inet untrack i0_s3v6\n"
				    "add element inet untrack i0_s3v6 { 2001:db8::/32 }\n");
	ret = nft_sets_text("i7_", sets, 1, &text, err, sizeof(err));
	check_text("a set edit: flush and refill, no empty element list", ret, err, text,
		   "flush set inet untrack i7_s0v4\n"
		   "add element inet untrack i7_s0v4 { 10.0.0.0/8, 192.0.2.1 }\n"
		   "flush set inet untrack i7_s0v6\n");
	check_live();
	printf("test_nft: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
