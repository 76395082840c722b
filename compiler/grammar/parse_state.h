/* State shared by the reentrant scanner and the pure parser. */
#ifndef UNTRACK_PARSE_STATE_H
#define UNTRACK_PARSE_STATE_H

#include <stdbool.h>

#include "front/ast.h"
#include "front/diag.h"

/* Longest name accepted; longer ones are an error, not a truncation. */
#define PARSE_MAX_NAME 255

/* An address literal as the scanner hands it over. */
struct ast_addr_token {
	struct prefix prefix;
	bool bad; /* already reported */
};

struct parse_state {
	struct diag_ctx *d;
	struct ast_file *file;
	/* The declaration being built; pushed into file when complete. */
	struct ast_set set;
	struct ast_policy policy;
	struct ast_rule rule;
	struct ast_side *side; /* &rule.from or &rule.to while parsing a side */
	bool in_policy, in_set;
	bool rule_bad;	      /* a syntax error inside the rule was recovered from */
	bool lex_error;	      /* the scanner reported an error since the latest token */
	bool after_lex_error; /* ... when the latest token was scanned */
	char last_text[48];   /* text of the latest token, for syntax errors */
};

/* Free whatever parse_state still holds after the parse ended early. */
void parse_state_cleanup(struct parse_state *ps);

/* Scanner-private position and context. */
struct scan_extra {
	struct parse_state *ps;
	const char *src; /* the input, read from pos up to len */
	size_t len, pos;
	int line, column;
	int last_token; /* suppresses newlines after '{' and ',' and repeats */
};

#endif
