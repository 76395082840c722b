#include "json_out.h"

#include <errno.h>
#include <stdio.h>

#include "errors.h"

int ut_json_print(json_t *v, const char *what, char *err, size_t errlen)
{
	int ret = 0;

	if (!v)
		return ut_fail(-ENOMEM, err, errlen, "out of memory building the JSON of %s", what);
	if (json_dumpf(v, stdout, JSON_ENCODE_ANY) || putchar('\n') == EOF)
		ret = ut_fail(-EIO, err, errlen, "cannot write the JSON of %s to standard output",
			      what);
	json_decref(v);
	return ret;
}

_Static_assert(sizeof(json_int_t) == sizeof(int64_t), "jansson's integers are 64-bit");

json_t *ut_json_u64(uint64_t v)
{
	if (v > (uint64_t)INT64_MAX)
		return json_real((double)v);
	return json_integer((json_int_t)v);
}
