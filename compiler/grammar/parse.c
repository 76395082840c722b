#include "grammar/parse.h"

#include <string.h>

#include "base/xalloc.h"
#include "front/read_file.h"
#include "grammar/parse_state.h"
#include "parser.h"
#include "scanner.h"

int parse_source(struct diag_ctx *d, struct ast_file *out)
{
	struct parse_state ps = {.d = d, .file = out};
	struct scan_extra extra = {
		.ps = &ps, .src = d->source, .len = d->source_len, .line = 1, .column = 1};
	yyscan_t scanner;
	size_t errors_before = d->errors;

	memset(out, 0, sizeof(*out));
	if (d->source_len > SOURCE_MAX_SIZE) {
		diag_file(d, DIAG_ERROR, "file is larger than 256 MiB");
		return -1;
	}
	if (utp_lex_init_extra(&extra, &scanner))
		xalloc_die();
	yyparse(scanner, &ps);
	utp_lex_destroy(scanner);
	parse_state_cleanup(&ps);
	return d->errors > errors_before ? -1 : 0;
}
