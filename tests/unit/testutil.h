/* Shared helpers for the cmocka unit tests. */
#ifndef UNTRACK_TESTUTIL_H
#define UNTRACK_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "front/diag.h"
#include "ir/ir.h"
#include "policy_text.h"

/* Compile policy text held in a string. Returns the IR or NULL; the
 * diagnostics stay in *d (call diag_free). */
static inline struct ir_program *tu_compile(struct diag_ctx *d, const char *src)
{
	diag_init(d, "test.utp", src, strlen(src));
	return policy_compile(d);
}

/* Render the recorded diagnostics as text ("file:line:col: severity: msg"
 * lines plus source excerpts), malloc'd. */
static inline char *tu_diag_text(const struct diag_ctx *d, enum diag_format fmt)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	diag_print(d, fmt, false, f);
	fclose(f);
	return buf;
}

/* The first recorded diagnostic as "LINE:COL: severity: message". */
static inline char *tu_first_diag(const struct diag_ctx *d)
{
	static const char *sev[] = {"error", "warning", "note"};
	char *out = NULL;

	if (d->n == 0)
		return strdup("");
	if (asprintf(&out, "%d:%d: %s: %s", d->items[0].loc.first_line,
		     d->items[0].loc.first_column, sev[d->items[0].severity],
		     d->items[0].message) < 0)
		abort();
	return out;
}

#endif
