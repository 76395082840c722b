/* cases2pcap CASES POLICY.utp OUT.pcap EXPECTED.jsonl
 *
 * Turns a case file into a capture of its ingress frames, and writes what
 * the reference evaluator says of each frame in the exact JSON-lines form
 * of `untrack replay --json` (without the kernel-only fields), so a test can
 * compare the kernel's verdicts with the reference's line by line. Used by
 * the kernel tests and by `make demo`; captures are built, never
 * committed. */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ref/cases.h"
#include "front/diag.h"
#include "ref/eval.h"
#include "front/read_file.h"
#include "policy_text.h"
#include "ref/pkt.h"

static char *read_all(const char *path, size_t *len)
{
	char *buf;
	const char *why;
	int err = read_source_file(path, &buf, len, &why);

	if (err) {
		fprintf(stderr, "cases2pcap: error: cannot read '%s': %s\n", path,
			why ? why : strerror(-err));
		exit(2);
	}
	return buf;
}

int main(int argc, char **argv)
{
	size_t clen, plen;
	struct diag_ctx cd, pd;
	struct case_file cf;

	if (argc != 5) {
		fputs("usage: cases2pcap CASES POLICY.utp OUT.pcap EXPECTED.jsonl\n", stderr);
		return 2;
	}
	char *ctext = read_all(argv[1], &clen), *ptext = read_all(argv[2], &plen);
	diag_init(&cd, argv[1], ctext, clen);
	diag_init(&pd, argv[2], ptext, plen);
	struct ir_program *ir = policy_compile(&pd);
	int bad_cases = cases_parse(&cd, &cf);
	if (!ir || bad_cases) {
		diag_print(&pd, DIAG_TEXT, false, stderr);
		diag_print(&cd, DIAG_TEXT, false, stderr);
		return 1;
	}

	pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
	pcap_dumper_t *dump = dead ? pcap_dump_open(dead, argv[3]) : NULL;
	FILE *expected = fopen(argv[4], "w");
	if (!dump || !expected) {
		fprintf(stderr, "cases2pcap: error: cannot write '%s' or '%s'\n", argv[3], argv[4]);
		return 2;
	}
	unsigned long n = 0;
	for (size_t i = 0; i < cf.n; i++) {
		const struct case_item *c = &cf.items[i];
		struct pkt_fields f;
		struct eval_result r;
		struct pcap_pkthdr h = {.caplen = (bpf_u_int32)c->len, .len = (bpf_u_int32)c->len};

		if (c->dir != DIR_INGRESS) /* XDP sees ingress only */
			continue;
		h.ts.tv_sec = (time_t)++n;
		pcap_dump((unsigned char *)dump, &h, c->frame);
		pkt_parse(c->frame, c->len, &f);
		eval_packet(ir, DIR_INGRESS, &f, &r);
		fprintf(expected, "{\"packet\": %lu, \"verdict\": \"%s\", \"rule\": ", n,
			eval_verdict_name(r.verdict));
		if (r.rule >= 0) {
			const struct ir_rule *rule = &ir->rules[r.rule];
			fprintf(expected, "{\"policy\": \"%s\", \"line\": %d}}\n",
				ir->policies[rule->policy].name, rule->loc.first_line);
		} else {
			fputs("null}\n", expected);
		}
	}
	pcap_dump_close(dump);
	pcap_close(dead);
	fclose(expected);
	cases_free(&cf);
	ir_free(ir);
	diag_free(&cd);
	diag_free(&pd);
	free(ctext);
	free(ptext);
	return 0;
}
