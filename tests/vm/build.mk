# make vmtest: the kernel suites in a VM booted with another kernel than the
# host's (tests/vm/run.sh; docs/kernels.md); included by the top Makefile.
# Not part of `make check`: it takes 20-35 minutes under qemu's TCG. Run it
# before merging anything that touches the runtime, the loader or the
# generated code.
#
#   make vmtest                   Debian 12's current 6.1 kernel (linux-image-amd64's)
#   make vmtest VMTEST_KERNELS="6.1.0-57-amd64 ..."   Debian kernel packages by version
#   make vmtest VMTEST_SUITES="kernel-test e2e"       some of the suites
#
# Installs what it needs (scripts/deps.sh vm: qemu-system-x86, busybox-static,
# cpio, kmod), builds on the host everything the suites run, then boots the
# VM, which runs the suites from this tree with make, rebuilding nothing.
# Needs no /dev/kvm. Everything it downloads and writes is under build/vm/.

.PHONY: vmtest vmtest-built vmtest-diff-test

VMTEST_SUITES ?= kernel-test replay-test diff-test e2e e2e-egress nft-test
VMTEST_KERNELS ?=
# The differential test in the VM, shorter than `make diff-test`'s.
VMTEST_DIFF_POLICIES ?= 20
VMTEST_DIFF_PACKETS ?= 2000

# What the suites' make targets need built; the VM checks with make -q that
# all of it is up to date. (Recursive: the other fragments define these.)
VMTEST_BUILT = $(BUILD)/untrackc $(BUILD)/untrack $(RUNTIME_OBJS) $(KT_BPF) $(KT_BIN) \
	$(BUILD)/tools/cases2pcap $(DIFFTEST) $(E2E_TOOLS) $(E2E_EGRESS_DIR)/utexchange \
	$(NFT_SEND)

vmtest:
	$(Q)bash scripts/deps.sh vm
	$(Q)$(MAKE) --no-print-directory all vmtest-built
	$(Q)VMTEST_SUITES='$(VMTEST_SUITES)' VMTEST_KERNELS='$(VMTEST_KERNELS)' \
		VMTEST_BUILT='$(VMTEST_BUILT)' bash tests/vm/run.sh

# Second expansion: the prerequisites are read when every fragment is in.
.SECONDEXPANSION:
vmtest-built: $$(VMTEST_BUILT)
	@:

# diff-test as the VM runs it.
vmtest-diff-test: $(DIFFTEST) $(RUNTIME_OBJS)
	$(Q)$(DIFFTEST) $(DIFF_ARGS) --seed 1 --policies $(VMTEST_DIFF_POLICIES) \
		--packets $(VMTEST_DIFF_PACKETS)
