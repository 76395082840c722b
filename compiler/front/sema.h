/* Semantic checks and lowering: AST in, checked and normalised IR out. */
#ifndef UNTRACK_SEMA_H
#define UNTRACK_SEMA_H

#include "front/ast.h"
#include "front/diag.h"
#include "ir/ir.h"

/* Report every semantic error in ast; return the IR, or NULL when any
 * error (syntax errors included) was recorded in d. */
/* The rules of ast are released as they are lowered: afterwards the tree
 * holds its sets and policies without rules (ast_file_free still applies). */
struct ir_program *sema_lower(struct diag_ctx *d, struct ast_file *ast);

#endif
