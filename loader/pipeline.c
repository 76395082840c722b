#include "pipeline.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "untrack_abi.h"

#ifndef UNTRACK_LIBDIR
#define UNTRACK_LIBDIR "/usr/local/lib/untrack"
#endif

#define RUNTIME_OBJECT "untrack_runtime.bpf.o"

/* The maps every object declares and the runtime owns (untrack_abi.h). */
static const char *const shared_maps[] = {"ut_state", "ut_jmp", "ut_rt_stats", "ut_events",
					  "ut_log_rl"};

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t errlen, const char *fmt,
						      ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

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

/* The bytes of one ELF section, or NULL. */
static char *elf_section(const char *path, const char *name, size_t *len, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	Elf *elf = NULL;
	char *out = NULL;
	size_t shstrndx;

	if (fd < 0) {
		fail(err, errlen, "cannot open '%s': %s", path, strerror(errno));
		return NULL;
	}
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF || elf_getshdrstrndx(elf, &shstrndx) != 0) {
		fail(err, errlen, "'%s' is not an ELF object file", path);
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
		if (!data || !data->d_buf) {
			fail(err, errlen, "'%s': section %s is empty", path, name);
			goto out;
		}
		out = malloc(data->d_size + 1);
		if (!out) {
			fail(err, errlen, "out of memory");
			goto out;
		}
		memcpy(out, data->d_buf, data->d_size);
		out[data->d_size] = '\0';
		*len = strnlen(out, data->d_size);
		goto out;
	}
	fail(err, errlen, "'%s' is not an untrack policy object (no %s section)", path, name);
out:
	if (elf)
		elf_end(elf);
	close(fd);
	return out;
}

int pipeline_read_meta(const char *policy_path, struct objmeta *meta, char *err, size_t errlen)
{
	size_t len = 0;
	char why[256];
	char *text = elf_section(policy_path, OBJMETA_SECTION, &len, err, errlen);

	if (!text)
		return -EINVAL;
	int ret = objmeta_parse(text, len, meta, why, sizeof(why));
	free(text);
	if (ret)
		return fail(err, errlen, "'%s': broken untrack metadata: %s", policy_path, why),
		       -EINVAL;
	if (meta->abi != UT_ABI_VERSION) {
		fail(err, errlen,
		     "'%s' was built for untrack ABI %u, this untrack speaks ABI %d: recompile it with a matching untrackc",
		     policy_path, meta->abi, UT_ABI_VERSION);
		objmeta_free(meta);
		return -EINVAL;
	}
	return 0;
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

static void lpm_key(const struct prefix *p, void *key)
{
	if (p->family == FAM_V4) {
		struct ut_lpm4_key *k = key;
		k->prefixlen = p->len;
		memcpy(&k->addr, p->addr, 4);
	} else {
		struct ut_lpm6_key *k = key;
		k->prefixlen = p->len;
		memcpy(k->addr, p->addr, 16);
	}
}

static int seed_sets(struct pipeline *pl, char *err, size_t errlen)
{
	for (size_t i = 0; i < pl->meta.nsets; i++) {
		const struct objmeta_set *s = &pl->meta.sets[i];
		char name4[32], name6[32];
		snprintf(name4, sizeof(name4), "ut_set4_%zu", i);
		snprintf(name6, sizeof(name6), "ut_set6_%zu", i);
		int fd4 = map_fd(pl->policy, name4), fd6 = map_fd(pl->policy, name6);
		if (fd4 < 0 || fd6 < 0)
			return fail(err, errlen, "policy object has no maps for set '%s'", s->name);
		for (size_t k = 0; k < s->nprefixes; k++) {
			union {
				struct ut_lpm4_key v4;
				struct ut_lpm6_key v6;
			} key;
			__u8 one = 1;
			lpm_key(&s->prefixes[k], &key);
			if (bpf_map_update_elem(s->prefixes[k].family == FAM_V4 ? fd4 : fd6, &key,
						&one, BPF_ANY))
				return fail(err, errlen, "cannot add a prefix to set '%s': %s",
					    s->name, strerror(errno));
		}
	}
	return 0;
}

int pipeline_load(struct pipeline *pl, const char *policy_path, char *err, size_t errlen)
{
	char runtime_path[PATH_MAX];
	int e;

	memset(pl, 0, sizeof(*pl));
	if (pipeline_read_meta(policy_path, &pl->meta, err, errlen))
		return -1;

	pipeline_runtime_path(runtime_path, sizeof(runtime_path));
	pl->runtime = bpf_object__open_file(runtime_path, NULL);
	if (!pl->runtime) {
		fail(err, errlen, "cannot open the untrack runtime '%s': %s", runtime_path,
		     strerror(errno));
		goto fail;
	}
	e = bpf_object__load(pl->runtime);
	if (e) {
		fail(err, errlen, "the kernel refused the untrack runtime '%s': %s", runtime_path,
		     strerror(-e));
		goto fail;
	}

	pl->policy = bpf_object__open_file(policy_path, NULL);
	if (!pl->policy) {
		fail(err, errlen, "cannot open policy object '%s': %s", policy_path,
		     strerror(errno));
		goto fail;
	}
	for (size_t i = 0; i < sizeof(shared_maps) / sizeof(shared_maps[0]); i++) {
		struct bpf_map *m = bpf_object__find_map_by_name(pl->policy, shared_maps[i]);
		int fd = map_fd(pl->runtime, shared_maps[i]);
		if (!m || fd < 0) {
			fail(err, errlen,
			     "'%s' lacks the shared map %s: not built for this runtime",
			     m ? runtime_path : policy_path, shared_maps[i]);
			goto fail;
		}
		e = bpf_map__reuse_fd(m, fd);
		if (e) {
			fail(err, errlen, "cannot share map %s with the policy: %s", shared_maps[i],
			     strerror(-e));
			goto fail;
		}
	}
	e = bpf_object__load(pl->policy);
	if (e) {
		fail(err, errlen, "the kernel refused policy '%s' (the verifier log is above): %s",
		     policy_path, strerror(-e));
		goto fail;
	}

	pl->main_fd = prog_fd(pl->runtime, "untrack_main");
	pl->accept_fd = prog_fd(pl->runtime, "untrack_accept");
	pl->drop_fd = prog_fd(pl->runtime, "untrack_drop");
	pl->tc_fd = prog_fd(pl->runtime, "untrack_tc_ingress");
	pl->policy_fd = prog_fd(pl->policy, "untrack_policy");
	pl->state_fd = map_fd(pl->runtime, "ut_state");
	pl->jmp_fd = map_fd(pl->runtime, "ut_jmp");
	pl->rt_stats_fd = map_fd(pl->runtime, "ut_rt_stats");
	pl->rule_stats_fd = map_fd(pl->policy, UT_RULE_STATS_MAP);
	if (pl->main_fd < 0 || pl->accept_fd < 0 || pl->drop_fd < 0 || pl->tc_fd < 0 ||
	    pl->state_fd < 0 || pl->jmp_fd < 0 || pl->rt_stats_fd < 0) {
		fail(err, errlen, "'%s' is not a complete untrack runtime", runtime_path);
		goto fail;
	}
	if (pl->policy_fd < 0 || pl->rule_stats_fd < 0) {
		fail(err, errlen, "'%s' has no untrack_policy program or rule counters",
		     policy_path);
		goto fail;
	}
	if (seed_sets(pl, err, errlen))
		goto fail;

	/* Continuations first, the policy's entry last: once slot 0 is set,
	 * packets run the policy. */
	const struct {
		__u32 slot;
		int fd;
	} slots[] = {{UT_SLOT_ACCEPT, pl->accept_fd},
		     {UT_SLOT_DROP, pl->drop_fd},
		     {UT_SLOT_POLICY, pl->policy_fd}};
	for (size_t i = 0; i < sizeof(slots) / sizeof(slots[0]); i++) {
		if (bpf_map_update_elem(pl->jmp_fd, &slots[i].slot, &slots[i].fd, BPF_ANY)) {
			fail(err, errlen, "cannot fill jump-table slot %u: %s", slots[i].slot,
			     strerror(errno));
			goto fail;
		}
	}
	return 0;
fail:
	pipeline_close(pl);
	return -1;
}

void pipeline_close(struct pipeline *pl)
{
	bpf_object__close(pl->policy);
	bpf_object__close(pl->runtime);
	objmeta_free(&pl->meta);
	memset(pl, 0, sizeof(*pl));
}
