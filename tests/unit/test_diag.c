/* Diagnostics (front/diag.h): the records, their order when printed, the
 * GCC-style text with source excerpt and caret, the JSON lines, and the
 * switches that change what is kept (-Werror, -w, the error bound). Each
 * expected output is written out whole. */
#include "testutil.h"

static struct ut_loc at(int line, int col, int last_line, int last_col)
{
	return (struct ut_loc){line, col, last_line, last_col};
}

static void assert_printed(const struct diag_ctx *d, enum diag_format fmt, bool color,
			   const char *want)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	diag_print(d, fmt, color, f);
	fclose(f);
	assert_string_equal(buf, want);
	free(buf);
}

static const char SRC[] = "policy p {\n"
			  "    deny tcp to port 99999\n"
			  "\tdeny\tudp\n"
			  "}\n";

/* ---------------------------------------------------------------- text */

static void test_text_caret_under_the_span(void **state)
{
	(void)state;
	struct diag_ctx d;

	diag_init(&d, "f.utp", SRC, strlen(SRC));
	diag_at(&d, DIAG_ERROR, at(2, 22, 2, 26), "port %d is out of range (0-65535)", 99999);
	assert_printed(&d, DIAG_TEXT, false,
		       "f.utp:2:22: error: port 99999 is out of range (0-65535)\n"
		       "     deny tcp to port 99999\n"
		       "                      ^~~~~\n");
	diag_free(&d);
}

static void test_text_single_column_and_line_spans(void **state)
{
	(void)state;
	struct diag_ctx d;

	diag_init(&d, "f.utp", SRC, strlen(SRC));
	/* a one-column span, and a span over lines: only the caret */
	diag_at(&d, DIAG_WARNING, at(1, 8, 1, 8), "w");
	diag_at(&d, DIAG_NOTE, at(1, 1, 4, 1), "n");
	assert_printed(&d, DIAG_TEXT, false,
		       "f.utp:1:8: warning: w\n"
		       " policy p {\n"
		       "        ^\n"
		       "f.utp:1:1: note: n\n"
		       " policy p {\n"
		       " ^\n");
	diag_free(&d);
}

/* Tabs stay in the caret line so the caret lines up in a terminal. */
static void test_text_tabs(void **state)
{
	(void)state;
	struct diag_ctx d;

	diag_init(&d, "f.utp", SRC, strlen(SRC));
	diag_at(&d, DIAG_ERROR, at(3, 7, 3, 9), "e");
	assert_printed(&d, DIAG_TEXT, false,
		       "f.utp:3:7: error: e\n"
		       " \tdeny\tudp\n"
		       " \t    \t^~~\n");
	diag_free(&d);
}

/* Carets stop at the end of the line; past it, at the newline itself, the
 * caret stands after the last character; further than that, no caret. */
static void test_text_ends_of_lines(void **state)
{
	(void)state;
	struct diag_ctx d;

	diag_init(&d, "f.utp", SRC, strlen(SRC));
	diag_at(&d, DIAG_ERROR, at(1, 10, 1, 30), "clipped");
	diag_at(&d, DIAG_ERROR, at(1, 11, 1, 11), "newline");
	diag_at(&d, DIAG_ERROR, at(1, 13, 1, 13), "beyond");
	diag_at(&d, DIAG_ERROR, at(9, 1, 9, 1), "no such line");
	assert_printed(&d, DIAG_TEXT, false,
		       "f.utp:1:10: error: clipped\n"
		       " policy p {\n"
		       "          ^\n"
		       "f.utp:1:11: error: newline\n"
		       " policy p {\n"
		       "           ^\n"
		       "f.utp:1:13: error: beyond\n"
		       " policy p {\n"
		       "f.utp:9:1: error: no such line\n");
	diag_free(&d);
}

/* Control bytes and NULs print as '?': a hostile file cannot drive the
 * terminal. Lines are cut at 400 bytes. */
static void test_text_hostile_and_long_lines(void **state)
{
	(void)state;
	struct diag_ctx d;
	static const char hostile[] = "deny \033[2J\0x\177\n";

	diag_init(&d, "f.utp", hostile, sizeof(hostile) - 1);
	diag_at(&d, DIAG_ERROR, at(1, 10, 1, 10), "e");
	assert_printed(&d, DIAG_TEXT, false, "f.utp:1:10: error: e\n deny ?[2J?x?\n          ^\n");
	diag_free(&d);

	char line[1000], want[1200];
	memset(line, 'x', 999);
	line[999] = '\0';
	diag_init(&d, "f.utp", line, strlen(line));
	diag_at(&d, DIAG_ERROR, at(1, 1, 1, 999), "long");
	snprintf(
		want, sizeof(want), "f.utp:1:1: error: long\n %.400s\n ^%.399s\n", line,
		"~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~"
		"~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~"
		"~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~"
		"~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~"
		"~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~");
	assert_printed(&d, DIAG_TEXT, false, want);
	diag_free(&d);
}

static void test_text_file_level(void **state)
{
	(void)state;
	struct diag_ctx d;

	diag_init(&d, "f.utp", "", 0);
	diag_file(&d, DIAG_ERROR, "no policy in file");
	assert_printed(&d, DIAG_TEXT, false, "f.utp: error: no policy in file\n");
	diag_free(&d);
}

static void test_text_color(void **state)
{
	(void)state;
	struct diag_ctx d;

	diag_init(&d, "f.utp", SRC, strlen(SRC));
	diag_at(&d, DIAG_ERROR, at(1, 8, 1, 8), "e");
	diag_at(&d, DIAG_WARNING, at(2, 5, 2, 8), "w");
	diag_at(&d, DIAG_NOTE, at(2, 5, 2, 5), "n");
	diag_file(&d, DIAG_ERROR, "f");
	assert_printed(&d, DIAG_TEXT, true,
		       "\033[1mf.utp:\033[0m \033[1;31merror:\033[0m f\n"
		       "\033[1mf.utp:1:8:\033[0m \033[1;31merror:\033[0m e\n"
		       " policy p {\n"
		       "        \033[1;32m^\033[0m\n"
		       "\033[1mf.utp:2:5:\033[0m \033[1;35mwarning:\033[0m w\n"
		       "     deny tcp to port 99999\n"
		       "     \033[1;32m^~~~\033[0m\n"
		       "\033[1mf.utp:2:5:\033[0m \033[1;36mnote:\033[0m n\n"
		       "     deny tcp to port 99999\n"
		       "     \033[1;32m^\033[0m\n");
	diag_free(&d);
}

/* ---------------------------------------------------------------- order */

/* Recorded as passes find them, printed by position: file-level first,
 * then line, then column; equal places keep their recording order; a note
 * goes with the diagnostic before it. */
static void test_source_order(void **state)
{
	(void)state;
	struct diag_ctx d;

	diag_init(&d, "f.utp", SRC, strlen(SRC));
	diag_at(&d, DIAG_ERROR, at(3, 2, 3, 2), "third");
	diag_at(&d, DIAG_NOTE, at(1, 1, 1, 1), "note of third");
	diag_at(&d, DIAG_WARNING, at(2, 9, 2, 9), "second b");
	diag_at(&d, DIAG_ERROR, at(2, 5, 2, 5), "second a");
	diag_at(&d, DIAG_ERROR, at(2, 9, 2, 9), "second c");
	diag_file(&d, DIAG_ERROR, "first");
	diag_at(&d, DIAG_ERROR, at(1, 8, 1, 8), "one");
	diag_at(&d, DIAG_NOTE, at(3, 2, 3, 2), "note of one");
	diag_at(&d, DIAG_NOTE, at(2, 5, 2, 5), "second note of one");
	assert_printed(
		&d, DIAG_JSON, false,
		"{\"file\":\"f.utp\",\"line\":null,\"column\":null,\"severity\":\"error\","
		"\"message\":\"first\"}\n"
		"{\"file\":\"f.utp\",\"line\":1,\"column\":8,\"end_line\":1,\"end_column\":8,"
		"\"severity\":\"error\",\"message\":\"one\"}\n"
		"{\"file\":\"f.utp\",\"line\":3,\"column\":2,\"end_line\":3,\"end_column\":2,"
		"\"severity\":\"note\",\"message\":\"note of one\"}\n"
		"{\"file\":\"f.utp\",\"line\":2,\"column\":5,\"end_line\":2,\"end_column\":5,"
		"\"severity\":\"note\",\"message\":\"second note of one\"}\n"
		"{\"file\":\"f.utp\",\"line\":2,\"column\":5,\"end_line\":2,\"end_column\":5,"
		"\"severity\":\"error\",\"message\":\"second a\"}\n"
		"{\"file\":\"f.utp\",\"line\":2,\"column\":9,\"end_line\":2,\"end_column\":9,"
		"\"severity\":\"warning\",\"message\":\"second b\"}\n"
		"{\"file\":\"f.utp\",\"line\":2,\"column\":9,\"end_line\":2,\"end_column\":9,"
		"\"severity\":\"error\",\"message\":\"second c\"}\n"
		"{\"file\":\"f.utp\",\"line\":3,\"column\":2,\"end_line\":3,\"end_column\":2,"
		"\"severity\":\"error\",\"message\":\"third\"}\n"
		"{\"file\":\"f.utp\",\"line\":1,\"column\":1,\"end_line\":1,\"end_column\":1,"
		"\"severity\":\"note\",\"message\":\"note of third\"}\n");
	assert_int_equal(d.errors, 5);
	assert_int_equal(d.warnings, 1);
	diag_free(&d);
}

/* The order of a whole compile: untrackc's passes record errors in their
 * own order, the printer puts them in the file's. */
static void test_compiled_file_prints_in_source_order(void **state)
{
	(void)state;
	struct diag_ctx d;
	const char *src = "policy b { deny tcp to port 99999 }\n"
			  "policy a order 1 { deny icmp type 300 }\n";

	assert_null(tu_compile(&d, src));
	assert_printed(&d, DIAG_TEXT, false,
		       "test.utp:1:29: error: port 99999 is out of range (0-65535)\n"
		       " policy b { deny tcp to port 99999 }\n"
		       "                             ^~~~~\n"
		       "test.utp:2:35: error: ICMP type 300 is out of range (0-255)\n"
		       " policy a order 1 { deny icmp type 300 }\n"
		       "                                   ^~~\n");
	diag_free(&d);
}

/* ---------------------------------------------------------------- JSON */

static void test_json_escapes(void **state)
{
	(void)state;
	struct diag_ctx d;

	diag_init(&d, "a \"b\"\\c.utp", SRC, strlen(SRC));
	/* UTF-8 passes unchanged (caf\303\251); a byte that is not UTF-8
	 * becomes U+FFFD (\357\277\275), never a Latin-1 character. */
	diag_at(&d, DIAG_WARNING, at(2, 5, 2, 8), "q\"b\\n\nt\tc\001h\377 caf\303\251");
	assert_printed(&d, DIAG_JSON, false,
		       "{\"file\":\"a \\\"b\\\"\\\\c.utp\",\"line\":2,\"column\":5,\"end_line\":2,"
		       "\"end_column\":8,\"severity\":\"warning\","
		       "\"message\":\"q\\\"b\\\\n\\nt\\tc\\u0001h\357\277\275 caf\303\251\"}\n");
	diag_free(&d);
}

/* ---------------------------------------------------------------- switches */

static void test_werror(void **state)
{
	(void)state;
	struct diag_ctx d;

	diag_init(&d, "f.utp", SRC, strlen(SRC));
	assert_false(diag_failed(&d));
	diag_at(&d, DIAG_WARNING, at(1, 1, 1, 1), "w");
	diag_at(&d, DIAG_NOTE, at(1, 1, 1, 1), "n");
	assert_false(diag_failed(&d));
	d.werror = true;
	assert_true(diag_failed(&d));
	/* still printed as a warning: -Werror changes the outcome */
	assert_printed(&d, DIAG_TEXT, false,
		       "f.utp:1:1: warning: w\n policy p {\n ^\n"
		       "f.utp:1:1: note: n\n policy p {\n ^\n");
	diag_free(&d);

	diag_init(&d, "f.utp", SRC, strlen(SRC));
	diag_file(&d, DIAG_ERROR, "e");
	assert_true(diag_failed(&d));
	diag_free(&d);
}

/* -w drops warnings and their notes, nothing else. */
static void test_no_warnings(void **state)
{
	(void)state;
	struct diag_ctx d;

	diag_init(&d, "f.utp", SRC, strlen(SRC));
	d.no_warnings = true;
	diag_at(&d, DIAG_WARNING, at(1, 1, 1, 1), "w1");
	diag_at(&d, DIAG_NOTE, at(1, 1, 1, 1), "note of w1");
	diag_at(&d, DIAG_NOTE, at(1, 1, 1, 1), "second note of w1");
	diag_at(&d, DIAG_ERROR, at(2, 5, 2, 5), "e");
	diag_at(&d, DIAG_NOTE, at(1, 8, 1, 8), "note of e");
	diag_at(&d, DIAG_WARNING, at(3, 2, 3, 2), "w2");
	d.werror = true;
	assert_int_equal(d.warnings, 0);
	assert_int_equal(d.errors, 1);
	assert_int_equal(d.n, 2);
	assert_printed(
		&d, DIAG_JSON, false,
		"{\"file\":\"f.utp\",\"line\":2,\"column\":5,\"end_line\":2,\"end_column\":5,"
		"\"severity\":\"error\",\"message\":\"e\"}\n"
		"{\"file\":\"f.utp\",\"line\":1,\"column\":8,\"end_line\":1,\"end_column\":8,"
		"\"severity\":\"note\",\"message\":\"note of e\"}\n");
	diag_free(&d);

	/* with -w and -Werror, a file with only warnings passes */
	diag_init(&d, "f.utp", SRC, strlen(SRC));
	d.no_warnings = d.werror = true;
	diag_at(&d, DIAG_WARNING, at(1, 1, 1, 1), "w");
	assert_false(diag_failed(&d));
	diag_free(&d);
}

/* Past max_errors, errors and their notes are dropped and the printout
 * says so; warnings are still kept. */
static void test_error_bound(void **state)
{
	(void)state;
	struct diag_ctx d;

	diag_init(&d, "f.utp", SRC, strlen(SRC));
	assert_int_equal(d.max_errors, 100);
	d.max_errors = 2;
	diag_at(&d, DIAG_ERROR, at(2, 5, 2, 5), "e1");
	assert_false(diag_should_stop(&d));
	diag_at(&d, DIAG_NOTE, at(1, 1, 1, 1), "note of e1");
	diag_at(&d, DIAG_ERROR, at(3, 2, 3, 2), "e2");
	assert_false(diag_should_stop(&d));
	diag_at(&d, DIAG_ERROR, at(1, 1, 1, 1), "e3");
	assert_true(diag_should_stop(&d));
	diag_at(&d, DIAG_NOTE, at(1, 1, 1, 1), "note of e3");
	diag_file(&d, DIAG_ERROR, "e4");
	diag_at(&d, DIAG_WARNING, at(1, 8, 1, 8), "w");
	assert_true(d.truncated);
	assert_int_equal(d.errors, 2);
	assert_int_equal(d.warnings, 1);
	assert_int_equal(d.n, 4);
	assert_printed(&d, DIAG_TEXT, false,
		       "f.utp:1:8: warning: w\n policy p {\n        ^\n"
		       "f.utp:2:5: error: e1\n     deny tcp to port 99999\n     ^\n"
		       "f.utp:1:1: note: note of e1\n policy p {\n ^\n"
		       "f.utp:3:2: error: e2\n \tdeny\tudp\n \t^\n"
		       "f.utp: note: too many errors, stopped after 2\n");
	/* JSON lines are records only: no closing remark */
	assert_printed(
		&d, DIAG_JSON, false,
		"{\"file\":\"f.utp\",\"line\":1,\"column\":8,\"end_line\":1,\"end_column\":8,"
		"\"severity\":\"warning\",\"message\":\"w\"}\n"
		"{\"file\":\"f.utp\",\"line\":2,\"column\":5,\"end_line\":2,\"end_column\":5,"
		"\"severity\":\"error\",\"message\":\"e1\"}\n"
		"{\"file\":\"f.utp\",\"line\":1,\"column\":1,\"end_line\":1,\"end_column\":1,"
		"\"severity\":\"note\",\"message\":\"note of e1\"}\n"
		"{\"file\":\"f.utp\",\"line\":3,\"column\":2,\"end_line\":3,\"end_column\":2,"
		"\"severity\":\"error\",\"message\":\"e2\"}\n");
	diag_free(&d);

	/* 0: no bound */
	diag_init(&d, "f.utp", SRC, strlen(SRC));
	d.max_errors = 0;
	for (int i = 0; i < 500; i++)
		diag_file(&d, DIAG_ERROR, "e%d", i);
	assert_int_equal(d.errors, 500);
	assert_false(diag_should_stop(&d));
	diag_free(&d);
}

static void test_nothing_recorded_prints_nothing(void **state)
{
	(void)state;
	struct diag_ctx d;

	diag_init(&d, "f.utp", SRC, strlen(SRC));
	assert_printed(&d, DIAG_TEXT, false, "");
	assert_printed(&d, DIAG_JSON, false, "");
	diag_free(&d);
	/* diag_free leaves a context that can be freed again */
	assert_int_equal(d.n, 0);
	assert_null(d.items);
	diag_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_caret_under_the_span),
		cmocka_unit_test(test_text_single_column_and_line_spans),
		cmocka_unit_test(test_text_tabs),
		cmocka_unit_test(test_text_ends_of_lines),
		cmocka_unit_test(test_text_hostile_and_long_lines),
		cmocka_unit_test(test_text_file_level),
		cmocka_unit_test(test_text_color),
		cmocka_unit_test(test_source_order),
		cmocka_unit_test(test_compiled_file_prints_in_source_order),
		cmocka_unit_test(test_json_escapes),
		cmocka_unit_test(test_werror),
		cmocka_unit_test(test_no_warnings),
		cmocka_unit_test(test_error_bound),
		cmocka_unit_test(test_nothing_recorded_prints_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
