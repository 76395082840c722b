/* Micro-benchmark of shadow_check on 100,000-rule programs of several
 * shapes, built directly as IR (no parsing in the numbers).
 *
 *   make && cc -O2 -I. -Icompiler -D_GNU_SOURCE tests/bench/bench_shadow.c \
 *      build/libutc.a build/libobjfmt.a -o build/bench_shadow
 *   build/bench_shadow [RULES [SHAPE]]
 *
 * Prints, per shape: rules, warnings, and the time of one shadow_check. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "objfmt/addr.h"
#include "front/diag.h"
#include "ir/ir.h"
#include "analysis/shadow.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

static struct ir_rule *rule_at(struct ir_program *p, size_t i)
{
	struct ir_rule *r = &p->rules[i];

	memset(r, 0, sizeof(*r));
	r->id = (uint32_t)i;
	r->action = ACT_DENY;
	r->families = FAM_ALL;
	r->proto = IR_PROTO_ANY;
	r->icmp_type = r->icmp_code = IR_ICMP_ANY;
	r->loc.first_line = (int)i + 1;
	r->loc.first_column = 1;
	return r;
}

static struct ir_addr_match *addr4(uint32_t a, uint8_t len, bool negate)
{
	struct ir_addr_match *m = calloc(1, sizeof(*m));

	m->negate = negate;
	m->prefixes = calloc(1, sizeof(*m->prefixes));
	m->nprefixes = 1;
	m->prefixes[0].family = FAM_V4;
	m->prefixes[0].len = len;
	m->prefixes[0].addr[0] = (uint8_t)(a >> 24);
	m->prefixes[0].addr[1] = (uint8_t)(a >> 16);
	m->prefixes[0].addr[2] = (uint8_t)(a >> 8);
	m->prefixes[0].addr[3] = (uint8_t)a;
	prefix_normalize(&m->prefixes[0]);
	return m;
}

static struct ir_addr_match *addr6(uint32_t x, uint8_t len)
{
	struct ir_addr_match *m = calloc(1, sizeof(*m));

	m->prefixes = calloc(1, sizeof(*m->prefixes));
	m->nprefixes = 1;
	m->prefixes[0] = (struct prefix){.family = FAM_V6, .len = len};
	memcpy(m->prefixes[0].addr, "\x20\x01\x0d\xb8", 4);
	m->prefixes[0].addr[4] = (uint8_t)(x >> 8);
	m->prefixes[0].addr[5] = (uint8_t)x;
	m->prefixes[0].addr[15] = (uint8_t)(x >> 16);
	prefix_normalize(&m->prefixes[0]);
	return m;
}

static struct ir_port_match *ports(uint16_t lo, uint16_t hi, bool negate)
{
	struct ir_port_match *m = calloc(1, sizeof(*m));

	m->negate = negate;
	m->ranges = calloc(1, sizeof(*m->ranges));
	m->nranges = 1;
	m->ranges[0] = (struct ir_range){lo, hi};
	return m;
}

/* deny from 10.x.y.z, all distinct */
static void shape_hosts(struct ir_program *p)
{
	for (size_t i = 0; i < p->nrules; i++) {
		struct ir_rule *r = rule_at(p, i);

		r->families = FAM_V4;
		r->src = addr4(0x0a000000u + (uint32_t)i, 32, false);
	}
}

/* allow tcp|udp|sctp to port N, all distinct */
static void shape_ports(struct ir_program *p)
{
	static const int protos[] = {6, 17, 132};

	for (size_t i = 0; i < p->nrules; i++) {
		struct ir_rule *r = rule_at(p, i);

		r->action = ACT_ALLOW;
		r->proto = (int16_t)protos[i % 3];
		r->dport = ports((uint16_t)(i / 3), (uint16_t)(i / 3), false);
	}
}

/* A mix of what real policies hold: host and subnet rules with and without
 * ports, IPv6, ranges, negations, ICMP; random, so some rules shadow
 * others. */
static void shape_mixed(struct ir_program *p)
{
	for (size_t i = 0; i < p->nrules; i++) {
		struct ir_rule *r = rule_at(p, i);
		uint32_t a = 0x0a000000u | rnd(1u << 24);

		r->action = (enum rule_action)rnd(4);
		r->dir = rnd(8) ? DIR_INGRESS : DIR_EGRESS;
		switch (rnd(8)) {
		case 0:
			r->families = FAM_V4;
			r->src = addr4(a, 32, false);
			break;
		case 1:
			r->families = FAM_V4;
			r->proto = 6;
			r->src = addr4(a, 24, false);
			r->dport = ports((uint16_t)rnd(65536), 0, false);
			r->dport->ranges[0].hi = r->dport->ranges[0].lo;
			break;
		case 2:
			r->families = FAM_V4;
			r->proto = 17;
			r->src = addr4(a, (uint8_t)(16 + rnd(17)), rnd(16) == 0);
			break;
		case 3:
			r->families = FAM_V6;
			r->src = addr6(rnd(1u << 24), (uint8_t)(rnd(2) ? 48 : 128));
			break;
		case 4: {
			uint16_t lo = (uint16_t)rnd(60000);

			r->proto = rnd(2) ? 6 : 132;
			r->dport = ports(lo, (uint16_t)(lo + rnd(2000)), rnd(32) == 0);
			r->dst = addr4(0xc0a80000u | rnd(1u << 16), 32, false);
			r->families = FAM_V4;
			break;
		}
		case 5:
			r->families = FAM_V4;
			r->proto = 1;
			r->icmp_type = (int16_t)rnd(256);
			r->dst = addr4(a, 32, false);
			break;
		case 6:
			r->families = FAM_V4;
			r->proto = 6;
			r->src = addr4(a, 32, false);
			r->dst = addr4(0xc0a80000u | rnd(1u << 16), 32, false);
			r->sport = ports(1024, 65535, false);
			r->dport = ports((uint16_t)rnd(1024), 0, false);
			r->dport->ranges[0].hi = r->dport->ranges[0].lo;
			break;
		default:
			r->proto = (int16_t)rnd(256);
			r->dst = addr6(rnd(1u << 24), 64);
			r->families = FAM_V6;
			break;
		}
	}
}

/* deny tcp to port 80, 100,000 times */
static void shape_identical(struct ir_program *p)
{
	for (size_t i = 0; i < p->nrules; i++) {
		struct ir_rule *r = rule_at(p, i);

		r->proto = 6;
		r->dport = ports(80, 80, false);
	}
}

/* allow tcp to port N-(N+1): overlapping two-port ranges, none covering
 * another */
static void shape_ranges(struct ir_program *p)
{
	for (size_t i = 0; i < p->nrules; i++) {
		struct ir_rule *r = rule_at(p, i);
		uint16_t lo = (uint16_t)(i % 65535);

		r->action = ACT_ALLOW;
		r->proto = i < 65535 ? 6 : 17;
		r->dport = ports(lo, (uint16_t)(lo + 1), false);
	}
}

/* deny from not 10.x.y.z: negated hosts, each one 32 blocks */
static void shape_negated(struct ir_program *p)
{
	for (size_t i = 0; i < p->nrules; i++) {
		struct ir_rule *r = rule_at(p, i);

		r->families = FAM_V4;
		r->proto = 17;
		r->src = addr4(0x0a000000u + (uint32_t)i, 32, true);
		r->dport = ports((uint16_t)(i % 7), (uint16_t)(i % 7), false);
	}
}

static void free_rules(struct ir_program *p)
{
	for (size_t i = 0; i < p->nrules; i++) {
		struct ir_rule *r = &p->rules[i];
		struct ir_addr_match *a[2] = {r->src, r->dst};
		struct ir_port_match *m[2] = {r->sport, r->dport};

		for (int k = 0; k < 2; k++) {
			if (a[k]) {
				free(a[k]->prefixes);
				free(a[k]);
			}
			if (m[k]) {
				free(m[k]->ranges);
				free(m[k]);
			}
		}
	}
}

static double now(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		void (*build)(struct ir_program *);
	} shapes[] = {
		{"distinct /32 sources", shape_hosts},
		{"distinct ports", shape_ports},
		{"mixed", shape_mixed},
		{"all identical", shape_identical},
		{"overlapping port ranges", shape_ranges},
		{"negated hosts", shape_negated},
	};
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 100000;
	const char *only = argc > 2 ? argv[2] : NULL;
	struct ir_policy pol = {.name = "bench"};

	/* CPU time as well: on a shared machine the wall clock also counts
	 * waiting for a CPU. */
	printf("%-26s %8s %9s %9s %9s\n", "shape", "rules", "warnings", "wall ms", "cpu ms");
	for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
		struct ir_program p = {.file = "bench", .policies = &pol, .npolicies = 1};
		struct diag_ctx d;
		double t0, t1, c0, c1;

		if (only && !strstr(shapes[s].name, only))
			continue;
		p.rules = calloc(n, sizeof(*p.rules));
		p.nrules = n;
		shapes[s].build(&p);
		diag_init(&d, "bench", "", 0);
		d.max_errors = 0;
		t0 = now(CLOCK_MONOTONIC);
		c0 = now(CLOCK_PROCESS_CPUTIME_ID);
		shadow_check(&p, &d);
		c1 = now(CLOCK_PROCESS_CPUTIME_ID);
		t1 = now(CLOCK_MONOTONIC);
		printf("%-26s %8zu %9zu %9.1f %9.1f\n", shapes[s].name, n, d.warnings,
		       (t1 - t0) * 1e3, (c1 - c0) * 1e3);
		diag_free(&d);
		free_rules(&p);
		free(p.rules);
	}
	return 0;
}
