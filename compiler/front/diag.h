/* Diagnostics: records queued while the front end runs, printed once at the
 * end, GCC style or as JSON lines. */
#ifndef UNTRACK_DIAG_H
#define UNTRACK_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "base/loc.h"

enum diag_severity { DIAG_ERROR, DIAG_WARNING, DIAG_NOTE };

enum diag_format { DIAG_TEXT, DIAG_JSON };

struct diag {
	enum diag_severity severity;
	struct ut_loc loc;
	bool has_loc;
	char *message;
};

/* Everything diagnostics need to know about the input being compiled. */
struct diag_ctx {
	const char *file;   /* name as given by the user */
	const char *source; /* the whole input, NUL-terminated copy */
	size_t source_len;  /* may contain NUL bytes before the end */
	struct diag *items;
	size_t n, cap;
	size_t errors, warnings;
	size_t max_errors; /* stop recording errors past this many (0: no limit) */
	bool werror;	   /* warnings count as errors */
	bool no_warnings;  /* -w: drop warnings */
	bool truncated;	   /* max_errors was reached */
	bool drop_notes;   /* the last error or warning was dropped: so are its notes */
};

void diag_init(struct diag_ctx *d, const char *file, const char *source, size_t len);
void diag_free(struct diag_ctx *d);

/* Record one diagnostic. The format string must be one literal so messages
 * can be grepped. */
__attribute__((format(printf, 4, 5))) void diag_at(struct diag_ctx *d, enum diag_severity sev,
						   struct ut_loc loc, const char *fmt, ...);
/* A diagnostic about the input as a whole (no line). */
__attribute__((format(printf, 3, 4))) void diag_file(struct diag_ctx *d, enum diag_severity sev,
						     const char *fmt, ...);

/* True when errors were recorded, counting warnings under -Werror. */
bool diag_failed(const struct diag_ctx *d);

/* True once max_errors has been reached: callers may stop early. */
bool diag_should_stop(const struct diag_ctx *d);

/* Print everything recorded, in source order, to out. */
void diag_print(const struct diag_ctx *d, enum diag_format fmt, bool color, FILE *out);

#endif
