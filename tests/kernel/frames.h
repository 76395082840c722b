/* Frames for the parser comparison: a crafted corpus covering every header
 * the packet view defines, and a seeded generator of structured random
 * frames (plausible header stacks with random values) for mutation. */
#ifndef UNTRACK_KT_FRAMES_H
#define UNTRACK_KT_FRAMES_H

#include <stddef.h>
#include <stdint.h>

/* Room for chains of a few hundred IPv6 extension headers; below what
 * BPF_PROG_TEST_RUN takes for XDP (a page less head- and tailroom). */
#define FRAME_MAX 3072

/* When UT_RT_TRUNCATED ("a field was cut off by the frame end") must count
 * for a prefix of a crafted frame. */
enum frame_trunc {
	TRUNC_BY_FIELDS, /* exactly when the prefix lost a readable field */
	TRUNC_ALWAYS,	 /* the whole frame already ends inside a header */
	TRUNC_UNCHECKED, /* the parse reads on but can gain nothing (too deep) */
};

struct frame {
	char name[80];
	uint8_t data[FRAME_MAX];
	size_t len;
	enum frame_trunc trunc;
};

struct corpus {
	struct frame *v;
	size_t n, cap;
};

int corpus_build(struct corpus *c);
void corpus_free(struct corpus *c);

/* xorshift64*: the same seed gives the same frames on every machine. */
struct rng {
	uint64_t s;
};

uint64_t rng_next(struct rng *r);
static inline uint32_t rng_below(struct rng *r, uint32_t n)
{
	return (uint32_t)(rng_next(r) % n);
}

/* A random header stack in buf (cap >= 512; longer chains of IPv6
 * extension headers are cut at cap); returns its length. */
size_t frame_random(struct rng *r, uint8_t *buf, size_t cap);

/* Flip, set or copy a few random bytes of frame, biased towards the
 * headers. */
void frame_mutate(struct rng *r, uint8_t *frame, size_t len);

#endif
