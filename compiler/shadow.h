/* Shadowed-rule analysis: warn about every rule that an earlier deciding rule
 * of the same direction always decides first. */
#ifndef UNTRACK_SHADOW_H
#define UNTRACK_SHADOW_H

#include "diag.h"
#include "ir.h"

/* Does every packet that rule r matches also match rule e? Exact for the
 * conditions the IR has, including which fields a packet can lack
 * (truncation, fragments, protocols without ports). Named sets count with
 * their initial contents. */
bool shadow_rule_covers(const struct ir_program *p, const struct ir_rule *e,
			const struct ir_rule *r);

/* Emit one warning per shadowed rule, with a note at the shadowing rule. */
void shadow_check(const struct ir_program *p, struct diag_ctx *d);

#endif
