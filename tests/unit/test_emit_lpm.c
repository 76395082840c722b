/* Address tables (objfmt/settables.h): the longest-prefix lookups against a
 * plain scan of the prefixes, and a named set's tables, read back exactly as
 * the BPF lookups in untrack_abi.h read them, against prefix_contains(), on
 * hand-picked edges (the /16 and /24 boundaries, /0, /32, /128, nesting)
 * and on random sets. */
#include "testutil.h"

#include <endian.h>

#include "objfmt/addr.h"
#include "objfmt/settables.h"

static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

static uint32_t mask4(unsigned len)
{
	return len ? 0xffffffffu << (32 - len) : 0;
}

/* ------------------------------------------------------------ lpm4 */

static uint32_t naive4(const struct lpm4_prefix *p, size_t n, uint32_t a)
{
	int best = -1;
	uint32_t v = 0;

	for (size_t i = 0; i < n; i++)
		if ((a & mask4(p[i].len)) == p[i].addr && (int)p[i].len > best) {
			best = p[i].len;
			v = p[i].value;
		}
	return v;
}

/* Addresses worth asking about: each prefix's ends and their neighbours,
 * the /24 and /16 boundaries around them, and random ones. */
static void check4(const struct lpm4_prefix *p, size_t n)
{
	struct lpm4 t;

	assert_int_equal(lpm4_build(p, n, 24, &t), 0);
	for (size_t i = 0; i < n; i++) {
		uint32_t lo = p[i].addr, hi = lo | ~mask4(p[i].len);
		const uint32_t probes[] = {lo,
					   hi,
					   lo - 1,
					   hi + 1,
					   lo + 1,
					   hi - 1,
					   lo & 0xffffff00u,
					   hi | 0xff,
					   lo ^ 0x80,
					   lo & 0xffff0000u,
					   hi | 0xffff};
		for (size_t k = 0; k < sizeof(probes) / sizeof(probes[0]); k++)
			assert_int_equal(lpm4_lookup(&t, probes[k]), naive4(p, n, probes[k]));
	}
	for (int k = 0; k < 2000; k++) {
		uint32_t a = rnd();
		if (n && k & 1)
			a = p[rnd() % n].addr ^ (rnd() & 0x3ff);
		assert_int_equal(lpm4_lookup(&t, a), naive4(p, n, a));
	}
	lpm4_free(&t);
}

static void lpm4_edges(void **state)
{
	(void)state;
	const struct lpm4_prefix p[] = {
		{0x00000000, 0, 1},  {0x0a000000, 8, 2},   {0x0a010000, 16, 3}, {0x0a010200, 24, 4},
		{0x0a010203, 32, 5}, {0x0a010280, 25, 6},  {0x0a018000, 17, 7}, {0xffffffff, 32, 8},
		{0xc0a80000, 23, 9}, {0x0a0102fc, 30, 10},
	};
	check4(p, sizeof(p) / sizeof(p[0]));
	check4(p + 1, 0);
	check4(p + 7, 1);
}

static void lpm4_random(void **state)
{
	(void)state;
	for (int round = 0; round < 40; round++) {
		size_t n = 1 + rnd() % 300, k = 0;
		struct lpm4_prefix *p = calloc(n, sizeof(*p));
		for (size_t i = 0; i < n; i++) {
			/* Clustered, so that prefixes nest and share /16s. */
			unsigned len = (round & 1) ? 8 + rnd() % 25 : 16 + rnd() % 17;
			uint32_t a = (0x0a000000u | (rnd() & 0x0003ffffu)) & mask4(len);
			bool dup = false;
			for (size_t j = 0; j < k; j++)
				dup |= p[j].addr == a && p[j].len == len;
			if (!dup)
				p[k++] = (struct lpm4_prefix){a, (uint8_t)len, (uint32_t)k + 1};
		}
		check4(p, k);
		free(p);
	}
}

/* ------------------------------------------------------------ lpm6 */

static uint32_t naive6(const struct lpm6_prefix *p, size_t n, const uint8_t a[16])
{
	int best = -1;
	uint32_t v = 0;

	for (size_t i = 0; i < n; i++) {
		struct prefix q = {.family = FAM_V6, .len = p[i].len};
		memcpy(q.addr, p[i].addr, 16);
		if (prefix_contains(&q, a) && (int)p[i].len > best) {
			best = p[i].len;
			v = p[i].value;
		}
	}
	return v;
}

static void lpm6_random(void **state)
{
	(void)state;
	for (int round = 0; round < 30; round++) {
		size_t n = 1 + rnd() % 200;
		struct lpm6_prefix *p = calloc(n, sizeof(*p));
		struct lpm6 t;
		for (size_t i = 0; i < n; i++) {
			struct prefix q = {.family = FAM_V6};
			static const unsigned lens[] = {0, 16, 32, 48, 56, 64, 65, 96, 127, 128};
			q.len = (uint8_t)lens[rnd() % 10];
			q.addr[0] = 0x20;
			q.addr[1] = 0x01;
			for (int b = 2; b < 16; b++)
				q.addr[b] = (uint8_t)(rnd() % 3);
			prefix_normalize(&q);
			memcpy(p[i].addr, q.addr, 16);
			p[i].len = q.len;
			p[i].value = (uint32_t)i + 1;
			for (size_t j = 0; j < i; j++)
				if (p[j].len == p[i].len && !memcmp(p[j].addr, p[i].addr, 16))
					p[i].len = 0, memset(p[i].addr, 0, 16);
		}
		/* keep prefixes unique (the /0 stand-in above may repeat) */
		size_t k = 0;
		for (size_t i = 0; i < n; i++) {
			bool dup = false;
			for (size_t j = 0; j < k; j++)
				dup |= p[j].len == p[i].len && !memcmp(p[j].addr, p[i].addr, 16);
			if (!dup)
				p[k++] = p[i];
		}
		assert_int_equal(lpm6_build(p, k, 24, &t), 0);
		for (int q = 0; q < 1000; q++) {
			uint8_t a[16];
			memcpy(a, p[rnd() % k].addr, 16);
			a[15 - rnd() % 16] ^= (uint8_t)(1u << (rnd() % 8));
			assert_int_equal(lpm6_lookup(&t, a), naive6(p, k, a));
		}
		lpm6_free(&t);
		free(p);
	}
}

/* ------------------------------------------------------------ sets */

/* ut_set_lookup4/6 of untrack_abi.h, on the arrays instead of maps. */
static int sim_has4(const struct ut_set_gen *g, const struct ut_set4_slot *s4, uint32_t a)
{
	uint32_t state = (g->l1[a >> 21] >> ((a >> 15) & 62)) & 3, key, h;

	if (state != UT_SET_L1_PART)
		return state == UT_SET_L1_IN;
	key = (a >> 8) + 1;
	h = ut_hash4(key, g->h4_bits);
	for (uint32_t i = 0; i < UT_SET_MAX_PROBE; i++) {
		const struct ut_set4_slot *s = &s4[(h + i) & ((1u << g->h4_bits) - 1)];
		if (!s->key)
			return 0;
		if (s->key == key)
			return (s->bits[(a >> 5) & 7] >> (a & 31)) & 1;
	}
	return 0;
}

static int sim_has6(const struct ut_set_gen *g, const struct ut_set6_slot *s6, const uint8_t a[16])
{
	uint64_t hi, lo, mhi, mlo;

	lpm6_words(a, &hi, &lo);
	for (uint32_t k = 0; k < g->nlen6; k++) {
		uint32_t len = g->len6[k], h;
		lpm6_mask(len, &mhi, &mlo);
		h = ut_hash6(hi & mhi, lo & mlo, len, g->h6_bits);
		for (uint32_t i = 0; i < UT_SET_MAX_PROBE; i++) {
			const struct ut_set6_slot *s = &s6[(h + i) & ((1u << g->h6_bits) - 1)];
			if (!s->len1)
				break;
			if (s->len1 == len + 1 && s->hi == (hi & mhi) && s->lo == (lo & mlo))
				return 1;
		}
	}
	return 0;
}

static bool naive_member(const struct prefix *p, size_t n, uint8_t fam, const uint8_t a[16])
{
	for (size_t i = 0; i < n; i++)
		if (p[i].family == fam && prefix_contains(&p[i], a))
			return true;
	return false;
}

static void check_set(const struct prefix *p, size_t n)
{
	uint32_t cap4, cap6, capm;
	struct ut_set_gen *g = calloc(1, sizeof(*g));
	char err[256];

	set_tables_capacity(p, n, &cap4, &cap6, &capm);
	struct ut_set4_slot *s4 = calloc(cap4, sizeof(*s4));
	struct ut_set6_slot *s6 = calloc(cap6, sizeof(*s6));
	assert_int_equal(set_tables_build(p, n, cap4, cap6, g, s4, s6, err, sizeof(err)), 0);
	for (size_t i = 0; i < n + 500; i++) {
		uint8_t a[16] = {0};
		if (i < n) {
			memcpy(a, p[i].addr, 16);
		} else if (n) {
			memcpy(a, p[rnd() % n].addr, 16);
		}
		if (i >= n || (i & 1)) {
			unsigned byte = rnd() % 4;
			a[byte] ^= (uint8_t)(1u << (rnd() % 8));
			a[3] ^= (uint8_t)rnd();
		}
		uint32_t a4 =
			(uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
		uint8_t v4[16] = {a[0], a[1], a[2], a[3]};
		assert_int_equal(sim_has4(g, s4, a4), naive_member(p, n, FAM_V4, v4));
		assert_int_equal(sim_has6(g, s6, a), naive_member(p, n, FAM_V6, a));
	}
	free(g);
	free(s4);
	free(s6);
}

static void sets_mixed(void **state)
{
	(void)state;
	static const char *const text[] = {
		"10.0.0.0/8",	     "10.1.2.3",	 "192.0.2.0/24",   "198.51.100.7",
		"0.0.0.0/1",	     "203.0.113.128/25", "203.0.112.0/23", "2001:db8::/32",
		"2001:db8:bad::/48", "fd00::1",		 "::/0",	   "255.255.255.255",
	};
	struct prefix p[sizeof(text) / sizeof(text[0])];

	for (size_t i = 0; i < sizeof(text) / sizeof(text[0]); i++)
		assert_int_equal(prefix_parse(text[i], &p[i]), ADDR_OK);
	check_set(p, sizeof(p) / sizeof(p[0]));
	check_set(p + 1, 3);
	check_set(p, 0);
	/* with /1 and ::/0 gone the tables must still say "no" elsewhere */
	check_set(p + 5, 5);
}

static void sets_random(void **state)
{
	(void)state;
	for (int round = 0; round < 20; round++) {
		size_t n = 1 + rnd() % 2000;
		struct prefix *p = calloc(n, sizeof(*p));
		for (size_t i = 0; i < n; i++) {
			p[i].family = rnd() % 4 ? FAM_V4 : FAM_V6;
			if (p[i].family == FAM_V4) {
				p[i].len = (uint8_t)(12 + rnd() % 21);
				p[i].addr[0] = 10;
				p[i].addr[1] = (uint8_t)(rnd() % 8);
				p[i].addr[2] = (uint8_t)rnd();
				p[i].addr[3] = (uint8_t)rnd();
			} else {
				p[i].len = (uint8_t)(32 + 16 * (rnd() % 7));
				p[i].addr[0] = 0x20;
				p[i].addr[1] = 0x01;
				for (int b = 2; b < 16; b++)
					p[i].addr[b] = (uint8_t)(rnd() % 4);
			}
			prefix_normalize(&p[i]);
		}
		check_set(p, n);
		free(p);
	}
}

static void min_cover(void **state)
{
	(void)state;
	static const char *const text[] = {"10.1.0.0/16",    "10.0.0.0/8", "10.1.2.0/24",
					   "11.0.0.0/8",     "10.0.0.0/8", "2001:db8::/32",
					   "2001:db8:1::/48"};
	struct prefix p[7];

	for (size_t i = 0; i < 7; i++)
		assert_int_equal(prefix_parse(text[i], &p[i]), ADDR_OK);
	assert_int_equal(prefixes_min_cover(p, 7), 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lpm4_edges),  cmocka_unit_test(lpm4_random),
		cmocka_unit_test(lpm6_random), cmocka_unit_test(sets_mixed),
		cmocka_unit_test(sets_random), cmocka_unit_test(min_cover),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
