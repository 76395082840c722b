/* Loading the runtime object and a probe policy through the loader's own
 * object loading (loader/objload.h: the ABI check, the shared maps made the
 * runtime's), filling ut_jmp, and running the chain with BPF_PROG_TEST_RUN
 * on one pinned CPU. */
#ifndef UNTRACK_KT_RT_H
#define UNTRACK_KT_RT_H

#include <stddef.h>
#include <stdint.h>

#include <bpf/libbpf.h>

#include "objload.h"
#include "untrack_abi.h"

struct rt {
	struct pipeline pl; /* the runtime, and the probe object as its policy */
	int main_fd, accept_fd, drop_fd, tc_fd;
	int policy_fd, stub_fd, baseline_fd;
	int state_fd, jmp_fd, stats_fd, events_fd, rule_stats_fd;
	int ncpus; /* possible CPUs: the length of per-CPU map values */
	int cpu;   /* the CPU the tests run on */
	void *pcpu_buf;
};

/* Open and load both objects, wire the maps, fill ut_jmp (policy slot:
 * probe_policy). Returns 0 or -errno with a message on stderr. */
int rt_open(struct rt *rt, const char *runtime_path, const char *policy_path);
void rt_close(struct rt *rt);

/* Pin the calling thread to one CPU, remembered in rt->cpu. */
int rt_pin_cpu(struct rt *rt);

/* Put prog_fd (or -1: remove) into ut_jmp[slot]. */
int rt_set_slot(struct rt *rt, uint32_t slot, int prog_fd);

/* This CPU's ut_state; fill it with a byte pattern. */
int rt_state_read(struct rt *rt, struct ut_state *out);
int rt_state_poison(struct rt *rt, uint8_t byte);

/* This CPU's runtime counters. */
int rt_counters_read(struct rt *rt, uint64_t out[UT_RT_NR]);
/* A rule's counter summed over CPUs. */
int rt_rule_counter_read(struct rt *rt, uint32_t rule, struct ut_rule_counter *out);

struct rt_run {
	uint32_t retval;
	uint8_t out[4096];
	uint32_t out_len;  /* bytes of out used: metadata + frame */
	uint32_t meta_len; /* metadata bytes at the start of out */
	uint32_t duration; /* mean ns per run */
};

/* One XDP test run of prog_fd on frame (repeated `repeat` times). */
int rt_run_xdp(int prog_fd, const void *frame, size_t len, uint32_t repeat, struct rt_run *res);
/* The same with meta_len bytes of XDP metadata in front of the frame. */
int rt_run_xdp_meta(int prog_fd, const void *meta, uint32_t meta_len, const void *frame, size_t len,
		    uint32_t repeat, struct rt_run *res);

#endif
