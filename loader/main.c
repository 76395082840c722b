/* untrack: wires untrack policy objects into the kernel. One binary, one
 * command per job, like ip(8) and bpftool(8). */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <linux/capability.h>

#include "commands.h"

#ifndef UNTRACK_VERSION
#define UNTRACK_VERSION "0.1.0"
#endif

static bool verbose;

int ut_help_only_options(int argc, char **argv, const char *cmd, const char *usage)
{
	static const struct option longopts[] = {{"help", no_argument, NULL, 'h'}, {0}};
	int c;

	optind = 1;
	opterr = 0;
	c = getopt_long(argc, argv, ":h", longopts, NULL);
	if (c == -1)
		return -1;
	if (c == 'h') {
		fputs(usage, stdout);
		return UT_EXIT_OK;
	}
	ut_error("unknown option '%s' for %s", argv[optind - 1], cmd);
	return UT_EXIT_USAGE;
}

bool ut_verbose(void)
{
	return verbose;
}

/* CAP_BPF and CAP_PERFMON are newer than some headers. */
#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

int ut_need_privileges(const char *cmd)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {0};
	bool net_admin, sys_admin, bpf, perfmon;

	/* Without an answer let the kernel decide, and explain its EPERM. */
	if (syscall(SYS_capget, &hdr, data))
		return 0;
#define HAS(cap) ((data[(cap) / 32].effective >> ((cap) % 32)) & 1)
	net_admin = HAS(CAP_NET_ADMIN);
	sys_admin = HAS(CAP_SYS_ADMIN);
	bpf = HAS(CAP_BPF);
	perfmon = HAS(CAP_PERFMON);
#undef HAS
	if (net_admin && (sys_admin || (bpf && perfmon)))
		return 0;
	ut_error(
		"missing privileges: 'untrack %s' needs CAP_NET_ADMIN and CAP_SYS_ADMIN (or CAP_BPF and CAP_PERFMON); run it as root",
		cmd);
	return -EPERM;
}

/* libbpf's own messages: warnings (the verifier log among them) always,
 * the rest with -v. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && !verbose)
		return 0;
	if (level == LIBBPF_INFO && !verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static void usage(FILE *out)
{
	fputs("Usage: untrack [-v] COMMAND [ARGS]\n"
	      "Load untrack policy objects (built by untrackc) into the kernel.\n"
	      "\n"
	      "Commands:\n"
	      "  attach IFACE POLICY.o [--mode auto|native|generic] [--force] [--mark V[/M]]\n"
	      "        attach a policy to an interface (again: replace it)\n"
	      "  replace IFACE POLICY.o\n"
	      "        swap the policy on an interface atomically\n"
	      "  detach IFACE\n"
	      "        remove untrack from an interface\n"
	      "  status [IFACE] [--json]\n"
	      "        what is attached where, and whether every part is in place\n"
	      "  stats IFACE [--json]\n"
	      "        per-rule packets and bytes, runtime counters\n"
	      "  set IFACE NAME add|del|list [PREFIX...] [--json]\n"
	      "        show or change a named set of the running policy\n"
	      "  events IFACE [--json] [--count N]\n"
	      "        print the packets 'log' rules record, until interrupted\n"
	      "  replay POLICY.o CAPTURE [--json] [--repeat N]\n"
	      "        run a capture's packets through the pipeline in the kernel\n"
	      "\n"
	      "  -v, --verbose    show libbpf's messages\n"
	      "  -h, --help       show this help ('untrack COMMAND --help' for a command)\n"
	      "      --version    show the version\n"
	      "\n"
	      "Exit status: 0 success, 1 failure, 2 usage error.\n",
	      out);
}

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
} commands[] = {
	{"attach", cmd_attach}, {"replace", cmd_replace}, {"detach", cmd_detach},
	{"status", cmd_status}, {"stats", cmd_stats},	  {"set", cmd_set},
	{"events", cmd_events}, {"replay", cmd_replay},
};

int main(int argc, char **argv)
{
	int i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-v") == 0 || strcmp(argv[i], "--verbose") == 0) {
			verbose = true;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return UT_EXIT_OK;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("untrack %s\n", UNTRACK_VERSION);
			return UT_EXIT_OK;
		} else {
			ut_error("unknown option '%s'", argv[i]);
			fputs("Try 'untrack --help' for more information.\n", stderr);
			return UT_EXIT_USAGE;
		}
	}
	if (i == argc) {
		usage(stderr);
		return UT_EXIT_USAGE;
	}
	libbpf_set_print(libbpf_print);
	for (size_t c = 0; c < sizeof(commands) / sizeof(commands[0]); c++)
		if (strcmp(argv[i], commands[c].name) == 0)
			return commands[c].run(argc - i, argv + i);
	ut_error("unknown command '%s'", argv[i]);
	fputs("Try 'untrack --help' for more information.\n", stderr);
	return UT_EXIT_USAGE;
}
