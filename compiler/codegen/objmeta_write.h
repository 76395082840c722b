/* The object's self description (objfmt/objmeta.h has the format), written
 * from the IR into the generated C. */
#ifndef UNTRACK_CODEGEN_OBJMETA_WRITE_H
#define UNTRACK_CODEGEN_OBJMETA_WRITE_H

#include <stdint.h>
#include <stdio.h>

#include "ir/ir.h"
#include "objfmt/objmeta.h"

/* Write the description of p (for ABI version abi) to out. */
void objmeta_write(const struct ir_program *p, uint32_t abi, FILE *out);

#endif
