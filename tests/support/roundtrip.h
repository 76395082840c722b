/* The canonical text's promise, checked: ir_rule.text is policy text that
 * means the same rule. Re-parsing every rule's text, with the program's sets
 * written back from the IR, must give the same rule fields and the same text
 * again (canonical(canonical(x)) == canonical(x)). */
#ifndef UNTRACK_TESTS_ROUNDTRIP_H
#define UNTRACK_TESTS_ROUNDTRIP_H

#include <stddef.h>

#include "ir/ir.h"

/* 0 when every rule of p comes back the same; otherwise -1 with the first
 * difference described in why. */
int roundtrip_check(const struct ir_program *p, char *why, size_t len);

/* The field-by-field comparison the check uses: 0 when a and b are the same
 * rule (id, policy, location and text aside), else -1 with the first field
 * that differs in why. Set indices compare as indices: the rules must come
 * from programs whose sets stand in the same order. */
int roundtrip_rule_cmp(const struct ir_rule *a, const struct ir_rule *b, char *why, size_t len);

#endif
