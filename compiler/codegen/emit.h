/* Code generation: IR → BPF C for the XDP policy program. The generator
 * picks a strategy per policy; each strategy emits the body that sets
 * `verdict` and `rule` for the shared epilogue (runtime-bpf/untrack_abi.h,
 * ut_decide). */
#ifndef UNTRACK_EMIT_H
#define UNTRACK_EMIT_H

#include <stdio.h>

#include "ir/ir.h"

enum emit_strategy {
	EMIT_AUTO,   /* let the generator choose */
	EMIT_LINEAR, /* one straight-line test per rule */
	EMIT_TABLE,  /* rules as data: per-field classes, candidate lists */
};

struct emit_options {
	enum emit_strategy strategy;
};

/* The strategy EMIT_AUTO resolves to for p. */
enum emit_strategy emit_choose(const struct ir_program *p, enum emit_strategy requested);
const char *emit_strategy_name(enum emit_strategy s);
/* Parse a strategy name; returns -1 when unknown. */
int emit_strategy_parse(const char *name);

/* Write the whole C translation unit for p. */
void emit_c(const struct ir_program *p, const struct emit_options *o, FILE *out);

/* Shared by the strategies (emit_*.c). */
struct emit_ctx {
	const struct ir_program *p;
	FILE *out;
};

/* Does r test some field of the packet? A rule that does not matches
 * every IP packet (or, with 'incomplete', every incomplete frame). */
bool emit_rule_reads_fields(const struct ir_rule *r);
/* A rule with no condition at all: it must still not match a frame of no
 * family (untrack_abi.h, UT_FAM_*). */
bool emit_rule_is_bare(const struct ir_rule *r);
/* A frame of no family meets only the rules whose sole condition is
 * 'incomplete': where a strategy would let it reach others, it first runs
 * this block, which decides it in evaluation order among those rules. */
void emit_deep_frames(const struct emit_ctx *e);
/* What rule r does once it matched, as statements after indent: a log
 * rule counts and logs, the others set verdict and rule and go to decide. */
void emit_action(FILE *out, const struct ir_rule *r, const char *indent);
/* Does rule r test anything of a packet of family fam (FAM_V4 or FAM_V6,
 * one of the rule's families, which the caller has tested; 0: none tested)? */
bool emit_rule_has_tests(const struct ir_rule *r, uint8_t fam);
/* The C condition that holds when rule r matches such a packet in `st`:
 * its tests joined by "&&", each after the first on a line of its own
 * starting with indent, aligned under `if (`. "1" when it has no test. */
void emit_rule_condition_in(const struct emit_ctx *e, const struct ir_rule *r, uint8_t fam,
			    const char *indent);
/* The test that st-><field>4 (IPv4) or st-><field>64[] (IPv6) is inside p. */
void emit_prefix4(FILE *out, const char *field, const struct prefix *p);
void emit_prefix6(FILE *out, const char *field, const struct prefix *p);
void emit_linear_body(const struct emit_ctx *e);

/* The table strategy (table_emit.c): file-scope declarations (data,
 * lookups, the candidate check), then the body inside the program. The
 * state passes from one to the other and is freed by the body. */
void emit_table_prelude(const struct emit_ctx *e, void **state);
void emit_table_main(const struct emit_ctx *e, void *state);
/* What the table strategy builds for p, as '#' comment lines. */
void emit_table_describe(const struct ir_program *p, FILE *out);

/* Why the strategy s was chosen for p and what it builds: '#' comment
 * lines for --dump=ir and -v. */
void emit_describe(const struct ir_program *p, enum emit_strategy requested, FILE *out);

#endif
