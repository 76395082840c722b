#!/usr/bin/env bash
# `make install DESTDIR=... PREFIX=/usr` after a plain build installs
# binaries that look for their files under /usr, not under the build's
# default /usr/local: untrackc for untrack_abi.h in /usr/include/untrack, the
# loader for the runtime in /usr/lib/untrack. Another PREFIX rebuilds the two
# objects that have it compiled in (build/gen/paths.h), the same PREFIX
# nothing.
#
#   make install-test            (part of make check; needs no root)
#   bash tests/install/run.sh
#
# Builds in a tree of its own under /tmp, so build/ is left as it is; takes
# as long as a build. Ends with "N passed, M failed".
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SUITE=install-test
# shellcheck source=tests/lib/suite.sh
source "$root/tests/lib/suite.sh"
export LC_ALL=C

need_tools make cc clang bison flex bpftool strings

scratch_dir T
B=$T/build # the build tree of this test
D=$T/dest  # DESTDIR

# The makes below are this test's own, not part of a calling make's job
# server or command line (a PREFIX given to `make check` must not leak in).
unset MAKEFLAGS MFLAGS MAKELEVEL
mk()
{
	make -C "$root" --no-print-directory -j"$(nproc)" BUILD="$B" "$@"
}

# compiled LOG: the C files a make run compiled, sorted, on one line.
compiled()
{
	{ grep -E '^  CC +[^ ]+\.c$' "$1" || true; } | awk '{ print $2 }' | sort | tr '\n' ' '
}

begin "a plain build"
mk all >"$T/all.log" 2>&1 || problem "make all failed: $(tail -n 5 "$T/all.log")"
end
((failed == 0)) || finish

begin "make install DESTDIR=... PREFIX=/usr rebuilds the objects with compiled-in paths, and only them"
mk install DESTDIR="$D" PREFIX=/usr >"$T/install.log" 2>&1 ||
	problem "make install failed: $(tail -n 5 "$T/install.log")"
got=$(compiled "$T/install.log")
[[ $got == "compiler/codegen/clang.c loader/objload.c " ]] ||
	problem "compiled '$got', want 'compiler/codegen/clang.c loader/objload.c '"
grep -qx '#define UNTRACK_INCLUDEDIR "/usr/include/untrack"' "$B/gen/paths.h" ||
	problem "build/gen/paths.h does not say /usr/include/untrack"
for f in usr/bin/untrackc usr/sbin/untrack usr/lib/untrack/untrack_runtime.bpf.o \
	usr/include/untrack/untrack_abi.h usr/share/man/man1/untrackc.1 usr/share/man/man8/untrack.8 \
	usr/lib/systemd/system/untrack@.service; do
	[[ -f $D/$f ]] || problem "$f is not installed"
done
end

begin "the installed untrackc looks for untrack_abi.h in /usr/include/untrack"
# A copy with nothing beside it, so that only the compiled-in directory is
# left to try; a clang that does not exist, so that nothing is compiled.
# With -v it names the directory either way: in clang's command line when
# the header is there, in the error when it is not.
mkdir -p "$T/bare/bin"
cp "$D/usr/bin/untrackc" "$T/bare/bin/untrackc"
rc=0
env -u UNTRACK_INCLUDE_DIR "$T/bare/bin/untrackc" -v --clang "$T/no-such-clang" \
	"$root/testdata/spec-example.utp" -o "$T/p.o" >"$T/out" 2>"$T/err" || rc=$?
[[ $rc == 2 ]] || problem "exit status $rc, want 2 (no clang)"
grep -qF /usr/include/untrack "$T/err" ||
	problem "stderr does not name /usr/include/untrack: $(tr '\n' ' ' <"$T/err")"
! grep -qF /usr/local "$T/err" || problem "stderr names /usr/local: $(tr '\n' ' ' <"$T/err")"
end

begin "the installed untrack looks for its runtime in /usr/lib/untrack"
strings -a "$D/usr/sbin/untrack" >"$T/strings"
grep -qx /usr/lib/untrack "$T/strings" || problem "no string /usr/lib/untrack in the loader"
! grep -q '^/usr/local' "$T/strings" || problem "the loader still holds $(grep '^/usr/local' "$T/strings")"
grep -q '^ExecStart=/usr/sbin/untrack ' "$D/usr/lib/systemd/system/untrack@.service" ||
	problem "the unit does not run /usr/sbin/untrack"
end

begin "installing again with the same PREFIX rebuilds nothing"
mk install DESTDIR="$D" PREFIX=/usr >"$T/again.log" 2>&1 ||
	problem "make install failed: $(tail -n 5 "$T/again.log")"
! grep -qE '^  (CC|LD|AR|GEN) ' "$T/again.log" ||
	problem "it rebuilt: $(grep -E '^  (CC|LD|AR|GEN) ' "$T/again.log" | tr '\n' ' ')"
end

begin "a plain make afterwards goes back to /usr/local"
mk all >"$T/back.log" 2>&1 || problem "make all failed: $(tail -n 5 "$T/back.log")"
got=$(compiled "$T/back.log")
[[ $got == "compiler/codegen/clang.c loader/objload.c " ]] ||
	problem "compiled '$got', want 'compiler/codegen/clang.c loader/objload.c '"
strings -a "$B/untrack" >"$T/strings"
grep -qx /usr/local/lib/untrack "$T/strings" || problem "no string /usr/local/lib/untrack in build/untrack"
end

finish
