/* The loader's commands and the one error printer they share. */
#ifndef UNTRACK_COMMANDS_H
#define UNTRACK_COMMANDS_H

#include <stdio.h>

/* Exit statuses of every command. */
#define UT_EXIT_OK    0
#define UT_EXIT_FAIL  1 /* the request could not be carried out */
#define UT_EXIT_USAGE 2 /* bad command line */

/* "untrack: error: ..." on stderr. */
__attribute__((format(printf, 1, 2))) void ut_error(const char *fmt, ...);

/* A JSON string literal for s. */
void ut_json_string(FILE *out, const char *s);

int cmd_replay(int argc, char **argv);

#endif
