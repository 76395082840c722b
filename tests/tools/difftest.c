/* difftest: the kernel against the reference evaluator.
 *
 *   difftest [--seed S] [--policies N] [--packets M] [--seconds T]
 *            [--strategy NAME] [--only I] [--print-policy] [--lower-only]
 *            [--tailcalls SCRIPT] [--runtime OBJ] [--include DIR] [-v]
 *
 * For each of N random policies (written as text, with every rule kind the
 * language has), compile it with the front end and the back end exactly as
 * untrackc does, load it with the runtime as `untrack replay` does (the
 * verifier has to accept it), then run M random packets through the real
 * pipeline with BPF_PROG_TEST_RUN and compare each with pkt_parse +
 * eval_packet on the same bytes: verdict, deciding rule, XDP action, the
 * accept flag in the metadata, the frame left untouched. Every 16th packet
 * also checks the counters: the deciding rule and each logged rule counted
 * the packet and its bytes, no other rule moved, and exactly the runtime
 * outcome counter the verdict implies. Halfway through, entries of a named
 * set are added and removed in its maps and in the IR the reference reads.
 *
 * Packets come from pktbuild (both families, VLAN tags, IPv4 options, IPv6
 * extension headers of every walked kind, fragments, ICMP) with addresses,
 * ports and ICMP fields drawn from the policy's own values and their
 * neighbours, so rules match and just miss; then some are cut at a random
 * length or have random bytes changed.
 *
 * Policies rotate through every code generation strategy (--strategy
 * picks one), and with --tailcalls each object must pass
 * tests/kernel/check_tailcalls.sh. Policy I of a seed is the same on every
 * machine, so `--seed S --only I` reproduces one (`--print-policy` shows
 * it; `--lower-only` lowers it without the shadow analysis, to tell a
 * crash there from one elsewhere). A crash in the compiler library is
 * reported with the policy that caused it.
 *
 * Policies the front end rejects are skipped and counted; more than 10% of
 * them is a failure (the generator means to write valid policies). The
 * last line is "N passed, M failed": N packet and counter checks that
 * agreed, M that did not plus policies that failed to compile or load.
 * Needs root; without it the run is skipped, or fails when CI=true. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <libgen.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "objfmt/addr.h"
#include "codegen/clang.h"
#include "front/diag.h"
#include "codegen/emit.h"
#include "ref/eval.h"
#include "policy_text.h"
#include "ir/ir.h"
#include "objload.h"
#include "ref/pkt.h"
#include "ref/pktbuild.h"
#include "seed_tables.h"
#include "untrack_abi.h"

extern char **environ;

#define MAX_FRAME	   2048 /* room for 130 extension headers */
#define COUNTER_EVERY	   16	/* packets between counter checks */
#define MAX_PRINTED	   10	/* mismatches printed in full */
#define MAX_REJECT_PRINTED 3
#define MAX_STRATEGIES	   16

/* ---------------------------------------------------------------- random */

struct rng {
	uint64_t s;
};

static uint64_t rng_next(struct rng *r)
{
	/* xorshift64* */
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545f4914f6cdd1dull;
}

static uint32_t below(struct rng *r, uint32_t n)
{
	return n ? (uint32_t)(rng_next(r) % n) : 0;
}

static bool chance(struct rng *r, unsigned percent)
{
	return below(r, 100) < percent;
}

/* One independent stream per (seed, policy), so a policy can be
 * reproduced alone. */
static void rng_seed(struct rng *r, uint64_t seed, uint64_t index)
{
	uint64_t z = seed * 0x9e3779b97f4a7c15ull + index + 1;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	r->s = (z ^ (z >> 31)) | 1;
}

/* ---------------------------------------------------------------- policies */

#define MAX_PREFIXES 32
#define MAX_SETS     4
#define MAX_VALUES   64

/* What a policy is made of; the packets draw from the same values. */
struct universe {
	struct prefix pfx[MAX_PREFIXES];
	uint8_t anchor[MAX_PREFIXES][16]; /* the address before masking */
	size_t npfx;
	struct {
		char name[32];
		uint8_t families;
		size_t members[8];
		size_t n;
	} sets[MAX_SETS];
	size_t nsets;
	uint16_t ports[MAX_VALUES];
	size_t nports;
	uint8_t types[MAX_VALUES], codes[MAX_VALUES];
	size_t ntypes, ncodes;
	int protos[MAX_VALUES];
	size_t nprotos;
};

static void add_port(struct universe *u, unsigned v)
{
	if (u->nports < MAX_VALUES)
		u->ports[u->nports++] = (uint16_t)v;
}

static void add_proto(struct universe *u, int v)
{
	if (u->nprotos < MAX_VALUES)
		u->protos[u->nprotos++] = v;
}

static void random_addr(struct rng *r, uint8_t family, uint8_t addr[16])
{
	memset(addr, 0, 16);
	for (unsigned i = 0; i < (family == FAM_V4 ? 4u : 16u); i++)
		addr[i] = (uint8_t)rng_next(r);
}

/* An address to build prefixes around: often a familiar one. */
static void anchor_addr(struct rng *r, uint8_t family, uint8_t addr[16])
{
	static const char *const v4[] = {"10.1.2.3",   "192.0.2.77",	  "198.51.100.255",
					 "0.0.0.1",    "255.255.255.254", "172.16.5.4",
					 "10.255.0.1", "127.0.0.1"};
	static const char *const v6[] = {"2001:db8::1",
					 "fd00::7",
					 "2001:db8:bad:1:2:3:4:5",
					 "::ffff:10.1.2.3",
					 "fe80::1",
					 "::1",
					 "ff02::1:ff00:1",
					 "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"};

	if (chance(r, 40)) {
		random_addr(r, family, addr);
		return;
	}
	memset(addr, 0, 16);
	if (family == FAM_V4)
		inet_pton(AF_INET, v4[below(r, 8)], addr);
	else
		inet_pton(AF_INET6, v6[below(r, 8)], addr);
}

static void make_universe(struct rng *r, struct universe *u)
{
	static const uint8_t len4[] = {0, 1, 7, 8, 12, 16, 23, 24, 25, 30, 31, 32, 32};
	static const uint8_t len6[] = {0, 1, 8, 16, 32, 48, 63, 64, 65, 96, 120, 127, 128, 128};
	static const uint16_t ports[] = {0,    1,    19,   22,	 53,	80,   443,
					 1023, 1024, 5353, 8080, 65534, 65535};
	static const uint8_t types[] = {0, 3, 5, 8, 11, 128, 129, 133, 135, 255};
	static const uint8_t codes[] = {0, 1, 4, 255};

	memset(u, 0, sizeof(*u));
	for (uint8_t fam = FAM_V4; fam <= FAM_V6; fam++) {
		unsigned anchors = 1 + below(r, 3);
		for (unsigned a = 0; a < anchors; a++) {
			uint8_t addr[16];
			unsigned n = 1 + below(r, 4);
			anchor_addr(r, fam, addr);
			for (unsigned k = 0; k < n && u->npfx < MAX_PREFIXES; k++) {
				struct prefix *p = &u->pfx[u->npfx];
				p->family = fam;
				p->len = fam == FAM_V4 ? len4[below(r, sizeof(len4))]
						       : len6[below(r, sizeof(len6))];
				memcpy(p->addr, addr, 16);
				memcpy(u->anchor[u->npfx], addr, 16);
				prefix_normalize(p);
				u->npfx++;
			}
		}
	}
	for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++)
		if (chance(r, 50))
			add_port(u, ports[i]);
	for (unsigned i = 0; i < 4; i++)
		add_port(u, below(r, 65536));
	for (size_t i = 0; i < sizeof(types); i++)
		if (chance(r, 50))
			u->types[u->ntypes++] = types[i];
	u->types[u->ntypes++] = (uint8_t)below(r, 256);
	for (size_t i = 0; i < sizeof(codes); i++)
		if (chance(r, 60))
			u->codes[u->ncodes++] = codes[i];
	u->codes[u->ncodes++] = (uint8_t)below(r, 256);
}

/* Indices of the universe's prefixes of the given families. */
static size_t prefixes_of(const struct universe *u, uint8_t families, size_t *out)
{
	size_t n = 0;

	for (size_t i = 0; i < u->npfx; i++)
		if (u->pfx[i].family & families)
			out[n++] = i;
	return n;
}

static void put_prefix(struct rng *r, const struct universe *u, size_t i, FILE *out)
{
	char buf[PREFIX_STRLEN], host[INET6_ADDRSTRLEN];
	const struct prefix *p = &u->pfx[i];

	/* Sometimes with host bits set: accepted with a warning, masked. */
	if (chance(r, 10) && p->len < family_width(p->family)) {
		inet_ntop(p->family == FAM_V4 ? AF_INET : AF_INET6, u->anchor[i], host,
			  sizeof(host));
		fprintf(out, "%s/%u", host, p->len);
		return;
	}
	/* A host written with its explicit length. */
	if (chance(r, 10) && p->len == family_width(p->family)) {
		fprintf(out, "%s/%u", prefix_format(p, buf), p->len);
		return;
	}
	fputs(prefix_format(p, buf), out);
}

static void make_sets(struct rng *r, struct universe *u, FILE *out)
{
	static const char *const names[] = {"blocklist", "ut_set4_0", "s",  "a.b-c",
					    "_int",	 "LICENSE",   "x1", "return"};
	unsigned n = below(r, MAX_SETS + 1);
	unsigned first = below(r, 8);

	for (unsigned s = 0; s < n; s++) {
		unsigned k = 1 + below(r, 6);
		snprintf(u->sets[s].name, sizeof(u->sets[s].name), "%s", names[(first + s) % 8]);
		fprintf(out, "set %s {", u->sets[s].name);
		for (unsigned j = 0; j < k && u->sets[s].n < 8; j++) {
			size_t i = below(r, (uint32_t)u->npfx);
			u->sets[s].members[u->sets[s].n++] = i;
			u->sets[s].families |= u->pfx[i].family;
			fputs(j ? (chance(r, 20) ? ",\n    " : ", ") : " ", out);
			put_prefix(r, u, i, out);
		}
		fputs(chance(r, 20) ? ", }\n" : " }\n", out);
	}
	u->nsets = n;
}

/* An address condition whose families meet *fam; narrows *fam to the
 * families the rule keeps. */
static void gen_addrs(struct rng *r, const struct universe *u, uint8_t *fam, FILE *out)
{
	size_t idx[MAX_PREFIXES], n = prefixes_of(u, *fam, idx);
	size_t sets[MAX_SETS], nsets = 0;
	uint8_t got = 0;

	for (size_t s = 0; s < u->nsets; s++)
		if (u->sets[s].families & *fam)
			sets[nsets++] = s;
	if (chance(r, 8) || (n == 0 && nsets == 0)) {
		fputs("any", out);
		return;
	}
	if (chance(r, 25))
		fputs("not ", out);
	unsigned kind = below(r, 100);
	if (kind < 40 && n) {
		size_t i = idx[below(r, (uint32_t)n)];
		put_prefix(r, u, i, out);
		got = u->pfx[i].family;
	} else if (kind < 65 && nsets) {
		size_t s = sets[below(r, (uint32_t)nsets)];
		fprintf(out, "@%s", u->sets[s].name);
		got = u->sets[s].families;
	} else {
		unsigned k = 1 + below(r, 4);
		fputs("{ ", out);
		for (unsigned j = 0; j < k; j++) {
			if (j)
				fputs(chance(r, 10) ? ",\n        " : ", ", out);
			if ((chance(r, 70) && n) || !nsets) {
				size_t i = idx[below(r, (uint32_t)n)];
				put_prefix(r, u, i, out);
				got |= u->pfx[i].family;
			} else {
				size_t s = sets[below(r, (uint32_t)nsets)];
				fprintf(out, "@%s", u->sets[s].name);
				got |= u->sets[s].families;
			}
		}
		fputs(chance(r, 10) ? ", }" : " }", out);
	}
	*fam &= got;
}

static unsigned pick_port(struct rng *r, const struct universe *u)
{
	return chance(r, 85) ? u->ports[below(r, (uint32_t)u->nports)] : below(r, 65536);
}

static void gen_ports(struct rng *r, struct universe *u, FILE *out)
{
	unsigned k = chance(r, 60) ? 1 : 2 + below(r, 3);
	bool braces = k > 1 || chance(r, 15);
	unsigned lo[4], hi[4];
	bool all = false;

	for (unsigned j = 0; j < k; j++) {
		lo[j] = pick_port(r, u);
		hi[j] = lo[j];
		if (chance(r, 40)) {
			hi[j] = pick_port(r, u);
			if (hi[j] < lo[j]) {
				unsigned t = lo[j];
				lo[j] = hi[j];
				hi[j] = t;
			}
		}
		add_port(u, lo[j]);
		add_port(u, hi[j]);
	}
	/* 'port not' of ranges that cover every port is an error: find the
	 * end of the covered run from 0. */
	for (unsigned covered = 0, grew = 1; grew && !all;) {
		grew = 0;
		for (unsigned j = 0; j < k; j++) {
			if (lo[j] <= covered && hi[j] + 1 > covered) {
				covered = hi[j] + 1;
				grew = 1;
			}
		}
		all = covered > 65535;
	}
	if (!all && chance(r, 25))
		fputs("not ", out);
	if (braces)
		fputs("{ ", out);
	for (unsigned j = 0; j < k; j++) {
		fputs(j ? ", " : "", out);
		if (lo[j] == hi[j] && chance(r, 90))
			fprintf(out, "%u", lo[j]);
		else
			fprintf(out, "%u-%u", lo[j], hi[j]);
	}
	if (braces)
		fputs(" }", out);
}

/* "from"/"to" side: addresses, addresses and ports, or ports. */
static void gen_side(struct rng *r, struct universe *u, const char *word, bool ports_ok,
		     uint8_t *fam, FILE *out)
{
	unsigned kind = below(r, ports_ok ? 3 : 1);

	fprintf(out, " %s ", word);
	if (kind == 0 || kind == 1)
		gen_addrs(r, u, fam, out);
	if (kind == 1)
		fputc(' ', out);
	if (kind >= 1) {
		fputs("port ", out);
		gen_ports(r, u, out);
	}
}

static void gen_rule(struct rng *r, struct universe *u, FILE *out)
{
	static const int numbers[] = {0, 1, 6, 17, 47, 50, 58, 132, 255, -1};
	static const char *const actions[] = {"allow", "deny", "pass", "log"};
	uint8_t fam = FAM_ALL;
	bool ports_ok = false, icmp_ok = false, egress = chance(r, 15), incomplete;
	unsigned k;

	if (egress)
		fputs("egress ", out);
	else if (chance(r, 5))
		fputs("ingress ", out);
	k = below(r, 100);
	fputs(actions[k < 30 ? 0 : k < 60 ? 1 : k < 80 ? 2 : 3], out);
	/* Ingress only; such a packet has no L4 field to test. */
	incomplete = !egress && chance(r, 12);
	if (incomplete)
		fputs(" incomplete", out);

	k = below(r, 100);
	if (k >= 25) {
		static const struct {
			const char *word;
			int number;
		} named[] = {{"tcp", 6}, {"udp", 17}, {"sctp", 132}, {"icmp", 1}, {"icmpv6", 58}};
		int n;
		if (k < 82) {
			/* tcp 15%, udp 15%, sctp 7%, icmp 10%, icmpv6 10% */
			unsigned w = k < 40 ? 0 : k < 55 ? 1 : k < 62 ? 2 : k < 72 ? 3 : 4;
			n = named[w].number;
			fprintf(out, " %s", named[w].word);
		} else {
			n = numbers[below(r, sizeof(numbers) / sizeof(numbers[0]))];
			if (n < 0)
				n = (int)below(r, 256);
			fprintf(out, " proto %d", n);
		}
		add_proto(u, n);
		ports_ok = !incomplete && ir_proto_has_ports(n);
		icmp_ok = !incomplete && (n == 1 || n == 58);
		if (n == 1)
			fam = FAM_V4;
		else if (n == 58)
			fam = FAM_V6;
	}
	bool from = chance(r, 55), to = chance(r, 55);
	/* A rule without conditions decides every packet: keep it rare, or
	 * it hides the rest of the policy. */
	if (!from && !to && k < 25 && chance(r, 90)) {
		from = chance(r, 50);
		to = !from;
	}
	if (from)
		gen_side(r, u, "from", ports_ok, &fam, out);
	if (to)
		gen_side(r, u, "to", ports_ok, &fam, out);
	if (icmp_ok && chance(r, 60)) {
		uint8_t t = u->types[below(r, (uint32_t)u->ntypes)];
		fprintf(out, " type %u", t);
		if (chance(r, 50))
			fprintf(out, " code %u", u->codes[below(r, (uint32_t)u->ncodes)]);
	}
}

/* A whole policy file. The caller frees the text. */
static char *gen_policy(struct rng *r, struct universe *u, size_t *len)
{
	static const char *const names[] = {
		"p",   "a",  "B",      "a-b", "a.b",  "a_b", "A",
		"_x",  "z9", "web",    "int", "main", "p.1", "untrack_policy",
		"p_1", "P1", "decide", "SEC"};
	const unsigned nnames = sizeof(names) / sizeof(names[0]);
	char *text = NULL;
	FILE *out = open_memstream(&text, len);
	unsigned npol = 1 + below(r, 4), first = below(r, nnames);

	if (!out)
		abort();
	make_universe(r, u);
	fputs("# generated by difftest\n", out);
	make_sets(r, u, out);
	for (unsigned p = 0; p < npol; p++) {
		unsigned nrules = chance(r, 5) ? 0 : 1 + below(r, 8);
		bool oneline = chance(r, 10);

		if (chance(r, 5))
			nrules = 20 + below(r, 60); /* a bigger program */
		fprintf(out, "policy %s", names[(first + p * 7) % nnames]);
		if (chance(r, 70))
			fprintf(out, " order %u", below(r, 4));
		fputs(oneline ? " { " : " {\n", out);
		for (unsigned i = 0; i < nrules; i++) {
			if (!oneline)
				fputs("    ", out);
			gen_rule(r, u, out);
			if (oneline || chance(r, 10))
				fputs(i + 1 < nrules ? "; " : " ", out);
			else if (chance(r, 10))
				fputs("   # a comment */ \"\n", out);
			else
				fputc('\n', out);
		}
		fputs("}\n", out);
	}
	if (fclose(out))
		abort();
	return text;
}

/* ---------------------------------------------------------------- packets */

static void addr_add(uint8_t *a, size_t n, int delta)
{
	for (size_t i = n; i-- > 0;) {
		unsigned v = a[i] + (unsigned)(delta > 0 ? 1 : 0xff);
		a[i] = (uint8_t)v;
		if ((delta > 0 && v <= 0xff) || (delta < 0 && v > 0xff))
			break;
	}
}

/* An address of the family near one of the universe's prefixes: its first
 * or last address, one before or after, the anchor, or inside. */
static void pick_addr(struct rng *r, const struct universe *u, uint8_t family, uint8_t out[16])
{
	size_t idx[MAX_PREFIXES], n = prefixes_of(u, family, idx);
	size_t width = family == FAM_V4 ? 4 : 16;

	if (n == 0 || chance(r, 10)) {
		random_addr(r, family, out);
		return;
	}
	size_t i = idx[below(r, (uint32_t)n)];
	const struct prefix *p = &u->pfx[i];
	memset(out, 0, 16);
	switch (below(r, 6)) {
	case 0:
		memcpy(out, u->anchor[i], 16);
		return;
	case 1: /* inside: random host bits */
		random_addr(r, family, out);
		for (unsigned b = 0; b < p->len; b++) {
			uint8_t m = (uint8_t)(0x80 >> (b % 8));
			out[b / 8] = (uint8_t)((out[b / 8] & ~m) | (p->addr[b / 8] & m));
		}
		return;
	default:
		break;
	}
	memcpy(out, p->addr, width);
	bool last = chance(r, 50);
	if (last) {
		for (unsigned b = p->len; b < width * 8; b++)
			out[b / 8] |= (uint8_t)(0x80 >> (b % 8));
	}
	if (chance(r, 50))
		addr_add(out, width, last ? 1 : -1);
}

static int pick_near(struct rng *r, int v, int max)
{
	switch (below(r, 5)) {
	case 0:
		return v > 0 ? v - 1 : v;
	case 1:
		return v < max ? v + 1 : v;
	default:
		return v;
	}
}

static size_t gen_packet(struct rng *r, const struct universe *u, uint8_t *buf, size_t cap)
{
	static const int protos[] = {6, 17, 132, 1, 58, 0, 47, 50, 255, 43, 44, 59};
	struct flow fl;
	size_t len;

	flow_init(&fl);
	fl.family = chance(r, 50) ? FAM_V4 : FAM_V6;
	if (u->nprotos && chance(r, 60))
		fl.proto = u->protos[below(r, (uint32_t)u->nprotos)];
	else if (chance(r, 90))
		fl.proto = protos[below(r, sizeof(protos) / sizeof(protos[0]))];
	else
		fl.proto = (int)below(r, 256);
	pick_addr(r, u, fl.family, fl.src);
	pick_addr(r, u, fl.family, fl.dst);
	fl.sport = chance(r, 90) ? pick_near(r, u->ports[below(r, (uint32_t)u->nports)], 65535)
				 : (int)below(r, 65536);
	fl.dport = chance(r, 90) ? pick_near(r, u->ports[below(r, (uint32_t)u->nports)], 65535)
				 : (int)below(r, 65536);
	fl.icmp_type = pick_near(r, u->types[below(r, (uint32_t)u->ntypes)], 255);
	fl.icmp_code = pick_near(r, u->codes[below(r, (uint32_t)u->ncodes)], 255);

	unsigned k = below(r, 100);
	fl.nvlan = k < 70 ? 0 : k < 82 ? 1 : k < 94 ? 2 : 3;
	for (unsigned i = 0; i < fl.nvlan; i++) {
		fl.vlan_tpid[i] = chance(r, 50) ? 0x8100 : 0x88a8;
		fl.vlan_id[i] = (uint16_t)below(r, 4096);
	}
	if (fl.family == FAM_V4 && chance(r, 20))
		fl.ip_options_len = 4 * below(r, 11);
	/* Chains of any length: the walk has no limit but the frame. */
	if (fl.family == FAM_V6 && chance(r, 25))
		fl.ext_headers = chance(r, 80) ? 1 + below(r, 10) : 11 + below(r, 120);
	k = below(r, 100);
	fl.nonfirst_fragment = k < 10;
	fl.first_fragment = k >= 10 && k < 20;
	fl.payload_len = below(r, 24);

	len = pktbuild_frame(&fl, buf, cap);
	if (!len)
		return 0;

	size_t ip = 14 + 4 * (size_t)fl.nvlan;
	/* Retype the destination options headers pktbuild wrote into the
	 * other walked kinds: all of them are 8 bytes with length 0 (AH
	 * counts 4-byte words minus 2, so 0 is 8 bytes too). */
	if (fl.ext_headers && chance(r, 60)) {
		static const uint8_t kinds[] = {0, 43, 60, 51, 0, 43, 60, 51, 44};
		for (unsigned e = 0; e < fl.ext_headers; e++) {
			size_t at = e == 0 ? ip + 6 : ip + 40 + 8 * (size_t)(e - 1);
			buf[at] = kinds[below(r, sizeof(kinds))];
		}
	}
	/* Now and then not IP at all. */
	if (chance(r, 2)) {
		buf[ip - 2] = 0x08;
		buf[ip - 1] = 0x06;
	}
	if (chance(r, 20))
		len = 14 + below(r, (uint32_t)(len - 14 + 1));
	if (chance(r, 10)) {
		unsigned n = 1 + below(r, 3);
		for (unsigned i = 0; i < n; i++) {
			size_t at =
				chance(r, 70) && len > 80 ? below(r, 80) : below(r, (uint32_t)len);
			if (chance(r, 50))
				buf[at] ^= (uint8_t)(1u << below(r, 8));
			else
				buf[at] = (uint8_t)rng_next(r);
		}
	}
	return len;
}

/* ---------------------------------------------------------------- kernel */

struct kernel {
	struct pipeline pl;
	int ncpus, cpu;
	void *pcpu; /* ncpus slots of up to 64 bytes */
};

struct kres {
	uint32_t retval;
	uint32_t rule;
	uint32_t meta_len, out_len;
	bool untracked, frame_intact;
	struct ut_state st;
};

/* Per-CPU values come as ncpus slots, each rounded up to 8 bytes. */
static int pcpu_read(struct kernel *k, int fd, uint32_t key, void *out, size_t size)
{
	size_t stride = (size + 7) & ~(size_t)7;

	if (bpf_map_lookup_elem(fd, &key, k->pcpu))
		return -errno;
	memcpy(out, (char *)k->pcpu + stride * (size_t)k->cpu, size);
	return 0;
}

/* Fill every CPU's ut_state with a pattern, rule = none: main must
 * rewrite what the policy reads. */
static int state_poison(struct kernel *k, uint8_t byte)
{
	struct ut_state *v = k->pcpu;
	uint32_t zero = 0;

	if (bpf_map_lookup_elem(k->pl.state_fd, &zero, v))
		return -errno;
	/* all but no_match, the NO_MATCH counter, which lives on */
	for (int i = 0; i < k->ncpus; i++) {
		memset(&v[i], byte, offsetof(struct ut_state, no_match));
		v[i].rule = UT_RULE_NONE;
	}
	return bpf_map_update_elem(k->pl.state_fd, &zero, k->pcpu, BPF_ANY) ? -errno : 0;
}

static int kernel_run(struct kernel *k, const uint8_t *frame, size_t len, uint8_t poison,
		      struct kres *res)
{
	uint8_t out[MAX_FRAME + 256];
	struct xdp_md ctx_in = {.data = 0, .data_end = (uint32_t)len, .ingress_ifindex = 1};
	struct xdp_md ctx_out;
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = (uint32_t)len,
		    .data_out = out, .data_size_out = sizeof(out), .ctx_in = &ctx_in,
		    .ctx_size_in = sizeof(ctx_in), .ctx_out = &ctx_out,
		    .ctx_size_out = sizeof(ctx_out), .repeat = 1);
	int err = state_poison(k, poison);

	if (err)
		return err;
	memset(&ctx_out, 0, sizeof(ctx_out));
	if (bpf_prog_test_run_opts(k->pl.main_fd, &opts))
		return -errno;
	err = pcpu_read(k, k->pl.state_fd, 0, &res->st, sizeof(res->st));
	if (err)
		return err;
	res->retval = opts.retval;
	res->rule = res->st.rule;
	res->out_len = opts.data_size_out;
	res->meta_len = ctx_out.data - ctx_out.data_meta;
	res->untracked = false;
	if (res->meta_len >= 4 && res->meta_len <= res->out_len) {
		uint32_t magic;
		memcpy(&magic, out, sizeof(magic));
		res->untracked = magic == UT_META_MAGIC;
	}
	res->frame_intact = res->meta_len <= res->out_len && res->out_len - res->meta_len == len &&
			    memcmp(out + res->meta_len, frame, len) == 0;
	return 0;
}

static int rule_counter(struct kernel *k, uint32_t rule, struct ut_rule_counter *out)
{
	struct ut_rule_counter *v = k->pcpu;

	memset(out, 0, sizeof(*out));
	if (bpf_map_lookup_elem(k->pl.rule_stats_fd, &rule, k->pcpu))
		return -errno;
	for (int i = 0; i < k->ncpus; i++) {
		out->packets += v[i].packets;
		out->bytes += v[i].bytes;
	}
	return 0;
}

static int rt_counters(struct kernel *k, uint64_t out[UT_RT_NR])
{
	struct ut_state st;
	int err;

	for (uint32_t i = 0; i < UT_RT_NR; i++) {
		err = pcpu_read(k, k->pl.rt_stats_fd, i, &out[i], sizeof(out[i]));
		if (err)
			return err;
	}
	err = pcpu_read(k, k->pl.state_fd, 0, &st, sizeof(st));
	if (err)
		return err;
	out[UT_RT_NO_MATCH] += st.no_match; /* kept in the state, untrack_abi.h */
	return 0;
}

/* Change the named sets while the policy is loaded, as `untrack set` does
 * (loader/seed_tables.h): add prefixes of either family to one set and
 * remove one, in the kernel and in the IR the reference reads. Rules keep
 * the families they were compiled with, so an IPv6 prefix added to a set
 * that held IPv4 only must not make its rules match IPv6 packets. Returns
 * the number of changes or -errno. */
static int mutate_sets(struct rng *r, const struct universe *u, struct ir_program *ir,
		       struct kernel *k, char *err, size_t errlen)
{
	size_t si = below(r, (uint32_t)ir->nsets);
	struct ir_set *set = &ir->sets[si];
	struct ut_set_fds fds;
	int changes = 0, e;

	e = ut_set_fds_from_object(k->pl.policy, (unsigned)si, &fds);
	if (e) {
		snprintf(err, errlen, "no maps for set %zu: %s", si, strerror(-e));
		return e;
	}
	unsigned adds = 1 + below(r, 3);
	for (unsigned a = 0; a <= adds; a++) {
		bool del = a == adds;
		size_t at = set->nprefixes, bad = 0;
		struct prefix p;

		if (del) {
			if (set->nprefixes == 0)
				break;
			at = below(r, (uint32_t)set->nprefixes);
			p = set->prefixes[at];
		} else if (chance(r, 70)) {
			p = u->pfx[below(r, (uint32_t)u->npfx)];
		} else {
			memset(&p, 0, sizeof(p));
			p.family = chance(r, 50) ? FAM_V4 : FAM_V6;
			p.len = (uint8_t)below(r, family_width(p.family) + 1);
			random_addr(r, p.family, p.addr);
			prefix_normalize(&p);
		}
		if (!del) {
			for (size_t i = 0; i < set->nprefixes; i++)
				if (prefix_cmp(&set->prefixes[i], &p) == 0)
					at = i;
			if (at != set->nprefixes)
				continue; /* already a member */
		}
		e = ut_set_change(&fds, !del, &p, 1, &bad, err, errlen);
		if (e)
			return e < 0 ? e : -EINVAL;
		if (del) {
			set->prefixes[at] = set->prefixes[set->nprefixes - 1];
			set->nprefixes--;
		} else {
			struct prefix *grown =
				realloc(set->prefixes, (set->nprefixes + 1) * sizeof(*grown));
			if (!grown)
				abort();
			set->prefixes = grown;
			set->prefixes[set->nprefixes++] = p;
		}
		changes++;
	}
	return changes;
}

/* ---------------------------------------------------------------- driver */

struct opts {
	uint64_t seed;
	unsigned policies, packets;
	unsigned seconds;
	long only;
	int strategy; /* -1: rotate through all */
	bool print_policy, verbose;
	bool lower_only; /* skip the shadow analysis (policy_compile's warnings) */
	const char *tailcalls;
};

struct stats {
	unsigned long generated, rejected, compiled, loaded;
	unsigned long packets, counter_checks, set_changes;
	unsigned long passed, failed;
	unsigned long by_verdict[4], non_ip;
	/* packets the reference calls incomplete, and those of them an
	 * 'incomplete' rule decided (issue 17) */
	unsigned long incomplete, by_incomplete;
	unsigned long per_strategy[MAX_STRATEGIES];
	unsigned printed;
};

static char tmpdir[] = "/tmp/difftest.XXXXXX";
static char objpath[PATH_MAX];

static void cleanup(void)
{
	if (objpath[0])
		unlink(objpath);
	rmdir(tmpdir);
}

static void on_signal(int sig)
{
	if (objpath[0])
		unlink(objpath);
	rmdir(tmpdir);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* What a crash report needs: a crash in the compiler library takes the
 * whole run down, so say where, how to reproduce it, and still end with
 * the summary line (the counts so far, the crash as one more failure). */
static struct {
	const struct opts *o;
	const struct stats *s;
	long policy;
	const char *text;
} crash_ctx = {.policy = -1};

static void on_crash(int sig)
{
	char buf[512];
	int n;

	if (crash_ctx.o && crash_ctx.policy >= 0) {
		n = snprintf(buf, sizeof(buf),
			     "difftest: CRASH (signal %d) in policy %ld of seed %" PRIu64
			     " (reproduce: difftest --seed %" PRIu64
			     " --only %ld --print-policy):\n",
			     sig, crash_ctx.policy, crash_ctx.o->seed, crash_ctx.o->seed,
			     crash_ctx.policy);
		if (n > 0 && write(STDOUT_FILENO, buf, (size_t)n) < 0)
			_exit(1);
		if (crash_ctx.text &&
		    write(STDOUT_FILENO, crash_ctx.text, strlen(crash_ctx.text)) < 0)
			_exit(1);
	}
	n = snprintf(buf, sizeof(buf), "%lu passed, %lu failed\n",
		     crash_ctx.s ? crash_ctx.s->passed : 0,
		     (crash_ctx.s ? crash_ctx.s->failed : 0) + 1);
	if (n > 0 && write(STDOUT_FILENO, buf, (size_t)n) < 0)
		_exit(1);
	if (objpath[0])
		unlink(objpath);
	rmdir(tmpdir);
	_exit(1);
}

static int quiet_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* Warnings carry the verifier log of a rejected program; the rest is
	 * chatter (such as the .untrack.meta section libbpf does not use). */
	if (level != LIBBPF_WARN)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static void print_hex(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "%02x%s", p[i], (i + 1) % 32 == 0 ? "\n      " : " ");
	fputc('\n', stderr);
}

static const char *verdict_of_rule(const struct ir_program *ir, uint32_t rule)
{
	if (rule == UT_RULE_NONE)
		return "none";
	if (rule >= ir->nrules)
		return "(rule id out of range)";
	switch (ir->rules[rule].action) {
	case ACT_ALLOW:
		return "allow";
	case ACT_DENY:
		return "deny";
	case ACT_PASS:
		return "pass";
	case ACT_LOG:
		return "(a log rule decided)";
	}
	return "?";
}

static void print_rule(const struct ir_program *ir, const char *who, uint32_t rule)
{
	if (rule == UT_RULE_NONE || rule >= ir->nrules) {
		fprintf(stderr, "    %s: rule none\n", who);
		return;
	}
	const struct ir_rule *r = &ir->rules[rule];
	fprintf(stderr, "    %s: rule %u (policy %s, line %d): %s\n", who, rule,
		ir->policies[r->policy].name, r->loc.first_line, r->text);
}

static void print_fields(const struct pkt_fields *f, const struct ut_state *st)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN], c[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	int af = f->family == FAM_V6 ? AF_INET6 : AF_INET;

	inet_ntop(af, f->src, a, sizeof(a));
	inet_ntop(af, f->dst, b, sizeof(b));
	fprintf(stderr,
		"    reference packet: family %u has %#04x proto %u nonfirst %d %s:%u -> %s:%u type %u code %u\n",
		f->family, f->has, f->proto, f->nonfirst_fragment, a, f->sport, b, f->dport,
		f->icmp_type, f->icmp_code);
	if (!f->family)
		return;
	inet_ntop(st->family == UT_FAM_V6 ? AF_INET6 : AF_INET, st->src, c, sizeof(c));
	inet_ntop(st->family == UT_FAM_V6 ? AF_INET6 : AF_INET, st->dst, d, sizeof(d));
	fprintf(stderr,
		"    kernel ut_state:  family %u has %#04x proto %u nonfirst %u %s:%u -> %s:%u type %u code %u len %u\n",
		st->family, st->has, st->proto, st->nonfirst_fragment, c, st->sport, d, st->dport,
		st->icmp_type, st->icmp_code, st->pkt_len);
}

static void print_policy_once(const struct opts *o, unsigned index, const char *text, bool *printed)
{
	if (*printed)
		return;
	*printed = true;
	fprintf(stderr,
		"---- policy %u of seed %" PRIu64 " (reproduce: difftest --seed %" PRIu64
		" --only %u --packets %u)\n%s----\n",
		index, o->seed, o->seed, index, o->packets, text);
}

/* Check the counters around one packet: the rules eval says decided or
 * logged moved by one packet and its bytes, no other rule moved, and the
 * runtime counted exactly the outcome the verdict implies. */
static bool check_counters(const struct ir_program *ir, const struct pkt_fields *f,
			   const struct eval_result *er, size_t len,
			   const struct ut_rule_counter *before,
			   const struct ut_rule_counter *after, const uint64_t *rt0,
			   const uint64_t *rt1, char *why, size_t whylen)
{
	int outcome = UT_RT_NON_IP;
	uint64_t logs;

	why[0] = '\0';
	for (uint32_t id = 0; id < ir->nrules; id++) {
		bool counted = er->rule == (int64_t)id;
		for (size_t i = 0; i < er->nlogged; i++)
			counted |= er->logged[i] == id;
		uint64_t dp = after[id].packets - before[id].packets;
		uint64_t db = after[id].bytes - before[id].bytes;
		if (dp != (counted ? 1u : 0u) || db != (counted ? len : 0u)) {
			snprintf(why, whylen,
				 "rule %u counted %" PRIu64 " packets, %" PRIu64
				 " bytes; want %u, %zu",
				 id, dp, db, counted ? 1 : 0, counted ? len : 0);
			return false;
		}
	}
	/* A frame with more VLAN tags than are walked reaches the policy as
	 * family 0, incomplete. */
	if (f->family || f->has) {
		static const int outcomes[] = {[EVAL_NONE] = UT_RT_NO_MATCH,
					       [EVAL_ALLOW] = UT_RT_ACCEPTED,
					       [EVAL_DENY] = UT_RT_DROPPED,
					       [EVAL_PASS] = UT_RT_PASSED};
		outcome = outcomes[er->verdict];
	}
	static const int outcome_counters[] = {
		UT_RT_NON_IP,	     UT_RT_NO_POLICY,	UT_RT_NO_MATCH,
		UT_RT_PASSED,	     UT_RT_ACCEPTED,	UT_RT_DROPPED,
		UT_RT_DECIDE_FAILED, UT_RT_META_FAILED, UT_RT_TC_MARKED};
	for (size_t i = 0; i < sizeof(outcome_counters) / sizeof(outcome_counters[0]); i++) {
		int c = outcome_counters[i];
		uint64_t want = c == outcome ? 1 : 0;
		if (rt1[c] - rt0[c] != want) {
			snprintf(why, whylen,
				 "runtime counter %d moved by %" PRIu64 ", want %" PRIu64, c,
				 rt1[c] - rt0[c], want);
			return false;
		}
	}
	logs = (rt1[UT_RT_LOG_EMITTED] - rt0[UT_RT_LOG_EMITTED]) +
	       (rt1[UT_RT_LOG_SUPPRESSED] - rt0[UT_RT_LOG_SUPPRESSED]) +
	       (rt1[UT_RT_LOG_LOST] - rt0[UT_RT_LOG_LOST]);
	if (logs != er->nlogged) {
		snprintf(why, whylen,
			 "%" PRIu64 " log events (emitted, suppressed or lost), want %zu", logs,
			 er->nlogged);
		return false;
	}
	return true;
}

static int run_tailcalls(const char *script, const char *obj)
{
	posix_spawn_file_actions_t fa;
	char *argv[] = {"bash", (char *)script, (char *)obj, NULL};
	pid_t pid;
	int status, err;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	err = posix_spawnp(&pid, "bash", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (err)
		return -err;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static void one_policy(const struct opts *o, unsigned index, struct kernel *k, struct stats *s,
		       int nstrategies)
{
	struct rng r;
	struct universe u;
	size_t len;
	char err[2048];
	bool printed = false;

	rng_seed(&r, o->seed, index);
	char *text = gen_policy(&r, &u, &len);
	s->generated++;
	crash_ctx.policy = index;
	crash_ctx.text = text;
	if (o->print_policy) {
		printf("---- policy %u\n%s", index, text);
		fflush(stdout);
	}

	struct diag_ctx d;
	diag_init(&d, "difftest.utp", text, len);
	struct ir_program *ir = NULL;
	if (o->lower_only)
		ir = policy_lower(&d);
	else
		ir = policy_compile(&d);
	if (!ir) {
		s->rejected++;
		if (o->verbose || s->rejected <= MAX_REJECT_PRINTED) {
			fprintf(stderr, "difftest: the front end rejected policy %u:\n%s", index,
				text);
			diag_print(&d, DIAG_TEXT, false, stderr);
		}
		diag_free(&d);
		crash_ctx.text = NULL;
		free(text);
		return;
	}

	struct backend_options bo = {0};
	int strategy = o->strategy >= 0 ? o->strategy : (int)(index % (unsigned)nstrategies);
	bo.strategy = (enum emit_strategy)strategy;
	if (backend_compile(ir, &bo, objpath, err, sizeof(err))) {
		print_policy_once(o, index, text, &printed);
		fprintf(stderr, "difftest: FAIL: policy %u (strategy %s) does not compile: %s\n",
			index, emit_strategy_name(bo.strategy), err);
		s->failed++;
		goto out;
	}
	s->compiled++;
	if (strategy < MAX_STRATEGIES)
		s->per_strategy[strategy]++;
	if (o->tailcalls) {
		int rc = run_tailcalls(o->tailcalls, objpath);
		if (rc != 0) {
			print_policy_once(o, index, text, &printed);
			fprintf(stderr,
				"difftest: FAIL: policy %u (strategy %s): check_tailcalls says %d\n",
				index, emit_strategy_name(bo.strategy), rc);
			s->failed++;
		}
	}
	if (pipeline_load(&k->pl, objpath, err, sizeof(err))) {
		print_policy_once(o, index, text, &printed);
		fprintf(stderr, "difftest: FAIL: policy %u (strategy %s) does not load: %s\n",
			index, emit_strategy_name(bo.strategy), err);
		s->failed++;
		goto out;
	}
	s->loaded++;
	if (k->pl.meta.nrules != ir->nrules) {
		print_policy_once(o, index, text, &printed);
		fprintf(stderr,
			"difftest: FAIL: policy %u: the object describes %zu rules, the IR has %zu\n",
			index, k->pl.meta.nrules, ir->nrules);
		s->failed++;
		goto close;
	}

	struct ut_rule_counter *before = calloc(ir->nrules + 1, sizeof(*before));
	struct ut_rule_counter *after = calloc(ir->nrules + 1, sizeof(*after));
	if (!before || !after)
		abort();
	for (unsigned n = 0; n < o->packets; n++) {
		uint8_t frame[MAX_FRAME];
		size_t flen = gen_packet(&r, &u, frame, sizeof(frame));
		struct pkt_fields f;
		struct eval_result er;
		struct kres kr;
		bool counters = n % COUNTER_EVERY == 0;
		uint64_t rt0[UT_RT_NR], rt1[UT_RT_NR];
		int e = 0;

		if (flen < 14)
			continue;
		if (n == o->packets / 2 && ir->nsets) {
			int changes = mutate_sets(&r, &u, ir, k, err, sizeof(err));
			if (changes < 0) {
				print_policy_once(o, index, text, &printed);
				fprintf(stderr,
					"difftest: FAIL: policy %u: cannot change a set: %s\n",
					index, err);
				s->failed++;
				break;
			}
			s->set_changes += (unsigned long)changes;
		}
		pkt_parse(frame, flen, &f);
		eval_packet(ir, DIR_INGRESS, &f, &er);
		if (er.nlogged >= EVAL_MAX_LOGGED)
			counters = false;
		if (counters) {
			for (uint32_t id = 0; id < ir->nrules && !e; id++)
				e = rule_counter(k, id, &before[id]);
			if (!e)
				e = rt_counters(k, rt0);
		}
		if (!e)
			e = kernel_run(k, frame, flen, (uint8_t)rng_next(&r), &kr);
		if (!e && counters) {
			for (uint32_t id = 0; id < ir->nrules && !e; id++)
				e = rule_counter(k, id, &after[id]);
			if (!e)
				e = rt_counters(k, rt1);
		}
		if (e) {
			fprintf(stderr, "difftest: FAIL: policy %u packet %u: test run: %s\n",
				index, n, strerror(-e));
			s->failed++;
			break;
		}
		s->packets++;
		if (!f.family && !f.has)
			s->non_ip++;
		else
			s->by_verdict[er.verdict]++;
		if (f.has & PKT_HAS_INCOMPLETE) {
			s->incomplete++;
			s->by_incomplete += er.rule >= 0 && ir->rules[er.rule].incomplete;
		}

		uint32_t want_rule = er.rule >= 0 ? (uint32_t)er.rule : UT_RULE_NONE;
		uint32_t want_xdp = er.verdict == EVAL_DENY ? XDP_DROP : XDP_PASS;
		bool want_untracked = er.verdict == EVAL_ALLOW;
		bool ok = kr.rule == want_rule && kr.retval == want_xdp &&
			  kr.untracked == want_untracked &&
			  kr.meta_len == (want_untracked ? 4u : 0u) && kr.frame_intact;
		char why[256] = "";
		if (ok && counters) {
			s->counter_checks++;
			ok = check_counters(ir, &f, &er, flen, before, after, rt0, rt1, why,
					    sizeof(why));
		}
		if (ok) {
			s->passed++;
			continue;
		}
		s->failed++;
		if (s->printed++ >= MAX_PRINTED)
			continue;
		print_policy_once(o, index, text, &printed);
		fprintf(stderr,
			"difftest: MISMATCH: seed %" PRIu64
			" policy %u (strategy %s) packet %u, %zu bytes:\n      ",
			o->seed, index, emit_strategy_name(bo.strategy), n, flen);
		print_hex(frame, flen);
		fprintf(stderr, "    reference: %s, xdp %s, untracked %s\n",
			eval_verdict_name(er.verdict), want_xdp == XDP_DROP ? "drop" : "pass",
			want_untracked ? "true" : "false");
		print_rule(ir, "reference", want_rule);
		fprintf(stderr,
			"    kernel:    %s, xdp %s (%u), untracked %s, %u bytes of metadata, frame %s\n",
			verdict_of_rule(ir, kr.rule), kr.retval == XDP_DROP ? "drop" : "pass",
			kr.retval, kr.untracked ? "true" : "false", kr.meta_len,
			kr.frame_intact ? "intact" : "CHANGED");
		print_rule(ir, "kernel", kr.rule);
		if (why[0])
			fprintf(stderr, "    counters: %s\n", why);
		print_fields(&f, &kr.st);
	}
	free(before);
	free(after);
close:
	pipeline_close(&k->pl);
out:
	unlink(objpath);
	ir_free(ir);
	diag_free(&d);
	crash_ctx.text = NULL;
	free(text);
	fflush(stdout);
}

static void usage(FILE *out)
{
	fputs("usage: difftest [--seed S] [--policies N] [--packets M] [--seconds T]\n"
	      "                [--strategy NAME] [--only I] [--print-policy] [--lower-only]\n"
	      "                [--tailcalls SCRIPT] [--runtime OBJ] [--include DIR] [-v]\n",
	      out);
}

static unsigned long parse_num(const char *what, const char *s, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *end || !*s || *s == '-' || v > max) {
		fprintf(stderr, "difftest: %s needs a number up to %lu, not '%s'\n", what, max, s);
		exit(2);
	}
	return v;
}

/* Paths relative to this binary (build/tools/difftest) unless given. */
static void default_paths(void)
{
	char exe[PATH_MAX], buf[PATH_MAX + 64];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return;
	exe[n] = '\0';
	char *dir = dirname(exe);
	if (!getenv("UNTRACK_RUNTIME")) {
		snprintf(buf, sizeof(buf), "%s/../runtime/untrack_runtime.bpf.o", dir);
		setenv("UNTRACK_RUNTIME", buf, 1);
	}
	if (!getenv("UNTRACK_INCLUDE_DIR")) {
		snprintf(buf, sizeof(buf), "%s/../../runtime-bpf", dir);
		setenv("UNTRACK_INCLUDE_DIR", buf, 1);
	}
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"seed", required_argument, NULL, 's'},
		{"policies", required_argument, NULL, 'n'},
		{"packets", required_argument, NULL, 'm'},
		{"seconds", required_argument, NULL, 't'},
		{"strategy", required_argument, NULL, 'S'},
		{"only", required_argument, NULL, 'o'},
		{"print-policy", no_argument, NULL, 'P'},
		{"lower-only", no_argument, NULL, 'L'},
		{"tailcalls", required_argument, NULL, 'T'},
		{"runtime", required_argument, NULL, 'r'},
		{"include", required_argument, NULL, 'I'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct opts o = {.seed = 1, .policies = 20, .packets = 1000, .only = -1, .strategy = -1};
	struct stats s = {0};
	struct kernel k = {0};
	const char *ci = getenv("CI");
	bool under_ci = ci && strcmp(ci, "true") == 0;
	int c, nstrategies = 0;

	while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			o.seed = strtoull(optarg, NULL, 0);
			break;
		case 'n':
			o.policies = (unsigned)parse_num("--policies", optarg, 10000000);
			break;
		case 'm':
			o.packets = (unsigned)parse_num("--packets", optarg, 100000000);
			break;
		case 't':
			o.seconds = (unsigned)parse_num("--seconds", optarg, 10000000);
			break;
		case 'S':
			o.strategy = emit_strategy_parse(optarg);
			if (o.strategy < 0) {
				fprintf(stderr, "difftest: unknown strategy '%s'\n", optarg);
				return 2;
			}
			break;
		case 'o':
			o.only = (long)parse_num("--only", optarg, 10000000);
			break;
		case 'P':
			o.print_policy = true;
			break;
		case 'L':
			o.lower_only = true;
			break;
		case 'T':
			o.tailcalls = optarg;
			break;
		case 'r':
			setenv("UNTRACK_RUNTIME", optarg, 1);
			break;
		case 'I':
			setenv("UNTRACK_INCLUDE_DIR", optarg, 1);
			break;
		case 'v':
			o.verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	default_paths();
	while (nstrategies < MAX_STRATEGIES &&
	       strcmp(emit_strategy_name((enum emit_strategy)nstrategies), "?") != 0)
		nstrategies++;
	if (nstrategies == 0) {
		fprintf(stderr, "difftest: no code generation strategy\n");
		return 2;
	}

	if (geteuid() != 0) {
		if (under_ci) {
			printf("difftest: FAIL: not root, the kernel cannot be asked (CI=true)\n");
			printf("0 passed, 1 failed\n");
			return 1;
		}
		printf("difftest: SKIP: not root: the differential test needs root and BPF\n");
		printf("0 passed, 0 failed\n");
		return 0;
	}
	libbpf_set_print(quiet_libbpf);
	k.ncpus = libbpf_num_possible_cpus();
	k.cpu = pipeline_pin_cpu();
	if (k.ncpus <= 0 || k.cpu < 0 || k.cpu >= k.ncpus) {
		fprintf(stderr, "difftest: cannot pin to one CPU\n");
		printf("0 passed, 1 failed\n");
		return 1;
	}
	k.pcpu = calloc((size_t)k.ncpus, 64);
	if (!k.pcpu || !mkdtemp(tmpdir)) {
		fprintf(stderr, "difftest: cannot set up: %s\n", strerror(errno));
		return 2;
	}
	snprintf(objpath, sizeof(objpath), "%s/policy.o", tmpdir);
	atexit(cleanup);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	signal(SIGPIPE, on_signal);
	crash_ctx.o = &o;
	crash_ctx.s = &s;
	fflush(stdout);
	signal(SIGSEGV, on_crash);
	signal(SIGBUS, on_crash);
	signal(SIGFPE, on_crash);
	signal(SIGILL, on_crash);
	signal(SIGABRT, on_crash);

	printf("difftest: seed %" PRIu64 ", %u policies x %u packets, strategies:", o.seed,
	       o.only >= 0 ? 1 : o.policies, o.packets);
	for (int i = 0; i < nstrategies; i++)
		if (o.strategy < 0 || o.strategy == i)
			printf(" %s", emit_strategy_name((enum emit_strategy)i));
	printf("\n");
	fflush(stdout);

	time_t start = time(NULL);
	if (o.only >= 0) {
		one_policy(&o, (unsigned)o.only, &k, &s, nstrategies);
	} else {
		for (unsigned i = 0; i < o.policies; i++) {
			if (o.seconds && time(NULL) - start >= (time_t)o.seconds) {
				printf("difftest: stopping after %u policies: %u s are up\n", i,
				       o.seconds);
				break;
			}
			one_policy(&o, i, &k, &s, nstrategies);
			if (o.verbose && (i + 1) % 50 == 0)
				printf("difftest: %u policies, %lu packets, %lu failed\n", i + 1,
				       s.packets, s.failed);
		}
	}

	printf("difftest: %lu policies generated, %lu rejected by the front end, %lu compiled, %lu loaded by the kernel\n",
	       s.generated, s.rejected, s.compiled, s.loaded);
	printf("difftest: compiled per strategy:");
	for (int i = 0; i < nstrategies; i++)
		printf(" %s %lu", emit_strategy_name((enum emit_strategy)i), s.per_strategy[i]);
	printf("\n");
	printf("difftest: %lu packets compared (allow %lu, deny %lu, pass %lu, none %lu, not IP %lu), %lu with counters, %lu set entries changed at run time, in %ld s\n",
	       s.packets, s.by_verdict[EVAL_ALLOW], s.by_verdict[EVAL_DENY],
	       s.by_verdict[EVAL_PASS], s.by_verdict[EVAL_NONE], s.non_ip, s.counter_checks,
	       s.set_changes, (long)(time(NULL) - start));
	printf("difftest: %lu packets incomplete, %lu of them decided by an 'incomplete' rule\n",
	       s.incomplete, s.by_incomplete);
	if (s.generated && s.rejected * 10 > s.generated) {
		printf("difftest: FAIL: the front end rejected %lu of %lu generated policies (at most 10%% may be)\n",
		       s.rejected, s.generated);
		s.failed++;
	}
	if (s.generated && s.loaded == 0) {
		printf("difftest: FAIL: no policy was loaded\n");
		s.failed++;
	}
	printf("%lu passed, %lu failed\n", s.passed, s.failed);
	free(k.pcpu);
	return s.failed ? 1 : 0;
}
