# The language tables (tests/lang/*.t; the format is in tests/lang/README.md);
# included by the top Makefile.
#
#   make lang       every table line through the compiler's front passes, with
#                   ASan and UBSan, in one process

.PHONY: lang

LANG_RUN := $(BUILD)/lang/lang-run

$(LANG_RUN): tests/lang/run.c $(SUPPORT_OBJS_SAN) $(COMPILER_LIBS_SAN)
	@mkdir -p $(@D)
	$(call msg,CC-TEST,$@)
	$(Q)$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) $(SANFLAGS) -o $@ $< $(SUPPORT_OBJS_SAN) \
		$(COMPILER_LIBS_SAN) $(COMPILER_LDLIBS)

lang: $(LANG_RUN)
	$(Q)ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		$(LANG_RUN) $(sort $(wildcard tests/lang/*.t))

test: lang
