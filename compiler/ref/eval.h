/* The reference evaluator: the spec's verdict for a packet, straight from the
 * IR, with no cleverness. It is the oracle every code generation strategy is
 * compared with. */
#ifndef UNTRACK_EVAL_H
#define UNTRACK_EVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ir/ir.h"
#include "ref/pkt.h"

enum eval_verdict { EVAL_NONE, EVAL_ALLOW, EVAL_DENY, EVAL_PASS };

#define EVAL_MAX_LOGGED 64

struct eval_result {
	enum eval_verdict verdict;
	int64_t rule; /* deciding rule id, -1 when none decided */
	/* log rules that matched before the decision, in order (first
	 * EVAL_MAX_LOGGED of them) */
	uint32_t logged[EVAL_MAX_LOGGED];
	size_t nlogged;
};

bool eval_rule_matches(const struct ir_program *p, const struct ir_rule *r,
		       const struct pkt_fields *f);

void eval_packet(const struct ir_program *p, enum rule_dir dir, const struct pkt_fields *f,
		 struct eval_result *out);

const char *eval_verdict_name(enum eval_verdict v);

#endif
