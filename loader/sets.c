/* untrack set IFACE NAME add|del|list [PREFIX...]: the named sets of the
 * running policy, listed or edited in place. The command line is read and
 * every prefix checked first (nothing changes on a typo); then the set is
 * found by its index in the pinned policy's metadata (open_set), and listed
 * or changed (set_edit.c). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "json_out.h"
#include "objfmt/json_text.h"
#include "sets.h"

#define ERRLEN 1024

enum set_op { SET_ADD, SET_DEL, SET_LIST };

struct set_args {
	const char *ifname, *name;
	enum set_op op;
	bool json;
	char **texts; /* the PREFIX operands */
	size_t n;
};

static void usage(FILE *out)
{
	fputs("Usage: untrack set IFACE NAME add|del PREFIX...\n"
	      "       untrack set IFACE NAME list [--json]\n"
	      "Change or show a named set of the policy running on IFACE. Changes apply to\n"
	      "the next packet and last until the policy is replaced (a new policy starts\n"
	      "from its own object's sets). 'add' of a member and 'del' of a non-member are\n"
	      "errors, and then nothing is changed.\n",
	      out);
}

/* The command line; --help prints the usage and exits. 0, or -EINVAL after
 * reporting a bad one. */
static int parse_set(int argc, char **argv, struct set_args *a)
{
	static const struct option longopts[] = {
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	int c;

	memset(a, 0, sizeof(*a));
	optind = 1;
	opterr = 0;
	/* '+': stop at the first operand, so that PREFIX arguments are never
	 * taken for options. */
	while ((c = getopt_long(argc, argv, "+:hj", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			a->json = true;
			break;
		case 'h':
			usage(stdout);
			exit(UT_EXIT_OK);
		default:
			ut_error("unknown option '%s' for set", argv[optind - 1]);
			return -EINVAL;
		}
	}
	argc -= optind;
	argv += optind;
	/* --json may also come last, after list. */
	if (argc == 4 && strcmp(argv[2], "list") == 0 && strcmp(argv[3], "--json") == 0) {
		a->json = true;
		argc = 3;
	}
	if (argc < 3) {
		ut_error("set needs an interface, a set name and add, del or list");
		usage(stderr);
		return -EINVAL;
	}
	if (strcmp(argv[2], "add") == 0) {
		a->op = SET_ADD;
	} else if (strcmp(argv[2], "del") == 0) {
		a->op = SET_DEL;
	} else if (strcmp(argv[2], "list") == 0) {
		a->op = SET_LIST;
	} else {
		ut_error("set: '%s' is not add, del or list", argv[2]);
		return -EINVAL;
	}
	if (a->op == SET_LIST && argc != 3) {
		ut_error("set ... list takes no prefixes");
		return -EINVAL;
	}
	if (a->op != SET_LIST && argc == 3) {
		ut_error("set ... %s needs at least one prefix", argv[2]);
		return -EINVAL;
	}
	a->ifname = argv[0];
	a->name = argv[1];
	a->texts = argv + 3;
	a->n = (size_t)argc - 3;
	return 0;
}

/* The prefixes of the command line (malloc'ed), each valid and given once.
 * -EINVAL or -ENOMEM after reporting. */
static int parse_prefixes(const struct set_args *a, struct prefix **out)
{
	struct prefix *p = calloc(a->n ? a->n : 1, sizeof(*p));
	char buf[PREFIX_STRLEN];

	*out = NULL;
	if (!p) {
		ut_error("out of memory reading %zu prefixes", a->n);
		return -ENOMEM;
	}
	for (size_t i = 0; i < a->n; i++) {
		const char *text = a->texts[i];
		switch (prefix_parse(text, &p[i])) {
		case ADDR_OK:
			break;
		case ADDR_HOST_BITS:
			ut_error("'%s' has bits set past its length: did you mean %s?", text,
				 prefix_format(&p[i], buf));
			goto bad;
		case ADDR_BAD_LENGTH:
			ut_error("'%s': the prefix length is not valid for its family", text);
			goto bad;
		default:
			ut_error("'%s' is not an IPv4 or IPv6 address or prefix", text);
			goto bad;
		}
		for (size_t k = 0; k < i; k++) {
			if (prefix_cmp(&p[i], &p[k]) == 0) {
				ut_error("%s is given twice", prefix_format(&p[i], buf));
				goto bad;
			}
		}
	}
	*out = p;
	return 0;
bad:
	free(p);
	return -EINVAL;
}

/* The set named name of the policy attached at w, its maps open. */
static int open_set(const struct ut_where *w, const char *name, struct set_target *t, char *err,
		    size_t errlen)
{
	int ret;

	memset(t, 0, sizeof(*t));
	t->w = *w;
	t->fds = (struct ut_set_fds){.hdr = -1, .v4 = -1, .v6 = -1, .members = -1};
	ret = ut_state_load(&t->w, &t->info, &t->meta, err, errlen);
	if (ret)
		return ret;
	for (t->index = 0; t->index < t->meta.nsets; t->index++)
		if (strcmp(t->meta.sets[t->index].name, name) == 0)
			break;
	if (t->index == t->meta.nsets)
		return ut_fail(-ENOENT, err, errlen, "the policy on %s has no set named '%s'%s",
			       w->ifname, name, t->meta.nsets ? "" : " (it has no sets)");
	t->set = &t->meta.sets[t->index];
	if (ut_path(t->policy_dir, sizeof(t->policy_dir), t->w.pin_dir, UT_POLICY_DIR))
		return ut_fail(-ENAMETOOLONG, err, errlen, "pin path too long: %s/%s", w->pin_dir,
			       UT_POLICY_DIR);
	ret = ut_set_open(t->policy_dir, t->index, &t->fds);
	if (ret)
		return ut_fail(ret, err, errlen, "cannot open the maps of set '%s' under %s: %s",
			       t->set->name, t->w.pin_dir, strerror(-ret));
	return 0;
}

static void close_set(struct set_target *t)
{
	ut_set_close(&t->fds);
	objmeta_free(&t->meta);
}

static json_t *list_json(const char *name, const struct prefix *all, size_t n)
{
	json_t *prefixes = json_array();
	char buf[PREFIX_STRLEN];

	for (size_t i = 0; prefixes && i < n; i++) {
		if (json_array_append_new(prefixes, json_string(prefix_format(&all[i], buf)))) {
			json_decref(prefixes);
			return NULL;
		}
	}
	return json_pack("{s:o, s:o}", "set", json_text(name), "prefixes", prefixes);
}

static int list_set(const struct set_target *t, bool json)
{
	struct prefix *all = NULL;
	char buf[PREFIX_STRLEN], err[ERRLEN];
	size_t n = 0;
	int ret = ut_set_members(&t->fds, &all, &n);

	if (ret) {
		ut_error("cannot read set '%s': %s", t->set->name, strerror(-ret));
		return ret;
	}
	if (json) {
		ret = ut_json_print(list_json(t->set->name, all, n), t->set->name, err,
				    sizeof(err));
		if (ret)
			ut_error("%s", err);
	} else {
		for (size_t i = 0; i < n; i++)
			printf("%s\n", prefix_format(&all[i], buf));
	}
	free(all);
	return ret;
}

/* Rules compiled for one family do not see the other's members. */
static void note_families(const struct objmeta_set *set, const struct prefix *p, size_t n)
{
	char buf[PREFIX_STRLEN];

	for (size_t i = 0; i < n; i++) {
		if (set->families && !(set->families & p[i].family))
			ut_note("the rules using set '%s' were compiled for %s only: %s will not match until the policy is recompiled",
				set->name, set->families == FAM_V4 ? "IPv4" : "IPv6",
				prefix_format(&p[i], buf));
	}
}

int cmd_set(int argc, char **argv)
{
	struct prefix *prefixes = NULL;
	struct set_target t;
	struct set_args a;
	struct ut_where w;
	char err[ERRLEN];
	int lock, ret;

	if (parse_set(argc, argv, &a))
		return UT_EXIT_USAGE;
	if (parse_prefixes(&a, &prefixes))
		return UT_EXIT_FAIL;
	ret = ut_where_init(&w, a.ifname, err, sizeof(err));
	if (ret) {
		ut_error("%s", err);
		free(prefixes);
		return UT_EXIT_FAIL;
	}
	if (ut_need_privileges("set")) {
		free(prefixes);
		return UT_EXIT_FAIL;
	}
	lock = ut_lock(a.op != SET_LIST, err, sizeof(err));
	if (lock < 0) {
		ut_error("%s", err);
		free(prefixes);
		return UT_EXIT_FAIL;
	}
	ret = open_set(&w, a.name, &t, err, sizeof(err));
	if (ret)
		ut_error("%s", err);
	else if (a.op == SET_LIST)
		ret = list_set(&t, a.json);
	else if ((ret = set_edit(&t, a.op == SET_ADD, prefixes, a.n, err, sizeof(err))))
		ut_error("%s", err);
	else if (a.op == SET_ADD)
		note_families(t.set, prefixes, a.n);
	close_set(&t);
	close(lock);
	free(prefixes);
	return ret ? UT_EXIT_FAIL : UT_EXIT_OK;
}
