# Golden files of the generated code (tests/golden/run.sh): untrackc's
# --dump=ir and --dump=c of the policies in tests/golden/, compared byte for
# byte; included by the top Makefile.
#
#   make golden-test     compare them (part of `make test`)
#   make golden-update   rewrite them after an intended change in the
#                        compiler; review the diff in git before committing

.PHONY: golden-test golden-update

golden-test: $(BUILD)/untrackc
	$(Q)bash tests/golden/run.sh $(BUILD)/untrackc

golden-update: $(BUILD)/untrackc
	$(Q)bash tests/golden/run.sh --update $(BUILD)/untrackc

test: golden-test
