#include "frontend.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "parse_state.h"
#include "parser.h"
#include "scanner.h"
#include "sema.h"
#include "shadow.h"
#include "xalloc.h"

int frontend_read_file(const char *path, char **buf, size_t *len, const char **why)
{
	int fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *data = NULL;
	size_t size = 0, cap = 0;
	int err = 0;

	*why = NULL;
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		*why = "is a directory";
		err = -EISDIR;
		goto out;
	}
	for (;;) {
		if (cap - size < 65536) {
			cap = cap ? cap * 2 : 65536;
			data = xreallocarray(data, cap + 1, 1);
		}
		ssize_t got = read(fd, data + size, cap - size);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			goto out;
		}
		if (got == 0)
			break;
		size += (size_t)got;
		if (size > FRONTEND_MAX_FILE) {
			*why = "file is larger than 256 MiB";
			err = -EFBIG;
			goto out;
		}
	}
	data[size] = '\0';
	*buf = data;
	*len = size;
	data = NULL;
out:
	free(data);
	if (fd != STDIN_FILENO)
		close(fd);
	return err;
}

int frontend_parse(struct diag_ctx *d, struct ast_file *out)
{
	struct parse_state ps = {.d = d, .file = out};
	struct scan_extra extra = {
		.ps = &ps, .src = d->source, .len = d->source_len, .line = 1, .column = 1};
	yyscan_t scanner;
	size_t errors_before = d->errors;

	memset(out, 0, sizeof(*out));
	if (utp_lex_init_extra(&extra, &scanner))
		xalloc_die();
	yyparse(scanner, &ps);
	utp_lex_destroy(scanner);
	parse_state_cleanup(&ps);
	return d->errors > errors_before ? -1 : 0;
}

struct ir_program *frontend_lower(struct diag_ctx *d, struct ast_file *ast)
{
	return sema_lower(d, ast);
}

struct ir_program *frontend_compile(struct diag_ctx *d)
{
	struct ast_file ast;
	struct ir_program *ir = NULL;

	if (d->source_len > FRONTEND_MAX_FILE) {
		diag_file(d, DIAG_ERROR, "file is larger than 256 MiB");
		return NULL;
	}
	frontend_parse(d, &ast);
	/* Check even a tree with syntax errors: one run reports everything. */
	ir = sema_lower(d, &ast);
	ast_file_free(&ast);
	if (ir && d->errors == 0)
		shadow_check(ir, d);
	if (diag_failed(d) && d->errors > 0) {
		ir_free(ir);
		return NULL;
	}
	return ir;
}
