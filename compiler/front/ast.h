/* The syntax tree the parser builds: the policy as written, values not yet
 * range-checked, every node with its location. sema turns it into IR. */
#ifndef UNTRACK_AST_H
#define UNTRACK_AST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "objfmt/addr.h"
#include "base/arena.h"
#include "base/loc.h"

enum ast_action { AST_ALLOW, AST_DENY, AST_PASS, AST_LOG };
enum ast_dir { AST_INGRESS, AST_EGRESS };

enum ast_proto_kind {
	AST_PROTO_NONE, /* no protocol condition */
	AST_PROTO_TCP,
	AST_PROTO_UDP,
	AST_PROTO_SCTP,
	AST_PROTO_ICMP,
	AST_PROTO_ICMPV6,
	AST_PROTO_NUMBER, /* 'proto N' */
};

/* Numbers are kept as written (saturated at AST_NUM_MAX) so sema can report
 * a range error at the right place. */
#define AST_NUM_MAX UINT64_C(0xffffffffffff)

struct ast_number {
	uint64_t value;
	struct ut_loc loc;
};

/* One element of an address list: a literal prefix or '@name'. */
struct ast_addr {
	bool is_set;
	struct prefix prefix; /* when !is_set */
	char *set_name;	      /* when is_set, without '@' */
	bool bad;	      /* malformed literal, already reported */
	struct ut_loc loc;
};

struct ast_addrs {
	bool present;
	bool negate;
	bool any;    /* 'any' */
	bool braced; /* written as '{ ... }' */
	struct ast_addr *items;
	size_t n, cap;
	struct ut_loc loc; /* the whole condition, 'not' included */
};

struct ast_range {
	struct ast_number lo, hi; /* hi == lo when written as one number */
	bool is_range;		  /* written 'lo-hi' */
	struct ut_loc loc;
};

struct ast_ports {
	bool present;
	bool negate;
	bool braced;
	struct ast_range *items;
	size_t n, cap;
	struct ut_loc loc;
};

struct ast_side {
	bool present; /* the 'from'/'to' keyword was written */
	struct ast_addrs addrs;
	struct ast_ports ports;
	struct ut_loc loc;
};

struct ast_rule {
	enum ast_dir dir;
	bool dir_written; /* 'ingress'/'egress' was written */
	enum ast_action action;
	enum ast_proto_kind proto;
	struct ast_number proto_num; /* AST_PROTO_NUMBER */
	struct ut_loc proto_loc;
	struct ast_side from, to;
	bool has_type, has_code;
	struct ast_number icmp_type, icmp_code;
	struct ut_loc icmp_loc; /* 'type N [code N]' */
	bool incomplete;	/* 'incomplete' was written */
	struct ut_loc incomplete_loc;
	struct ut_loc loc; /* the whole rule */
};

struct ast_set {
	char *name;
	struct ast_addr *items; /* literal prefixes only */
	size_t n, cap;
	struct ut_loc loc, name_loc;
};

/* A policy's rules, their lists and names live in its arena: a rule is
 * built in growable arrays, then copied in at its exact size (ast_policy_add)
 * and nothing of it is freed alone. */
struct ast_policy {
	char *name;
	bool has_order;
	struct ast_number order;
	struct ast_rule **rules;
	size_t n, cap;
	struct arena arena;
	bool had_errors; /* rules were dropped for syntax errors */
	struct ut_loc loc, name_loc;
};

struct ast_file {
	struct ast_set *sets;
	size_t nsets, sets_cap;
	struct ast_policy *policies;
	size_t npolicies, policies_cap;
};

/* Growable-array helpers used by the parser; they abort on out-of-memory
 * (the front end has no way to continue without memory). */
struct ast_addr *ast_addrs_push(struct ast_addrs *a);
struct ast_range *ast_ports_push(struct ast_ports *p);
struct ast_addr *ast_set_push(struct ast_set *s);
struct ast_set *ast_file_push_set(struct ast_file *f);
struct ast_policy *ast_file_push_policy(struct ast_file *f);

/* Append a copy of r, built with the push helpers, to p's rules; r keeps
 * what it owns. */
void ast_policy_add(struct ast_policy *p, const struct ast_rule *r);

void ast_addrs_free(struct ast_addrs *a);
void ast_ports_free(struct ast_ports *p);
/* For a rule being built (not one of a policy's): free what it owns. */
void ast_rule_free(struct ast_rule *r);
/* Empty a rule being built for the next one, keeping its arrays' memory. */
void ast_rule_clear(struct ast_rule *r);
void ast_set_free(struct ast_set *s);
/* Drop a policy's rules, keeping the rest of it. */
void ast_policy_free_rules(struct ast_policy *p);
void ast_policy_free(struct ast_policy *p);
void ast_file_free(struct ast_file *f);

/* --dump=ast */
void ast_dump(const struct ast_file *f, FILE *out);

#endif
