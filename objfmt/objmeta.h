/* The description a policy object carries of itself, in its ELF section
 * OBJMETA_SECTION: ABI version, source name, policies, rules (id → policy,
 * line, text) and the named sets with their initial prefixes, so the loader
 * can initialise set maps and show counters by source line without the
 * .utp file.
 *
 * Format: text, one record per line, fields separated by TAB; string fields
 * escape '\\', TAB, newline and non-printable bytes as \\, \t, \n, \xHH.
 *   untrack-meta  FORMAT
 *   abi           UT_ABI_VERSION
 *   source        NAME
 *   policy        INDEX NAME HAS_ORDER ORDER LINE
 *   rule          ID ingress|egress ACTION POLICY LINE COLUMN TEXT
 *   set           INDEX NAME FAMILIES NPREFIXES USES
 *   prefix        SET PREFIX
 *   end
 * Records appear in that order; indices are dense from 0. USES says which
 * rules refer to the set: none, ingress, egress or both; sets used by egress
 * rules also exist as nftables sets (objfmt/nft_template.h). Readers accept a
 * set record without it (then the set counts as used by ingress only).
 *
 * The compiler writes it (compiler/codegen/objmeta_write.c); this library
 * reads it, for the loader and the tests. */
#ifndef UNTRACK_OBJFMT_OBJMETA_H
#define UNTRACK_OBJFMT_OBJMETA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "objfmt/addr.h"
#include "objfmt/vocab.h"

#define OBJMETA_SECTION ".untrack.meta"
#define OBJMETA_FORMAT	1

struct objmeta_policy {
	char *name;
	bool has_order;
	uint32_t order;
	int line;
};

struct objmeta_rule {
	uint32_t id;
	enum rule_dir dir;
	enum rule_action action;
	uint32_t policy;
	int line, column;
	char *text;
};

struct objmeta_set {
	char *name;
	uint8_t families;
	struct prefix *prefixes;
	size_t nprefixes;
	bool ingress, egress; /* referenced by rules of that direction */
};

struct objmeta {
	uint32_t abi;
	char *source;
	struct objmeta_policy *policies;
	size_t npolicies;
	struct objmeta_rule *rules;
	size_t nrules;
	struct objmeta_set *sets;
	size_t nsets;
};

/* Parse a description. Returns 0, or -EINVAL (malformed) or -ENOMEM with a
 * message in err that names the offending line; out is then empty. */
int objmeta_parse(const char *text, size_t len, struct objmeta *out, char *err, size_t errlen);

void objmeta_free(struct objmeta *m);

/* Escape s for a string field / C string literal body. */
void objmeta_put_escaped(const char *s, FILE *out);

#endif
