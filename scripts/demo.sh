#!/usr/bin/env bash
# A short tour of untrackc on the specification's example policy: check it,
# show the IR it lowers to, run the expected verdicts of
# testdata/spec-example.cases through the reference evaluator, and show what
# mistakes look like.
#
#   make demo                      (installs what is missing, builds, runs this)
#   bash scripts/demo.sh [UNTRACKC]
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
untrackc=${1:-build/untrackc}
untrack=build/untrack
cases2pcap=build/tools/cases2pcap
policy=testdata/spec-example.utp
cases=testdata/spec-example.cases

if [[ -t 1 ]]; then
	bold=$'\e[1m' dim=$'\e[2m' reset=$'\e[0m'
else
	bold='' dim='' reset=''
fi

step()
{
	printf '\n%s== %s%s\n' "$bold" "$1" "$reset"
}

# Show a command, then run it; a failure stops the demo with its status.
show()
{
	printf '%s$ %s%s\n' "$dim" "$*" "$reset"
	"$@"
}

# Show a numbered file, check it in its folder, and say how it ended.
try()
{
	local dir=$1 file=$2 rc=0
	cat -n "$dir/$file"
	printf '%s$ untrackc --check %s%s\n' "$dim" "$file" "$reset"
	(cd "$dir" && "$untrackc_abs" --check "$file") || rc=$?
	echo "exit status $rc"
}

if [[ ! -x $untrackc ]]; then
	echo "demo: $untrackc is not built (run: make demo)" >&2
	exit 2
fi
untrackc_abs=$(realpath "$untrackc")
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

step "The policy: $policy"
cat "$policy"

step "Check it: syntax, names, ranges, families, shadowed rules"
show "$untrackc" --check "$policy"
echo "no errors, no warnings"

step "What it compiles to: the IR, rules in evaluation order"
show "$untrackc" --check --dump=ir "$policy"

step "Expected verdicts, asserted with the reference evaluator"
grep -vE '^[[:space:]]*(#|$)' "$cases" | sed 's/[[:space:]]*#.*//' | head -n 5
echo "... ($(grep -cvE '^[[:space:]]*(#|$)' "$cases") flows in $cases)"
show "$untrackc" --test "$cases" "$policy"

step "Compile it: a BPF object holding the XDP policy program"
show "$untrackc" "$policy" -o "$scratch/policy.o"
ls -l "$scratch/policy.o"

step "Real packets through the kernel: runtime → policy → accept/drop (BPF_PROG_TEST_RUN)"
"$cases2pcap" "$cases" "$policy" "$scratch/flows.pcap" "$scratch/expected.jsonl"
if [[ $(id -u) -ne 0 ]]; then
	echo "(skipped: loading BPF programs needs root or CAP_BPF; run 'sudo make demo')"
else
	show "$untrack" replay "$scratch/policy.o" "$scratch/flows.pcap"
	# The kernel must agree with the reference evaluator on every packet.
	"$untrack" replay --json "$scratch/policy.o" "$scratch/flows.pcap" |
		jq -c '{packet, verdict, rule}' >"$scratch/kernel.jsonl"
	jq -c '{packet, verdict, rule}' "$scratch/expected.jsonl" >"$scratch/reference.jsonl"
	if diff -u "$scratch/reference.jsonl" "$scratch/kernel.jsonl"; then
		echo "kernel verdicts = reference verdicts for all $(wc -l <"$scratch/kernel.jsonl") packets"
	else
		echo "demo: the kernel disagrees with the reference evaluator" >&2
		exit 1
	fi
fi

step "A policy with mistakes: each one reported at its place, exit status 1"
cat >"$scratch/broken.utp" <<'EOF'
policy web {
    allow tcp to port 80000
    alow udp to port 53
    deny from @attackers
    deny icmp to port 7
}
EOF
try "$scratch" broken.utp

step "A rule that can never decide: a warning, exit status 0 (1 with -Werror)"
cat >"$scratch/shadow.utp" <<'EOF'
policy ssh {
    deny tcp to port 22
    allow tcp from 192.0.2.10 to port 22
}
EOF
try "$scratch" shadow.utp

step "Done"
echo "Try your own: $untrackc --check FILE.utp; the language: docs/language.md"
