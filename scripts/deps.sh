#!/usr/bin/env bash
# Install the Debian packages untrack needs to build, lint, test and demo.
#
#   bash scripts/deps.sh             install what is missing (as root), else say what to install
#   bash scripts/deps.sh vm          the same, with the opt-in set for `make vmtest` (qemu,
#                                    busybox, cpio, kmod: tests/vm/run.sh); not part of `make check`
#   bash scripts/deps.sh --list [vm] print the package list and exit
#
# Only packages that are missing are installed; `apt-get update` runs once, and
# only when something is missing. Set UNTRACK_SKIP_DEPS=1 to skip this step.
set -euo pipefail

PACKAGES=(
	# build
	make gcc libc6-dev pkg-config flex bison
	clang llvm            # clang -target bpf for the runtime; llvm-objdump, llvm-strip
	libbpf-dev libelf-dev zlib1g-dev linux-libc-dev
	libpcap-dev libnftables-dev
	libjansson-dev        # JSON output (objfmt/json_text.c, the loader's --json)
	# tests and lint
	libcmocka-dev
	libclang-rt-14-dev    # libFuzzer and the sanitizer runtimes for clang
	clang-format cppcheck valgrind jq time git
	# the loader, kernel tests and the demo
	bpftool xdp-tools iproute2 nftables conntrack tcpdump
	# benchmark plots
	gnuplot-nox
)

# Opt-in: `make vmtest` boots other kernels under qemu (tests/vm/run.sh).
VM_PACKAGES=(
	qemu-system-x86       # TCG: the VM needs no /dev/kvm
	busybox-static        # the initramfs's shell and tools
	cpio                  # packs the initramfs
	kmod                  # depmod and modprobe for the unpacked kernel's modules
)

list=0
for arg in "$@"; do
	case $arg in
	--list) list=1 ;;
	vm) PACKAGES+=("${VM_PACKAGES[@]}") ;;
	*)
		echo "deps: unknown argument '$arg' (usage: deps.sh [--list] [vm])" >&2
		exit 2
		;;
	esac
done

if ((list)); then
	printf '%s\n' "${PACKAGES[@]}"
	exit 0
fi
if [[ ${UNTRACK_SKIP_DEPS:-0} == 1 ]]; then
	exit 0
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
	if [[ $status != "install ok installed" ]]; then
		missing+=("$pkg")
	fi
done

if ((${#missing[@]} == 0)); then
	exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
	echo "deps: missing packages: ${missing[*]}" >&2
	echo "deps: install them with:" >&2
	echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
	exit 1
fi

echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! apt-get -q update >"$log" 2>&1; then
	cat "$log" >&2
	echo "deps: apt-get update failed" >&2
	exit 1
fi
if ! apt-get -q install -y --no-install-recommends "${missing[@]}" >"$log" 2>&1; then
	cat "$log" >&2
	echo "deps: apt-get install failed" >&2
	exit 1
fi
echo "deps: done"
