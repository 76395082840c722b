#include "front/diag.h"

#include <jansson.h>

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "objfmt/json_text.h"

static const char *const severity_names[] = {
	[DIAG_ERROR] = "error",
	[DIAG_WARNING] = "warning",
	[DIAG_NOTE] = "note",
};

static const char *const severity_colors[] = {
	[DIAG_ERROR] = "\033[1;31m",
	[DIAG_WARNING] = "\033[1;35m",
	[DIAG_NOTE] = "\033[1;36m",
};

void diag_init(struct diag_ctx *d, const char *file, const char *source, size_t len)
{
	memset(d, 0, sizeof(*d));
	d->file = file;
	d->source = source;
	d->source_len = len;
	d->max_errors = 100;
}

void diag_free(struct diag_ctx *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->items[i].message);
	free(d->items);
	d->items = NULL;
	d->n = d->cap = 0;
}

static void record(struct diag_ctx *d, enum diag_severity sev, const struct ut_loc *loc,
		   const char *fmt, va_list ap)
{
	if (sev == DIAG_NOTE && d->drop_notes)
		return;
	d->drop_notes = false;
	if (sev == DIAG_WARNING && d->no_warnings) {
		d->drop_notes = true;
		return;
	}
	if (sev == DIAG_ERROR && d->max_errors && d->errors >= d->max_errors) {
		d->truncated = true;
		d->drop_notes = true;
		return;
	}
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 16;
		d->items = xreallocarray(d->items, d->cap, sizeof(*d->items));
	}
	struct diag *item = &d->items[d->n++];
	memset(item, 0, sizeof(*item));
	item->severity = sev;
	if (loc) {
		item->loc = *loc;
		item->has_loc = true;
	}
	if (vasprintf(&item->message, fmt, ap) < 0)
		xalloc_die();
	if (sev == DIAG_ERROR)
		d->errors++;
	else if (sev == DIAG_WARNING)
		d->warnings++;
}

void diag_at(struct diag_ctx *d, enum diag_severity sev, struct ut_loc loc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	record(d, sev, &loc, fmt, ap);
	va_end(ap);
}

void diag_file(struct diag_ctx *d, enum diag_severity sev, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	record(d, sev, NULL, fmt, ap);
	va_end(ap);
}

bool diag_failed(const struct diag_ctx *d)
{
	return d->errors > 0 || (d->werror && d->warnings > 0);
}

bool diag_should_stop(const struct diag_ctx *d)
{
	return d->truncated;
}

/* Byte offsets of line starts, built once per print: finding a line by
 * scanning from the top for every diagnostic is quadratic, and a generated
 * policy can have 100,000 warnings. */
struct line_index {
	size_t *start;
	size_t n;
};

static void line_index_build(const struct diag_ctx *d, struct line_index *li)
{
	size_t cap = 1024;

	li->start = xreallocarray(NULL, cap, sizeof(*li->start));
	li->n = 0;
	li->start[li->n++] = 0;
	if (!d->source)
		return;
	for (size_t off = 0; off < d->source_len;) {
		const char *nl = memchr(d->source + off, '\n', d->source_len - off);
		if (!nl)
			break;
		if (li->n == cap) {
			cap *= 2;
			li->start = xreallocarray(li->start, cap, sizeof(*li->start));
		}
		off = (size_t)(nl - d->source) + 1;
		li->start[li->n++] = off;
	}
}

/* The text of line `line` (1-based), without its newline. */
static const char *source_line(const struct diag_ctx *d, const struct line_index *li, int line,
			       size_t *len)
{
	if (!d->source || line < 1 || (size_t)line > li->n)
		return NULL;
	const char *p = d->source + li->start[line - 1], *end = d->source + d->source_len;
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	*len = (size_t)((nl ? nl : end) - p);
	return p;
}

/* Echo a source line so that it cannot mess up a terminal: control bytes
 * and NULs become '?', tabs stay (the caret line copies them). */
static void print_source_excerpt(const struct diag_ctx *d, const struct line_index *li,
				 const struct diag *item, bool color, FILE *out)
{
	size_t len;
	const char *text = source_line(d, li, item->loc.first_line, &len);

	if (!text)
		return;
	if (len > 400)
		len = 400; /* a generated one-line policy must not flood the terminal */
	fputc(' ', out);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		fputc(c == '\t' || (c >= 0x20 && c != 0x7f) ? c : '?', out);
	}
	fputc('\n', out);

	size_t first = item->loc.first_column > 0 ? (size_t)item->loc.first_column - 1 : 0;
	size_t last = first;
	if (item->loc.last_line == item->loc.first_line &&
	    item->loc.last_column > item->loc.first_column)
		last = (size_t)item->loc.last_column - 1;
	if (first > len)
		return;
	if (last >= len)
		last = len ? len - 1 : first;
	fputc(' ', out);
	for (size_t i = 0; i < first; i++)
		fputc(text[i] == '\t' ? '\t' : ' ', out);
	if (color)
		fputs("\033[1;32m", out);
	fputc('^', out);
	for (size_t i = first + 1; i <= last; i++)
		fputc('~', out);
	if (color)
		fputs("\033[0m", out);
	fputc('\n', out);
}

static void print_text(const struct diag_ctx *d, const struct line_index *li,
		       const struct diag *item, bool color, FILE *out)
{
	const char *bold = color ? "\033[1m" : "", *reset = color ? "\033[0m" : "";
	const char *sev_color = color ? severity_colors[item->severity] : "";

	if (item->has_loc)
		fprintf(out, "%s%s:%d:%d:%s ", bold, d->file, item->loc.first_line,
			item->loc.first_column, reset);
	else
		fprintf(out, "%s%s:%s ", bold, d->file, reset);
	fprintf(out, "%s%s:%s %s\n", sev_color, severity_names[item->severity], reset,
		item->message);
	if (item->has_loc)
		print_source_excerpt(d, li, item, color, out);
}

/* One JSON object per line, through jansson: the file name and the message
 * may hold any bytes (json_text keeps UTF-8, replaces what is not). */
static void print_json(const struct diag_ctx *d, const struct diag *item, FILE *out)
{
	json_t *o = json_object();

	if (!o || json_object_set_new(o, "file", json_text(d->file)) != 0)
		xalloc_die();
	if (item->has_loc) {
		if (json_object_set_new(o, "line", json_integer(item->loc.first_line)) ||
		    json_object_set_new(o, "column", json_integer(item->loc.first_column)) ||
		    json_object_set_new(o, "end_line", json_integer(item->loc.last_line)) ||
		    json_object_set_new(o, "end_column", json_integer(item->loc.last_column)))
			xalloc_die();
	} else if (json_object_set_new(o, "line", json_null()) ||
		   json_object_set_new(o, "column", json_null())) {
		xalloc_die();
	}
	if (json_object_set_new(o, "severity", json_string(severity_names[item->severity])) ||
	    json_object_set_new(o, "message", json_text(item->message)))
		xalloc_die();
	if (json_dumpf(o, out, JSON_COMPACT | JSON_PRESERVE_ORDER) != 0)
		xalloc_die();
	fputc('\n', out);
	json_decref(o);
}

/* Diagnostics are recorded as passes find them; print them in source order
 * so a file reads top to bottom. A note stays glued to the diagnostic it
 * belongs to. */
struct diag_group {
	size_t first, count;
};

static const struct diag_ctx *sort_ctx;

static int group_cmp(const void *a, const void *b)
{
	const struct diag_group *ga = a, *gb = b;
	const struct diag *x = &sort_ctx->items[ga->first], *y = &sort_ctx->items[gb->first];
	int lx = x->has_loc ? x->loc.first_line : 0, ly = y->has_loc ? y->loc.first_line : 0;

	if (lx != ly)
		return lx < ly ? -1 : 1;
	int cx = x->has_loc ? x->loc.first_column : 0, cy = y->has_loc ? y->loc.first_column : 0;
	if (cx != cy)
		return cx < cy ? -1 : 1;
	return ga->first < gb->first ? -1 : ga->first > gb->first;
}

void diag_print(const struct diag_ctx *d, enum diag_format fmt, bool color, FILE *out)
{
	struct diag_group *groups = xcalloc(d->n ? d->n : 1, sizeof(*groups));
	size_t ngroups = 0;

	for (size_t i = 0; i < d->n; i++) {
		if (d->items[i].severity == DIAG_NOTE && ngroups > 0) {
			groups[ngroups - 1].count++;
			continue;
		}
		groups[ngroups].first = i;
		groups[ngroups].count = 1;
		ngroups++;
	}
	sort_ctx = d;
	qsort(groups, ngroups, sizeof(*groups), group_cmp);
	struct line_index li = {0};
	if (fmt == DIAG_TEXT && d->n > 0)
		line_index_build(d, &li);
	for (size_t g = 0; g < ngroups; g++) {
		for (size_t i = groups[g].first; i < groups[g].first + groups[g].count; i++) {
			if (fmt == DIAG_JSON)
				print_json(d, &d->items[i], out);
			else
				print_text(d, &li, &d->items[i], color, out);
		}
	}
	if (d->truncated && fmt == DIAG_TEXT)
		fprintf(out, "%s: note: too many errors, stopped after %zu\n", d->file,
			d->max_errors);
	free(groups);
	free(li.start);
}
