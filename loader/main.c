/* untrack: wires untrack policy objects into the kernel. One binary, one
 * command per job, like ip(8) and bpftool(8). */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "commands.h"

#ifndef UNTRACK_VERSION
#define UNTRACK_VERSION "0.1.0"
#endif

static bool verbose;

void ut_error(const char *fmt, ...)
{
	va_list ap;

	fputs("untrack: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void ut_json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if (*c == '"' || *c == '\\')
			fprintf(out, "\\%c", *c);
		else if (*c < 0x20 || *c >= 0x7f)
			fprintf(out, "\\u%04x", *c);
		else
			fputc(*c, out);
	}
	fputc('"', out);
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
	{"replay", cmd_replay},
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
