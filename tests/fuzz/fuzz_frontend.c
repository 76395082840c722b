/* libFuzzer target: the whole front end on arbitrary bytes.
 *
 * The input is taken as a policy file: parse, check, lower, warn; then every
 * diagnostic is rendered both as text and as JSON, and a program that
 * compiled is dumped, so the printers see whatever the passes produced.
 * Everything is freed, so LeakSanitizer checks the error paths too.
 *
 *   make fuzz                     build and run it (tests/fuzz/run.sh)
 *   build/fuzz/fuzz_frontend DIR  run it by hand on a corpus folder */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "front/diag.h"
#include "policy_text.h"
#include "ir/ir.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Render into memory: the output is thrown away, the code paths are not. */
static void render(const struct diag_ctx *d, const struct ir_program *prog)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	if (!out)
		abort();
	diag_print(d, DIAG_TEXT, false, out);
	diag_print(d, DIAG_TEXT, true, out);
	diag_print(d, DIAG_JSON, false, out);
	if (prog)
		ir_dump(prog, out);
	if (fclose(out) != 0)
		abort();
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The front end expects a NUL-terminated copy; the input may hold NULs
	 * of its own before the end. */
	char *src = malloc(size + 1);
	struct diag_ctx d;
	struct ir_program *prog;

	if (!src)
		return 0;
	if (size)
		memcpy(src, data, size);
	src[size] = '\0';

	diag_init(&d, "fuzz.utp", src, size);
	prog = policy_compile(&d);
	/* A program comes back exactly when there were no errors. */
	if ((prog != NULL) == (d.errors > 0))
		abort();
	render(&d, prog);

	if (prog)
		ir_free(prog);
	diag_free(&d);
	free(src);
	return 0;
}
