# End-to-end tests of egress rules in nftables, installed by the loader
# (docs/egress.md); included by the top Makefile, which defines BUILD, CC,
# CPPFLAGS_ALL, CFLAGS_ALL, Q, msg.
#
#   make e2e-egress   build and run tests/e2e-egress/run.sh (needs root; under
#                     CI=true a test that cannot run fails)

.PHONY: e2e-egress

E2E_EGRESS_DIR := $(BUILD)/e2e-egress

$(E2E_EGRESS_DIR)/utexchange: tests/e2e-egress/utexchange.c
	@mkdir -p $(@D)
	$(call msg,CC-TEST,$@)
	$(Q)$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) -o $@ $<

e2e-egress: $(BUILD)/untrack $(BUILD)/untrackc $(RUNTIME_OBJS) $(E2E_EGRESS_DIR)/utexchange
	$(Q)bash tests/e2e-egress/run.sh

test: e2e-egress
