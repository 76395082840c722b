/* Macros from system headers that cppcheck does not read (it skips system
 * includes); forced in by `make lint` so it can parse files that use them. */
#define LIBBPF_OPTS(TYPE, NAME, ...) struct TYPE NAME = {__VA_ARGS__}
#define DECLARE_LIBBPF_OPTS	     LIBBPF_OPTS
