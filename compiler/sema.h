/* Semantic checks and lowering: AST in, checked and normalised IR out. */
#ifndef UNTRACK_SEMA_H
#define UNTRACK_SEMA_H

#include "ast.h"
#include "diag.h"
#include "ir.h"

/* Report every semantic error in ast; return the IR, or NULL when any
 * error (syntax errors included) was recorded in d. */
struct ir_program *sema_lower(struct diag_ctx *d, const struct ast_file *ast);

#endif
