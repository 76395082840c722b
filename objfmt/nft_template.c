#include "objfmt/nft_template.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define ELEMENTS_PER_LINE 8

bool nft_iface_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 15)
		return false;
	for (const unsigned char *c = (const unsigned char *)name; *c; c++)
		if (*c <= 0x20 || *c >= 0x7f || *c == '"' || *c == '\\')
			return false;
	return true;
}

int nft_prefixes_disjoint(const struct prefix *in, size_t n, uint8_t family, struct prefix **out,
			  size_t *nout)
{
	struct prefix *v = calloc(n ? n : 1, sizeof(*v));
	size_t k = 0;

	*out = NULL;
	*nout = 0;
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (in[i].family == family)
			v[k++] = in[i];
	*nout = prefixes_min_cover(v, k);
	*out = v;
	return 0;
}

ssize_t nft_elements_write(FILE *out, const struct prefix *prefixes, size_t n, uint8_t family,
			   const char *indent)
{
	char buf[PREFIX_STRLEN];
	struct prefix *v;
	size_t m;

	if (nft_prefixes_disjoint(prefixes, n, family, &v, &m) != 0)
		return -ENOMEM;
	for (size_t i = 0; i < m; i++) {
		if (i > 0)
			fputs(i % ELEMENTS_PER_LINE ? ", " : ",\n", out);
		if (i > 0 && i % ELEMENTS_PER_LINE == 0)
			fputs(indent, out);
		fputs(prefix_format(&v[i], buf), out);
	}
	free(v);
	return (ssize_t)m;
}
