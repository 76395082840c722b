#include "roundtrip.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "front/diag.h"
#include "policy_text.h"

__attribute__((format(printf, 3, 4))) static int fail(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return -1;
}

static bool prefixes_equal(const struct prefix *a, size_t na, const struct prefix *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (prefix_cmp(&a[i], &b[i]) != 0)
			return false;
	return true;
}

static bool addrs_equal(const struct ir_addr_match *a, const struct ir_addr_match *b)
{
	if (!a || !b)
		return a == b;
	return a->negate == b->negate &&
	       prefixes_equal(a->prefixes, a->nprefixes, b->prefixes, b->nprefixes) &&
	       a->nsets == b->nsets && memcmp(a->sets, b->sets, a->nsets * sizeof(*a->sets)) == 0;
}

static bool ports_equal(const struct ir_port_match *a, const struct ir_port_match *b)
{
	if (!a || !b)
		return a == b;
	if (a->negate != b->negate || a->nranges != b->nranges)
		return false;
	for (size_t i = 0; i < a->nranges; i++)
		if (a->ranges[i].lo != b->ranges[i].lo || a->ranges[i].hi != b->ranges[i].hi)
			return false;
	return true;
}

int roundtrip_rule_cmp(const struct ir_rule *a, const struct ir_rule *b, char *why, size_t len)
{
	if (a->dir != b->dir)
		return fail(why, len, "direction differs");
	if (a->action != b->action)
		return fail(why, len, "action differs");
	if (a->families != b->families)
		return fail(why, len, "families differ (%u, %u)", a->families, b->families);
	if (a->proto != b->proto)
		return fail(why, len, "protocol differs (%d, %d)", a->proto, b->proto);
	if (!addrs_equal(a->src, b->src))
		return fail(why, len, "source addresses differ");
	if (!addrs_equal(a->dst, b->dst))
		return fail(why, len, "destination addresses differ");
	if (!ports_equal(a->sport, b->sport))
		return fail(why, len, "source ports differ");
	if (!ports_equal(a->dport, b->dport))
		return fail(why, len, "destination ports differ");
	if (a->icmp_type != b->icmp_type || a->icmp_code != b->icmp_code)
		return fail(why, len, "ICMP type or code differs");
	return 0;
}

/* The program's sets as declarations, then every rule's text on a line of
 * its own in one policy: rule i of the result is rule i of p. */
static char *write_back(const struct ir_program *p, size_t *len)
{
	char *text = NULL, buf[PREFIX_STRLEN];
	FILE *f = open_memstream(&text, len);

	if (!f)
		xalloc_die();
	for (size_t i = 0; i < p->nsets; i++) {
		const struct ir_set *s = &p->sets[i];
		fprintf(f, "set %s {", s->name);
		for (size_t k = 0; k < s->nprefixes; k++)
			fprintf(f, "%s %s", k ? "," : "", prefix_format(&s->prefixes[k], buf));
		fputs(" }\n", f);
	}
	fputs("policy roundtrip {\n", f);
	for (size_t i = 0; i < p->nrules; i++)
		fprintf(f, "%s\n", p->rules[i].text);
	fputs("}\n", f);
	if (fclose(f) != 0)
		xalloc_die();
	return text;
}

/* The first diagnostic as printed, for a failure message. */
static void first_diag(const struct diag_ctx *d, char *why, size_t len)
{
	char *text = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&text, &n);

	if (!f)
		xalloc_die();
	diag_print(d, DIAG_TEXT, false, f);
	fclose(f);
	snprintf(why, len, "the canonical text does not compile: %.*s", (int)strcspn(text, "\n"),
		 text);
	free(text);
}

int roundtrip_check(const struct ir_program *p, char *why, size_t len)
{
	struct diag_ctx d;
	size_t srclen;
	int status = 0;

	if (p->nrules == 0)
		return 0;
	for (size_t i = 0; i < p->nsets; i++)
		if (p->sets[i].nprefixes == 0)
			return fail(why, len, "set '%s' is empty: no text can declare it",
				    p->sets[i].name);

	char *src = write_back(p, &srclen);
	diag_init(&d, "roundtrip.utp", src, srclen);
	struct ir_program *q = policy_lower(&d);
	if (!q) {
		first_diag(&d, why, len);
		status = -1;
	} else if (q->nrules != p->nrules) {
		status = fail(why, len, "%zu rules came back from %zu", q->nrules, p->nrules);
	} else if (q->nsets != p->nsets) {
		status = fail(why, len, "%zu sets came back from %zu", q->nsets, p->nsets);
	}
	for (size_t i = 0; status == 0 && i < p->nsets; i++) {
		const struct ir_set *a = &p->sets[i], *b = &q->sets[i];
		if (strcmp(a->name, b->name) != 0 || a->families != b->families ||
		    !prefixes_equal(a->prefixes, a->nprefixes, b->prefixes, b->nprefixes))
			status = fail(why, len, "set '%s' differs once written back", a->name);
	}
	for (size_t i = 0; status == 0 && i < p->nrules; i++) {
		const struct ir_rule *a = &p->rules[i], *b = &q->rules[i];
		char field[128];

		if (roundtrip_rule_cmp(a, b, field, sizeof(field)) != 0)
			status = fail(why, len, "'%s' re-parsed: %s", a->text, field);
		else if (strcmp(a->text, b->text) != 0)
			status = fail(why, len, "'%s' re-parsed prints as '%s'", a->text, b->text);
	}
	ir_free(q);
	diag_free(&d);
	free(src);
	return status;
}
