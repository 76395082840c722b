# The nftables form of egress rules, checked by nft and in the kernel
# (tests/nft/run.sh); included by the top Makefile. The unit tests of the
# generated text are tests/unit/test_emit_nft.c (`make unit`).
#
#   make nft-test   nft -c on every --emit=nft output and the object's
#                   template; real packets in throwaway namespaces (needs
#                   root, nft, conntrack, llvm-objcopy; under CI=true a test
#                   that cannot run fails)

.PHONY: nft-test

NFT_SEND := $(BUILD)/nft/nftsend

$(NFT_SEND): tests/nft/nftsend.c
	@mkdir -p $(@D)
	$(call msg,CC-TEST,$@)
	$(Q)$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) -o $@ $<

nft-test: $(BUILD)/untrackc $(NFT_SEND)
	$(Q)bash tests/nft/run.sh $(BUILD)/untrackc $(NFT_SEND)

test: nft-test
