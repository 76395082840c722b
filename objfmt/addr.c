#include "objfmt/addr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool prefix_normalize(struct prefix *p)
{
	unsigned width = family_width(p->family);
	bool had_host_bits = false;

	for (unsigned byte = 0; byte < width / 8; byte++) {
		unsigned first_bit = byte * 8;
		uint8_t keep;

		if (first_bit >= p->len)
			keep = 0;
		else if (first_bit + 8 <= p->len)
			keep = 0xff;
		else
			keep = (uint8_t)(0xff << (8 - (p->len - first_bit)));
		if (p->addr[byte] & (uint8_t)~keep)
			had_host_bits = true;
		p->addr[byte] &= keep;
	}
	return had_host_bits;
}

enum addr_parse_status prefix_parse(const char *text, struct prefix *out)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(text, '/');
	size_t host_len = slash ? (size_t)(slash - text) : strlen(text);

	memset(out, 0, sizeof(*out));
	if (host_len == 0 || host_len >= sizeof(host))
		return ADDR_BAD_ADDRESS;
	memcpy(host, text, host_len);
	host[host_len] = '\0';

	if (strchr(host, ':')) {
		if (inet_pton(AF_INET6, host, out->addr) != 1)
			return ADDR_BAD_ADDRESS;
		out->family = FAM_V6;
	} else {
		if (inet_pton(AF_INET, host, out->addr) != 1)
			return ADDR_BAD_ADDRESS;
		out->family = FAM_V4;
	}

	unsigned width = family_width(out->family);
	out->len = (uint8_t)width;
	if (slash) {
		const char *digits = slash + 1;
		unsigned long len = 0;

		if (*digits == '\0' || strlen(digits) > 3)
			return ADDR_BAD_LENGTH;
		for (const char *c = digits; *c; c++) {
			if (*c < '0' || *c > '9')
				return ADDR_BAD_LENGTH;
			len = len * 10 + (unsigned long)(*c - '0');
		}
		if (len > width)
			return ADDR_BAD_LENGTH;
		out->len = (uint8_t)len;
	}
	return prefix_normalize(out) ? ADDR_HOST_BITS : ADDR_OK;
}

char *prefix_format(const struct prefix *p, char *buf)
{
	char host[INET6_ADDRSTRLEN];

	inet_ntop(p->family == FAM_V4 ? AF_INET : AF_INET6, p->addr, host, sizeof(host));
	if (p->len == family_width(p->family))
		snprintf(buf, PREFIX_STRLEN, "%s", host);
	else
		snprintf(buf, PREFIX_STRLEN, "%s/%u", host, p->len);
	return buf;
}

int prefix_cmp(const struct prefix *a, const struct prefix *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	int c = memcmp(a->addr, b->addr, sizeof(a->addr));
	if (c)
		return c < 0 ? -1 : 1;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return 0;
}

bool prefix_contains(const struct prefix *p, const uint8_t addr[16])
{
	unsigned full = p->len / 8, rest = p->len % 8;

	if (memcmp(p->addr, addr, full))
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (p->addr[full] & mask) == (addr[full] & mask);
}

void prefix_widen(struct prefix *acc, const struct prefix *p)
{
	unsigned len = acc->len < p->len ? acc->len : p->len, common = 0;

	while (common < len) {
		unsigned byte = common / 8, bit = 7 - common % 8;
		if (((acc->addr[byte] ^ p->addr[byte]) >> bit) & 1)
			break;
		common++;
	}
	acc->len = (uint8_t)common;
	prefix_normalize(acc);
}

static int prefix_qcmp(const void *a, const void *b)
{
	return prefix_cmp(a, b);
}

size_t prefixes_min_cover(struct prefix *p, size_t n)
{
	const struct prefix *last[3] = {NULL, NULL, NULL};
	size_t kept = 0;

	qsort(p, n, sizeof(*p), prefix_qcmp);
	/* Sorted by family, address, length: a prefix inside another comes
	 * after it, with nothing kept in between that is not inside it too. */
	for (size_t i = 0; i < n; i++) {
		const struct prefix *l = last[p[i].family];
		if (l && l->len <= p[i].len && prefix_contains(l, p[i].addr))
			continue;
		p[kept] = p[i];
		last[p[i].family] = &p[kept];
		kept++;
	}
	return kept;
}
