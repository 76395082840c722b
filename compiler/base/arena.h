/* A bump allocator for many small objects that are freed together: the
 * rules of one policy in the syntax tree. One malloc per chunk instead of
 * one per object, and no per-object header or rounding to malloc's sizes. */
#ifndef UNTRACK_ARENA_H
#define UNTRACK_ARENA_H

#include <stddef.h>

struct arena_chunk;

struct arena {
	struct arena_chunk *head; /* the chunk being filled; older ones follow */
};

#define ARENA_INIT                                                                                 \
	{                                                                                          \
		NULL                                                                               \
	}

/* size bytes aligned for any object; never NULL (xalloc_die on failure).
 * The memory is not zeroed. */
void *arena_alloc(struct arena *a, size_t size);
/* A copy of size bytes of src (NULL when size is 0). */
void *arena_dup(struct arena *a, const void *src, size_t size);
char *arena_strdup(struct arena *a, const char *s);
/* Free every chunk; the arena is empty and usable again. */
void arena_free(struct arena *a);

#endif
