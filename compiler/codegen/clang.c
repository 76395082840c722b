/* The back end: generated C → clang → BPF object, written atomically. */
#include "codegen/clang.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/xalloc.h"
#include "codegen/jump_reach.h"
#include "paths.h" /* generated: UNTRACK_INCLUDEDIR, UNTRACK_MULTIARCH_INCLUDE */

extern char **environ;

#define ABI_HEADER "untrack_abi.h"

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t errlen, const char *fmt,
						      ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static bool has_header(const char *dir)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/%s", dir, ABI_HEADER) >= (int)sizeof(path))
		return false;
	return access(path, R_OK) == 0;
}

/* The runtime's ABI header: next to the binary in the build tree
 * (build/untrackc → runtime-bpf/), or at the install prefix. */
static int find_include_dir(char *dir, size_t size)
{
	const char *env = getenv("UNTRACK_INCLUDE_DIR");
	char exe[PATH_MAX];
	ssize_t n;

	if (env && *env) {
		snprintf(dir, size, "%s", env);
		return has_header(dir) ? 0 : -1;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *bindir = dirname(exe);
		static const char *const rel[] = {"../runtime-bpf", "../include/untrack"};
		for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
			char candidate[PATH_MAX];
			if (snprintf(candidate, sizeof(candidate), "%s/%s", bindir, rel[i]) >=
			    (int)sizeof(candidate))
				continue;
			if (has_header(candidate) && realpath(candidate, dir))
				return 0;
		}
	}
	snprintf(dir, size, "%s", UNTRACK_INCLUDEDIR);
	return has_header(dir) ? 0 : -1;
}

static void print_command(char *const argv[])
{
	fputs("untrackc:", stderr);
	for (size_t i = 0; argv[i]; i++) {
		bool plain = strspn(argv[i], "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					     "0123456789-_=./,:+") == strlen(argv[i]);
		fprintf(stderr, plain ? " %s" : " '%s'", argv[i]);
	}
	fputc('\n', stderr);
}

/* Run argv (no shell) and wait. Returns the exit status, or -errno if it
 * could not start. */
static int run(char *const argv[])
{
	pid_t pid;
	int status, err = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ);

	if (err)
		return -err;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

static int write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -errno;
	size_t put = fwrite(data, 1, len, f);
	int err = ferror(f) || put != len ? EIO : 0;
	if (fclose(f) != 0 && !err)
		err = errno;
	return -err;
}

static char *generate(const struct ir_program *p, const struct backend_options *o, size_t *len)
{
	struct emit_options eo = {.strategy = o->strategy};
	char *text = NULL;
	FILE *mem = open_memstream(&text, len);

	if (!mem)
		xalloc_die();
	emit_c(p, &eo, mem);
	if (fclose(mem) != 0)
		xalloc_die();
	return text;
}

int backend_emit_c(const struct ir_program *p, const struct backend_options *o, const char *path,
		   char *err, size_t errlen)
{
	size_t len;
	char *text = generate(p, o, &len);
	int ret = 0;

	if (strcmp(path, "-") == 0) {
		if (fwrite(text, 1, len, stdout) != len)
			ret = fail(err, errlen, "cannot write generated C to standard output");
	} else {
		int e = write_file(path, text, len);
		if (e)
			ret = fail(err, errlen, "cannot write '%s': %s", path, strerror(-e));
	}
	free(text);
	return ret;
}

/* One compile with o's strategy. Returns 0, -E2BIG when clang's program is
 * too long for its jumps (jump_reach.h), or -1. */
static int compile_to(const struct ir_program *p, const struct backend_options *o,
		      const char *output, char *err, size_t errlen)
{
	char incdir[PATH_MAX], tmpdir[] = "/tmp/untrackc.XXXXXX", csrc[PATH_MAX];
	char *tmp_out = NULL, *text = NULL;
	char map_tmp[PATH_MAX + 64], map_inc[PATH_MAX + 64];
	const char *clang = o->clang;
	bool have_tmpdir = false;
	size_t len;
	int ret = -1, fd;

	if (!clang || !*clang)
		clang = getenv("CLANG");
	if (!clang || !*clang)
		clang = "clang";
	if (find_include_dir(incdir, sizeof(incdir)) != 0)
		return fail(
			err, errlen,
			"cannot find the runtime header '%s' (looked next to untrackc and in '%s'; set UNTRACK_INCLUDE_DIR)",
			ABI_HEADER, UNTRACK_INCLUDEDIR);

	if (!mkdtemp(tmpdir))
		return fail(err, errlen, "cannot create a temporary directory: %s",
			    strerror(errno));
	have_tmpdir = true;
	snprintf(csrc, sizeof(csrc), "%s/policy.c", tmpdir);
	text = generate(p, o, &len);
	int e = write_file(csrc, text, len);
	if (e) {
		fail(err, errlen, "cannot write '%s': %s", csrc, strerror(-e));
		goto out;
	}

	/* Temp file beside the output, so the final rename is atomic. */
	if (asprintf(&tmp_out, "%s.tmp.XXXXXX", output) < 0)
		xalloc_die();
	fd = mkstemp(tmp_out);
	if (fd < 0) {
		fail(err, errlen, "cannot create '%s': %s", output, strerror(errno));
		free(tmp_out);
		tmp_out = NULL;
		goto out;
	}
	close(fd);

	/* Debug info must not remember where the temporary files were: the
	 * same policy must give the same object. */
	snprintf(map_tmp, sizeof(map_tmp), "-fdebug-prefix-map=%s=untrack", tmpdir);
	snprintf(map_inc, sizeof(map_inc), "-fdebug-prefix-map=%s=untrack-include", incdir);
	char *argv[] = {
		(char *)clang,
		"-target",
		"bpf",
		"-O2",
		"-g",
		/* docs/abi.md's warnings: one in the generated C is an untrackc bug */
		"-Wall",
		"-Wextra",
		"-Werror",
		/* the same object wherever it was compiled */
		"-fdebug-compilation-dir=.",
		map_tmp,
		map_inc,
		"-I",
		incdir,
		"-idirafter",
		UNTRACK_MULTIARCH_INCLUDE,
		"-c",
		csrc,
		"-o",
		tmp_out,
		NULL,
	};
	if (o->verbose)
		print_command(argv);
	int status = run(argv);
	if (status == -ENOENT) {
		fail(err, errlen,
		     "cannot run '%s': not found (install clang, or give --clang PATH or set CLANG)",
		     clang);
		goto out;
	}
	if (status < 0) {
		fail(err, errlen, "cannot run '%s': %s", clang, strerror(-status));
		goto out;
	}
	if (status != 0) {
		fail(err, errlen,
		     "'%s' failed (status %d) on the generated C: this is a bug in untrackc; see the C with --emit-c",
		     clang, status);
		goto out;
	}
	fd = open(tmp_out, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) != 0) {
		fail(err, errlen, "cannot write '%s': %s", output, strerror(errno));
		if (fd >= 0)
			close(fd);
		goto out;
	}
	close(fd);
	char why[512];
	e = jump_reach_check(tmp_out, why, sizeof(why));
	if (e == -E2BIG) {
		fail(err, errlen, "the %s strategy's program cannot be loaded: %s",
		     emit_strategy_name(emit_choose(p, o->strategy)), why);
		ret = -E2BIG;
		goto out;
	}
	if (e) {
		fail(err, errlen,
		     "clang's object for the generated C is broken (%s): this is a bug in untrackc",
		     why);
		goto out;
	}
	if (chmod(tmp_out, 0644) != 0 || rename(tmp_out, output) != 0) {
		fail(err, errlen, "cannot write '%s': %s", output, strerror(errno));
		goto out;
	}
	free(tmp_out);
	tmp_out = NULL;
	ret = 0;
out:
	if (tmp_out) {
		unlink(tmp_out);
		free(tmp_out);
	}
	if (have_tmpdir) {
		unlink(csrc);
		rmdir(tmpdir);
	}
	free(text);
	return ret;
}

int backend_compile(const struct ir_program *p, const struct backend_options *o, const char *output,
		    char *err, size_t errlen)
{
	int ret = compile_to(p, o, output, err, errlen);

	/* auto picks the linear strategy only for policies far below the
	 * limit; should one still reach it, the table strategy loads. A
	 * strategy the user asked for is never swapped. */
	if (ret == -E2BIG && o->strategy == EMIT_AUTO) {
		struct backend_options table = *o;

		table.strategy = EMIT_TABLE;
		if (o->verbose)
			fprintf(stderr, "untrackc: %s; compiling with the table strategy\n", err);
		ret = compile_to(p, &table, output, err, errlen);
	}
	if (ret == -E2BIG)
		snprintf(err + strlen(err), errlen - strlen(err),
			 " (use --strategy=table or auto)");
	return ret == 0 ? 0 : -1;
}
