/* Code generation: IR → BPF C for the XDP policy program. The generator
 * picks a strategy per policy; each strategy emits the body that sets
 * `verdict` and `rule` for the shared epilogue (runtime-bpf/untrack_abi.h,
 * ut_decide). */
#ifndef UNTRACK_EMIT_H
#define UNTRACK_EMIT_H

#include <stdio.h>

#include "ir.h"

enum emit_strategy {
	EMIT_AUTO,   /* let the generator choose */
	EMIT_LINEAR, /* one straight-line test per rule */
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

void emit_c_string(FILE *out, const char *s);
void emit_line_directive(const struct emit_ctx *e, const struct ir_rule *r);
/* The C condition that holds when rule r matches the packet in `st`. */
void emit_rule_condition(const struct emit_ctx *e, const struct ir_rule *r);
void emit_linear_body(const struct emit_ctx *e);

#endif
