# End-to-end tests of the loader in network namespaces; included by the top
# Makefile, which defines BUILD, CC, CLANG, CPPFLAGS_ALL, CFLAGS_ALL,
# RT_BPF_CFLAGS, Q, msg.
#
#   make e2e        build and run tests/e2e/run.sh (needs root; under CI=true a
#                   test that cannot run fails)

# The loader talks to nftables through libnftables. (This belongs on the
# top Makefile's LOADER_LIBS line; until it is there, it is added here.)
ifeq ($(filter -lnftables,$(LOADER_LIBS)),)
LOADER_LIBS += -lnftables
endif

E2E_DIR   := $(BUILD)/e2e
E2E_TOOLS := $(E2E_DIR)/uttraffic $(E2E_DIR)/utv6chain $(E2E_DIR)/test_nft \
	     $(E2E_DIR)/xdp_other.bpf.o

.PHONY: e2e

$(E2E_DIR)/uttraffic: tests/e2e/uttraffic.c
	@mkdir -p $(@D)
	$(call msg,CC-TEST,$@)
	$(Q)$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) -o $@ $<

# UDP behind a chain of IPv6 extension headers (tests/e2e/evasion.sh).
$(E2E_DIR)/utv6chain: tests/e2e/utv6chain.c
	@mkdir -p $(@D)
	$(call msg,CC-TEST,$@)
	$(Q)$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) -o $@ $<

# The nftables ruleset text, checked without touching the kernel.
TEST_NFT_SRCS := tests/e2e/test_nft.c loader/nft.c loader/nft_live.c loader/errors.c
$(E2E_DIR)/test_nft: $(TEST_NFT_SRCS) loader/nft.h loader/errors.h $(LIBOBJFMT)
	@mkdir -p $(@D)
	$(call msg,CC-TEST,$@)
	$(Q)$(CC) $(CPPFLAGS_ALL) -Iloader $(CFLAGS_ALL) -o $@ $(TEST_NFT_SRCS) $(LIBOBJFMT) \
		-lnftables -ljansson

# Someone else's XDP program, for the tests that untrack must not replace it.
$(E2E_DIR)/%.bpf.o: tests/e2e/%.bpf.c
	@mkdir -p $(@D)
	$(call msg,BPF,$<)
	$(Q)$(CLANG) $(RT_BPF_CFLAGS) -c $< -o $@

e2e: $(BUILD)/untrack $(BUILD)/untrackc $(RUNTIME_OBJS) $(E2E_TOOLS)
	$(Q)$(E2E_DIR)/test_nft
	$(Q)bash tests/e2e/run.sh
	$(Q)bash tests/e2e/evasion.sh

test: e2e
