/* Semantic checks: names, value ranges, protocol dependencies and address
 * families; then lowering into the normalised IR in evaluation order. Every
 * error is reported, none stops the pass. */
#include "front/sema.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/strmap.h"
#include "base/xalloc.h"

#define MAX_PORT 65535u
#define MAX_BYTE 255u

struct sema {
	struct diag_ctx *d;
	struct ast_file *ast;
	struct ir_program *ir;
	struct strmap sets; /* name -> index into ir->sets */
	bool *set_bad;	    /* per set: an entry was invalid, already reported */
};

static const char *family_name(uint8_t fam)
{
	switch (fam) {
	case FAM_V4:
		return "IPv4";
	case FAM_V6:
		return "IPv6";
	default:
		return "IPv4 and IPv6";
	}
}

static int prefix_qsort_cmp(const void *a, const void *b)
{
	return prefix_cmp(a, b);
}

/* Sort and drop duplicates; returns the new count. */
static size_t sort_unique_prefixes(struct prefix *p, size_t n)
{
	size_t out = 0;

	qsort(p, n, sizeof(*p), prefix_qsort_cmp);
	for (size_t i = 0; i < n; i++)
		if (out == 0 || prefix_cmp(&p[out - 1], &p[i]) != 0)
			p[out++] = p[i];
	return out;
}

/* ---------------------------------------------------------------- sets */

static void lower_sets(struct sema *s)
{
	const struct ast_file *ast = s->ast;

	s->ir->sets = xcalloc(ast->nsets, sizeof(*s->ir->sets));
	s->set_bad = xcalloc(ast->nsets ? ast->nsets : 1, sizeof(*s->set_bad));
	for (size_t i = 0; i < ast->nsets; i++) {
		const struct ast_set *as = &ast->sets[i];
		size_t *prev = strmap_put(&s->sets, as->name, s->ir->nsets);

		if (prev) {
			diag_at(s->d, DIAG_ERROR, as->name_loc, "set '%s' is already defined",
				as->name);
			diag_at(s->d, DIAG_NOTE, s->ir->sets[*prev].loc,
				"previous definition of '%s' is here", as->name);
			continue;
		}
		struct ir_set *set = &s->ir->sets[s->ir->nsets++];
		set->name = xstrdup(as->name);
		set->loc = as->name_loc;
		set->prefixes = xcalloc(as->n, sizeof(*set->prefixes));
		for (size_t k = 0; k < as->n; k++) {
			if (as->items[k].bad) {
				s->set_bad[s->ir->nsets - 1] = true;
				continue;
			}
			set->prefixes[set->nprefixes++] = as->items[k].prefix;
			set->families |= as->items[k].prefix.family;
		}
		set->nprefixes = sort_unique_prefixes(set->prefixes, set->nprefixes);
	}
}

/* ---------------------------------------------------------------- rules */

static int u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* Lower one address condition. *fam gets the families it can match
 * (FAM_ALL when there is no condition). Returns false on error. */
static bool lower_addrs(struct sema *s, const struct ast_addrs *a, enum rule_dir dir,
			struct ir_addr_match **out, uint8_t *fam)
{
	bool ok = true;

	*out = NULL;
	*fam = FAM_ALL;
	if (!a->present)
		return true;
	if (a->any) {
		if (a->negate) {
			diag_at(s->d, DIAG_ERROR, a->loc,
				"'not any' matches no address; the rule can never match");
			return false;
		}
		return true;
	}

	struct ir_addr_match *m = xcalloc(1, sizeof(*m));
	m->negate = a->negate;
	m->prefixes = xcalloc(a->n, sizeof(*m->prefixes));
	m->sets = xcalloc(a->n, sizeof(*m->sets));
	*fam = 0;
	for (size_t i = 0; i < a->n; i++) {
		const struct ast_addr *item = &a->items[i];

		if (item->bad) {
			ok = false;
		} else if (!item->is_set) {
			m->prefixes[m->nprefixes++] = item->prefix;
			*fam |= item->prefix.family;
		} else {
			size_t *idx = strmap_get(&s->sets, item->set_name);
			if (!idx) {
				diag_at(s->d, DIAG_ERROR, item->loc, "unknown set '@%s'",
					item->set_name);
				ok = false;
				continue;
			}
			/* Its families are what is left of it: a rule using
			 * it would report a family conflict the bad entry
			 * made up. */
			if (s->set_bad[*idx])
				ok = false;
			struct ir_set *set = &s->ir->sets[*idx];
			m->sets[m->nsets++] = (uint32_t)*idx;
			*fam |= set->families;
			if (dir == DIR_EGRESS)
				set->used_egress = true;
			else
				set->used_ingress = true;
		}
	}
	m->nprefixes = sort_unique_prefixes(m->prefixes, m->nprefixes);
	qsort(m->sets, m->nsets, sizeof(*m->sets), u32_cmp);
	size_t n = 0;
	for (size_t i = 0; i < m->nsets; i++)
		if (n == 0 || m->sets[n - 1] != m->sets[i])
			m->sets[n++] = m->sets[i];
	m->nsets = n;
	if (!ok) {
		ir_addr_match_free(m);
		*fam = FAM_ALL; /* already reported: no family error on top */
		return false;
	}
	*out = m;
	return true;
}

static int range_cmp(const void *a, const void *b)
{
	const struct ir_range *x = a, *y = b;
	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return x->hi < y->hi ? -1 : x->hi > y->hi;
}

static bool lower_ports(struct sema *s, const struct ast_ports *p, struct ir_port_match **out)
{
	bool ok = true;

	*out = NULL;
	if (!p->present)
		return true;
	struct ir_port_match *m = xcalloc(1, sizeof(*m));
	m->negate = p->negate;
	m->ranges = xcalloc(p->n, sizeof(*m->ranges));
	for (size_t i = 0; i < p->n; i++) {
		const struct ast_range *r = &p->items[i];
		bool in_range = true;

		if (r->lo.value > MAX_PORT) {
			diag_at(s->d, DIAG_ERROR, r->lo.loc,
				"port %" PRIu64 " is out of range (0-65535)", r->lo.value);
			in_range = false;
		}
		if (r->is_range && r->hi.value > MAX_PORT) {
			diag_at(s->d, DIAG_ERROR, r->hi.loc,
				"port %" PRIu64 " is out of range (0-65535)", r->hi.value);
			in_range = false;
		}
		if (!in_range) {
			ok = false;
			continue;
		}
		if (r->lo.value > r->hi.value) {
			diag_at(s->d, DIAG_ERROR, r->loc,
				"port range %" PRIu64 "-%" PRIu64
				" is empty: the first port is greater than the last",
				r->lo.value, r->hi.value);
			ok = false;
			continue;
		}
		m->ranges[m->nranges++] =
			(struct ir_range){(uint16_t)r->lo.value, (uint16_t)r->hi.value};
	}
	if (!ok) {
		ir_port_match_free(m);
		return false;
	}

	/* Sort, then merge overlapping and adjacent ranges. */
	qsort(m->ranges, m->nranges, sizeof(*m->ranges), range_cmp);
	size_t n = 0;
	for (size_t i = 0; i < m->nranges; i++) {
		if (n > 0 && (uint32_t)m->ranges[i].lo <= (uint32_t)m->ranges[n - 1].hi + 1) {
			if (m->ranges[i].hi > m->ranges[n - 1].hi)
				m->ranges[n - 1].hi = m->ranges[i].hi;
		} else {
			m->ranges[n++] = m->ranges[i];
		}
	}
	m->nranges = n;
	if (m->negate && n == 1 && m->ranges[0].lo == 0 && m->ranges[0].hi == MAX_PORT) {
		diag_at(s->d, DIAG_ERROR, p->loc,
			"'port not' excludes every port; the rule can never match");
		ir_port_match_free(m);
		return false;
	}
	*out = m;
	return true;
}

/* The protocol number and the families it implies. */
static bool lower_proto(struct sema *s, const struct ast_rule *r, int16_t *proto, uint8_t *fam)
{
	*fam = FAM_ALL;
	switch (r->proto) {
	case AST_PROTO_NONE:
		*proto = IR_PROTO_ANY;
		return true;
	case AST_PROTO_TCP:
		*proto = IPPROTO_NUM_TCP;
		break;
	case AST_PROTO_UDP:
		*proto = IPPROTO_NUM_UDP;
		break;
	case AST_PROTO_SCTP:
		*proto = IPPROTO_NUM_SCTP;
		break;
	case AST_PROTO_ICMP:
		*proto = IPPROTO_NUM_ICMP;
		break;
	case AST_PROTO_ICMPV6:
		*proto = IPPROTO_NUM_ICMPV6;
		break;
	case AST_PROTO_NUMBER:
		if (r->proto_num.value > MAX_BYTE) {
			diag_at(s->d, DIAG_ERROR, r->proto_num.loc,
				"protocol number %" PRIu64 " is out of range (0-255)",
				r->proto_num.value);
			*proto = IR_PROTO_ANY;
			return false;
		}
		*proto = (int16_t)r->proto_num.value;
		break;
	}
	/* ICMP's number means ICMP only on IPv4, ICMPv6's only on IPv6. */
	if (*proto == IPPROTO_NUM_ICMP)
		*fam = FAM_V4;
	else if (*proto == IPPROTO_NUM_ICMPV6)
		*fam = FAM_V6;
	return true;
}

static const char *proto_text(const struct ast_rule *r, char *buf, size_t size)
{
	switch (r->proto) {
	case AST_PROTO_ICMP:
		return "'icmp'";
	case AST_PROTO_ICMPV6:
		return "'icmpv6'";
	default:
		snprintf(buf, size, "'proto %" PRIu64 "'", r->proto_num.value);
		return buf;
	}
}

/* Explain an empty family intersection by the first pair that conflicts. */
static void report_family_conflict(struct sema *s, const struct ast_rule *r, uint8_t proto_fam,
				   uint8_t src_fam, uint8_t dst_fam)
{
	char buf[32];

	if ((src_fam & dst_fam) == 0)
		diag_at(s->d, DIAG_ERROR, r->loc,
			"rule can never match: the source addresses are %s only but the destination addresses are %s only",
			family_name(src_fam), family_name(dst_fam));
	else if ((proto_fam & src_fam) == 0)
		diag_at(s->d, DIAG_ERROR, r->loc,
			"rule can never match: %s is %s only but the source addresses are %s only",
			proto_text(r, buf, sizeof(buf)), family_name(proto_fam),
			family_name(src_fam));
	else if ((proto_fam & dst_fam) == 0)
		diag_at(s->d, DIAG_ERROR, r->loc,
			"rule can never match: %s is %s only but the destination addresses are %s only",
			proto_text(r, buf, sizeof(buf)), family_name(proto_fam),
			family_name(dst_fam));
	else
		diag_at(s->d, DIAG_ERROR, r->loc,
			"rule can never match: its conditions admit no address family");
}

/* Literal prefixes of a family the rule cannot match are dead weight. */
static void restrict_families(struct ir_addr_match *m, uint8_t families)
{
	size_t n = 0;

	if (!m)
		return;
	for (size_t i = 0; i < m->nprefixes; i++)
		if (m->prefixes[i].family & families)
			m->prefixes[n++] = m->prefixes[i];
	m->nprefixes = n;
}

static bool check_l4(struct sema *s, const struct ast_rule *r, int16_t proto)
{
	bool ok = true;

	if (r->from.ports.present || r->to.ports.present) {
		if (!ir_proto_has_ports(proto)) {
			const struct ast_ports *p =
				r->from.ports.present ? &r->from.ports : &r->to.ports;
			diag_at(s->d, DIAG_ERROR, p->loc,
				"ports need 'tcp', 'udp' or 'sctp' in the same rule");
			ok = false;
		}
	}
	if (r->has_type) {
		if (proto != IPPROTO_NUM_ICMP && proto != IPPROTO_NUM_ICMPV6) {
			diag_at(s->d, DIAG_ERROR, r->icmp_loc,
				"'type' and 'code' need 'icmp' or 'icmpv6' in the same rule");
			ok = false;
		}
		if (r->icmp_type.value > MAX_BYTE) {
			diag_at(s->d, DIAG_ERROR, r->icmp_type.loc,
				"ICMP type %" PRIu64 " is out of range (0-255)",
				r->icmp_type.value);
			ok = false;
		}
		if (r->has_code && r->icmp_code.value > MAX_BYTE) {
			diag_at(s->d, DIAG_ERROR, r->icmp_code.loc,
				"ICMP code %" PRIu64 " is out of range (0-255)",
				r->icmp_code.value);
			ok = false;
		}
	}
	return ok;
}

/* 'incomplete' matches packets whose L4 header cannot be located, so it
 * excludes every L4 condition; and nftables, which runs egress rules, has
 * no test for a cut IPv6 extension header chain (docs/egress.md). */
static bool check_incomplete(struct sema *s, const struct ast_rule *r, enum rule_dir dir)
{
	if (!r->incomplete)
		return true;
	if (dir == DIR_EGRESS) {
		diag_at(s->d, DIAG_ERROR, r->incomplete_loc,
			"'incomplete' is for ingress rules only: nftables cannot see where an IPv6 extension header chain is cut");
		return false;
	}
	if (r->from.ports.present || r->to.ports.present || r->has_type) {
		diag_at(s->d, DIAG_ERROR, r->incomplete_loc,
			"rule can never match: an incomplete packet has no ports and no ICMP type or code");
		return false;
	}
	return true;
}

static const enum rule_action action_map[] = {
	[AST_ALLOW] = ACT_ALLOW,
	[AST_DENY] = ACT_DENY,
	[AST_PASS] = ACT_PASS,
	[AST_LOG] = ACT_LOG,
};

/* Lower one rule into *out. Returns false (and frees what it built) on
 * error; every error found in the rule is reported first. */
static bool lower_rule(struct sema *s, const struct ast_rule *r, uint32_t policy,
		       struct ir_rule *out)
{
	uint8_t proto_fam, src_fam, dst_fam;
	bool ok = true;

	memset(out, 0, sizeof(*out));
	out->policy = policy;
	out->dir = r->dir == AST_EGRESS ? DIR_EGRESS : DIR_INGRESS;
	out->action = action_map[r->action];
	out->loc = r->loc;
	out->icmp_type = r->has_type ? (int16_t)(r->icmp_type.value & 0xff) : IR_ICMP_ANY;
	out->icmp_code = r->has_code ? (int16_t)(r->icmp_code.value & 0xff) : IR_ICMP_ANY;
	out->incomplete = r->incomplete;

	ok &= lower_proto(s, r, &out->proto, &proto_fam);
	ok &= lower_addrs(s, &r->from.addrs, out->dir, &out->src, &src_fam);
	ok &= lower_addrs(s, &r->to.addrs, out->dir, &out->dst, &dst_fam);
	ok &= lower_ports(s, &r->from.ports, &out->sport);
	ok &= lower_ports(s, &r->to.ports, &out->dport);
	if (r->proto != AST_PROTO_NUMBER || out->proto != IR_PROTO_ANY)
		ok &= check_l4(s, r, out->proto);
	ok &= check_incomplete(s, r, out->dir);

	out->families = proto_fam & src_fam & dst_fam;
	if (out->families == 0) {
		report_family_conflict(s, r, proto_fam, src_fam, dst_fam);
		ok = false;
	}
	if (!ok) {
		ir_addr_match_free(out->src);
		ir_addr_match_free(out->dst);
		ir_port_match_free(out->sport);
		ir_port_match_free(out->dport);
		memset(out, 0, sizeof(*out));
		return false;
	}
	restrict_families(out->src, out->families);
	restrict_families(out->dst, out->families);
	return true;
}

/* ---------------------------------------------------------------- policies */

static const struct ast_file *sort_ast;

/* Evaluation order: policies with an order first, ascending; ties and
 * unordered policies by name. */
static int policy_order_cmp(const void *a, const void *b)
{
	const struct ast_policy *x = &sort_ast->policies[*(const size_t *)a];
	const struct ast_policy *y = &sort_ast->policies[*(const size_t *)b];

	if (x->has_order != y->has_order)
		return x->has_order ? -1 : 1;
	if (x->has_order && x->order.value != y->order.value)
		return x->order.value < y->order.value ? -1 : 1;
	return strcmp(x->name, y->name);
}

static void lower_policies(struct sema *s)
{
	const struct ast_file *ast = s->ast;
	struct strmap names = {0};
	size_t *order = xcalloc(ast->npolicies, sizeof(*order));
	size_t norder = 0, nrules = 0;

	for (size_t i = 0; i < ast->npolicies; i++) {
		const struct ast_policy *p = &ast->policies[i];
		size_t *prev = strmap_put(&names, p->name, i);

		if (prev) {
			diag_at(s->d, DIAG_ERROR, p->name_loc, "policy '%s' is already defined",
				p->name);
			diag_at(s->d, DIAG_NOTE, ast->policies[*prev].name_loc,
				"previous definition of '%s' is here", p->name);
			continue;
		}
		if (p->has_order && p->order.value > UINT32_MAX)
			diag_at(s->d, DIAG_ERROR, p->order.loc,
				"policy order %" PRIu64 " is out of range (0-4294967295)",
				p->order.value);
		if (p->n == 0 && !p->had_errors)
			diag_at(s->d, DIAG_WARNING, p->name_loc, "policy '%s' has no rules",
				p->name);
		order[norder++] = i;
		nrules += p->n;
	}
	strmap_free(&names);

	sort_ast = ast;
	qsort(order, norder, sizeof(*order), policy_order_cmp);

	struct ir_program *ir = s->ir;
	ir->policies = xcalloc(norder, sizeof(*ir->policies));
	ir->rules = xcalloc(nrules, sizeof(*ir->rules));
	for (size_t k = 0; k < norder; k++) {
		const struct ast_policy *ap = &ast->policies[order[k]];
		struct ir_policy *pol = &ir->policies[ir->npolicies];

		pol->name = xstrdup(ap->name);
		pol->has_order = ap->has_order;
		pol->order = (uint32_t)ap->order.value;
		pol->loc = ap->name_loc;
		pol->first_rule = (uint32_t)ir->nrules;
		for (size_t i = 0; i < ap->n; i++) {
			struct ir_rule *r = &ir->rules[ir->nrules];
			if (!lower_rule(s, ap->rules[i], (uint32_t)ir->npolicies, r))
				continue;
			r->id = (uint32_t)ir->nrules++;
		}
		pol->nrules = (uint32_t)(ir->nrules - pol->first_rule);
		ir->npolicies++;
		/* Done with these rules: the IR reuses their memory instead of
		 * faulting in new pages (a 100,000-rule file's AST is ~50 MB). */
		ast_policy_free_rules(&s->ast->policies[order[k]]);
	}
	free(order);

	/* Texts last: formatting needs the set names in place. */
	for (size_t i = 0; i < ir->nrules; i++)
		ir->rules[i].text = ir_rule_format(ir, &ir->rules[i]);
}

struct ir_program *sema_lower(struct diag_ctx *d, struct ast_file *ast)
{
	struct sema s = {.d = d, .ast = ast};

	s.ir = xcalloc(1, sizeof(*s.ir));
	s.ir->file = xstrdup(d->file);
	lower_sets(&s);
	lower_policies(&s);
	strmap_free(&s.sets);
	free(s.set_bad);
	if (s.ir->npolicies == 0 && d->errors == 0)
		diag_file(d, DIAG_ERROR, "no policy in file");
	if (d->errors > 0) {
		ir_free(s.ir);
		return NULL;
	}
	return s.ir;
}
