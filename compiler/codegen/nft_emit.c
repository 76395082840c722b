/* Egress rules → nftables text (objfmt/nft_template.h has the contract with
 * the loader, docs/egress.md the semantics).
 *
 * One untrack rule becomes one nft rule per *alternative*: an address
 * condition that lists literal prefixes and named sets is an OR of "in the
 * literals" (one anonymous interval set) and "in set I" for each set, and
 * nftables has no OR across a set lookup, so a rule with several such parts
 * is written once per part (source parts × destination parts, per family).
 * For allow, deny and pass that is exact: the first alternative that matches
 * decides, exactly as the rule would. A log rule must not log or count a
 * packet twice, so when it has several alternatives they live in a chain of
 * their own whose rules `goto` the logging chain: after logging, evaluation
 * returns to the rule after the `jump` in the entry chain. Negated address
 * conditions are a conjunction (outside every part) and need no split. All
 * alternatives of a rule share one named counter. */
#include "codegen/nft_emit.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "codegen/cwrite.h"
#include "objfmt/objmeta.h"
#include "untrack_abi.h"
#include "base/xalloc.h"

#ifndef UNTRACK_VERSION
#define UNTRACK_VERSION "0.1.0"
#endif

struct gen {
	const char *pfx;
	FILE *out;
};

/* Writes space-separated words of one nft rule. */
struct line {
	FILE *out;
	bool started;
};

__attribute__((format(printf, 2, 3))) static void word(struct line *l, const char *fmt, ...)
{
	va_list ap;

	if (l->started)
		fputc(' ', l->out);
	l->started = true;
	va_start(ap, fmt);
	vfprintf(l->out, fmt, ap);
	va_end(ap);
}

bool emit_nft_needed(const struct ir_program *p)
{
	for (size_t i = 0; i < p->nrules; i++)
		if (p->rules[i].dir == DIR_EGRESS)
			return true;
	return false;
}

static bool has_literals(const struct ir_addr_match *m, uint8_t fam)
{
	for (size_t i = 0; i < m->nprefixes; i++)
		if (m->prefixes[i].family == fam)
			return true;
	return false;
}

/* How many alternatives an address condition splits into for family fam
 * (fam 0: the rule has no address condition at all). */
static size_t addr_parts(const struct ir_addr_match *m, uint8_t fam)
{
	if (!m || m->negate)
		return 1;
	return (has_literals(m, fam) ? 1 : 0) + m->nsets;
}

static void write_literals(struct line *l, const struct ir_addr_match *m, uint8_t fam)
{
	char buf[PREFIX_STRLEN];
	size_t k;
	struct prefix *v;

	if (nft_prefixes_disjoint(m->prefixes, m->nprefixes, fam, &v, &k) != 0)
		xalloc_die();

	if (k == 1) {
		fputs(prefix_format(&v[0], buf), l->out);
	} else {
		fputs("{ ", l->out);
		for (size_t i = 0; i < k; i++)
			fprintf(l->out, "%s%s", i ? ", " : "", prefix_format(&v[i], buf));
		fputs(" }", l->out);
	}
	free(v);
}

/* Alternative k (< addr_parts) of an address condition. */
static void write_addr(const struct gen *g, struct line *l, const struct ir_addr_match *m,
		       uint8_t fam, size_t k, const char *field)
{
	const char *key = fam == FAM_V4 ? "ip" : "ip6";
	unsigned v = fam == FAM_V4 ? 4 : 6;
	bool lits = has_literals(m, fam);

	if (m->negate) {
		if (lits) {
			word(l, "%s %s != ", key, field);
			write_literals(l, m, fam);
		}
		for (size_t i = 0; i < m->nsets; i++)
			word(l, "%s %s != @%ss%" PRIu32 "v%u", key, field, g->pfx, m->sets[i], v);
		return;
	}
	if (lits && k == 0) {
		word(l, "%s %s ", key, field);
		write_literals(l, m, fam);
		return;
	}
	word(l, "%s %s @%ss%" PRIu32 "v%u", key, field, g->pfx, m->sets[k - (lits ? 1 : 0)], v);
}

static void write_ports(struct line *l, int proto, const struct ir_port_match *m, const char *field)
{
	const char *key = proto == IPPROTO_NUM_TCP   ? "tcp"
			  : proto == IPPROTO_NUM_UDP ? "udp"
						     : "sctp";

	word(l, "%s %s %s", key, field, m->negate ? "!= " : "");
	if (m->nranges > 1)
		fputs("{ ", l->out);
	for (size_t i = 0; i < m->nranges; i++) {
		const struct ir_range *r = &m->ranges[i];
		fputs(i ? ", " : "", l->out);
		if (r->lo == r->hi)
			fprintf(l->out, "%u", r->lo);
		else
			fprintf(l->out, "%u-%u", r->lo, r->hi);
	}
	if (m->nranges > 1)
		fputs(" }", l->out);
}

/* Does the rule look at the L4 header (so never matches a fragment after
 * the first)? */
static bool needs_l4(const struct ir_rule *r)
{
	return r->sport || r->dport || r->icmp_type != IR_ICMP_ANY || r->icmp_code != IR_ICMP_ANY;
}

/* The match of alternative (ks, kd) of rule r in family fam (0: none). */
static void write_match(const struct gen *g, struct line *l, const struct ir_rule *r, uint8_t fam,
			size_t ks, size_t kd)
{
	if (fam)
		word(l, "meta nfproto %s", fam == FAM_V4 ? "ipv4" : "ipv6");
	if (r->proto != IR_PROTO_ANY)
		word(l, "meta l4proto %d", r->proto);
	/* Not every kernel refuses transport header loads on IPv4 fragments
	 * after the first (6.18 reads them); IPv6's are refused. */
	if (fam == FAM_V4 && needs_l4(r))
		word(l, "ip frag-off & 0x1fff == 0");
	if (r->src)
		write_addr(g, l, r->src, fam, ks, "saddr");
	if (r->sport)
		write_ports(l, r->proto, r->sport, "sport");
	if (r->dst)
		write_addr(g, l, r->dst, fam, kd, "daddr");
	if (r->dport)
		write_ports(l, r->proto, r->dport, "dport");
	if (r->icmp_type != IR_ICMP_ANY)
		word(l, "%s type %d", fam == FAM_V6 ? "icmpv6" : "icmp", r->icmp_type);
	if (r->icmp_code != IR_ICMP_ANY)
		word(l, "%s code %d", fam == FAM_V6 ? "icmpv6" : "icmp", r->icmp_code);
}

/* IPv6 extension headers: untrack walks them all (docs/language.md), so
 * they are never the protocol of an IPv6 packet. nftables walks all but AH,
 * whose packets it gives protocol 51; written for IPv6, `proto 51` would
 * match them, so these rules are not written for IPv6 at all. */
static bool ipv6_ext_proto(int proto)
{
	return proto == 0 || proto == 43 || proto == 44 || proto == 51 || proto == 60;
}

/* The families a rule is written for: none (0) when one nft rule does for
 * both, because no condition depends on the family. */
static size_t rule_families(const struct ir_rule *r, uint8_t fams[2])
{
	size_t n = 0;

	if (!r->src && !r->dst && !needs_l4(r) && r->families == FAM_ALL &&
	    !ipv6_ext_proto(r->proto)) {
		fams[n++] = 0;
		return n;
	}
	if (r->families & FAM_V4)
		fams[n++] = FAM_V4;
	if ((r->families & FAM_V6) && !ipv6_ext_proto(r->proto))
		fams[n++] = FAM_V6;
	return n;
}

/* The most nft rules the rule needs for one family: a packet is of one
 * family, so only alternatives within a family can match it twice. */
static size_t alternatives(const struct ir_rule *r)
{
	uint8_t fams[2];
	size_t n = rule_families(r, fams), most = 0;

	for (size_t f = 0; f < n; f++) {
		size_t k = addr_parts(r->src, fams[f]) * addr_parts(r->dst, fams[f]);
		most = k > most ? k : most;
	}
	return most;
}

static void write_log(const struct gen *g, struct line *l, const struct ir_rule *r)
{
	word(l, "counter name \"%sr%" PRIu32 "\" limit name \"%slog\"", g->pfx, r->id, g->pfx);
	word(l, "log prefix \"untrack egress rule %" PRIu32 ": \"", r->id);
}

/* Every alternative of r as one line in the current chain, each ending in
 * `tail` (the verdict), or the rule's own statements when tail is NULL. */
static void write_alternatives(const struct gen *g, const struct ir_rule *r, const char *indent,
			       const char *tail)
{
	uint8_t fams[2];
	size_t n = rule_families(r, fams);

	for (size_t f = 0; f < n; f++) {
		size_t ns = addr_parts(r->src, fams[f]), nd = addr_parts(r->dst, fams[f]);
		for (size_t ks = 0; ks < ns; ks++) {
			for (size_t kd = 0; kd < nd; kd++) {
				struct line l = {.out = g->out};
				fputs(indent, g->out);
				write_match(g, &l, r, fams[f], ks, kd);
				if (tail)
					word(&l, "%s", tail);
				else if (r->action == ACT_LOG)
					write_log(g, &l, r);
				else
					word(&l, "counter name \"%sr%" PRIu32 "\" %s", g->pfx,
					     r->id,
					     r->action == ACT_ALLOW  ? "notrack accept"
					     : r->action == ACT_DENY ? "drop"
								     : "return");
				fputc('\n', g->out);
			}
		}
	}
}

static bool split_log(const struct ir_rule *r)
{
	return r->dir == DIR_EGRESS && r->action == ACT_LOG && alternatives(r) > 1;
}

static void write_set(const struct gen *g, const struct ir_set *s, size_t index, uint8_t fam)
{
	FILE *out = g->out;
	unsigned v = fam == FAM_V4 ? 4 : 6;

	fprintf(out, "set %ss%zuv%u {\n\ttype %s; flags interval; auto-merge\n", g->pfx, index, v,
		fam == FAM_V4 ? "ipv4_addr" : "ipv6_addr");
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	if (!mem)
		xalloc_die();
	ssize_t n = nft_elements_write(mem, s->prefixes, s->nprefixes, fam, "\t\t");
	if (n < 0 || fclose(mem) != 0)
		xalloc_die();
	if (n)
		fprintf(out, "\telements = { %s }\n", text);
	free(text);
	fputs("}\n", out);
}

void emit_nft_body(const struct ir_program *p, const char *prefix, FILE *out)
{
	const struct gen g = {.pfx = prefix, .out = out};
	bool log = false;

	if (!emit_nft_needed(p))
		return;
	for (size_t i = 0; i < p->nrules; i++)
		log |= p->rules[i].dir == DIR_EGRESS && p->rules[i].action == ACT_LOG;
	if (log)
		fprintf(out, "limit %slog { rate %d/second burst %d packets }\n", prefix,
			UT_LOG_RATE, UT_LOG_BURST);
	for (size_t i = 0; i < p->nrules; i++)
		if (p->rules[i].dir == DIR_EGRESS)
			fprintf(out, "counter %sr%" PRIu32 " { }\n", prefix, p->rules[i].id);
	for (size_t i = 0; i < p->nsets; i++) {
		if (!p->sets[i].used_egress)
			continue;
		write_set(&g, &p->sets[i], i, FAM_V4);
		write_set(&g, &p->sets[i], i, FAM_V6);
	}

	fprintf(out, "chain %segress {\n", prefix);
	for (size_t i = 0; i < p->nrules; i++) {
		const struct ir_rule *r = &p->rules[i];
		if (r->dir != DIR_EGRESS)
			continue;
		fprintf(out, "\t# rule %" PRIu32 ", line %d: ", r->id, r->loc.first_line);
		objmeta_put_escaped(r->text, out);
		fputc('\n', out);
		if (alternatives(r) == 0)
			fputs("\t# it matches no packet that nftables can tell apart\n", out);
		else if (split_log(r))
			fprintf(out, "\tjump %salt%" PRIu32 "\n", prefix, r->id);
		else
			write_alternatives(&g, r, "\t", NULL);
	}
	fputs("}\n", out);

	for (size_t i = 0; i < p->nrules; i++) {
		const struct ir_rule *r = &p->rules[i];
		char tail[64];
		if (!split_log(r))
			continue;
		snprintf(tail, sizeof(tail), "goto %slog%" PRIu32, prefix, r->id);
		fprintf(out, "chain %salt%" PRIu32 " {\n", prefix, r->id);
		write_alternatives(&g, r, "\t", tail);
		fprintf(out, "}\nchain %slog%" PRIu32 " {\n\t", prefix, r->id);
		struct line l = {.out = out};
		write_log(&g, &l, r);
		fputs("\n}\n", out);
	}
}

static char *body_text(const struct ir_program *p, const char *prefix)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);

	if (!mem)
		xalloc_die();
	emit_nft_body(p, prefix, mem);
	if (fclose(mem) != 0)
		xalloc_die();
	return text;
}

void emit_nft_section(const struct ir_program *p, FILE *out)
{
	char *text = body_text(p, NFT_PLACEHOLDER);

	cwrite_section(out, "The egress rules for nftables (objfmt/nft_template.h).", "ut_nft",
		       NFT_SECTION, text);
	free(text);
}

void emit_nft_ruleset(const struct ir_program *p, const char *iface, FILE *out)
{
	char *text = body_text(p, NFT_DEFAULT_PREFIX);

	fputs("# Generated by untrackc " UNTRACK_VERSION " (--emit=nft) from ", out);
	objmeta_put_escaped(p->file, out);
	fputs(".\n", out);
	if (!*text) {
		fputs("# It has no egress rule: untrack adds nothing to nftables' output hook for "
		      "it.\ntable " NFT_FAMILY " " NFT_TABLE " {\n}\n",
		      out);
		free(text);
		return;
	}
	fprintf(out,
		"# Its egress rules as untrack attach installs them for interface %s, in\n"
		"# nftables' raw output hook (docs/egress.md). For reading and `nft -c -f`:\n"
		"# the loader installs them itself, beside the ingress notrack rule.\n",
		iface);
	fputs("table " NFT_FAMILY " " NFT_TABLE " {\n", out);
	for (char *line = text, *nl; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		*nl = '\0';
		fprintf(out, "\t%s\n", line);
	}
	fprintf(out,
		"\tchain output {\n"
		"\t\ttype filter hook output priority raw; policy accept;\n"
		"\t\toifname \"%s\" jump %segress\n"
		"\t}\n}\n",
		iface, NFT_DEFAULT_PREFIX);
	free(text);
}
