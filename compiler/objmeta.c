#include "objmeta.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

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

void objmeta_write(const struct ir_program *p, uint32_t abi, FILE *out)
{
	char buf[PREFIX_STRLEN];

	fprintf(out, "untrack-meta\t%d\nabi\t%u\nsource\t", OBJMETA_FORMAT, abi);
	objmeta_put_escaped(p->file, out);
	fputc('\n', out);
	for (size_t i = 0; i < p->npolicies; i++) {
		const struct ir_policy *pol = &p->policies[i];
		fprintf(out, "policy\t%zu\t", i);
		objmeta_put_escaped(pol->name, out);
		fprintf(out, "\t%d\t%u\t%d\n", pol->has_order, pol->order, pol->loc.first_line);
	}
	for (size_t i = 0; i < p->nrules; i++) {
		const struct ir_rule *r = &p->rules[i];
		fprintf(out, "rule\t%u\t%s\t%s\t%u\t%d\t%d\t", r->id,
			r->dir == IR_EGRESS ? "egress" : "ingress", ir_action_name(r->action),
			r->policy, r->loc.first_line, r->loc.first_column);
		objmeta_put_escaped(r->text, out);
		fputc('\n', out);
	}
	for (size_t i = 0; i < p->nsets; i++) {
		const struct ir_set *s = &p->sets[i];
		fprintf(out, "set\t%zu\t", i);
		objmeta_put_escaped(s->name, out);
		fprintf(out, "\t%u\t%zu\t%s\n", s->families, s->nprefixes,
			s->used_ingress ? (s->used_egress ? "both" : "ingress")
					: (s->used_egress ? "egress" : "none"));
		for (size_t k = 0; k < s->nprefixes; k++)
			fprintf(out, "prefix\t%zu\t%s\n", i, prefix_format(&s->prefixes[k], buf));
	}
	fputs("end\n", out);
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

static char *unescape(const char *s)
{
	char *out = xmalloc(strlen(s) + 1), *o = out;

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

static bool parse_action(const char *s, enum ir_action *a)
{
	static const enum ir_action all[] = {IR_ALLOW, IR_DENY, IR_PASS, IR_LOG};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (strcmp(s, ir_action_name(all[i])) == 0) {
			*a = all[i];
			return true;
		}
	}
	return false;
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
	} else if (strcmp(f[0], "policy") == 0) {
		if (nf != 6 || !parse_u32(f[1], &a) || a != m->npolicies || !parse_u32(f[3], &b) ||
		    !parse_u32(f[4], &c) || !parse_u32(f[5], &d))
			return fail(rd, "malformed policy record");
		m->policies = xreallocarray(m->policies, m->npolicies + 1, sizeof(*m->policies));
		m->policies[m->npolicies++] = (struct objmeta_policy){
			.name = unescape(f[2]), .has_order = b != 0, .order = c, .line = (int)d};
	} else if (strcmp(f[0], "rule") == 0) {
		enum ir_action act;
		if (nf != 8 || !parse_u32(f[1], &a) || a != m->nrules ||
		    (strcmp(f[2], "ingress") && strcmp(f[2], "egress")) ||
		    !parse_action(f[3], &act) || !parse_u32(f[4], &b) || b >= m->npolicies ||
		    !parse_u32(f[5], &c) || !parse_u32(f[6], &d))
			return fail(rd, "malformed rule record");
		m->rules = xreallocarray(m->rules, m->nrules + 1, sizeof(*m->rules));
		m->rules[m->nrules++] = (struct objmeta_rule){
			.id = a,
			.dir = strcmp(f[2], "egress") == 0 ? IR_EGRESS : IR_INGRESS,
			.action = act,
			.policy = b,
			.line = (int)c,
			.column = (int)d,
			.text = unescape(f[7]),
		};
	} else if (strcmp(f[0], "set") == 0) {
		static const char *const uses[] = {"none", "ingress", "egress", "both"};
		int use = 1; /* without the field: ingress */
		if (nf == 6)
			for (use = 3; use >= 0 && strcmp(f[5], uses[use]) != 0; use--)
				;
		if ((nf != 5 && nf != 6) || use < 0 || !parse_u32(f[1], &a) || a != m->nsets ||
		    !parse_u32(f[3], &b) || b == 0 || b > FAM_ALL || !parse_u32(f[4], &e))
			return fail(rd, "malformed set record");
		m->sets = xreallocarray(m->sets, m->nsets + 1, sizeof(*m->sets));
		m->sets[m->nsets++] = (struct objmeta_set){
			.name = unescape(f[2]),
			.families = (uint8_t)b,
			.prefixes = xcalloc(e, sizeof(struct prefix)),
			.ingress = (use & 1) != 0,
			.egress = (use & 2) != 0,
		};
	} else if (strcmp(f[0], "prefix") == 0) {
		struct prefix pfx;
		if (nf != 3 || !parse_u32(f[1], &a) || m->nsets == 0 || a != m->nsets - 1)
			return fail(rd, "malformed prefix record");
		enum addr_parse_status st = prefix_parse(f[2], &pfx);
		if (st != ADDR_OK)
			return fail(rd, "invalid prefix '%s'", f[2]);
		struct objmeta_set *s = &m->sets[a];
		s->prefixes = xreallocarray(s->prefixes, s->nprefixes + 1, sizeof(*s->prefixes));
		s->prefixes[s->nprefixes++] = pfx;
	} else {
		return fail(rd, "unknown record '%s'", f[0]);
	}
	return 0;
}

int objmeta_parse(const char *text, size_t len, struct objmeta *out, char *err, size_t errlen)
{
	struct reader rd = {.err = err, .errlen = errlen};
	char *copy = xstrndup(text, len);
	char *save = NULL;
	bool ended = false;
	int ret = 0;

	memset(out, 0, sizeof(*out));
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
