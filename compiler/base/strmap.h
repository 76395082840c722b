/* A string → index map (open addressing) for name look-ups that must stay
 * fast on generated policies with many thousands of names. */
#ifndef UNTRACK_STRMAP_H
#define UNTRACK_STRMAP_H

#include <stddef.h>
#include <stdint.h>

struct strmap_slot {
	const char *key; /* borrowed: must outlive the map */
	size_t value;
};

struct strmap {
	struct strmap_slot *slots;
	size_t cap, n;
};

/* Returns the existing value's address if key is present, else inserts
 * (key, value) and returns NULL. */
size_t *strmap_put(struct strmap *m, const char *key, size_t value);
size_t *strmap_get(const struct strmap *m, const char *key);
void strmap_free(struct strmap *m);

#endif
