/* ns/packet of the runtime with BPF_PROG_TEST_RUN: the median of several
 * calls of 1e6 repeats each, on one pinned CPU, for a few frame shapes and
 * chain lengths. Compare the columns of one run with each other: the
 * baseline (a program that only returns) is the harness's own cost. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "objfmt/addr.h"
#include "ir/ir.h"
#include "ktests.h"
#include "ref/pktbuild.h"

#define BENCH_REPEAT 1000000
#define BENCH_CALLS  5

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Median ns per run, or -1. */
static int median_ns(int fd, const uint8_t *frame, size_t len)
{
	uint32_t ns[BENCH_CALLS];
	struct rt_run run;

	for (int i = 0; i < BENCH_CALLS; i++) {
		if (rt_run_xdp(fd, frame, len, BENCH_REPEAT, &run))
			return -1;
		ns[i] = run.duration;
	}
	qsort(ns, BENCH_CALLS, sizeof(ns[0]), cmp_u32);
	return (int)ns[BENCH_CALLS / 2];
}

struct shape {
	const char *name;
	uint8_t family;
	int proto, dport;
	unsigned nvlan, ext;
};

int bench_run(struct kctx *k)
{
	static const struct shape shapes[] = {
		{"v4 tcp", FAM_V4, IPPROTO_NUM_TCP, 80, 0, 0},
		{"v4 udp vlan", FAM_V4, IPPROTO_NUM_UDP, 53, 1, 0},
		{"v6 tcp", FAM_V6, IPPROTO_NUM_TCP, 80, 0, 0},
		{"v6 udp 2 ext", FAM_V6, IPPROTO_NUM_UDP, 53, 0, 2},
		/* past the inline steps of the walk, into bpf_loop */
		{"v6 udp 20 ext", FAM_V6, IPPROTO_NUM_UDP, 53, 0, 20},
		{"v4 tcp deny", FAM_V4, IPPROTO_NUM_TCP, 2, 0, 0},
	};
	struct rt *rt = &k->rt;
	int rc = 0;

	printf("%-14s %9s %10s %11s %12s\n", "frame", "baseline", "main-only", "main->stub",
	       "main->probe");
	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		const struct shape *s = &shapes[i];
		int base, alone, stub, probe;
		uint8_t frame[256];
		struct flow fl;
		size_t len;

		flow_init(&fl);
		fl.family = s->family;
		fl.proto = s->proto;
		fl.sport = 40000;
		fl.dport = s->dport;
		fl.nvlan = s->nvlan;
		fl.vlan_tpid[0] = 0x8100;
		fl.ext_headers = s->ext;
		if (s->family == FAM_V4) {
			inet_pton(AF_INET, "10.0.0.1", fl.src);
			inet_pton(AF_INET, "10.0.0.2", fl.dst);
		} else {
			inet_pton(AF_INET6, "fd00::1", fl.src);
			inet_pton(AF_INET6, "fd00::2", fl.dst);
		}
		len = pktbuild_frame(&fl, frame, sizeof(frame));

		base = median_ns(rt->baseline_fd, frame, len);
		rt_set_slot(rt, UT_SLOT_POLICY, -1);
		alone = median_ns(rt->main_fd, frame, len);
		rt_set_slot(rt, UT_SLOT_POLICY, rt->stub_fd);
		stub = median_ns(rt->main_fd, frame, len);
		rt_set_slot(rt, UT_SLOT_POLICY, rt->policy_fd);
		probe = median_ns(rt->main_fd, frame, len);
		if (base < 0 || alone < 0 || stub < 0 || probe < 0)
			rc = 1;
		printf("%-14s %6d ns %7d ns %8d ns %9d ns\n", s->name, base, alone, stub, probe);
	}
	printf("(median of %d calls x %d repeats on CPU %d; main-only: no policy in ut_jmp)\n",
	       BENCH_CALLS, BENCH_REPEAT, rt->cpu);
	return rc;
}
