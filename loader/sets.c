/* untrack set IFACE NAME add|del|list [PREFIX...]: the named sets of the
 * running policy, edited in place. A set's maps are found by the set's index
 * in the pinned policy's metadata; seed_tables.c rebuilds its tables into
 * the generation no packet reads and switches over with one store, so a
 * change is all or nothing, for every packet from the next one on.
 *
 * A set that egress rules use is also an nftables set pair (PREFIXsIv4,
 * PREFIXsIv6, docs/egress.md): after the maps change, one nftables
 * transaction replaces its contents with the maps' new members, so one edit
 * changes both directions. If nftables refuses, the maps are put back and
 * the command fails. If the table (or the interface's part of it) is
 * missing, the maps keep the change, with a note: egress rules are not in
 * force then, and whatever rebuilds the table fills the sets from the maps.
 *
 * For tests, UNTRACK_FAIL_AFTER=set makes add and del fail after both
 * changes, so that the undo runs for real. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "objfmt/addr.h"
#include "commands.h"
#include "nft.h"
#include "objfmt/objmeta.h"
#include "seed_tables.h"
#include "state.h"
#include "untrack_abi.h"

#define ERRLEN 1024

enum set_op { SET_ADD, SET_DEL, SET_LIST };

/* The prefix of the interface's objects in the live table; -ENOENT when the
 * table or the interface's jump is not there. */
static int live_prefix(const char *ifname, char *prefix, size_t size, char *err, size_t errlen)
{
	struct nft_live live;
	const struct nft_live_iface *li;
	int ret = nft_live_read(&live, err, errlen);

	if (ret)
		return ret;
	li = nft_live_find(&live, ifname);
	if (li)
		snprintf(prefix, size, "%s", li->prefix);
	else
		ret = -ENOENT;
	nft_live_free(&live);
	return ret;
}

/* Refill the nftables sets of set number index from its maps. */
static int sync_nft(const char *policy_dir, const struct objmeta *meta, size_t index,
		    const char *prefix, char *err, size_t errlen)
{
	struct ut_egress_sets sets;
	int ret = ut_egress_sets_read(policy_dir, meta, (long)index, &sets, err, errlen);

	if (ret)
		return ret;
	ret = nft_sets_apply(prefix, sets.sets, sets.n, err, errlen);
	ut_egress_sets_free(&sets);
	return ret;
}

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

static int list_set(const struct ut_set_fds *f, const char *name, bool json)
{
	struct prefix *all = NULL;
	char buf[PREFIX_STRLEN];
	size_t n = 0;
	int ret = ut_set_members(f, &all, &n);

	if (ret) {
		ut_error("cannot read set '%s': %s", name, strerror(-ret));
		return ret;
	}
	if (json) {
		printf("{\"set\": ");
		ut_json_string(stdout, name);
		printf(", \"prefixes\": [");
	}
	for (size_t i = 0; i < n; i++) {
		prefix_format(&all[i], buf);
		if (json)
			printf("%s\"%s\"", i ? ", " : "", buf);
		else
			printf("%s\n", buf);
	}
	if (json)
		printf("]}\n");
	free(all);
	return 0;
}

int cmd_set(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct prefix *prefixes = NULL, *old = NULL;
	struct ut_where w;
	struct ut_info info;
	struct objmeta meta = {0};
	const struct objmeta_set *set = NULL;
	struct ut_set_fds fds = {.hdr = -1, .v4 = -1, .v6 = -1, .members = -1};
	char err[ERRLEN], buf[PREFIX_STRLEN], policy_dir[PATH_MAX], prefix[UT_NFT_PREFIX_MAX] = "";
	char *tmpl = NULL;
	size_t index = 0, nprefixes = 0, bad = 0, nold = 0;
	enum set_op op;
	bool json = false, egress = false;
	int c, ret, lock = -1, status = UT_EXIT_FAIL;

	optind = 1;
	opterr = 0;
	/* '+': stop at the first operand, so that PREFIX arguments are never
	 * taken for options. */
	while ((c = getopt_long(argc, argv, "+:hj", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return UT_EXIT_OK;
		default:
			ut_error("unknown option '%s' for set", argv[optind - 1]);
			return UT_EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	/* --json may also come last, after list. */
	if (argc == 4 && strcmp(argv[2], "list") == 0 && strcmp(argv[3], "--json") == 0) {
		json = true;
		argc = 3;
	}
	if (argc < 3) {
		ut_error("set needs an interface, a set name and add, del or list");
		usage(stderr);
		return UT_EXIT_USAGE;
	}
	if (strcmp(argv[2], "add") == 0) {
		op = SET_ADD;
	} else if (strcmp(argv[2], "del") == 0) {
		op = SET_DEL;
	} else if (strcmp(argv[2], "list") == 0) {
		op = SET_LIST;
	} else {
		ut_error("set: '%s' is not add, del or list", argv[2]);
		return UT_EXIT_USAGE;
	}
	if (op == SET_LIST && argc != 3) {
		ut_error("set ... list takes no prefixes");
		return UT_EXIT_USAGE;
	}
	if (op != SET_LIST && argc == 3) {
		ut_error("set ... %s needs at least one prefix", argv[2]);
		return UT_EXIT_USAGE;
	}
	/* Every prefix is checked before anything changes. */
	nprefixes = (size_t)argc - 3;
	prefixes = calloc(nprefixes ? nprefixes : 1, sizeof(*prefixes));
	if (!prefixes) {
		ut_error("out of memory");
		return UT_EXIT_FAIL;
	}
	for (size_t i = 0; i < nprefixes; i++) {
		const char *text = argv[3 + i];
		switch (prefix_parse(text, &prefixes[i])) {
		case ADDR_OK:
			break;
		case ADDR_HOST_BITS:
			ut_error("'%s' has bits set past its length: did you mean %s?", text,
				 prefix_format(&prefixes[i], buf));
			goto cleanup;
		case ADDR_BAD_LENGTH:
			ut_error("'%s': the prefix length is not valid for its family", text);
			goto cleanup;
		default:
			ut_error("'%s' is not an IPv4 or IPv6 address or prefix", text);
			goto cleanup;
		}
	}

	for (size_t i = 0; i < nprefixes; i++) {
		for (size_t k = 0; k < i; k++) {
			if (prefix_cmp(&prefixes[i], &prefixes[k]) == 0) {
				ut_error("%s is given twice", prefix_format(&prefixes[i], buf));
				goto cleanup;
			}
		}
	}

	if (ut_where_init(&w, argv[0], err, sizeof(err))) {
		ut_error("%s", err);
		goto cleanup;
	}
	if (ut_need_privileges("set"))
		goto cleanup;
	lock = ut_lock(op != SET_LIST, err, sizeof(err));
	if (lock < 0) {
		ut_error("%s", err);
		goto cleanup;
	}
	if (ut_state_load(&w, &info, &meta, err, sizeof(err))) {
		ut_error("%s", err);
		goto cleanup;
	}
	for (index = 0; index < meta.nsets; index++) {
		if (strcmp(meta.sets[index].name, argv[1]) == 0) {
			set = &meta.sets[index];
			break;
		}
	}
	if (!set) {
		ut_error("the policy on %s has no set named '%s'%s", w.ifname, argv[1],
			 meta.nsets ? "" : " (it has no sets)");
		goto cleanup;
	}
	if (ut_path(policy_dir, sizeof(policy_dir), w.pin_dir, UT_POLICY_DIR)) {
		ut_error("pin path too long");
		goto cleanup;
	}
	ret = ut_set_open(policy_dir, index, &fds);
	if (ret) {
		ut_error("cannot open the maps of set '%s' under %s: %s", set->name, w.pin_dir,
			 strerror(-ret));
		goto cleanup;
	}
	if (op == SET_LIST) {
		status = list_set(&fds, set->name, json) ? UT_EXIT_FAIL : UT_EXIT_OK;
		goto cleanup;
	}
	/* Egress rules use the set: its nftables sets follow the maps. */
	if (set->egress) {
		if (ut_nft_read(&w, &tmpl, err, sizeof(err))) {
			ut_error("%s", err);
			goto cleanup;
		}
		egress = tmpl[0] != '\0';
	}
	if (egress) {
		ret = ut_set_members(&fds, &old, &nold);
		if (ret) {
			ut_error("cannot read set '%s': %s", set->name, strerror(-ret));
			goto cleanup;
		}
	}
	ret = ut_set_change(&fds, op == SET_ADD, prefixes, nprefixes, &bad, err, sizeof(err));
	if (ret) {
		prefix_format(&prefixes[bad < nprefixes ? bad : 0], buf);
		if (ret == -EEXIST)
			ut_error("%s is already in set '%s'; set left unchanged", buf, set->name);
		else if (ret == -ENOENT)
			ut_error("%s is not in set '%s'; set left unchanged", buf, set->name);
		else if (ret == -ENOSPC)
			ut_error("set '%s' would not fit its maps (%s); set left unchanged",
				 set->name, err);
		else
			ut_error("cannot change set '%s': %s", set->name, err);
		goto cleanup;
	}
	if (egress) {
		ret = live_prefix(w.ifname, prefix, sizeof(prefix), err, sizeof(err));
		if (ret == -ENOENT) {
			ut_note("the nftables part of %s is missing (see 'untrack status'): the set changed for ingress; egress rules are not in force until 'untrack attach' puts the table back",
				w.ifname);
		} else {
			if (!ret)
				ret = sync_nft(policy_dir, &meta, index, prefix, err, sizeof(err));
			if (!ret && getenv("UNTRACK_FAIL_AFTER") &&
			    strcmp(getenv("UNTRACK_FAIL_AFTER"), "set") == 0) {
				snprintf(err, sizeof(err),
					 "failure injected after step 'set' (UNTRACK_FAIL_AFTER)");
				ret = -EIO;
			}
			if (ret) {
				char undo_err[ERRLEN];
				/* Both directions as they were. */
				ut_set_replace(&fds, old, nold, undo_err, sizeof(undo_err));
				if (prefix[0])
					sync_nft(policy_dir, &meta, index, prefix, undo_err,
						 sizeof(undo_err));
				ut_error(
					"cannot change set '%s' in nftables: %s; set left unchanged",
					set->name, err);
				goto cleanup;
			}
		}
	}
	for (size_t i = 0; i < nprefixes && op == SET_ADD; i++) {
		if (set->families && !(set->families & prefixes[i].family))
			ut_note("the rules using set '%s' were compiled for %s only: %s will not match until the policy is recompiled",
				set->name, set->families == FAM_V4 ? "IPv4" : "IPv6",
				prefix_format(&prefixes[i], buf));
	}
	status = UT_EXIT_OK;
cleanup:
	free(prefixes);
	free(old);
	free(tmpl);
	objmeta_free(&meta);
	ut_set_close(&fds);
	if (lock >= 0)
		close(lock);
	return status;
}
