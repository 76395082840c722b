#!/bin/bash
# The test VM's PID 1, started by tests/vm/init after it switched to the
# overlay of the host's / (tests/vm/run.sh boots the VM). It mounts what the
# suites expect (proc, sys, devpts, tmpfs on /run and /tmp, bpffs, debugfs,
# tracefs, cgroup2), puts the unpacked kernel's modules at
# /lib/modules/VERSION so that modprobe loads them on demand, brings lo up,
# checks that the tree was built on the host (make -q: nothing is rebuilt in
# the VM), runs each suite of VMTEST_SUITES with make from the tree, and
# powers off.
#
# Everything comes from /vmtest/job.env (written by run.sh); /vmtest is the
# results folder, shared read-write with the host. For each suite it leaves
# SUITE.log (the output), SUITE.rc (the exit status), SUITE.time (seconds)
# and, if make built something for it, SUITE.rebuilt; /vmtest/done says the
# run got to the end. Progress goes to the
# console as "vmtest VERSION: ..." lines.
set -euo pipefail

R=/vmtest
# shellcheck source=/dev/null # written by run.sh
source "$R/job.env"
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb CI=$VMTEST_CI
unset VMTEST_CI

say()
{
	echo "vmtest $VMTEST_KVER: $*"
}

off()
{
	set +e
	sync
	echo o >/proc/sysrq-trigger
	# Wait with builtins only: the power-off takes the host's files (9p)
	# away, and PID 1 must not exit meanwhile (the kernel would panic).
	while :; do
		read -r -t 60 _ </dev/console
	done
}

die()
{
	say "$*"
	printf '%s\n' "$*" >"$R/error"
	off
}

# The mounts of a booted system, as far as the suites use them.
mnt()
{
	mkdir -p "$4"
	mount -t "$1" -o "$2" "$3" "$4" || die "cannot mount $1 on $4"
}
mnt proc nosuid,nodev,noexec proc /proc
mnt sysfs nosuid,nodev,noexec sys /sys
mnt devpts nosuid,noexec,gid=5,mode=620,ptmxmode=666 devpts /dev/pts
mnt tmpfs nosuid,nodev,mode=1777 shm /dev/shm
mnt tmpfs nosuid,nodev,mode=755 run /run
mnt tmpfs nosuid,nodev,mode=1777 tmp /tmp
mnt bpf mode=700 bpf /sys/fs/bpf
mnt debugfs nosuid,nodev,noexec debugfs /sys/kernel/debug
mnt tracefs nosuid,nodev,noexec tracefs /sys/kernel/tracing
mnt cgroup2 nosuid,nodev,noexec,nsdelegate cgroup2 /sys/fs/cgroup
# What udev would create: bash's process substitution needs /dev/fd.
ln -sfn /proc/self/fd /dev/fd
ln -sfn /proc/self/fd/0 /dev/stdin
ln -sfn /proc/self/fd/1 /dev/stdout
ln -sfn /proc/self/fd/2 /dev/stderr

# The kernel's modules, where modprobe (and the kernel's request_module)
# look for them.
mkdir -p "/lib/modules/$VMTEST_KVER"
mount --bind "$VMTEST_MODULES" "/lib/modules/$VMTEST_KVER" || die "cannot bind the modules $VMTEST_MODULES"
[[ -r /lib/modules/$VMTEST_KVER/modules.dep ]] || die "no modules.dep in $VMTEST_MODULES (depmod)"

hostname vmtest
ip link set lo up || die "cannot bring lo up"
[[ $(uname -r) == "$VMTEST_KVER" ]] || die "booted $(uname -r), want $VMTEST_KVER"
read -r up _ </proc/uptime
say "booted in ${up%.*} s; CI=$CI; suites: $VMTEST_SUITES"

cd "$VMTEST_TREE" || die "no tree at $VMTEST_TREE"
# build/gen/paths.h is rewritten on every make run (it depends on FORCE) but
# only replaced when its text changes: -o keeps make from counting it.
MAKE=(make --no-print-directory -o build/gen/paths.h)
t0=$SECONDS
# shellcheck disable=SC2086 # a list of paths
if ! "${MAKE[@]}" -q $VMTEST_BUILT >"$R/build-check.log" 2>&1; then
	"${MAKE[@]}" -n $VMTEST_BUILT >>"$R/build-check.log" 2>&1 || true
	die "the tree is not up to date in the VM (make -q; see build-check.log): build it on the host first"
fi
say "the build is up to date (checked in $((SECONDS - t0)) s)"

# rebuilt SUITE: the files under build/ that the suite's make run wrote
# (the suites themselves write only under /tmp), in SUITE.rebuilt: make -q
# checks only VMTEST_BUILT, and a prerequisite missing there would be built
# here, silently. The marker is renewed for the next suite.
touch /tmp/vmtest.mark
rebuilt()
{
	local files
	files=$(find build -path build/vm -prune -o -type f -newer /tmp/vmtest.mark -print | head -n 20)
	touch /tmp/vmtest.mark
	[[ -n $files ]] || return 0
	printf '%s\n' "$files" >"$R/$1.rebuilt"
	say "$1: rebuilt in the VM: ${files//$'\n'/ }"
}

# counts LOG: the sum of the log's "N passed, M failed[, K skipped]" lines
# (a make target may run several scripts, each ending in one), or nothing.
counts()
{
	awk '/^[0-9]+ passed, [0-9]+ failed/ {
		n++; p += $1; f += $3; if ($6 == "skipped") { s += $5; sk = 1 }
	}
	END { if (n) printf "%d passed, %d failed%s\n", p, f, sk ? sprintf(", %d skipped", s) : "" }' "$1"
}

for suite in $VMTEST_SUITES; do
	target=$suite
	[[ $suite == diff-test ]] && target=vmtest-diff-test
	say "$suite: running"
	t0=$SECONDS
	rc=0
	timeout -k 30 "$VMTEST_SUITE_TIMEOUT" "${MAKE[@]}" "$target" </dev/null >"$R/$suite.log" 2>&1 || rc=$?
	secs=$((SECONDS - t0))
	rebuilt "$suite"
	echo "$rc" >"$R/$suite.rc"
	echo "$secs" >"$R/$suite.time"
	last=$(counts "$R/$suite.log")
	say "$suite: ${last:-no summary line}, exit status $rc ($secs s)"
done

touch "$R/done"
off
