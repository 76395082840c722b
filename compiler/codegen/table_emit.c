/* The table strategy: rules as data, for policies too large for straight-line
 * code.
 *
 * Every ingress rule is filed under one "key" field, the condition that
 * narrows it down most (a source or destination address, a port, the
 * protocol), or under no field ("wild"). For each key field the compiler
 * splits the field's values into classes that the same rules accept:
 * addresses by the longest of the filed rules' prefixes that contains them
 * (objfmt/settables.h: a direct table over the top 16 bits, a hash of /24 blocks,
 * leaves; IPv6 a hash per prefix length), ports by elementary interval
 * (a 65,536-entry array), protocols by value. A class holds the ids of the
 * rules it can match, in evaluation order.
 *
 * Per packet: one lookup per key field in use gives a candidate list per
 * field; the lists are merged by rule id, and each candidate is checked in
 * full against a rule descriptor (families, readable fields, protocol,
 * ICMP, ports, addresses, sets) by one generic function. The first
 * allow/deny/pass candidate that matches decides; log candidates that
 * match on the way are logged, in order. So a packet costs the lookups plus
 * the candidates it actually has, whatever the number of rules.
 *
 * All tables are one read-only byte array in the object (.rodata, frozen by
 * libbpf): nothing for the loader to seed, and clang's time stays flat
 * because the code does not grow with the policy. Named sets stay maps the
 * loader owns (untrack_abi.h); rules that use them check them per
 * candidate. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "codegen/cwrite.h"
#include "codegen/emit.h"
#include "objfmt/settables.h"
#include "untrack_abi.h"
#include "base/xalloc.h"

enum tkey { TK_WILD, TK_SRC, TK_DST, TK_SPORT, TK_DPORT, TK_PROTO, TK_NR };
static const char *const tkey_names[TK_NR] = {"WILD", "SRC", "DST", "SPORT", "DPORT", "PROTO"};

/* Rule descriptor flags (struct ut_tr.flags), written into the generated C
 * as UT_TF_* by emit_flags(). */
#define TF_SRC	 0x0008 /* has a source condition not checked by the key */
#define TF_DST	 0x0010
#define TF_SNEG	 0x0020
#define TF_DNEG	 0x0040
#define TF_SPNEG 0x0080
#define TF_DPNEG 0x0100

/* Inline loops up to this bound; longer lists go through bpf_loop. */
#define INLINE_LOOP_MAX	  64
/* A packet with at most this many candidates from a single list checks
 * them inline, without function calls. */
#define INLINE_CANDIDATES 4
/* IPv6 classification probes up to this many prefix lengths inline. */
#define INLINE_LENGTHS6	  8

/* The entries of the tables, declared once for both sides: the compiler
 * fills them (struct tr, ...), the generated C reads them (struct ut_tr,
 * ...). X(BITS, DOC, NAMES...) declares NAMES as unsigned BITS-bit fields;
 * DOC is a comment for the generated C, or "". */
#define FIELD_C(bits, doc, ...)	  uint##bits##_t __VA_ARGS__;
#define FIELD_BPF(bits, doc, ...) "\t__u" #bits " " #__VA_ARGS__ ";" doc "\n"
#define DOC(text)		  " /* " text " */"

/* A rule's descriptor, by rule id. m0/v0 and m1/v1 hold the conditions on
 * ut_state bytes 0..7 (family, has, proto, ports) and 8..9 (ICMP type,
 * code) that are single values, as masked compares: (word & m) == v. The
 * rest are list conditions, lists of entries in the tables named. */
#define TR_FIELDS(X)                                                                               \
	X(64, DOC("bytes 0..7 of ut_state: (word & m0) == v0"), m0, v0)                            \
	X(16, DOC("bytes 8..9: (word & m1) == v1"), m1, v1)                                        \
	X(8, DOC("UT_VERDICT_* (NONE: log); UT_TK_*: filed under"), verdict, key, _pad0, _pad1)    \
	X(16, DOC("UT_TF_*; entries in UT_TAB_RANGES and UT_TAB_SETS"), flags, sp_n, dp_n, ss_n,   \
	  ds_n, _pad2)                                                                             \
	X(32, DOC("where those start"), sp_off, dp_off, ss_off, ds_off)                            \
	X(32, DOC("where the prefixes start: UT_TAB_PREFIXES4, 6"), s4_off, s6_off, d4_off,        \
	  d6_off)                                                                                  \
	X(16, DOC("and how many"), s4_n, s6_n, d4_n, d6_n)

/* A class: its candidate list, entries off..off+cnt of UT_TAB_IDS. */
#define TL_FIELDS(X) X(32, "", off, cnt)

/* An IPv4 leaf holding two classes: bit a of bits says which for the
 * address ending in a. */
#define TBIT_FIELDS(X) X(32, "", bits[8]) X(32, "", c0, c1)

/* An IPv4 /24 block in the hash: objfmt/settables.h's struct lpm4_slot. */
#define TSLOT_FIELDS(X) X(32, "", key, val)

/* An IPv6 prefix in the hash: len1 is its length + 1 (0: empty slot). */
#define TSLOT6_FIELDS(X) X(64, "", hi, lo) X(32, "", len1, val)

/* An IPv6 prefix length present, with its mask. */
#define TLEN6_FIELDS(X) X(64, "", mhi, mlo) X(32, "", len, _pad)

struct tr {
	TR_FIELDS(FIELD_C)
};
struct tl {
	TL_FIELDS(FIELD_C)
};
struct tbit {
	TBIT_FIELDS(FIELD_C)
};
struct tslot6 {
	TSLOT6_FIELDS(FIELD_C)
};
struct tlen6 {
	TLEN6_FIELDS(FIELD_C)
};

/* The generated C's declarations of the same, with the size each must
 * have (checked there by _Static_assert). */
static const struct {
	const char *decl;
	const char *name;
	size_t size;
} entry_types[] = {
	{"struct ut_tr {\n" TR_FIELDS(FIELD_BPF) "};\n", "ut_tr", sizeof(struct tr)},
	{"struct ut_tl {\n" TL_FIELDS(FIELD_BPF) "};\n", "ut_tl", sizeof(struct tl)},
	{"struct ut_tslot {\n" TSLOT_FIELDS(FIELD_BPF) "};\n", "ut_tslot",
	 sizeof(struct lpm4_slot)},
	{"struct ut_tbit {\n" TBIT_FIELDS(FIELD_BPF) "};\n", "ut_tbit", sizeof(struct tbit)},
	{"struct ut_tslot6 {\n" TSLOT6_FIELDS(FIELD_BPF) "};\n", "ut_tslot6",
	 sizeof(struct tslot6)},
	{"struct ut_tlen6 {\n" TLEN6_FIELDS(FIELD_BPF) "};\n", "ut_tlen6", sizeof(struct tlen6)},
};

/* UT_VERDICT_* of untrack_abi.h (defined on its BPF side only). */
enum { TV_NONE, TV_PASS, TV_ACCEPT, TV_DROP };

/* ------------------------------------------------------------ growable blob */

struct blob {
	uint8_t *data;
	size_t len, cap;
};

static size_t blob_reserve(struct blob *b, size_t n, size_t align)
{
	size_t off = (b->len + align - 1) & ~(align - 1);

	if (off + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < off + n)
			cap *= 2;
		b->data = xreallocarray(b->data, cap, 1);
		memset(b->data + b->cap, 0, cap - b->cap);
		b->cap = cap;
	}
	b->len = off + n;
	return off;
}

static size_t blob_put(struct blob *b, const void *p, size_t n, size_t align)
{
	size_t off = blob_reserve(b, n, align);

	if (n)
		memcpy(b->data + off, p, n);
	return off;
}

/* An array followed by one zeroed element: the generated code clamps every
 * computed index to the array's length, which the verifier can follow, so
 * an index out of range (impossible by construction) reads the sentinel. */
static size_t blob_array(struct blob *b, const void *p, size_t n, size_t size)
{
	size_t off = blob_put(b, p, n * size, 8);

	blob_reserve(b, size, 1);
	return off;
}

/* The same with pad more zeroed elements: a list test clamps its start
 * once and then reads up to pad entries past it. */
static size_t blob_list(struct blob *b, const void *p, size_t n, size_t size, size_t pad)
{
	size_t off = blob_put(b, p, n * size, 8);

	blob_reserve(b, size * (pad + 1), 1);
	return off;
}

/* ------------------------------------------------------------ id lists */

/* Defined below; the layout names what it puts into the blob. */
struct table;
static void region_add(struct table *t, const char *tag, const char *name, size_t off, size_t n,
		       const char *what);

struct ids {
	uint32_t *v;
	size_t n, cap;
};

static void ids_push(struct ids *l, uint32_t id)
{
	XGROW(l->v, l->n, l->cap);
	l->v[l->n++] = id;
}

static int u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void ids_sort_unique(struct ids *l)
{
	size_t k = 0;

	/* an empty list has no array: qsort must not see its NULL */
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), u32_cmp);
	for (size_t i = 0; i < l->n; i++)
		if (k == 0 || l->v[k - 1] != l->v[i])
			l->v[k++] = l->v[i];
	l->n = k;
}

static void ids_copy(struct ids *dst, const struct ids *src)
{
	dst->n = 0;
	for (size_t i = 0; i < src->n; i++)
		ids_push(dst, src->v[i]);
}

/* ------------------------------------------------------------ the index */

/* One key field of one family (addresses) or of both (ports, protocol). */
enum field {
	F_SRC4,
	F_SRC6,
	F_DST4,
	F_DST6,
	F_SPORT,
	F_DPORT,
	F_PROTO,
	F_WILD,
	F_NR,
};
static const char *const field_names[F_NR] = {"src4",  "src6",	"dst4",	 "dst6",
					      "sport", "dport", "proto", "wild"};
/* The same in the generated C's names (UT_TAB_SRC4_TOP, UT_CLS_DPORT). */
static const char *const field_tags[F_NR] = {"SRC4",  "SRC6",  "DST4",	"DST6",
					     "SPORT", "DPORT", "PROTO", "WILD"};

struct findex {
	bool used;
	struct ids *lists; /* per class */
	size_t ncls;
	size_t maxlen;
	uint32_t cls_base; /* first entry in the class table */
	size_t nrules;	   /* rules filed here */
	/* lpm4 */
	struct lpm4 t4;
	size_t nbit, ntab;
	/* lpm6 */
	struct lpm6 t6;
	/* ports */
	bool pcls32;
};

/* A table in ut_tab, which the generated C names UT_TAB_<name>, with its
 * offset in bytes and its entries (UT_TAB_<name>_N). */
struct region {
	char name[16];
	const char *what; /* the type and meaning of an entry */
	size_t off, n;
};

struct table {
	const struct ir_program *p;
	enum tkey *key; /* per rule id */
	struct findex f[F_NR];
	struct blob blob;
	struct tr *rules;
	struct ids ranges, setrefs;
	uint32_t *p4; /* net, mask pairs (network order) */
	size_t np4, capp4;
	uint64_t *p6; /* net hi, lo, mask hi, lo */
	size_t np6, capp6;
	size_t maxr, maxp4, maxp6, maxs;
	size_t ncls, nids, bound;
	struct region *regions; /* in ut_tab, in the order laid out */
	size_t nregions, capregions;
	size_t nsets_used;
};

/* ------------------------------------------------------------ key choice */

static double addr_fraction(const struct ir_addr_match *m, uint8_t families)
{
	double worst = 0;

	if (!m || m->nsets)
		return 2;
	for (uint8_t fam = FAM_V4; fam <= FAM_V6; fam <<= 1) {
		double cov = 0;
		if (!(families & fam))
			continue;
		for (size_t i = 0; i < m->nprefixes; i++)
			if (m->prefixes[i].family == fam)
				cov += ldexp(1.0, -(int)m->prefixes[i].len);
		if (cov > 1)
			cov = 1;
		if (m->negate)
			cov = 1 - cov;
		if (cov > worst)
			worst = cov;
	}
	return worst;
}

static double port_fraction(const struct ir_port_match *m)
{
	double cov = 0;

	if (!m)
		return 2;
	for (size_t i = 0; i < m->nranges; i++)
		cov += (double)(m->ranges[i].hi - m->ranges[i].lo + 1) / 65536.0;
	return m->negate ? 1 - cov : cov;
}

/* The field that narrows the rule down most: the smallest share of the
 * field's values accepted. A long literal address list is always the key,
 * so that no candidate check loops over it. */
static enum tkey choose_key(const struct ir_rule *r)
{
	double score[TK_NR] = {
		[TK_WILD] = 1,
		[TK_SRC] = addr_fraction(r->src, r->families),
		[TK_DST] = addr_fraction(r->dst, r->families),
		[TK_SPORT] = port_fraction(r->sport),
		[TK_DPORT] = port_fraction(r->dport),
		/* tcp and udp are shared by most rules: a weak key */
		[TK_PROTO] = r->proto == IR_PROTO_ANY ? 2 : 1.0 / 64,
	};
	static const enum tkey pref[] = {TK_SRC, TK_DST, TK_DPORT, TK_SPORT, TK_PROTO};
	enum tkey best = TK_WILD;
	size_t biggest = 16;

	if (r->src && !r->src->nsets && r->src->nprefixes > biggest) {
		biggest = r->src->nprefixes;
		best = TK_SRC;
	}
	if (r->dst && !r->dst->nsets && r->dst->nprefixes > biggest)
		best = TK_DST;
	if (best != TK_WILD)
		return best;
	for (size_t i = 0; i < sizeof(pref) / sizeof(pref[0]); i++)
		if (score[pref[i]] < score[best])
			best = pref[i];
	return best;
}

/* ------------------------------------------------------------ address index */

struct node {
	struct prefix pfx;
	int64_t parent;
	struct ids pos, neg; /* rules with exactly this prefix */
};

static int node_cmp(const void *a, const void *b)
{
	return prefix_cmp(&((const struct node *)a)->pfx, &((const struct node *)b)->pfx);
}

static void ids_union(struct ids *out, const struct ids *a, const struct ids *b)
{
	out->n = 0;
	for (size_t i = 0; i < a->n; i++)
		ids_push(out, a->v[i]);
	for (size_t i = 0; i < b->n; i++)
		ids_push(out, b->v[i]);
	ids_sort_unique(out);
}

/* Lists for the classes of one address field and family: class 0 for an
 * address no filed prefix contains, class k + 1 for node k. */
static void build_addr_index(struct table *t, enum field fld, bool src, uint8_t fam)
{
	const struct ir_program *p = t->p;
	struct findex *fi = &t->f[fld];
	struct node *nodes = NULL;
	size_t nn = 0, capn = 0;
	struct ids negall = {0};

	for (size_t i = 0; i < p->nrules; i++) {
		const struct ir_rule *r = &p->rules[i];
		const struct ir_addr_match *m = src ? r->src : r->dst;
		if (r->dir != DIR_INGRESS || t->key[i] != (src ? TK_SRC : TK_DST) ||
		    !(r->families & fam))
			continue;
		fi->nrules++;
		if (m->negate)
			ids_push(&negall, r->id);
		for (size_t k = 0; k < m->nprefixes; k++) {
			if (m->prefixes[k].family != fam)
				continue;
			XGROW(nodes, nn, capn);
			memset(&nodes[nn], 0, sizeof(nodes[nn]));
			nodes[nn].pfx = m->prefixes[k];
			/* remember the rule in parent (reused below) */
			nodes[nn].parent = (int64_t)r->id;
			nn++;
		}
	}
	if (!fi->nrules) {
		free(nodes);
		return;
	}
	fi->used = true;
	/* Merge equal prefixes into one node, keeping their rules. */
	qsort(nodes, nn, sizeof(*nodes), node_cmp);
	size_t k = 0;
	for (size_t i = 0; i < nn; i++) {
		uint32_t id = (uint32_t)nodes[i].parent;
		const struct ir_rule *r = &p->rules[id];
		bool neg = (src ? r->src : r->dst)->negate;
		if (k == 0 || prefix_cmp(&nodes[k - 1].pfx, &nodes[i].pfx) != 0) {
			struct prefix pf = nodes[i].pfx;
			memset(&nodes[k], 0, sizeof(nodes[k]));
			nodes[k].pfx = pf;
			k++;
		}
		ids_push(neg ? &nodes[k - 1].neg : &nodes[k - 1].pos, id);
	}
	nn = k;
	/* Parents: in this order a prefix comes right after the prefixes
	 * containing it. */
	int64_t *stack = xcalloc(nn + 1, sizeof(*stack));
	size_t depth = 0;
	for (size_t i = 0; i < nn; i++) {
		while (depth && !prefix_contains(&nodes[stack[depth - 1]].pfx, nodes[i].pfx.addr))
			depth--;
		nodes[i].parent = depth ? stack[depth - 1] : -1;
		stack[depth++] = (int64_t)i;
	}
	free(stack);

	/* Per node: positive rules along the chain, negated rules NOT hit. */
	struct ids *pos = xcalloc(nn + 1, sizeof(*pos)), *neghit = xcalloc(nn + 1, sizeof(*neghit));
	fi->ncls = nn + 1;
	fi->lists = xcalloc(fi->ncls, sizeof(*fi->lists));
	ids_sort_unique(&negall);
	ids_copy(&fi->lists[0], &negall);
	struct lpm4_prefix *in4 = xcalloc(nn + 1, sizeof(*in4));
	struct lpm6_prefix *in6 = xcalloc(nn + 1, sizeof(*in6));
	for (size_t i = 0; i < nn; i++) {
		struct node *n = &nodes[i];
		if (n->parent >= 0) {
			ids_union(&pos[i], &pos[n->parent], &n->pos);
			ids_union(&neghit[i], &neghit[n->parent], &n->neg);
		} else {
			ids_union(&pos[i], &n->pos, &(struct ids){0});
			ids_union(&neghit[i], &n->neg, &(struct ids){0});
		}
		struct ids *l = &fi->lists[i + 1];
		for (size_t j = 0; j < pos[i].n; j++)
			ids_push(l, pos[i].v[j]);
		/* negall minus neghit (both sorted) */
		size_t h = 0;
		for (size_t j = 0; j < negall.n; j++) {
			while (h < neghit[i].n && neghit[i].v[h] < negall.v[j])
				h++;
			if (h < neghit[i].n && neghit[i].v[h] == negall.v[j])
				continue;
			ids_push(l, negall.v[j]);
		}
		ids_sort_unique(l);
		if (fam == FAM_V4) {
			const uint8_t *a = n->pfx.addr;
			in4[i] = (struct lpm4_prefix){
				.addr = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 |
					(uint32_t)a[2] << 8 | a[3],
				.len = n->pfx.len,
				.value = (uint32_t)i + 1,
			};
		} else {
			memcpy(in6[i].addr, n->pfx.addr, 16);
			in6[i].len = n->pfx.len;
			in6[i].value = (uint32_t)i + 1;
		}
	}
	if (fam == FAM_V4) {
		if (lpm4_build(in4, nn, 30, &fi->t4))
			xalloc_die();
	} else {
		if (lpm6_build(in6, nn, 30, &fi->t6))
			xalloc_die();
	}
	for (size_t i = 0; i < nn; i++) {
		free(pos[i].v);
		free(neghit[i].v);
		free(nodes[i].pos.v);
		free(nodes[i].neg.v);
	}
	free(pos);
	free(neghit);
	free(nodes);
	free(in4);
	free(in6);
	free(negall.v);
}

/* ------------------------------------------------------------ port index */

struct pev {
	uint32_t at; /* port where the change happens (0..65536) */
	uint32_t id;
	int on; /* +1: starts to match, -1: stops */
};

static int pev_cmp(const void *a, const void *b)
{
	const struct pev *x = a, *y = b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return x->on - y->on;
}

static void build_port_index(struct table *t, enum field fld, bool src, uint32_t *cls_of_port)
{
	const struct ir_program *p = t->p;
	struct findex *fi = &t->f[fld];
	struct pev *ev = NULL;
	size_t nev = 0, capev = 0;
	struct ids active = {0};

	for (size_t i = 0; i < p->nrules; i++) {
		const struct ir_rule *r = &p->rules[i];
		const struct ir_port_match *m = src ? r->sport : r->dport;
		if (r->dir != DIR_INGRESS || t->key[i] != (src ? TK_SPORT : TK_DPORT))
			continue;
		fi->nrules++;
		/* A negated rule matches from port 0 until its first range. */
		if (m->negate)
			ids_push(&active, r->id);
		for (size_t k = 0; k < m->nranges; k++) {
			XGROW(ev, nev, capev);
			ev[nev++] = (struct pev){m->ranges[k].lo, r->id, m->negate ? -1 : 1};
			XGROW(ev, nev, capev);
			ev[nev++] = (struct pev){m->ranges[k].hi + 1u, r->id, m->negate ? 1 : -1};
		}
	}
	if (!fi->nrules) {
		free(ev);
		return;
	}
	fi->used = true;
	qsort(ev, nev, sizeof(*ev), pev_cmp);
	size_t e = 0, cap = 0;
	uint32_t port = 0;
	while (port < 65536) {
		while (e < nev && ev[e].at == port) {
			if (ev[e].on > 0) {
				ids_push(&active, ev[e].id);
			} else {
				for (size_t j = 0; j < active.n; j++)
					if (active.v[j] == ev[e].id) {
						active.v[j] = active.v[--active.n];
						break;
					}
			}
			e++;
		}
		uint32_t end = e < nev && ev[e].at < 65536 ? ev[e].at : 65536;
		struct ids cur = {0};
		ids_copy(&cur, &active);
		ids_sort_unique(&cur);
		/* Same rules as the previous interval: same class. */
		if (fi->ncls && fi->lists[fi->ncls - 1].n == cur.n &&
		    (!cur.n ||
		     memcmp(fi->lists[fi->ncls - 1].v, cur.v, cur.n * sizeof(*cur.v)) == 0)) {
			free(cur.v);
		} else {
			XGROW(fi->lists, fi->ncls, cap);
			fi->lists[fi->ncls++] = cur;
		}
		for (uint32_t q = port; q < end; q++)
			cls_of_port[q] = (uint32_t)fi->ncls - 1;
		port = end;
	}
	free(ev);
	free(active.v);
}

/* ------------------------------------------------------------ descriptors */

static uint32_t be32(const uint8_t *a)
{
	return (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
}

/* Network-order word of a host value, as the BPF program loads it. */
static uint32_t net32(uint32_t host)
{
	uint8_t b[4] = {(uint8_t)(host >> 24), (uint8_t)(host >> 16), (uint8_t)(host >> 8),
			(uint8_t)host};
	uint32_t v;

	memcpy(&v, b, 4);
	return v;
}

static void put_ports(struct table *t, const struct ir_port_match *m, uint16_t *n, uint32_t *off)
{
	*off = (uint32_t)t->ranges.n;
	*n = (uint16_t)m->nranges;
	for (size_t i = 0; i < m->nranges; i++)
		ids_push(&t->ranges, (uint32_t)m->ranges[i].lo | (uint32_t)m->ranges[i].hi << 16);
	if (m->nranges > t->maxr)
		t->maxr = m->nranges;
}

static void put_addrs(struct table *t, const struct ir_addr_match *m, uint16_t *n4, uint32_t *off4,
		      uint16_t *n6, uint32_t *off6, uint16_t *ns, uint32_t *offs)
{
	size_t c4 = 0, c6 = 0;

	*off4 = (uint32_t)(t->np4 / 2);
	*off6 = (uint32_t)(t->np6 / 4);
	for (size_t i = 0; i < m->nprefixes; i++) {
		const struct prefix *pf = &m->prefixes[i];
		if (pf->family == FAM_V4) {
			uint32_t mask = pf->len ? 0xffffffffu << (32 - pf->len) : 0;
			if (t->np4 + 2 > t->capp4) {
				t->capp4 = t->capp4 ? t->capp4 * 2 : 64;
				t->p4 = xreallocarray(t->p4, t->capp4, sizeof(*t->p4));
			}
			t->p4[t->np4++] = net32(be32(pf->addr));
			t->p4[t->np4++] = net32(mask);
			c4++;
		} else {
			uint64_t hi, lo, mhi, mlo;
			if (t->np6 + 4 > t->capp6) {
				t->capp6 = t->capp6 ? t->capp6 * 2 : 64;
				t->p6 = xreallocarray(t->p6, t->capp6, sizeof(*t->p6));
			}
			lpm6_words(pf->addr, &hi, &lo);
			lpm6_mask(pf->len, &mhi, &mlo);
			t->p6[t->np6++] = hi;
			t->p6[t->np6++] = lo;
			t->p6[t->np6++] = mhi;
			t->p6[t->np6++] = mlo;
			c6++;
		}
	}
	*n4 = (uint16_t)c4;
	*n6 = (uint16_t)c6;
	*offs = (uint32_t)t->setrefs.n;
	*ns = (uint16_t)m->nsets;
	for (size_t i = 0; i < m->nsets; i++)
		ids_push(&t->setrefs, m->sets[i]);
	if (c4 > t->maxp4)
		t->maxp4 = c4;
	if (c6 > t->maxp6)
		t->maxp6 = c6;
	if (m->nsets > t->maxs)
		t->maxs = m->nsets;
}

static bool single_port(const struct ir_port_match *m)
{
	return !m->negate && m->nranges == 1 && m->ranges[0].lo == m->ranges[0].hi;
}

static void build_rules(struct table *t)
{
	const struct ir_program *p = t->p;

	t->rules = xcalloc(p->nrules ? p->nrules : 1, sizeof(*t->rules));
	for (size_t i = 0; i < p->nrules; i++) {
		const struct ir_rule *r = &p->rules[i];
		struct tr *d = &t->rules[i];
		enum tkey key = t->key[i];

		if (r->dir != DIR_INGRESS)
			continue;
		uint8_t need = 0;

		d->key = (uint8_t)key;
		switch (r->action) {
		case ACT_ALLOW:
			d->verdict = TV_ACCEPT;
			break;
		case ACT_DENY:
			d->verdict = TV_DROP;
			break;
		case ACT_PASS:
			d->verdict = TV_PASS;
			break;
		case ACT_LOG:
			d->verdict = TV_NONE;
			break;
		}
		/* byte 0: family (a rule of both families matches every packet
		 * the policy sees) */
		if (r->families != FAM_ALL) {
			d->m0 |= 0xff;
			d->v0 |= r->families == FAM_V4 ? UT_FAM_V4 : UT_FAM_V6;
		}
		if (r->proto != IR_PROTO_ANY) {
			need |= UT_HAS_PROTO;
			d->m0 |= 0xffull << 16;
			d->v0 |= (uint64_t)r->proto << 16;
		}
		if (r->icmp_type != IR_ICMP_ANY) {
			need |= UT_HAS_TYPE;
			d->m1 |= 0xff;
			d->v1 |= (uint16_t)r->icmp_type;
		}
		if (r->icmp_code != IR_ICMP_ANY) {
			need |= UT_HAS_CODE;
			d->m1 |= 0xff00;
			d->v1 |= (uint16_t)(r->icmp_code << 8);
		}
		if (r->sport) {
			need |= UT_HAS_SPORT;
			if (key != TK_SPORT && single_port(r->sport)) {
				d->m0 |= 0xffffull << 32;
				d->v0 |= (uint64_t)r->sport->ranges[0].lo << 32;
			} else if (key != TK_SPORT) {
				put_ports(t, r->sport, &d->sp_n, &d->sp_off);
				d->flags |= r->sport->negate ? TF_SPNEG : 0;
			}
		}
		if (r->dport) {
			need |= UT_HAS_DPORT;
			if (key != TK_DPORT && single_port(r->dport)) {
				d->m0 |= 0xffffull << 48;
				d->v0 |= (uint64_t)r->dport->ranges[0].lo << 48;
			} else if (key != TK_DPORT) {
				put_ports(t, r->dport, &d->dp_n, &d->dp_off);
				d->flags |= r->dport->negate ? TF_DPNEG : 0;
			}
		}
		if (r->src)
			need |= UT_HAS_SRC;
		if (r->dst)
			need |= UT_HAS_DST;
		/* not a field, but a bit of the same byte */
		if (r->incomplete)
			need |= UT_HAS_INCOMPLETE;
		/* byte 1: the readable fields the rule needs */
		d->m0 |= (uint64_t)need << 8;
		d->v0 |= (uint64_t)need << 8;
		if (r->src) {
			if (key != TK_SRC) {
				d->flags |= TF_SRC | (r->src->negate ? TF_SNEG : 0);
				put_addrs(t, r->src, &d->s4_n, &d->s4_off, &d->s6_n, &d->s6_off,
					  &d->ss_n, &d->ss_off);
			}
		}
		if (r->dst) {
			if (key != TK_DST) {
				d->flags |= TF_DST | (r->dst->negate ? TF_DNEG : 0);
				put_addrs(t, r->dst, &d->d4_n, &d->d4_off, &d->d6_n, &d->d6_off,
					  &d->ds_n, &d->ds_off);
			}
		}
	}
}

/* ------------------------------------------------------------ layout */

/* tag: the key field's (UT_TAB_SRC4_TOP), or NULL (UT_TAB_RULES). */
static void region_add(struct table *t, const char *tag, const char *name, size_t off, size_t n,
		       const char *what)
{
	struct region *r;

	XGROW(t->regions, t->nregions, t->capregions);
	r = &t->regions[t->nregions++];
	snprintf(r->name, sizeof(r->name), "%s%s%s", tag ? tag : "", tag ? "_" : "", name);
	r->what = what;
	r->off = off;
	r->n = n;
}

#define LEAF_TAB 0x40000000u

static void layout_lpm4(struct table *t, enum field f)
{
	struct findex *fi = &t->f[f];
	struct lpm4 *t4 = &fi->t4;
	size_t nslots = (size_t)1 << t4->bits;
	struct lpm4_slot *slots = xcalloc(nslots, sizeof(*slots));
	struct tbit *bit = NULL;
	uint32_t *tab = NULL;
	size_t capb = 0;

	for (size_t i = 0; i < nslots; i++) {
		slots[i] = t4->slots[i];
		if (!slots[i].key || !(slots[i].val & LPM4_LEAF))
			continue;
		const uint32_t *v = &t4->leaves[(slots[i].val & ~LPM4_LEAF) * 256];
		uint32_t c0 = v[0], c1 = v[0];
		bool two = true;
		for (unsigned a = 0; a < 256 && two; a++) {
			if (v[a] == c0 || v[a] == c1)
				continue;
			if (c1 == c0)
				c1 = v[a];
			else
				two = false;
		}
		if (two) {
			XGROW(bit, fi->nbit, capb);
			struct tbit *b = &bit[fi->nbit];
			memset(b, 0, sizeof(*b));
			b->c0 = c0;
			b->c1 = c1;
			for (unsigned a = 0; a < 256; a++)
				if (v[a] != c0)
					b->bits[a >> 5] |= 1u << (a & 31);
			slots[i].val = LPM4_LEAF | (uint32_t)fi->nbit++;
		} else {
			tab = xreallocarray(tab, (fi->ntab + 1) * 256, sizeof(*tab));
			memcpy(&tab[fi->ntab * 256], v, 256 * sizeof(*tab));
			slots[i].val = LPM4_LEAF | LEAF_TAB | (uint32_t)fi->ntab++;
		}
	}
	region_add(t, field_tags[f], "TOP", blob_put(&t->blob, t4->l1, 65536 * sizeof(uint32_t), 8),
		   65536, "__u32 per /16: a class; bit 31 set: look up the /24 first");
	region_add(t, field_tags[f], "SLOTS", blob_put(&t->blob, slots, nslots * sizeof(*slots), 8),
		   nslots, "struct ut_tslot: the /24 blocks, hashed");
	region_add(t, field_tags[f], "BITMAPS", blob_array(&t->blob, bit, fi->nbit, sizeof(*bit)),
		   fi->nbit, "struct ut_tbit: a /24 block of two classes");
	region_add(t, field_tags[f], "LEAVES",
		   blob_array(&t->blob, tab, fi->ntab, 256 * sizeof(*tab)), fi->ntab,
		   "__u32[256]: a /24 block of more classes");
	free(slots);
	free(bit);
	free(tab);
}

static void layout_lpm6(struct table *t, enum field f)
{
	struct findex *fi = &t->f[f];
	struct lpm6 *t6 = &fi->t6;
	size_t nslots = (size_t)1 << t6->bits;
	struct tslot6 *slots = xcalloc(nslots, sizeof(*slots));
	struct tlen6 lens[129];

	for (size_t i = 0; i < nslots; i++)
		slots[i] = (struct tslot6){t6->slots[i].hi, t6->slots[i].lo, t6->slots[i].len1,
					   t6->slots[i].val};
	memset(lens, 0, sizeof(lens));
	for (unsigned k = 0; k < t6->nlens; k++) {
		lpm6_mask(t6->lens[k], &lens[k].mhi, &lens[k].mlo);
		lens[k].len = t6->lens[k];
	}
	region_add(t, field_tags[f], "LENGTHS",
		   blob_array(&t->blob, lens, t6->nlens, sizeof(*lens)), t6->nlens,
		   "struct ut_tlen6: the prefix lengths, longest first");
	region_add(t, field_tags[f], "SLOTS", blob_put(&t->blob, slots, nslots * sizeof(*slots), 8),
		   nslots, "struct ut_tslot6: the prefixes, hashed");
	free(slots);
}

/* Identical lists share their ids. */
struct listkey {
	uint64_t hash;
	uint32_t off, cnt;
};

static uint64_t list_hash(const struct ids *l)
{
	uint64_t h = 0xcbf29ce484222325ull ^ l->n;

	for (size_t i = 0; i < l->n; i++)
		h = (h ^ l->v[i]) * 0x100000001b3ull;
	return h;
}

static void layout(struct table *t, uint32_t *sport_cls, uint32_t *dport_cls)
{
	struct ids all = {0};
	struct tl *cls;
	size_t hcap = 1024;
	struct listkey *hk;

	for (int f = 0; f < F_NR; f++)
		if (t->f[f].used)
			t->ncls += t->f[f].ncls;
	cls = xcalloc(t->ncls ? t->ncls : 1, sizeof(*cls));
	while (hcap < 2 * t->ncls)
		hcap *= 2;
	hk = xcalloc(hcap, sizeof(*hk));
	size_t c = 0;
	for (int f = 0; f < F_NR; f++) {
		struct findex *fi = &t->f[f];
		if (!fi->used)
			continue;
		fi->cls_base = (uint32_t)c;
		for (size_t k = 0; k < fi->ncls; k++, c++) {
			const struct ids *l = &fi->lists[k];
			uint64_t h = list_hash(l);
			size_t s = h & (hcap - 1);
			if (l->n > fi->maxlen)
				fi->maxlen = l->n;
			for (; hk[s].hash || hk[s].cnt; s = (s + 1) & (hcap - 1)) {
				if (hk[s].hash == h && hk[s].cnt == l->n &&
				    (!l->n ||
				     memcmp(&all.v[hk[s].off], l->v, l->n * sizeof(*l->v)) == 0))
					break;
			}
			if (!hk[s].hash && !hk[s].cnt) {
				hk[s] = (struct listkey){h ? h : 1, (uint32_t)all.n,
							 (uint32_t)l->n};
				if (!h)
					hk[s].hash = 1;
				for (size_t j = 0; j < l->n; j++)
					ids_push(&all, l->v[j]);
			}
			cls[c] = (struct tl){hk[s].off, hk[s].cnt};
		}
	}
	t->nids = all.n;

	region_add(t, NULL, "RULES",
		   blob_array(&t->blob, t->rules, t->p->nrules, sizeof(*t->rules)), t->p->nrules,
		   "struct ut_tr: a rule's descriptor, by rule id");
	region_add(t, NULL, "CLASSES", blob_array(&t->blob, cls, t->ncls, sizeof(*cls)), t->ncls,
		   "struct ut_tl: a class's candidates");
	region_add(t, NULL, "IDS", blob_array(&t->blob, all.v, all.n, sizeof(*all.v)), all.n,
		   "__u32: rule ids, the candidate lists");
	region_add(t, NULL, "RANGES",
		   blob_list(&t->blob, t->ranges.v, t->ranges.n, sizeof(uint32_t), t->maxr),
		   t->ranges.n, "__u32: a port range, lo | hi << 16");
	region_add(t, NULL, "PREFIXES4",
		   blob_list(&t->blob, t->p4, t->np4 / 2, 2 * sizeof(uint32_t), t->maxp4),
		   t->np4 / 2, "__u32[2]: an IPv4 prefix, network order: address, mask");
	region_add(t, NULL, "PREFIXES6",
		   blob_list(&t->blob, t->p6, t->np6 / 4, 4 * sizeof(uint64_t), t->maxp6),
		   t->np6 / 4, "__u64[4]: an IPv6 prefix: address, mask");
	region_add(t, NULL, "SETS",
		   blob_list(&t->blob, t->setrefs.v, t->setrefs.n, sizeof(uint32_t), t->maxs),
		   t->setrefs.n, "__u32: a named set's number");
	for (int f = F_SRC4; f <= F_DST6; f++) {
		struct findex *fi = &t->f[f];
		if (!fi->used)
			continue;
		if (f == F_SRC4 || f == F_DST4)
			layout_lpm4(t, (enum field)f);
		else
			layout_lpm6(t, (enum field)f);
	}
	for (int f = F_SPORT; f <= F_DPORT; f++) {
		struct findex *fi = &t->f[f];
		const uint32_t *pc = f == F_SPORT ? sport_cls : dport_cls;
		if (!fi->used)
			continue;
		fi->pcls32 = fi->ncls > 65535;
		if (fi->pcls32) {
			region_add(t, field_tags[f], "CLASS",
				   blob_put(&t->blob, pc, 65536 * sizeof(uint32_t), 8), 65536,
				   "__u32: a port's class");
		} else {
			uint16_t *p16 = xcalloc(65536, sizeof(*p16));
			for (size_t i = 0; i < 65536; i++)
				p16[i] = (uint16_t)pc[i];
			region_add(t, field_tags[f], "CLASS",
				   blob_put(&t->blob, p16, 65536 * sizeof(*p16), 8), 65536,
				   "__u16: a port's class");
			free(p16);
		}
	}
	blob_reserve(&t->blob, 8, 8); /* never empty */
	free(cls);
	free(hk);
	free(all.v);
}

/* ------------------------------------------------------------ build */

static void table_build(struct table *t, const struct ir_program *p)
{
	uint32_t *sport_cls = xcalloc(65536, sizeof(uint32_t)),
		 *dport_cls = xcalloc(65536, sizeof(uint32_t));

	memset(t, 0, sizeof(*t));
	t->p = p;
	t->key = xcalloc(p->nrules ? p->nrules : 1, sizeof(*t->key));
	for (size_t i = 0; i < p->nrules; i++)
		if (p->rules[i].dir == DIR_INGRESS)
			t->key[i] = choose_key(&p->rules[i]);
	build_addr_index(t, F_SRC4, true, FAM_V4);
	build_addr_index(t, F_SRC6, true, FAM_V6);
	build_addr_index(t, F_DST4, false, FAM_V4);
	build_addr_index(t, F_DST6, false, FAM_V6);
	build_port_index(t, F_SPORT, true, sport_cls);
	build_port_index(t, F_DPORT, false, dport_cls);
	for (size_t i = 0; i < p->nrules; i++) {
		const struct ir_rule *r = &p->rules[i];
		struct findex *fi;
		if (r->dir != DIR_INGRESS || (t->key[i] != TK_PROTO && t->key[i] != TK_WILD))
			continue;
		fi = &t->f[t->key[i] == TK_PROTO ? F_PROTO : F_WILD];
		if (!fi->used) {
			fi->used = true;
			fi->ncls = t->key[i] == TK_PROTO ? 256 : 1;
			fi->lists = xcalloc(fi->ncls, sizeof(*fi->lists));
		}
		fi->nrules++;
		ids_push(&fi->lists[t->key[i] == TK_PROTO ? r->proto : 0], r->id);
	}
	build_rules(t);
	layout(t, sport_cls, dport_cls);
	for (size_t s = 0; s < p->nsets; s++)
		if (p->sets[s].used_ingress)
			t->nsets_used++;
	free(sport_cls);
	free(dport_cls);
}

static void table_free(struct table *t)
{
	for (int f = 0; f < F_NR; f++) {
		for (size_t k = 0; k < t->f[f].ncls; k++)
			free(t->f[f].lists[k].v);
		free(t->f[f].lists);
		lpm4_free(&t->f[f].t4);
		lpm6_free(&t->f[f].t6);
	}
	free(t->key);
	free(t->blob.data);
	free(t->rules);
	free(t->ranges.v);
	free(t->setrefs.v);
	free(t->regions);
	free(t->p4);
	free(t->p6);
}

/* ------------------------------------------------------------ emission */

/* The bytes as one C string, split into lines: printable characters as
 * themselves, the rest as octal escapes (three digits when a digit follows,
 * so that it does not join the escape). Built in memory: this is most of
 * the generated file. */
static void emit_blob(FILE *out, const struct blob *b)
{
	char *buf = xmalloc(b->len * 4 + b->len / 64 * 4 + 16), *o = buf;

	fprintf(out,
		"\n/* The tables above, as bytes: read-only data (.rodata, which libbpf\n"
		" * freezes), nothing for the loader to fill in. */\n"
		"static const volatile __u8 ut_tab[%zu] __attribute__((aligned(8))) =",
		b->len);
	for (size_t i = 0; i < b->len; i++) {
		uint8_t c = b->data[i];
		if (i % 64 == 0) {
			if (i)
				*o++ = '"';
			memcpy(o, "\n\t\"", 3);
			o += 3;
		}
		bool next_digit = i + 1 < b->len && i % 64 != 63 && b->data[i + 1] >= '0' &&
				  b->data[i + 1] <= '7';
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '?') {
			*o++ = (char)c;
		} else {
			*o++ = '\\';
			if (c >= 64 || next_digit)
				*o++ = (char)('0' + (c >> 6));
			if (c >= 8 || next_digit)
				*o++ = (char)('0' + ((c >> 3) & 7));
			*o++ = (char)('0' + (c & 7));
		}
	}
	fwrite(buf, 1, (size_t)(o - buf), out);
	fputs("\";\n", out);
	free(buf);
}

static const char common_code[] =
	"\n#define UT_TB(type, off) ((const volatile type *)(ut_tab + (off)))\n"
	"/* i, or n when i > n: every array has a zeroed element at n. The\n"
	" * barriers keep clang from indexing with a copy made before the clamp. */\n"
	"#define UT_CLAMP(i, n)                                                          \\\n"
	"\t({                                                                      \\\n"
	"\t\t__u64 __i = (__u32)(i);                                         \\\n"
	"\t\tbarrier_var(__i);                                               \\\n"
	"\t\tif (__i > (n))                                                  \\\n"
	"\t\t\t__i = (n);                                              \\\n"
	"\t\tbarrier_var(__i);                                               \\\n"
	"\t\t__i;                                                            \\\n"
	"\t})\n";

/* Where each table starts in ut_tab and how many entries it has, and the
 * first class of each key field, under the names the code uses. */
static void emit_regions(FILE *out, const struct table *t)
{
	fputs("\n/* The tables in ut_tab: where each starts (bytes) and its entries, which\n"
	      " * zeroed ones follow for a clamped index to read. */\nenum {\n",
	      out);
	for (size_t i = 0; i < t->nregions; i++) {
		const struct region *r = &t->regions[i];

		fprintf(out, "\tUT_TAB_%s = %zu, /* %s */\n\tUT_TAB_%s_N = %zu,\n", r->name, r->off,
			r->what, r->name, r->n);
	}
	fputs("\t/* The first class of each key field in UT_TAB_CLASSES. */\n", out);
	for (int f = 0; f < F_NR; f++)
		if (t->f[f].used)
			fprintf(out, "\tUT_CLS_%s = %" PRIu32 ",\n", field_tags[f],
				t->f[f].cls_base);
	fputs("};\n", out);
}

/* Every rule by id, the index of its descriptor, with what it is filed
 * under: where a reader looks for a rule in the tables. */
static void emit_rule_list(FILE *out, const struct table *t)
{
	const struct ir_program *p = t->p;

	fputs("\n/* The rules: descriptor (rule id), the field filed under, the rule. */\n", out);
	for (size_t i = 0; i < p->nrules; i++) {
		const struct ir_rule *r = &p->rules[i];
		char label[48];

		if (r->dir == DIR_INGRESS)
			snprintf(label, sizeof(label), "rule %zu, UT_TK_%s: ", i,
				 tkey_names[t->key[i]]);
		else
			snprintf(label, sizeof(label), "rule %zu, egress (nftables): ", i);
		cwrite_comment(out, "", label, r->text);
	}
}

/* The descriptor's flags and keys under the names the generated C uses. */
static void emit_flags(FILE *out)
{
	static const struct {
		const char *name;
		unsigned value;
	} flags[] = {
		{"SRC", TF_SRC},   {"DST", TF_DST},	{"SNEG", TF_SNEG},
		{"DNEG", TF_DNEG}, {"SPNEG", TF_SPNEG}, {"DPNEG", TF_DPNEG},
	};

	fputs("\n/* struct ut_tr.flags */\n", out);
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		fprintf(out, "#define UT_TF_%s 0x%04x\n", flags[i].name, flags[i].value);
	fputs("/* struct ut_tr.key: the field a rule is filed under */\n", out);
	for (int k = 0; k < TK_NR; k++)
		fprintf(out, "#define UT_TK_%s %d\n", tkey_names[k], k);
}

static void emit_entry_types(FILE *out)
{
	for (size_t i = 0; i < sizeof(entry_types) / sizeof(entry_types[0]); i++)
		fprintf(out,
			"\n%s_Static_assert(sizeof(struct %s) == %zu, \"layout of struct %s\");\n",
			entry_types[i].decl, entry_types[i].name, entry_types[i].size,
			entry_types[i].name);
}

/* The class of an IPv4 address in key field f (F_SRC4 or F_DST4). */
static void emit_lpm4_fn(FILE *out, const struct table *t, enum field f)
{
	const struct findex *fi = &t->f[f];
	const char *name = field_names[f], *tag = field_tags[f];

	fprintf(out,
		"\nstatic __always_inline __u32 ut_cls_%s(__u32 addr)\n{\n"
		"\tconst volatile struct ut_tslot *sl = UT_TB(struct ut_tslot, UT_TAB_%s_SLOTS);\n"
		"\t__u32 a = bpf_ntohl(addr), v = UT_TB(__u32, UT_TAB_%s_TOP)[a >> 16], key, h, s, "
		"val;\n\n"
		"\tif (!(v & 0x80000000u))\n\t\treturn v;\n"
		"\tkey = (a >> 8) + 1;\n"
		"\th = (key * 0x9e3779b1u) >> %u;\n"
		"\tfor (__u32 i = 0; i < UT_SET_MAX_PROBE; i++) {\n"
		"\t\ts = (h + i) & (UT_TAB_%s_SLOTS_N - 1);\n"
		"\t\tif (sl[s].key == key) {\n"
		"\t\t\tval = sl[s].val;\n"
		"\t\t\tgoto found;\n\t\t}\n"
		"\t\tif (!sl[s].key)\n\t\t\tbreak;\n\t}\n"
		"\treturn v & 0x3fffffffu;\nfound:\n"
		"\tif (!(val & 0x80000000u))\n\t\treturn val;\n",
		name, tag, tag, 32 - fi->t4.bits, tag);
	if (fi->ntab)
		fprintf(out,
			"\tif (val & 0x40000000u) {\n"
			"\t\tval = UT_CLAMP(val & 0x3fffffffu, UT_TAB_%s_LEAVES_N);\n"
			"\t\t__u64 base = (__u64)val * 256;\n\n"
			"\t\tbarrier_var(base);\n"
			"\t\treturn UT_TB(__u32, UT_TAB_%s_LEAVES)[base + (a & 255)];\n\t}\n",
			tag, tag);
	if (fi->nbit)
		fprintf(out,
			"\tval = UT_CLAMP(val & 0x3fffffffu, UT_TAB_%s_BITMAPS_N);\n"
			"\tconst volatile struct ut_tbit *b = &UT_TB(struct ut_tbit, UT_TAB_%s_BITMAPS)[val];\n"
			"\treturn (b->bits[(a >> 5) & 7] >> (a & 31)) & 1 ? b->c1 : b->c0;\n",
			tag, tag);
	else
		fputs("\treturn 0;\n", out);
	fputs("}\n", out);
}

/* The class of an IPv6 address in key field f (F_SRC6 or F_DST6). */
static void emit_lpm6_fn(FILE *out, const struct table *t, enum field f)
{
	const struct findex *fi = &t->f[f];
	const char *name = field_names[f], *tag = field_tags[f];
	uint32_t bits = fi->t6.bits;

	if (fi->t6.nlens <= INLINE_LENGTHS6) {
		/* Few lengths: one unrolled probe per length, longest first. */
		fprintf(out,
			"\n/* Global: the IPv6 probes stay out of the IPv4 path's code. */\n"
			"__attribute__((noinline)) __u32 ut_cls_%s(__u64 hi, __u64 lo)\n{\n"
			"\tconst volatile struct ut_tslot6 *sl = UT_TB(struct ut_tslot6, "
			"UT_TAB_%s_SLOTS), *s;\n"
			"\t__u64 khi, klo;\n\t__u32 h;\n\n"
			"\t/* used, even when no length reaches them: keep clang from passing\n"
			"\t * garbage the verifier would refuse */\n"
			"\tbarrier_var(hi);\n\tbarrier_var(lo);\n",
			name, tag);
		for (unsigned k = 0; k < fi->t6.nlens; k++) {
			unsigned len = fi->t6.lens[k];
			uint64_t mhi, mlo;
			lpm6_mask(len, &mhi, &mlo);
			fprintf(out,
				"\n\tkhi = hi & 0x%016" PRIx64 "ull;\n\tklo = lo & 0x%016" PRIx64
				"ull;\n"
				"\th = ut_hash6(khi, klo, %u, %u);\n"
				"\tfor (__u32 i = 0; i < UT_SET_MAX_PROBE; i++) {\n"
				"\t\ts = &sl[(h + i) & (UT_TAB_%s_SLOTS_N - 1)];\n"
				"\t\tif (!s->len1)\n\t\t\tbreak;\n"
				"\t\tif (s->len1 == %u && s->hi == khi && s->lo == klo)\n"
				"\t\t\treturn s->val;\n\t}\n",
				mhi, mlo, len, bits, tag, len + 1);
		}
		fputs("\treturn 0;\n}\n", out);
		return;
	}
	fprintf(out,
		"\nstruct ut_c6_%s {\n\t__u64 hi, lo;\n\t__u32 cls, _pad;\n};\n"
		"static long ut_c6_step_%s(__u32 k, void *arg)\n{\n"
		"\tstruct ut_c6_%s *c = arg;\n"
		"\tconst volatile struct ut_tlen6 *l;\n"
		"\tconst volatile struct ut_tslot6 *sl = UT_TB(struct ut_tslot6, UT_TAB_%s_SLOTS), *s;\n"
		"\t__u64 khi, klo;\n\t__u32 len, h;\n\n"
		"\tl = &UT_TB(struct ut_tlen6, UT_TAB_%s_LENGTHS)[UT_CLAMP(k, UT_TAB_%s_LENGTHS_N)];\n"
		"\tkhi = c->hi & l->mhi;\n\tklo = c->lo & l->mlo;\n\tlen = l->len;\n"
		"\th = ut_hash6(khi, klo, len, %u);\n"
		"\tfor (__u32 i = 0; i < UT_SET_MAX_PROBE; i++) {\n"
		"\t\ts = &sl[(h + i) & (UT_TAB_%s_SLOTS_N - 1)];\n"
		"\t\tif (!s->len1)\n\t\t\treturn 0;\n"
		"\t\tif (s->len1 == len + 1 && s->hi == khi && s->lo == klo) {\n"
		"\t\t\tc->cls = s->val;\n\t\t\treturn 1;\n\t\t}\n\t}\n"
		"\treturn 0;\n}\n"
		"__attribute__((noinline)) __u32 ut_cls_%s(__u64 hi, __u64 lo)\n{\n"
		"\tstruct ut_c6_%s c = {.hi = hi, .lo = lo};\n\n"
		"\tbpf_loop(UT_TAB_%s_LENGTHS_N, ut_c6_step_%s, &c, 0);\n"
		"\treturn c.cls;\n}\n",
		name, name, name, tag, tag, tag, bits, tag, name, name, tag, name);
}

/* A membership test over list entries off..off+n of table UT_TAB_<table>: an inline
 * bounded loop when the longest list is short, else a bpf_loop callback
 * (checked once by the verifier, whatever the length). name: the test's
 * name; params/args: its extra parameters as declared and as stored in the
 * callback's context; elem: the C type of an entry, hit: the expression
 * over `e` (a pointer to the entry) and the parameters that says "inside". */
static void emit_list_test(FILE *out, const char *name, const char *params, const char *fields,
			   const char *init, const char *elem, size_t stride, const char *table,
			   size_t maxlen, const char *hit, const char *cbhit)
{
	if (maxlen <= INLINE_LOOP_MAX) {
		/* The start clamped once: the list is followed by maxlen zeroed
		 * entries, so off + j stays inside for every j < maxlen. */
		fprintf(out,
			"\nstatic __always_inline int %s(%s, __u32 off, __u32 n)\n{\n"
			"\tconst volatile %s *e = UT_TB(%s, UT_TAB_%s) + %zu * UT_CLAMP(off, UT_TAB_%s_N);\n\n"
			"\tfor (__u32 j = 0; j < %zu; j++, e += %zu) {\n"
			"\t\tif (j >= n)\n\t\t\treturn 0;\n"
			"\t\tif (%s)\n\t\t\treturn 1;\n"
			"\t}\n\treturn 0;\n}\n",
			name, params, elem, elem, table, stride, table, maxlen, stride, hit);
		return;
	}
	fprintf(out,
		"\nstruct %s_ctx {\n%s\t__u32 off, found;\n};\n"
		"static long %s_step(__u32 j, void *arg)\n{\n"
		"\tstruct %s_ctx *c = arg;\n"
		"\tconst volatile %s *e = UT_TB(%s, UT_TAB_%s) + %zu * UT_CLAMP(c->off + j, UT_TAB_%s_N);\n\n"
		"\tif (%s) {\n\t\tc->found = 1;\n\t\treturn 1;\n\t}\n\treturn 0;\n}\n"
		"static __always_inline int %s(%s, __u32 off, __u32 n)\n{\n"
		"\tstruct %s_ctx c = {%s, .off = off};\n\n"
		"\tbpf_loop(n, %s_step, &c, 0);\n\treturn c.found;\n}\n",
		name, fields, name, name, elem, elem, table, stride, table, cbhit, name, params,
		name, init, name);
}

static void emit_list_checks(FILE *out, const struct table *t)
{
	if (t->maxr)
		emit_list_test(out, "ut_in_ports", "__u32 port", "\t__u32 port;\n", ".port = port",
			       "__u32", 1, "RANGES", t->maxr,
			       "port >= (*e & 0xffff) && port <= (*e >> 16)",
			       "c->port >= (*e & 0xffff) && c->port <= (*e >> 16)");
	if (t->maxp4)
		emit_list_test(out, "ut_in4", "__u32 addr", "\t__u32 addr;\n", ".addr = addr",
			       "__u32", 2, "PREFIXES4", t->maxp4, "(addr & e[1]) == e[0]",
			       "(c->addr & e[1]) == e[0]");
	if (t->maxp6)
		emit_list_test(out, "ut_in6", "__u64 hi, __u64 lo", "\t__u64 hi, lo;\n",
			       ".hi = hi, .lo = lo", "__u64", 4, "PREFIXES6", t->maxp6,
			       "(hi & e[2]) == e[0] && (lo & e[3]) == e[1]",
			       "(c->hi & e[2]) == e[0] && (c->lo & e[3]) == e[1]");
	if (t->maxs) {
		const struct ir_program *p = t->p;
		fputs("\nstatic __always_inline int ut_in_set(__u32 set, const struct ut_state *st, "
		      "int dst)\n{\n"
		      "\tif (st->family == UT_FAM_V4) {\n"
		      "\t\t__u32 a = dst ? st->dst4 : st->src4;\n\n\t\tswitch (set) {\n",
		      out);
		for (size_t s = 0; s < p->nsets; s++)
			if (p->sets[s].used_ingress)
				fprintf(out, "\t\tcase %zu:\n\t\t\treturn ut_set_has4_%zu(a);\n", s,
					s);
		fputs("\t\t}\n\t\treturn 0;\n\t}\n"
		      "\t__u64 hi = dst ? st->dst64[0] : st->src64[0], "
		      "lo = dst ? st->dst64[1] : st->src64[1];\n\n\tswitch (set) {\n",
		      out);
		for (size_t s = 0; s < p->nsets; s++)
			if (p->sets[s].used_ingress)
				fprintf(out, "\tcase %zu:\n\t\treturn ut_set_has6_%zu(hi, lo);\n",
					s, s);
		fputs("\t}\n\treturn 0;\n}\n", out);
		fprintf(out,
			"\nstatic __always_inline int ut_in_sets(const struct ut_state *st, int dst, "
			"__u32 off, __u32 n)\n{\n"
			"\tconst volatile __u32 *e = UT_TB(__u32, UT_TAB_SETS) + UT_CLAMP(off, UT_TAB_SETS_N);\n\n"
			"\tfor (__u32 j = 0; j < %zu; j++) {\n"
			"\t\tif (j >= n)\n\t\t\treturn 0;\n"
			"\t\tif (ut_in_set(e[j], st, dst))\n"
			"\t\t\treturn 1;\n"
			"\t}\n\treturn 0;\n}\n",
			t->maxs);
	}
}

static void emit_addr_check(FILE *out, const struct table *t, const char *side, const char *key,
			    const char *flag, const char *neg, char s)
{
	fprintf(out, "\tif ((r->flags & %s) && r->key != %s) {\n\t\tint in = 0;\n\n", flag, key);
	if (t->maxp4 || t->maxp6) {
		fputs("\t\tif (st->family == UT_FAM_V4)\n", out);
		if (t->maxp4)
			fprintf(out, "\t\t\tin = ut_in4(st->%s4, r->%c4_off, r->%c4_n);\n", side, s,
				s);
		else
			fputs("\t\t\tin = 0;\n", out);
		fputs("\t\telse\n", out);
		if (t->maxp6)
			fprintf(out,
				"\t\t\tin = ut_in6(st->%s64[0], st->%s64[1], r->%c6_off, r->%c6_n);\n",
				side, side, s, s);
		else
			fputs("\t\t\tin = 0;\n", out);
	}
	if (t->maxs)
		fprintf(out,
			"\t\tif (!in && r->%cs_n)\n\t\t\tin = ut_in_sets(st, %d, r->%cs_off, r->%cs_n);\n",
			s, s == 'd', s, s);
	fprintf(out, "\t\tif (in == !!(r->flags & %s))\n\t\t\treturn 0;\n\t}\n", neg);
}

/* The candidate check; global: also as a global function. */
static void emit_check(FILE *out, const struct table *t, bool global)
{
	fprintf(out, "\n/* Does rule id match the packet? Its verdict, or 0 (log rules are\n"
		     " * logged here and return 0). Unused when no rule tests the packet. */\n"
		     "static __always_inline __attribute__((unused)) int\n"
		     "ut_check_body(struct xdp_md *ctx, struct ut_state *st, "
		     "__u32 id)\n{\n"
		     "\tconst volatile struct ut_tr *r;\n\n"
		     "\tif (!ctx || !st)\n\t\treturn 0;\n"
		     "\tr = &UT_TB(struct ut_tr, UT_TAB_RULES)[UT_CLAMP(id, UT_TAB_RULES_N)];\n"
		     "\tif ((*(const __u64 *)st & r->m0) != r->v0)\n\t\treturn 0;\n"
		     "\tif ((*(const __u16 *)&st->icmp_type & r->m1) != r->v1)\n\t\treturn 0;\n");
	if (t->maxr)
		fputs("\tif (r->sp_n && ut_in_ports(st->sport, r->sp_off, r->sp_n) == "
		      "!!(r->flags & UT_TF_SPNEG))\n\t\treturn 0;\n"
		      "\tif (r->dp_n && ut_in_ports(st->dport, r->dp_off, r->dp_n) == "
		      "!!(r->flags & UT_TF_DPNEG))\n\t\treturn 0;\n",
		      out);
	emit_addr_check(out, t, "src", "UT_TK_SRC", "UT_TF_SRC", "UT_TF_SNEG", 's');
	emit_addr_check(out, t, "dst", "UT_TK_DST", "UT_TF_DST", "UT_TF_DNEG", 'd');
	fputs("\tif (r->verdict == UT_VERDICT_NONE) {\n"
	      "\t\tut_rule_count(&ut_rule_stats, id, st);\n"
	      "\t\tut_log_emit(ctx, st, id);\n"
	      "\t\treturn 0;\n\t}\n"
	      "\treturn r->verdict;\n}\n",
	      out);
	if (!global)
		return;
	fputs("\n/* The same as a global function: the verifier checks it once, not\n"
	      " * once per call and loop iteration. */\n"
	      "__attribute__((noinline)) int ut_check(struct xdp_md *ctx, struct ut_state *st, "
	      "__u32 id)\n{\n\treturn ut_check_body(ctx, st, id);\n}\n",
	      out);
}

/* The lists a packet gets, one per field in use. */
struct lists_used {
	enum field f[F_NR];
	int n;
};

static void lists_used(const struct table *t, struct lists_used *u)
{
	/* One list per key: src (either family), dst, sport, dport, proto,
	 * wild; F_SRC6/F_DST6 share the slot of their IPv4 twin. */
	static const enum field order[] = {F_SRC4, F_DST4, F_SPORT, F_DPORT, F_PROTO, F_WILD};

	u->n = 0;
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		enum field f = order[i];
		bool used = t->f[f].used || (f == F_SRC4 && t->f[F_SRC6].used) ||
			    (f == F_DST4 && t->f[F_DST6].used);
		if (used)
			u->f[u->n++] = f;
	}
}

/* A list's field, by the field that names its slot (lists_used). */
static const char *const list_names[F_NR] = {
	[F_SRC4] = "src",    [F_DST4] = "dst",	  [F_SPORT] = "sport",
	[F_DPORT] = "dport", [F_PROTO] = "proto", [F_WILD] = "wild",
};

static size_t list_bound(const struct table *t, enum field f)
{
	size_t m = t->f[f].maxlen;

	if (f == F_SRC4 && t->f[F_SRC6].maxlen > m)
		m = t->f[F_SRC6].maxlen;
	if (f == F_DST4 && t->f[F_DST6].maxlen > m)
		m = t->f[F_DST6].maxlen;
	return m;
}

/* Class c (in the block just opened) to list slot's cursor and end. The
 * lookups stand in a block of the program (emit_table_main): two tabs. */
static void emit_cls_to_list(FILE *out, int slot)
{
	fprintf(out,
		"\t\t\tc = UT_CLAMP(c, UT_TAB_CLASSES_N);\n"
		"\t\t\tc%d = UT_TB(struct ut_tl, UT_TAB_CLASSES)[c].off;\n"
		"\t\t\te%d = c%d + UT_TB(struct ut_tl, UT_TAB_CLASSES)[c].cnt;\n"
		"\t\t}\n",
		slot, slot, slot);
}

static void emit_class_lookup(FILE *out, const struct table *t, enum field f, int slot)
{
	const struct findex *fi = &t->f[f];

	switch (f) {
	case F_SRC4:
	case F_DST4: {
		const char *side = f == F_SRC4 ? "src" : "dst";
		const struct findex *f6 = &t->f[f + 1];
		/* c stays past the end (the zeroed class) in a family no rule is
		 * filed under */
		fprintf(out, "\t\tif (st->has & UT_HAS_%s) {\n\t\t\t__u32 c = 0x80000000u;\n\n",
			f == F_SRC4 ? "SRC" : "DST");
		if (fi->used)
			fprintf(out,
				"\t\t\tif (st->family == UT_FAM_V4)\n"
				"\t\t\t\tc = UT_CLS_%s + ut_cls_%s4(st->%s4);\n",
				field_tags[f], side, side);
		if (f6->used)
			fprintf(out,
				"\t\t\tif (st->family == UT_FAM_V6)\n"
				"\t\t\t\tc = UT_CLS_%s + ut_cls_%s6(st->%s64[0], st->%s64[1]);\n",
				field_tags[f + 1], side, side, side);
		emit_cls_to_list(out, slot);
		break;
	}
	case F_SPORT:
	case F_DPORT:
		fprintf(out,
			"\t\tif (st->has & UT_HAS_%s) {\n"
			"\t\t\t__u32 c = UT_CLS_%s + UT_TB(%s, UT_TAB_%s_CLASS)[st->%s];\n\n",
			field_tags[f], field_tags[f], fi->pcls32 ? "__u32" : "__u16", field_tags[f],
			field_names[f]);
		emit_cls_to_list(out, slot);
		break;
	case F_PROTO:
		fputs("\t\tif (st->has & UT_HAS_PROTO) {\n"
		      "\t\t\t__u32 c = UT_CLS_PROTO + st->proto;\n\n",
		      out);
		emit_cls_to_list(out, slot);
		break;
	case F_WILD:
		fprintf(out,
			"\t\tc%d = UT_TB(struct ut_tl, UT_TAB_CLASSES)[UT_CLS_WILD].off;\n"
			"\t\te%d = c%d + UT_TB(struct ut_tl, UT_TAB_CLASSES)[UT_CLS_WILD].cnt;\n",
			slot, slot, slot);
		break;
	default:
		break;
	}
}

/* The merge: the smallest head among the lists, taken. A global function,
 * so that the verifier checks its branches once instead of once per
 * combination per loop iteration. */
static void emit_next(FILE *out, const struct lists_used *u)
{
	fprintf(out,
		"\nstruct ut_cur {\n\t__u32 c[%d], e[%d];\n};\n"
		"__attribute__((noinline)) __u32 ut_next(struct ut_cur *m)\n{\n"
		"\t__u32 best = UT_RULE_NONE, w = %d, id;\n\n"
		"\tif (!m)\n\t\treturn UT_RULE_NONE;\n",
		u->n, u->n, u->n);
	for (int i = 0; i < u->n; i++)
		fprintf(out,
			"\tif (m->c[%d] < m->e[%d]) {\n"
			"\t\tid = UT_TB(__u32, UT_TAB_IDS)[UT_CLAMP(m->c[%d], UT_TAB_IDS_N)];\n"
			"\t\tif (id < best) {\n\t\t\tbest = id;\n\t\t\tw = %d;\n\t\t}\n\t}\n",
			i, i, i, i);
	fprintf(out, "\tif (w < %d)\n\t\tm->c[w]++;\n\treturn best;\n}\n", u->n);
}

/* Everything at file scope: the data, the lookups, the check. */
void emit_table_prelude(const struct emit_ctx *e, void **state)
{
	FILE *out = e->out;
	struct table *t = xcalloc(1, sizeof(*t));
	struct lists_used u;

	table_build(t, e->p);
	lists_used(t, &u);
	*state = t;
	fputs("\n/* ---- table strategy: rules as data (compiler/codegen/table_emit.c) ---- */\n",
	      out);
	emit_entry_types(out);
	emit_flags(out);
	fputs(common_code, out);
	emit_regions(out, t);
	emit_rule_list(out, t);
	emit_blob(out, &t->blob);
	if (t->f[F_SRC4].used)
		emit_lpm4_fn(out, t, F_SRC4);
	if (t->f[F_DST4].used)
		emit_lpm4_fn(out, t, F_DST4);
	if (t->f[F_SRC6].used)
		emit_lpm6_fn(out, t, F_SRC6);
	if (t->f[F_DST6].used)
		emit_lpm6_fn(out, t, F_DST6);
	size_t bound = 0;
	for (int i = 0; i < u.n; i++)
		bound += list_bound(t, u.f[i]);
	t->bound = bound;
	bool inline_only = !u.n || (u.n == 1 && bound <= INLINE_CANDIDATES);

	emit_list_checks(out, t);
	emit_check(out, t, !inline_only);
	if (inline_only)
		return;
	emit_next(out, &u);
	if (bound > INLINE_LOOP_MAX)
		fputs("\nstruct ut_merge {\n\tstruct ut_cur cur;\n\tstruct xdp_md *ctx;\n"
		      "\tstruct ut_state *st;\n\t__u32 verdict, rule;\n};\n"
		      "static long ut_merge_step(__u32 it, void *arg)\n{\n"
		      "\tstruct ut_merge *m = arg;\n\t__u32 id;\n\tint v;\n\n"
		      "\t(void)it;\n"
		      "\tid = ut_next(&m->cur);\n"
		      "\tif (id == UT_RULE_NONE)\n\t\treturn 1;\n"
		      "\tv = ut_check(m->ctx, m->st, id);\n"
		      "\tif (v) {\n\t\tm->verdict = v;\n\t\tm->rule = id;\n\t\treturn 1;\n\t}\n"
		      "\treturn 0;\n}\n",
		      out);
}

/* The candidates of one list, checked inline, without calls. */
static void emit_inline_loop(FILE *out, const struct table *t)
{
	fprintf(out,
		"\t\tfor (__u32 it = 0; it < %zu; it++) {\n"
		"\t\t\tif (c0 >= e0)\n\t\t\t\tbreak;\n"
		"\t\t\t__u32 id = UT_TB(__u32, UT_TAB_IDS)[UT_CLAMP(c0, UT_TAB_IDS_N)];\n"
		"\t\t\tint v = ut_check_body(ctx, st, id);\n\n"
		"\t\t\tc0++;\n"
		"\t\t\tif (v) {\n\t\t\t\tverdict = v;\n\t\t\t\trule = id;\n\t\t\t\tbreak;\n\t\t\t}\n"
		"\t\t}\n",
		t->bound);
}

/* The lists merged by ut_next(), each candidate checked by ut_check(). */
static void emit_merge_loop(FILE *out, const struct table *t)
{
	if (t->bound > INLINE_LOOP_MAX) {
		fprintf(out,
			"\t\tstruct ut_merge m = {.cur = cur, .ctx = ctx, .st = st};\n\n"
			"\t\tbpf_loop(%zu, ut_merge_step, &m, 0);\n"
			"\t\tif (m.verdict) {\n\t\t\tverdict = m.verdict;\n\t\t\trule = m.rule;\n\t\t}\n",
			t->bound);
		return;
	}
	fprintf(out,
		"\t\tfor (__u32 it = 0; it < %zu; it++) {\n"
		"\t\t\t__u32 id = ut_next(&cur);\n\n"
		"\t\t\tif (id == UT_RULE_NONE)\n\t\t\t\tbreak;\n"
		"\t\t\tint v = ut_check(ctx, st, id);\n\n"
		"\t\t\tif (v) {\n\t\t\t\tverdict = v;\n\t\t\t\trule = id;\n\t\t\t\tbreak;\n\t\t\t}\n"
		"\t\t}\n",
		t->bound);
}

void emit_table_main(const struct emit_ctx *e, void *state)
{
	FILE *out = e->out;
	struct table *t = state;
	struct lists_used u;
	bool inline_only;

	lists_used(t, &u);
	inline_only = u.n == 1 && t->bound <= INLINE_CANDIDATES;
	/* A rule without a family test would let a frame of no family in. */
	emit_deep_frames(e);
	if (u.n) {
		fputs("\t{\n"
		      "\t\t/* Per key field, the packet's candidates: entries cN..eN of UT_TAB_IDS. */\n",
		      out);
		for (int i = 0; i < u.n; i++)
			fprintf(out, "\t\t__u32 c%d = 0, e%d = 0; /* %s */\n", i, i,
				list_names[u.f[i]]);
		fputc('\n', out);
		for (int i = 0; i < u.n; i++)
			emit_class_lookup(out, t, u.f[i], i);
		if (!inline_only) {
			fputs("\t\tstruct ut_cur cur = {", out);
			for (int i = 0; i < u.n; i++)
				fprintf(out, "%s.c[%d] = c%d, .e[%d] = e%d", i ? ", " : "", i, i, i,
					i);
			fputs("};\n\n", out);
		}
		if (inline_only)
			emit_inline_loop(out, t);
		else
			emit_merge_loop(out, t);
		fputs("\t}\n", out);
	}
	table_free(t);
	free(t);
}

void emit_table_describe(const struct ir_program *p, FILE *out)
{
	struct table t;
	struct lists_used u;
	size_t bound = 0;

	table_build(&t, p);
	lists_used(&t, &u);
	for (int i = 0; i < u.n; i++)
		bound += list_bound(&t, u.f[i]);
	fprintf(out, "#   tables: %zu bytes of read-only data, %zu classes, %zu candidate ids\n",
		t.blob.len, t.ncls, t.nids);
	for (int f = 0; f < F_NR; f++) {
		const struct findex *fi = &t.f[f];
		if (!fi->used)
			continue;
		fprintf(out, "#   key %-5s %6zu rules, %6zu classes, at most %zu candidates",
			field_names[f], fi->nrules, fi->ncls, fi->maxlen);
		if (f == F_SRC4 || f == F_DST4)
			fprintf(out, " (%zu /24 blocks, %zu leaves)", fi->t4.nblocks,
				fi->nbit + fi->ntab);
		if (f == F_SRC6 || f == F_DST6)
			fprintf(out, " (%u prefix lengths)", fi->t6.nlens);
		fputc('\n', out);
	}
	fprintf(out, "#   a packet checks at most %zu candidates\n", bound);
	table_free(&t);
}
