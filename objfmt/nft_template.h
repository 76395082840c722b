/* The egress template: the contract between the compiler, which writes
 * it into a policy object, and the loader, which instantiates it.
 *
 * Egress rules → nftables. XDP sees only what a host receives, so the rules
 * marked `egress` are enforced in nftables' raw OUTPUT hook instead, with the
 * same meanings and order as in XDP (docs/egress.md):
 *
 *   allow → count, notrack, accept   (untracked; no further untrack rule)
 *   deny  → count, drop
 *   pass  → count, return            (normal, tracked processing)
 *   log   → count, rate-limited log, go on with the next rule
 *
 * THE TEMPLATE (what a policy object carries, in section NFT_SECTION)
 *
 * The compiler writes it (compiler/codegen/nft_emit.c). A fragment of the body of `table inet untrack { ... }`: declarations of
 * limits, counters, sets and chains, one item per line or a `{ ... }` block,
 * and `#` comment lines. Every object name in it starts with the placeholder
 * NFT_PLACEHOLDER ("%UT%"), which occurs nowhere else in it ('%' is in
 * no untrack token, so neither rule texts nor set names can contain it). It
 * is the empty string when the policy has no egress rule. The section's
 * bytes are the template followed by one NUL.
 *
 * What the loader does with it, per interface IFACE whose policy has a
 * non-empty template:
 *   1. choose a PREFIX for the interface, matching [A-Za-z][A-Za-z0-9]*_ (for
 *      example "i0_"), distinct per interface in the table; since no name
 *      the template makes after the placeholder contains '_', no two
 *      interfaces' objects can collide, nor collide with the loader's own
 *      `prerouting` and `output` chains;
 *   2. replace every occurrence of "%UT%" in the template with PREFIX and put
 *      the result inside `table inet untrack { ... }`;
 *   3. add, in a base chain `type filter hook output priority raw; policy
 *      accept;`, the rule `oifname "IFACE" jump PREFIXegress`.
 * Nothing else needs to be added: the named counters, sets and limit the
 * rules use are all declared by the template.
 *
 * Names after the placeholder (ID is a rule id and I a set index, both as in
 * .untrack.meta):
 *   chain   egress      the entry chain: the egress rules in evaluation order
 *   counter rID         packets and bytes rule ID decided (allow, deny, pass)
 *                       or logged (log); one per egress rule, always declared
 *   set     sIv4, sIv6  named set I (type ipv4_addr / ipv6_addr, flags
 *                       interval, auto-merge), declared, both families, for
 *                       exactly the sets that egress rules use (objmeta set
 *                       record: uses "egress" or "both"), seeded with the
 *                       set's prefixes from the policy file
 *   limit   log         the log rate: UT_LOG_RATE/second, burst UT_LOG_BURST
 *                       packets, shared by the interface's log rules
 *   chain   altID,      helpers of a log rule whose condition is an OR of
 *           logID       several nft rules (so that a packet is logged and
 *                       counted once); internal
 * The user's set and policy names never become nftables names.
 *
 * Keeping the sets in sync: a named set's nftables contents must be the
 * union of the prefixes in its BPF maps. Prefixes may nest (10.0.0.0/8 and
 * 10.1.0.0/16), which an interval set merges, so deleting one prefix cannot
 * be done element by element: after a change, write in one transaction
 *   flush set inet untrack PREFIXsIv4
 *   add element inet untrack PREFIXsIv4 { ELEMENTS }     (only if any)
 * (likewise v6) with ELEMENTS from nft_elements_write() over all the map's
 * prefixes of that family. The same applies when the table is rebuilt for
 * another interface: the template's elements are the file's, not the live
 * ones. */
#ifndef UNTRACK_OBJFMT_NFT_TEMPLATE_H
#define UNTRACK_OBJFMT_NFT_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "objfmt/addr.h"

#define NFT_SECTION	   ".untrack.nft"
#define NFT_PLACEHOLDER	   "%UT%"
/* The nftables objects the loader owns (loader/nft.h). */
#define NFT_FAMILY	   "inet"
#define NFT_TABLE	   "untrack"
/* --emit=nft without --iface, and the prefix it uses. */
#define NFT_DEFAULT_IFACE  "eth0"
#define NFT_DEFAULT_PREFIX "i0_"

/* Can name be used as the interface of the base chain (`oifname "NAME"`)?
 * 1 to 15 printable ASCII characters, neither '"' nor '\\'. */
bool nft_iface_ok(const char *name);

/* The elements of prefixes[0..n) of one family (FAM_V4 or FAM_V6) as the
 * inside of an nftables set expression ("10.0.0.0/8, 192.0.2.1"): others
 * families skipped, prefixes inside another one left out, in address order,
 * wrapped every 8 elements (newline and `indent`). Returns how many were
 * written, or -ENOMEM; writes nothing when 0 (`{ }` is not valid
 * nftables syntax). */
ssize_t nft_elements_write(FILE *out, const struct prefix *prefixes, size_t n, uint8_t family,
			   const char *indent);

/* The prefixes of one family among in[0..n), sorted, those inside another
 * dropped: a disjoint list, as an interval set without auto-merge needs.
 * Returns 0 with *out malloc'd (*nout entries), or -ENOMEM. */
int nft_prefixes_disjoint(const struct prefix *in, size_t n, uint8_t family, struct prefix **out,
			  size_t *nout);

#endif
