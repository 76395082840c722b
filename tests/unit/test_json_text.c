/* Text as JSON strings (objfmt/json_text.c): valid UTF-8 unchanged, each
 * maximal ill-formed subpart one U+FFFD, never Latin-1. Hand-picked
 * sequences at every edge of the Unicode Standard's table of well-formed
 * byte sequences, its own example, and seeded random input checked against
 * jansson's validator. */
#include "testutil.h"

#include <jansson.h>

#include "objfmt/json_text.h"

#define R "\xef\xbf\xbd" /* U+FFFD */

/* json_textn(in[0..n)) holds exactly want[0..wn). */
static void check_n(const char *in, size_t n, const char *want, size_t wn)
{
	json_t *j = json_textn(in, n);

	assert_non_null(j);
	assert_true(json_is_string(j));
	if (json_string_length(j) != wn || memcmp(json_string_value(j), want, wn) != 0)
		fail_msg("got \"%s\" (%zu bytes), want \"%s\" (%zu bytes)", json_string_value(j),
			 json_string_length(j), want, wn);
	json_decref(j);
}

#define check(in, want) check_n(in, sizeof(in) - 1, want, sizeof(want) - 1)

static void test_valid_unchanged(void **state)
{
	(void)state;
	check("", "");
	check("eth0", "eth0");
	check("\x01\x1f\x7f", "\x01\x1f\x7f");
	check("caf\xc3\xa9", "caf\xc3\xa9");				 /* é, two bytes */
	check("\xc2\x80 \xdf\xbf", "\xc2\x80 \xdf\xbf");		 /* U+0080, U+07FF */
	check("\xe0\xa0\x80 \xef\xbf\xbf", "\xe0\xa0\x80 \xef\xbf\xbf"); /* U+0800, U+FFFF */
	check("\xed\x9f\xbf \xee\x80\x80", "\xed\x9f\xbf \xee\x80\x80"); /* around surrogates */
	check("\xe2\x82\xac", "\xe2\x82\xac");				 /* € */
	check(R, R);							 /* U+FFFD itself */
	check("\xf0\x90\x80\x80", "\xf0\x90\x80\x80");			 /* U+10000 */
	check("\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80");			 /* an emoji */
	check("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf");			 /* U+10FFFF, the last */
}

static void test_latin1_is_not_guessed(void **state)
{
	(void)state;
	check("caf\xe9", "caf" R);
	check("\xe9t\xe9", R "t" R);
	check("/tmp/\xff\xfe", "/tmp/" R R);
}

static void test_lone_and_misplaced_bytes(void **state)
{
	(void)state;
	check("\x80", R);
	check("a\xbf"
	      "b",
	      "a" R "b");
	check("\x80\x80\x80", R R R);
	check("\xc2", R); /* cut short at the end */
	check("\xc2"
	      "a",
	      R "a");	      /* cut short by ASCII */
	check("\xe2\x82", R); /* two of three: one replacement */
	check("\xe2\x82"
	      "a",
	      R "a");
	check("\xf0\x9f\x98", R); /* three of four: one replacement */
	check("\xf0\x9f\x98"
	      "x",
	      R "x");
	check("\xe2\xe2\x82\xac", R "\xe2\x82\xac");
}

static void test_overlong(void **state)
{
	(void)state;
	/* C0 and C1 start nothing: each byte is its own subpart. */
	check("\xc0\xaf", R R);
	check("\xc1\xbf", R R);
	/* E0 80..9F and F0 80..8F are overlong: the lead stands alone. */
	check("\xe0\x80\xaf", R R R);
	check("\xe0\x9f\xbf", R R R);
	check("\xf0\x80\x80\xaf", R R R R);
	check("\xf0\x8f\xbf\xbf", R R R R);
}

static void test_surrogates(void **state)
{
	(void)state;
	check("\xed\xa0\x80", R R R);			/* U+D800 */
	check("\xed\xbf\xbf", R R R);			/* U+DFFF */
	check("\xed\xa0\xbd\xed\xb8\x80", R R R R R R); /* a pair in CESU-8 */
}

static void test_past_the_last_code_point(void **state)
{
	(void)state;
	check("\xf4\x90\x80\x80", R R R R); /* U+110000 */
	check("\xf5\x80\x80\x80", R R R R);
	check("\xf8\x88\x80\x80\x80", R R R R R);
	check("\xff", R);
}

/* The example of the Unicode Standard (chapter 3, U+FFFD substitution of
 * maximal subparts). */
static void test_standard_example(void **state)
{
	(void)state;
	check("\x61\xf1\x80\x80\xe1\x80\xc2\x62\x80\x63\x80\xbf\x64", "a" R R R "b" R "c" R R "d");
}

static void test_nul_bytes_kept(void **state)
{
	(void)state;
	check("a\0b", "a\0b");
	check("\xc2\0", R "\0");
}

static void test_json_text_is_textn(void **state)
{
	json_t *j = json_text("caf\xe9 \xc3\xa9");

	(void)state;
	assert_non_null(j);
	assert_string_equal(json_string_value(j), "caf" R " \xc3\xa9");
	json_decref(j);
}

/* What a dump writes: the characters themselves, not \u escapes of bytes. */
static void test_dump(void **state)
{
	json_t *o = json_object();
	char *text;

	(void)state;
	assert_non_null(o);
	assert_int_equal(json_object_set_new(o, "source", json_text("/srv/caf\xc3\xa9/\xe9.utp")),
			 0);
	text = json_dumps(o, 0);
	assert_non_null(text);
	assert_string_equal(text, "{\"source\": \"/srv/caf\xc3\xa9/" R ".utp\"}");
	free(text);
	json_decref(o);
}

static uint64_t rng(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Encode a code point (not a surrogate, at most U+10FFFF). */
static size_t encode(uint32_t cp, unsigned char *out)
{
	if (cp < 0x80) {
		out[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (unsigned char)(0xc0 | cp >> 6);
		out[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (unsigned char)(0xe0 | cp >> 12);
		out[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (unsigned char)(0xf0 | cp >> 18);
	out[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Random text of every length of UTF-8 sequence comes through unchanged. */
static void test_random_valid(void **state)
{
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	unsigned char buf[4 * 64];

	(void)state;
	for (int round = 0; round < 20000; round++) {
		size_t n = 0, count = rng(&seed) % 64;
		for (size_t k = 0; k < count; k++) {
			static const uint32_t top[] = {0x80, 0x800, 0x10000, 0x110000};
			uint32_t cp = (uint32_t)(rng(&seed) % top[rng(&seed) % 4]);
			if (cp >= 0xd800 && cp <= 0xdfff)
				cp = 0xfffd;
			n += encode(cp, buf + n);
		}
		check_n((const char *)buf, n, (const char *)buf, n);
	}
}

/* Random bytes, mostly high ones: the result is valid UTF-8 by jansson's
 * own check, at most three bytes per input byte, and the input itself when
 * jansson takes the input as it is. */
static void test_random_bytes(void **state)
{
	uint64_t seed = 0x2545f4914f6cdd1dull;
	unsigned char buf[32];

	(void)state;
	for (int round = 0; round < 200000; round++) {
		size_t n = rng(&seed) % sizeof(buf);
		json_t *j, *plain, *again;
		for (size_t k = 0; k < n; k++) {
			uint64_t r = rng(&seed);
			buf[k] = (unsigned char)(r % 4 ? 0x80 | (r >> 8) : r >> 8);
		}
		j = json_textn((const char *)buf, n);
		assert_non_null(j);
		assert_true(json_string_length(j) <= 3 * n);
		again = json_stringn(json_string_value(j), json_string_length(j));
		if (!again)
			fail_msg("round %d: the result is not valid UTF-8", round);
		plain = json_stringn((const char *)buf, n);
		if (plain && !json_equal(plain, j))
			fail_msg("round %d: valid input changed", round);
		json_decref(again);
		json_decref(plain);
		json_decref(j);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_unchanged),
		cmocka_unit_test(test_latin1_is_not_guessed),
		cmocka_unit_test(test_lone_and_misplaced_bytes),
		cmocka_unit_test(test_overlong),
		cmocka_unit_test(test_surrogates),
		cmocka_unit_test(test_past_the_last_code_point),
		cmocka_unit_test(test_standard_example),
		cmocka_unit_test(test_nul_bytes_kept),
		cmocka_unit_test(test_json_text_is_textn),
		cmocka_unit_test(test_dump),
		cmocka_unit_test(test_random_valid),
		cmocka_unit_test(test_random_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
