#include "ref/eval.h"

#include "objfmt/addr.h"

static bool prefixes_contain(const struct prefix *prefixes, size_t n, uint8_t family,
			     const uint8_t addr[16])
{
	for (size_t i = 0; i < n; i++) {
		if (prefixes[i].family == family && prefix_contains(&prefixes[i], addr))
			return true;
	}
	return false;
}

/* Sets are looked up in the program every time: the oracle must see their
 * current contents, not a copy taken when the rule was built. */
static bool addr_matches(const struct ir_program *p, const struct ir_addr_match *m, bool readable,
			 uint8_t family, const uint8_t addr[16])
{
	if (!m)
		return true;
	if (!readable)
		return false;

	bool inside = prefixes_contain(m->prefixes, m->nprefixes, family, addr);
	for (size_t i = 0; i < m->nsets && !inside; i++) {
		const struct ir_set *s = &p->sets[m->sets[i]];
		inside = prefixes_contain(s->prefixes, s->nprefixes, family, addr);
	}
	return inside != m->negate;
}

static bool port_matches(const struct ir_port_match *m, bool readable, uint16_t port)
{
	if (!m)
		return true;
	if (!readable)
		return false;

	bool inside = false;
	for (size_t i = 0; i < m->nranges && !inside; i++)
		inside = m->ranges[i].lo <= port && port <= m->ranges[i].hi;
	return inside != m->negate;
}

static bool value_matches(int16_t want, bool readable, uint8_t value)
{
	return want < 0 || (readable && value == want);
}

bool eval_rule_matches(const struct ir_program *p, const struct ir_rule *r,
		       const struct pkt_fields *f)
{
	bool incomplete = f->has & PKT_HAS_INCOMPLETE;

	if (r->incomplete && !incomplete)
		return false;
	/* family 0 (not IP) shares no bit with any rule's families. A frame
	 * with more VLAN tags than are walked is of no family either, but
	 * incomplete: it meets the rules of both families that ask for
	 * that, and (no field being readable) whose only condition it is. */
	if ((f->family & r->families) == 0 &&
	    !(f->family == 0 && incomplete && r->incomplete && r->families == FAM_ALL))
		return false;
	return value_matches(r->proto, f->has & PKT_HAS_PROTO, f->proto) &&
	       addr_matches(p, r->src, f->has & PKT_HAS_SRC, f->family, f->src) &&
	       addr_matches(p, r->dst, f->has & PKT_HAS_DST, f->family, f->dst) &&
	       port_matches(r->sport, f->has & PKT_HAS_SPORT, f->sport) &&
	       port_matches(r->dport, f->has & PKT_HAS_DPORT, f->dport) &&
	       value_matches(r->icmp_type, f->has & PKT_HAS_TYPE, f->icmp_type) &&
	       value_matches(r->icmp_code, f->has & PKT_HAS_CODE, f->icmp_code);
}

static enum eval_verdict verdict_of(enum rule_action a)
{
	switch (a) {
	case ACT_ALLOW:
		return EVAL_ALLOW;
	case ACT_DENY:
		return EVAL_DENY;
	case ACT_PASS:
		return EVAL_PASS;
	case ACT_LOG:
		break;
	}
	return EVAL_NONE;
}

void eval_packet(const struct ir_program *p, enum rule_dir dir, const struct pkt_fields *f,
		 struct eval_result *out)
{
	out->verdict = EVAL_NONE;
	out->rule = -1;
	out->nlogged = 0;
	for (size_t i = 0; i < p->nrules; i++) {
		const struct ir_rule *r = &p->rules[i];

		if (r->dir != dir || !eval_rule_matches(p, r, f))
			continue;
		if (r->action == ACT_LOG) {
			if (out->nlogged < EVAL_MAX_LOGGED)
				out->logged[out->nlogged++] = r->id;
			continue;
		}
		out->verdict = verdict_of(r->action);
		out->rule = r->id;
		return;
	}
}

const char *eval_verdict_name(enum eval_verdict v)
{
	switch (v) {
	case EVAL_NONE:
		return "none";
	case EVAL_ALLOW:
		return "allow";
	case EVAL_DENY:
		return "deny";
	case EVAL_PASS:
		return "pass";
	}
	return "?";
}
