/* The generated C as text (compiler/codegen/): comments that carry policy
 * text (codegen/cwrite.h) cannot end early, nest or span lines, and with a
 * hostile file name and rule text neither strategy lets a byte of them
 * reach the C outside a comment or a string literal. tests/golden/ holds
 * whole outputs; tests/replay/ compiles hostile names with clang. */
#include "testutil.h"

#include "codegen/cwrite.h"
#include "codegen/emit.h"

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

/* The C source with its comments and string and character literals left
 * out; fails on a comment or literal that does not end, or a comment
 * opened inside a comment. */
static char *code_only(const char *c)
{
	enum { CODE, BLOCK, LINE, STRING, CHAR } st = CODE;
	char *out = malloc(strlen(c) + 1), *o = out;

	assert_non_null(out);
	for (; *c; c++) {
		switch (st) {
		case CODE:
			if (c[0] == '/' && c[1] == '*')
				st = BLOCK, c++;
			else if (c[0] == '/' && c[1] == '/')
				st = LINE, c++;
			else if (*c == '"')
				st = STRING;
			else if (*c == '\'')
				st = CHAR;
			else
				*o++ = *c;
			break;
		case BLOCK:
			if (c[0] == '/' && c[1] == '*')
				fail_msg("a comment opened inside a comment: ...%.40s", c);
			if (c[0] == '*' && c[1] == '/')
				st = CODE, c++;
			break;
		case LINE:
			if (*c == '\n')
				st = CODE, *o++ = '\n';
			break;
		case STRING:
		case CHAR:
			if (*c == '\\' && c[1])
				c++;
			else if (*c == '\n')
				fail_msg("a literal runs onto the next line");
			else if (*c == (st == STRING ? '"' : '\''))
				st = CODE;
			break;
		}
	}
	assert_int_equal(st, CODE);
	*o = '\0';
	return out;
}

static char *hostile_c(enum emit_strategy strategy)
{
	static const char *const payload = "x */ PWNED(); /* \n#error PWNED\n\\";
	struct diag_ctx d;
	struct ir_program *ir =
		tu_compile(&d, "policy p {\n    allow tcp to port 80\n    log udp\n    deny\n}\n");
	struct emit_options o = {.strategy = strategy};
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	assert_non_null(ir);
	/* what no name of today's grammar can hold, in every place the
	 * policy's own text reaches the C */
	free(ir->file);
	ir->file = strdup("dir*/PWNED();/*\n#error PWNED\n.utp");
	for (size_t i = 0; i < ir->nrules; i++) {
		free(ir->rules[i].text);
		ir->rules[i].text = strdup(payload);
	}
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	emit_c(ir, &o, f);
	fclose(f);
	ir_free(ir);
	diag_free(&d);
	return buf;
}

static void check_hostile(enum emit_strategy strategy)
{
	char *c = hostile_c(strategy);
	char *code = code_only(c);

	/* the payload is there, in comments and strings only */
	assert_non_null(strstr(c, "PWNED"));
	if (strstr(code, "PWNED"))
		fail_msg("policy text outside a comment or string:\n%s", code);
	assert_null(strstr(code, "#error"));
	free(code);
	free(c);
}

static void test_hostile_linear(void **state)
{
	(void)state;
	check_hostile(EMIT_LINEAR);
}

static void test_hostile_table(void **state)
{
	(void)state;
	check_hostile(EMIT_TABLE);
}

/* Every rule's text above its test; none of the old `if (1 &&`. */
static void test_linear_rule_comments(void **state)
{
	(void)state;
	struct diag_ctx d;
	struct ir_program *ir =
		tu_compile(&d, "policy p {\n    allow tcp to port 80\n    deny\n}\n");
	struct emit_options o = {.strategy = EMIT_LINEAR};
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	assert_non_null(ir);
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	emit_c(ir, &o, f);
	fclose(f);
	assert_non_null(strstr(buf, "\t\t/* rule 0: allow tcp to port 80 */\n"
				    "#line 2 \"test.utp\"\n"
				    "\t\tasm volatile(\"\" ::: \"memory\");\n"
				    "\t\tif (st->dport == 80 &&\n"
				    "\t\t    st->proto == 6) {\n"));
	/* a rule without conditions tests only that the frame has a family:
	 * one with more VLAN tags than untrack_main walks has none */
	assert_non_null(strstr(buf, "\t\t/* rule 1: deny */\n"
				    "#line 3 \"test.utp\"\n"
				    "\t\tasm volatile(\"\" ::: \"memory\");\n"
				    "\t\tif (st->family) {\n"
				    "\t\t\tverdict = UT_VERDICT_DROP;\n"));
	assert_null(strstr(buf, "if (1"));
	free(buf);
	ir_free(ir);
	diag_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_comment_plain),
		cmocka_unit_test(test_comment_cannot_end_or_nest),
		cmocka_unit_test(test_comment_stays_on_its_line),
		cmocka_unit_test(test_hostile_linear),
		cmocka_unit_test(test_hostile_table),
		cmocka_unit_test(test_linear_rule_comments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
