/* The back end: IR → generated C → clang → BPF object file. */
#ifndef UNTRACK_BACKEND_H
#define UNTRACK_BACKEND_H

#include <stdbool.h>
#include <stddef.h>

#include "codegen/emit.h"
#include "ir/ir.h"

struct backend_options {
	const char *clang; /* NULL: $CLANG, then "clang" in PATH */
	bool verbose;	   /* print the clang command line */
	enum emit_strategy strategy;
};

/* Compile p into the BPF object `output`. On any failure nothing is left
 * at `output` (an existing file there is untouched) and err says why.
 * Returns 0 or -1. */
int backend_compile(const struct ir_program *p, const struct backend_options *o, const char *output,
		    char *err, size_t errlen);

/* Write the generated C to path ("-": standard output). */
int backend_emit_c(const struct ir_program *p, const struct backend_options *o, const char *path,
		   char *err, size_t errlen);

#endif
