#include "policy_text.h"

#include <stdio.h>
#include <stdlib.h>

#include "analysis/shadow.h"
#include "front/sema.h"
#include "ir/ir_check.h"
#include "grammar/parse.h"

static struct ir_program *front(struct diag_ctx *d, bool analyse)
{
	struct ast_file ast;
	struct ir_program *ir;
	char why[256];

	parse_source(d, &ast);
	/* Check even a tree with syntax errors, as untrackc does. */
	ir = sema_lower(d, &ast);
	ast_file_free(&ast);
	if (ir && ir_check(ir, why, sizeof(why)) != 0) {
		fprintf(stderr, "policy_text: the IR of %s breaks an invariant: %s\n", d->file,
			why);
		abort();
	}
	if (ir && d->errors == 0 && analyse)
		shadow_check(ir, d);
	if (d->errors > 0) {
		ir_free(ir);
		return NULL;
	}
	return ir;
}

struct ir_program *policy_compile(struct diag_ctx *d)
{
	return front(d, true);
}

struct ir_program *policy_lower(struct diag_ctx *d)
{
	return front(d, false);
}
