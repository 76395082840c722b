/* Reading untrack's live table back (nft.h): which interface's output rule
 * jumps to which prefix, and the values of the egress rules' named
 * counters. Read through libnftables' JSON output, so nothing depends on
 * how nft lays out its text. */
#include "nft.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "errors.h"

/* Call fn for each object of kind ("table", "rule", "counter") in a
 * listing's JSON ({"nftables": [{KIND: {...}}, ...]}); stop at the first
 * failure. */
static int each_object(const char *text, const char *kind,
		       int (*fn)(json_t *o, struct nft_live *live, char *err, size_t errlen),
		       struct nft_live *live, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root = json_loads(text, 0, &jerr), *items, *item;
	size_t i;
	int ret = 0;

	if (!root)
		return ut_fail(-EINVAL, err, errlen,
			       "cannot read nftables' JSON listing of %ss: %s (at line %d)", kind,
			       jerr.text, jerr.line);
	items = json_object_get(root, "nftables");
	if (!json_is_array(items))
		ret = ut_fail(-EINVAL, err, errlen,
			      "nftables' JSON listing of %ss has no \"nftables\" array", kind);
	json_array_foreach(items, i, item)
	{
		json_t *o = json_object_get(item, kind);
		if (json_is_object(o) && (ret = fn(o, live, err, errlen)))
			break;
	}
	json_decref(root);
	return ret;
}

static bool string_is(json_t *v, const char *want)
{
	return json_is_string(v) && strcmp(json_string_value(v), want) == 0;
}

static int is_our_table(json_t *t, struct nft_live *live, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	if (string_is(json_object_get(t, "family"), NFT_FAMILY) &&
	    string_is(json_object_get(t, "name"), NFT_TABLE))
		live->present = true;
	return 0;
}

static bool prefix_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

/* A rule `oifname "NAME" jump PREFIXegress` of the output chain, as the
 * expressions [{"match": {"op": "==", "left": {"meta": {"key": "oifname"}},
 * "right": NAME}}, {"jump": {"target": "PREFIXegress"}}]; any other rule is
 * not untrack's and is passed over. */
static int add_jump(json_t *rule, struct nft_live *live, char *err, size_t errlen)
{
	static const char tail[] = "egress";
	json_t *expr = json_object_get(rule, "expr");
	json_t *match = json_object_get(json_array_get(expr, 0), "match");
	json_t *key =
		json_object_get(json_object_get(json_object_get(match, "left"), "meta"), "key");
	const char *op = json_string_value(json_object_get(match, "op"));
	const char *name = json_string_value(json_object_get(match, "right"));
	const char *target = json_string_value(
		json_object_get(json_object_get(json_array_get(expr, 1), "jump"), "target"));
	size_t nlen, plen;
	struct nft_live_iface *grown;

	if (json_array_size(expr) != 2 || !op || strcmp(op, "==") != 0 ||
	    !string_is(key, "oifname") || !name || !target)
		return 0;
	nlen = strlen(name);
	plen = strlen(target);
	if (nlen == 0 || nlen >= IF_NAMESIZE || plen <= sizeof(tail) - 1 ||
	    plen - (sizeof(tail) - 1) >= UT_NFT_PREFIX_MAX ||
	    strcmp(target + plen - (sizeof(tail) - 1), tail) != 0)
		return 0;
	plen -= sizeof(tail) - 1;
	for (size_t k = 0; k < plen; k++)
		if (!prefix_char(target[k]))
			return 0;
	grown = realloc(live->ifaces, (live->n + 1) * sizeof(*grown));
	if (!grown)
		return ut_fail(-ENOMEM, err, errlen,
			       "out of memory reading the output chain's rule for %s", name);
	live->ifaces = grown;
	memset(&live->ifaces[live->n], 0, sizeof(live->ifaces[live->n]));
	memcpy(live->ifaces[live->n].ifname, name, nlen);
	memcpy(live->ifaces[live->n].prefix, target, plen);
	live->n++;
	return 0;
}

/* The interface and rule id a counter name PREFIXrID belongs to. */
static struct nft_live_iface *counter_owner(struct nft_live *live, const char *name, __u32 *id)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < live->n; i++) {
		const char *p = live->ifaces[i].prefix;
		size_t pl = strlen(p);
		unsigned long long v = 0;
		size_t k;

		if (len < pl + 2 || strncmp(name, p, pl) != 0 || name[pl] != 'r')
			continue;
		for (k = pl + 1; k < len && name[k] >= '0' && name[k] <= '9' && v <= 0xffffffffULL;
		     k++)
			v = v * 10 + (unsigned)(name[k] - '0');
		if (k != len || v > 0xffffffffULL)
			continue;
		*id = (__u32)v;
		return &live->ifaces[i];
	}
	return NULL;
}

static int add_counter(json_t *c, struct nft_live *live, char *err, size_t errlen)
{
	const char *name = json_string_value(json_object_get(c, "name"));
	json_t *packets = json_object_get(c, "packets"), *bytes = json_object_get(c, "bytes");
	struct nft_live_iface *owner;
	struct nft_counter *grown;
	__u32 id = 0;

	if (!name || !json_is_integer(packets) || !json_is_integer(bytes))
		return 0;
	owner = counter_owner(live, name, &id);
	if (!owner)
		return 0;
	grown = realloc(owner->counters, (owner->ncounters + 1) * sizeof(*grown));
	if (!grown)
		return ut_fail(-ENOMEM, err, errlen, "out of memory reading counter %s", name);
	owner->counters = grown;
	owner->counters[owner->ncounters++] =
		(struct nft_counter){.id = id,
				     .packets = (__u64)json_integer_value(packets),
				     .bytes = (__u64)json_integer_value(bytes)};
	return 0;
}

int nft_live_parse(const char *chain, const char *counters, struct nft_live *live, char *err,
		   size_t errlen)
{
	int ret = each_object(chain, "rule", add_jump, live, err, errlen);

	if (!ret)
		ret = each_object(counters, "counter", add_counter, live, err, errlen);
	for (size_t i = 0; !ret && i < live->n; i++)
		qsort(live->ifaces[i].counters, live->ifaces[i].ncounters,
		      sizeof(*live->ifaces[i].counters), nft_counter_cmp);
	return ret;
}

int nft_live_read(struct nft_live *live, char *err, size_t errlen)
{
	char *tables = NULL, *chain = NULL, *counters = NULL;
	int ret;

	memset(live, 0, sizeof(*live));
	ret = nft_run("list tables " NFT_FAMILY, "cannot list the nftables tables", &tables, err,
		      errlen);
	if (!ret)
		ret = each_object(tables, "table", is_our_table, live, err, errlen);
	if (ret || !live->present)
		goto cleanup;
	/* No output chain: no interface has egress rules. */
	ret = nft_run("list chain " NFT_FAMILY " " NFT_TABLE " output",
		      "cannot list the untrack table's output chain", &chain, err, errlen);
	if (ret) {
		ret = ret == -ENOENT ? 0 : ret;
		goto cleanup;
	}
	ret = nft_run("list counters table " NFT_FAMILY " " NFT_TABLE,
		      "cannot list the untrack table's counters", &counters, err, errlen);
	if (!ret)
		ret = nft_live_parse(chain, counters, live, err, errlen);
cleanup:
	if (ret)
		nft_live_free(live);
	free(tables);
	free(chain);
	free(counters);
	return ret;
}

const struct nft_live_iface *nft_live_find(const struct nft_live *live, const char *ifname)
{
	for (size_t i = 0; live && i < live->n; i++)
		if (strcmp(live->ifaces[i].ifname, ifname) == 0)
			return &live->ifaces[i];
	return NULL;
}

void nft_live_free(struct nft_live *live)
{
	for (size_t i = 0; i < live->n; i++)
		free(live->ifaces[i].counters);
	free(live->ifaces);
	memset(live, 0, sizeof(*live));
}
