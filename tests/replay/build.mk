# The back end proven in the kernel (tests/replay/, tests/tools/difftest.c);
# included by the top Makefile.
#
#   make replay-test   every testdata policy with a case file, a generated
#                      1,000-rule policy, hostile names, atomic output and
#                      replay errors, through untrackc and `untrack replay`
#   make diff-test     the differential test, bounded for `make check`:
#                      random policies x random packets, kernel vs reference
#   make fuzz-diff     the same, much longer (DIFF_SEED, DIFF_POLICIES,
#                      DIFF_PACKETS, DIFF_SECONDS to change it)
# All need root and BPF; under CI=true a test that cannot run fails.

.PHONY: replay-test diff-test fuzz-diff

DIFFTEST := $(BUILD)/tools/difftest
$(DIFFTEST): tests/tools/difftest.c $(LIBLOADER) $(SUPPORT_OBJS) $(COMPILER_LIBS)
	@mkdir -p $(@D)
	$(call msg,CC-TOOL,$@)
	$(Q)$(CC) $(CPPFLAGS_ALL) -Iloader $(CFLAGS_ALL) -o $@ $< \
		$(LIBLOADER) $(SUPPORT_OBJS) $(COMPILER_LIBS) $(LOADER_LIBS)

replay-test: $(BUILD)/untrackc $(BUILD)/untrack $(RUNTIME_OBJS) $(BUILD)/tools/cases2pcap
	$(Q)bash tests/replay/run.sh

DIFF_ARGS := --tailcalls tests/kernel/check_tailcalls.sh \
	--runtime $(RUNTIME_OBJ) --include runtime-bpf

diff-test: $(DIFFTEST) $(RUNTIME_OBJS)
	$(Q)$(DIFFTEST) $(DIFF_ARGS) --seed 1 --policies 100 --packets 5000

DIFF_SEED     ?= $(shell date +%s)
DIFF_POLICIES ?= 100000
DIFF_PACKETS  ?= 20000
DIFF_SECONDS  ?= 1800
fuzz-diff: $(DIFFTEST) $(RUNTIME_OBJS)
	$(Q)$(DIFFTEST) $(DIFF_ARGS) --seed $(DIFF_SEED) --policies $(DIFF_POLICIES) \
		--packets $(DIFF_PACKETS) --seconds $(DIFF_SECONDS) -v

test: replay-test diff-test
