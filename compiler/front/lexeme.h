/* Checks of single tokens that need more than a regular expression, with
 * their diagnostics; the scanner calls them. */
#ifndef UNTRACK_FRONT_LEXEME_H
#define UNTRACK_FRONT_LEXEME_H

#include <stdbool.h>

#include "base/loc.h"
#include "front/diag.h"
#include "objfmt/addr.h"

/* An IPv4 or IPv6 address or prefix as written at loc: *out holds it (host
 * bits cleared, with a warning). Returns false after reporting an error. */
bool lexeme_address(struct diag_ctx *d, struct ut_loc loc, const char *text, struct prefix *out);

#endif
