/* What status and stats share: their options, and how they show a time.
 * Both read the pins and the recorded state; neither changes anything. */
#ifndef UNTRACK_SHOW_H
#define UNTRACK_SHOW_H

#include <stdbool.h>
#include <stddef.h>

struct show_opts {
	const char *ifname; /* NULL: every attached interface (status only) */
	bool json;
};

/* [IFACE] [--json] of command cmd; --help prints usage and exits. 0, or
 * -EINVAL after reporting a bad command line. */
int parse_show(int argc, char **argv, const char *cmd, const char *usage, bool need_iface,
	       struct show_opts *o);

/* Seconds since the epoch as local ISO 8601, "-" for 0. */
void format_time(long long t, char *buf, size_t size);

#endif
