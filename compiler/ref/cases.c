#include "ref/cases.h"

#include <arpa/inet.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "objfmt/addr.h"
#include "ref/pkt.h"
#include "ref/pktbuild.h"
#include "base/xalloc.h"

/* With at most this many extension headers, every flow fits FLOW_FRAME_MAX
 * (the largest is about 2,200 bytes). */
#define CASES_MAX_EXT  255
#define FLOW_FRAME_MAX 4096
#define ETH_FRAME_HLEN 14 /* addresses and EtherType; tags come on top */

#define ADDR_TEXT_MAX  64 /* longer tokens are no address */
#define FOUND_TEXT_MAX 48 /* how much of a bad token an error quotes */

#define ETHERTYPE_8021Q	 0x8100
#define ETHERTYPE_8021AD 0x88a8

/* A token is a slice of the current line. "->" and "@" stand alone even when
 * written against their neighbours ("allow@12", "a->b"). */
struct token {
	const char *s;
	size_t n; /* 0: end of line (or comment) */
	size_t col;
};

struct lexer {
	struct diag_ctx *d;
	int line;
	const char *text; /* the line, without its newline */
	size_t len;
	size_t pos;
};

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static bool at_arrow(const struct lexer *lx, size_t i)
{
	return i + 1 < lx->len && lx->text[i] == '-' && lx->text[i + 1] == '>';
}

static struct token lex_next(struct lexer *lx)
{
	while (lx->pos < lx->len && is_space(lx->text[lx->pos]))
		lx->pos++;

	struct token t = {lx->text + lx->pos, 0, lx->pos + 1};
	if (lx->pos == lx->len || lx->text[lx->pos] == '#')
		return t;
	if (at_arrow(lx, lx->pos)) {
		t.n = 2;
	} else if (lx->text[lx->pos] == '@') {
		t.n = 1;
	} else {
		for (size_t i = lx->pos; i < lx->len; i++) {
			char c = lx->text[i];
			if (is_space(c) || c == '#' || c == '@' || at_arrow(lx, i))
				break;
			t.n++;
		}
	}
	lx->pos += t.n;
	return t;
}

static struct token lex_peek(struct lexer *lx)
{
	size_t pos = lx->pos;
	struct token t = lex_next(lx);

	lx->pos = pos;
	return t;
}

static bool tok_is(struct token t, const char *word)
{
	return t.n == strlen(word) && memcmp(t.s, word, t.n) == 0;
}

static struct ut_loc span(const struct lexer *lx, size_t col, size_t n)
{
	struct ut_loc loc = {lx->line, (int)col, lx->line, (int)(col + (n ? n - 1 : 0))};
	return loc;
}

static struct ut_loc tok_loc(const struct lexer *lx, struct token t)
{
	return span(lx, t.col, t.n);
}

/* How an error names what it found instead: the token, or the end. */
static const char *found(struct token t, char buf[FOUND_TEXT_MAX])
{
	if (t.n == 0)
		return "end of line";
	if (t.n > FOUND_TEXT_MAX - 6)
		snprintf(buf, FOUND_TEXT_MAX, "'%.*s...'", FOUND_TEXT_MAX - 9, t.s);
	else
		snprintf(buf, FOUND_TEXT_MAX, "'%.*s'", (int)t.n, t.s);
	return buf;
}

/* A decimal number no larger than max. */
static bool tok_number(struct token t, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	if (t.n == 0)
		return false;
	for (size_t i = 0; i < t.n; i++) {
		if (t.s[i] < '0' || t.s[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(t.s[i] - '0');
		if (v > max) /* before it can overflow */
			return false;
	}
	*out = v;
	return true;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* packet := 'hex' HEXBYTES { HEXBYTES } */
static bool parse_hex(struct lexer *lx, struct token hex, struct case_item *item)
{
	char buf[FOUND_TEXT_MAX];
	size_t cap = 0;

	for (struct token t = lex_next(lx); t.n; t = lex_next(lx)) {
		bool ok = t.n % 2 == 0;
		for (size_t i = 0; i < t.n && ok; i++)
			ok = hex_digit(t.s[i]) >= 0;
		if (!ok) {
			diag_at(lx->d, DIAG_ERROR, tok_loc(lx, t),
				"%s is not hex bytes (pairs of hex digits)", found(t, buf));
			return false;
		}
		for (size_t i = 0; i < t.n; i += 2) {
			XGROW(item->frame, item->len, cap);
			item->frame[item->len++] =
				(uint8_t)(hex_digit(t.s[i]) << 4 | hex_digit(t.s[i + 1]));
		}
	}
	if (item->len == 0) {
		diag_at(lx->d, DIAG_ERROR, span(lx, hex.col + hex.n, 1),
			"expected hex bytes after 'hex', found end of line");
		return false;
	}
	return true;
}

struct endpoint {
	uint8_t family;
	uint8_t addr[16];
	int port; /* -1: none written */
	struct token port_tok;
};

static bool parse_port(struct lexer *lx, struct token t, struct endpoint *ep)
{
	char buf[FOUND_TEXT_MAX];
	unsigned long v;

	if (t.n == 0) {
		diag_at(lx->d, DIAG_ERROR, span(lx, t.col - 1, 1), "expected a port after ':'");
		return false;
	}
	if (!tok_number(t, 65535, &v)) {
		diag_at(lx->d, DIAG_ERROR, tok_loc(lx, t),
			"port must be a number 0-65535, found %s", found(t, buf));
		return false;
	}
	ep->port = (int)v;
	ep->port_tok = t;
	return true;
}

/* SRC,DST := IPv4 [ ':' PORT ] | IPv6 | '[' IPv6 ']' [ ':' PORT ] */
static bool parse_endpoint(struct lexer *lx, struct token t, const char *what, struct endpoint *ep)
{
	char buf[FOUND_TEXT_MAX], host[ADDR_TEXT_MAX];
	struct token host_tok = t, port_tok;
	bool has_port = false, bracketed = t.n > 0 && t.s[0] == '[';

	memset(ep, 0, sizeof(*ep));
	ep->port = -1;
	if (t.n == 0 || tok_is(t, "->")) {
		diag_at(lx->d, DIAG_ERROR, tok_loc(lx, t), "expected the %s address, found %s",
			what, found(t, buf));
		return false;
	}
	if (bracketed) {
		const char *close = memchr(t.s, ']', t.n);
		if (!close) {
			diag_at(lx->d, DIAG_ERROR, tok_loc(lx, t),
				"missing ']' after the IPv6 address in %s", found(t, buf));
			return false;
		}
		size_t inside = (size_t)(close - t.s) - 1, rest = t.n - inside - 2;
		host_tok = (struct token){t.s + 1, inside, t.col + 1};
		if (rest > 0 && close[1] != ':') {
			diag_at(lx->d, DIAG_ERROR, span(lx, t.col + inside + 2, rest),
				"expected ':PORT' after ']'");
			return false;
		}
		if (rest > 0) {
			has_port = true;
			port_tok = (struct token){close + 2, rest - 1, t.col + inside + 3};
		}
	} else {
		const char *colon = memchr(t.s, ':', t.n);
		/* One colon separates an IPv4 address from its port; more
		 * make an IPv6 address, which needs brackets for a port. */
		size_t after = colon ? t.n - (size_t)(colon - t.s) - 1 : 0;
		if (colon && !memchr(colon + 1, ':', after)) {
			host_tok.n = (size_t)(colon - t.s);
			has_port = true;
			port_tok = (struct token){colon + 1, after, t.col + host_tok.n + 1};
		}
	}

	bool fits = host_tok.n < sizeof(host);
	if (fits) {
		memcpy(host, host_tok.s, host_tok.n);
		host[host_tok.n] = '\0';
	}
	if (bracketed) {
		if (!fits || inet_pton(AF_INET6, host, ep->addr) != 1) {
			diag_at(lx->d, DIAG_ERROR, tok_loc(lx, host_tok),
				"%s is not an IPv6 address", found(host_tok, buf));
			return false;
		}
		ep->family = FAM_V6;
	} else if (fits && !has_port && inet_pton(AF_INET6, host, ep->addr) == 1) {
		ep->family = FAM_V6;
	} else if (fits && inet_pton(AF_INET, host, ep->addr) == 1) {
		ep->family = FAM_V4;
	} else {
		diag_at(lx->d, DIAG_ERROR, tok_loc(lx, host_tok),
			"%s is not an IPv4 or IPv6 address", found(host_tok, buf));
		return false;
	}
	return !has_port || parse_port(lx, port_tok, ep);
}

/* The packet's options after the addresses, in any order, each at most once:
 *   [ 'type' N [ 'code' N ] ] [ 'frag' [ 'first' ] ] [ 'options' N ] [ 'ext' N ]
 *   [ 'cut' N ]
 * *cut is where 'cut' ends the IP packet, or -1. */
static bool parse_flow_options(struct lexer *lx, struct flow *fl, struct token proto_tok,
			       struct token *cut_tok, long *cut)
{
	char buf[FOUND_TEXT_MAX];
	bool seen_type = false, seen_frag = false, seen_options = false, seen_ext = false,
	     seen_cut = false;
	unsigned long v;

	for (struct token t = lex_next(lx); t.n; t = lex_next(lx)) {
		bool *seen;
		if (tok_is(t, "type"))
			seen = &seen_type;
		else if (tok_is(t, "frag"))
			seen = &seen_frag;
		else if (tok_is(t, "options"))
			seen = &seen_options;
		else if (tok_is(t, "ext"))
			seen = &seen_ext;
		else if (tok_is(t, "cut"))
			seen = &seen_cut;
		else
			seen = NULL;
		if (!seen && tok_is(t, "code")) {
			diag_at(lx->d, DIAG_ERROR, tok_loc(lx, t),
				"'code' needs a 'type' before it");
			return false;
		}
		if (!seen) {
			diag_at(lx->d, DIAG_ERROR, tok_loc(lx, t), "unexpected %s after the packet",
				found(t, buf));
			return false;
		}
		if (*seen) {
			diag_at(lx->d, DIAG_ERROR, tok_loc(lx, t), "%s given twice", found(t, buf));
			return false;
		}
		*seen = true;

		if (tok_is(t, "frag")) {
			if (tok_is(lex_peek(lx), "first")) {
				lex_next(lx);
				fl->first_fragment = true;
			} else {
				fl->nonfirst_fragment = true;
			}
			continue;
		}

		struct token n = lex_next(lx);
		if (tok_is(t, "type")) {
			if (!ir_proto_has_icmp(fl->proto, fl->family)) {
				diag_at(lx->d, DIAG_ERROR, tok_loc(lx, t),
					"'type' needs icmp with IPv4 addresses or icmpv6 with IPv6 addresses, not %s",
					found(proto_tok, buf));
				return false;
			}
			if (!tok_number(n, 255, &v)) {
				diag_at(lx->d, DIAG_ERROR, tok_loc(lx, n),
					"expected an ICMP type 0-255, found %s", found(n, buf));
				return false;
			}
			fl->icmp_type = (int)v;
			if (!tok_is(lex_peek(lx), "code"))
				continue;
			lex_next(lx);
			n = lex_next(lx);
			if (!tok_number(n, 255, &v)) {
				diag_at(lx->d, DIAG_ERROR, tok_loc(lx, n),
					"expected an ICMP code 0-255, found %s", found(n, buf));
				return false;
			}
			fl->icmp_code = (int)v;
		} else if (tok_is(t, "options")) {
			if (fl->family != FAM_V4) {
				diag_at(lx->d, DIAG_ERROR, tok_loc(lx, t),
					"'options' needs IPv4 addresses");
				return false;
			}
			if (!tok_number(n, PKTBUILD_MAX_OPTIONS, &v) || v % 4 != 0) {
				diag_at(lx->d, DIAG_ERROR, tok_loc(lx, n),
					"expected an IPv4 options length, a multiple of 4 from 0 to 40, found %s",
					found(n, buf));
				return false;
			}
			fl->ip_options_len = (unsigned)v;
		} else if (tok_is(t, "cut")) {
			if (!tok_number(n, FLOW_FRAME_MAX, &v)) {
				diag_at(lx->d, DIAG_ERROR, tok_loc(lx, n),
					"expected the number of IP bytes to keep, found %s",
					found(n, buf));
				return false;
			}
			*cut_tok = t;
			*cut = (long)v;
		} else {
			if (fl->family != FAM_V6) {
				diag_at(lx->d, DIAG_ERROR, tok_loc(lx, t),
					"'ext' needs IPv6 addresses");
				return false;
			}
			if (!tok_number(n, CASES_MAX_EXT, &v)) {
				diag_at(lx->d, DIAG_ERROR, tok_loc(lx, n),
					"expected a number of extension headers 0-255, found %s",
					found(n, buf));
				return false;
			}
			fl->ext_headers = (unsigned)v;
		}
	}
	return true;
}

static const struct {
	const char *name;
	int number;
} protocols[] = {
	{"tcp", IPPROTO_NUM_TCP},   {"udp", IPPROTO_NUM_UDP},	    {"sctp", IPPROTO_NUM_SCTP},
	{"icmp", IPPROTO_NUM_ICMP}, {"icmpv6", IPPROTO_NUM_ICMPV6},
};

/* PROTO := tcp | udp | sctp | icmp | icmpv6 | 'proto' N
 * *tok becomes the whole protocol, 'proto N' included. */
static bool parse_proto(struct lexer *lx, struct token *tok, int *proto)
{
	char buf[FOUND_TEXT_MAX];
	unsigned long v;

	for (size_t i = 0; i < sizeof(protocols) / sizeof(protocols[0]); i++) {
		if (tok_is(*tok, protocols[i].name)) {
			*proto = protocols[i].number;
			return true;
		}
	}
	if (!tok_is(*tok, "proto")) {
		diag_at(lx->d, DIAG_ERROR, tok_loc(lx, *tok),
			"expected a protocol (tcp, udp, sctp, icmp, icmpv6, 'proto N'), 'vlan' or 'hex', found %s",
			found(*tok, buf));
		return false;
	}
	struct token n = lex_next(lx);
	if (!tok_number(n, 255, &v)) {
		diag_at(lx->d, DIAG_ERROR, tok_loc(lx, n),
			"expected a protocol number 0-255, found %s", found(n, buf));
		return false;
	}
	*proto = (int)v;
	tok->n = (size_t)(n.s + n.n - tok->s);
	return true;
}

/* flow := { 'vlan' N } PROTO SRC '->' DST options */
static bool parse_flow(struct lexer *lx, struct token t, struct case_item *item)
{
	char buf[FOUND_TEXT_MAX];
	struct flow fl;
	struct endpoint src, dst;
	unsigned long v;

	flow_init(&fl);
	for (; tok_is(t, "vlan"); t = lex_next(lx)) {
		struct token n = lex_next(lx);
		if (!tok_number(n, 4095, &v)) {
			diag_at(lx->d, DIAG_ERROR, tok_loc(lx, n),
				"expected a VLAN id 0-4095, found %s", found(n, buf));
			return false;
		}
		if (fl.nvlan == PKTBUILD_MAX_VLAN) {
			diag_at(lx->d, DIAG_ERROR, tok_loc(lx, t), "at most %d VLAN tags",
				PKTBUILD_MAX_VLAN);
			return false;
		}
		fl.vlan_id[fl.nvlan++] = (uint16_t)v;
	}
	/* Stacked tags are QinQ: an 802.1ad outer tag, 802.1Q inside. */
	for (unsigned i = 0; i < fl.nvlan; i++)
		fl.vlan_tpid[i] = i == 0 && fl.nvlan > 1 ? ETHERTYPE_8021AD : ETHERTYPE_8021Q;

	struct token proto_tok = t;
	if (!parse_proto(lx, &proto_tok, &fl.proto))
		return false;
	if (!parse_endpoint(lx, lex_next(lx), "source", &src))
		return false;
	t = lex_next(lx);
	if (!tok_is(t, "->")) {
		diag_at(lx->d, DIAG_ERROR, tok_loc(lx, t),
			"expected '->' between source and destination, found %s", found(t, buf));
		return false;
	}
	struct token dst_tok = lex_next(lx);
	if (!parse_endpoint(lx, dst_tok, "destination", &dst))
		return false;

	if (src.family != dst.family) {
		diag_at(lx->d, DIAG_ERROR, tok_loc(lx, dst_tok),
			"source and destination must be of the same family");
		return false;
	}
	fl.family = src.family;
	/* The keywords name a family; 'proto 1' over IPv6 stays possible. */
	if (tok_is(proto_tok, "icmp") && fl.family == FAM_V6) {
		diag_at(lx->d, DIAG_ERROR, tok_loc(lx, proto_tok),
			"'icmp' needs IPv4 addresses (ICMP for IPv6 is 'icmpv6')");
		return false;
	}
	if (tok_is(proto_tok, "icmpv6") && fl.family == FAM_V4) {
		diag_at(lx->d, DIAG_ERROR, tok_loc(lx, proto_tok), "'icmpv6' needs IPv6 addresses");
		return false;
	}
	const struct endpoint *with_port = src.port >= 0 ? &src : dst.port >= 0 ? &dst : NULL;
	if (with_port && !ir_proto_has_ports(fl.proto)) {
		diag_at(lx->d, DIAG_ERROR, tok_loc(lx, with_port->port_tok),
			"ports need tcp, udp or sctp, not %s", found(proto_tok, buf));
		return false;
	}
	memcpy(fl.src, src.addr, sizeof(fl.src));
	memcpy(fl.dst, dst.addr, sizeof(fl.dst));
	fl.sport = src.port;
	fl.dport = dst.port;
	struct token cut_tok = {0};
	long cut = -1;
	if (!parse_flow_options(lx, &fl, proto_tok, &cut_tok, &cut))
		return false;

	uint8_t frame[FLOW_FRAME_MAX];
	size_t len = pktbuild_frame(&fl, frame, sizeof(frame));
	if (len == 0) {
		/* The bounds checked above make every flow fit. */
		diag_at(lx->d, DIAG_ERROR, tok_loc(lx, proto_tok),
			"internal error: cannot build this packet");
		return false;
	}
	/* 'cut N' keeps the Ethernet header, the tags and N bytes of IP. */
	size_t ip = ETH_FRAME_HLEN + 4 * (size_t)fl.nvlan;
	if (cut >= 0 && (size_t)cut >= len - ip) {
		diag_at(lx->d, DIAG_ERROR, tok_loc(lx, cut_tok),
			"'cut %ld' keeps the whole packet: its IP part is %zu bytes", cut,
			len - ip);
		return false;
	}
	if (cut >= 0)
		len = ip + (size_t)cut;
	item->frame = xmalloc(len);
	memcpy(item->frame, frame, len);
	item->len = len;
	return true;
}

static bool parse_verdict(struct token t, enum eval_verdict *v)
{
	static const enum eval_verdict all[] = {EVAL_NONE, EVAL_ALLOW, EVAL_DENY, EVAL_PASS};

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (tok_is(t, eval_verdict_name(all[i]))) {
			*v = all[i];
			return true;
		}
	}
	return false;
}

/* case := [ 'ingress' | 'egress' ] VERDICT [ '@' LINE ] packet */
static bool parse_case(struct lexer *lx, struct token t, struct case_item *item)
{
	char buf[FOUND_TEXT_MAX];
	unsigned long v;

	item->dir = DIR_INGRESS;
	if (tok_is(t, "egress") || tok_is(t, "ingress")) {
		item->dir = tok_is(t, "egress") ? DIR_EGRESS : DIR_INGRESS;
		t = lex_next(lx);
	}
	if (!parse_verdict(t, &item->expect)) {
		diag_at(lx->d, DIAG_ERROR, tok_loc(lx, t),
			"expected a verdict (allow, deny, pass or none), found %s", found(t, buf));
		return false;
	}
	t = lex_next(lx);
	if (tok_is(t, "@")) {
		struct token at = t, n = lex_next(lx);
		if (!tok_number(n, INT_MAX, &v) || v == 0) {
			diag_at(lx->d, DIAG_ERROR, tok_loc(lx, n),
				"expected a policy line number after '@', found %s", found(n, buf));
			return false;
		}
		if (item->expect == EVAL_NONE) {
			diag_at(lx->d, DIAG_ERROR, tok_loc(lx, at),
				"'none' means no rule decides: '@LINE' cannot apply");
			return false;
		}
		item->expect_rule_line = (int)v;
		t = lex_next(lx);
	}
	if (tok_is(t, "hex"))
		return parse_hex(lx, t, item);
	return parse_flow(lx, t, item);
}

/* The case as written: up to a comment, without the spaces around it. */
static char *case_text(const char *line, size_t len)
{
	const char *hash = memchr(line, '#', len);
	size_t start = 0, end = hash ? (size_t)(hash - line) : len;

	while (start < end && is_space(line[start]))
		start++;
	while (end > start && is_space(line[end - 1]))
		end--;
	return xstrndup(line + start, end - start);
}

int cases_parse(struct diag_ctx *d, struct case_file *out)
{
	bool failed = false;

	memset(out, 0, sizeof(*out));
	if (!d->source)
		return 0;

	const char *p = d->source, *end = d->source + d->source_len;
	for (int line = 1; p < end && !diag_should_stop(d); line++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		struct lexer lx = {d, line, p, (size_t)((nl ? nl : end) - p), 0};
		struct token first = lex_next(&lx);
		struct case_item item = {.line = line};

		p = nl ? nl + 1 : end;
		if (first.n == 0)
			continue; /* blank or comment */
		if (!parse_case(&lx, first, &item)) {
			failed = true;
			free(item.frame);
			continue;
		}
		item.text = case_text(lx.text, lx.len);
		XGROW(out->items, out->n, out->cap);
		out->items[out->n++] = item;
	}
	if (!failed)
		return 0;
	/* Half a case file must not pass for a whole one. */
	cases_free(out);
	return -1;
}

void cases_free(struct case_file *cf)
{
	if (!cf)
		return;
	for (size_t i = 0; i < cf->n; i++) {
		free(cf->items[i].frame);
		free(cf->items[i].text);
	}
	free(cf->items);
	memset(cf, 0, sizeof(*cf));
}

static void print_failure(const struct ir_program *p, const struct case_item *c,
			  const struct eval_result *res, const char *cases_name, FILE *out)
{
	const char *policy = p->file ? p->file : "-";

	fprintf(out, "%s:%d: FAIL: expected %s", cases_name, c->line, eval_verdict_name(c->expect));
	if (c->expect_rule_line)
		fprintf(out, " by rule at %s:%d", policy, c->expect_rule_line);
	fprintf(out, ", got %s", eval_verdict_name(res->verdict));
	if (res->rule < 0) {
		fputs(" (no rule decided)\n", out);
		return;
	}
	const struct ir_rule *r = &p->rules[res->rule];
	fprintf(out, " by rule at %s:%d (%s)\n", policy, r->loc.first_line, r->text ? r->text : "");
}

int cases_run(const struct ir_program *p, const struct case_file *cf, const char *cases_name,
	      FILE *out)
{
	size_t failed = 0;

	for (size_t i = 0; i < cf->n; i++) {
		const struct case_item *c = &cf->items[i];
		struct pkt_fields f;
		struct eval_result res;

		pkt_parse(c->frame, c->len, &f);
		eval_packet(p, c->dir, &f, &res);
		bool ok = res.verdict == c->expect;
		if (ok && c->expect_rule_line)
			ok = res.rule >= 0 &&
			     p->rules[res.rule].loc.first_line == c->expect_rule_line;
		if (!ok) {
			print_failure(p, c, &res, cases_name, out);
			failed++;
		}
	}
	fprintf(out, "%zu passed, %zu failed\n", cf->n - failed, failed);
	return failed > INT_MAX ? INT_MAX : (int)failed;
}
