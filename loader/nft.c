#include "nft.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nftables/libnftables.h>

#include "errors.h"

struct mark {
	__u32 value, mask;
};

static int mark_cmp(const void *a, const void *b)
{
	const struct mark *x = a, *y = b;

	if (x->mask != y->mask)
		return x->mask < y->mask ? -1 : 1;
	if (x->value != y->value)
		return x->value < y->value ? -1 : 1;
	return 0;
}

void nft_prefix(size_t index, char *buf, size_t size)
{
	snprintf(buf, size, "i%zu_", index);
}

/* Is line[0..len) a template counter declaration `counter %UT%rID { }`? */
static bool counter_decl(const char *line, size_t len, __u32 *id)
{
	static const char head[] = "counter " NFT_PLACEHOLDER "r";
	static const char tail[] = " { }";
	size_t hl = sizeof(head) - 1, tl = sizeof(tail) - 1, i;
	unsigned long long v = 0;

	if (len <= hl + tl || strncmp(line, head, hl) != 0 ||
	    strncmp(line + len - tl, tail, tl) != 0)
		return false;
	for (i = hl; i < len - tl; i++) {
		if (line[i] < '0' || line[i] > '9' || v > 0xffffffffULL / 10)
			return false;
		v = v * 10 + (unsigned)(line[i] - '0');
	}
	if (v > 0xffffffffULL)
		return false;
	*id = (__u32)v;
	return true;
}

/* An egress template, one tab deeper, with prefix for the placeholder and
 * the counters' starting values. */
static void put_template(FILE *f, const struct nft_iface *i, const char *prefix)
{
	size_t plen = strlen(NFT_PLACEHOLDER);
	const char *t = i->egress;

	while (*t) {
		const char *eol = strchr(t, '\n');
		size_t len = eol ? (size_t)(eol - t) : strlen(t);
		const struct nft_counter *c = NULL;
		__u32 id;

		if (len && counter_decl(t, len, &id))
			c = nft_counter_find(i->counters, i->ncounters, id);
		if (c) {
			fprintf(f, "\tcounter %sr%u { packets %llu bytes %llu }\n", prefix, id,
				(unsigned long long)c->packets, (unsigned long long)c->bytes);
		} else {
			if (len)
				fputc('\t', f);
			for (size_t k = 0; k < len;) {
				if (strncmp(t + k, NFT_PLACEHOLDER, plen) == 0) {
					fputs(prefix, f);
					k += plen;
					continue;
				}
				fputc(t[k++], f);
			}
			fputc('\n', f);
		}
		t += len;
		if (*t == '\n')
			t++;
	}
}

/* flush set + add element for the sets of one interface. */
static void put_sets(FILE *f, const char *prefix, const struct nft_set_elems *sets, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *elems[2] = {sets[i].v4, sets[i].v6};
		for (int fam = 0; fam < 2; fam++) {
			const char *v = fam ? "v6" : "v4";
			fprintf(f, "flush set %s %s %ss%u%s\n", NFT_FAMILY, NFT_TABLE, prefix,
				sets[i].index, v);
			if (elems[fam] && elems[fam][0])
				fprintf(f, "add element %s %s %ss%u%s { %s }\n", NFT_FAMILY,
					NFT_TABLE, prefix, sets[i].index, v, elems[fam]);
		}
	}
}

static bool has_egress(const struct nft_iface *i)
{
	return i->egress && i->egress[0];
}

int nft_ruleset(const struct nft_iface *ifaces, size_t n, char **text, char *err, size_t errlen)
{
	struct mark *marks = NULL;
	size_t nmarks = 0, len = 0;
	bool egress = false;
	char *buf = NULL;
	FILE *f = NULL;
	int ret = 0;

	*text = NULL;
	for (size_t i = 0; i < n; i++) {
		if (!nft_iface_ok(ifaces[i].ifname)) {
			ret = ut_fail(-EINVAL, err, errlen,
				      "interface name '%s' cannot be written in an nftables rule",
				      ifaces[i].ifname);
			goto cleanup;
		}
		egress |= has_egress(&ifaces[i]);
	}
	marks = calloc(n ? n : 1, sizeof(*marks));
	f = open_memstream(&buf, &len);
	if (!marks || !f) {
		ret = ut_fail(-ENOMEM, err, errlen, "out of memory");
		goto cleanup;
	}
	for (size_t i = 0; i < n; i++)
		marks[i] = (struct mark){ifaces[i].mark_value, ifaces[i].mark_mask};
	qsort(marks, n, sizeof(*marks), mark_cmp);
	for (size_t i = 0; i < n; i++)
		if (i == 0 || mark_cmp(&marks[i], &marks[nmarks - 1]) != 0)
			marks[nmarks++] = marks[i];

	/* "add" first, so that "delete" cannot fail on a missing table. */
	fprintf(f, "add table %s %s\ndelete table %s %s\n", NFT_FAMILY, NFT_TABLE, NFT_FAMILY,
		NFT_TABLE);
	if (n == 0)
		goto done;
	fprintf(f,
		"table %s %s {\n"
		"\tcomment \"untrack(8): rebuilt on every attach, replace and detach; do not edit\"\n"
		"\tchain prerouting {\n"
		"\t\ttype filter hook prerouting priority raw; policy accept;\n",
		NFT_FAMILY, NFT_TABLE);
	for (size_t i = 0; i < nmarks; i++)
		fprintf(f,
			"\t\tmeta mark & 0x%08x == 0x%08x notrack comment \"accepted by untrack in XDP\"\n",
			marks[i].mask, marks[i].value);
	fputs("\t}\n", f);
	if (egress) {
		char prefix[UT_NFT_PREFIX_MAX];
		fputs("\tchain output {\n"
		      "\t\ttype filter hook output priority raw; policy accept;\n",
		      f);
		for (size_t i = 0; i < n; i++) {
			if (!has_egress(&ifaces[i]))
				continue;
			nft_prefix(i, prefix, sizeof(prefix));
			fprintf(f, "\t\toifname \"%s\" jump %segress\n", ifaces[i].ifname, prefix);
		}
		fputs("\t}\n", f);
		for (size_t i = 0; i < n; i++) {
			if (!has_egress(&ifaces[i]))
				continue;
			nft_prefix(i, prefix, sizeof(prefix));
			put_template(f, &ifaces[i], prefix);
		}
	}
	fputs("}\n", f);
	for (size_t i = 0; i < n; i++) {
		char prefix[UT_NFT_PREFIX_MAX];
		if (!has_egress(&ifaces[i]))
			continue;
		nft_prefix(i, prefix, sizeof(prefix));
		put_sets(f, prefix, ifaces[i].sets, ifaces[i].nsets);
	}
done:
	if (fclose(f)) {
		f = NULL;
		ret = ut_fail(-ENOMEM, err, errlen, "out of memory");
		goto cleanup;
	}
	f = NULL;
	*text = buf;
	buf = NULL;
cleanup:
	if (f)
		fclose(f);
	free(buf);
	free(marks);
	return ret;
}

/* nftables' error text, on one line. */
static void copy_error(const char *msg, char *err, size_t errlen)
{
	size_t used = strlen(err);

	for (const char *c = msg; *c && used + 1 < errlen; c++) {
		if (*c == '\n') {
			if (c[1] == '\0')
				break;
			if (used + 3 >= errlen)
				break;
			err[used++] = ';';
			err[used++] = ' ';
			continue;
		}
		err[used++] = *c;
	}
	err[used] = '\0';
}

int nft_run(const char *text, const char *what, char **out, char *err, size_t errlen)
{
	struct nft_ctx *ctx = NULL;
	int ret = 0;

	if (out)
		*out = NULL;
	ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!ctx)
		return ut_fail(-ENOMEM, err, errlen, "cannot start libnftables");
	if (out)
		nft_ctx_output_set_flags(ctx, NFT_CTX_OUTPUT_JSON);
	if (nft_ctx_buffer_output(ctx) || nft_ctx_buffer_error(ctx)) {
		ret = ut_fail(-ENOMEM, err, errlen, "cannot start libnftables");
		goto cleanup;
	}
	if (nft_run_cmd_from_buffer(ctx, text)) {
		const char *msg = nft_ctx_get_error_buffer(ctx);
		ret = ut_fail(-EIO, err, errlen, "%s: ", what);
		copy_error(msg && *msg ? msg : "unknown error", err, errlen);
		if (msg && strstr(msg, "Operation not permitted"))
			ret = -EPERM;
		else if (msg && strstr(msg, "No such file or directory"))
			ret = -ENOENT;
		goto cleanup;
	}
	if (out) {
		const char *o = nft_ctx_get_output_buffer(ctx);
		*out = strdup(o ? o : "");
		if (!*out)
			ret = ut_fail(-ENOMEM, err, errlen,
				      "out of memory copying the output of '%s'", text);
	}
cleanup:
	nft_ctx_free(ctx); /* unlike libbpf's, it does not take NULL */
	return ret;
}

int nft_apply(const struct nft_iface *ifaces, size_t n, char *err, size_t errlen)
{
	char *text = NULL;
	int ret;

	ret = nft_ruleset(ifaces, n, &text, err, errlen);
	if (!ret)
		ret = nft_run(text, "nftables refused the untrack table", NULL, err, errlen);
	free(text);
	return ret;
}

int nft_sets_text(const char *prefix, const struct nft_set_elems *sets, size_t n, char **text,
		  char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	*text = NULL;
	if (!f)
		return ut_fail(-ENOMEM, err, errlen, "out of memory");
	put_sets(f, prefix, sets, n);
	if (fclose(f)) {
		free(buf);
		return ut_fail(-ENOMEM, err, errlen, "out of memory");
	}
	*text = buf;
	return 0;
}

int nft_sets_apply(const char *prefix, const struct nft_set_elems *sets, size_t n, char *err,
		   size_t errlen)
{
	char *text = NULL;
	int ret;

	if (n == 0)
		return 0;
	ret = nft_sets_text(prefix, sets, n, &text, err, errlen);
	if (!ret)
		ret = nft_run(text, "nftables refused the set update", NULL, err, errlen);
	free(text);
	return ret;
}

int nft_counter_cmp(const void *a, const void *b)
{
	const struct nft_counter *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

const struct nft_counter *nft_counter_find(const struct nft_counter *c, size_t n, __u32 id)
{
	struct nft_counter key = {.id = id};

	if (!c || !n)
		return NULL;
	return bsearch(&key, c, n, sizeof(key), nft_counter_cmp);
}
