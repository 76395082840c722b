/* Allocation that cannot fail: the compiler has nothing sensible to do
 * without memory, so it says so and exits with the internal-failure status. */
#ifndef UNTRACK_XALLOC_H
#define UNTRACK_XALLOC_H

#include <stddef.h>

__attribute__((noreturn)) void xalloc_die(void);
void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xreallocarray(void *ptr, size_t n, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* Grow *items (count *n, capacity *cap) so one more element fits. */
#define XGROW(items, n, cap)                                                                       \
	do {                                                                                       \
		if ((n) == (cap)) {                                                                \
			(cap) = (cap) ? (cap)*2 : 4;                                               \
			(items) = xreallocarray((items), (cap), sizeof(*(items)));                 \
		}                                                                                  \
	} while (0)

#endif
