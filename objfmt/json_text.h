/* Text as JSON strings, for the JSON untrack writes.
 *
 * jansson refuses a string that is not valid UTF-8, and the text untrack
 * shows comes from outside: paths, interface names, a policy's source file.
 * json_text() takes any bytes: valid UTF-8 goes through unchanged, and each
 * ill-formed sequence becomes one U+FFFD, as the Unicode Standard
 * recommends (chapter 3, "U+FFFD substitution of maximal subparts"): the
 * longest start of a well-formed sequence is replaced as one, a byte that
 * starts none alone. Overlong forms, surrogates (U+D800..U+DFFF) and code
 * points past U+10FFFF are ill-formed. No byte is ever taken for Latin-1. */
#ifndef UNTRACK_OBJFMT_JSON_TEXT_H
#define UNTRACK_OBJFMT_JSON_TEXT_H

#include <stddef.h>

#include <jansson.h>

/* A new JSON string of s (NUL-terminated) or of s[0..n) (which may hold
 * NUL bytes). NULL only when out of memory. */
json_t *json_text(const char *s);
json_t *json_textn(const char *s, size_t n);

#endif
