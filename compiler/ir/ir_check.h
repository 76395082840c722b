/* The IR's documented invariants (ir.h), checked: what every pass after
 * lowering relies on without testing it again. untrackc runs the check after
 * lowering unless built with NDEBUG; the tests run it on every program they
 * build. */
#ifndef UNTRACK_IR_IR_CHECK_H
#define UNTRACK_IR_IR_CHECK_H

#include <stddef.h>

#include "ir/ir.h"

/* 0 when p keeps every invariant; otherwise -1 with the first broken one
 * described in why ("rule 3: source prefixes not sorted"). */
int ir_check(const struct ir_program *p, char *why, size_t len);

#endif
