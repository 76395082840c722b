#include "objfmt/json_text.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The length of the well-formed sequence at s[0..n) (n > 0), or 0 with *bad
 * the length of the maximal subpart that stands there instead (Unicode,
 * table 3-7 of well-formed byte sequences). */
static size_t utf8_seq(const unsigned char *s, size_t n, size_t *bad)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t len;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else {
		*bad = 1; /* a continuation byte, C0/C1 (overlong) or F5..FF */
		return 0;
	}
	/* The second byte's range is what keeps out overlong forms (E0, F0),
	 * surrogates (ED) and code points past U+10FFFF (F4). */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	for (size_t i = 1; i < len; i++) {
		if (i == n || s[i] < lo || s[i] > hi) {
			*bad = i;
			return 0;
		}
		lo = 0x80;
		hi = 0xbf;
	}
	return len;
}

json_t *json_textn(const char *s, size_t n)
{
	static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, bad = 0, out = 0;
	char *buf;
	json_t *j;

	while (i < n) {
		size_t len = utf8_seq(u + i, n - i, &bad);
		if (!len)
			break;
		i += len;
	}
	if (i == n)
		return json_stringn_nocheck(s, n);
	/* Each replaced subpart is at least one byte and becomes three. */
	if (n > (SIZE_MAX - 1) / 3)
		return NULL;
	buf = malloc(3 * n + 1);
	if (!buf)
		return NULL;
	memcpy(buf, s, i);
	out = i;
	while (i < n) {
		size_t len = utf8_seq(u + i, n - i, &bad);
		if (len) {
			memcpy(buf + out, s + i, len);
			out += len;
			i += len;
		} else {
			memcpy(buf + out, replacement, 3);
			out += 3;
			i += bad;
		}
	}
	j = json_stringn_nocheck(buf, out);
	free(buf);
	return j;
}

json_t *json_text(const char *s)
{
	return json_textn(s, strlen(s));
}
