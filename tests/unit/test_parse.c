/* The grammar: parse_source's syntax tree (every field and location of a
 * rule, sets, policies, separators), and its recovery: several errors in one
 * run, the rules kept around them, the error bound and the size bound.
 * What the language accepts as a whole is in tests/lang; this is the tree
 * those tables cannot see. */
#include "testutil.h"

#include "front/ast.h"
#include "front/read_file.h"
#include "objfmt/addr.h"
#include "grammar/parse.h"

static int parse_len(struct diag_ctx *d, struct ast_file *f, const char *src, size_t len)
{
	diag_init(d, "p.utp", src, len);
	return parse_source(d, f);
}

static int parse(struct diag_ctx *d, struct ast_file *f, const char *src)
{
	return parse_len(d, f, src, strlen(src));
}

static void done(struct diag_ctx *d, struct ast_file *f)
{
	ast_file_free(f);
	diag_free(d);
}

static void assert_loc(struct ut_loc loc, int l1, int c1, int l2, int c2)
{
	assert_int_equal(loc.first_line, l1);
	assert_int_equal(loc.first_column, c1);
	assert_int_equal(loc.last_line, l2);
	assert_int_equal(loc.last_column, c2);
}

static void assert_prefix(const struct prefix *p, const char *text)
{
	char buf[PREFIX_STRLEN];

	assert_string_equal(prefix_format(p, buf), text);
}

/* The i-th diagnostic as "LINE:COL: message" (recording order). */
static void assert_diag(const struct diag_ctx *d, size_t i, enum diag_severity sev, int line,
			int col, const char *msg)
{
	assert_true(i < d->n);
	assert_int_equal(d->items[i].severity, sev);
	assert_int_equal(d->items[i].loc.first_line, line);
	assert_int_equal(d->items[i].loc.first_column, col);
	assert_string_equal(d->items[i].message, msg);
}

/* ---------------------------------------------------------------- the tree */

static void test_every_field_of_a_rule(void **state)
{
	(void)state;
	struct diag_ctx d;
	struct ast_file f;
	/* Type on tcp is sema's to reject: the grammar takes it. */
	const char *src = "policy web order 10 {\n"
			  "    egress allow tcp from { 10.0.0.0/8, @s } port { 80, 1024-65535 } "
			  "to not 192.0.2.1 port not 22 type 3 code 4\n"
			  "}\n";

	assert_int_equal(parse(&d, &f, src), 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(f.npolicies, 1);
	const struct ast_policy *p = &f.policies[0];
	assert_string_equal(p->name, "web");
	assert_loc(p->name_loc, 1, 8, 1, 10);
	assert_true(p->has_order);
	assert_int_equal(p->order.value, 10);
	assert_loc(p->order.loc, 1, 18, 1, 19);
	assert_loc(p->loc, 1, 1, 3, 1);
	assert_false(p->had_errors);
	assert_int_equal(p->n, 1);

	const struct ast_rule *r = p->rules[0];
	assert_int_equal(r->dir, AST_EGRESS);
	assert_true(r->dir_written);
	assert_int_equal(r->action, AST_ALLOW);
	assert_int_equal(r->proto, AST_PROTO_TCP);
	assert_loc(r->proto_loc, 2, 18, 2, 20);
	assert_loc(r->loc, 2, 5, 2, 111);

	const struct ast_side *from = &r->from;
	assert_true(from->present);
	assert_loc(from->loc, 2, 22, 2, 68);
	assert_true(from->addrs.present);
	assert_false(from->addrs.negate);
	assert_false(from->addrs.any);
	assert_true(from->addrs.braced);
	assert_loc(from->addrs.loc, 2, 27, 2, 44);
	assert_int_equal(from->addrs.n, 2);
	assert_false(from->addrs.items[0].is_set);
	assert_false(from->addrs.items[0].bad);
	assert_prefix(&from->addrs.items[0].prefix, "10.0.0.0/8");
	assert_loc(from->addrs.items[0].loc, 2, 29, 2, 38);
	assert_true(from->addrs.items[1].is_set);
	assert_string_equal(from->addrs.items[1].set_name, "s");
	assert_loc(from->addrs.items[1].loc, 2, 41, 2, 42);
	assert_true(from->ports.present);
	assert_false(from->ports.negate);
	assert_true(from->ports.braced);
	assert_loc(from->ports.loc, 2, 51, 2, 68);
	assert_int_equal(from->ports.n, 2);
	assert_false(from->ports.items[0].is_range);
	assert_int_equal(from->ports.items[0].lo.value, 80);
	assert_int_equal(from->ports.items[0].hi.value, 80);
	assert_true(from->ports.items[1].is_range);
	assert_int_equal(from->ports.items[1].lo.value, 1024);
	assert_int_equal(from->ports.items[1].hi.value, 65535);
	assert_loc(from->ports.items[1].lo.loc, 2, 57, 2, 60);
	assert_loc(from->ports.items[1].hi.loc, 2, 62, 2, 66);
	assert_loc(from->ports.items[1].loc, 2, 57, 2, 66);

	const struct ast_side *to = &r->to;
	assert_true(to->present);
	assert_true(to->addrs.negate);
	assert_false(to->addrs.braced);
	assert_int_equal(to->addrs.n, 1);
	assert_prefix(&to->addrs.items[0].prefix, "192.0.2.1");
	assert_loc(to->addrs.loc, 2, 73, 2, 85);
	assert_true(to->ports.negate);
	assert_false(to->ports.braced);
	assert_int_equal(to->ports.n, 1);
	assert_int_equal(to->ports.items[0].lo.value, 22);
	assert_loc(to->ports.loc, 2, 92, 2, 97);

	assert_true(r->has_type);
	assert_true(r->has_code);
	assert_int_equal(r->icmp_type.value, 3);
	assert_int_equal(r->icmp_code.value, 4);
	assert_loc(r->icmp_type.loc, 2, 104, 2, 104);
	assert_loc(r->icmp_code.loc, 2, 111, 2, 111);
	assert_loc(r->icmp_loc, 2, 99, 2, 111);
	done(&d, &f);
}

static void test_a_bare_rule_has_no_conditions(void **state)
{
	(void)state;
	struct diag_ctx d;
	struct ast_file f;

	assert_int_equal(parse(&d, &f, "policy p {\n  deny\n}\n"), 0);
	const struct ast_rule *r = f.policies[0].rules[0];
	assert_int_equal(r->dir, AST_INGRESS);
	assert_false(r->dir_written);
	assert_int_equal(r->action, AST_DENY);
	assert_int_equal(r->proto, AST_PROTO_NONE);
	assert_false(r->from.present);
	assert_false(r->to.present);
	assert_false(r->from.addrs.present);
	assert_false(r->from.ports.present);
	assert_false(r->has_type);
	assert_false(r->has_code);
	/* the empty optional parts do not widen the rule's span */
	assert_loc(r->loc, 2, 3, 2, 6);
	assert_false(f.policies[0].has_order);
	done(&d, &f);
}

static void test_actions_directions_protocols(void **state)
{
	(void)state;
	struct diag_ctx d;
	struct ast_file f;
	static const struct {
		enum ast_action action;
		enum ast_dir dir;
		bool dir_written;
		enum ast_proto_kind proto;
		uint64_t num;
	} want[] = {
		{AST_ALLOW, AST_INGRESS, true, AST_PROTO_UDP, 0},
		{AST_DENY, AST_INGRESS, false, AST_PROTO_SCTP, 0},
		{AST_PASS, AST_EGRESS, true, AST_PROTO_ICMP, 0},
		{AST_LOG, AST_INGRESS, false, AST_PROTO_ICMPV6, 0},
		{AST_DENY, AST_INGRESS, false, AST_PROTO_NUMBER, 47},
		{AST_DENY, AST_INGRESS, false, AST_PROTO_NUMBER, 0},
	};

	assert_int_equal(parse(&d, &f,
			       "policy p { ingress allow udp; deny sctp; egress pass icmp\n"
			       "log icmpv6; deny proto 47; deny proto 0 }"),
			 0);
	assert_int_equal(f.policies[0].n, 6);
	for (size_t i = 0; i < 6; i++) {
		const struct ast_rule *r = f.policies[0].rules[i];
		assert_int_equal(r->action, want[i].action);
		assert_int_equal(r->dir, want[i].dir);
		assert_int_equal(r->dir_written, want[i].dir_written);
		assert_int_equal(r->proto, want[i].proto);
		if (want[i].proto == AST_PROTO_NUMBER)
			assert_int_equal(r->proto_num.value, want[i].num);
	}
	/* 'proto N' spans both words */
	assert_loc(f.policies[0].rules[4]->proto_loc, 2, 18, 2, 25);
	assert_loc(f.policies[0].rules[4]->proto_num.loc, 2, 24, 2, 25);
	done(&d, &f);
}

/* Numbers are kept as written, saturated, for sema to reject in place. */
static void test_numbers_saturate(void **state)
{
	(void)state;
	struct diag_ctx d;
	struct ast_file f;

	assert_int_equal(parse(&d, &f,
			       "policy p order 99999999999999999999 {\n"
			       "deny proto 281474976710655; deny proto 281474976710656\n"
			       "deny tcp to port 65536-99999999999999999999999999\n}"),
			 0);
	assert_int_equal(d.n, 0);
	const struct ast_policy *p = &f.policies[0];
	assert_int_equal(p->order.value, AST_NUM_MAX);
	assert_int_equal(p->rules[0]->proto_num.value, AST_NUM_MAX);
	assert_int_equal(p->rules[1]->proto_num.value, AST_NUM_MAX);
	assert_int_equal(p->rules[2]->to.ports.items[0].lo.value, 65536);
	assert_int_equal(p->rules[2]->to.ports.items[0].hi.value, AST_NUM_MAX);
	done(&d, &f);
}

static void test_any_and_not(void **state)
{
	(void)state;
	struct diag_ctx d;
	struct ast_file f;

	assert_int_equal(parse(&d, &f, "policy p { deny from any to not any }"), 0);
	const struct ast_rule *r = f.policies[0].rules[0];
	assert_true(r->from.addrs.present);
	assert_true(r->from.addrs.any);
	assert_false(r->from.addrs.negate);
	assert_int_equal(r->from.addrs.n, 0);
	assert_true(r->to.addrs.any);
	assert_true(r->to.addrs.negate);
	assert_loc(r->to.addrs.loc, 1, 29, 1, 35);
	done(&d, &f);
}

static void test_side_with_ports_only(void **state)
{
	(void)state;
	struct diag_ctx d;
	struct ast_file f;

	assert_int_equal(parse(&d, &f, "policy p { deny udp from port 53 }"), 0);
	const struct ast_rule *r = f.policies[0].rules[0];
	assert_true(r->from.present);
	assert_false(r->from.addrs.present);
	assert_true(r->from.ports.present);
	assert_loc(r->from.loc, 1, 21, 1, 32);
	done(&d, &f);
}

static void test_sets(void **state)
{
	(void)state;
	struct diag_ctx d;
	struct ast_file f;

	assert_int_equal(parse(&d, &f,
			       "set a { 10.1.2.3/8, 2001:db8::1, }\n"
			       "set b {\n  192.0.2.0/24,\n  ::1\n}\n"
			       "policy p { deny from { @a, @b } }\n"),
			 0);
	/* the host bits are a warning, not an error: the parse is clean */
	assert_int_equal(d.n, 1);
	assert_diag(&d, 0, DIAG_WARNING, 1, 9,
		    "'10.1.2.3/8' has host bits set; it means 10.0.0.0/8");
	assert_int_equal(f.nsets, 2);
	assert_string_equal(f.sets[0].name, "a");
	assert_loc(f.sets[0].name_loc, 1, 5, 1, 5);
	assert_loc(f.sets[0].loc, 1, 1, 1, 34);
	assert_int_equal(f.sets[0].n, 2);
	assert_prefix(&f.sets[0].items[0].prefix, "10.0.0.0/8");
	assert_prefix(&f.sets[0].items[1].prefix, "2001:db8::1");
	assert_int_equal(f.sets[1].n, 2);
	assert_loc(f.sets[1].items[1].loc, 4, 3, 4, 5);
	assert_loc(f.sets[1].loc, 2, 1, 5, 1);
	const struct ast_addrs *from = &f.policies[0].rules[0]->from.addrs;
	assert_int_equal(from->n, 2);
	assert_string_equal(from->items[0].set_name, "a");
	assert_string_equal(from->items[1].set_name, "b");
	done(&d, &f);
}

/* ';' and newlines end rules; blank lines, comments and repeated
 * separators are nothing. */
static void test_separators(void **state)
{
	(void)state;
	struct diag_ctx d;
	struct ast_file f;

	assert_int_equal(
		parse(&d, &f,
		      "# head\n\n;policy a { deny tcp;deny udp ;; }\n"
		      "policy b {\n\n  # c\n  deny sctp # tail\n\n  ; deny icmp\n}; policy c {}\n"),
		0);
	assert_int_equal(f.npolicies, 3);
	assert_int_equal(f.policies[0].n, 2);
	assert_int_equal(f.policies[0].rules[1]->proto, AST_PROTO_UDP);
	assert_loc(f.policies[0].rules[1]->loc, 3, 22, 3, 29);
	assert_int_equal(f.policies[1].n, 2);
	assert_loc(f.policies[1].rules[0]->loc, 7, 3, 7, 11);
	assert_loc(f.policies[1].rules[1]->loc, 9, 5, 9, 13);
	assert_int_equal(f.policies[2].n, 0);
	done(&d, &f);
}

/* ---------------------------------------------------------------- errors */

static void test_syntax_error_message(void **state)
{
	(void)state;
	struct diag_ctx d;
	struct ast_file f;

	assert_int_equal(parse(&d, &f, "policy p {\n    drop tcp\n}\n"), -1);
	assert_int_equal(d.n, 1);
	assert_diag(&d, 0, DIAG_ERROR, 2, 5,
		    "syntax error: unexpected 'drop', expected end of line, 'ingress', 'egress', "
		    "'allow', 'deny', 'pass', 'log', ';' or '}'");
	assert_loc(d.items[0].loc, 2, 5, 2, 8);
	done(&d, &f);

	/* keywords are quoted by name, the end of the input named */
	assert_int_equal(parse(&d, &f, "policy tcp"), -1);
	assert_diag(&d, 0, DIAG_ERROR, 1, 8, "syntax error: unexpected 'tcp', expected name");
	done(&d, &f);
	assert_int_equal(parse(&d, &f, "policy p"), -1);
	assert_diag(&d, 0, DIAG_ERROR, 1, 8,
		    "syntax error: unexpected end of file, expected 'order' or '{'");
	done(&d, &f);

	/* a long token is quoted by its first 40 bytes */
	char src[200];
	snprintf(src, sizeof(src), "policy p { deny %s }",
		 "n0123456789012345678901234567890123456789xyz");
	assert_int_equal(parse(&d, &f, src), -1);
	assert_diag(&d, 0, DIAG_ERROR, 1, 17,
		    "syntax error: unexpected 'n012345678901234567890123456789012345678', expected "
		    "end of line, 'incomplete', 'tcp', 'udp', 'sctp', 'icmp', 'icmpv6', 'proto', "
		    "'from', 'to', 'type', ';' or '}'");
	done(&d, &f);
}

/* One run: an error per broken rule, the rules around them kept. */
static void test_recovery_at_the_end_of_a_rule(void **state)
{
	(void)state;
	struct diag_ctx d;
	struct ast_file f;

	assert_int_equal(parse(&d, &f,
			       "policy p {\n"
			       "    deny bogus\n"
			       "    allow tcp to port 80\n"
			       "    allow tcp to to port 81\n"
			       "    allow udp to port 53\n"
			       "    deny udp from port x\n"
			       "}\n"),
			 -1);
	assert_int_equal(d.errors, 3);
	assert_int_equal(d.items[0].loc.first_line, 2);
	assert_int_equal(d.items[0].loc.first_column, 10);
	assert_int_equal(d.items[1].loc.first_line, 4);
	assert_int_equal(d.items[1].loc.first_column, 18);
	assert_int_equal(d.items[2].loc.first_line, 6);
	assert_int_equal(d.items[2].loc.first_column, 24);
	const struct ast_policy *p = &f.policies[0];
	assert_true(p->had_errors);
	assert_int_equal(p->n, 2);
	assert_int_equal(p->rules[0]->to.ports.items[0].lo.value, 80);
	assert_int_equal(p->rules[1]->to.ports.items[0].lo.value, 53);
	done(&d, &f);

	/* the last rule, before '}' without a newline */
	assert_int_equal(parse(&d, &f, "policy p { deny tcp; deny bogus }"), -1);
	assert_int_equal(d.errors, 1);
	assert_int_equal(f.policies[0].n, 1);
	assert_true(f.policies[0].had_errors);
	done(&d, &f);
}

/* An error inside '{ }' recovers at its '}'; the rule is dropped whole, so
 * sema cannot report follow-on errors about its half. */
static void test_recovery_at_a_closing_brace(void **state)
{
	(void)state;
	struct diag_ctx d;
	struct ast_file f;

	assert_int_equal(parse(&d, &f,
			       "policy p {\n"
			       "    deny from { 10.0.0.1 10.0.0.2 } to port 99999\n"
			       "    deny tcp to port { 1 2 }\n"
			       "    deny udp\n"
			       "}\n"),
			 -1);
	assert_int_equal(d.errors, 2);
	assert_diag(&d, 0, DIAG_ERROR, 2, 26,
		    "syntax error: unexpected '10.0.0.2', expected end of line, '}' or ','");
	assert_diag(&d, 1, DIAG_ERROR, 3, 26,
		    "syntax error: unexpected '2', expected end of line, '}', ',' or '-'");
	assert_int_equal(f.policies[0].n, 1);
	assert_int_equal(f.policies[0].rules[0]->proto, AST_PROTO_UDP);
	done(&d, &f);
}

/* Errors in declarations: a set recovers at its '}' and keeps what came
 * before; a broken declaration is dropped at the end of its line. */
static void test_recovery_at_the_end_of_a_declaration(void **state)
{
	(void)state;
	struct diag_ctx d;
	struct ast_file f;

	assert_int_equal(parse(&d, &f,
			       "set s { 10.0.0.1 10.0.0.2 }\n"
			       "policy tcp { deny }\n"
			       "set t { 10.0.0.3 }\n"
			       "policy q order { deny }\n"
			       "policy r { deny }\n"),
			 -1);
	assert_int_equal(d.errors, 3);
	assert_diag(&d, 0, DIAG_ERROR, 1, 18,
		    "syntax error: unexpected '10.0.0.2', expected end of line, '}' or ','");
	assert_diag(&d, 1, DIAG_ERROR, 2, 8, "syntax error: unexpected 'tcp', expected name");
	assert_diag(&d, 2, DIAG_ERROR, 4, 16, "syntax error: unexpected '{', expected number");
	assert_int_equal(f.nsets, 2);
	assert_string_equal(f.sets[0].name, "s");
	assert_int_equal(f.sets[0].n, 1);
	assert_string_equal(f.sets[1].name, "t");
	assert_int_equal(f.npolicies, 1);
	assert_string_equal(f.policies[0].name, "r");
	done(&d, &f);
}

/* The scanner's errors: the parse goes on past each, and the parser adds
 * no syntax error about the word or bytes already reported. */
static void test_lexical_errors(void **state)
{
	(void)state;
	struct diag_ctx d;
	struct ast_file f;
	static const char src[] = "policy p {\n"
				  "    deny tcp\0 to port 80\n"
				  "    deny from 1.2.3\n"
				  "    deny from @\n"
				  "    deny $ udp\n"
				  "    deny from 10.0.0.0/33\n"
				  "}\n";

	assert_int_equal(parse_len(&d, &f, src, sizeof(src) - 1), -1);
	assert_int_equal(d.n, 5);
	assert_diag(&d, 0, DIAG_ERROR, 2, 13, "NUL byte in input");
	assert_diag(&d, 1, DIAG_ERROR, 3, 15, "invalid number or address '1.2.3'");
	assert_diag(&d, 2, DIAG_ERROR, 4, 15, "'@' must be followed by a set name");
	assert_diag(&d, 3, DIAG_ERROR, 5, 10, "unexpected character '$'");
	assert_diag(&d, 4, DIAG_ERROR, 6, 15,
		    "invalid prefix length in '10.0.0.0/33' (IPv4 allows 0-32, IPv6 0-128)");
	/* the NUL is dropped and the rule read on; a bad literal stays in
	 * the tree, marked, for sema to skip */
	const struct ast_policy *p = &f.policies[0];
	assert_int_equal(p->n, 3);
	assert_int_equal(p->rules[0]->to.ports.items[0].lo.value, 80);
	assert_int_equal(p->rules[1]->proto, AST_PROTO_UDP);
	assert_true(p->rules[2]->from.addrs.items[0].bad);
	done(&d, &f);
}

static void test_name_length(void **state)
{
	(void)state;
	struct diag_ctx d;
	struct ast_file f;
	char src[700], n255[256], n256[257];

	memset(n255, 'a', 255);
	n255[255] = '\0';
	memset(n256, 'b', 256);
	n256[256] = '\0';
	snprintf(src, sizeof(src), "policy %s { deny }", n255);
	assert_int_equal(parse(&d, &f, src), 0);
	assert_string_equal(f.policies[0].name, n255);
	done(&d, &f);

	snprintf(src, sizeof(src), "set %s { ::1 }\npolicy p { deny from @%s }", n256, n256);
	assert_int_equal(parse(&d, &f, src), -1);
	assert_int_equal(d.n, 2);
	assert_diag(&d, 0, DIAG_ERROR, 1, 5, "name is longer than 255 characters");
	assert_diag(&d, 1, DIAG_ERROR, 2, 22, "name is longer than 255 characters");
	/* cut, not dropped: the tree stays whole */
	assert_int_equal(strlen(f.sets[0].name), 255);
	assert_int_equal(strlen(f.policies[0].rules[0]->from.addrs.items[0].set_name), 255);
	done(&d, &f);
}

/* After max_errors the scanner ends the input: a flood of errors costs no
 * more than the bound, and what was built is still freed. */
static void test_error_bound(void **state)
{
	(void)state;
	struct diag_ctx d;
	struct ast_file f;
	size_t len = 0;
	char *src = NULL;
	FILE *m = open_memstream(&src, &len);

	assert_non_null(m);
	for (int i = 0; i < 1000; i++)
		fprintf(m, "policy p%d { deny bogus%d }\n", i, i);
	fclose(m);
	assert_int_equal(parse(&d, &f, src), -1);
	assert_int_equal(d.errors, 100);
	assert_int_equal(d.n, 100);
	assert_true(d.truncated);
	assert_true(diag_should_stop(&d));
	/* the 100th error is on line 100: nothing after it was read */
	assert_int_equal(d.items[99].loc.first_line, 100);
	assert_true(f.npolicies <= 100);
	done(&d, &f);
	free(src);

	/* a caller may lower the bound */
	diag_init(&d, "p.utp", "policy p { deny a; deny b; deny c; deny d }", 43);
	d.max_errors = 2;
	assert_int_equal(parse_source(&d, &f), -1);
	assert_int_equal(d.errors, 2);
	assert_true(d.truncated);
	done(&d, &f);
}

/* The size bound is checked before a byte is read: the source need not
 * even be there. */
static void test_size_bound(void **state)
{
	(void)state;
	struct diag_ctx d;
	struct ast_file f;

	diag_init(&d, "huge.utp", "policy p { deny }", (size_t)SOURCE_MAX_SIZE + 1);
	assert_int_equal(parse_source(&d, &f), -1);
	assert_int_equal(d.n, 1);
	assert_false(d.items[0].has_loc);
	assert_string_equal(d.items[0].message, "file is larger than 256 MiB");
	assert_int_equal(f.npolicies, 0);
	assert_int_equal(f.nsets, 0);
	done(&d, &f);
}

static void test_empty_input(void **state)
{
	(void)state;
	struct diag_ctx d;
	struct ast_file f;

	/* no policy is sema's error: the grammar accepts an empty file */
	assert_int_equal(parse(&d, &f, ""), 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(f.npolicies, 0);
	done(&d, &f);
	assert_int_equal(parse(&d, &f, "# only\n\n  \t\n"), 0);
	assert_int_equal(d.n, 0);
	done(&d, &f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_field_of_a_rule),
		cmocka_unit_test(test_a_bare_rule_has_no_conditions),
		cmocka_unit_test(test_actions_directions_protocols),
		cmocka_unit_test(test_numbers_saturate),
		cmocka_unit_test(test_any_and_not),
		cmocka_unit_test(test_side_with_ports_only),
		cmocka_unit_test(test_sets),
		cmocka_unit_test(test_separators),
		cmocka_unit_test(test_syntax_error_message),
		cmocka_unit_test(test_recovery_at_the_end_of_a_rule),
		cmocka_unit_test(test_recovery_at_a_closing_brace),
		cmocka_unit_test(test_recovery_at_the_end_of_a_declaration),
		cmocka_unit_test(test_lexical_errors),
		cmocka_unit_test(test_name_length),
		cmocka_unit_test(test_error_bound),
		cmocka_unit_test(test_size_bound),
		cmocka_unit_test(test_empty_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
