# untrack — one Makefile, every output under build/.
#   make            build everything
#   make check      install missing packages, build, lint, run every test
#   make demo       install missing packages, build, run the bundled example
#   make V=1        show full command lines

CC      ?= gcc
CLANG   ?= clang
BISON   ?= bison
FLEX    ?= flex
PREFIX  ?= /usr/local
DESTDIR ?=

BUILD   := build
GEN     := $(BUILD)/gen
OBJ     := $(BUILD)/obj
SANOBJ  := $(BUILD)/san
MULTIARCH := $(shell $(CC) -dumpmachine)

WARN    := -Wall -Wextra -Werror
CFLAGS  ?= -O2 -g
# Includes name their layer: "objfmt/addr.h" (from the top), "front/ast.h",
# "grammar/parse.h" (from compiler/); runtime-bpf/untrack_abi.h and the
# generated parser are found by bare name.
CPPFLAGS_ALL := -I. -Icompiler -Iruntime-bpf -I$(GEN) -Itests/support -D_GNU_SOURCE \
	-DUNTRACK_MULTIARCH_INCLUDE=\"/usr/include/$(MULTIARCH)\" \
	-DUNTRACK_INCLUDEDIR=\"$(PREFIX)/include/untrack\"
CFLAGS_ALL   := -std=gnu11 $(WARN) $(CFLAGS) -MMD -MP
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all -O1 -g

ifeq ($(V),1)
Q :=
msg = @true
else
Q := @
msg = @printf '  %-8s %s\n' $(1) $(2)
endif

.DELETE_ON_ERROR:
.SUFFIXES:
.PHONY: all check demo deps lint test unit cli fuzz clean install

all: $(BUILD)/untrackc $(BUILD)/untrack runtime

# ---------------------------------------------------------------- front end
PARSER_C  := $(GEN)/parser.c
PARSER_H  := $(GEN)/parser.h
SCANNER_C := $(GEN)/scanner.c
SCANNER_H := $(GEN)/scanner.h

$(PARSER_C) $(PARSER_H) &: compiler/grammar/parser.y | $(GEN)
	$(call msg,BISON,$<)
	$(Q)$(BISON) -Wall -Werror --defines=$(PARSER_H) -o $(PARSER_C) $<

$(SCANNER_C) $(SCANNER_H) &: compiler/grammar/scanner.l | $(GEN)
	$(call msg,FLEX,$<)
	$(Q)$(FLEX) --header-file=$(SCANNER_H) -o $(SCANNER_C) $<

GEN_SRCS  := $(PARSER_C) $(SCANNER_C)
# The compiler's passes (compiler/*/, the grammar's entry among them); the
# object format library it shares with the loader is built apart.
LIB_SRCS  := $(wildcard compiler/*/*.c)
OBJFMT_SRCS := $(wildcard objfmt/*.c)
# Helpers of the tests and tools that start from policy text.
SUPPORT_SRCS := $(wildcard tests/support/*.c)
# Generated code is not ours to keep warning-free in every respect.
GEN_CFLAGS := -Wno-sign-compare -Wno-unused-function -Wno-unused-parameter

LIB_OBJS     := $(LIB_SRCS:%.c=$(OBJ)/%.o) $(GEN_SRCS:$(GEN)/%.c=$(OBJ)/gen/%.o)
SAN_LIB_OBJS := $(LIB_SRCS:%.c=$(SANOBJ)/%.o) $(GEN_SRCS:$(GEN)/%.c=$(SANOBJ)/gen/%.o)
LIBUTC       := $(BUILD)/libutc.a
LIBUTC_SAN   := $(BUILD)/libutc-san.a
LIBOBJFMT    := $(BUILD)/libobjfmt.a
LIBOBJFMT_SAN := $(BUILD)/libobjfmt-san.a
# What a program built on the compiler links, in link order (libelf reads
# back the objects clang wrote).
COMPILER_LIBS     := $(LIBUTC) $(LIBOBJFMT)
COMPILER_LIBS_SAN := $(LIBUTC_SAN) $(LIBOBJFMT_SAN)
COMPILER_LDLIBS   := -lelf
SUPPORT_OBJS     := $(SUPPORT_SRCS:%.c=$(OBJ)/%.o)
SUPPORT_OBJS_SAN := $(SUPPORT_SRCS:%.c=$(SANOBJ)/%.o)

$(OBJ)/%.o: %.c $(PARSER_H) $(SCANNER_H)
	@mkdir -p $(@D)
	$(call msg,CC,$<)
	$(Q)$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) -c $< -o $@

$(OBJ)/gen/%.o: $(GEN)/%.c $(PARSER_H) $(SCANNER_H)
	@mkdir -p $(@D)
	$(call msg,CC,$<)
	$(Q)$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) $(GEN_CFLAGS) -c $< -o $@

$(SANOBJ)/%.o: %.c $(PARSER_H) $(SCANNER_H)
	@mkdir -p $(@D)
	$(call msg,CC-SAN,$<)
	$(Q)$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) $(SANFLAGS) -c $< -o $@

$(SANOBJ)/gen/%.o: $(GEN)/%.c $(PARSER_H) $(SCANNER_H)
	@mkdir -p $(@D)
	$(call msg,CC-SAN,$<)
	$(Q)$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) $(GEN_CFLAGS) $(SANFLAGS) -c $< -o $@

$(LIBUTC): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(LIBUTC_SAN): $(SAN_LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(LIBOBJFMT): $(OBJFMT_SRCS:%.c=$(OBJ)/%.o)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(LIBOBJFMT_SAN): $(OBJFMT_SRCS:%.c=$(SANOBJ)/%.o)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/untrackc: $(OBJ)/compiler/main.o $(COMPILER_LIBS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS_ALL) -o $@ $^ $(COMPILER_LDLIBS)

# A sanitized driver for the command-line tests.
$(BUILD)/untrackc-san: $(SANOBJ)/compiler/main.o $(COMPILER_LIBS_SAN)
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS_ALL) $(SANFLAGS) -o $@ $^ $(COMPILER_LDLIBS)

$(GEN):
	@mkdir -p $@

# ---------------------------------------------------------------- loader
LOADER_SRCS := $(wildcard loader/*.c)
LOADER_OBJS := $(LOADER_SRCS:%.c=$(OBJ)/%.o)
LOADER_LIBS := -lbpf -lelf -lz -lpcap -lnftables

# The loader and objfmt/ see objfmt/ and runtime-bpf/ only: including a
# header of the compiler from them does not compile.
CPPFLAGS_OBJFMT := -I. -Iruntime-bpf -D_GNU_SOURCE
$(OBJ)/objfmt/%.o $(SANOBJ)/objfmt/%.o: CPPFLAGS_ALL = $(CPPFLAGS_OBJFMT)
$(OBJ)/loader/%.o: CPPFLAGS_ALL = $(CPPFLAGS_OBJFMT) -Iloader \
	-DUNTRACK_LIBDIR=\"$(PREFIX)/lib/untrack\"

# The loader links the object format library and nothing of the compiler.
$(BUILD)/untrack: $(LOADER_OBJS) $(LIBOBJFMT)
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS_ALL) -o $@ $^ $(LOADER_LIBS)

# The loader without its main(), for the tools that load objects as it does
# (the kernel tests, the differential test, the benchmark).
LIBLOADER := $(BUILD)/libloader.a
$(LIBLOADER): $(filter-out $(OBJ)/loader/main.o,$(LOADER_OBJS))
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

# ---------------------------------------------------------------- runtime
include runtime-bpf/build.mk

# ---------------------------------------------------------------- tests
TOOLS := $(BUILD)/tools/cases2pcap

$(BUILD)/tools/%: tests/tools/%.c $(SUPPORT_OBJS) $(COMPILER_LIBS)
	@mkdir -p $(@D)
	$(call msg,CC-TOOL,$@)
	$(Q)$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) -o $@ $< $(SUPPORT_OBJS) $(COMPILER_LIBS) \
		$(COMPILER_LDLIBS) -lpcap

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

$(BUILD)/tests/%: tests/unit/%.c tests/unit/testutil.h $(SUPPORT_OBJS_SAN) $(COMPILER_LIBS_SAN)
	@mkdir -p $(@D)
	$(call msg,CC-TEST,$<)
	$(Q)$(CC) $(CPPFLAGS_ALL) -Itests/unit $(CFLAGS_ALL) $(SANFLAGS) -o $@ $< $(SUPPORT_OBJS_SAN) \
		$(COMPILER_LIBS_SAN) $(COMPILER_LDLIBS) -lcmocka

unit: $(UNIT_BINS)
	$(Q)set -e; for t in $(UNIT_BINS); do echo "== $$t"; \
		ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 $$t; done

cli: $(BUILD)/untrackc $(BUILD)/untrackc-san
	$(Q)UNTRACKC=$(BUILD)/untrackc-san bash tests/cli/run.sh

# The front-end fuzzer: libFuzzer needs clang.
FUZZ_BIN := $(BUILD)/fuzz/fuzz_frontend
FUZZ_SECONDS ?= 60
FUZZ_SRCS := tests/fuzz/fuzz_frontend.c $(SUPPORT_SRCS) $(LIB_SRCS) $(OBJFMT_SRCS) $(GEN_SRCS)
$(FUZZ_BIN): $(FUZZ_SRCS) $(PARSER_H) $(SCANNER_H)
	@mkdir -p $(@D)
	$(call msg,FUZZ-CC,$@)
	$(Q)$(CLANG) $(CPPFLAGS_ALL) -std=gnu11 -g -O1 $(WARN) $(GEN_CFLAGS) \
		-fsanitize=fuzzer,address,undefined -o $@ $(FUZZ_SRCS) $(COMPILER_LDLIBS)

fuzz: $(FUZZ_BIN) $(BUILD)/untrackc
	$(Q)FUZZ_SECONDS=$(FUZZ_SECONDS) bash tests/fuzz/run.sh $(FUZZ_BIN) $(BUILD)/untrackc

test: unit cli fuzz kernel-test

# ---------------------------------------------------------------- lint
C_SOURCES = $(shell git ls-files '*.c' '*.h' 2>/dev/null)
lint:
	$(call msg,LINT,clang-format)
	$(Q)clang-format --dry-run --Werror $(C_SOURCES)
	$(call msg,LINT,cppcheck)
	$(Q)cppcheck --quiet --error-exitcode=1 --std=c11 --inline-suppr \
		--enable=warning,portability,performance --suppress=missingIncludeSystem \
		--include=tests/lint/cppcheck-macros.h \
		-I. -Icompiler $(filter compiler/% objfmt/% loader/%,$(filter %.c,$(C_SOURCES)))

# ---------------------------------------------------------------- entry points
deps:
	$(Q)bash scripts/deps.sh

check: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(MAKE) --no-print-directory lint
	$(Q)$(MAKE) --no-print-directory test

demo: deps
	$(Q)$(MAKE) --no-print-directory all $(TOOLS) $(BUILD)/e2e/uttraffic
	$(Q)bash scripts/demo.sh
	$(Q)bash scripts/demo-attach.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/lib/untrack \
		$(DESTDIR)$(PREFIX)/include/untrack $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/man/man8 $(DESTDIR)$(PREFIX)/lib/systemd/system
	install -m 0755 $(BUILD)/untrackc $(DESTDIR)$(PREFIX)/bin/untrackc
	install -m 0755 $(BUILD)/untrack $(DESTDIR)$(PREFIX)/sbin/untrack
	install -m 0644 $(RUNTIME_OBJ) $(DESTDIR)$(PREFIX)/lib/untrack/untrack_runtime.bpf.o
	install -m 0644 runtime-bpf/untrack_abi.h $(DESTDIR)$(PREFIX)/include/untrack/untrack_abi.h
	install -m 0644 man/untrackc.1 $(DESTDIR)$(PREFIX)/share/man/man1/untrackc.1
	install -m 0644 man/untrack.8 $(DESTDIR)$(PREFIX)/share/man/man8/untrack.8
	sed 's|@SBINDIR@|$(PREFIX)/sbin|g' dist/untrack@.service \
		>$(DESTDIR)$(PREFIX)/lib/systemd/system/untrack@.service
	chmod 0644 $(DESTDIR)$(PREFIX)/lib/systemd/system/untrack@.service

clean:
	rm -rf $(BUILD)

# Test suites and benchmarks that live beside their code add themselves to
# `test` (or define their own targets) in these fragments.
-include $(wildcard tests/*/build.mk)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
