/* untrackc: the policy compiler's driver. The whole pipeline reads top to
 * bottom in compile(), one call per pass: read → parse → check and lower →
 * analyse → (test | dump | generate). Each folder of compiler/ is one stage;
 * docs/architecture.md draws them. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analysis/shadow.h"
#include "codegen/clang.h"
#include "codegen/nft_emit.h"
#include "front/ast.h"
#include "front/diag.h"
#include "front/read_file.h"
#include "front/sema.h"
#include "ir/ir.h"
#include "ir/ir_check.h"
#include "grammar/parse.h"
#include "ref/cases.h"

#ifndef UNTRACK_VERSION
#define UNTRACK_VERSION "0.1.0"
#endif

enum exit_status {
	EXIT_OK = 0,
	EXIT_POLICY = 1, /* errors in the policy, or failed test cases */
	EXIT_USAGE = 2,	 /* bad command line, unreadable input, internal failure */
};

enum dump_stage { DUMP_NONE, DUMP_AST, DUMP_IR, DUMP_C };

struct options {
	const char *input;
	const char *output;
	const char *cases;
	const char *emit_c; /* --emit-c FILE */
	const char *clang;
	const char *iface; /* --iface NAME, for --emit=nft */
	bool emit_nft;	   /* --emit=nft */
	enum emit_strategy strategy;
	bool check;
	enum dump_stage dump;
	enum diag_format diag_format;
	int color; /* -1 auto */
	bool werror, no_warnings, verbose;
};

/* The one place this program reports a failure that is not a diagnostic. */
__attribute__((format(printf, 1, 2))) static void error(const char *fmt, ...)
{
	va_list ap;

	fputs("untrackc: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void usage(FILE *out)
{
	fputs("Usage: untrackc [OPTIONS] FILE.utp\n"
	      "Compile an untrack policy into a BPF object, or check it.\n"
	      "\n"
	      "  -o FILE                  write the BPF object to FILE\n"
	      "      --check              parse and check only; write nothing\n"
	      "      --dump=STAGE         print a stage to standard output: 'ast' (as parsed),\n"
	      "                           'ir' (checked and normalised) or 'c' (generated BPF C)\n"
	      "      --emit-c FILE        also write the generated BPF C to FILE\n"
	      "      --emit=nft           print the nftables ruleset of the egress rules\n"
	      "      --iface NAME         the interface --emit=nft scopes it to (default eth0)\n"
	      "      --strategy=NAME      code generation strategy: 'auto' (default), 'linear'\n"
	      "                           (straight-line tests) or 'table' (rules as data)\n"
	      "      --clang PATH         the clang to run (default: $CLANG, else clang in PATH)\n"
	      "      --test CASES         check expected verdicts in CASES (see docs/cases.md)\n"
	      "      --diagnostics=FMT    'text' (default) or 'json' (one object per line)\n"
	      "      --color=WHEN         'auto' (default), 'always' or 'never'\n"
	      "  -Werror                  treat warnings as errors\n"
	      "  -w                       do not print warnings\n"
	      "  -v, --verbose            say what is being done\n"
	      "  -h, --help               show this help\n"
	      "      --version            show the version\n"
	      "\n"
	      "FILE may be '-' for standard input.\n"
	      "Exit status: 0 success, 1 errors in the policy or failed test cases,\n"
	      "2 usage errors, unreadable files or internal failures.\n",
	      out);
}

enum long_only_opts {
	OPT_CHECK = 256,
	OPT_DUMP,
	OPT_TEST,
	OPT_DIAGNOSTICS,
	OPT_COLOR,
	OPT_VERSION,
	OPT_EMIT_C,
	OPT_STRATEGY,
	OPT_CLANG,
	OPT_EMIT,
	OPT_IFACE
};

static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{"check", no_argument, NULL, OPT_CHECK},
		{"dump", required_argument, NULL, OPT_DUMP},
		{"test", required_argument, NULL, OPT_TEST},
		{"diagnostics", required_argument, NULL, OPT_DIAGNOSTICS},
		{"color", required_argument, NULL, OPT_COLOR},
		{"emit-c", required_argument, NULL, OPT_EMIT_C},
		{"emit", required_argument, NULL, OPT_EMIT},
		{"iface", required_argument, NULL, OPT_IFACE},
		{"strategy", required_argument, NULL, OPT_STRATEGY},
		{"clang", required_argument, NULL, OPT_CLANG},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, OPT_VERSION},
		{0},
	};
	int c, nargs = 0;

	/* -Werror is a GCC-style single-dash word: take it out before getopt. */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-Werror") == 0) {
			o->werror = true;
			argv[i] = NULL;
		} else if (strcmp(argv[i], "--") == 0) {
			break;
		}
	}
	for (int i = 1; i < argc; i++)
		if (argv[i])
			argv[++nargs] = argv[i];
	argc = nargs + 1;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:wvh", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			o->output = optarg;
			break;
		case 'w':
			o->no_warnings = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			usage(stdout);
			exit(EXIT_OK);
		case OPT_VERSION:
			printf("untrackc %s\n", UNTRACK_VERSION);
			exit(EXIT_OK);
		case OPT_CHECK:
			o->check = true;
			break;
		case OPT_DUMP:
			if (strcmp(optarg, "ast") == 0) {
				o->dump = DUMP_AST;
			} else if (strcmp(optarg, "ir") == 0) {
				o->dump = DUMP_IR;
			} else if (strcmp(optarg, "c") == 0) {
				o->dump = DUMP_C;
			} else {
				error("unknown --dump stage '%s' (expected 'ast', 'ir' or 'c')",
				      optarg);
				return -1;
			}
			break;
		case OPT_EMIT_C:
			o->emit_c = optarg;
			break;
		case OPT_CLANG:
			o->clang = optarg;
			break;
		case OPT_EMIT:
			if (strcmp(optarg, "nft") != 0) {
				error("unknown --emit format '%s' (expected 'nft')", optarg);
				return -1;
			}
			o->emit_nft = true;
			break;
		case OPT_IFACE:
			if (!nft_iface_ok(optarg)) {
				error("invalid --iface '%s' (1 to 15 printable characters, no "
				      "spaces, quotes or backslashes)",
				      optarg);
				return -1;
			}
			o->iface = optarg;
			break;
		case OPT_STRATEGY: {
			int s = emit_strategy_parse(optarg);
			if (s < 0) {
				error("unknown --strategy '%s' (expected 'auto', 'linear' or 'table')",
				      optarg);
				return -1;
			}
			o->strategy = (enum emit_strategy)s;
			break;
		}
		case OPT_TEST:
			o->cases = optarg;
			break;
		case OPT_DIAGNOSTICS:
			if (strcmp(optarg, "text") == 0) {
				o->diag_format = DIAG_TEXT;
			} else if (strcmp(optarg, "json") == 0) {
				o->diag_format = DIAG_JSON;
			} else {
				error("unknown --diagnostics format '%s' (expected 'text' or 'json')",
				      optarg);
				return -1;
			}
			break;
		case OPT_COLOR:
			if (strcmp(optarg, "auto") == 0) {
				o->color = -1;
			} else if (strcmp(optarg, "always") == 0) {
				o->color = 1;
			} else if (strcmp(optarg, "never") == 0) {
				o->color = 0;
			} else {
				error("unknown --color value '%s' (expected 'auto', 'always' or 'never')",
				      optarg);
				return -1;
			}
			break;
		case ':':
			error("option '%s' needs an argument", argv[optind - 1]);
			return -1;
		default:
			error("unknown option '%s'", argv[optind - 1]);
			return -1;
		}
	}
	if (optind == argc) {
		error("no input file");
		return -1;
	}
	if (optind + 1 < argc) {
		error("only one input file is accepted, got '%s' and '%s'", argv[optind],
		      argv[optind + 1]);
		return -1;
	}
	o->input = argv[optind];
	if (!o->check && !o->output && o->dump == DUMP_NONE && !o->cases && !o->emit_c &&
	    !o->emit_nft) {
		error("nothing to do: give -o FILE, --check, --dump, --emit-c, --emit=nft or --test");
		return -1;
	}
	return 0;
}

/* Run a case file against the checked policy: 0 all passed, 1 failures,
 * 2 the case file itself is unusable. */
static int run_cases(const struct options *o, const struct ir_program *ir, bool color)
{
	char *text = NULL;
	size_t len = 0;
	const char *why;
	struct diag_ctx d;
	struct case_file cf;
	int err, status;

	err = read_source_file(o->cases, &text, &len, &why);
	if (err) {
		error("cannot read '%s': %s", o->cases, why ? why : strerror(-err));
		return EXIT_USAGE;
	}
	diag_init(&d, o->cases, text, len);
	if (cases_parse(&d, &cf) != 0) {
		diag_print(&d, o->diag_format, color, stderr);
		diag_free(&d);
		free(text);
		return EXIT_USAGE;
	}
	int failures = cases_run(ir, &cf, o->cases, stdout);
	status = failures ? EXIT_POLICY : EXIT_OK;
	cases_free(&cf);
	diag_free(&d);
	free(text);
	return status;
}

/* Lowering produced IR that breaks one of ir.h's invariants: a compiler
 * bug, reported as an internal failure rather than compiled into a program. */
static bool ir_broken(const struct ir_program *ir)
{
#ifdef NDEBUG
	(void)ir;
	return false;
#else
	char why[256];

	if (ir_check(ir, why, sizeof(why)) == 0)
		return false;
	error("internal error: the IR breaks an invariant: %s", why);
	return true;
#endif
}

/* Everything after the checked program exists: dumps, case files, outputs.
 * Returns the exit status. */
static int use_program(const struct options *o, const char *name, const struct ir_program *ir,
		       bool color)
{
	struct backend_options bo = {
		.clang = o->clang, .verbose = o->verbose, .strategy = o->strategy};
	char why[1024];
	int status;

	if (o->verbose) {
		fprintf(stderr, "untrackc: %s: %zu policies, %zu rules, %zu sets; strategy %s\n",
			name, ir->npolicies, ir->nrules, ir->nsets,
			emit_strategy_name(emit_choose(ir, o->strategy)));
		emit_describe(ir, o->strategy, stderr);
	}
	if (o->dump == DUMP_IR) {
		ir_dump(ir, stdout);
		emit_describe(ir, o->strategy, stdout);
	}
	if (o->dump == DUMP_C && backend_emit_c(ir, &bo, "-", why, sizeof(why)) != 0) {
		error("%s", why);
		return EXIT_USAGE;
	}
	if (o->emit_c && backend_emit_c(ir, &bo, o->emit_c, why, sizeof(why)) != 0) {
		error("%s", why);
		return EXIT_USAGE;
	}
	if (o->emit_nft)
		emit_nft_ruleset(ir, o->iface ? o->iface : NFT_DEFAULT_IFACE, stdout);
	if (o->cases) {
		status = run_cases(o, ir, color);
		if (status != EXIT_OK)
			return status;
	}
	if (o->output && !o->check && backend_compile(ir, &bo, o->output, why, sizeof(why)) != 0) {
		error("%s", why);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

static int compile(const struct options *o)
{
	char *source = NULL;
	size_t len = 0;
	const char *why;
	struct diag_ctx d;
	struct ast_file ast;
	struct ir_program *ir = NULL;
	int status = EXIT_POLICY;
	bool color = o->color < 0 ? isatty(STDERR_FILENO) && getenv("NO_COLOR") == NULL : o->color;

	/* read */
	int err = read_source_file(o->input, &source, &len, &why);
	if (err) {
		error("cannot read '%s': %s", o->input, why ? why : strerror(-err));
		return EXIT_USAGE;
	}
	const char *name = strcmp(o->input, "-") == 0 ? "<stdin>" : o->input;
	diag_init(&d, name, source, len);
	d.werror = o->werror;
	d.no_warnings = o->no_warnings;

	/* parse: the tree is kept even after syntax errors, so that checking it
	 * reports every error of the file in one run */
	parse_source(&d, &ast);
	if (o->dump == DUMP_AST)
		ast_dump(&ast, stdout);

	/* check and lower */
	ir = sema_lower(&d, &ast);
	ast_file_free(&ast);
	if (ir && ir_broken(ir)) {
		status = EXIT_USAGE;
		goto out;
	}

	/* analyse */
	if (ir && d.errors == 0)
		shadow_check(ir, &d);

	diag_print(&d, o->diag_format, color, stderr);
	if (ir && !diag_failed(&d))
		status = use_program(o, name, ir, color);
out:
	ir_free(ir);
	diag_free(&d);
	free(source);
	return status;
}

int main(int argc, char **argv)
{
	struct options o = {.color = -1};
	/* stderr is unbuffered; 100,000 warnings must not mean a million writes. */
	static char errbuf[1 << 16];
	setvbuf(stderr, errbuf, _IOFBF, sizeof(errbuf));

	if (parse_args(argc, argv, &o) != 0) {
		fputs("Try 'untrackc --help' for more information.\n", stderr);
		return EXIT_USAGE;
	}
	int status = compile(&o);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		error("cannot write to standard output: %s", strerror(errno));
		return EXIT_USAGE;
	}
	return status;
}
