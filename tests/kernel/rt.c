#include "rt.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <linux/bpf.h>

static int prog_fd(struct bpf_object *obj, const char *name)
{
	struct bpf_program *p = bpf_object__find_program_by_name(obj, name);

	if (!p) {
		fprintf(stderr, "Error: no program %s in %s\n", name, bpf_object__name(obj));
		return -ENOENT;
	}
	return bpf_program__fd(p);
}

int rt_set_slot(struct rt *rt, uint32_t slot, int fd)
{
	if (fd < 0)
		return bpf_map_delete_elem(rt->jmp_fd, &slot) ? -errno : 0;
	return bpf_map_update_elem(rt->jmp_fd, &slot, &fd, BPF_ANY) ? -errno : 0;
}

/* The runtime, and the probe loaded against it as the loader loads a
 * policy (it has no metadata, so the steps rather than
 * pipeline_policy_load()). */
static int load(struct rt *rt, const char *runtime_path, const char *policy_path)
{
	struct pipeline *pl = &rt->pl;
	char err[1024];
	int ret = pipeline_runtime_load_file(pl, runtime_path, NULL, err, sizeof(err));

	if (!ret)
		ret = pipeline_object_open(policy_path, &pl->policy, err, sizeof(err));
	if (!ret)
		ret = pipeline_share_maps(pl, pl->policy, policy_path, err, sizeof(err));
	if (!ret) {
		ret = bpf_object__load(pl->policy);
		if (ret)
			snprintf(err, sizeof(err), "cannot load %s: %s", policy_path,
				 strerror(-ret));
	}
	if (ret)
		fprintf(stderr, "Error: %s\n", err);
	return ret;
}

int rt_open(struct rt *rt, const char *runtime_path, const char *policy_path)
{
	struct bpf_map *stats;
	int err;

	memset(rt, 0, sizeof(*rt));
	rt->cpu = -1;
	rt->ncpus = libbpf_num_possible_cpus();
	if (rt->ncpus <= 0)
		return rt->ncpus ? rt->ncpus : -EINVAL;
	rt->pcpu_buf = calloc((size_t)rt->ncpus, 64);
	if (!rt->pcpu_buf)
		return -ENOMEM;
	err = load(rt, runtime_path, policy_path);
	if (err)
		goto fail;
	rt->main_fd = rt->pl.main_fd;
	rt->accept_fd = rt->pl.accept_fd;
	rt->drop_fd = rt->pl.drop_fd;
	rt->tc_fd = rt->pl.tc_fd;
	rt->state_fd = rt->pl.state_fd;
	rt->jmp_fd = rt->pl.jmp_fd;
	rt->stats_fd = rt->pl.rt_stats_fd;
	rt->events_fd = rt->pl.events_fd;
	rt->policy_fd = prog_fd(rt->pl.policy, "probe_policy");
	rt->stub_fd = prog_fd(rt->pl.policy, "stub_policy");
	rt->baseline_fd = prog_fd(rt->pl.policy, "baseline_pass");
	stats = bpf_object__find_map_by_name(rt->pl.policy, UT_RULE_STATS_MAP);
	rt->rule_stats_fd = stats ? bpf_map__fd(stats) : -ENOENT;
	if (rt->policy_fd < 0 || rt->stub_fd < 0 || rt->baseline_fd < 0 || rt->rule_stats_fd < 0) {
		fprintf(stderr, "Error: %s is not a complete probe policy\n", policy_path);
		err = -ENOENT;
		goto fail;
	}
	err = rt_set_slot(rt, UT_SLOT_POLICY, rt->policy_fd);
	if (!err)
		err = rt_set_slot(rt, UT_SLOT_ACCEPT, rt->accept_fd);
	if (!err)
		err = rt_set_slot(rt, UT_SLOT_DROP, rt->drop_fd);
	if (err) {
		fprintf(stderr, "Error: cannot fill ut_jmp: %s\n", strerror(-err));
		goto fail;
	}
	return 0;

fail:
	rt_close(rt);
	return err;
}

void rt_close(struct rt *rt)
{
	pipeline_close(&rt->pl);
	free(rt->pcpu_buf);
	memset(rt, 0, sizeof(*rt));
}

int rt_pin_cpu(struct rt *rt)
{
	int cpu = pipeline_pin_cpu();

	if (cpu < 0)
		return cpu;
	rt->cpu = cpu;
	return 0;
}

/* Per-CPU map values come as ncpus slots, each rounded up to 8 bytes. */
static int pcpu_read(struct rt *rt, int fd, uint32_t key, void *out, size_t size)
{
	size_t stride = (size + 7) & ~(size_t)7;

	if (stride > 64 || rt->cpu < 0)
		return -EINVAL;
	if (bpf_map_lookup_elem(fd, &key, rt->pcpu_buf))
		return -errno;
	memcpy(out, (char *)rt->pcpu_buf + stride * (size_t)rt->cpu, size);
	return 0;
}

int rt_state_read(struct rt *rt, struct ut_state *out)
{
	return pcpu_read(rt, rt->state_fd, 0, out, sizeof(*out));
}

/* Everything but no_match, the NO_MATCH counter, which lives on. */
int rt_state_poison(struct rt *rt, uint8_t byte)
{
	struct ut_state *v = rt->pcpu_buf;
	uint32_t key = 0;

	if (bpf_map_lookup_elem(rt->state_fd, &key, v))
		return -errno;
	for (int i = 0; i < rt->ncpus; i++)
		memset(&v[i], byte, offsetof(struct ut_state, no_match));
	return bpf_map_update_elem(rt->state_fd, &key, v, BPF_ANY) ? -errno : 0;
}

int rt_counters_read(struct rt *rt, uint64_t out[UT_RT_NR])
{
	struct ut_state st;
	int err;

	for (uint32_t i = 0; i < UT_RT_NR; i++) {
		err = pcpu_read(rt, rt->stats_fd, i, &out[i], sizeof(out[i]));
		if (err)
			return err;
	}
	err = pcpu_read(rt, rt->state_fd, 0, &st, sizeof(st));
	if (err)
		return err;
	out[UT_RT_NO_MATCH] += st.no_match;
	return 0;
}

int rt_rule_counter_read(struct rt *rt, uint32_t rule, struct ut_rule_counter *out)
{
	struct ut_rule_counter *v = rt->pcpu_buf;

	memset(out, 0, sizeof(*out));
	if (bpf_map_lookup_elem(rt->rule_stats_fd, &rule, rt->pcpu_buf))
		return -errno;
	for (int i = 0; i < rt->ncpus; i++) {
		out->packets += v[i].packets;
		out->bytes += v[i].bytes;
	}
	return 0;
}

int rt_run_xdp_meta(int fd, const void *meta, uint32_t meta_len, const void *frame, size_t len,
		    uint32_t repeat, struct rt_run *res)
{
	/* The kernel takes the metadata at the start of data_in, with
	 * ctx.data its length; ingress_ifindex 1 (lo) gives log events a real
	 * interface. */
	struct xdp_md ctx_in = {
		.data = meta_len, .data_end = meta_len + (uint32_t)len, .ingress_ifindex = 1};
	struct xdp_md ctx_out;
	uint8_t in[sizeof(res->out)];
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in, .data_size_in = ctx_in.data_end,
		    .data_out = res->out, .data_size_out = sizeof(res->out), .ctx_in = &ctx_in,
		    .ctx_size_in = sizeof(ctx_in), .ctx_out = &ctx_out,
		    .ctx_size_out = sizeof(ctx_out), .repeat = repeat);

	if (meta_len + len > sizeof(in))
		return -E2BIG;
	if (meta_len)
		memcpy(in, meta, meta_len);
	memcpy(in + meta_len, frame, len);
	memset(&ctx_out, 0, sizeof(ctx_out));
	if (bpf_prog_test_run_opts(fd, &opts))
		return -errno;
	res->retval = opts.retval;
	res->out_len = opts.data_size_out;
	/* Offsets come back relative to the start of the metadata. */
	res->meta_len = ctx_out.data;
	res->duration = opts.duration;
	return 0;
}

int rt_run_xdp(int fd, const void *frame, size_t len, uint32_t repeat, struct rt_run *res)
{
	return rt_run_xdp_meta(fd, NULL, 0, frame, len, repeat, res);
}
