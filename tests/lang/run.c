/* The language tables of tests/lang/ (the format is in README.md there):
 * each line a snippet of policy text, whether untrackc must accept it, and
 * what it must print: the rules' canonical text as --dump=ir shows it, or
 * its diagnostics. Every accepted snippet's canonical text must also
 * re-parse to the same rules (tests/support/roundtrip.h).
 *
 *   lang-run [-v] [-u] FILE.t...
 *
 * -v prints every line checked; -u rewrites each failing line as the one
 * that would pass, to be read in git diff before it is committed.
 *
 * The compiler runs in this process, with the passes untrackc runs
 * (policy_compile), rather than once per line as a subprocess: the tables
 * grow by the hundred lines and stay a fraction of a second. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "front/diag.h"
#include "front/read_file.h"
#include "ir/ir.h"
#include "policy_text.h"
#include "roundtrip.h"

/* The policy a rule-mode snippet is wrapped in; diagnostics name it. */
#define WRAP_NAME "t"
#define FILE_NAME "t.utp"

enum status { ST_OK, ST_WARN, ST_FAIL };
static const char *const status_names[] = {"ok", "warn", "fail"};

struct text {
	char *buf;
	size_t len;
};

static void text_add(struct text *t, const char *s, size_t n)
{
	t->buf = xreallocarray(t->buf, t->len + n + 1, 1);
	memcpy(t->buf + t->len, s, n);
	t->len += n;
	t->buf[t->len] = '\0';
}

static void text_adds(struct text *t, const char *s)
{
	text_add(t, s, strlen(s));
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A table line holds one line of input; \n, \t, \r, \\ and \xHH stand for the
 * bytes that cannot be written on it. Returns false on a bad escape. */
static bool unescape(const char *s, size_t n, struct text *out)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '\\') {
			if (i + 1 >= n)
				return false;
			switch (s[++i]) {
			case 'n':
				c = '\n';
				break;
			case 't':
				c = '\t';
				break;
			case 'r':
				c = '\r';
				break;
			case '\\':
				c = '\\';
				break;
			case 'x':
				if (i + 2 >= n || hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0)
					return false;
				c = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
				i += 2;
				break;
			default:
				return false;
			}
		}
		text_add(out, &c, 1);
	}
	return true;
}

static size_t count_lines(const char *s, size_t n)
{
	size_t lines = 0;

	for (size_t i = 0; i < n; i++)
		lines += s[i] == '\n';
	return lines;
}

/* The status field: ';', a status word, then ';' or the end of the line.
 * The first such field splits the line, so inputs and messages may hold
 * ';' themselves (no snippet worth accepting holds "; ok": a rule cannot
 * start with a name). */
static const char *find_status(const char *line, enum status *st, const char **expected)
{
	for (const char *p = strchr(line, ';'); p; p = strchr(p + 1, ';')) {
		const char *w = p + 1;

		w += strspn(w, " \t");
		for (int s = ST_OK; s <= ST_FAIL; s++) {
			size_t n = strlen(status_names[s]);
			const char *e = w + n;

			if (strncmp(w, status_names[s], n) != 0)
				continue;
			e += strspn(e, " \t");
			if (*e != ';' && *e != '\0')
				continue;
			*st = (enum status)s;
			*expected = *e == ';' ? e + 1 : NULL;
			return p;
		}
	}
	return NULL;
}

static const char *trim(const char *s, size_t *len)
{
	while (*len && (s[0] == ' ' || s[0] == '\t')) {
		s++;
		(*len)--;
	}
	while (*len && (s[*len - 1] == ' ' || s[*len - 1] == '\t'))
		(*len)--;
	return s;
}

/* Does the snippet start with a declaration rather than a rule? */
static bool is_file_snippet(const char *s)
{
	s += strspn(s, " \t\n");
	for (const char *kw = "set\0policy\0"; *kw; kw += strlen(kw) + 1) {
		size_t n = strlen(kw);
		if (strncmp(s, kw, n) == 0 && strchr(" \t\n{", s[n]) && s[n])
			return true;
	}
	return false;
}

struct got_diag {
	char where[32]; /* "L:C: ", or "" outside the snippet */
	bool error;
	char *message;
};

/* What a snippet did, in the terms of a table line. */
struct outcome {
	bool accepted;
	/* errors and warnings in print order; notes are left to the unit tests */
	struct got_diag *diags;
	size_t ndiags, diags_cap;
	struct text canon;     /* the rules' texts as --dump=ir prints them, joined by "; " */
	struct text canon_fam; /* the same, each behind its families: "ip6: deny icmpv6" */
	bool roundtrip_failed;
	char roundtrip[512]; /* why, when it failed */
};

/* Diagnostics as printed, with lines counted from the snippet's first line.
 * Places outside it (the wrapping policy, the declarations) print no
 * location. */
static void collect_diags(const struct diag_ctx *d, int first, int last, struct outcome *o)
{
	char *printed = NULL, *save = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&printed, &n);

	if (!f)
		xalloc_die();
	diag_print(d, DIAG_TEXT, false, f);
	fclose(f);
	for (char *l = strtok_r(printed, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		int line, col, off = 0;
		char where[32] = "";

		if (strncmp(l, FILE_NAME ":", strlen(FILE_NAME ":")) != 0)
			continue; /* a source excerpt or its caret */
		l += strlen(FILE_NAME ":");
		if (sscanf(l, "%d:%d: %n", &line, &col, &off) == 2 && off > 0) {
			l += off;
			if (line >= first && line <= last)
				snprintf(where, sizeof(where), "%d:%d: ", line - first + 1, col);
		} else {
			l += strspn(l, " ");
		}
		if (strncmp(l, "note: ", 6) == 0)
			continue;
		bool error = strncmp(l, "error: ", 7) == 0;
		XGROW(o->diags, o->ndiags, o->diags_cap);
		struct got_diag *g = &o->diags[o->ndiags++];
		memcpy(g->where, where, sizeof(where));
		g->error = error;
		g->message = xstrdup(l + strlen(error ? "error: " : "warning: "));
	}
	free(printed);
}

static void collect_canon(const struct ir_program *ir, struct outcome *o)
{
	char *dump = NULL, *save = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&dump, &n);

	if (!f)
		xalloc_die();
	ir_dump(ir, f);
	fclose(f);
	for (char *l = strtok_r(dump, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char fam[16];
		int off = 0;

		/* "    r0    ingress ip+ip6 line 3:5  allow tcp" */
		if (sscanf(l, "    r%*u %*s %15s line %*d:%*d %n", fam, &off) != 1 || off == 0)
			continue;
		if (o->canon.len) {
			text_adds(&o->canon, "; ");
			text_adds(&o->canon_fam, "; ");
		}
		text_adds(&o->canon, l + off);
		text_adds(&o->canon_fam, fam);
		text_adds(&o->canon_fam, ": ");
		text_adds(&o->canon_fam, l + off);
	}
	free(dump);
}

static size_t family_prefix(const char *s)
{
	for (const char *f = "ip: \0ip6: \0ip+ip6: \0"; *f; f += strlen(f) + 1)
		if (strncmp(s, f, strlen(f)) == 0)
			return strlen(f);
	return 0;
}

/* Does the table write the families of some rule? */
static bool writes_families(const char *want)
{
	for (const char *p = want; p; p = strchr(p, ';')) {
		p += strspn(p, "; ");
		if (family_prefix(p))
			return true;
	}
	return false;
}

/* The canonical form, rule by rule; where the table writes a rule's
 * families (as --dump=ir names them) they are compared too. */
static bool canon_matches(const char *want, const struct outcome *o)
{
	const char *got = o->canon_fam.buf ? o->canon_fam.buf : "";

	for (;;) {
		size_t wn = strcspn(want, ";"), gn = strcspn(got, ";");
		size_t gskip = family_prefix(got);

		if (family_prefix(want) == 0) {
			got += gskip;
			gn -= gskip;
		}
		if (wn != gn || strncmp(want, got, wn) != 0)
			return false;
		want += wn;
		got += gn;
		if (!*want || !*got)
			return !*want && !*got;
		want += strspn(want, "; ");
		got += strspn(got, "; ");
	}
}

static void run_snippet(const struct text *decls, const struct text *input, struct outcome *o)
{
	struct text src = {0};
	struct diag_ctx d;
	int first = (int)count_lines(decls->buf ? decls->buf : "", decls->len) + 1;

	text_add(&src, decls->buf ? decls->buf : "", decls->len);
	if (!is_file_snippet(input->buf)) {
		text_adds(&src, "policy " WRAP_NAME " {\n");
		first++;
	}
	text_add(&src, input->buf, input->len);
	text_adds(&src, "\n");
	if (!is_file_snippet(input->buf))
		text_adds(&src, "}\n");

	int last = first + (int)count_lines(input->buf, input->len);
	diag_init(&d, FILE_NAME, src.buf, src.len);
	struct ir_program *ir = policy_compile(&d);
	collect_diags(&d, first, last, o);
	o->accepted = ir != NULL;
	if (ir) {
		collect_canon(ir, o);
		o->roundtrip_failed = roundtrip_check(ir, o->roundtrip, sizeof(o->roundtrip)) != 0;
	}
	ir_free(ir);
	diag_free(&d);
	free(src.buf);
}

/* One diagnostic of a table line, "[L:C: ][error: |warning: ]message",
 * against what was printed. The severity may be left out when it is the
 * line's (an error on a fail line, a warning on a warn line); the location
 * is compared only when the table writes one. */
static bool diag_matches(const char *want, size_t len, bool line_error, const struct got_diag *g)
{
	int line, col, off = 0;
	char buf[32];
	bool error = line_error;

	if (sscanf(want, "%d:%d: %n", &line, &col, &off) == 2 && off > 0 && (size_t)off <= len) {
		snprintf(buf, sizeof(buf), "%d:%d: ", line, col);
		if (strcmp(buf, g->where) != 0)
			return false;
		want += off;
		len -= (size_t)off;
	}
	if (len >= 7 && strncmp(want, "error: ", 7) == 0) {
		error = true;
		want += 7;
		len -= 7;
	} else if (len >= 9 && strncmp(want, "warning: ", 9) == 0) {
		error = false;
		want += 9;
		len -= 9;
	}
	return error == g->error && strlen(g->message) == len &&
	       strncmp(want, g->message, len) == 0;
}

/* Every diagnostic, in print order, separated by " | ". */
static bool diags_match(const char *want, bool line_error, const struct outcome *o)
{
	for (size_t i = 0; i < o->ndiags; i++) {
		const char *sep = strstr(want, " | ");
		size_t len = sep ? (size_t)(sep - want) : strlen(want);

		if (!*want || !diag_matches(want, len, line_error, &o->diags[i]))
			return false;
		want += sep ? len + 3 : len;
	}
	return *want == '\0';
}

/* Check one outcome against the table; NULL when it holds, else why not. */
static const char *judge(enum status st, const char *want, const struct text *input,
			 const struct outcome *o)
{
	switch (st) {
	case ST_OK:
		if (!o->accepted)
			return "rejected";
		if (o->ndiags)
			return "accepted with a diagnostic";
		if (!canon_matches(want ? want : input->buf, o))
			return "another canonical form";
		break;
	case ST_WARN:
	case ST_FAIL:
		if (o->accepted != (st == ST_WARN))
			return st == ST_WARN ? "rejected" : "accepted";
		if (!o->ndiags)
			return "no diagnostic";
		if (!want)
			return "the table gives no diagnostic";
		if (!diags_match(want, st == ST_FAIL, o))
			return "other diagnostics";
		break;
	}
	if (o->roundtrip_failed)
		return "the canonical text does not round-trip";
	return NULL;
}

struct totals {
	size_t lines[3], failed, files;
};

/* What the snippet did, as the status and expected fields of the table
 * line that would pass ("fail ; 1:6: ..."). */
static void render_got(const char *want, const struct outcome *o, struct text *out)
{
	const struct text *canon = want && writes_families(want) ? &o->canon_fam : &o->canon;

	text_adds(out, !o->accepted ? "fail ;" : o->ndiags ? "warn ;" : "ok ;");
	for (size_t i = 0; i < o->ndiags; i++) {
		const struct got_diag *g = &o->diags[i];
		text_adds(out, i ? " | " : " ");
		text_adds(out, g->where);
		if (g->error != !o->accepted)
			text_adds(out, g->error ? "error: " : "warning: ");
		text_adds(out, g->message);
	}
	if (!o->ndiags) {
		text_adds(out, " ");
		text_adds(out, canon->buf ? canon->buf : "");
	}
}

static void report(const char *path, int lineno, const char *line, const char *why,
		   const char *want, const struct outcome *o)
{
	struct text got = {0};

	render_got(want, o, &got);
	printf("%s:%d: FAIL (%s)\n    %s\n    got: %s\n", path, lineno, why, line, got.buf);
	if (o->roundtrip_failed)
		printf("    round trip: %s\n", o->roundtrip);
	free(got.buf);
}

/* -u: the file again, each failing line replaced by the one that would
 * pass, for a review in git diff (a round-trip failure stays a failure). */
static int rewrite(const char *path, const struct text *lines)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f || fwrite(lines->buf, 1, lines->len, f) != lines->len || fclose(f) != 0 ||
	    rename(tmp, path) != 0) {
		fprintf(stderr, "lang: cannot rewrite '%s': %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

struct run_opts {
	bool verbose, update;
};

static int run_file(const char *path, const struct run_opts *ro, struct totals *t)
{
	char *buf = NULL, *save = NULL;
	size_t len = 0;
	const char *why = NULL;
	struct text decls = {0}, out = {0};
	bool changed = false;
	int status = 0;
	int err = read_source_file(path, &buf, &len, &why);
	int lineno = 0;

	if (err) {
		fprintf(stderr, "lang: cannot read '%s': %s\n", path, why ? why : strerror(-err));
		return -1;
	}
	t->files++;
	/* strtok_r would skip empty lines and lose the count: split by hand */
	for (char *l = buf; l && *l; l = save) {
		char *nl = strchr(l, '\n');
		save = nl ? nl + 1 : NULL;
		if (nl)
			*nl = '\0';
		lineno++;
		size_t out_mark = out.len;
		text_adds(&out, l);
		text_adds(&out, "\n");

		char lead = l[strspn(l, " \t")];
		if (lead == '\0' || lead == '#')
			continue;
		if (l[0] == '!') {
			/* "! set s { ... }": declared before every later snippet */
			if (!unescape(l + 1, strlen(l + 1), &decls)) {
				printf("%s:%d: FAIL (bad escape)\n    %s\n", path, lineno, l);
				t->failed++;
			}
			text_adds(&decls, "\n");
			continue;
		}

		enum status st;
		const char *want = NULL;
		const char *mark = find_status(l, &st, &want);
		if (!mark) {
			printf("%s:%d: FAIL (no '; ok', '; warn' or '; fail' field)\n    %s\n",
			       path, lineno, l);
			t->failed++;
			continue;
		}
		size_t in_len = (size_t)(mark - l), want_len = want ? strlen(want) : 0;
		const char *in = trim(l, &in_len);
		char *want_text = NULL;
		if (want) {
			want = trim(want, &want_len);
			want_text = want_len ? xstrndup(want, want_len) : NULL;
		}

		struct text input = {0};
		struct outcome o = {0};
		const char *fail_why;
		text_adds(&input, "");
		t->lines[st]++;
		if (!unescape(in, in_len, &input)) {
			printf("%s:%d: FAIL (bad escape)\n    %s\n", path, lineno, l);
			t->failed++;
			free(want_text);
			free(input.buf);
			continue;
		}
		run_snippet(&decls, &input, &o);
		fail_why = judge(st, want_text, &input, &o);
		if (fail_why && ro->update && !o.roundtrip_failed) {
			/* the line as the compiler would have it */
			out.len = out_mark;
			text_add(&out, l, (size_t)(mark - l));
			while (out.len > out_mark && strchr(" \t", out.buf[out.len - 1]))
				out.len--;
			text_adds(&out, " ; ");
			render_got(want_text, &o, &out);
			text_adds(&out, "\n");
			changed = true;
			printf("%s:%d: updated (%s)\n", path, lineno, fail_why);
		} else if (fail_why) {
			t->failed++;
			report(path, lineno, l, fail_why, want_text, &o);
		} else if (ro->verbose) {
			printf("%s:%d: ok   %s\n", path, lineno, l);
		}
		free(want_text);
		free(input.buf);
		for (size_t i = 0; i < o.ndiags; i++)
			free(o.diags[i].message);
		free(o.diags);
		free(o.canon.buf);
		free(o.canon_fam.buf);
	}
	if (changed)
		status = rewrite(path, &out);
	free(out.buf);
	free(decls.buf);
	free(buf);
	return status;
}

int main(int argc, char **argv)
{
	struct totals t = {0};
	struct run_opts ro = {0};
	int first = 1, status = 0;

	for (; first < argc && argv[first][0] == '-'; first++) {
		if (strcmp(argv[first], "-v") == 0) {
			ro.verbose = true;
		} else if (strcmp(argv[first], "-u") == 0) {
			ro.update = true;
		} else {
			first = argc;
			break;
		}
	}
	if (first >= argc) {
		fputs("usage: lang-run [-v] [-u] FILE.t...\n", stderr);
		return 2;
	}
	for (int i = first; i < argc; i++)
		if (run_file(argv[i], &ro, &t) != 0)
			status = 2;
	size_t total = t.lines[ST_OK] + t.lines[ST_WARN] + t.lines[ST_FAIL];
	printf("lang: %zu lines (%zu ok, %zu warn, %zu fail) in %zu files, %zu failed\n", total,
	       t.lines[ST_OK], t.lines[ST_WARN], t.lines[ST_FAIL], t.files, t.failed);
	if (status == 0 && (t.failed || total == 0))
		status = 1;
	return status;
}
