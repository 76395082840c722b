/* The nftables transaction untrack commits, checked as text: no kernel, no
 * privileges. Each case is the interfaces attached and the exact text. */
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

int main(void)
{
	const struct nft_iface one[] = {{"eth0", 0x40000000, 0x40000000, NULL}};
	const struct nft_iface same[] = {{"eth0", 0x40000000, 0x40000000, NULL},
					 {"eth1", 0x40000000, 0x40000000, ""}};
	const struct nft_iface marks[] = {{"eth0", 0x40000000, 0x40000000, NULL},
					  {"eth1", 0x00100000, 0x00f00000, NULL},
					  {"eth2", 0x40000000, 0x40000000, NULL}};
	const struct nft_iface egress[] = {
		{"eth0", 0x40000000, 0x40000000,
		 "counter %UT%r4 { }\nchain %UT%egress {\n\ttcp sport 5432 counter name %UT%r4 notrack accept\n}\n"},
		{"eth1", 0x40000000, 0x40000000, NULL},
		{"eth2", 0x40000000, 0x40000000, "chain %UT%egress {\n\tudp dport 19 drop\n}"}};
	const struct nft_iface quote[] = {{"a\"b", 0x40000000, 0x40000000, NULL}};

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
	printf("test_nft: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
