#include "objload.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libgen.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "errors.h"
#include "objfmt/nft_template.h"
#include "paths.h" /* generated: UNTRACK_LIBDIR */
#include "seed_tables.h"
#include "untrack_abi.h"

#define RUNTIME_OBJECT "untrack_runtime.bpf.o"

/* The maps every object declares and the runtime owns (untrack_abi.h). */
static const char *const shared_maps[] = {"ut_state", "ut_jmp", "ut_rt_stats", "ut_events",
					  "ut_log_rl"};
#define NSHARED (sizeof(shared_maps) / sizeof(shared_maps[0]))

/* The runtime's programs, pinned under their own names. */
static const char *const runtime_progs[] = {"untrack_main", "untrack_accept", "untrack_drop",
					    "untrack_tc_ingress"};
#define NPROGS (sizeof(runtime_progs) / sizeof(runtime_progs[0]))

#define POLICY_PROG "untrack_policy"

int pipeline_runtime_path(char *buf, size_t size)
{
	const char *env = getenv("UNTRACK_RUNTIME");
	char exe[PATH_MAX];
	ssize_t n;

	if (env && *env) {
		snprintf(buf, size, "%s", env);
		return 0;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *dir = dirname(exe);
		static const char *const rel[] = {"runtime", "../lib/untrack"};
		for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
			if (snprintf(buf, size, "%s/%s/%s", dir, rel[i], RUNTIME_OBJECT) >=
			    (int)size)
				continue;
			if (access(buf, R_OK) == 0)
				return 0;
		}
	}
	snprintf(buf, size, "%s/%s", UNTRACK_LIBDIR, RUNTIME_OBJECT);
	return 0;
}

int pipeline_read_section(const char *path, const char *name, char **bytes, size_t *size, char *err,
			  size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	Elf *elf = NULL;
	size_t shstrndx;
	int ret = -ENOENT;

	*bytes = NULL;
	*size = 0;
	if (fd < 0)
		return ut_fail(-errno, err, errlen, "cannot open '%s': %s", path, strerror(errno));
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF || elf_getshdrstrndx(elf, &shstrndx) != 0) {
		ret = ut_fail(-EINVAL, err, errlen, "'%s' is not an ELF object file", path);
		goto out;
	}
	for (Elf_Scn *scn = elf_nextscn(elf, NULL); scn; scn = elf_nextscn(elf, scn)) {
		GElf_Shdr sh;
		const char *sname;
		if (!gelf_getshdr(scn, &sh))
			continue;
		sname = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!sname || strcmp(sname, name) != 0)
			continue;
		Elf_Data *data = elf_getdata(scn, NULL);
		if (!data || (data->d_size && !data->d_buf)) {
			ret = ut_fail(-EINVAL, err, errlen, "'%s': cannot read section %s", path,
				      name);
			goto out;
		}
		*bytes = malloc(data->d_size + 1);
		if (!*bytes) {
			ret = ut_fail(-ENOMEM, err, errlen,
				      "out of memory reading section %s (%zu bytes) of '%s'", name,
				      (size_t)data->d_size, path);
			goto out;
		}
		if (data->d_size)
			memcpy(*bytes, data->d_buf, data->d_size);
		(*bytes)[data->d_size] = '\0';
		*size = data->d_size;
		ret = 0;
		goto out;
	}
	ret = ut_fail(-ENOENT, err, errlen, "'%s' is not an untrack policy object (no %s section)",
		      path, name);
out:
	if (elf)
		elf_end(elf);
	close(fd);
	return ret;
}

/* The metadata section's text (malloc'ed) and its length up to the first
 * NUL. */
static int meta_section(const char *path, char **text, size_t *len, char *err, size_t errlen)
{
	size_t size;
	int ret = pipeline_read_section(path, OBJMETA_SECTION, text, &size, err, errlen);

	if (ret)
		return ret;
	if (size == 0) {
		free(*text);
		*text = NULL;
		return ut_fail(-EINVAL, err, errlen, "'%s': section %s is empty", path,
			       OBJMETA_SECTION);
	}
	*len = strnlen(*text, size);
	return 0;
}

int pipeline_read_meta_text(const char *policy_path, struct objmeta *meta, char **text, size_t *len,
			    char *err, size_t errlen)
{
	char why[256];
	char *raw = NULL;
	int ret;

	memset(meta, 0, sizeof(*meta));
	*text = NULL;
	*len = 0;
	ret = meta_section(policy_path, &raw, len, err, errlen);
	if (ret)
		return ret;
	ret = objmeta_parse(raw, *len, meta, why, sizeof(why));
	if (ret) {
		ut_fail(ret, err, errlen, "'%s': broken untrack metadata: %s", policy_path, why);
		goto cleanup;
	}
	if (meta->abi != UT_ABI_VERSION) {
		ret = ut_fail(
			-EINVAL, err, errlen,
			"'%s' was built for untrack ABI %u, this untrack speaks ABI %d: recompile it with a matching untrackc",
			policy_path, meta->abi, UT_ABI_VERSION);
		objmeta_free(meta);
		goto cleanup;
	}
	*text = raw;
	raw = NULL;
cleanup:
	free(raw);
	return ret;
}

int pipeline_read_template(const char *path, const struct objmeta *meta, char **text, size_t *len,
			   char *err, size_t errlen)
{
	size_t size;
	int ret = pipeline_read_section(path, NFT_SECTION, text, &size, err, errlen);

	*len = 0;
	if (ret == -ENOENT) {
		for (size_t i = 0; i < meta->nrules; i++) {
			if (meta->rules[i].dir == DIR_EGRESS) {
				return ut_fail(
					-EINVAL, err, errlen,
					"'%s' has egress rules but no %s section (built by an older untrackc?): recompile it",
					path, NFT_SECTION);
			}
		}
		*text = strdup("");
		if (!*text)
			return ut_fail(-ENOMEM, err, errlen, "out of memory reading '%s'", path);
		return 0;
	}
	if (ret)
		return ret;
	*len = strlen(*text);
	if (*len + 1 < size) {
		free(*text);
		*text = NULL;
		*len = 0;
		return ut_fail(-EINVAL, err, errlen,
			       "'%s': section %s is damaged (a NUL byte inside)", path,
			       NFT_SECTION);
	}
	return 0;
}

int pipeline_read_meta(const char *policy_path, struct objmeta *meta, char *err, size_t errlen)
{
	char *text = NULL;
	size_t len;
	int ret = pipeline_read_meta_text(policy_path, meta, &text, &len, err, errlen);

	free(text);
	return ret;
}

static int prog_fd(struct bpf_object *obj, const char *name)
{
	struct bpf_program *p = bpf_object__find_program_by_name(obj, name);
	return p ? bpf_program__fd(p) : -ENOENT;
}

static int map_fd(struct bpf_object *obj, const char *name)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, name);
	return m ? bpf_map__fd(m) : -ENOENT;
}

int pipeline_object_abi(struct bpf_object *obj, __u32 *version)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, UT_ABI_SECTION);
	const void *init;
	size_t size = 0;

	if (!m)
		return -ENOENT;
	init = bpf_map__initial_value(m, &size);
	if (!init || size < sizeof(*version))
		return -EINVAL;
	memcpy(version, init, sizeof(*version));
	return 0;
}

int pipeline_set_fds(const struct pipeline *pl, size_t index, struct ut_set_fds *fds)
{
	return ut_set_fds_from_object(pl->policy, (unsigned)index, fds);
}

int pipeline_runtime_load(struct pipeline *pl, const struct ut_mark_config *mark, char *err,
			  size_t errlen)
{
	char runtime_path[PATH_MAX];

	pipeline_runtime_path(runtime_path, sizeof(runtime_path));
	return pipeline_runtime_load_file(pl, runtime_path, mark, err, errlen);
}

int pipeline_runtime_load_file(struct pipeline *pl, const char *runtime_path,
			       const struct ut_mark_config *mark, char *err, size_t errlen)
{
	__u32 abi = 0;
	int e;

	pl->runtime = bpf_object__open_file(runtime_path, NULL);
	if (!pl->runtime)
		return ut_fail(-errno, err, errlen, "cannot open the untrack runtime '%s': %s",
			       runtime_path, strerror(errno));
	e = pipeline_object_abi(pl->runtime, &abi);
	if (e || abi != UT_ABI_VERSION)
		return ut_fail(
			e ? e : -EINVAL, err, errlen,
			"the untrack runtime '%s' is built for ABI %u, this untrack speaks ABI %d: install matching versions",
			runtime_path, e ? 0 : abi, UT_ABI_VERSION);
	if (mark) {
		struct bpf_map *m = bpf_object__find_map_by_name(pl->runtime, UT_MARK_SECTION);
		if (!m)
			return ut_fail(-ENOENT, err, errlen,
				       "the untrack runtime '%s' has no %s map", runtime_path,
				       UT_MARK_SECTION);
		e = bpf_map__set_initial_value(m, mark, sizeof(*mark));
		if (e)
			return ut_fail(e, err, errlen,
				       "cannot set the mark of the runtime '%s': %s", runtime_path,
				       strerror(-e));
	}
	e = bpf_object__load(pl->runtime);
	if (e)
		return ut_fail(e, err, errlen, "the kernel refused the untrack runtime '%s': %s",
			       runtime_path, strerror(-e));

	pl->main_fd = prog_fd(pl->runtime, "untrack_main");
	pl->accept_fd = prog_fd(pl->runtime, "untrack_accept");
	pl->drop_fd = prog_fd(pl->runtime, "untrack_drop");
	pl->tc_fd = prog_fd(pl->runtime, "untrack_tc_ingress");
	pl->state_fd = map_fd(pl->runtime, "ut_state");
	pl->jmp_fd = map_fd(pl->runtime, "ut_jmp");
	pl->rt_stats_fd = map_fd(pl->runtime, "ut_rt_stats");
	pl->events_fd = map_fd(pl->runtime, "ut_events");
	pl->log_rl_fd = map_fd(pl->runtime, "ut_log_rl");
	if (pl->main_fd < 0 || pl->accept_fd < 0 || pl->drop_fd < 0 || pl->tc_fd < 0 ||
	    pl->state_fd < 0 || pl->jmp_fd < 0 || pl->rt_stats_fd < 0 || pl->events_fd < 0 ||
	    pl->log_rl_fd < 0)
		return ut_fail(-ENOENT, err, errlen, "'%s' is not a complete untrack runtime",
			       runtime_path);
	return 0;
}

int pipeline_runtime_open_pinned(struct pipeline *pl, const char *dir, char *err, size_t errlen)
{
	int *const fds[] = {&pl->main_fd,     &pl->accept_fd, &pl->drop_fd,
			    &pl->tc_fd,	      &pl->state_fd,  &pl->jmp_fd,
			    &pl->rt_stats_fd, &pl->events_fd, &pl->log_rl_fd};
	const char *const names[] = {runtime_progs[0], runtime_progs[1], runtime_progs[2],
				     runtime_progs[3], shared_maps[0],	 shared_maps[1],
				     shared_maps[2],   shared_maps[3],	 shared_maps[4]};

	_Static_assert(NPROGS + NSHARED == sizeof(names) / sizeof(names[0]), "pin lists");
	pl->runtime_pinned = true;
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		*fds[i] = -1;
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		char path[PATH_MAX];
		if (snprintf(path, sizeof(path), "%s/%s", dir, names[i]) >= (int)sizeof(path))
			return ut_fail(-ENAMETOOLONG, err, errlen, "pin path too long: %s/%s", dir,
				       names[i]);
		*fds[i] = bpf_obj_get(path);
		if (*fds[i] < 0) {
			int e = errno;
			*fds[i] = -1;
			return ut_fail(-e, err, errlen, "cannot open the pinned runtime '%s': %s%s",
				       path, strerror(e),
				       e == ENOENT ? " (damaged state: run 'untrack detach' first)"
						   : "");
		}
	}
	return 0;
}

/* Does the policy's declaration of a shared map match the runtime's map? */
static int check_shared(struct bpf_map *m, int fd, const char *name, const char *policy_path,
			char *err, size_t errlen)
{
	struct bpf_map_info info = {0};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return ut_fail(-errno, err, errlen, "cannot inspect the runtime's map %s: %s", name,
			       strerror(errno));
	if (bpf_map__type(m) != info.type || bpf_map__key_size(m) != info.key_size ||
	    bpf_map__value_size(m) != info.value_size ||
	    bpf_map__max_entries(m) != info.max_entries)
		return ut_fail(
			-EINVAL, err, errlen,
			"'%s' declares the shared map %s differently from the runtime (type %d/%u, key %u/%u, value %u/%u, entries %u/%u): not built for this runtime",
			policy_path, name, (int)bpf_map__type(m), info.type, bpf_map__key_size(m),
			info.key_size, bpf_map__value_size(m), info.value_size,
			bpf_map__max_entries(m), info.max_entries);
	return 0;
}

int pipeline_object_open(const char *path, struct bpf_object **obj, char *err, size_t errlen)
{
	__u32 abi = 0;
	int e;

	*obj = bpf_object__open_file(path, NULL);
	if (!*obj)
		return ut_fail(-errno, err, errlen, "cannot open policy object '%s': %s", path,
			       strerror(errno));
	e = pipeline_object_abi(*obj, &abi);
	if (e || abi != UT_ABI_VERSION)
		return ut_fail(
			e ? e : -EINVAL, err, errlen,
			"'%s' is built for untrack ABI %u, this untrack speaks ABI %d: recompile it with a matching untrackc",
			path, e ? 0 : abi, UT_ABI_VERSION);
	return 0;
}

int pipeline_share_maps(const struct pipeline *pl, struct bpf_object *obj, const char *path,
			char *err, size_t errlen)
{
	const int shared_fds[NSHARED] = {pl->state_fd, pl->jmp_fd, pl->rt_stats_fd, pl->events_fd,
					 pl->log_rl_fd};

	for (size_t i = 0; i < NSHARED; i++) {
		struct bpf_map *m = bpf_object__find_map_by_name(obj, shared_maps[i]);
		int e;
		if (!m)
			return ut_fail(-ENOENT, err, errlen,
				       "'%s' lacks the shared map %s: not built for this runtime",
				       path, shared_maps[i]);
		e = check_shared(m, shared_fds[i], shared_maps[i], path, err, errlen);
		if (e)
			return e;
		e = bpf_map__reuse_fd(m, shared_fds[i]);
		if (e)
			return ut_fail(e, err, errlen, "cannot share map %s with policy '%s': %s",
				       shared_maps[i], path, strerror(-e));
	}
	return 0;
}

int pipeline_policy_load(struct pipeline *pl, const char *policy_path, char *err, size_t errlen)
{
	int e = pipeline_read_meta_text(policy_path, &pl->meta, &pl->meta_text, &pl->meta_len, err,
					errlen);

	if (!e)
		e = pipeline_object_open(policy_path, &pl->policy, err, errlen);
	if (!e)
		e = pipeline_share_maps(pl, pl->policy, policy_path, err, errlen);
	if (e)
		return e;
	e = bpf_object__load(pl->policy);
	if (e)
		return ut_fail(e, err, errlen,
			       "the kernel refused policy '%s' (the verifier log is above): %s",
			       policy_path, strerror(-e));
	pl->policy_fd = prog_fd(pl->policy, POLICY_PROG);
	pl->rule_stats_fd = map_fd(pl->policy, UT_RULE_STATS_MAP);
	if (pl->policy_fd < 0 || pl->rule_stats_fd < 0)
		return ut_fail(-ENOENT, err, errlen, "'%s' has no %s program or rule counters",
			       policy_path, POLICY_PROG);
	return ut_seed_tables(pl->policy, &pl->meta, err, errlen);
}

static int set_slot(struct pipeline *pl, __u32 slot, int fd, char *err, size_t errlen)
{
	if (bpf_map_update_elem(pl->jmp_fd, &slot, &fd, BPF_ANY))
		return ut_fail(-errno, err, errlen, "cannot fill jump-table slot %u: %s", slot,
			       strerror(errno));
	return 0;
}

int pipeline_wire(struct pipeline *pl, char *err, size_t errlen)
{
	/* Continuations first, the policy's entry last: once slot 0 is set,
	 * packets run the policy. */
	int ret = set_slot(pl, UT_SLOT_ACCEPT, pl->accept_fd, err, errlen);

	if (!ret)
		ret = set_slot(pl, UT_SLOT_DROP, pl->drop_fd, err, errlen);
	if (!ret)
		ret = pipeline_activate(pl, err, errlen);
	return ret;
}

int pipeline_activate(struct pipeline *pl, char *err, size_t errlen)
{
	return set_slot(pl, UT_SLOT_POLICY, pl->policy_fd, err, errlen);
}

int pipeline_load(struct pipeline *pl, const char *policy_path, char *err, size_t errlen)
{
	int ret;

	memset(pl, 0, sizeof(*pl));
	/* Check the policy before the runtime: a bad object costs nothing. */
	ret = pipeline_read_meta(policy_path, &pl->meta, err, errlen);
	if (ret)
		return ret;
	objmeta_free(&pl->meta);
	ret = pipeline_runtime_load(pl, NULL, err, errlen);
	if (!ret)
		ret = pipeline_policy_load(pl, policy_path, err, errlen);
	if (!ret)
		ret = pipeline_wire(pl, err, errlen);
	if (ret)
		pipeline_close(pl);
	return ret;
}

int pipeline_pin_cpu(void)
{
	cpu_set_t set;
	int cpu = sched_getcpu();

	if (cpu < 0)
		cpu = 0;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		return -errno;
	return cpu;
}

int pipeline_rt_counters(int rt_stats_fd, int state_fd, __u64 out[UT_RT_NR], char *err,
			 size_t errlen)
{
	int ncpus = libbpf_num_possible_cpus();
	struct ut_state *st = NULL;
	__u64 *per_cpu = NULL;
	__u32 zero = 0;
	int ret = 0;

	if (ncpus <= 0)
		return ut_fail(ncpus, err, errlen, "cannot count the CPUs: %s", strerror(-ncpus));
	per_cpu = calloc((size_t)ncpus, sizeof(*per_cpu));
	st = calloc((size_t)ncpus, sizeof(*st));
	if (!per_cpu || !st) {
		ret = ut_fail(-ENOMEM, err, errlen,
			      "out of memory reading the runtime counters of %d CPUs", ncpus);
		goto out;
	}
	for (__u32 i = 0; i < UT_RT_NR; i++) {
		if (bpf_map_lookup_elem(rt_stats_fd, &i, per_cpu)) {
			ret = ut_fail(-errno, err, errlen, "cannot read runtime counter %u: %s", i,
				      strerror(errno));
			goto out;
		}
		out[i] = 0;
		for (int c = 0; c < ncpus; c++)
			out[i] += per_cpu[c];
	}
	if (bpf_map_lookup_elem(state_fd, &zero, st)) {
		ret = ut_fail(-errno, err, errlen, "cannot read ut_state: %s", strerror(errno));
		goto out;
	}
	for (int c = 0; c < ncpus; c++)
		out[UT_RT_NO_MATCH] += st[c].no_match;
out:
	free(per_cpu);
	free(st);
	return ret;
}

/* Pin fd as dir/name. */
static int pin_one(int fd, const char *dir, const char *name, char *err, size_t errlen)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return ut_fail(-ENAMETOOLONG, err, errlen, "pin path too long: %s/%s", dir, name);
	if (bpf_obj_pin(fd, path))
		return ut_fail(-errno, err, errlen, "cannot pin %s: %s", path, strerror(errno));
	return 0;
}

static void unpin_names(const char *dir, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char path[PATH_MAX];
		if (snprintf(path, sizeof(path), "%s/%s", dir, names[i]) < (int)sizeof(path))
			unlink(path);
	}
}

int pipeline_pin_runtime(const struct pipeline *pl, const char *dir, char *err, size_t errlen)
{
	const int fds[] = {pl->main_fd, pl->accept_fd,	 pl->drop_fd,	pl->tc_fd,    pl->state_fd,
			   pl->jmp_fd,	pl->rt_stats_fd, pl->events_fd, pl->log_rl_fd};
	const char *const names[] = {runtime_progs[0], runtime_progs[1], runtime_progs[2],
				     runtime_progs[3], shared_maps[0],	 shared_maps[1],
				     shared_maps[2],   shared_maps[3],	 shared_maps[4]};

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		int ret = pin_one(fds[i], dir, names[i], err, errlen);
		if (ret) {
			unpin_names(dir, names, i);
			return ret;
		}
	}
	return 0;
}

int pipeline_pin_policy(const struct pipeline *pl, const char *dir, char *err, size_t errlen)
{
	static const char *const set_fmts[] = {UT_SET_HDR_FMT, UT_SET_V4_FMT, UT_SET_V6_FMT,
					       UT_SET_MEMBERS_FMT};
	int ret;

	if (mkdir(dir, 0700))
		return ut_fail(-errno, err, errlen, "cannot create %s: %s", dir, strerror(errno));
	ret = pin_one(pl->policy_fd, dir, POLICY_PROG, err, errlen);
	if (!ret)
		ret = pin_one(pl->rule_stats_fd, dir, UT_RULE_STATS_MAP, err, errlen);
	for (size_t i = 0; !ret && i < pl->meta.nsets; i++) {
		struct ut_set_fds f;
		ret = pipeline_set_fds(pl, i, &f);
		if (ret) {
			ut_fail(ret, err, errlen, "policy object has no maps for set '%s'",
				pl->meta.sets[i].name);
			break;
		}
		const int fds[] = {f.hdr, f.v4, f.v6, f.members};
		for (size_t k = 0; !ret && k < sizeof(fds) / sizeof(fds[0]); k++) {
			char name[32];
			snprintf(name, sizeof(name), set_fmts[k], (unsigned)i);
			ret = pin_one(fds[k], dir, name, err, errlen);
		}
	}
	if (ret) {
		/* dir is this call's: everything in it goes. */
		DIR *d = opendir(dir);
		if (d) {
			struct dirent *e;
			while ((e = readdir(d)))
				if (e->d_name[0] != '.')
					unlinkat(dirfd(d), e->d_name, 0);
			closedir(d);
		}
		rmdir(dir);
	}
	return ret;
}

void pipeline_close(struct pipeline *pl)
{
	if (!pl)
		return;
	if (pl->runtime_pinned) {
		int fds[] = {pl->main_fd,     pl->accept_fd, pl->drop_fd,
			     pl->tc_fd,	      pl->state_fd,  pl->jmp_fd,
			     pl->rt_stats_fd, pl->events_fd, pl->log_rl_fd};
		for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
			if (fds[i] >= 0)
				close(fds[i]);
	}
	bpf_object__close(pl->policy);
	bpf_object__close(pl->runtime);
	objmeta_free(&pl->meta);
	free(pl->meta_text);
	memset(pl, 0, sizeof(*pl));
}
