/* A minimal test runner for the kernel tests. They need root and a BPF
 * capable kernel, so "cannot run" is an outcome of its own: a skip normally,
 * a failure under CI=true, where a skipped kernel test would hide a broken
 * machine. */
#ifndef UNTRACK_KT_H
#define UNTRACK_KT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

struct kt {
	int passed, failed, skipped;
	bool ci;	   /* CI=true: a skip counts as a failure */
	int case_failures; /* failed checks in the running case */
	int case_skip;	   /* the running case asked to be skipped */
	const char *case_name;
};

void kt_init(struct kt *t);

/* Run one case: fn returns normally; checks inside record failures. */
void kt_run(struct kt *t, const char *name, void (*fn)(struct kt *t, void *arg), void *arg);

/* Record a failed check (printed, at most a few per case). */
void kt_fail(struct kt *t, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* The case cannot run here (no root, no kernel support). */
void kt_skip(struct kt *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Print "N passed, N failed, N skipped"; returns the exit status. */
int kt_finish(struct kt *t);

#define KT_CHECK(t, cond, ...)                                                                     \
	do {                                                                                       \
		if (!(cond))                                                                       \
			kt_fail((t), __FILE__, __LINE__, __VA_ARGS__);                             \
	} while (0)

#endif
