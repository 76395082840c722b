/* Named sets in their BPF maps (loader/seed_tables.c): a change is all or
 * nothing, and every failure leaves a message that says why, so that
 * `untrack set` never prints a stale buffer. The maps are real ones, made
 * here (that takes CAP_BPF; without it the cases are skipped). Running out
 * of memory is injected at every allocation in turn, through the linker's
 * --wrap of malloc, calloc and realloc (see the Makefile). */
#include "testutil.h"

#include <errno.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "objfmt/addr.h"
#include "seed_tables.h"
#include "untrack_abi.h"

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);

/* 0: allocations succeed; k > 0: the k-th allocation from now fails. */
static unsigned fail_at;

static bool fail_now(void)
{
	return fail_at && --fail_at == 0;
}

void *__wrap_malloc(size_t size)
{
	return fail_now() ? NULL : __real_malloc(size);
}

void *__wrap_calloc(size_t n, size_t size)
{
	return fail_now() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t size)
{
	return fail_now() ? NULL : __real_realloc(p, size);
}

#define CAP	   64 /* slots per generation and family: room for a few members */
/* Past the allocations one call makes: reaching it means one never fails. */
#define MAX_ALLOCS 1000
#define STALE	   "stale message"

static int make_maps(struct ut_set_fds *f)
{
	f->hdr = bpf_map_create(BPF_MAP_TYPE_ARRAY, "ut_sh_0", sizeof(__u32),
				sizeof(struct ut_set_hdr), 1, NULL);
	f->v4 = bpf_map_create(BPF_MAP_TYPE_ARRAY, "ut_s4_0", sizeof(__u32),
			       sizeof(struct ut_set4_slot), 2 * CAP, NULL);
	f->v6 = bpf_map_create(BPF_MAP_TYPE_ARRAY, "ut_s6_0", sizeof(__u32),
			       sizeof(struct ut_set6_slot), 2 * CAP, NULL);
	f->members = bpf_map_create(BPF_MAP_TYPE_HASH, "ut_sm_0", sizeof(struct ut_set_member),
				    sizeof(__u8), CAP, NULL);
	if (f->hdr < 0 || f->v4 < 0 || f->v6 < 0 || f->members < 0)
		return -errno;
	return ut_set_fds_caps(f);
}

static void close_maps(struct ut_set_fds *f)
{
	int fds[] = {f->hdr, f->v4, f->v6, f->members};

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

static int setup(void **state)
{
	struct ut_set_fds *f = calloc(1, sizeof(*f));
	int ret;

	assert_non_null(f);
	*f = (struct ut_set_fds){.hdr = -1, .v4 = -1, .v6 = -1, .members = -1};
	ret = make_maps(f);
	if (ret) {
		fprintf(stderr, "test_set_change: cannot create BPF maps (%s): skipping\n",
			strerror(-ret));
		close_maps(f);
		free(f);
		f = NULL;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct ut_set_fds *f = *state;

	if (f) {
		close_maps(f);
		free(f);
	}
	return 0;
}

static struct prefix pfx(const char *text)
{
	struct prefix p;

	assert_int_equal(prefix_parse(text, &p), ADDR_OK);
	return p;
}

/* The members as "a b c", sorted as ut_set_members() gives them. */
static void assert_members(const struct ut_set_fds *f, const char *want)
{
	char got[512] = "", buf[PREFIX_STRLEN];
	struct prefix *all = NULL;
	size_t n = 0;

	assert_int_equal(ut_set_members(f, &all, &n), 0);
	for (size_t i = 0; i < n; i++) {
		if (i)
			strcat(got, " ");
		strcat(got, prefix_format(&all[i], buf));
	}
	free(all);
	assert_string_equal(got, want);
}

static __u32 live_generation(const struct ut_set_fds *f)
{
	struct ut_set_hdr *hdr = __real_calloc(1, sizeof(*hdr));
	__u32 zero = 0, gen;

	assert_non_null(hdr);
	assert_int_equal(bpf_map_lookup_elem(f->hdr, &zero, hdr), 0);
	gen = hdr->gen;
	free(hdr);
	return gen;
}

static const struct prefix *seed(const struct ut_set_fds *f, size_t *n)
{
	static struct prefix start[2];
	char err[256];

	start[0] = pfx("10.0.0.0/8");
	start[1] = pfx("2001:db8::/32");
	*n = 2;
	assert_int_equal(ut_set_replace(f, start, 2, err, sizeof(err)), 0);
	return start;
}

enum op { OP_ADD, OP_DEL, OP_REPLACE };

static int run_op(const struct ut_set_fds *f, enum op op, char *err, size_t errlen)
{
	struct prefix p[2] = {pfx("192.0.2.0/24"), pfx("10.0.0.0/8")};
	size_t bad = 0;

	switch (op) {
	case OP_ADD:
		return ut_set_change(f, true, p, 1, &bad, err, errlen);
	case OP_DEL:
		return ut_set_change(f, false, p + 1, 1, &bad, err, errlen);
	case OP_REPLACE:
		return ut_set_replace(f, p, 2, err, errlen);
	}
	return -EINVAL;
}

/* Fail the first allocation of op, then the second, and so on until op
 * makes no more: each failure is -ENOMEM with a fresh message, and the set
 * (its members and its live tables) is as before. */
static void every_allocation_fails(void **state, enum op op, const char *after)
{
	const struct ut_set_fds *f = *state;
	unsigned k;

	if (!f)
		skip();
	for (k = 1; k < MAX_ALLOCS; k++) {
		char err[256] = STALE;
		size_t n;
		__u32 gen;
		int ret;

		seed(f, &n);
		gen = live_generation(f);
		fail_at = k;
		ret = run_op(f, op, err, sizeof(err));
		fail_at = 0;
		if (ret == 0)
			break;
		if (ret != -ENOMEM || strcmp(err, STALE) == 0 || !err[0])
			fail_msg("allocation %u failed: got %d (%s), want -ENOMEM and a message", k,
				 ret, err);
		assert_non_null(strstr(err, "memory"));
		assert_members(f, "10.0.0.0/8 2001:db8::/32");
		assert_int_equal(live_generation(f), gen);
	}
	assert_true(k > 1 && k < MAX_ALLOCS);
	assert_members(f, after);
}

static void test_add_out_of_memory(void **state)
{
	every_allocation_fails(state, OP_ADD, "10.0.0.0/8 192.0.2.0/24 2001:db8::/32");
}

static void test_del_out_of_memory(void **state)
{
	every_allocation_fails(state, OP_DEL, "2001:db8::/32");
}

static void test_replace_out_of_memory(void **state)
{
	every_allocation_fails(state, OP_REPLACE, "10.0.0.0/8 192.0.2.0/24");
}

/* Adding a member or deleting a non-member names the prefix's index and
 * says why, and changes nothing. */
static void test_refused_changes(void **state)
{
	const struct ut_set_fds *f = *state;
	struct prefix p[2] = {pfx("192.0.2.0/24"), pfx("10.0.0.0/8")};
	char err[256] = STALE;
	size_t n, bad = 99;

	if (!f)
		skip();
	seed(f, &n);
	assert_int_equal(ut_set_change(f, true, p, 2, &bad, err, sizeof(err)), -EEXIST);
	assert_int_equal(bad, 1);
	assert_string_equal(err, "already a member");
	strcpy(err, STALE);
	assert_int_equal(ut_set_change(f, false, p, 2, &bad, err, sizeof(err)), -ENOENT);
	assert_int_equal(bad, 0);
	assert_string_equal(err, "not a member");
	assert_members(f, "10.0.0.0/8 2001:db8::/32");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_out_of_memory),
		cmocka_unit_test(test_del_out_of_memory),
		cmocka_unit_test(test_replace_out_of_memory),
		cmocka_unit_test(test_refused_changes),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
