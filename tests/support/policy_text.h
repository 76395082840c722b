/* The compiler's front passes as one call, for tests, tools and benchmarks
 * that start from policy text: parse, check and lower, then the shadowed-rule
 * analysis, as untrackc runs them. Every program returned has passed
 * ir_check (a broken invariant aborts: it is a compiler bug). */
#ifndef UNTRACK_TESTS_POLICY_TEXT_H
#define UNTRACK_TESTS_POLICY_TEXT_H

#include "front/diag.h"
#include "ir/ir.h"

/* d->source → IR with untrackc's warnings recorded in d; NULL when errors
 * were found. */
struct ir_program *policy_compile(struct diag_ctx *d);

/* The same without the shadowed-rule analysis. */
struct ir_program *policy_lower(struct diag_ctx *d);

#endif
