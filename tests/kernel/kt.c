#include "kt.h"

#include <stdlib.h>
#include <string.h>

/* Enough to see a pattern without drowning the log. */
#define KT_MAX_PRINTED 10

void kt_init(struct kt *t)
{
	const char *ci = getenv("CI");

	memset(t, 0, sizeof(*t));
	t->ci = ci && strcmp(ci, "true") == 0;
}

void kt_run(struct kt *t, const char *name, void (*fn)(struct kt *t, void *arg), void *arg)
{
	t->case_name = name;
	t->case_failures = 0;
	t->case_skip = 0;
	fn(t, arg);
	if (t->case_failures) {
		printf("FAIL  %s (%d failed checks)\n", name, t->case_failures);
		t->failed++;
	} else if (t->case_skip) {
		printf("%s  %s\n", t->ci ? "FAIL" : "SKIP", name);
		if (t->ci)
			t->failed++;
		else
			t->skipped++;
	} else {
		printf("ok    %s\n", name);
		t->passed++;
	}
	fflush(stdout);
}

void kt_fail(struct kt *t, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	if (t->case_failures++ >= KT_MAX_PRINTED)
		return;
	fprintf(stderr, "%s:%d: %s: ", file, line, t->case_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void kt_skip(struct kt *t, const char *fmt, ...)
{
	va_list ap;

	t->case_skip = 1;
	fprintf(stderr, "%s: %s: ", t->case_name, t->ci ? "cannot run under CI=true" : "skipped");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int kt_finish(struct kt *t)
{
	printf("%d passed, %d failed, %d skipped\n", t->passed, t->failed, t->skipped);
	return t->failed ? 1 : 0;
}
