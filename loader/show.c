#include "show.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"

int parse_show(int argc, char **argv, const char *cmd, const char *usage, bool need_iface,
	       struct show_opts *o)
{
	static const struct option longopts[] = {
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	int c;

	memset(o, 0, sizeof(*o));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hj", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			o->json = true;
			break;
		case 'h':
			fputs(usage, stdout);
			exit(UT_EXIT_OK);
		default:
			ut_error("unknown option '%s' for %s", argv[optind - 1], cmd);
			return -EINVAL;
		}
	}
	if (argc - optind > 1 || (need_iface && argc - optind != 1)) {
		ut_error("%s needs %san interface", cmd, need_iface ? "" : "at most ");
		return -EINVAL;
	}
	if (argc - optind == 1)
		o->ifname = argv[optind];
	return 0;
}

void format_time(long long t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!t || !localtime_r(&tt, &tm) || !strftime(buf, size, "%Y-%m-%dT%H:%M:%S%z", &tm))
		snprintf(buf, size, "-");
}
