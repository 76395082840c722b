/* Shadowed-rule analysis: warn about every rule that an earlier deciding rule
 * of the same direction always decides first. */
#ifndef UNTRACK_SHADOW_H
#define UNTRACK_SHADOW_H

#include "front/diag.h"
#include "ir/ir.h"

/* Emit one warning per shadowed rule, with a note at the shadowing rule. */
void shadow_check(const struct ir_program *p, struct diag_ctx *d);

#endif
