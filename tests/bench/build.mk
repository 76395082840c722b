# make bench: the performance benchmark (bench/run.sh, docs/performance.md).
# A benchmark, not a test: nothing in `make check` depends on it. Needs root,
# clang, bpftool and Debian's xdp-tools (for the xdp-filter anchor); gnuplot
# draws the plot when installed.
#
#   make bench      build/bench/results.md, results.csv, ns_per_packet.png
#   BENCH_REPEAT=10000000 BENCH_CALLS=15 make bench    a longer, steadier run

.PHONY: bench

BENCH_DIR := $(BUILD)/bench
BENCH_TOOL := $(BENCH_DIR)/untrack-bench
BENCH_ANCHORS := $(BENCH_DIR)/anchors.bpf.o

$(BENCH_TOOL): bench/bench.c $(LIBLOADER) $(SUPPORT_OBJS) $(COMPILER_LIBS)
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS_ALL) -Iloader $(CFLAGS_ALL) -o $@ $< \
		$(LIBLOADER) $(SUPPORT_OBJS) $(COMPILER_LIBS) $(LOADER_LIBS)

$(BENCH_ANCHORS): bench/anchors.bpf.c
	@mkdir -p $(@D)
	$(call msg,BPF,$<)
	$(Q)$(CLANG) $(RT_BPF_CFLAGS) -c $< -o $@

bench: $(BUILD)/untrackc $(RUNTIME_OBJS) $(BENCH_TOOL) $(BENCH_ANCHORS)
	$(Q)bash bench/run.sh
