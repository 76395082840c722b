/* The front end as one call: source text in, checked IR (or diagnostics) out. */
#ifndef UNTRACK_FRONTEND_H
#define UNTRACK_FRONTEND_H

#include <stddef.h>

#include "ast.h"
#include "diag.h"
#include "ir.h"

/* Largest policy file accepted; larger inputs are refused before parsing. */
#define FRONTEND_MAX_FILE (256u * 1024 * 1024)

/* Read a whole file (or "-" for stdin) into a NUL-terminated buffer.
 * Returns 0, or -errno with *why set to a static description
 * ("not a regular file", ...). */
int frontend_read_file(const char *path, char **buf, size_t *len, const char **why);

/* Parse d->source into *out. Returns 0 when the parse had no errors. The
 * tree is filled even on errors (whatever could be recovered). */
int frontend_parse(struct diag_ctx *d, struct ast_file *out);

/* Check the tree and lower it, releasing its rules (see sema_lower). Returns
 * NULL when errors were found. */
struct ir_program *frontend_lower(struct diag_ctx *d, struct ast_file *ast);

/* parse + lower + warnings (shadowed rules, empty policies). NULL on error. */
struct ir_program *frontend_compile(struct diag_ctx *d);

#endif
