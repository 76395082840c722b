#!/usr/bin/env bash
# Every tail call in the given BPF objects must be patchable into a direct
# jump: the key (r3) set to a constant by the instruction right before the
# `call 12`, and at most one call site per (program, key). clang merging
# sites into one call with a variable key costs a retpoline per packet
# (docs/bpf-costs.md, "Tail calls"). Works on generated policy objects too.
#
#   check_tailcalls.sh OBJ...
set -euo pipefail

OBJDUMP=${LLVM_OBJDUMP:-llvm-objdump}
(($#)) || { echo "usage: $0 OBJ..." >&2; exit 2; }
command -v "$OBJDUMP" >/dev/null || { echo "check_tailcalls: no $OBJDUMP" >&2; exit 2; }

status=0
for obj in "$@"; do
	# Disassembly lines look like "  12:  r3 = 1"; symbols like
	# "0000000000000000 <untrack_main>:", where clang's LBB* block labels
	# are not functions.
	if ! out=$("$OBJDUMP" -d --no-show-raw-insn "$obj" | awk -v obj="$obj" '
		/^[0-9a-f]+ <LBB[0-9_]+>:$/ { prev = ""; next }
		/^[0-9a-f]+ <.*>:$/ { fn = $2; gsub(/[<>:]/, "", fn); prev = ""; next }
		/^ *[0-9]+:/ {
			sub(/^ *[0-9]+:[ \t]*/, "")
			if ($0 == "call 12") {
				calls++
				if (prev !~ /^r3 = [0-9]+$/) {
					printf "%s: %s: tail call with a variable key (%s)\n", obj, fn, prev
					bad = 1
				} else {
					key = prev; sub(/^r3 = /, "", key)
					if (seen[fn, key]++) {
						printf "%s: %s: second tail call site for slot %s\n", obj, fn, key
						bad = 1
					}
				}
			}
			prev = $0
		}
		END { if (!bad) printf "%s: %d tail call sites, each a constant key used once\n", obj, calls; exit bad }
	'); then
		status=1
	fi
	echo "$out"
done
exit $status
