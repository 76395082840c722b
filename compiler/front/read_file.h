/* Reading a policy or case file whole, before anything parses it. */
#ifndef UNTRACK_FRONT_READ_FILE_H
#define UNTRACK_FRONT_READ_FILE_H

#include <stddef.h>

/* Largest input accepted; larger ones are refused before parsing. */
#define SOURCE_MAX_SIZE (256u * 1024 * 1024)

/* Read a whole file (or "-" for stdin) into a NUL-terminated buffer.
 * Returns 0, or -errno with *why set to a static description
 * ("not a regular file", ...). */
int read_source_file(const char *path, char **buf, size_t *len, const char **why);

#endif
