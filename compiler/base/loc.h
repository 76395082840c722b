/* Source locations: one type from the scanner through the IR to diagnostics. */
#ifndef UNTRACK_LOC_H
#define UNTRACK_LOC_H

/* Field names match bison's default YYLTYPE so the parser can use it as is.
 * Lines and columns count from 1; columns count bytes. last_column is
 * inclusive. */
struct ut_loc {
	int first_line;
	int first_column;
	int last_line;
	int last_column;
};

static inline struct ut_loc loc_span(struct ut_loc a, struct ut_loc b)
{
	struct ut_loc r = a;
	r.last_line = b.last_line;
	r.last_column = b.last_column;
	return r;
}

#endif
