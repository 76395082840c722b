/* untrack attach IFACE POLICY.o: the command line, the checks before
 * anything changes, and the choice between a first attach and attaching
 * again (attach_steps.h). What each step puts in place, in this order, XDP last so
 * that the pipeline is complete before the first packet enters it:
 *   pin     load runtime + policy, wire the jump table, pin them
 *   state   record the attachment in /run/untrack (info, the metadata and
 *           the egress template)
 *   nft     rebuild the `inet untrack` table (nft_sync.h): the notrack rule
 *           and the policy's egress rules, in one transaction
 *   tc      TC ingress filter (and the clsact qdisc if there was none)
 *   xdp     XDP on the interface */
#include "attach_steps.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "commands.h"

#define ERRLEN 1024

static void print_usage_attach(FILE *out)
{
	fputs("Usage: untrack attach IFACE POLICY.o [--mode auto|native|generic] [--force]\n"
	      "                      [--mark VALUE[/MASK]]\n"
	      "Attach an untrack policy to an interface: XDP, TC ingress, the nftables notrack\n"
	      "rule, pins under /sys/fs/bpf/untrack. Where untrack is attached already, the\n"
	      "policy is replaced atomically (and anything missing is put back).\n"
	      "\n"
	      "      --mode MODE   XDP mode: auto (native, else generic; the default),\n"
	      "                    native or generic\n"
	      "      --force       replace another XDP program on the interface\n"
	      "      --mark V[/M]  the skb mark bit(s) for accepted packets (default\n"
	      "                    0x40000000/0x40000000)\n"
	      "  -h, --help        show this help\n",
	      out);
}

static int parse_mark(const char *text, struct ut_mark_config *mark)
{
	char *end, *slash;
	unsigned long v, m;

	errno = 0;
	v = strtoul(text, &end, 0);
	if (errno || end == text || v > 0xffffffffUL || (*end && *end != '/'))
		return -EINVAL;
	m = v;
	if (*end == '/') {
		slash = end + 1;
		m = strtoul(slash, &end, 0);
		if (errno || end == slash || *end || m > 0xffffffffUL)
			return -EINVAL;
	}
	/* The value must lie inside the mask and set something. */
	if (m == 0 || (v & ~m) || v == 0)
		return -EINVAL;
	mark->value = (__u32)v;
	mark->mask = (__u32)m;
	return 0;
}

static int parse_attach(int argc, char **argv, struct attach_opts *o)
{
	static const struct option longopts[] = {
		{"mode", required_argument, NULL, 'm'},
		{"force", no_argument, NULL, 'f'},
		{"mark", required_argument, NULL, 'k'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->mark = (struct ut_mark_config){UT_MARK_VALUE, UT_MARK_MASK};
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hf", longopts, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (ut_xdp_mode_parse(optarg, &o->mode)) {
				ut_error("--mode is auto, native or generic, not '%s'", optarg);
				return -EINVAL;
			}
			o->mode_given = o->mode != UT_XDP_AUTO;
			break;
		case 'f':
			o->force = true;
			break;
		case 'k':
			if (parse_mark(optarg, &o->mark)) {
				ut_error(
					"--mark needs VALUE[/MASK] with VALUE non-zero and inside MASK, not '%s'",
					optarg);
				return -EINVAL;
			}
			o->mark_given = true;
			break;
		case 'h':
			print_usage_attach(stdout);
			exit(UT_EXIT_OK);
		case ':':
			ut_error("option '%s' needs an argument", argv[optind - 1]);
			return -EINVAL;
		default:
			ut_error("unknown option '%s' for attach", argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (argc - optind != 2) {
		ut_error("attach needs an interface and a policy object");
		fputs("Try 'untrack attach --help' for more information.\n", stderr);
		return -EINVAL;
	}
	o->ifname = argv[optind];
	o->policy = argv[optind + 1];
	return 0;
}

int cmd_attach(int argc, char **argv)
{
	struct attach_opts o;
	struct change c;
	char err[ERRLEN];
	bool mounted = false;
	int ret, status;

	if (parse_attach(argc, argv, &o))
		return UT_EXIT_USAGE;
	status = change_begin("attach", o.ifname, o.policy, true, &c);
	if (status) {
		change_end(&c);
		return status;
	}
	ret = ut_bpffs_ensure(&mounted, err, sizeof(err));
	if (ret) {
		ut_error("%s", err);
	} else {
		if (ut_where_attached(&c.w))
			ret = attach_again(&o, &c, err, sizeof(err));
		else
			ret = attach_fresh(&o, &c, err, sizeof(err));
		if (ret)
			ut_error("attach %s: %s", o.ifname, err);
		if (ret && mounted)
			umount(UT_BPFFS_ROOT);
	}
	change_end(&c);
	return ret ? UT_EXIT_FAIL : UT_EXIT_OK;
}
