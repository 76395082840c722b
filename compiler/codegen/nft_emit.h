/* Egress rules → nftables text: the template a policy object carries
 * (objfmt/nft_template.h has the contract with the loader, docs/egress.md
 * the semantics) and the ruleset of --emit=nft. */
#ifndef UNTRACK_CODEGEN_NFT_EMIT_H
#define UNTRACK_CODEGEN_NFT_EMIT_H

#include <stdbool.h>
#include <stdio.h>

#include "ir/ir.h"
#include "objfmt/nft_template.h"

/* Does p have any egress rule (a non-empty template)? */
bool emit_nft_needed(const struct ir_program *p);

/* Write the template's declarations with `prefix` in place of the
 * placeholder: NFT_PLACEHOLDER for the template itself. Writes nothing
 * when p has no egress rule. */
void emit_nft_body(const struct ir_program *p, const char *prefix, FILE *out);

/* The C definition of the section holding the template, for emit_c(). */
void emit_nft_section(const struct ir_program *p, FILE *out);

/* untrackc --emit=nft: a complete ruleset for `nft -f`: the table with the
 * template instantiated for `iface` (prefix NFT_DEFAULT_PREFIX) and the
 * output base chain that jumps to it. iface must pass nft_iface_ok(). */
void emit_nft_ruleset(const struct ir_program *p, const char *iface, FILE *out);

#endif
