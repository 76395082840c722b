/* Interval sets: building from prefixes and ranges, every set operation on
 * hand-picked edge cases (both ends of the 32- and 128-bit spaces, adjacent
 * and overlapping input), and every operation against a plain bitmap on
 * random 8-bit sets. */
#include "testutil.h"

#include "objfmt/addr.h"
#include "analysis/ivset.h"

#define MAX128 (~(ivset_val)0)

/* "lo-hi lo-hi ..." in decimal, for readable expectations (64-bit values). */
static void build(struct ivset *s, const char *text)
{
	const char *p = text;

	ivset_clear(s);
	while (*p) {
		char *end;
		unsigned long long lo = strtoull(p, &end, 10), hi = lo;

		if (*end == '-')
			hi = strtoull(end + 1, &end, 10);
		ivset_append(s, lo, hi);
		while (*end == ' ')
			end++;
		p = end;
	}
	ivset_normalize(s);
}

static char *show(const struct ivset *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	for (size_t i = 0; i < s->n; i++) {
		unsigned long long lo = (unsigned long long)s->iv[i].lo;
		unsigned long long hi = (unsigned long long)s->iv[i].hi;

		if (lo == hi)
			fprintf(f, "%s%llu", i ? " " : "", lo);
		else
			fprintf(f, "%s%llu-%llu", i ? " " : "", lo, hi);
	}
	fclose(f);
	return buf;
}

static void assert_set(const struct ivset *s, const char *want)
{
	char *got = show(s);

	assert_string_equal(got, want);
	free(got);
}

static void test_normalize(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"", ""},
		{"5", "5"},
		{"7 5 6", "5-7"},			/* adjacent points merge */
		{"10-20 15-30", "10-30"},		/* overlap */
		{"10-20 21-30", "10-30"},		/* adjacent ranges */
		{"10-20 22-30", "10-20 22-30"},		/* a gap stays */
		{"40-50 0-3 12-14 2-12", "0-14 40-50"}, /* unsorted chain */
		{"0-100 5-6", "0-100"},			/* contained */
		{"3 3 3", "3"},				/* duplicates */
	};
	struct ivset s = IVSET_INIT;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		build(&s, cases[i].in);
		assert_set(&s, cases[i].out);
	}
	ivset_free(&s);
}

static void test_add(void **state)
{
	static const struct {
		const char *in;
		unsigned long long lo, hi;
		const char *out;
	} cases[] = {
		{"", 5, 9, "5-9"},
		{"10-20", 0, 3, "0-3 10-20"},
		{"10-20", 0, 9, "0-20"},		    /* touches from the left */
		{"10-20", 21, 25, "10-25"},		    /* touches from the right */
		{"10-20", 30, 40, "10-20 30-40"},	    /* after everything */
		{"0-1 5-6 10-11 20", 3, 12, "0-1 3-12 20"}, /* swallows two */
		{"0-1 5-6 10-11 20", 2, 19, "0-20"},	    /* bridges everything */
		{"0-1 5-6", 3, 3, "0-1 3 5-6"},		    /* in a gap */
		{"0-1 5-6", 5, 6, "0-1 5-6"},		    /* already there */
	};
	struct ivset s = IVSET_INIT;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		build(&s, cases[i].in);
		ivset_add(&s, cases[i].lo, cases[i].hi);
		assert_set(&s, cases[i].out);
	}
	/* the top of the 128-bit space */
	ivset_clear(&s);
	ivset_add(&s, MAX128 - 1, MAX128);
	ivset_add(&s, 0, MAX128 - 2);
	assert_true(ivset_is_full(&s, MAX128));
	ivset_free(&s);
}

static void test_prefixes(void **state)
{
	struct prefix p[4];
	struct ivset s = IVSET_INIT;
	ivset_val lo, hi;

	(void)state;
	assert_int_equal(prefix_parse("10.0.0.0/8", &p[0]), ADDR_OK);
	assert_int_equal(prefix_parse("10.1.0.0/16", &p[1]), ADDR_OK); /* inside p[0] */
	assert_int_equal(prefix_parse("11.0.0.0/8", &p[2]), ADDR_OK);  /* adjacent */
	assert_int_equal(prefix_parse("2001:db8::/32", &p[3]), ADDR_OK);

	ivset_add_prefixes(&s, p, 4, FAM_V4);
	assert_int_equal(s.n, 1);
	assert_true(s.iv[0].lo == 0x0a000000u && s.iv[0].hi == 0x0bffffffu);

	ivset_clear(&s);
	ivset_add_prefixes(&s, p, 4, FAM_V6);
	assert_int_equal(s.n, 1);
	ivset_prefix_bounds(&p[3], &lo, &hi);
	assert_true(s.iv[0].lo == lo && s.iv[0].hi == hi);
	assert_true(lo == (ivset_val)0x20010db8u << 96);
	assert_true(hi == (lo | (((ivset_val)1 << 96) - 1)));

	/* /0 and host prefixes at both ends of both families */
	assert_int_equal(prefix_parse("0.0.0.0/0", &p[0]), ADDR_OK);
	ivset_prefix_bounds(&p[0], &lo, &hi);
	assert_true(lo == 0 && hi == 0xffffffffu);
	assert_int_equal(prefix_parse("::/0", &p[0]), ADDR_OK);
	ivset_prefix_bounds(&p[0], &lo, &hi);
	assert_true(lo == 0 && hi == MAX128);
	assert_int_equal(prefix_parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", &p[0]), ADDR_OK);
	ivset_prefix_bounds(&p[0], &lo, &hi);
	assert_true(lo == MAX128 && hi == MAX128);
	assert_int_equal(prefix_parse("255.255.255.255", &p[0]), ADDR_OK);
	ivset_prefix_bounds(&p[0], &lo, &hi);
	assert_true(lo == 0xffffffffu && hi == 0xffffffffu);

	/* value <-> bytes round trip */
	uint8_t addr[16];
	assert_int_equal(prefix_parse("2001:db8::1:2", &p[0]), ADDR_OK);
	ivset_value_addr(ivset_addr_value(p[0].addr, FAM_V6), FAM_V6, addr);
	assert_memory_equal(addr, p[0].addr, 16);
	assert_int_equal(prefix_parse("192.0.2.77", &p[0]), ADDR_OK);
	assert_true(ivset_addr_value(p[0].addr, FAM_V4) == 0xc000024du);
	ivset_value_addr(0xc000024du, FAM_V4, addr);
	assert_memory_equal(addr, p[0].addr, 16);
	ivset_free(&s);
}

static void test_ranges(void **state)
{
	const struct ir_range r[] = {{80, 80}, {443, 443}, {81, 90}, {0, 10}};
	struct ivset s = IVSET_INIT;

	(void)state;
	ivset_add_ranges(&s, r, 4);
	assert_set(&s, "0-10 80-90 443");
	ivset_free(&s);
}

static void test_complement(void **state)
{
	static const struct {
		const char *in, *out;
		unsigned long long max;
	} cases[] = {
		{"", "0-65535", 65535},
		{"0-65535", "", 65535},
		{"0", "1-65535", 65535},
		{"65535", "0-65534", 65535},
		{"5-9 20", "0-4 10-19 21-100", 100},
		{"0-4 96-100", "5-95", 100},
	};
	struct ivset s = IVSET_INIT;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		build(&s, cases[i].in);
		ivset_complement(&s, &s, cases[i].max); /* aliasing is allowed */
		assert_set(&s, cases[i].out);
	}
	/* the 128-bit space */
	ivset_clear(&s);
	ivset_complement(&s, &s, MAX128);
	assert_true(ivset_is_full(&s, MAX128));
	ivset_complement(&s, &s, MAX128);
	assert_true(ivset_is_empty(&s));
	ivset_add(&s, MAX128, MAX128);
	ivset_complement(&s, &s, MAX128);
	assert_true(s.n == 1 && s.iv[0].lo == 0 && s.iv[0].hi == MAX128 - 1);
	ivset_free(&s);
}

static void test_binary_ops(void **state)
{
	static const struct {
		const char *a, *b, *uni, *inter;
		bool a_in_b, disjoint, full100;
	} cases[] = {
		{"", "", "", "", true, true, false},
		{"1-5", "", "1-5", "", false, true, false},
		{"", "1-5", "1-5", "", true, true, false},
		{"1-5", "3-9", "1-9", "3-5", false, false, false},
		{"3-4", "1-9", "1-9", "3-4", true, false, false},
		{"1-5", "6-9", "1-9", "", false, true, false}, /* adjacent */
		{"1-5 10-12", "0-1 5-10 12", "0-12", "1 5 10 12", false, false, false},
		{"0-50", "51-100", "0-100", "", false, true, true},
		{"0-60", "40-100", "0-100", "40-60", false, false, true},
		{"0-49", "51-100", "0-49 51-100", "", false, true, false},
		{"2 4 6", "1-3 4 5-7", "1-7", "2 4 6", true, false, false},
		{"1-3 7-9", "1-9", "1-9", "1-3 7-9", true, false, false},
		{"1-3 7-10", "1-9", "1-10", "1-3 7-9", false, false, false},
	};
	struct ivset a = IVSET_INIT, b = IVSET_INIT, out = IVSET_INIT;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		build(&a, cases[i].a);
		build(&b, cases[i].b);
		ivset_union(&out, &a, &b);
		assert_set(&out, cases[i].uni);
		ivset_intersect(&out, &a, &b);
		assert_set(&out, cases[i].inter);
		assert_int_equal(ivset_subset(&a, &b), cases[i].a_in_b);
		assert_int_equal(ivset_disjoint(&a, &b), cases[i].disjoint);
		assert_int_equal(ivset_disjoint(&b, &a), cases[i].disjoint);
		assert_int_equal(ivset_union_is_full(&a, &b, 100), cases[i].full100);
		assert_int_equal(ivset_union_is_full(&b, &a, 100), cases[i].full100);
	}
	ivset_free(&a);
	ivset_free(&b);
	ivset_free(&out);
}

static void test_queries(void **state)
{
	struct ivset s = IVSET_INIT;
	ivset_val v;

	(void)state;
	assert_false(ivset_first(&s, &v));
	assert_true(ivset_first_missing(&s, 10, &v) && v == 0);
	assert_false(ivset_contains(&s, 0));
	build(&s, "0-4 8 10-20");
	assert_true(ivset_first(&s, &v) && v == 0);
	assert_true(ivset_first_missing(&s, 100, &v) && v == 5);
	for (unsigned x = 0; x < 25; x++)
		assert_int_equal(ivset_contains(&s, x), x <= 4 || x == 8 || (x >= 10 && x <= 20));
	build(&s, "3-100");
	assert_true(ivset_first(&s, &v) && v == 3);
	assert_true(ivset_first_missing(&s, 100, &v) && v == 0);
	build(&s, "0-100");
	assert_false(ivset_first_missing(&s, 100, &v));
	assert_true(ivset_first_missing(&s, 101, &v) && v == 101);

	struct ivset t = IVSET_INIT;
	build(&t, "0-100");
	assert_true(ivset_equal(&s, &t));
	build(&t, "0-99");
	assert_false(ivset_equal(&s, &t));
	ivset_copy(&t, &s);
	assert_true(ivset_equal(&s, &t));
	ivset_free(&t);
	ivset_free(&s);
}

static void test_blocks(void **state)
{
	static const struct {
		const char *in;
		unsigned width;
		const char *blocks; /* value/len ... */
	} cases[] = {
		{"", 16, ""},
		{"0-65535", 16, "0/0"},
		{"80", 16, "80/16"},
		{"0-1023", 16, "0/6"},
		{"1-6", 16, "1/16 2/15 4/15 6/16"},
		{"8000-8999", 16, "8000/10 8064/9 8192/7 8704/8 8960/11 8992/13"},
		{"1-65535", 16,
		 "1/16 2/15 4/14 8/13 16/12 32/11 64/10 128/9 256/8 512/7 1024/6 "
		 "2048/5 4096/4 8192/3 16384/2 32768/1"},
		{"65535", 16, "65535/16"},
		{"0-4294967295", 32, "0/0"},
		{"167772160-184549375", 32, "167772160/8"}, /* 10.0.0.0/8 */
		{"0-3 8-11", 8, "0/6 8/6"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ivset s = IVSET_INIT;
		struct ivset_block out[40];
		char *buf = NULL;
		size_t len = 0, n;
		FILE *f = open_memstream(&buf, &len);

		build(&s, cases[i].in);
		n = ivset_blocks(&s, cases[i].width, out, 40);
		for (size_t k = 0; k < n; k++)
			fprintf(f, "%s%llu/%u", k ? " " : "", (unsigned long long)out[k].value,
				out[k].len);
		fclose(f);
		assert_string_equal(buf, cases[i].blocks);
		/* The count is exact even when the buffer is too small. */
		assert_int_equal(ivset_blocks(&s, cases[i].width, NULL, 0), n);
		free(buf);
		ivset_free(&s);
	}

	/* 128 bits: the whole space, and everything but the last value. */
	struct ivset s = IVSET_INIT;
	struct ivset_block out[130];
	ivset_add(&s, 0, MAX128);
	assert_int_equal(ivset_blocks(&s, 128, out, 130), 1);
	assert_true(out[0].value == 0 && out[0].len == 0);
	ivset_clear(&s);
	ivset_add(&s, 0, MAX128 - 1);
	assert_int_equal(ivset_blocks(&s, 128, out, 130), 128);
	assert_true(out[0].value == 0 && out[0].len == 1);
	assert_true(out[127].value == MAX128 - 1 && out[127].len == 128);
	ivset_clear(&s);
	ivset_add(&s, MAX128, MAX128);
	assert_int_equal(ivset_blocks(&s, 128, out, 130), 1);
	assert_true(out[0].value == MAX128 && out[0].len == 128);
	ivset_free(&s);
}

static void test_cover(void **state)
{
	static const struct {
		const char *in;
		unsigned width;
		size_t limit;
		const char *blocks;
	} cases[] = {
		{"", 16, 4, ""},
		{"80", 16, 1, "80/16"},
		{"0-65535", 16, 1, "0/0"},
		{"1-6", 16, 4, "0/15 2/15 4/15 6/15"},
		{"1-6", 16, 1, "0/13"},
		{"1 3 5 7 9", 8, 4, "0/6 4/6 8/6"}, /* /7 would need 5 */
		{"1 3 5 7 9", 8, 2, "0/5 8/5"},
		{"10 200", 8, 1, "0/0"},
		{"10 200", 8, 2, "10/8 200/8"},
		{"0-3 4-7 100", 8, 3, "0/6 4/6 100/6"},
		{"255", 8, 2, "255/8"},
		{"250-255", 8, 1, "248/5"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ivset s = IVSET_INIT;
		struct ivset_block out[16];
		char *buf = NULL;
		size_t len = 0, n;
		FILE *f = open_memstream(&buf, &len);

		build(&s, cases[i].in);
		n = ivset_cover(&s, cases[i].width, cases[i].limit, out);
		for (size_t k = 0; k < n; k++)
			fprintf(f, "%s%llu/%u", k ? " " : "", (unsigned long long)out[k].value,
				out[k].len);
		fclose(f);
		if (strcmp(buf, cases[i].blocks) != 0)
			fail_msg("cover of '%s' in %zu: got '%s', want '%s'", cases[i].in,
				 cases[i].limit, buf, cases[i].blocks);
		free(buf);
		ivset_free(&s);
	}

	/* 128 bits: both ends of the space */
	struct ivset s = IVSET_INIT;
	struct ivset_block out[4];
	ivset_add(&s, 0, 0);
	ivset_add(&s, MAX128, MAX128);
	assert_int_equal(ivset_cover(&s, 128, 2, out), 2);
	assert_true(out[0].value == 0 && out[0].len == 128);
	assert_true(out[1].value == MAX128 && out[1].len == 128);
	assert_int_equal(ivset_cover(&s, 128, 1, out), 1);
	assert_true(out[0].value == 0 && out[0].len == 0);
	ivset_free(&s);
}

/* ---- random sets of 8-bit values against a bitmap */

#define W 256

static uint64_t rng = 88172645463325252ull;

static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

static void random_set(struct ivset *s, bool bits[W])
{
	unsigned n = rnd(6);

	memset(bits, 0, W);
	ivset_clear(s);
	for (unsigned i = 0; i < n; i++) {
		unsigned lo = rnd(W), len = rnd(4) == 0 ? rnd(W) : rnd(8);
		unsigned hi = lo + len >= W ? W - 1 : lo + len;

		ivset_append(s, lo, hi);
		for (unsigned v = lo; v <= hi; v++)
			bits[v] = true;
	}
	ivset_normalize(s);
}

static void assert_matches(const struct ivset *s, const bool bits[W])
{
	for (size_t i = 0; i < s->n; i++) {
		assert_true(s->iv[i].lo <= s->iv[i].hi && s->iv[i].hi < W);
		/* normalised: sorted, disjoint, not adjacent */
		if (i)
			assert_true(s->iv[i].lo > s->iv[i - 1].hi + 1);
	}
	for (unsigned v = 0; v < W; v++)
		assert_int_equal(ivset_contains(s, v), bits[v]);
}

static void test_random(void **state)
{
	struct ivset a = IVSET_INIT, b = IVSET_INIT, out = IVSET_INIT;
	bool ab[W], bb[W], ob[W];

	(void)state;
	for (int iter = 0; iter < 20000; iter++) {
		bool sub = true, disj = true, full = true, empty = true;

		random_set(&a, ab);
		random_set(&b, bb);
		assert_matches(&a, ab);
		for (unsigned v = 0; v < W; v++) {
			sub = sub && (!ab[v] || bb[v]);
			disj = disj && !(ab[v] && bb[v]);
			full = full && (ab[v] || bb[v]);
			empty = empty && !ab[v];
		}
		assert_int_equal(ivset_subset(&a, &b), sub);
		assert_int_equal(ivset_disjoint(&a, &b), disj);
		assert_int_equal(ivset_union_is_full(&a, &b, W - 1), full);
		assert_int_equal(ivset_is_empty(&a), empty);

		ivset_union(&out, &a, &b);
		for (unsigned v = 0; v < W; v++)
			ob[v] = ab[v] || bb[v];
		assert_matches(&out, ob);
		ivset_intersect(&out, &a, &b);
		for (unsigned v = 0; v < W; v++)
			ob[v] = ab[v] && bb[v];
		assert_matches(&out, ob);
		ivset_complement(&out, &a, W - 1);
		for (unsigned v = 0; v < W; v++)
			ob[v] = !ab[v];
		assert_matches(&out, ob);

		/* ivset_add keeps the set normalised on its own */
		unsigned lo = rnd(W), hi = lo + rnd(W - lo);
		ivset_copy(&out, &a);
		ivset_add(&out, lo, hi);
		for (unsigned v = 0; v < W; v++)
			ob[v] = ab[v] || (v >= lo && v <= hi);
		assert_matches(&out, ob);

		/* blocks: aligned, ascending, exactly the set */
		struct ivset_block blk[64];
		size_t n = ivset_blocks(&a, 8, blk, 64);
		assert_true(n <= 64);
		memset(ob, 0, sizeof(ob));
		for (size_t k = 0; k < n; k++) {
			unsigned size = 1u << (8 - blk[k].len);

			assert_int_equal((unsigned)blk[k].value % size, 0);
			for (unsigned v = 0; v < size; v++) {
				assert_false(ob[blk[k].value + v]);
				ob[blk[k].value + v] = true;
			}
		}
		for (unsigned v = 0; v < W; v++)
			assert_int_equal(ob[v], ab[v]);

		/* covers: at most limit blocks of one length, aligned,
		 * ascending, each touching the set, holding all of it; one
		 * length more would need more blocks */
		size_t limit = 1 + rnd(6);
		n = ivset_cover(&a, 8, limit, blk);
		assert_true(n <= limit && (n == 0) == empty);
		memset(ob, 0, sizeof(ob));
		for (size_t k = 0; k < n; k++) {
			unsigned size = 1u << (8 - blk[k].len);
			bool touches = false;

			assert_int_equal(blk[k].len, blk[0].len);
			assert_int_equal((unsigned)blk[k].value % size, 0);
			if (k)
				assert_true(blk[k].value > blk[k - 1].value);
			for (unsigned v = 0; v < size; v++) {
				ob[blk[k].value + v] = true;
				touches = touches || ab[blk[k].value + v];
			}
			assert_true(touches);
		}
		for (unsigned v = 0; v < W; v++)
			assert_true(!ab[v] || ob[v]);
		if (n && blk[0].len < 8) {
			unsigned len = blk[0].len + 1u, count = 0;

			for (unsigned b = 0; b < W; b += 1u << (8 - len)) {
				bool hit = false;

				for (unsigned v = b; v < b + (1u << (8 - len)); v++)
					hit = hit || ab[v];
				count += hit;
			}
			assert_true(count > limit);
		}
	}
	ivset_free(&a);
	ivset_free(&b);
	ivset_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalize),  cmocka_unit_test(test_add),
		cmocka_unit_test(test_prefixes),   cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_complement), cmocka_unit_test(test_binary_ops),
		cmocka_unit_test(test_queries),	   cmocka_unit_test(test_blocks),
		cmocka_unit_test(test_cover),	   cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
