/* How the loader reports failures.
 *
 * Every function that can fail returns 0 or -errno. One that takes a
 * message buffer (char *err, size_t errlen) writes a message there on every
 * failure, saying what failed and on what input, so that the command that
 * prints it never prints a stale or empty buffer. ut_fail() is how: it
 * writes the message and returns the error, so a failure is one statement.
 *
 * Commands print with ut_error() and ut_note(); nothing else in the loader
 * writes to stderr. */
#ifndef UNTRACK_ERRORS_H
#define UNTRACK_ERRORS_H

#include <stddef.h>

/* Write the message into buf (len bytes, cut to fit, always terminated when
 * len > 0) and return err, which must be -errno; a non-negative err is
 * returned as -EIO, so that a failure never reads as success. */
__attribute__((format(printf, 4, 5))) int ut_fail(int err, char *buf, size_t len, const char *fmt,
						  ...);

/* For tests: UNTRACK_FAIL_AFTER=STEP makes a changing command fail right
 * after step STEP, so that every undo path runs for real. -EIO with a
 * message when step is the one named, else 0. */
int ut_injected(const char *step, char *err, size_t errlen);

/* "untrack: error: ..." on stderr. */
__attribute__((format(printf, 1, 2))) void ut_error(const char *fmt, ...);

/* "untrack: note: ..." on stderr: something the user should know that is
 * not a failure (nothing to do, a program left in place). */
__attribute__((format(printf, 1, 2))) void ut_note(const char *fmt, ...);

#endif
