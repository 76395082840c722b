#include "front/lexeme.h"

#include <string.h>

bool lexeme_address(struct diag_ctx *d, struct ut_loc loc, const char *text, struct prefix *out)
{
	char buf[PREFIX_STRLEN];

	memset(out, 0, sizeof(*out));
	switch (prefix_parse(text, out)) {
	case ADDR_OK:
		return true;
	case ADDR_HOST_BITS:
		diag_at(d, DIAG_WARNING, loc, "'%s' has host bits set; it means %s", text,
			prefix_format(out, buf));
		return true;
	case ADDR_BAD_LENGTH:
		diag_at(d, DIAG_ERROR, loc,
			"invalid prefix length in '%s' (IPv4 allows 0-32, IPv6 0-128)", text);
		return false;
	case ADDR_BAD_ADDRESS:
		break;
	}
	if (strchr(text, ':'))
		diag_at(d, DIAG_ERROR, loc, "invalid IPv6 address '%s'", text);
	else
		diag_at(d, DIAG_ERROR, loc, "invalid IPv4 address '%s'", text);
	return false;
}
