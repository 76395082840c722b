#include "base/arena.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, cap;
	alignas(max_align_t) unsigned char data[];
};

/* Chunks start small, so an arena per policy costs little for a policy of
 * a few rules, and double up to a size malloc still serves from its heap
 * (not mmap), so memory freed with one arena is reused by the next. */
#define CHUNK_FIRST 1024
#define CHUNK_MAX   (64 * 1024)

void *arena_alloc(struct arena *a, size_t size)
{
	struct arena_chunk *c = a->head;
	size_t need = (size + alignof(max_align_t) - 1) & ~(alignof(max_align_t) - 1);

	if (need < size)
		xalloc_die();
	if (!c || c->cap - c->used < need) {
		size_t cap = c ? (c->cap < CHUNK_MAX ? c->cap * 2 : CHUNK_MAX) : CHUNK_FIRST;

		if (cap < need)
			cap = need;
		if (cap > SIZE_MAX - sizeof(*c))
			xalloc_die();
		c = xmalloc(sizeof(*c) + cap);
		c->used = 0;
		c->cap = cap;
		c->next = a->head;
		a->head = c;
	}
	void *p = c->data + c->used;
	c->used += need;
	return p;
}

void *arena_dup(struct arena *a, const void *src, size_t size)
{
	if (size == 0)
		return NULL;
	return memcpy(arena_alloc(a, size), src, size);
}

char *arena_strdup(struct arena *a, const char *s)
{
	return arena_dup(a, s, strlen(s) + 1);
}

void arena_free(struct arena *a)
{
	while (a->head) {
		struct arena_chunk *next = a->head->next;

		free(a->head);
		a->head = next;
	}
}
