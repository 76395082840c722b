#include "seed_tables.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "errors.h"
#include "objfmt/settables.h"
#include "untrack_abi.h"

/* Elements per batch syscall. */
#define BATCH 8192

static int obj_map_fd(struct bpf_object *obj, const char *fmt, unsigned index)
{
	char name[32];
	struct bpf_map *m;

	snprintf(name, sizeof(name), fmt, index);
	m = bpf_object__find_map_by_name(obj, name);
	return m ? bpf_map__fd(m) : -ENOENT;
}

int ut_set_fds_from_object(struct bpf_object *obj, unsigned index, struct ut_set_fds *f)
{
	f->hdr = obj_map_fd(obj, UT_SET_HDR_FMT, index);
	f->v4 = obj_map_fd(obj, UT_SET_V4_FMT, index);
	f->v6 = obj_map_fd(obj, UT_SET_V6_FMT, index);
	f->members = obj_map_fd(obj, UT_SET_MEMBERS_FMT, index);
	if (f->hdr < 0 || f->v4 < 0 || f->v6 < 0 || f->members < 0)
		return -ENOENT;
	return ut_set_fds_caps(f);
}

static int max_entries(int fd, uint32_t *out)
{
	struct bpf_map_info info;
	uint32_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	*out = info.max_entries;
	return 0;
}

int ut_set_fds_caps(struct ut_set_fds *f)
{
	uint32_t e4 = 0, e6 = 0;
	int ret = max_entries(f->v4, &e4);

	if (!ret)
		ret = max_entries(f->v6, &e6);
	if (ret)
		return ret;
	f->cap4 = e4 / 2;
	f->cap6 = e6 / 2;
	return f->cap4 && f->cap6 ? 0 : -EINVAL;
}

/* Write values[0..n) to keys first..first+n of an array map. */
static int write_range(int fd, uint32_t first, const void *values, size_t value_size, size_t n)
{
	uint32_t *keys = malloc(BATCH * sizeof(*keys));
	int ret = 0;

	if (!keys)
		return -ENOMEM;
	for (size_t done = 0; done < n && !ret;) {
		uint32_t count = (uint32_t)(n - done < BATCH ? n - done : BATCH);
		for (uint32_t i = 0; i < count; i++)
			keys[i] = first + (uint32_t)(done + i);
		if (bpf_map_update_batch(fd, keys, (const char *)values + done * value_size, &count,
					 NULL))
			ret = -errno;
		done += count;
	}
	free(keys);
	return ret;
}

static int prefix_qcmp(const void *a, const void *b)
{
	return prefix_cmp(a, b);
}

static void member_key(const struct prefix *p, struct ut_set_member *k)
{
	memset(k, 0, sizeof(*k));
	k->family = p->family == FAM_V4 ? UT_FAM_V4 : UT_FAM_V6;
	k->len = p->len;
	memcpy(k->addr, p->addr, 16);
}

static void member_prefix(const struct ut_set_member *k, struct prefix *p)
{
	memset(p, 0, sizeof(*p));
	p->family = k->family == UT_FAM_V4 ? FAM_V4 : FAM_V6;
	p->len = k->len;
	memcpy(p->addr, k->addr, p->family == FAM_V4 ? 4 : 16);
}

/* Build the tables of members and make them live. */
static int write_tables(const struct ut_set_fds *f, const struct prefix *members, size_t n,
			char *err, size_t errlen)
{
	struct ut_set_hdr *hdr = calloc(1, sizeof(*hdr));
	struct ut_set4_slot *s4 = calloc(f->cap4, sizeof(*s4));
	struct ut_set6_slot *s6 = calloc(f->cap6, sizeof(*s6));
	uint32_t zero = 0, ng;
	int ret = -ENOMEM;

	if (!hdr || !s4 || !s6) {
		ut_fail(ret, err, errlen,
			"out of memory building the set's tables (%u IPv4 and %u IPv6 slots)",
			f->cap4, f->cap6);
		goto out;
	}
	if (bpf_map_lookup_elem(f->hdr, &zero, hdr)) {
		ret = ut_fail(-errno, err, errlen, "cannot read the set's header: %s",
			      strerror(errno));
		goto out;
	}
	ng = (hdr->gen & 1) ^ 1;
	ret = set_tables_build(members, n, f->cap4, f->cap6, &hdr->g[ng], s4, s6, err, errlen);
	if (ret)
		goto out;
	/* The idle generation may have been live a moment ago: let lookups
	 * that started before the last switch finish (they take nanoseconds;
	 * XDP programs cannot sleep). */
	nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
	ret = write_range(f->v4, ng * f->cap4, s4, sizeof(*s4), (size_t)1 << hdr->g[ng].h4_bits);
	if (!ret)
		ret = write_range(f->v6, ng * f->cap6, s6, sizeof(*s6),
				  (size_t)1 << hdr->g[ng].h6_bits);
	/* Two writes of the header: the new generation's fields first, then
	 * the switch (an array update copies the value over in place, front
	 * to back: gen must not change before the rest is there). */
	if (!ret && bpf_map_update_elem(f->hdr, &zero, hdr, BPF_ANY))
		ret = -errno;
	hdr->gen = ng;
	if (!ret && bpf_map_update_elem(f->hdr, &zero, hdr, BPF_ANY))
		ret = -errno;
	if (ret)
		ut_fail(ret, err, errlen, "cannot write the set's tables: %s", strerror(-ret));
out:
	free(hdr);
	free(s4);
	free(s6);
	return ret;
}

/* The members map's side of a change: its keys and values, made before the
 * tables switch, so that running out of memory cannot leave the tables
 * changed and the members not. */
struct member_batch {
	struct ut_set_member *keys;
	uint8_t *vals;
	size_t n;
};

static int member_batch_make(const struct prefix *p, size_t n, struct member_batch *b, char *err,
			     size_t errlen)
{
	b->keys = calloc(n ? n : 1, sizeof(*b->keys));
	b->vals = malloc(n ? n : 1);
	b->n = n;
	if (!b->keys || !b->vals) {
		free(b->keys);
		free(b->vals);
		memset(b, 0, sizeof(*b));
		return ut_fail(-ENOMEM, err, errlen,
			       "out of memory listing %zu members for the set's members map", n);
	}
	for (size_t i = 0; i < n; i++) {
		member_key(&p[i], &b->keys[i]);
		b->vals[i] = UT_SET_MEMBER;
	}
	return 0;
}

static void member_batch_free(struct member_batch *b)
{
	free(b->keys);
	free(b->vals);
	memset(b, 0, sizeof(*b));
}

static int member_batch_apply(int fd, const struct member_batch *b, bool add, char *err,
			      size_t errlen)
{
	for (size_t done = 0; done < b->n;) {
		uint32_t count = (uint32_t)(b->n - done < BATCH ? b->n - done : BATCH);
		int e = add ? bpf_map_update_batch(fd, &b->keys[done], &b->vals[done], &count, NULL)
			    : bpf_map_delete_batch(fd, &b->keys[done], &count, NULL);
		if (e)
			return ut_fail(-errno, err, errlen, "cannot %s the set's members map: %s",
				       add ? "add to" : "delete from", strerror(errno));
		done += count;
	}
	return 0;
}

int ut_set_members(const struct ut_set_fds *f, struct prefix **out, size_t *n)
{
	struct ut_set_member key, next;
	void *prev = NULL;
	size_t cap = 0;

	*out = NULL;
	*n = 0;
	while (bpf_map_get_next_key(f->members, prev, &next) == 0) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 1024;
			struct prefix *grown = realloc(*out, cap * sizeof(**out));
			if (!grown) {
				free(*out);
				*out = NULL;
				return -ENOMEM;
			}
			*out = grown;
		}
		member_prefix(&next, &(*out)[(*n)++]);
		key = next;
		prev = &key;
	}
	if (errno != ENOENT) {
		free(*out);
		*out = NULL;
		return -errno;
	}
	if (*n)
		qsort(*out, *n, sizeof(**out), prefix_qcmp);
	return 0;
}

/* Make members[0..n) the set: tables, then the members map (old ones
 * deleted, new ones added). */
static int set_replace_from(const struct ut_set_fds *f, const struct prefix *old, size_t nold,
			    const struct prefix *members, size_t n, char *err, size_t errlen)
{
	struct member_batch gone = {0}, added = {0};
	int ret = member_batch_make(old, nold, &gone, err, errlen);

	if (!ret)
		ret = member_batch_make(members, n, &added, err, errlen);
	if (!ret)
		ret = write_tables(f, members, n, err, errlen);
	if (!ret)
		ret = member_batch_apply(f->members, &gone, false, err, errlen);
	if (!ret)
		ret = member_batch_apply(f->members, &added, true, err, errlen);
	member_batch_free(&gone);
	member_batch_free(&added);
	return ret;
}

int ut_set_replace(const struct ut_set_fds *f, const struct prefix *members, size_t n, char *err,
		   size_t errlen)
{
	struct prefix *old = NULL;
	size_t nold = 0;
	int ret = ut_set_members(f, &old, &nold);

	if (ret)
		return ut_fail(ret, err, errlen, "cannot read the set's members: %s",
			       strerror(-ret));
	ret = set_replace_from(f, old, nold, members, n, err, errlen);
	free(old);
	return ret;
}

static const struct prefix *find(const struct prefix *sorted, size_t n, const struct prefix *p)
{
	return bsearch(p, sorted, n, sizeof(*sorted), prefix_qcmp);
}

/* The members after adding or deleting p[0..n) (malloc'ed); *bad is the
 * index of a prefix that is already in (add) or not in (delete) cur. */
static int next_members(const struct prefix *cur, size_t ncur, bool add, const struct prefix *p,
			size_t n, struct prefix **next, size_t *nnext, size_t *bad, char *err,
			size_t errlen)
{
	struct prefix *gone = NULL;

	*next = NULL;
	*nnext = 0;
	for (size_t i = 0; i < n; i++) {
		if (add == (find(cur, ncur, &p[i]) != NULL)) {
			*bad = i;
			return ut_fail(add ? -EEXIST : -ENOENT, err, errlen, "%s",
				       add ? "already a member" : "not a member");
		}
	}
	*next = calloc(ncur + n + 1, sizeof(**next));
	if (!add)
		gone = calloc(n + 1, sizeof(*gone));
	if (!*next || (!add && !gone)) {
		free(*next);
		*next = NULL;
		free(gone);
		return ut_fail(-ENOMEM, err, errlen,
			       "out of memory listing the set's members (%zu and %zu changed)",
			       ncur, n);
	}
	if (add) {
		memcpy(*next, cur, ncur * sizeof(**next));
		memcpy(*next + ncur, p, n * sizeof(**next));
		*nnext = ncur + n;
		return 0;
	}
	memcpy(gone, p, n * sizeof(*gone));
	qsort(gone, n, sizeof(*gone), prefix_qcmp);
	for (size_t i = 0; i < ncur; i++)
		if (!find(gone, n, &cur[i]))
			(*next)[(*nnext)++] = cur[i];
	free(gone);
	return 0;
}

int ut_set_change(const struct ut_set_fds *f, bool add, const struct prefix *p, size_t n,
		  size_t *bad, char *err, size_t errlen)
{
	struct prefix *cur = NULL, *next = NULL;
	struct member_batch batch = {0};
	size_t ncur = 0, nnext = 0;
	char undo_err[256];
	int ret = ut_set_members(f, &cur, &ncur);

	if (ret)
		return ut_fail(ret, err, errlen, "cannot read the set's members: %s",
			       strerror(-ret));
	ret = next_members(cur, ncur, add, p, n, &next, &nnext, bad, err, errlen);
	if (!ret)
		ret = member_batch_make(p, n, &batch, err, errlen);
	if (!ret)
		ret = write_tables(f, next, nnext, err, errlen);
	if (ret)
		goto out;
	ret = member_batch_apply(f->members, &batch, add, err, errlen);
	/* The tables changed already, and the batch may have been applied in
	 * part: put the set back as it was, from the members the map holds
	 * now (the error to report is the one that made us). */
	if (ret)
		ut_set_replace(f, cur, ncur, undo_err, sizeof(undo_err));
out:
	member_batch_free(&batch);
	free(cur);
	free(next);
	return ret;
}

int ut_seed_tables(struct bpf_object *policy, const struct objmeta *meta, char *err, size_t errlen)
{
	char why[512];

	for (size_t i = 0; i < meta->nsets; i++) {
		const struct objmeta_set *s = &meta->sets[i];
		struct ut_set_fds f;
		int ret = ut_set_fds_from_object(policy, (unsigned)i, &f);
		if (ret)
			return ut_fail(ret, err, errlen, "policy object has no maps for set '%s'",
				       s->name);
		ret = ut_set_replace(&f, s->prefixes, s->nprefixes, why, sizeof(why));
		if (ret)
			return ut_fail(ret, err, errlen, "cannot seed set '%s': %s", s->name, why);
	}
	return 0;
}
