# The prebuilt BPF runtime and its kernel tests; included by the top Makefile,
# which defines CLANG, MULTIARCH, BUILD, CC, CPPFLAGS_ALL, CFLAGS_ALL, Q, msg.
#
#   make runtime        build/runtime/untrack_runtime.bpf.o (all runtime programs
#                       and the shared maps, one object for the loader)
#   make kernel-test    build and run tests/kernel (needs root; under CI=true a
#                       test that cannot run fails)
#   make runtime-bench  ns/packet of the runtime with BPF_PROG_TEST_RUN

BPFTOOL ?= bpftool

RT_DIR       := $(BUILD)/runtime
RT_SRCS      := $(wildcard runtime-bpf/*.bpf.c)
RT_PARTS     := $(RT_SRCS:runtime-bpf/%.bpf.c=$(RT_DIR)/parts/%.bpf.o)
RUNTIME_OBJ  := $(RT_DIR)/untrack_runtime.bpf.o
RUNTIME_OBJS := $(RUNTIME_OBJ)
RT_BPF_CFLAGS := -target bpf -O2 -g -Wall -Wextra -Werror -I/usr/include/$(MULTIARCH) -Iruntime-bpf

.PHONY: runtime kernel-test runtime-bench

runtime: $(RUNTIME_OBJS)

# One compilation unit per program keeps the files small; bpftool's static
# linker joins them. The shared maps are weak symbols in untrack_abi.h, so
# the linker keeps one definition of each.
$(RT_DIR)/parts/%.bpf.o: runtime-bpf/%.bpf.c
	@mkdir -p $(@D)
	$(call msg,BPF,$<)
	$(Q)$(CLANG) $(RT_BPF_CFLAGS) -MMD -MP -c $< -o $@

$(RUNTIME_OBJ): $(RT_PARTS)
	$(call msg,BPFLINK,$@)
	$(Q)$(BPFTOOL) gen object $@ $^

# ---------------------------------------------------------------- kernel tests
KT_DIR   := $(BUILD)/ktest
KT_BIN   := $(KT_DIR)/test_runtime
KT_SRCS  := $(wildcard tests/kernel/*.c)
KT_BPF   := $(patsubst tests/kernel/bpf/%.bpf.c,$(KT_DIR)/%.bpf.o,$(wildcard tests/kernel/bpf/*.bpf.c))
KT_ARGS  := --runtime $(RUNTIME_OBJ) --probe $(KT_DIR)/probe_policy.bpf.o \
	    --mark-probe $(KT_DIR)/mark_probe.bpf.o

$(KT_DIR)/%.bpf.o: tests/kernel/bpf/%.bpf.c
	@mkdir -p $(@D)
	$(call msg,BPF,$<)
	$(Q)$(CLANG) $(RT_BPF_CFLAGS) -MMD -MP -c $< -o $@

# The reference parser and frame builder come from the compiler library; the
# objects are loaded by the loader's own code (build/libloader.a).
$(KT_BIN): $(KT_SRCS) $(wildcard tests/kernel/*.h) runtime-bpf/untrack_abi.h $(LIBLOADER) \
		$(COMPILER_LIBS)
	@mkdir -p $(@D)
	$(call msg,CC-TEST,$@)
	$(Q)$(CC) $(CPPFLAGS_ALL) -Itests/kernel -Iloader $(CFLAGS_ALL) -o $@ $(KT_SRCS) \
		$(LIBLOADER) $(COMPILER_LIBS) $(COMPILER_LDLIBS) $(LOADER_LIBS)

kernel-test: $(RUNTIME_OBJS) $(KT_BPF) $(KT_BIN)
	$(Q)bash tests/kernel/check_tailcalls.sh $(RUNTIME_OBJS) $(KT_DIR)/probe_policy.bpf.o
	$(Q)$(KT_BIN) $(KT_ARGS)

runtime-bench: $(RUNTIME_OBJS) $(KT_BPF) $(KT_BIN)
	$(Q)$(KT_BIN) $(KT_ARGS) --bench
