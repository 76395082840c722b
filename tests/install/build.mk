# make install-test: `make install` with another PREFIX than the build's, into
# a scratch DESTDIR, from a build tree of its own (tests/install/run.sh);
# included by the top Makefile. Needs no root.

.PHONY: install-test

install-test:
	$(Q)bash tests/install/run.sh

test: install-test
