#include "objfmt/objmeta.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void objmeta_put_escaped(const char *s, FILE *out)
{
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		switch (*c) {
		case '\\':
			fputs("\\\\", out);
			break;
		case '\t':
			fputs("\\t", out);
			break;
		case '\n':
			fputs("\\n", out);
			break;
		default:
			if (*c < 0x20 || *c >= 0x7f)
				fprintf(out, "\\x%02x", *c);
			else
				fputc(*c, out);
		}
	}
}

/* ---------------------------------------------------------------- parsing */

#define MAX_FIELDS 8

struct reader {
	char *err;
	size_t errlen;
	int line;
};

__attribute__((format(printf, 2, 3))) static int fail(struct reader *r, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(r->err, r->errlen, "metadata line %d: ", r->line);

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < r->errlen)
		vsnprintf(r->err + n, r->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* NULL when out of memory. */
static char *unescape(const char *s)
{
	char *out = malloc(strlen(s) + 1), *o = out;

	if (!out)
		return NULL;

	while (*s) {
		if (*s != '\\') {
			*o++ = *s++;
			continue;
		}
		s++;
		switch (*s) {
		case 't':
			*o++ = '\t';
			s++;
			break;
		case 'n':
			*o++ = '\n';
			s++;
			break;
		case 'x':
			if (s[1] && s[2]) {
				char hex[3] = {s[1], s[2], 0};
				*o++ = (char)strtoul(hex, NULL, 16);
				s += 3;
				break;
			}
			/* fall through */
		default:
			if (*s)
				*o++ = *s++;
		}
	}
	*o = '\0';
	return out;
}

static bool parse_u32(const char *s, uint32_t *v)
{
	char *end;
	errno = 0;
	unsigned long long x = strtoull(s, &end, 10);
	if (errno || end == s || *end || x > UINT32_MAX || *s == '-')
		return false;
	*v = (uint32_t)x;
	return true;
}

static int nomem(struct reader *r)
{
	snprintf(r->err, r->errlen, "metadata line %d: out of memory", r->line);
	return -ENOMEM;
}

/* Make room for one more element of size `size` in *items (n used). */
static int grow(void *items, size_t n, size_t size)
{
	void **v = items;
	void *p;

	/* Powers of two: reallocate only when n reaches one. */
	if (n & (n - 1))
		return 0;
	p = reallocarray(*v, n ? n * 2 : 1, size);
	if (!p)
		return -ENOMEM;
	*v = p;
	return 0;
}

static int parse_record(struct reader *rd, char **f, int nf, struct objmeta *m)
{
	uint32_t a, b, c, d, e;

	if (strcmp(f[0], "untrack-meta") == 0) {
		if (nf != 2 || !parse_u32(f[1], &a))
			return fail(rd, "malformed header");
		if (a != OBJMETA_FORMAT)
			return fail(rd, "metadata format %u is not supported (expected %d)", a,
				    OBJMETA_FORMAT);
	} else if (strcmp(f[0], "abi") == 0) {
		if (nf != 2 || !parse_u32(f[1], &m->abi))
			return fail(rd, "malformed abi record");
	} else if (strcmp(f[0], "source") == 0) {
		if (nf != 2)
			return fail(rd, "malformed source record");
		free(m->source);
		m->source = unescape(f[1]);
		if (!m->source)
			return nomem(rd);
	} else if (strcmp(f[0], "policy") == 0) {
		if (nf != 6 || !parse_u32(f[1], &a) || a != m->npolicies || !parse_u32(f[3], &b) ||
		    !parse_u32(f[4], &c) || !parse_u32(f[5], &d))
			return fail(rd, "malformed policy record");
		if (grow(&m->policies, m->npolicies, sizeof(*m->policies)) != 0)
			return nomem(rd);
		m->policies[m->npolicies] = (struct objmeta_policy){
			.name = unescape(f[2]), .has_order = b != 0, .order = c, .line = (int)d};
		if (!m->policies[m->npolicies++].name)
			return nomem(rd);
	} else if (strcmp(f[0], "rule") == 0) {
		int act = nf == 8 ? rule_action_parse(f[3]) : -1;
		if (nf != 8 || !parse_u32(f[1], &a) || a != m->nrules ||
		    (strcmp(f[2], "ingress") && strcmp(f[2], "egress")) || act < 0 ||
		    !parse_u32(f[4], &b) || b >= m->npolicies || !parse_u32(f[5], &c) ||
		    !parse_u32(f[6], &d))
			return fail(rd, "malformed rule record");
		if (grow(&m->rules, m->nrules, sizeof(*m->rules)) != 0)
			return nomem(rd);
		m->rules[m->nrules] = (struct objmeta_rule){
			.id = a,
			.dir = strcmp(f[2], "egress") == 0 ? DIR_EGRESS : DIR_INGRESS,
			.action = (enum rule_action)act,
			.policy = b,
			.line = (int)c,
			.column = (int)d,
			.text = unescape(f[7]),
		};
		if (!m->rules[m->nrules++].text)
			return nomem(rd);
	} else if (strcmp(f[0], "set") == 0) {
		static const char *const uses[] = {"none", "ingress", "egress", "both"};
		int use = 1; /* without the field: ingress */
		if (nf == 6)
			for (use = 3; use >= 0 && strcmp(f[5], uses[use]) != 0; use--)
				;
		if ((nf != 5 && nf != 6) || use < 0 || !parse_u32(f[1], &a) || a != m->nsets ||
		    !parse_u32(f[3], &b) || b == 0 || b > FAM_ALL || !parse_u32(f[4], &e))
			return fail(rd, "malformed set record");
		if (grow(&m->sets, m->nsets, sizeof(*m->sets)) != 0)
			return nomem(rd);
		/* The prefix count is the writer's word, not an allocation
		 * size: the prefix records that follow are what counts. */
		m->sets[m->nsets] = (struct objmeta_set){
			.name = unescape(f[2]),
			.families = (uint8_t)b,
			.ingress = (use & 1) != 0,
			.egress = (use & 2) != 0,
		};
		if (!m->sets[m->nsets++].name)
			return nomem(rd);
	} else if (strcmp(f[0], "prefix") == 0) {
		struct prefix pfx;
		if (nf != 3 || !parse_u32(f[1], &a) || m->nsets == 0 || a != m->nsets - 1)
			return fail(rd, "malformed prefix record");
		enum addr_parse_status st = prefix_parse(f[2], &pfx);
		if (st != ADDR_OK)
			return fail(rd, "invalid prefix '%s'", f[2]);
		struct objmeta_set *s = &m->sets[a];
		if (grow(&s->prefixes, s->nprefixes, sizeof(*s->prefixes)) != 0)
			return nomem(rd);
		s->prefixes[s->nprefixes++] = pfx;
	} else {
		return fail(rd, "unknown record '%s'", f[0]);
	}
	return 0;
}

int objmeta_parse(const char *text, size_t len, struct objmeta *out, char *err, size_t errlen)
{
	struct reader rd = {.err = err, .errlen = errlen};
	char *copy = strndup(text, len);
	char *save = NULL;
	bool ended = false;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	if (!copy)
		return nomem(&rd);
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *f[MAX_FIELDS];
		int nf = 0;

		rd.line++;
		if (ended) {
			ret = fail(&rd, "data after 'end'");
			break;
		}
		if (strcmp(line, "end") == 0) {
			ended = true;
			continue;
		}
		for (char *p = line;; p++) {
			if (nf == MAX_FIELDS) {
				nf = -1;
				break;
			}
			f[nf++] = p;
			p = strchr(p, '\t');
			if (!p)
				break;
			*p = '\0';
		}
		if (nf < 1) {
			ret = fail(&rd, "too many fields");
			break;
		}
		if (rd.line == 1 && strcmp(f[0], "untrack-meta") != 0) {
			ret = fail(&rd, "not untrack metadata");
			break;
		}
		ret = parse_record(&rd, f, nf, out);
		if (ret)
			break;
	}
	if (!ret && !ended)
		ret = fail(&rd, "truncated: no 'end' record");
	free(copy);
	if (ret)
		objmeta_free(out);
	return ret;
}

void objmeta_free(struct objmeta *m)
{
	if (!m)
		return;
	free(m->source);
	for (size_t i = 0; i < m->npolicies; i++)
		free(m->policies[i].name);
	free(m->policies);
	for (size_t i = 0; i < m->nrules; i++)
		free(m->rules[i].text);
	free(m->rules);
	for (size_t i = 0; i < m->nsets; i++) {
		free(m->sets[i].name);
		free(m->sets[i].prefixes);
	}
	free(m->sets);
	memset(m, 0, sizeof(*m));
}
