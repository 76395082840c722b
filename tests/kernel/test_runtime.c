/* Kernel tests of the BPF runtime (runtime-bpf/): run as root.
 *
 *   test_runtime --runtime OBJ --probe OBJ --mark-probe OBJ
 *                [--seed N] [--random N] [--bench]
 *
 * Environment: CI=true turns "cannot run here" into a failure. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "ktests.h"

static int quiet_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* Verifier logs and load errors matter; debug chatter does not. */
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

struct map_want {
	const char *name;
	enum bpf_map_type type;
	uint32_t key_size, value_size, max_entries;
};

static const struct map_want shared[] = {
	{"ut_state", BPF_MAP_TYPE_PERCPU_ARRAY, 4, sizeof(struct ut_state), 1},
	{"ut_jmp", BPF_MAP_TYPE_PROG_ARRAY, 4, 4, UT_JMP_SLOTS},
	{"ut_rt_stats", BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, UT_RT_NR},
	{"ut_events", BPF_MAP_TYPE_RINGBUF, 0, 0, UT_EVENTS_BYTES},
	{"ut_log_rl", BPF_MAP_TYPE_PERCPU_ARRAY, 4, sizeof(struct ut_log_bucket), 1},
};

/* What a loader should verify before bpf_map__reuse_fd(): the object's
 * definition of each shared map is the ABI's. */
static void check_maps(struct kt *t, struct bpf_object *obj, const char *path)
{
	for (size_t i = 0; i < sizeof(shared) / sizeof(shared[0]); i++) {
		const struct map_want *w = &shared[i];
		struct bpf_map *m = bpf_object__find_map_by_name(obj, w->name);

		if (!m) {
			kt_fail(t, __FILE__, __LINE__, "%s: no map %s", path, w->name);
			continue;
		}
		KT_CHECK(t,
			 bpf_map__type(m) == w->type && bpf_map__key_size(m) == w->key_size &&
				 bpf_map__value_size(m) == w->value_size &&
				 bpf_map__max_entries(m) == w->max_entries,
			 "%s: map %s is not defined as the ABI says", path, w->name);
	}
}

static void case_abi(struct kt *t, void *arg)
{
	struct kctx *k = arg;
	const char *paths[] = {k->runtime_path, k->probe_path};

	for (size_t i = 0; i < 2; i++) {
		struct bpf_object *obj = bpf_object__open_file(paths[i], NULL);
		uint32_t version = 0;

		if (!obj) {
			kt_fail(t, __FILE__, __LINE__, "cannot open %s", paths[i]);
			continue;
		}
		KT_CHECK(t, pipeline_object_abi(obj, &version) == 0 && version == UT_ABI_VERSION,
			 "%s: ABI version %u", paths[i], version);
		check_maps(t, obj, paths[i]);
		if (i == 0) {
			struct bpf_map *m = bpf_object__find_map_by_name(obj, UT_MARK_SECTION);
			const struct ut_mark_config *mc = NULL;
			size_t size = 0;

			if (m)
				mc = bpf_map__initial_value(m, &size);
			KT_CHECK(t,
				 mc && size == sizeof(*mc) && mc->value == UT_MARK_VALUE &&
					 mc->mask == UT_MARK_MASK,
				 "%s: no default mark configuration", paths[i]);
		}
		bpf_object__close(obj);
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: test_runtime --runtime OBJ --probe OBJ --mark-probe OBJ "
			"[--seed N] [--random N] [--bench]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"runtime", required_argument, NULL, 'r'},
					     {"probe", required_argument, NULL, 'p'},
					     {"mark-probe", required_argument, NULL, 'm'},
					     {"seed", required_argument, NULL, 's'},
					     {"random", required_argument, NULL, 'n'},
					     {"bench", no_argument, NULL, 'b'},
					     {NULL, 0, NULL, 0}};
	struct kctx k = {.seed = 1, .random_frames = 100000};
	bool bench = false;
	struct kt t;
	int c, err, rc;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			k.runtime_path = optarg;
			break;
		case 'p':
			k.probe_path = optarg;
			break;
		case 'm':
			k.mark_probe_path = optarg;
			break;
		case 's':
			k.seed = strtoull(optarg, NULL, 0);
			break;
		case 'n':
			k.random_frames = (unsigned)strtoul(optarg, NULL, 0);
			break;
		case 'b':
			bench = true;
			break;
		default:
			usage();
		}
	}
	if (!k.runtime_path || !k.probe_path || !k.mark_probe_path || optind != argc)
		usage();
	libbpf_set_print(quiet_libbpf);
	kt_init(&t);

	if (geteuid() != 0) {
		fprintf(stderr, "test_runtime: not root: the kernel cases cannot run\n");
	} else {
		err = rt_open(&k.rt, k.runtime_path, k.probe_path);
		if (!err)
			err = rt_pin_cpu(&k.rt);
		if (err)
			fprintf(stderr, "test_runtime: cannot set up the runtime: %s\n",
				strerror(-err));
		k.loaded = !err;
	}
	if (bench) {
		if (!k.loaded) {
			fprintf(stderr, "test_runtime: the benchmark needs the runtime loaded\n");
			return 1;
		}
		rc = bench_run(&k);
		rt_close(&k.rt);
		return rc;
	}

	kt_run(&t, "abi: versions, map definitions, mark defaults", case_abi, &k);
	kt_run(&t, "parse: crafted frames and every truncation", case_parse_corpus, &k);
	kt_run(&t, "parse: seeded random frames and mutations", case_parse_random, &k);
	kt_run(&t, "verdicts: accept flag, drop, pass, counters", case_verdicts, &k);
	kt_run(&t, "failures: missing programs, full metadata", case_failures, &k);
	kt_run(&t, "log: events and rate limit", case_log_events, &k);
	kt_run(&t, "tc: no flag, no mark (test run)", case_tc_test_run, &k);
	kt_run(&t, "tc: flag to mark end to end (veth)", case_tc_veth, &k);
	if (k.loaded)
		rt_close(&k.rt);
	return kt_finish(&t);
}
