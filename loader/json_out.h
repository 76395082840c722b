/* The loader's JSON output (--json): values built with jansson, printed one
 * per line. Text that comes from outside (paths, interface names) goes in
 * through json_text() (objfmt/json_text.h), which takes any bytes. */
#ifndef UNTRACK_JSON_OUT_H
#define UNTRACK_JSON_OUT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* Print v as one line on stdout, in the shape untrack's JSON has always
 * had: ", " and ": " between items, keys in the order they were set,
 * non-ASCII characters as themselves. Takes v's reference; NULL means that
 * building it ran out of memory. Returns 0, -ENOMEM or -EIO, with err
 * saying which. */
int ut_json_print(json_t *v, const char *what, char *err, size_t errlen);

/* A counter. jansson's integers are signed 64-bit: a value past 2^63 (no
 * counter gets there in centuries) comes out as the nearest double rather
 * than as a negative number. */
json_t *ut_json_u64(uint64_t v);

#endif
