/* Case files: packets with the verdict a policy must give them, checked by
 * `untrackc --test CASES FILE.utp` with the reference evaluator, so a CI
 * pipeline can hold a policy to its intent without privileges.
 * The format is described in docs/cases.md. */
#ifndef UNTRACK_CASES_H
#define UNTRACK_CASES_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "front/diag.h"
#include "ref/eval.h"
#include "ir/ir.h"

struct case_item {
	int line; /* in the case file */
	enum rule_dir dir;
	enum eval_verdict expect;
	int expect_rule_line; /* policy line of the deciding rule; 0: not asserted */
	uint8_t *frame;	      /* Ethernet frame */
	size_t len;
	char *text; /* the case as written, without comment or outer spaces */
};

struct case_file {
	struct case_item *items;
	size_t n, cap;
};

/* Parse d->source (the case file's text, d->file its name) into *out,
 * reporting malformed lines through d with line and column. Every line is
 * checked, so one run reports every mistake. Returns 0 when there were no
 * errors, else -1 with *out left empty (cases_free is harmless on it). */
int cases_parse(struct diag_ctx *d, struct case_file *out);

void cases_free(struct case_file *cf);

/* Run every case through pkt_parse and eval_packet. Prints one line per
 * failure ("CASES:LINE: FAIL: expected ..., got ...") and then exactly
 * "N passed, M failed". Returns the number of failures. */
int cases_run(const struct ir_program *p, const struct case_file *cf, const char *cases_name,
	      FILE *out);

#endif
