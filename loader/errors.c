#include "errors.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ut_fail(int err, char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (buf && len) {
		va_start(ap, fmt);
		vsnprintf(buf, len, fmt, ap);
		va_end(ap);
	}
	return err < 0 ? err : -EIO;
}

int ut_injected(const char *step, char *err, size_t errlen)
{
	const char *at = getenv("UNTRACK_FAIL_AFTER");

	if (at && strcmp(at, step) == 0)
		return ut_fail(-EIO, err, errlen,
			       "failure injected after step '%s' (UNTRACK_FAIL_AFTER)", step);
	return 0;
}

static void say(const char *kind, const char *fmt, va_list ap)
{
	fprintf(stderr, "untrack: %s: ", kind);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void ut_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say("error", fmt, ap);
	va_end(ap);
}

void ut_note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say("note", fmt, ap);
	va_end(ap);
}
