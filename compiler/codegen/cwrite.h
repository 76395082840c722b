/* Writing C source that carries text from the policy: every byte of a
 * name, a file name or a rule's text reaches the generated C only through
 * these functions, so none of them can break out of a string literal or a
 * comment. */
#ifndef UNTRACK_CODEGEN_CWRITE_H
#define UNTRACK_CODEGEN_CWRITE_H

#include <stdio.h>

/* A C string literal whose value is exactly s, whatever bytes s holds. */
void cwrite_string(FILE *out, const char *s);

/* One comment line after indent: label (the compiler's own words, written
 * as they are), then text, which comes from the policy and cannot end the
 * comment, open a nested one (clang's -Wcomment) or run onto another line:
 * it is escaped as in a string literal (a backslash doubled, bytes outside
 * printable ASCII as \ooo), and a backslash goes between the two characters
 * of every star-slash and slash-star. */
void cwrite_comment(FILE *out, const char *indent, const char *label, const char *text);

/* `#line LINE "FILE"`, so clang's messages point into the policy. */
void cwrite_line_directive(FILE *out, int line, const char *file);

/* A read-only byte array `symbol` in ELF section `section` holding text and
 * its terminating NUL, written as one string literal per line of text, after
 * a comment line when comment is not NULL. */
void cwrite_section(FILE *out, const char *comment, const char *symbol, const char *section,
		    const char *text);

#endif
