/* The generated C as text (compiler/codegen/): comments that carry policy
 * text (codegen/cwrite.h) cannot end early, nest or span lines.
 * tests/replay/ compiles hostile names with clang. */
#include "testutil.h"

#include "codegen/cwrite.h"

static char *comment(const char *indent, const char *label, const char *text)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	cwrite_comment(f, indent, label, text);
	fclose(f);
	return buf;
}

static void check_comment(const char *text, const char *want)
{
	char *got = comment("\t", "rule 1: ", text);

	assert_string_equal(got, want);
	free(got);
}

static void test_comment_plain(void **state)
{
	(void)state;
	check_comment("allow tcp to port { 80, 443 }",
		      "\t/* rule 1: allow tcp to port { 80, 443 } */\n");
	check_comment("", "\t/* rule 1:  */\n");
}

static void test_comment_cannot_end_or_nest(void **state)
{
	(void)state;
	check_comment("a */ b", "\t/* rule 1: a *\\/ b */\n");
	check_comment("a /* b", "\t/* rule 1: a /\\* b */\n");
	/* overlapping pairs: each one is broken */
	check_comment("*/*/", "\t/* rule 1: *\\/\\*\\/ */\n");
	check_comment("/*/", "\t/* rule 1: /\\*\\/ */\n");
	/* at the ends, the spaces around the text keep them apart */
	check_comment("*", "\t/* rule 1: * */\n");
	check_comment("/", "\t/* rule 1: / */\n");
}

static void test_comment_stays_on_its_line(void **state)
{
	(void)state;
	/* a newline would let "#error" start a line of its own after a
	 * splice; a backslash at the end of a line would splice */
	check_comment("a\n#error x", "\t/* rule 1: a\\012#error x */\n");
	check_comment("back\\", "\t/* rule 1: back\\\\ */\n");
	check_comment("\t\r\x01\x7f\xff", "\t/* rule 1: \\011\\015\\001\\177\\377 */\n");
	/* a backslash doubled, so an escape is never ambiguous */
	check_comment("\\012", "\t/* rule 1: \\\\012 */\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_comment_plain),
		cmocka_unit_test(test_comment_cannot_end_or_nest),
		cmocka_unit_test(test_comment_stays_on_its_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
