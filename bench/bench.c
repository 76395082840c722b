/* untrack-bench: ns/packet of compiled policies and of the anchors, measured
 * in one process with BPF_PROG_TEST_RUN, for `make bench` (bench/run.sh).
 *
 *   untrack-bench --anchors ANCHORS.o [--xdp-filter XDPFILT.o] [--repeat R]
 *                 [--calls K] [--out CSV] CASE...
 *   CASE := LABEL,KIND,N,POLICY.utp,POLICY.o      KIND: rules | set
 *
 * For each case it compiles the .utp in-process (front end only) to pick
 * packets with the reference evaluator: one the first deciding rule takes,
 * one the last deciding rule takes, one no rule takes although it looks like
 * the last rule's packet (same addresses, another port or protocol: the
 * classifier's worst case), and one from an address no rule names ("far").
 * Each packet's kernel verdict is checked against the evaluator before
 * anything is timed. xdp-filter gets the equivalent exact-match entries (the
 * first address of each rule's source prefix, or of each set prefix) and the
 * same packets.
 *
 * Every timed call is one BPF_PROG_TEST_RUN of R repeats; the figure is the
 * median over K calls of the kernel's mean ns per run (whole nanoseconds).
 * The kernel's clock stops while the test run yields the CPU, so other load
 * on the machine does not inflate it the way wall time is (written too, as
 * METRIC_wall, with METRIC_mean the mean of the middle half of the calls).
 * Calls of all subjects are interleaved round by round so drift hits them
 * alike.
 *
 * Output: CSV lines "label,kind,n,metric,value" on --out (default stdout). */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ref/eval.h"
#include "front/read_file.h"
#include "policy_text.h"
#include "objload.h"
#include "ref/pkt.h"
#include "ref/pktbuild.h"
#include "untrack_abi.h"

#define MAX_CASES    32
#define MAX_SUBJECTS 512
#define MAX_CALLS    64

/* xdp-filter's map flags (xdp-tools, xdp-filter/common_kern_user.h). */
#define XF_FLAG_SRC (1u << 0)

enum pkt_kind { PK_FIRST, PK_LAST, PK_NONE, PK_FAR, PK_NR };
static const char *const pkt_names[PK_NR] = {"first", "last", "none", "far"};

struct frame {
	bool ok;
	uint8_t data[256];
	size_t len;
	int64_t expect_rule; /* -1: none */
};

struct subject {
	char label[64], kind[16], metric[64];
	long n;
	int fd;
	const struct frame *frame;
	double wall[MAX_CALLS];
	uint32_t kns[MAX_CALLS];
};

struct xfilter {
	struct bpf_object *obj;
	int prog_fd;
};

struct bcase {
	char label[64], kind[16];
	long n;
	char *utp, *obj;
	struct ir_program *ir;
	char *source;
	struct diag_ctx diag;
	struct pipeline pl;
	bool loaded;
	struct frame frames[PK_NR];
	struct xfilter xf;
};

static struct subject subjects[MAX_SUBJECTS];
static size_t nsubjects;
static FILE *out;
static int ncpus, cpu;

static void emit(const char *label, const char *kind, long n, const char *metric, double v)
{
	fprintf(out, "%s,%s,%ld,%s,%.3f\n", label, kind, n, metric, v);
}

static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "untrack-bench: error: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(1);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* One test run; returns 0 and the XDP return value. */
static int test_run(int fd, const struct frame *f, uint32_t repeat, uint32_t *retval, double *wall,
		    uint32_t *kns)
{
	uint8_t buf[512];
	struct xdp_md ctx_in = {.data = 0, .data_end = (uint32_t)f->len, .ingress_ifindex = 1};
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f->data, .data_size_in = (uint32_t)f->len,
		    .data_out = buf, .data_size_out = sizeof(buf), .ctx_in = &ctx_in,
		    .ctx_size_in = sizeof(ctx_in), .repeat = repeat);
	double t0 = now_ns();

	if (bpf_prog_test_run_opts(fd, &opts))
		return -errno;
	if (wall)
		*wall = (now_ns() - t0) / repeat;
	if (kns)
		*kns = opts.duration;
	if (retval)
		*retval = opts.retval;
	return 0;
}

/* ------------------------------------------------------------ packets */

static void addr_of(uint8_t fam, const char *text, uint8_t out[16])
{
	memset(out, 0, 16);
	inet_pton(fam == FAM_V4 ? AF_INET : AF_INET6, text, out);
}

/* A prefix of family fam from an address condition (literal or set), or
 * NULL. */
static const struct prefix *first_prefix(const struct ir_program *p, const struct ir_addr_match *m,
					 uint8_t fam)
{
	for (size_t i = 0; i < m->nprefixes; i++)
		if (m->prefixes[i].family == fam)
			return &m->prefixes[i];
	for (size_t s = 0; s < m->nsets; s++) {
		const struct ir_set *set = &p->sets[m->sets[s]];
		for (size_t i = 0; i < set->nprefixes; i++)
			if (set->prefixes[i].family == fam)
				return &set->prefixes[i];
	}
	return NULL;
}

/* The last prefix of a set condition (the "last" entry of a big set). */
static const struct prefix *last_prefix(const struct ir_program *p, const struct ir_addr_match *m,
					uint8_t fam)
{
	for (size_t s = m->nsets; s-- > 0;) {
		const struct ir_set *set = &p->sets[m->sets[s]];
		for (size_t i = set->nprefixes; i-- > 0;)
			if (set->prefixes[i].family == fam)
				return &set->prefixes[i];
	}
	for (size_t i = m->nprefixes; i-- > 0;)
		if (m->prefixes[i].family == fam)
			return &m->prefixes[i];
	return NULL;
}

static void pick_addr(const struct ir_program *p, const struct ir_addr_match *m, uint8_t fam,
		      bool last, uint8_t out[16])
{
	static const char *const outside4 = "198.18.7.9", *const outside6 = "fd00:77::9";
	const struct prefix *pf;

	if (!m || m->negate) {
		addr_of(fam, fam == FAM_V4 ? outside4 : outside6, out);
		return;
	}
	pf = last ? last_prefix(p, m, fam) : first_prefix(p, m, fam);
	if (!pf) {
		addr_of(fam, fam == FAM_V4 ? outside4 : outside6, out);
		return;
	}
	memcpy(out, pf->addr, 16);
}

static int pick_port(const struct ir_port_match *m)
{
	if (!m)
		return 40000;
	if (!m->negate)
		return m->ranges[0].lo;
	for (int port = 1; port < 65536; port++) {
		bool in = false;
		for (size_t i = 0; i < m->nranges; i++)
			in |= port >= m->ranges[i].lo && port <= m->ranges[i].hi;
		if (!in)
			return port;
	}
	return 0;
}

static void flow_for_rule(const struct ir_program *p, const struct ir_rule *r, bool last,
			  struct flow *fl)
{
	flow_init(fl);
	fl->family = r->families & FAM_V4 ? FAM_V4 : FAM_V6;
	fl->proto = r->proto != IR_PROTO_ANY ? r->proto : IPPROTO_NUM_UDP;
	if (r->proto == IPPROTO_NUM_ICMP || r->proto == IPPROTO_NUM_ICMPV6) {
		fl->icmp_type = r->icmp_type != IR_ICMP_ANY ? r->icmp_type : 8;
		fl->icmp_code = r->icmp_code != IR_ICMP_ANY ? r->icmp_code : 0;
	} else {
		fl->sport = pick_port(r->sport);
		fl->dport = pick_port(r->dport);
	}
	pick_addr(p, r->src, fl->family, last, fl->src);
	if (r->dst)
		pick_addr(p, r->dst, fl->family, last, fl->dst);
	else
		addr_of(fl->family, fl->family == FAM_V4 ? "198.18.0.1" : "fd00:77::1", fl->dst);
	fl->payload_len = fl->family == FAM_V4 ? 18 : 0; /* a 60-byte IPv4/UDP frame */
}

static int64_t eval_frame(const struct ir_program *p, const struct frame *f)
{
	struct pkt_fields pf;
	struct eval_result res;

	pkt_parse(f->data, f->len, &pf);
	eval_packet(p, DIR_INGRESS, &pf, &res);
	return res.verdict == EVAL_NONE ? -1 : res.rule;
}

static bool build(const struct ir_program *p, const struct flow *fl, struct frame *f)
{
	f->len = pktbuild_frame(fl, f->data, sizeof(f->data));
	if (!f->len)
		return false;
	f->expect_rule = eval_frame(p, f);
	f->ok = true;
	return true;
}

static void pick_frames(struct bcase *c)
{
	const struct ir_program *p = c->ir;
	const struct ir_rule *first = NULL, *last = NULL;
	struct flow fl;

	for (size_t i = 0; i < p->nrules; i++) {
		const struct ir_rule *r = &p->rules[i];
		if (r->dir != DIR_INGRESS || r->action == ACT_LOG)
			continue;
		if (!first)
			first = r;
		last = r;
	}
	if (!first)
		die("%s: no deciding ingress rule", c->utp);
	flow_for_rule(p, first, false, &fl);
	if (!build(p, &fl, &c->frames[PK_FIRST]) ||
	    c->frames[PK_FIRST].expect_rule != (int64_t)first->id)
		fprintf(stderr,
			"untrack-bench: %s: the first-rule packet is decided by rule %lld\n",
			c->label, (long long)c->frames[PK_FIRST].expect_rule);
	flow_for_rule(p, last, true, &fl);
	if (!build(p, &fl, &c->frames[PK_LAST]) ||
	    c->frames[PK_LAST].expect_rule != (int64_t)last->id)
		fprintf(stderr, "untrack-bench: %s: the last-rule packet is decided by rule %lld\n",
			c->label, (long long)c->frames[PK_LAST].expect_rule);

	/* No match, as close to the last rule as possible. */
	struct flow base = fl;
	struct flow t[4] = {base, base, base, base};

	t[0].dport = base.dport >= 0 ? (base.dport + 1) % 65536 : 7;
	t[0].icmp_type = base.icmp_type >= 0 ? (base.icmp_type + 1) % 256 : -1;
	t[1].proto = base.proto == IPPROTO_NUM_UDP ? IPPROTO_NUM_TCP : IPPROTO_NUM_UDP;
	t[1].sport = t[1].dport = 7;
	t[1].icmp_type = t[1].icmp_code = -1;
	t[2].proto = IPPROTO_NUM_UDP;
	t[2].sport = 40000;
	t[2].dport = 9;
	t[2].icmp_type = t[2].icmp_code = -1;
	t[3] = t[2];
	addr_of(t[3].family, t[3].family == FAM_V4 ? "198.18.7.9" : "fd00:77::9", t[3].src);
	addr_of(t[3].family, t[3].family == FAM_V4 ? "198.18.7.10" : "fd00:77::10", t[3].dst);
	for (size_t i = 0; i < 4; i++) {
		if (build(p, &t[i], &c->frames[PK_NONE]) && c->frames[PK_NONE].expect_rule < 0)
			break;
		c->frames[PK_NONE].ok = false;
	}
	flow_init(&fl);
	fl.family = FAM_V4;
	fl.proto = IPPROTO_NUM_UDP;
	fl.sport = 40000;
	fl.dport = 9;
	fl.payload_len = 18;
	addr_of(FAM_V4, "198.18.7.9", fl.src);
	addr_of(FAM_V4, "198.18.7.10", fl.dst);
	if (!build(p, &fl, &c->frames[PK_FAR]) || c->frames[PK_FAR].expect_rule >= 0)
		c->frames[PK_FAR].ok = false;
}

/* ------------------------------------------------------------ xdp-filter */

static int xf_add(int fd, const void *key)
{
	uint64_t *vals = calloc((size_t)ncpus, sizeof(*vals));
	int ret;

	for (int i = 0; i < ncpus; i++)
		vals[i] = XF_FLAG_SRC;
	ret = bpf_map_update_elem(fd, key, vals, BPF_ANY) ? -errno : 0;
	free(vals);
	return ret;
}

static void xf_add_prefix(int fd4, int fd6, const struct prefix *pf)
{
	if (pf->family == FAM_V4)
		xf_add(fd4, pf->addr);
	else
		xf_add(fd6, pf->addr);
}

static int xf_load(struct bcase *c, const char *path)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	struct bpf_map *m;
	size_t entries = 0;
	int fd4, fd6;

	if (!obj)
		return -errno;
	for (size_t i = 0; i < c->ir->nsets; i++)
		entries += c->ir->sets[i].nprefixes;
	entries += c->ir->nrules;
	/* Loaded by hand, never pinned: the bench must leave nothing behind. */
	bpf_object__for_each_map(m, obj)
	{
		bpf_map__set_pin_path(m, NULL);
		if (strcmp(bpf_map__name(m), "filter_ipv4") == 0 ||
		    strcmp(bpf_map__name(m), "filter_ipv6") == 0)
			bpf_map__set_max_entries(m, (uint32_t)(entries + 16));
	}
	if (bpf_object__load(obj)) {
		bpf_object__close(obj);
		return -EINVAL;
	}
	fd4 = bpf_object__find_map_fd_by_name(obj, "filter_ipv4");
	fd6 = bpf_object__find_map_fd_by_name(obj, "filter_ipv6");
	struct bpf_program *prog = bpf_object__next_program(obj, NULL);
	if (fd4 < 0 || fd6 < 0 || !prog) {
		bpf_object__close(obj);
		return -ENOENT;
	}
	for (size_t i = 0; i < c->ir->nrules; i++) {
		const struct ir_rule *r = &c->ir->rules[i];
		if (r->dir != DIR_INGRESS || !r->src || r->src->negate)
			continue;
		for (size_t k = 0; k < r->src->nprefixes; k++)
			xf_add_prefix(fd4, fd6, &r->src->prefixes[k]);
	}
	for (size_t s = 0; s < c->ir->nsets; s++)
		for (size_t k = 0; k < c->ir->sets[s].nprefixes; k++)
			xf_add_prefix(fd4, fd6, &c->ir->sets[s].prefixes[k]);
	c->xf.obj = obj;
	c->xf.prog_fd = bpf_program__fd(prog);
	return 0;
}

/* ------------------------------------------------------------ cases */

static void add_subject(const char *label, const char *kind, long n, const char *metric, int fd,
			const struct frame *f)
{
	struct subject *s;

	if (nsubjects == MAX_SUBJECTS)
		die("%s", "too many subjects");
	s = &subjects[nsubjects++];
	snprintf(s->label, sizeof(s->label), "%s", label);
	snprintf(s->kind, sizeof(s->kind), "%s", kind);
	snprintf(s->metric, sizeof(s->metric), "%s", metric);
	s->n = n;
	s->fd = fd;
	s->frame = f;
}

static int read_rule(const struct pipeline *pl, uint32_t *rule)
{
	struct ut_state *vals = calloc((size_t)ncpus, sizeof(*vals));
	uint32_t zero = 0;
	int ret;

	ret = bpf_map_lookup_elem(pl->state_fd, &zero, vals) ? -errno : 0;
	if (!ret)
		*rule = vals[cpu].rule;
	free(vals);
	return ret;
}

static int reset_rule(const struct pipeline *pl)
{
	struct ut_state *vals = calloc((size_t)ncpus, sizeof(*vals));
	uint32_t zero = 0;
	int ret;

	for (int i = 0; i < ncpus; i++)
		vals[i].rule = UT_RULE_NONE;
	ret = bpf_map_update_elem(pl->state_fd, &zero, vals, BPF_ANY) ? -errno : 0;
	free(vals);
	return ret;
}

static void setup_case(struct bcase *c, const char *xf_path)
{
	size_t len;
	const char *why;
	char err[1024];

	if (read_source_file(c->utp, &c->source, &len, &why))
		die("cannot read %s", c->utp);
	diag_init(&c->diag, c->utp, c->source, len);
	c->diag.no_warnings = true;
	c->ir = policy_compile(&c->diag);
	if (!c->ir || diag_failed(&c->diag))
		die("%s does not compile", c->utp);
	pick_frames(c);

	double t0 = now_ns();
	if (pipeline_load(&c->pl, c->obj, err, sizeof(err))) {
		fprintf(stderr, "untrack-bench: %s: %s\n", c->label, err);
		exit(1);
	}
	emit(c->label, c->kind, c->n, "load_ms", (now_ns() - t0) / 1e6);
	c->loaded = true;

	struct bpf_prog_info info;
	uint32_t ilen = sizeof(info);
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(c->pl.policy_fd, &info, &ilen) == 0) {
		emit(c->label, c->kind, c->n, "verified_insns", info.verified_insns);
		emit(c->label, c->kind, c->n, "xlated_bytes", info.xlated_prog_len);
		emit(c->label, c->kind, c->n, "jited_bytes", info.jited_prog_len);
	}

	/* Every packet's kernel verdict must be the evaluator's. */
	for (int k = 0; k < PK_NR; k++) {
		const struct frame *f = &c->frames[k];
		uint32_t rule = 0, rv;
		char metric[64];
		if (!f->ok)
			continue;
		if (reset_rule(&c->pl) || test_run(c->pl.main_fd, f, 1, &rv, NULL, NULL) ||
		    read_rule(&c->pl, &rule))
			die("test run failed for %s", c->label);
		int64_t got = rule == UT_RULE_NONE ? -1 : (int64_t)rule;
		if (got != f->expect_rule) {
			fprintf(stderr,
				"untrack-bench: %s: packet '%s': the kernel says rule %lld, the evaluator %lld\n",
				c->label, pkt_names[k], (long long)got, (long long)f->expect_rule);
			exit(1);
		}
		snprintf(metric, sizeof(metric), "untrack_%s_ns", pkt_names[k]);
		add_subject(c->label, c->kind, c->n, metric, c->pl.main_fd, f);
	}
	if (xf_path) {
		int e = xf_load(c, xf_path);
		if (e) {
			fprintf(stderr, "untrack-bench: %s: cannot load xdp-filter '%s': %s\n",
				c->label, xf_path, strerror(-e));
			exit(1);
		}
		for (int k = 0; k < PK_NR; k++) {
			char metric[64];
			if (!c->frames[k].ok)
				continue;
			snprintf(metric, sizeof(metric), "xdpfilter_%s_ns", pkt_names[k]);
			add_subject(c->label, c->kind, c->n, metric, c->xf.prog_fd, &c->frames[k]);
		}
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void usage(void)
{
	fputs("usage: untrack-bench --anchors ANCHORS.o [--runtime-anchor] [--xdp-filter OBJ]\n"
	      "                     [--repeat R] [--calls K] [--out CSV] LABEL,KIND,N,UTP,OBJ...\n",
	      stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"anchors", required_argument, NULL, 'a'},
		{"xdp-filter", required_argument, NULL, 'x'},
		{"repeat", required_argument, NULL, 'r'},
		{"calls", required_argument, NULL, 'c'},
		{"out", required_argument, NULL, 'o'},
		{0},
	};
	static struct bcase cases[MAX_CASES];
	const char *anchors = NULL, *xf = NULL, *outpath = NULL;
	unsigned long repeat = 1000000, calls = 7;
	size_t ncases = 0;
	int c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'a':
			anchors = optarg;
			break;
		case 'x':
			xf = optarg;
			break;
		case 'r':
			repeat = strtoul(optarg, NULL, 10);
			break;
		case 'c':
			calls = strtoul(optarg, NULL, 10);
			break;
		case 'o':
			outpath = optarg;
			break;
		default:
			usage();
		}
	}
	if (!anchors || repeat == 0 || calls == 0 || calls > MAX_CALLS)
		usage();
	out = outpath ? fopen(outpath, "w") : stdout;
	if (!out)
		die("cannot write %s", outpath);
	ncpus = libbpf_num_possible_cpus();
	cpu = pipeline_pin_cpu();
	if (ncpus <= 0 || cpu < 0)
		die("%s", "cannot pin to a CPU");

	for (int i = optind; i < argc; i++) {
		struct bcase *bc;
		char *fields[5], *save = NULL, *arg = argv[i];
		int nf = 0;

		if (ncases == MAX_CASES)
			die("%s", "too many cases");
		for (char *t = strtok_r(arg, ",", &save); t && nf < 5;
		     t = strtok_r(NULL, ",", &save))
			fields[nf++] = t;
		if (nf != 5)
			usage();
		bc = &cases[ncases++];
		snprintf(bc->label, sizeof(bc->label), "%s", fields[0]);
		snprintf(bc->kind, sizeof(bc->kind), "%s", fields[1]);
		bc->n = strtol(fields[2], NULL, 10);
		bc->utp = fields[3];
		bc->obj = fields[4];
	}

	/* The anchors: a bare XDP_DROP, a parse-only program, and untrack's
	 * own parser with no policy behind it. */
	struct bpf_object *aobj = bpf_object__open_file(anchors, NULL);
	if (!aobj || bpf_object__load(aobj))
		die("cannot load the anchors '%s'", anchors);
	int drop_fd = bpf_program__fd(bpf_object__find_program_by_name(aobj, "xdp_drop"));
	int parse_fd = bpf_program__fd(bpf_object__find_program_by_name(aobj, "parse_only"));

	static struct frame anchor_frame;
	struct flow fl;
	flow_init(&fl);
	fl.family = FAM_V4;
	fl.proto = IPPROTO_NUM_UDP;
	fl.sport = 40000;
	fl.dport = 9;
	fl.payload_len = 18;
	addr_of(FAM_V4, "198.18.7.9", fl.src);
	addr_of(FAM_V4, "198.18.7.10", fl.dst);
	anchor_frame.len = pktbuild_frame(&fl, anchor_frame.data, sizeof(anchor_frame.data));
	anchor_frame.ok = true;
	add_subject("anchor", "anchor", 0, "xdp_drop_ns", drop_fd, &anchor_frame);
	add_subject("anchor", "anchor", 0, "parse_only_ns", parse_fd, &anchor_frame);

	for (size_t i = 0; i < ncases; i++) {
		setup_case(&cases[i], xf);
		if (i == 0) {
			/* untrack_main with nothing in the policy slot. */
			static struct pipeline empty;
			char err[1024];
			if (pipeline_load(&empty, cases[0].obj, err, sizeof(err)))
				die("%s", err);
			uint32_t slot = UT_SLOT_POLICY;
			bpf_map_delete_elem(empty.jmp_fd, &slot);
			add_subject("anchor", "anchor", 0, "main_only_ns", empty.main_fd,
				    &anchor_frame);
		}
	}

	/* Warm up, then interleave the calls. */
	for (size_t s = 0; s < nsubjects; s++)
		test_run(subjects[s].fd, subjects[s].frame, (uint32_t)repeat / 10 + 1, NULL, NULL,
			 NULL);
	for (unsigned long k = 0; k < calls; k++) {
		for (size_t s = 0; s < nsubjects; s++) {
			struct subject *sb = &subjects[s];
			if (test_run(sb->fd, sb->frame, (uint32_t)repeat, NULL, &sb->wall[k],
				     &sb->kns[k]))
				die("test run failed: %s", strerror(errno));
		}
	}
	for (size_t s = 0; s < nsubjects; s++) {
		struct subject *sb = &subjects[s];
		char metric[96];
		double sum = 0;
		size_t lo = calls / 4, hi = calls - calls / 4;

		qsort(sb->wall, calls, sizeof(sb->wall[0]), cmp_double);
		qsort(sb->kns, calls, sizeof(sb->kns[0]), cmp_u32);
		emit(sb->label, sb->kind, sb->n, sb->metric, sb->kns[calls / 2]);
		for (size_t k = lo; k < hi; k++)
			sum += sb->kns[k];
		snprintf(metric, sizeof(metric), "%s_mean", sb->metric);
		emit(sb->label, sb->kind, sb->n, metric, sum / (double)(hi - lo));
		snprintf(metric, sizeof(metric), "%s_wall", sb->metric);
		emit(sb->label, sb->kind, sb->n, metric, sb->wall[calls / 2]);
	}
	fflush(out);
	/* Exit without tearing every object down one by one: the kernel frees
	 * everything with the process. */
	return 0;
}
