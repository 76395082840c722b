/* The grammar's one public entry: policy text → syntax tree. The scanner's
 * and the parser's state stay inside grammar/. */
#ifndef UNTRACK_GRAMMAR_PARSE_H
#define UNTRACK_GRAMMAR_PARSE_H

#include "front/ast.h"
#include "front/diag.h"

/* Parse d->source into *out. Returns 0 when the parse had no errors. The
 * tree is filled even on errors (whatever could be recovered), so a caller
 * can check it further and report every error of the file in one run. */
int parse_source(struct diag_ctx *d, struct ast_file *out);

#endif
