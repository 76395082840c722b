#!/usr/bin/env bash
# The policy of testdata/spec-example.utp attached to a real interface: two
# network namespaces joined by a veth pair, untrack on the receiving end,
# real packets from the other: some dropped in XDP, some accepted untracked
# (no conntrack entry), some left to conntrack. Everything it creates has
# names unique to the run and is removed on every exit path; running it
# again starts from scratch.
#
#   bash scripts/demo-attach.sh [BUILD_DIR]     (needs root; make demo runs it)
#
# Needs BUILD_DIR/untrack, BUILD_DIR/untrackc, the runtime and
# BUILD_DIR/e2e/uttraffic (make e2e builds it).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$(realpath -m "${1:-$root/build}")
untrack=$build/untrack
untrackc=$build/untrackc
uttraffic=$build/e2e/uttraffic
policy=$root/testdata/spec-example.utp

if [[ -t 1 ]]; then
	bold=$'\e[1m' dim=$'\e[2m' reset=$'\e[0m'
else
	bold='' dim='' reset=''
fi
step() { printf '\n%s== %s%s\n' "$bold" "$1" "$reset"; }
show()
{
	printf '%s$ %s%s\n' "$dim" "$*" "$reset"
	"$@"
}
# A command in the receiver's namespace, shown as typed there.
inr()
{
	local shown=("$@")
	[[ $1 == "$untrack" ]] && shown[0]=untrack
	printf '%s%s# %s%s\n' "$dim" "$RNS" "${shown[*]}" "$reset"
	nsenter --net="/run/netns/$RNS" "$@"
}

if [[ $(id -u) -ne 0 ]]; then
	echo "(skipped: attaching to an interface needs root; run 'sudo make demo')"
	exit 0
fi
for f in "$untrack" "$untrackc" "$uttraffic"; do
	if [[ ! -x $f ]]; then
		echo "demo-attach: $f is not built (run: make all e2e)" >&2
		exit 2
	fi
done
for tool in ip nft conntrack nsenter jq; do
	if ! command -v "$tool" >/dev/null; then
		echo "demo-attach: needs $tool (scripts/deps.sh installs it)" >&2
		exit 2
	fi
done

id=$$
SNS=ut-demo-s-$id
RNS=ut-demo-r-$id
SIF=utd${id}s
RIF=utd${id}r
scratch=$(mktemp -d)
cleanup()
{
	local rc=$?
	if [[ -e /run/netns/$RNS ]]; then
		nsenter --net="/run/netns/$RNS" "$untrack" detach "$RIF" >/dev/null 2>&1 || true
	fi
	ip netns del "$SNS" 2>/dev/null || true
	ip netns del "$RNS" 2>/dev/null || true
	rm -rf "$scratch"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ns() { nsenter --net="/run/netns/$SNS" "$@"; }
nr() { nsenter --net="/run/netns/$RNS" "$@"; }

step "Two network namespaces joined by a veth pair: $SIF (sender) -> $RIF (untrack)"
ip netns add "$SNS"
ip netns add "$RNS"
ip link add "$SIF" netns "$SNS" type veth peer name "$RIF" netns "$RNS"
for a in 10.1.0.1/24 192.0.2.7/32 203.0.113.5/32; do ns ip addr add "$a" dev "$SIF"; done
nr ip addr add 10.1.0.2/24 dev "$RIF"
ns ip link set "$SIF" up
nr ip link set "$RIF" up
# Fixed neighbours: every packet sent is one of the demo's.
smac=$(ns ip -j link show "$SIF" | jq -r '.[0].address')
rmac=$(nr ip -j link show "$RIF" | jq -r '.[0].address')
ns ip neigh replace 10.1.0.2 lladdr "$rmac" dev "$SIF" nud permanent
for a in 10.1.0.1 192.0.2.7 203.0.113.5; do
	nr ip neigh replace "$a" lladdr "$smac" dev "$RIF" nud permanent
done
nr ip route add 192.0.2.7/32 dev "$RIF"
nr ip route add 203.0.113.5/32 dev "$RIF"
echo "sender 10.1.0.1, 192.0.2.7 (in the blocklist), 203.0.113.5; receiver 10.1.0.2"

# What arrives, untracked or tracked: counters after conntrack (which this
# table's ct state rules also switch on in the namespace).
flows=(
	"tcp-5432 10.1.0.1 tcp dport 5432"
	"tcp-22 10.1.0.1 tcp dport 22"
	"echo 10.1.0.1 icmp type echo-request"
	"blocklist 192.0.2.7 udp dport 443"
	"dns 10.1.0.1 udp dport 53"
	"udp-8080 203.0.113.5 udp dport 8080"
)
{
	echo "table inet demo {"
	echo "	chain pre {"
	echo "		type filter hook prerouting priority -150; policy accept;"
	for f in "${flows[@]}"; do
		read -r name src match <<<"$f"
		echo "		ip saddr $src $match ct state untracked counter comment \"$name untracked\""
		echo "		ip saddr $src $match ct state { new, established } counter comment \"$name tracked\""
	done
	echo "	}"
	echo "}"
} >"$scratch/demo.nft"
nr nft -f "$scratch/demo.nft"

step "The policy: $policy"
grep -v '^#' "$policy"
cd "$scratch"
printf '%s$ untrackc %s -o policy.o%s\n' "$dim" "${policy#"$root"/}" "$reset"
"$untrackc" "$policy" -o policy.o

step "Attach it: XDP, TC ingress, the nftables notrack rule, pins"
inr "$untrack" attach "$RIF" policy.o
inr "$untrack" status "$RIF"
inr nft list table inet untrack

step "Real packets: 5 of each"
nr "$untrack" events "$RIF" --count 2 >"$scratch/events" 2>&1 &
events=$!
sleep 0.3
send()
{
	local what=$1
	shift
	printf '  %-46s %s\n' "$what" "$(ns "$uttraffic" --count 5 --pps 1000 "$@")"
}
send "tcp 10.1.0.1 -> port 5432 (allow)" --proto tcp --src 10.1.0.1 --dst 10.1.0.2 --dport 5432
send "tcp 10.1.0.1 -> port 22 (pass)" --proto tcp --src 10.1.0.1 --dst 10.1.0.2 --dport 22
send "icmp echo 10.1.0.1 (deny)" --proto icmp --src 10.1.0.1 --dst 10.1.0.2
send "udp 192.0.2.7 -> port 443 (deny: blocklist)" --proto udp --src 192.0.2.7 --dst 10.1.0.2 --dport 443
send "udp 10.1.0.1 -> port 53 (log, then no rule)" --proto udp --src 10.1.0.1 --dst 10.1.0.2 --dport 53
send "udp 203.0.113.5 -> port 8080 (allow)" --proto udp --src 203.0.113.5 --dst 10.1.0.2 --dport 8080
sleep 0.3
kill "$events" 2>/dev/null || true
wait "$events" 2>/dev/null || true

step "What arrived at the receiver's stack (after conntrack)"
printf '  %-12s %10s %8s\n' flow untracked tracked
nr nft -j list table inet demo | jq -r '.nftables[] | select(.rule) | .rule |
	"\(.comment) \([.expr[] | select(.counter)][0].counter.packets)"' |
	awk '{ v[$1 " " $2] = $3; if (!($1 in seen)) { seen[$1] = 1; order[n++] = $1 } }
	     END { for (i = 0; i < n; i++) printf "  %-12s %10s %8s\n", order[i], v[order[i] " untracked"], v[order[i] " tracked"] }'
echo "(dropped flows arrive neither way: XDP dropped them before the stack)"

step "conntrack: entries only for what the policy left to it"
inr conntrack -L 2>&1 | sed 's/^/  /'

step "Per-rule counters and the runtime's"
inr "$untrack" stats "$RIF"

step "Events from the log rule"
sed 's/^/  /' "$scratch/events"

step "Detach: nothing left behind"
inr "$untrack" detach "$RIF"
# Whole outputs first: under pipefail, `cmd | grep -q` fails when grep
# exits before cmd has written everything (SIGPIPE).
link=$(nr ip -d link show dev "$RIF")
tables=$(nr nft list tables)
printf '  XDP on %s: %s\n' "$RIF" "$(grep -q xdp <<<"$link" && echo yes || echo none)"
printf '  nftables table inet untrack: %s\n' "$(grep -q 'inet untrack' <<<"$tables" && echo yes || echo none)"
printf '  untrack status: %s\n' "$(nr "$untrack" status)"
