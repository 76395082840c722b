/* The ABI between the prebuilt BPF runtime (runtime-bpf/), the policy
 * programs untrackc generates, and the user-space loader. Every number the
 * three share is defined here and nowhere else; docs/abi.md explains them.
 *
 * The header compiles as BPF C (clang -target bpf, which defines __bpf__)
 * and as user-space C: maps and inline helpers exist only on the BPF side.
 *
 * Pipeline for one ingress packet (XDP):
 *   untrack_main    parses the frame into the per-CPU struct ut_state,
 *                   tail-calls ut_jmp[UT_SLOT_POLICY]
 *   policy          generated; reads ut_state, counts the deciding rule in
 *                   its own ut_rule_stats, ends in ut_decide(): returns
 *                   XDP_PASS or tail-calls ut_jmp[UT_SLOT_ACCEPT / _DROP]
 *   untrack_accept  writes UT_META_MAGIC into the XDP metadata, XDP_PASS
 *   untrack_drop    XDP_DROP
 *   untrack_tc_ingress  (TC ingress) turns the metadata flag into the skb
 *                   mark bit UT_MARK_VALUE, which nftables makes notrack. */
#ifndef UNTRACK_ABI_H
#define UNTRACK_ABI_H

#include <linux/types.h>

/* Bumped on any change to this file that changes the meaning or layout of
 * something shared. The loader refuses objects built for another version:
 * each object carries the number it was built with (ut_abi_version below). */
#define UT_ABI_VERSION 4

/* The ELF section holding an object's __u32 ut_abi_version. libbpf turns it
 * into an internal map of that name whose initial value the loader reads. */
#define UT_ABI_SECTION ".rodata.ut_abi"

/* ------------------------------------------------------------ packet state */

/* struct ut_state.family. The values are objfmt/addr.h's FAM_* bits; 0 is
 * a frame with more VLAN tags than are walked (UT_MAX_VLAN), which reaches
 * the policy only to meet the rules whose sole condition is 'incomplete'. */
#define UT_FAM_V4 1
#define UT_FAM_V6 2

/* struct ut_state.has: which fields were readable (compiler/ref/pkt.h
 * PKT_HAS_*). A field whose bit is clear is zero and fails every condition. */
#define UT_HAS_PROTO	  (1u << 0)
#define UT_HAS_SRC	  (1u << 1)
#define UT_HAS_DST	  (1u << 2)
#define UT_HAS_SPORT	  (1u << 3)
#define UT_HAS_DPORT	  (1u << 4)
#define UT_HAS_TYPE	  (1u << 5)
#define UT_HAS_CODE	  (1u << 6)
/* Not a field: the packet is incomplete (compiler/ref/pkt.h
 * PKT_HAS_INCOMPLETE): the frame ends inside, or IPv4's IHL < 5 breaks, a
 * header needed to locate the L4 header, or the frame has more VLAN tags
 * than are walked. A rule's conditions are then one mask over `has`. */
#define UT_HAS_INCOMPLETE (1u << 7)

/* Parser limit (compiler/ref/pkt.h PKT_MAX_VLAN). IPv6 extension headers
 * have none: the chain is walked to its end. */
#define UT_MAX_VLAN 2

/* struct ut_state.rule when no rule decided (yet). */
#define UT_RULE_NONE 0xffffffffu

/* What untrack_main saw of the frame; one per CPU, rewritten for every IP
 * packet before the policy runs (all but no_match). Unreadable fields are
 * zero. The policy reads it and writes only .rule and .no_match.
 *
 * Layout: the fields almost every rule tests sit in the first 8 bytes, so a
 * policy can fetch family/has/proto/nonfirst_fragment as one __u32 and both
 * ports as one __u32. Addresses are in network byte order at fixed offsets;
 * an IPv4 address is src4/dst4 (bytes 0..3) and the rest is zero, so a
 * masked compare needs a single 4-byte load. */
struct ut_state {
	__u8 family;		/* UT_FAM_*, or 0: a deep VLAN frame (above) */
	__u8 has;		/* UT_HAS_* */
	__u8 proto;		/* IP protocol / final IPv6 Next Header */
	__u8 nonfirst_fragment; /* 1: fragment offset != 0, no L4 fields */
	__u16 sport;		/* host byte order */
	__u16 dport;		/* host byte order */
	__u8 icmp_type;
	__u8 icmp_code;
	__u16 _pad0;
	__u32 pkt_len; /* bytes in the frame (XDP linear data) */
	union {
		__u8 src[16];
		__u32 src4;
		__u32 src32[4];
		__u64 src64[2];
	};
	union {
		__u8 dst[16];
		__u32 dst4;
		__u32 dst32[4];
		__u64 dst64[2];
	};
	__u32 rule; /* deciding rule id, or UT_RULE_NONE; written by the policy */
	__u32 _pad1;
	/* The runtime counter NO_MATCH of this CPU: packets no rule decided.
	 * Kept here, where the policy holds a pointer already, because the
	 * same count in ut_rt_stats would cost every such packet a second
	 * map lookup. Never rewritten by untrack_main; readers add it to
	 * ut_rt_stats[UT_RT_NO_MATCH] (which stays zero). */
	__u64 no_match;
};

_Static_assert(sizeof(struct ut_state) == 64, "ut_state layout is ABI");
/* untrack_main writes bytes 0..15 as two __u64 words. */
_Static_assert(__builtin_offsetof(struct ut_state, has) == 1, "ut_state layout is ABI");
_Static_assert(__builtin_offsetof(struct ut_state, proto) == 2, "ut_state layout is ABI");
_Static_assert(__builtin_offsetof(struct ut_state, nonfirst_fragment) == 3,
	       "ut_state layout is ABI");
_Static_assert(__builtin_offsetof(struct ut_state, sport) == 4, "ut_state layout is ABI");
_Static_assert(__builtin_offsetof(struct ut_state, dport) == 6, "ut_state layout is ABI");
_Static_assert(__builtin_offsetof(struct ut_state, icmp_type) == 8, "ut_state layout is ABI");
_Static_assert(__builtin_offsetof(struct ut_state, icmp_code) == 9, "ut_state layout is ABI");
_Static_assert(__builtin_offsetof(struct ut_state, pkt_len) == 12, "ut_state layout is ABI");
_Static_assert(__builtin_offsetof(struct ut_state, src) == 16, "ut_state layout is ABI");
_Static_assert(__builtin_offsetof(struct ut_state, dst) == 32, "ut_state layout is ABI");
_Static_assert(__builtin_offsetof(struct ut_state, rule) == 48, "ut_state layout is ABI");
_Static_assert(__builtin_offsetof(struct ut_state, no_match) == 56, "ut_state layout is ABI");

/* ------------------------------------------------------------ tail calls */

/* ut_jmp slots. Slots from UT_SLOT_POLICY_PRIVATE up are free for a policy
 * split into several programs (continuations it tail-calls itself). */
#define UT_SLOT_POLICY	       0
#define UT_SLOT_ACCEPT	       1
#define UT_SLOT_DROP	       2
#define UT_SLOT_POLICY_PRIVATE 3
#define UT_JMP_SLOTS	       32

/* ------------------------------------------------------------ accept flag */

/* untrack_accept grows the XDP metadata by 4 bytes and stores this __u32
 * (host byte order) there: at data_meta, in front of any metadata earlier
 * XDP programs left, which is where TC finds it (skb->data_meta). ASCII
 * "UtAc": a value no other program leaves there by accident. */
#define UT_META_MAGIC 0x55744163u

/* The skb mark bit TC sets on accepted packets: mark = (mark & ~mask) |
 * value. A single bit, so untrack coexists with other users of the mark.
 * High bits are the least used: kube-proxy takes 0x4000 and 0x8000,
 * Tailscale 0xff0000, Calico allocates from the low end of its 0xffff0000
 * mask. Bit 31 is avoided because some tools treat the mark as signed. The
 * nftables rule tests `meta mark & mask == value`.
 *
 * These are defaults: the loader may choose another bit at load time by
 * setting the initial value of the runtime object's UT_MARK_SECTION map
 * (one struct ut_mark_config), and must then use the same in nftables. */
#define UT_MARK_VALUE	0x40000000u
#define UT_MARK_MASK	0x40000000u
#define UT_MARK_SECTION ".rodata.ut_mark"

struct ut_mark_config {
	__u32 value;
	__u32 mask;
};

/* ------------------------------------------------------------ counters */

/* Runtime counters (ut_rt_stats, per CPU, __u64 each; NO_MATCH alone is
 * kept in struct ut_state.no_match). Every packet that reaches untrack_main
 * ends in exactly one of the outcome counters NON_IP, NO_POLICY, NO_MATCH,
 * PASSED, ACCEPTED, DROPPED or DECIDE_FAILED, so their sum is the packet
 * count (no separate counter: one less write per packet). The others count
 * events on the way. X(enum suffix, name for display). */
#define UT_RT_COUNTERS(X)                                                                          \
	X(NON_IP, "non_ip")		    /* not IPv4/IPv6: passed, no policy */                 \
	X(TRUNCATED, "truncated")	    /* IP, some field cut off by the frame end */          \
	X(UNLOCATABLE, "unlocatable")	    /* IPv4 IHL < 5, or more VLAN tags than walked */      \
	X(NO_POLICY, "no_policy")	    /* tail call to the policy failed: passed */           \
	X(NO_MATCH, "no_match")		    /* policy: no rule decided: passed; see no_match */    \
	X(PASSED, "passed")		    /* policy: a pass rule decided */                      \
	X(ACCEPTED, "accepted")		    /* untrack_accept ran */                               \
	X(DROPPED, "dropped")		    /* untrack_drop ran */                                 \
	X(DECIDE_FAILED, "decide_failed")   /* policy: accept/drop tail call failed */             \
	X(META_FAILED, "meta_failed")	    /* accept: no room for metadata: passed unflagged */   \
	X(LOG_EMITTED, "log_emitted")	    /* log event written to ut_events */                   \
	X(LOG_SUPPRESSED, "log_suppressed") /* log event over the rate limit */                    \
	X(LOG_LOST, "log_lost")		    /* ut_events full */                                   \
	X(TC_MARKED, "tc_marked")	    /* untrack_tc_ingress set the mark */

#define UT_RT_ENUM_(id, name) UT_RT_##id,
enum ut_rt_counter { UT_RT_COUNTERS(UT_RT_ENUM_) UT_RT_NR };
#undef UT_RT_ENUM_

/* Per-rule counters: each policy object has its own ut_rule_stats (per-CPU
 * array indexed by rule id, sized to its rule count, see
 * UT_DEFINE_RULE_STATS). A rule counts every packet it decided or logged. */
struct ut_rule_counter {
	__u64 packets;
	__u64 bytes;
};

#define UT_RULE_STATS_MAP "ut_rule_stats"

/* ------------------------------------------------------------ log events */

/* Rate limit per CPU: a token bucket refilled at UT_LOG_RATE events per
 * second holding at most UT_LOG_BURST, so the whole host emits at most
 * nCPUs * UT_LOG_RATE events/s and a flood cannot starve the ring buffer. */
#define UT_LOG_RATE	   100
#define UT_LOG_BURST	   100
#define UT_LOG_INTERVAL_NS (1000000000ull / UT_LOG_RATE)

/* Ring buffer size in bytes (a power of two, page aligned). */
#define UT_EVENTS_BYTES (256 * 1024)

/* One record in ut_events, written when a log rule matches. */
struct ut_log_event {
	__u64 ts_ns;	     /* bpf_ktime_get_ns() */
	__u32 rule;	     /* the log rule's id */
	__u32 ifindex;	     /* ingress interface */
	struct ut_state pkt; /* the packet as the rules saw it; pkt.rule undefined */
};

/* Per-CPU token bucket state in ut_log_rl. */
struct ut_log_bucket {
	__u64 last_ns;	 /* time of the last refill */
	__u64 credit_ns; /* accumulated time, capped at UT_LOG_BURST intervals */
};

/* ------------------------------------------------------------ named sets */

/* ABI 1 kept each named set in two LPM tries. Tries are slow when large (a
 * lookup walks ~log2(n) nodes: ~260 ns at 100,000 prefixes), so since ABI 2
 * a set is a pair of tables the loader builds in user space and swaps in as
 * a whole ("generations"), and a lookup costs a few array reads at any
 * size. */
#define UT_SET_MEMBER 1

/* Named set number <i> (its index in the object's metadata, never the
 * user's name) is four maps in the policy object:
 *
 *   ut_sh_<i>  ARRAY, 1 entry, struct ut_set_hdr: which generation is live
 *              and, per generation, the IPv4 top level and the sizes.
 *   ut_s4_<i>  ARRAY of struct ut_set4_slot, 2 * cap4 entries: the IPv4 /24
 *              blocks that are partly in the set, an open-addressing hash
 *              (linear probing) keyed by (address >> 8) + 1; generation g
 *              uses entries g * cap4 .. g * cap4 + (1 << h4_bits) - 1.
 *   ut_s6_<i>  ARRAY of struct ut_set6_slot, 2 * cap6 entries: the IPv6
 *              prefixes, hashed by (length, masked address) likewise.
 *   ut_sm_<i>  HASH struct ut_set_member -> __u8 UT_SET_MEMBER: the members
 *              as added, from which the loader rebuilds the tables.
 *
 * IPv4 lookup: 2 bits per /16 in l1 (UT_SET_L1_*): outside, inside, or
 * "partly": then the /24's slot holds a 256-bit map of its addresses.
 * IPv6 lookup: for each prefix length in len6[] (nlen6 of them), one hash
 * probe of the address masked to that length. A key is found within
 * UT_SET_MAX_PROBE slots of its hash, or not at all (the loader grows the
 * table until that holds, up to the map's size).
 *
 * Changing a set (objfmt/settables.h builds, loader/seed_tables.c writes):
 * build both tables of the new members into the generation that is not
 * live, store the new generation number in gen (a packet sees the old set
 * or the new one, never a mixture), then record the members in ut_sm_<i>. cap4 and cap6 are half the max_entries of
 * the slot maps, chosen by untrackc from the file's contents. */
#define UT_SET_HDR_FMT	   "ut_sh_%u"
#define UT_SET_V4_FMT	   "ut_s4_%u"
#define UT_SET_V6_FMT	   "ut_s6_%u"
#define UT_SET_MEMBERS_FMT "ut_sm_%u"

#define UT_SET_L1_OUT	    0
#define UT_SET_L1_IN	    1
#define UT_SET_L1_PART	    2
#define UT_SET_L1_WORDS	    2048 /* 65536 /16 blocks, 2 bits each */
#define UT_SET_MAX_PROBE    16
#define UT_SET_MIN_HASHBITS 4

struct ut_set_gen {
	__u32 h4_bits; /* the IPv4 hash has 1 << h4_bits slots */
	__u32 h6_bits;
	__u32 nlen6;	/* entries used in len6 */
	__u8 len6[256]; /* IPv6 prefix lengths present, longest first (129 at most) */
	__u64 l1[UT_SET_L1_WORDS];
};

struct ut_set_hdr {
	__u32 gen; /* the live generation: 0 or 1 */
	__u32 _pad;
	struct ut_set_gen g[2];
};

struct ut_set4_slot {
	__u32 key;     /* (address >> 8) + 1 in host order; 0: empty */
	__u32 bits[8]; /* bit (a & 31) of word (a >> 5) & 7: address a is in the set */
};

struct ut_set6_slot {
	__u64 hi, lo; /* address bytes 0..7 and 8..15 as loaded from memory, masked */
	__u32 len1;   /* prefix length + 1; 0: empty */
	__u32 _pad;
};

struct ut_set_member {
	__u8 family; /* UT_FAM_V4 or UT_FAM_V6 */
	__u8 len;
	__u8 _pad[2];
	__u8 addr[16]; /* network byte order, bits past len zero */
};

/* The hashes, shared by the BPF lookups and the builder. bits is
 * UT_SET_MIN_HASHBITS..31. */
static inline __u32 ut_hash4(__u32 key, __u32 bits)
{
	return (key * 0x9e3779b1u) >> (32 - bits);
}

static inline __u32 ut_hash6(__u64 hi, __u64 lo, __u32 len, __u32 bits)
{
	__u64 x = hi * 0x9e3779b97f4a7c15ull ^ lo * 0xc2b2ae3d27d4eb4full ^ len;

	x ^= x >> 29;
	return (__u32)((x * 0x9e3779b97f4a7c15ull) >> (64 - bits));
}

/* ------------------------------------------------------------ BPF side */
#ifdef __bpf__
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* Every object that includes this header carries its version, so the loader
 * can check the runtime and each policy separately. Weak, like the maps, so
 * that several runtime compilation units link into one object. */
const volatile __u32 ut_abi_version SEC(UT_ABI_SECTION) __weak = UT_ABI_VERSION;

/* The shared maps. Every object defines them identically; the loader creates
 * them with the runtime object and hands their fds to each policy object with
 * bpf_map__reuse_fd() before loading it. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ut_state);
} ut_state SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, UT_JMP_SLOTS);
	__type(key, __u32);
	__type(value, __u32);
} ut_jmp SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, UT_RT_NR);
	__type(key, __u32);
	__type(value, __u64);
} ut_rt_stats SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, UT_EVENTS_BYTES);
} ut_events SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ut_log_bucket);
} ut_log_rl SEC(".maps") __weak;

/* A policy object's own per-rule counters: UT_DEFINE_RULE_STATS(n); at file
 * scope, n >= 1 (the number of rules in the file). */
#define UT_DEFINE_RULE_STATS(nrules)                                                               \
	struct {                                                                                   \
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);                                           \
		__uint(max_entries, (nrules));                                                     \
		__type(key, __u32);                                                                \
		__type(value, struct ut_rule_counter);                                             \
	} ut_rule_stats SEC(".maps")

/* Named set <i>: its maps and its lookups, the global functions
 * ut_set_has4_<i>(addr) (IPv4 address in network byte order) and
 * ut_set_has6_<i>(hi, lo) (the IPv6 address as two words loaded from
 * memory). The verifier checks a global function once, not at every call,
 * so any number of rules can use a set. UT_DEFINE_SET(0, cap4, cap6, capm);
 * at file scope; capm bounds the members. */
#define UT_DEFINE_SET(i, cap4, cap6, capm)                                                         \
	struct {                                                                                   \
		__uint(type, BPF_MAP_TYPE_ARRAY);                                                  \
		__uint(max_entries, 1);                                                            \
		__type(key, __u32);                                                                \
		__type(value, struct ut_set_hdr);                                                  \
	} ut_sh_##i SEC(".maps");                                                                  \
	struct {                                                                                   \
		__uint(type, BPF_MAP_TYPE_ARRAY);                                                  \
		__uint(max_entries, 2 * (cap4));                                                   \
		__type(key, __u32);                                                                \
		__type(value, struct ut_set4_slot);                                                \
	} ut_s4_##i SEC(".maps");                                                                  \
	struct {                                                                                   \
		__uint(type, BPF_MAP_TYPE_ARRAY);                                                  \
		__uint(max_entries, 2 * (cap6));                                                   \
		__type(key, __u32);                                                                \
		__type(value, struct ut_set6_slot);                                                \
	} ut_s6_##i SEC(".maps");                                                                  \
	struct {                                                                                   \
		__uint(type, BPF_MAP_TYPE_HASH);                                                   \
		__uint(max_entries, (capm));                                                       \
		__uint(map_flags, BPF_F_NO_PREALLOC);                                              \
		__type(key, struct ut_set_member);                                                 \
		__type(value, __u8);                                                               \
	} ut_sm_##i SEC(".maps");                                                                  \
	static long ut_set6_step_##i(__u32 k, void *probe)                                         \
	{                                                                                          \
		return ut_set6_step(&ut_sh_##i, &ut_s6_##i, (cap6), k, probe);                     \
	}                                                                                          \
	__attribute__((noinline)) int ut_set_has4_##i(__u32 addr)                                  \
	{                                                                                          \
		return ut_set_lookup4(&ut_sh_##i, &ut_s4_##i, (cap4), addr);                       \
	}                                                                                          \
	__attribute__((noinline)) int ut_set_has6_##i(__u64 hi, __u64 lo)                          \
	{                                                                                          \
		struct ut_set6_probe probe = {.hi = hi, .lo = lo};                                 \
		__u32 n = ut_set6_begin(&ut_sh_##i, &probe);                                       \
                                                                                                   \
		if (n)                                                                             \
			bpf_loop(n, ut_set6_step_##i, &probe, 0);                                  \
		return probe.found;                                                                \
	}

static __always_inline int ut_set_lookup4(void *hdr_map, void *slot_map, __u32 cap, __u32 addr)
{
	struct ut_set_hdr *h;
	struct ut_set4_slot *s;
	__u32 zero = 0, a = bpf_ntohl(addr), g, bits, key, hash, idx, state;

	h = bpf_map_lookup_elem(hdr_map, &zero);
	if (!h)
		return 0;
	g = h->gen & 1;
	state = (h->g[g].l1[a >> 21] >> ((a >> 15) & 62)) & 3;
	if (state != UT_SET_L1_PART)
		return state == UT_SET_L1_IN;
	bits = h->g[g].h4_bits;
	if (bits < UT_SET_MIN_HASHBITS || bits > 31)
		return 0;
	key = (a >> 8) + 1;
	hash = ut_hash4(key, bits);
	for (__u32 i = 0; i < UT_SET_MAX_PROBE; i++) {
		idx = g * cap + ((hash + i) & ((1u << bits) - 1));
		s = bpf_map_lookup_elem(slot_map, &idx);
		if (!s || !s->key)
			return 0;
		if (s->key == key)
			return (s->bits[(a >> 5) & 7] >> (a & 31)) & 1;
	}
	return 0;
}

/* IPv6: one bpf_loop step per prefix length present, so that the verifier
 * checks the probe once rather than once per length. */
struct ut_set6_probe {
	__u64 hi, lo;
	__u32 g, bits, found, _pad;
};

static __always_inline __u32 ut_set6_begin(void *hdr_map, struct ut_set6_probe *p)
{
	struct ut_set_hdr *h;
	__u32 zero = 0, n;

	h = bpf_map_lookup_elem(hdr_map, &zero);
	if (!h)
		return 0;
	p->g = h->gen & 1;
	p->bits = h->g[p->g].h6_bits;
	n = h->g[p->g].nlen6;
	if (p->bits < UT_SET_MIN_HASHBITS || p->bits > 31)
		return 0;
	return n > 129 ? 129 : n;
}

static __always_inline long ut_set6_step(void *hdr_map, void *slot_map, __u32 cap, __u32 k,
					 struct ut_set6_probe *p)
{
	struct ut_set_hdr *h;
	struct ut_set6_slot *s;
	__u32 zero = 0, g = p->g & 1, bits = p->bits, len, hash, idx;
	__u64 mhi, mlo, khi, klo;

	h = bpf_map_lookup_elem(hdr_map, &zero);
	if (!h || bits < UT_SET_MIN_HASHBITS || bits > 31)
		return 1;
	len = h->g[g].len6[k & 255];
	if (len > 128)
		return 1;
	/* The mask of the first len bits, as loaded from memory. */
	mhi = len >= 64 ? ~0ull : len ? bpf_cpu_to_be64(~0ull << (64 - len)) : 0;
	mlo = len >= 128 ? ~0ull : len > 64 ? bpf_cpu_to_be64(~0ull << (128 - len)) : 0;
	khi = p->hi & mhi;
	klo = p->lo & mlo;
	hash = ut_hash6(khi, klo, len, bits);
	for (__u32 i = 0; i < UT_SET_MAX_PROBE; i++) {
		idx = g * cap + ((hash + i) & ((1u << bits) - 1));
		s = bpf_map_lookup_elem(slot_map, &idx);
		if (!s || !s->len1)
			return 0;
		if (s->len1 == len + 1 && s->hi == khi && s->lo == klo) {
			p->found = 1;
			return 1;
		}
	}
	return 0;
}

static __always_inline struct ut_state *ut_state_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&ut_state, &zero);
}

static __always_inline void ut_rt_count(__u32 counter)
{
	__u64 *c = bpf_map_lookup_elem(&ut_rt_stats, &counter);

	if (c)
		*c += 1;
}

/* Count a packet for rule `rule` in the policy's ut_rule_stats. */
static __always_inline void ut_rule_count(void *rule_stats, __u32 rule, const struct ut_state *st)
{
	struct ut_rule_counter *c = bpf_map_lookup_elem(rule_stats, &rule);

	if (c) {
		c->packets += 1;
		c->bytes += st->pkt_len;
	}
}

/* Record a log event for `rule`, subject to the per-CPU rate limit. The
 * caller counts the rule (ut_rule_count) itself. */
static __always_inline void ut_log_emit(struct xdp_md *ctx, const struct ut_state *st, __u32 rule)
{
	struct ut_log_bucket *b;
	struct ut_log_event *e;
	__u32 zero = 0;
	__u64 now, credit;

	b = bpf_map_lookup_elem(&ut_log_rl, &zero);
	if (!b)
		return;
	now = bpf_ktime_get_ns();
	/* Credit is time: every UT_LOG_INTERVAL_NS earns one event, up to a
	 * burst; no division on the packet path. */
	credit = b->credit_ns + (now - b->last_ns);
	if (credit > UT_LOG_BURST * UT_LOG_INTERVAL_NS)
		credit = UT_LOG_BURST * UT_LOG_INTERVAL_NS;
	b->last_ns = now;
	if (credit < UT_LOG_INTERVAL_NS) {
		b->credit_ns = credit;
		ut_rt_count(UT_RT_LOG_SUPPRESSED);
		return;
	}
	b->credit_ns = credit - UT_LOG_INTERVAL_NS;

	e = bpf_ringbuf_reserve(&ut_events, sizeof(*e), 0);
	if (!e) {
		ut_rt_count(UT_RT_LOG_LOST);
		return;
	}
	e->ts_ns = now;
	e->rule = rule;
	e->ifindex = ctx->ingress_ifindex;
	e->pkt = *st;
	bpf_ringbuf_submit(e, 0);
	ut_rt_count(UT_RT_LOG_EMITTED);
}

/* The end of a policy for a packet no rule decided: count it (in the state,
 * see no_match) and let it pass. */
static __always_inline int ut_no_match(struct ut_state *st)
{
	st->no_match += 1;
	return XDP_PASS;
}

/* How a policy's evaluation ended (the argument of ut_decide). */
#define UT_VERDICT_NONE	  0 /* no rule decided */
#define UT_VERDICT_PASS	  1
#define UT_VERDICT_ACCEPT 2
#define UT_VERDICT_DROP	  3

/* The single epilogue of a policy program: count, then finish the decision.
 * A policy must reach it from exactly one place (its rules set verdict and
 * rule and jump there), so that the program has one tail-call site per slot,
 * each with a constant key: the verifier turns those into direct jumps (a
 * merged site with a variable key costs a retpoline, ~12 ns). */
static __always_inline int ut_decide(struct xdp_md *ctx, struct ut_state *st, void *rule_stats,
				     __u32 verdict, __u32 rule)
{
	/* Keep clang from threading constant verdicts into copies of this
	 * epilogue, which would multiply the tail-call sites. */
	barrier_var(verdict);
	if (verdict == UT_VERDICT_NONE)
		return ut_no_match(st);
	ut_rule_count(rule_stats, rule, st);
	st->rule = rule;
	if (verdict == UT_VERDICT_ACCEPT) {
		bpf_tail_call_static(ctx, &ut_jmp, UT_SLOT_ACCEPT);
		/* No accept program: leave the packet to conntrack. */
		ut_rt_count(UT_RT_DECIDE_FAILED);
		return XDP_PASS;
	}
	if (verdict == UT_VERDICT_DROP) {
		bpf_tail_call_static(ctx, &ut_jmp, UT_SLOT_DROP);
		/* The decision stands even without the drop program. */
		ut_rt_count(UT_RT_DECIDE_FAILED);
		return XDP_DROP;
	}
	ut_rt_count(UT_RT_PASSED);
	return XDP_PASS;
}

#endif /* __bpf__ */

#endif
