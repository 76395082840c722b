#!/usr/bin/env bash
# The kernel suites in a VM booted with another kernel (make vmtest does the
# build and runs this; docs/kernels.md says when to run it).
#
#   make vmtest
#   bash tests/vm/run.sh          after `make all` and the suites' tools
#
# For each kernel (VMTEST_KERNELS, versions of Debian's linux-image-VERSION
# packages; by default the 6.1 kernel Debian 12's linux-image-amd64 depends
# on), this:
#   1. downloads the package with apt-get download and unpacks it with
#      dpkg-deb -x into build/vm/VERSION/root (once; the host's /boot and
#      /lib/modules are never touched), and indexes its modules (depmod -b);
#   2. packs an initramfs: busybox-static, tests/vm/init, and the modules
#      that mounting the root needs (virtio, 9p, overlay);
#   3. boots it under qemu with TCG (no /dev/kvm): the host's / read-only
#      over 9p under a tmpfs overlay, build/vm/VERSION/results shared
#      read-write; tests/vm/guest.sh runs the suites there, with make, from
#      this tree as built on the host;
#   4. prints one line per suite, "vmtest VERSION SUITE: N passed, M failed
#      (S s)" (summed over the scripts the suite's target runs), and the
#      start of what failed.
# Exit status 1 if a suite failed or did not run, or a VM did not boot or
# finish; 2 if the VM could not be prepared.
#
# Environment: VMTEST_SUITES (make targets; diff-test runs the shorter
# vmtest-diff-test), VMTEST_BUILT (what make -q checks in the VM; make vmtest
# sets both), VMTEST_KERNELS, VMTEST_TIMEOUT (seconds for a whole VM, 5400),
# VMTEST_SUITE_TIMEOUT (seconds per suite, 1800), VMTEST_CPUS (2), VMTEST_MEM
# (4G), QEMU (qemu-system-x86_64). CI is passed to the suites, true unless
# set: in the VM every suite can run, so one that cannot is a failure.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"

SUITES=${VMTEST_SUITES:-kernel-test replay-test diff-test e2e e2e-egress nft-test}
BUILT=${VMTEST_BUILT:-build/untrackc build/untrack build/runtime/untrack_runtime.bpf.o}
TIMEOUT=${VMTEST_TIMEOUT:-5400}
SUITE_TIMEOUT=${VMTEST_SUITE_TIMEOUT:-1800}
CPUS=${VMTEST_CPUS:-2}
MEM=${VMTEST_MEM:-4G}
QEMU=${QEMU:-qemu-system-x86_64}
VMDIR=$root/build/vm

die()
{
	echo "vmtest: $*" >&2
	exit 2
}

# ---------------------------------------------------------------- cleanup
TMPS=()
QEMU_PID=
# shellcheck disable=SC2317 # runs from the EXIT trap
cleanup()
{
	local rc=$? t
	set +e
	trap - EXIT
	if [[ -n $QEMU_PID ]] && kill -0 "$QEMU_PID" 2>/dev/null; then
		kill "$QEMU_PID" 2>/dev/null
		wait "$QEMU_PID" 2>/dev/null
	fi
	for t in "${TMPS[@]}"; do
		rm -rf "$t"
	done
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

for tool in "$QEMU" busybox cpio gzip depmod modprobe dpkg-deb apt-get apt-cache timeout; do
	command -v "$tool" >/dev/null 2>&1 ||
		die "needs $tool (bash scripts/deps.sh vm installs it)"
done
for f in $BUILT; do
	[[ -e $f ]] || die "$f is missing: build it first (make vmtest does)"
done

# ---------------------------------------------------------------- kernels

# current_kernel: the linux-image-6.1.0-N-amd64 that Debian 12's
# linux-image-amd64 depends on, as VERSION (6.1.0-N-amd64).
current_kernel()
{
	local deps
	deps=$(apt-cache depends linux-image-amd64 2>/dev/null) || true
	if ! grep -qE 'linux-image-6\.1\.0-[0-9]+-amd64' <<<"$deps" && [[ $(id -u) == 0 ]]; then
		apt-get -q update >/dev/null 2>&1 || die "apt-get update failed"
		deps=$(apt-cache depends linux-image-amd64 2>/dev/null) || true
	fi
	grep -oE 'linux-image-6\.1\.0-[0-9]+-amd64' <<<"$deps" | sed 's/^linux-image-//' | sort -V |
		tail -n 1 | grep . ||
		die "no linux-image-6.1.0-*-amd64 package found by apt-cache (linux-image-amd64 depends on none; apt-get update?)"
}

# unpack VERSION: build/vm/VERSION/root holds the package's files and an
# index of its modules (once).
unpack()
{
	local v=$1 kdir=$VMDIR/$1 tmp deb
	[[ -e $kdir/root/.unpacked ]] && return 0
	mkdir -p "$VMDIR"
	tmp=$(mktemp -d "$VMDIR/unpack.XXXXXX")
	TMPS+=("$tmp")
	# apt-get download writes into the current directory.
	chmod 755 "$tmp"
	if ! (cd "$tmp" && apt-get -q download "linux-image-$v" >"$tmp/apt.log" 2>&1); then
		if [[ $(id -u) == 0 ]] && apt-get -q update >/dev/null 2>&1 &&
			(cd "$tmp" && apt-get -q download "linux-image-$v" >"$tmp/apt.log" 2>&1); then
			:
		else
			cat "$tmp/apt.log" >&2
			die "cannot download linux-image-$v with apt-get download"
		fi
	fi
	deb=$(find "$tmp" -maxdepth 1 -name "linux-image-${v}_*.deb" | head -n 1)
	[[ -n $deb ]] || die "apt-get download left no linux-image-${v}_*.deb"
	dpkg-deb -x "$deb" "$tmp/root" || die "dpkg-deb -x $deb failed"
	[[ -e $tmp/root/boot/vmlinuz-$v ]] || die "linux-image-$v has no boot/vmlinuz-$v"
	[[ -d $tmp/root/lib/modules/$v ]] || die "linux-image-$v has no lib/modules/$v"
	depmod -b "$tmp/root" "$v" || die "depmod -b $tmp/root $v failed"
	echo "vmtest: unpacked $(basename "$deb")"
	touch "$tmp/root/.unpacked"
	mkdir -p "$kdir"
	rm -rf "$kdir/root"
	mv "$tmp/root" "$kdir/root"
}

# initramfs VERSION: build/vm/VERSION/initramfs.cpio.gz, made afresh.
initramfs()
{
	local v=$1 kdir=$VMDIR/$1 tmp mods='' m n=0 seen=" "
	tmp=$(mktemp -d "$kdir/initramfs.XXXXXX")
	TMPS+=("$tmp")
	mkdir -p "$tmp/bin" "$tmp/lib/modules"
	cp "$(command -v busybox)" "$tmp/bin/busybox"
	cp tests/vm/init "$tmp/init"
	chmod 755 "$tmp/init" "$tmp/bin/busybox"
	# The modules for virtio-pci, 9p and overlayfs, dependencies first;
	# whatever the kernel has built in is left out.
	for m in virtio_pci 9pnet_virtio 9p overlay; do
		mods+=$(modprobe -d "$kdir/root" -S "$v" --show-depends "$m") ||
			die "modprobe -d $kdir/root --show-depends $m failed: $v has no $m?"
		mods+=$'\n'
	done
	while read -r m; do
		[[ $seen == *" $m "* ]] && continue
		seen+="$m "
		n=$((n + 1))
		cp "$m" "$tmp/lib/modules/$(printf '%02d' $n)-$(basename "$m")"
		printf '%02d-%s\n' $n "$(basename "$m")" >>"$tmp/lib/modules/order"
	done < <(awk '$1 == "insmod" { print $2 }' <<<"$mods")
	touch "$tmp/lib/modules/order"
	(cd "$tmp" && find . -mindepth 1 | cpio -o -H newc --quiet -R 0:0 | gzip -1) \
		>"$kdir/initramfs.cpio.gz.tmp" || die "cannot pack the initramfs"
	mv "$kdir/initramfs.cpio.gz.tmp" "$kdir/initramfs.cpio.gz"
}

# ---------------------------------------------------------------- one VM

# console_new LOG: the "vmtest" lines of the console that are new since the
# last call.
SEEN=0
console_new()
{
	local n
	[[ -e $1 ]] || return 0
	n=$(wc -l <"$1")
	((n > SEEN)) || return 0
	sed -n "$((SEEN + 1)),${n}p" "$1" | tr -d '\r' | grep '^vmtest' || true
	SEEN=$n
}

# boot VERSION: run the suites in a VM; sets VM_RC (qemu's exit status).
boot()
{
	local v=$1 kdir=$VMDIR/$1 res=$VMDIR/$1/results
	rm -rf "$res"
	mkdir -p "$res"
	{
		printf 'VMTEST_%s=%q\n' KVER "$v" TREE "$root" MODULES "$kdir/root/lib/modules/$v" \
			SUITES "$SUITES" BUILT "$BUILT" SUITE_TIMEOUT "$SUITE_TIMEOUT" CI "${CI:-true}"
	} >"$res/job.env"
	rm -f "$kdir/console.log" "$kdir/qemu.log"
	SEEN=0
	echo "vmtest $v: booting (console: ${kdir#"$root"/}/console.log)"
	# -no-reboot: a panic (or an init that exits) ends qemu too.
	timeout -k 10 "$TIMEOUT" "$QEMU" -nodefaults -no-user-config -display none -no-reboot \
		-machine pc -accel tcg,thread=multi -cpu max -smp "$CPUS" -m "$MEM" \
		-kernel "$kdir/root/boot/vmlinuz-$v" -initrd "$kdir/initramfs.cpio.gz" \
		-append "console=ttyS0 rdinit=/init panic=-1 quiet loglevel=4 mitigations=off" \
		-serial "file:$kdir/console.log" -monitor none -nic none \
		-fsdev local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap \
		-device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot \
		-fsdev "local,id=results,path=$res,security_model=none" \
		-device virtio-9p-pci,fsdev=results,mount_tag=results \
		</dev/null >"$kdir/qemu.log" 2>&1 &
	QEMU_PID=$!
	while kill -0 "$QEMU_PID" 2>/dev/null; do
		sleep 2
		console_new "$kdir/console.log"
	done
	VM_RC=0
	wait "$QEMU_PID" || VM_RC=$?
	QEMU_PID=
	console_new "$kdir/console.log"
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

# report VERSION: one line per suite; the start of what failed. Returns 1
# if anything failed.
report()
{
	local v=$1 kdir=$VMDIR/$1 res=$VMDIR/$1/results s rc secs last fails bad=0 rel
	rel=${res#"$root"/}
	if [[ -e $res/error ]]; then
		echo "vmtest $v: the VM failed: $(cat "$res/error") (in $rel)"
		bad=1
	elif [[ ! -e $res/done ]]; then
		if ((VM_RC == 124 || VM_RC == 137)); then
			echo "vmtest $v: the VM did not finish in ${TIMEOUT} s (VMTEST_TIMEOUT); killed"
		else
			echo "vmtest $v: the VM did not finish (qemu exit status $VM_RC); the end of its console:"
			tail -n 25 "$kdir/console.log" 2>/dev/null | tr -d '\r' | sed 's/^/  | /'
			[[ -s $kdir/qemu.log ]] && sed 's/^/  qemu: /' "$kdir/qemu.log" | head -n 10
		fi
		bad=1
	fi
	for s in $SUITES; do
		if [[ ! -e $res/$s.rc ]]; then
			echo "vmtest $v $s: did not run"
			bad=1
			continue
		fi
		rc=$(<"$res/$s.rc")
		secs=$(<"$res/$s.time")
		last=$(counts "$res/$s.log")
		if [[ -e $res/$s.rebuilt ]]; then
			echo "vmtest $v $s: ${last:-no summary line}, but make rebuilt in the VM:" \
				"$(tr '\n' ' ' <"$res/$s.rebuilt")(add it to VMTEST_BUILT, tests/vm/build.mk)"
			bad=1
			continue
		fi
		if [[ $rc == 0 && -n $last ]]; then
			echo "vmtest $v $s: $last ($secs s)"
			continue
		fi
		bad=1
		if [[ $rc == 124 || $rc == 137 ]]; then
			echo "vmtest $v $s: timed out after $secs s (VMTEST_SUITE_TIMEOUT) ${last:+at $last }($rel/$s.log)"
		else
			echo "vmtest $v $s: ${last:-no summary line}, exit status $rc ($secs s; $rel/$s.log)"
		fi
		fails=$(grep -E '^(FAIL|     )' "$res/$s.log" | head -n 30) || true
		{
			[[ -z $fails ]] || printf '%s\n...\n' "$fails"
			tail -n 15 "$res/$s.log"
		} | sed 's/^/  | /'
	done
	return $bad
}

# ---------------------------------------------------------------- main
KERNELS=${VMTEST_KERNELS:-}
if [[ -z ${KERNELS// /} ]]; then
	KERNELS=$(current_kernel)
fi

status=0
for v in $KERNELS; do
	[[ $v =~ ^[0-9][A-Za-z0-9.+-]*$ ]] || die "'$v' is not a kernel version (like 6.1.0-57-amd64)"
	unpack "$v"
	initramfs "$v"
	t0=$SECONDS
	boot "$v"
	echo "vmtest $v: VM ran $((SECONDS - t0)) s"
	report "$v" || status=1
done
exit $status
