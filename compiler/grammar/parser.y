/* The .utp grammar (docs/language.md). A pure parser: it builds the AST in
 * struct parse_state and leaves every semantic check to sema. Errors recover
 * at the end of the rule (or declaration) so one run reports them all. */

%code requires {
#include "grammar/parse_state.h"
#ifndef YY_TYPEDEF_YY_SCANNER_T
#define YY_TYPEDEF_YY_SCANNER_T
typedef void *yyscan_t;
#endif
}

%code provides {
int utp_lex(YYSTYPE *yylval, YYLTYPE *yylloc, yyscan_t scanner);
}

%code {
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"

#define yylex utp_lex

/* Custom error reporting leaves bison only one message of its own to give:
 * the parser stack ran out. */
static void yyerror(YYLTYPE *loc, yyscan_t scanner, struct parse_state *ps, const char *msg)
{
	(void)scanner;
	diag_at(ps->d, DIAG_ERROR, *loc, "cannot parse: %s", msg);
}

/* A production's location spans its non-empty parts; an empty production
 * has first_line 0 so it never widens its parent's span. */
#define YYLLOC_DEFAULT(Cur, Rhs, N)                                                         \
	do {                                                                                \
		int first_ = 0, last_ = 0;                                                  \
		for (int k_ = 1; k_ <= (N); k_++) {                                         \
			if (YYRHSLOC(Rhs, k_).first_line > 0) {                             \
				if (!first_)                                                \
					first_ = k_;                                        \
				last_ = k_;                                                 \
			}                                                                   \
		}                                                                           \
		if (first_) {                                                               \
			(Cur).first_line = YYRHSLOC(Rhs, first_).first_line;                \
			(Cur).first_column = YYRHSLOC(Rhs, first_).first_column;            \
			(Cur).last_line = YYRHSLOC(Rhs, last_).last_line;                   \
			(Cur).last_column = YYRHSLOC(Rhs, last_).last_column;               \
		} else {                                                                    \
			memset(&(Cur), 0, sizeof(Cur));                                     \
		}                                                                           \
	} while (0)

static void set_begin(struct parse_state *ps, char *name, YYLTYPE loc)
{
	memset(&ps->set, 0, sizeof(ps->set));
	ps->set.name = name;
	ps->set.name_loc = loc;
	ps->in_set = true;
}

static void set_add(struct parse_state *ps, const struct ast_addr_token *tok, YYLTYPE loc)
{
	struct ast_addr *a = ast_set_push(&ps->set);
	a->prefix = tok->prefix;
	a->bad = tok->bad;
	a->loc = loc;
}

static void set_end(struct parse_state *ps, YYLTYPE loc)
{
	ps->set.loc = loc;
	*ast_file_push_set(ps->file) = ps->set;
	memset(&ps->set, 0, sizeof(ps->set));
	ps->in_set = false;
}

static void policy_begin(struct parse_state *ps, char *name, YYLTYPE loc)
{
	memset(&ps->policy, 0, sizeof(ps->policy));
	ps->policy.name = name;
	ps->policy.name_loc = loc;
	ps->in_policy = true;
}

static void policy_end(struct parse_state *ps, YYLTYPE loc)
{
	ps->policy.loc = loc;
	*ast_file_push_policy(ps->file) = ps->policy;
	memset(&ps->policy, 0, sizeof(ps->policy));
	ps->in_policy = false;
}

static void rule_reset(struct parse_state *ps)
{
	ast_rule_clear(&ps->rule);
	ps->side = NULL;
	ps->rule_bad = false;
}

/* A rule was dropped for a syntax error. */
static void rule_error(struct parse_state *ps)
{
	rule_reset(ps);
	ps->policy.had_errors = true;
}

static void rule_end(struct parse_state *ps, YYLTYPE loc)
{
	if (ps->rule_bad) {
		/* a list inside it had a syntax error: checking the rest would
		 * only report follow-on errors */
		rule_reset(ps);
		ps->policy.had_errors = true;
		return;
	}
	ps->rule.loc = loc;
	ast_policy_add(&ps->policy, &ps->rule);
	rule_reset(ps);
}

static void set_proto(struct parse_state *ps, enum ast_proto_kind kind, YYLTYPE loc)
{
	ps->rule.proto = kind;
	ps->rule.proto_loc = loc;
}

static void side_add_addr(struct parse_state *ps, const struct ast_addr_token *tok, char *set,
			  YYLTYPE loc)
{
	struct ast_addr *a = ast_addrs_push(&ps->side->addrs);
	if (set) {
		a->is_set = true;
		a->set_name = set;
	} else {
		a->prefix = tok->prefix;
		a->bad = tok->bad;
	}
	a->loc = loc;
}

static void side_add_range(struct parse_state *ps, uint64_t lo, YYLTYPE lo_loc, uint64_t hi,
			   YYLTYPE hi_loc, bool is_range, YYLTYPE loc)
{
	struct ast_range *r = ast_ports_push(&ps->side->ports);
	r->lo = (struct ast_number){lo, lo_loc};
	r->hi = (struct ast_number){hi, hi_loc};
	r->is_range = is_range;
	r->loc = loc;
}

/* After an error outside any policy body, drop whatever was half built. */
static void parse_abandon(struct parse_state *ps)
{
	rule_reset(ps);
	if (ps->in_set)
		ast_set_free(&ps->set);
	if (ps->in_policy)
		ast_policy_free(&ps->policy);
	ps->in_set = ps->in_policy = false;
}
}

%define api.pure full
%define api.location.type {struct ut_loc}
%define parse.error custom
%define parse.lac full
%locations
%lex-param {yyscan_t scanner}
%parse-param {yyscan_t scanner} {struct parse_state *ps}

%union {
	uint64_t num;
	char *str;
	struct ast_addr_token addr;
}

%token <num> NUMBER "number"
%token <str> NAME "name"
%token <str> SETREF "set reference"
%token <addr> ADDRESS "address"
%token NEWLINE "end of line"
%token SET "'set'" POLICY "'policy'" ORDER "'order'"
%token INGRESS "'ingress'" EGRESS "'egress'"
%token ALLOW "'allow'" DENY "'deny'" PASS "'pass'" LOG "'log'"
/* before the protocols: syntax errors list what may follow an action in
 * the order it may be written */
%token INCOMPLETE "'incomplete'"
%token TCP "'tcp'" UDP "'udp'" SCTP "'sctp'" ICMP "'icmp'" ICMPV6 "'icmpv6'" PROTO "'proto'"
%token FROM "'from'" TO "'to'" PORT "'port'" NOT "'not'" ANY "'any'"
%token TYPE "'type'" CODE "'code'"

%destructor { free($$); } <str>

%%

file:
	  %empty
	| file item
	;

item:
	  sep
	| set_decl
	| policy_decl
	| error sep { yyerrok; parse_abandon(ps); }
	;

sep:
	  NEWLINE
	| ';'
	;

/* set := 'set' NAME '{' addr { ',' addr } [','] '}' */
set_decl:
	  SET NAME { set_begin(ps, $2, @2); $2 = NULL; } '{' set_body
		{ set_end(ps, @$); }
	;

set_body:
	  set_items opt_comma opt_nl '}'
	| error '}' { yyerrok; }
	;

set_items:
	  set_item
	| set_items ',' set_item
	;

set_item:
	  ADDRESS { set_add(ps, &$1, @1); }
	| SETREF
		{
			diag_at(ps->d, DIAG_ERROR, @1, "a set holds addresses only; '@%s' cannot be used inside a set", $1);
			free($1);
		}
	;

opt_comma:
	  %empty
	| ','
	;

opt_nl:
	  %empty
	| NEWLINE
	;

/* policy := 'policy' NAME [ 'order' NUMBER ] '{' { rule } '}' */
policy_decl:
	  POLICY NAME { policy_begin(ps, $2, @2); $2 = NULL; } order_opt '{' policy_body
		{ policy_end(ps, @$); }
	;

order_opt:
	  %empty
	| ORDER NUMBER
		{
			ps->policy.has_order = true;
			ps->policy.order = (struct ast_number){$2, @2};
		}
	;

policy_body:
	  rule_list '}'
	| rule_list rule '}'
	| rule_list error '}' { yyerrok; rule_error(ps); }
	;

rule_list:
	  %empty
	| rule_list sep
	| rule_list rule sep
	| rule_list error sep { yyerrok; rule_error(ps); }
	;

/* rule := [ 'ingress' | 'egress' ] action [ 'incomplete' ] [ proto ] [ 'from' side ]
 *         [ 'to' side ] [ icmp ] */
rule:
	  dir_opt action incomplete_opt proto_opt from_opt to_opt icmp_opt { rule_end(ps, @$); }
	;

/* Where the condition stands: right after the action, so that it reads as
 * an adjective of what follows ("deny incomplete udp from ..."). */
incomplete_opt:
	  %empty
	| INCOMPLETE { ps->rule.incomplete = true; ps->rule.incomplete_loc = @1; }
	;

dir_opt:
	  %empty
	| INGRESS { ps->rule.dir = AST_INGRESS; ps->rule.dir_written = true; }
	| EGRESS { ps->rule.dir = AST_EGRESS; ps->rule.dir_written = true; }
	;

action:
	  ALLOW { ps->rule.action = AST_ALLOW; }
	| DENY { ps->rule.action = AST_DENY; }
	| PASS { ps->rule.action = AST_PASS; }
	| LOG { ps->rule.action = AST_LOG; }
	;

/* proto := 'tcp' | 'udp' | 'sctp' | 'icmp' | 'icmpv6' | 'proto' NUMBER */
proto_opt:
	  %empty
	| TCP { set_proto(ps, AST_PROTO_TCP, @1); }
	| UDP { set_proto(ps, AST_PROTO_UDP, @1); }
	| SCTP { set_proto(ps, AST_PROTO_SCTP, @1); }
	| ICMP { set_proto(ps, AST_PROTO_ICMP, @1); }
	| ICMPV6 { set_proto(ps, AST_PROTO_ICMPV6, @1); }
	| PROTO NUMBER
		{
			set_proto(ps, AST_PROTO_NUMBER, @$);
			ps->rule.proto_num = (struct ast_number){$2, @2};
		}
	;

from_opt:
	  %empty
	| FROM { ps->side = &ps->rule.from; } side
		{ ps->rule.from.present = true; ps->rule.from.loc = @$; }
	;

to_opt:
	  %empty
	| TO { ps->side = &ps->rule.to; } side
		{ ps->rule.to.present = true; ps->rule.to.loc = @$; }
	;

/* side := addrs [ 'port' ports ] | 'port' ports */
side:
	  addrs
	| addrs PORT ports
	| PORT ports
	;

/* addrs := [ 'not' ] ( 'any' | addr | '@' NAME | '{' addr_or_set { ',' addr_or_set } [','] '}' ) */
addrs:
	  addr_body { ps->side->addrs.present = true; ps->side->addrs.loc = @$; }
	| NOT addr_body
		{
			ps->side->addrs.present = true;
			ps->side->addrs.negate = true;
			ps->side->addrs.loc = @$;
		}
	;

addr_body:
	  ANY { ps->side->addrs.any = true; }
	| addr_item
	| '{' addr_items opt_comma opt_nl '}' { ps->side->addrs.braced = true; }
	| '{' error '}' { yyerrok; ps->rule_bad = true; }
	;

addr_items:
	  addr_item
	| addr_items ',' addr_item
	;

addr_item:
	  ADDRESS { side_add_addr(ps, &$1, NULL, @1); }
	| SETREF { side_add_addr(ps, NULL, $1, @1); $1 = NULL; }
	;

/* ports := [ 'not' ] ( range | '{' range { ',' range } [','] '}' ) */
ports:
	  port_body { ps->side->ports.present = true; ps->side->ports.loc = @$; }
	| NOT port_body
		{
			ps->side->ports.present = true;
			ps->side->ports.negate = true;
			ps->side->ports.loc = @$;
		}
	;

port_body:
	  range
	| '{' range_items opt_comma opt_nl '}' { ps->side->ports.braced = true; }
	| '{' error '}' { yyerrok; ps->rule_bad = true; }
	;

range_items:
	  range
	| range_items ',' range
	;

/* range := NUMBER [ '-' NUMBER ] */
range:
	  NUMBER { side_add_range(ps, $1, @1, $1, @1, false, @$); }
	| NUMBER '-' NUMBER { side_add_range(ps, $1, @1, $3, @3, true, @$); }
	;

/* icmp := 'type' NUMBER [ 'code' NUMBER ] */
icmp_opt:
	  %empty
	| TYPE NUMBER
		{
			ps->rule.has_type = true;
			ps->rule.icmp_type = (struct ast_number){$2, @2};
			ps->rule.icmp_loc = @$;
		}
	| TYPE NUMBER CODE NUMBER
		{
			ps->rule.has_type = ps->rule.has_code = true;
			ps->rule.icmp_type = (struct ast_number){$2, @2};
			ps->rule.icmp_code = (struct ast_number){$4, @4};
			ps->rule.icmp_loc = @$;
		}
	;

%%

void parse_state_cleanup(struct parse_state *ps)
{
	parse_abandon(ps);
	ast_rule_free(&ps->rule);
}

/* How a token reads in a message: keywords quoted, values by their text. */
static void describe_token(const struct parse_state *ps, yysymbol_kind_t kind, const YYLTYPE *loc,
			   char *buf, size_t size)
{
	switch (kind) {
	case YYSYMBOL_YYEOF:
		snprintf(buf, size, "end of file");
		return;
	case YYSYMBOL_NAME:
	case YYSYMBOL_NUMBER:
	case YYSYMBOL_ADDRESS:
	case YYSYMBOL_SETREF:
		if (loc && ps->last_text[0]) {
			snprintf(buf, size, "'%s'", ps->last_text);
			return;
		}
		break;
	default:
		break;
	}
	const char *name = yysymbol_name(kind);
	size_t len = strlen(name);
	/* bison keeps the double quotes of a string alias */
	if (len >= 2 && name[0] == '"' && name[len - 1] == '"')
		snprintf(buf, size, "%.*s", (int)(len - 2), name + 1);
	else
		snprintf(buf, size, "%s", name);
}

static int yyreport_syntax_error(const yypcontext_t *ctx, yyscan_t scanner, struct parse_state *ps)
{
	enum { MAX_EXPECTED = 16 };
	yysymbol_kind_t expected[MAX_EXPECTED];
	int n = yypcontext_expected_tokens(ctx, expected, MAX_EXPECTED);
	const YYLTYPE *loc = yypcontext_location(ctx);
	char what[96], list[1024] = "", item[64];

	(void)scanner;
	/* The scanner reported this token, or bytes it dropped right before
	 * it: a syntax error here would only repeat that error. */
	if (ps->after_lex_error)
		return 0;
	describe_token(ps, yypcontext_token(ctx), loc, what, sizeof(what));
	if (n > 0) {
		strcat(list, ", expected ");
		for (int i = 0; i < n; i++) {
			describe_token(ps, expected[i], NULL, item, sizeof(item));
			if (i > 0)
				strcat(list, i == n - 1 ? " or " : ", ");
			strcat(list, item);
		}
	}
	diag_at(ps->d, DIAG_ERROR, *loc, "syntax error: unexpected %s%s", what, list);
	return 0;
}
