#include "codegen/cwrite.h"

#include <string.h>

static void put_string_bytes(FILE *out, const char *s, size_t n)
{
	for (const unsigned char *c = (const unsigned char *)s; n--; c++) {
		if (*c == '"' || *c == '\\')
			fprintf(out, "\\%c", *c);
		else if (*c < 0x20 || *c >= 0x7f || *c == '?') /* '?' : no trigraphs */
			fprintf(out, "\\%03o", *c);
		else
			fputc(*c, out);
	}
}

void cwrite_string(FILE *out, const char *s)
{
	fputc('"', out);
	put_string_bytes(out, s, strlen(s));
	fputc('"', out);
}

void cwrite_comment(FILE *out, const char *indent, const char *label, const char *text)
{
	fprintf(out, "%s/* %s", indent, label);
	for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
		if (*c == '\\')
			fputs("\\\\", out);
		else if (*c < 0x20 || *c >= 0x7f)
			fprintf(out, "\\%03o", *c);
		else
			fputc(*c, out);
		/* The next character would close or open a comment. */
		if ((*c == '*' && c[1] == '/') || (*c == '/' && c[1] == '*'))
			fputc('\\', out);
	}
	fputs(" */\n", out);
}

void cwrite_line_directive(FILE *out, int line, const char *file)
{
	fprintf(out, "#line %d ", line);
	cwrite_string(out, file);
	fputc('\n', out);
}

void cwrite_section(FILE *out, const char *comment, const char *symbol, const char *section,
		    const char *text)
{
	fputc('\n', out);
	if (comment)
		cwrite_comment(out, "", "", comment);
	fprintf(out, "static const char %s[] SEC(", symbol);
	cwrite_string(out, section);
	fputs(") __attribute__((used)) =", out);
	if (!*text)
		fputs(" \"\"", out);
	while (*text) {
		const char *nl = strchr(text, '\n');
		size_t n = nl ? (size_t)(nl - text) + 1 : strlen(text);

		fputs("\n\t\"", out);
		put_string_bytes(out, text, n);
		fputc('"', out);
		text += n;
	}
	fputs(";\n", out);
}
