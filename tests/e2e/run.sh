#!/usr/bin/env bash
# End-to-end tests of untrack(8) with real packets: two network namespaces
# joined by a veth pair, untrack attached on the receiving side, conntrack
# forced on there (the counting table below looks at `ct state`), TCP, UDP
# and ICMP over IPv4 and IPv6 sent from the other side with
# build/e2e/uttraffic.
#
#   make e2e                     (builds what it needs, runs this as root)
#   bash tests/e2e/run.sh        UNTRACK=, UNTRACKC= to test other binaries
#
# Every name is unique to the run, and everything is removed on every exit
# path. Under CI=true a test that cannot run (no root, no namespaces, a
# missing tool) is a failure, never a skip. Ends with "N passed, M failed".
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SUITE=e2e
# shellcheck source=tests/e2e/lib.sh
source "$root/tests/e2e/lib.sh"

UNTRACK=$(realpath -m "${UNTRACK:-$root/build/untrack}")
UNTRACKC=$(realpath -m "${UNTRACKC:-$root/build/untrackc}")
TOOLS=$root/build/e2e
POL=$root/tests/e2e/policies
export LC_ALL=C

need_built "$UNTRACK" "$UNTRACKC" "$TOOLS/uttraffic" "$TOOLS/xdp_other.bpf.o"
need_root "network namespaces, XDP, nftables"
need_tools ip tc nft conntrack jq nsenter setpriv unshare timeout llvm-objcopy bpftool

# Names: ≤ 15 characters for interfaces, unique per run.
id=$SUITE_ID
SNS=ut-e2e-s-$id
RNS=ut-e2e-r-$id
SIF=ue${id}s
RIF=ue${id}r
VIF=$RIF.7
RINO=

# Work on copies: other builds in the tree must not swap the binary or the
# runtime under a running test.
scratch_dir W
if ! cp "$UNTRACK" "$W/untrack" || ! cp "$root/build/runtime/untrack_runtime.bpf.o" "$W/"; then
	setup_failed "cannot copy the loader and the runtime"
fi
UNTRACK=$W/untrack
export UNTRACK_RUNTIME=$W/untrack_runtime.bpf.o

netns_pair "$SNS" "$SIF" "$RNS" "$RIF" || cannot "cannot create network namespaces joined by a veth pair"
RINO=$(stat -L -c %i "/run/netns/$RNS")
# Before the namespaces go (on_exit runs last registered first).
# shellcheck disable=SC2016 # expanded at exit
on_exit 'untrack_teardown "$RNS" "$RINO" "$VIF" "$RIF"; rm -rf "/sys/fs/bpf/ut-e2e-other-$id"'
PINS=/sys/fs/bpf/untrack/netns:$RINO
RUNS=/run/untrack/netns:$RINO

ns() { nsenter --net="/run/netns/$SNS" "$@"; } # the sender
nr() { nsenter --net="/run/netns/$RNS" "$@"; } # the receiver, where untrack is

# run_ut ARGS...: untrack in the receiver; sets RC, OUT, ERR.
run_ut()
{
	nr "$UNTRACK" "$@" >"$W/out" 2>"$W/err"
	RC=$?
	OUT=$(<"$W/out")
	ERR=$(<"$W/err")
}

# ---------------------------------------------------------------- network
SRC4=(10.77.0.1 10.77.0.11 10.77.0.12 10.77.0.13 10.77.0.14 10.77.0.21)
SRC6=(fd77::1 fd77::11 fd77::12 fd77::13 fd77::14 fd77::21)
setup_net()
{
	local a
	for a in "${SRC4[@]}"; do ns ip addr add "$a/24" dev "$SIF" || return 1; done
	for a in "${SRC6[@]}"; do ns ip addr add "$a/64" dev "$SIF" nodad || return 1; done
	nr ip addr add 10.77.0.2/24 dev "$RIF" && nr ip addr add fd77::2/64 dev "$RIF" nodad || return 1
	ns ip link set "$SIF" up && nr ip link set "$RIF" up || return 1
	neigh_pin "$SNS" "$SIF" "$RNS" "$RIF" 10.77.0.2 fd77::2 || return 1
	neigh_pin "$RNS" "$RIF" "$SNS" "$SIF" "${SRC4[@]}" "${SRC6[@]}"
}
setup_net || cannot "cannot configure the veth pair"

# Flows: NAME PROTO SRC DST DPORT ('-' for ICMP). The receiver counts each
# in its prerouting chain after conntrack (priority -150): untracked ('u')
# and tracked, ct state new or established ('t'), separately. Looking at
# ct state there is also what makes conntrack track in the namespace at all.
FLOWS=(
	"udp4-deny udp 10.77.0.1 10.77.0.2 7001" "udp6-deny udp fd77::1 fd77::2 7001"
	"tcp4-deny tcp 10.77.0.1 10.77.0.2 7101" "tcp6-deny tcp fd77::1 fd77::2 7101"
	"icmp4-deny icmp 10.77.0.11 10.77.0.2 -" "icmp6-deny icmp fd77::11 fd77::2 -"
	"udp4-allow udp 10.77.0.1 10.77.0.2 7002" "udp6-allow udp fd77::1 fd77::2 7002"
	"tcp4-allow tcp 10.77.0.1 10.77.0.2 7102" "tcp6-allow tcp fd77::1 fd77::2 7102"
	"icmp4-allow icmp 10.77.0.12 10.77.0.2 -" "icmp6-allow icmp fd77::12 fd77::2 -"
	"udp4-pass udp 10.77.0.1 10.77.0.2 7003" "udp6-pass udp fd77::1 fd77::2 7003"
	"tcp4-pass tcp 10.77.0.1 10.77.0.2 7103" "tcp6-pass tcp fd77::1 fd77::2 7103"
	"icmp4-pass icmp 10.77.0.13 10.77.0.2 -" "icmp6-pass icmp fd77::13 fd77::2 -"
	"udp4-none udp 10.77.0.1 10.77.0.2 7004" "udp6-none udp fd77::1 fd77::2 7004"
	"tcp4-none tcp 10.77.0.1 10.77.0.2 7104" "tcp6-none tcp fd77::1 fd77::2 7104"
	"icmp4-none icmp 10.77.0.14 10.77.0.2 -" "icmp6-none icmp fd77::14 fd77::2 -"
	"udp4-set udp 10.77.0.21 10.77.0.2 7002" "udp6-set udp fd77::21 fd77::2 7002"
	"udp4-log udp 10.77.0.1 10.77.0.2 7005" "udp6-log udp fd77::1 fd77::2 7005"
)
declare -A F_PROTO F_SRC F_DST F_PORT
for f in "${FLOWS[@]}"; do
	read -r name proto src dst port <<<"$f"
	F_PROTO[$name]=$proto F_SRC[$name]=$src F_DST[$name]=$dst F_PORT[$name]=$port
done

# The nft match for a flow.
flow_match()
{
	local n=$1 fam=ip icmp=icmp
	[[ ${F_SRC[$n]} == *:* ]] && fam=ip6 icmp=icmpv6
	if [[ ${F_PROTO[$n]} == icmp ]]; then
		echo "$fam saddr ${F_SRC[$n]} $icmp type echo-request"
	else
		echo "$fam saddr ${F_SRC[$n]} ${F_PROTO[$n]} dport ${F_PORT[$n]}"
	fi
}

{
	echo "table inet uttest {"
	echo "	chain pre {"
	echo "		type filter hook prerouting priority -150; policy accept;"
	for f in "${FLOWS[@]}"; do
		name=${f%% *}
		echo "		$(flow_match "$name") ct state untracked counter comment \"$name u\""
		echo "		$(flow_match "$name") ct state { new, established } counter comment \"$name t\""
	done
	echo "	}"
	echo "}"
} >"$W/uttest.nft"
nr nft -f "$W/uttest.nft" || cannot "cannot load the counting table into nftables"

# Every counter into the array C, as C[NAME.u] and C[NAME.t].
declare -A C
read_counters()
{
	local n k v
	C=()
	while read -r n k v; do
		C["$n.$k"]=$v
	done < <(nr nft -j list table inet uttest |
		jq -r '.nftables[] | select(.rule) | .rule | "\(.comment) \([.expr[] | select(.counter)][0].counter.packets)"')
}

# send_flow NAME COUNT [uttraffic args]: prints how many packets left.
send_flow()
{
	local n=$1 count=$2 args=()
	shift 2
	[[ ${F_PORT[$n]} != - ]] && args+=(--dport "${F_PORT[$n]}")
	ns "$TOOLS/uttraffic" --proto "${F_PROTO[$n]}" --src "${F_SRC[$n]}" --dst "${F_DST[$n]}" \
		--count "$count" --pps 5000 "${args[@]}" "$@" | awk '/^sent/ { print $2 }'
}

# Conntrack entries of a flow in the receiver.
ct_entries()
{
	local n=$1 fam=ipv4 p=${F_PROTO[$1]} args=()
	[[ ${F_SRC[$n]} == *:* ]] && fam=ipv6
	[[ $p == icmp && $fam == ipv6 ]] && p=icmpv6
	[[ ${F_PORT[$n]} != - ]] && args=(--dport "${F_PORT[$n]}")
	nr conntrack -L -f "$fam" -p "$p" -s "${F_SRC[$n]}" "${args[@]}" 2>/dev/null | grep -c .
}

# The line of a rule in a policy file, found by its text.
line_of()
{
	grep -n -F -- "$2" "$1" | head -n 1 | cut -d: -f1
}

# Packets a rule of the running policy counted, by the rule's line.
rule_packets()
{
	nr "$UNTRACK" stats "$RIF" --json | jq -r --argjson l "$1" '[.rules[] | select(.line == $l and .direction == "ingress")][0].packets'
}

# runtime counter NAME from untrack stats
rt_counter()
{
	nr "$UNTRACK" stats "${2:-$RIF}" --json | jq -r --arg c "$1" '.runtime[$c]'
}

# Everything untrack could leave behind, for before/after comparisons.
snapshot()
{
	{
		echo "== link"
		nr ip -d link show dev "$RIF"
		echo "== qdiscs"
		nr tc qdisc show dev "$RIF"
		echo "== filters"
		nr tc filter show dev "$RIF" ingress 2>&1
		nr tc filter show dev "$RIF" egress 2>&1
		echo "== nftables"
		nr nft list tables
		nr nft list table inet untrack 2>/dev/null
		echo "== pins"
		find "$PINS" 2>/dev/null | sort
		echo "== state"
		find "$RUNS" 2>/dev/null | sort
		cat "$RUNS/$RIF/info" 2>/dev/null
		echo "== status"
		nr "$UNTRACK" status "$RIF" --json 2>/dev/null
		echo "== bpffs mounts"
		grep -c ' /sys/fs/bpf ' /proc/self/mountinfo
	} >"$1"
}

compile()
{
	"$UNTRACKC" "$POL/$1.utp" -o "$W/$1.o" || setup_failed "cannot compile $POL/$1.utp"
}
# Someone else's XDP program and TC filter. bpftool, not ip(8) or tc(8):
# iproute2 would leave /sys/fs/bpf/{ip,tc,xdp} behind.
OTHER=/sys/fs/bpf/ut-e2e-other-$id
bpftool prog loadall "$TOOLS/xdp_other.bpf.o" "$OTHER" || cannot "cannot load programs with bpftool"

compile e2e
compile stream-a
compile stream-b
E2E=$W/e2e.o
E2E_UTP=$POL/e2e.utp

echo "e2e: $UNTRACK; namespaces $SNS -> $RNS, veth $SIF -> $RIF"

# ================================================================ attach

begin "attach: native XDP, TC ingress filter, nftables table, pins and state"
run_ut attach "$RIF" "$E2E"
want_rc "$RC" 0 "attach"
run_ut status "$RIF" --json
want "$(jq -r .health <<<"$OUT")" = ok "status health"
want "$(jq -r .mode <<<"$OUT")" = native "XDP mode"
want_match "$(nr ip -d link show dev "$RIF")" "prog/xdp id $(jq -r .xdp.prog_id <<<"$OUT")" "XDP program on the link"
want_match "$(nr tc filter show dev "$RIF" ingress)" "handle 0x5554 untrack_tc_ingr" "TC ingress filter"
want_match "$(nr nft list table inet untrack 2>&1)" "meta mark & 0x40000000 == 0x40000000 notrack" "nftables notrack rule"
for p in untrack_main untrack_accept untrack_drop untrack_tc_ingress ut_jmp ut_state ut_rt_stats \
	ut_events ut_log_rl policy/untrack_policy policy/ut_rule_stats policy/ut_sh_0 policy/ut_s4_0 \
	policy/ut_s6_0 policy/ut_sm_0; do
	[[ -e $PINS/$RIF/$p ]] || problem "no pin $PINS/$RIF/$p"
done
[[ -s $RUNS/$RIF/info && -s $RUNS/$RIF/policy.meta ]] || problem "no state in $RUNS/$RIF"
end

# ================================================================ verdicts

N=25
begin "denied flows never arrive, and the deny counters equal the packets sent"
declare -A SENT
for n in udp4-deny udp6-deny tcp4-deny tcp6-deny icmp4-deny icmp6-deny; do
	SENT[$n]=$(send_flow "$n" $N)
	want "${SENT[$n]}" = $N "$n: packets sent"
done
sleep 0.3
read_counters
for n in udp4-deny udp6-deny tcp4-deny tcp6-deny icmp4-deny icmp6-deny; do
	want "${C[$n.u]}+${C[$n.t]}" = "0+0" "$n: packets that arrived"
done
want "$(rule_packets "$(line_of "$E2E_UTP" "deny udp to port 7001")")" = $((2 * N)) "deny udp: counted packets"
want "$(rule_packets "$(line_of "$E2E_UTP" "deny tcp to port 7101")")" = $((2 * N)) "deny tcp: counted packets"
want "$(rule_packets "$(line_of "$E2E_UTP" "deny icmp from")")" = $N "deny icmp: counted packets"
want "$(rule_packets "$(line_of "$E2E_UTP" "deny icmpv6 from")")" = $N "deny icmpv6: counted packets"
end

begin "allowed flows arrive untracked and leave no conntrack entry"
nr conntrack -F >/dev/null 2>&1
for n in udp4-allow udp6-allow tcp4-allow tcp6-allow icmp4-allow icmp6-allow; do
	SENT[$n]=$(send_flow "$n" $N)
done
sleep 0.3
read_counters
for n in udp4-allow udp6-allow tcp4-allow tcp6-allow icmp4-allow icmp6-allow; do
	want "${C[$n.u]}" = "${SENT[$n]}" "$n: packets arrived untracked"
	want "${C[$n.t]}" = 0 "$n: packets arrived tracked"
	want "$(ct_entries "$n")" = 0 "$n: conntrack entries"
done
want "$(rule_packets "$(line_of "$E2E_UTP" "allow udp to port")")" = $((2 * N)) "allow udp: counted packets"
end

begin "pass and unmatched flows arrive and are tracked"
nr conntrack -F >/dev/null 2>&1
for n in udp4-pass udp6-pass tcp4-pass tcp6-pass icmp4-pass icmp6-pass \
	udp4-none udp6-none tcp4-none tcp6-none icmp4-none icmp6-none; do
	SENT[$n]=$(send_flow "$n" $N)
done
sleep 0.3
read_counters
for n in udp4-pass udp6-pass tcp4-pass tcp6-pass icmp4-pass icmp6-pass \
	udp4-none udp6-none tcp4-none tcp6-none icmp4-none icmp6-none; do
	want "${C[$n.t]}" = "${SENT[$n]}" "$n: packets arrived tracked"
	want "${C[$n.u]}" = 0 "$n: packets arrived untracked"
	# A SYN answered by a RST leaves no entry behind (conntrack drops
	# unassured connections on RST): for TCP the counter, which counts
	# packets conntrack saw as new, is the evidence.
	[[ $n == tcp* ]] || want "$(ct_entries "$n")" '>=' 1 "$n: conntrack entries"
done
want "$(rule_packets "$(line_of "$E2E_UTP" "pass udp to port 7003")")" = $((2 * N)) "pass udp: counted packets"
end

begin "set add drops a source at once, del lets it through again"
n4=udp4-set n6=udp6-set
read_counters
u4=${C[$n4.u]} u6=${C[$n6.u]}
a4=$(send_flow $n4 10) a6=$(send_flow $n6 10)
run_ut set "$RIF" blocked add 10.77.0.21 fd77::21/128
want_rc "$RC" 0 "set add"
d4=$(send_flow $n4 10) d6=$(send_flow $n6 10)
run_ut set "$RIF" blocked list --json
want "$(jq -c .prefixes <<<"$OUT")" = '["10.77.0.21","192.0.2.1","2001:db8::1","fd77::21"]' "set list"
want "$(rule_packets "$(line_of "$E2E_UTP" "deny from @blocked")")" = $((d4 + d6)) "deny from @blocked: counted packets"
run_ut set "$RIF" blocked del 10.77.0.21 fd77::21
want_rc "$RC" 0 "set del"
b4=$(send_flow $n4 10) b6=$(send_flow $n6 10)
sleep 0.3
read_counters
want "$((${C[$n4.u]} - u4))" = "$((a4 + b4))" "IPv4 source: packets arrived (before add and after del)"
want "$((${C[$n6.u]} - u6))" = "$((a6 + b6))" "IPv6 source: packets arrived (before add and after del)"
want "${C[$n4.t]}+${C[$n6.t]}" = "0+0" "packets arrived tracked"
run_ut set "$RIF" blocked del 10.77.0.21
want_rc "$RC" 1 "del of a non-member"
want_match "$ERR" "is not in set 'blocked'" "del of a non-member: message"
run_ut set "$RIF" blocked add 10.77.0.0/8
want_rc "$RC" 1 "add of a prefix with host bits"
run_ut set "$RIF" nosuch list
want_rc "$RC" 1 "list of an unknown set"
end

begin "events: one line per logged packet, with policy, line and addresses"
timeout 10 nsenter --net="/run/netns/$RNS" "$UNTRACK" events "$RIF" --json --count 4 >"$W/events" 2>"$W/events.err" &
epid=$!
sleep 0.5
send_flow udp4-log 2 >/dev/null
send_flow udp6-log 2 >/dev/null
wait $epid
want_rc $? 0 "untrack events --count 4"
want "$(grep -c . "$W/events")" = 4 "events printed"
want "$(jq -r '[.policy, .line, .proto_name, .dport] | @tsv' "$W/events" | sort -u | tr '\t\n' '  ')" = \
	"service $(line_of "$E2E_UTP" "log udp to port 7005") udp 7005 " "event rule and packet"
want "$(jq -r .src "$W/events" | sort -u | tr '\n' ' ')" = "10.77.0.1 fd77::1 " "event sources"
want "$(jq -r .dst "$W/events" | sort -u | tr '\n' ' ')" = "10.77.0.2 fd77::2 " "event destinations"
timeout 10 nsenter --net="/run/netns/$RNS" "$UNTRACK" events "$RIF" --count 1 >"$W/events.txt" 2>&1 &
epid=$!
sleep 0.5
send_flow udp4-log 1 >/dev/null
wait $epid
want_match "$(<"$W/events.txt")" "$RIF service:[0-9]+: udp 10.77.0.1 port 40000 -> 10.77.0.2 port 7005" "text event"
end

begin "stats: per-rule counters with policy, line and text; runtime outcomes add up"
run_ut stats "$RIF" --json
want_rc "$RC" 0 "stats --json"
want "$(jq '[.runtime | .non_ip, .no_policy, .no_match, .passed, .accepted, .dropped, .decide_failed] | add' <<<"$OUT")" = \
	"$(jq .packets <<<"$OUT")" "outcome counters add up to the packets seen"
# kept in ut_state, not ut_rt_stats: the tracked flows above match no rule
want "$(jq '.runtime.no_match > 0' <<<"$OUT")" = true "packets no rule decided are counted"
want "$(jq '.runtime.dropped' <<<"$OUT")" = "$(jq '[.rules[] | select(.action == "deny") | .packets] | add' <<<"$OUT")" "dropped = the deny rules' packets"
want "$(jq -r '.rules[] | select(.direction == "egress") | .counted_in' <<<"$OUT")" = nftables "egress rules are counted in nftables, not XDP"
want "$(jq -r '.rules[0] | [.policy, .line, .action, .text] | @tsv' <<<"$OUT")" = \
	"guard	$(line_of "$E2E_UTP" "deny from @blocked")	deny	deny from @blocked" "first rule"
run_ut stats "$RIF"
want_match "$OUT" "deny +guard:[0-9]+ +deny udp to port 7001" "text stats"
end

# ================================================================ replace

begin "replace 100 times under a stream: no allowed packet lost, none dropped, none tracked"
run_ut replace "$RIF" "$W/stream-a.o"
want_rc "$RC" 0 "replace"
read_counters
u0=${C[udp4-allow.u]} t0=${C[udp4-allow.t]}
drop0=$(rt_counter dropped) nopol0=$(rt_counter no_policy)
# nsenter execs uttraffic, so $! is the sender itself (a background
# subshell would ignore SIGINT).
nsenter --net="/run/netns/$SNS" "$TOOLS/uttraffic" --proto udp --src 10.77.0.1 --dst 10.77.0.2 \
	--dport 7002 --pps 4000 --until-signal >"$W/stream" &
spid=$!
sleep 0.2
bad=0
for i in $(seq 1 100); do
	if ((i % 2)); then p=stream-b; else p=stream-a; fi
	nr "$UNTRACK" replace "$RIF" "$W/$p.o" 2>>"$W/replace.err" || bad=$((bad + 1))
done
sleep 0.2
kill -TERM $spid
wait $spid
sent=$(awk '/^sent/ { print $2 }' "$W/stream")
sleep 0.3
read_counters
want "$bad" = 0 "failed replaces"
want "$sent" '>' 1000 "packets streamed"
want "$((${C[udp4-allow.u]} - u0))" = "$sent" "packets arrived untracked"
want "$((${C[udp4-allow.t]} - t0))" = 0 "packets arrived tracked (saw no policy)"
want "$(rt_counter dropped)" = "$drop0" "runtime: dropped"
want "$(rt_counter no_policy)" = "$nopol0" "runtime: no policy in the slot"
run_ut status "$RIF" --json
want "$(jq -r '[.health, .generation, (.policy | sub(".*/"; ""))] | @tsv' <<<"$OUT")" = \
	"ok	102	stream-a.o" "status after 101 replaces"
want "$(find "$PINS/$RIF" -maxdepth 1 -name 'policy*' | wc -l)" = 1 "policy pin directories"
end

begin "attach again replaces the policy and puts back what went missing"
nr nft delete table inet untrack
nr tc filter del dev "$RIF" ingress pref 1 handle 0x5554 bpf
nr ip link set dev "$RIF" xdp off
run_ut status "$RIF" --json
want "$(jq -r '[.health, .xdp.ok, .tc.ok, .nftables.ok] | @tsv' <<<"$OUT")" = \
	"degraded	false	false	false" "status after removing XDP, TC and the table"
run_ut attach "$RIF" "$E2E"
want_rc "$RC" 0 "attach again"
run_ut status "$RIF" --json
want "$(jq -r '[.health, (.policy | sub(".*/"; ""))] | @tsv' <<<"$OUT")" = "ok	e2e.o" "status after attach again"
n=udp4-allow
read_counters
u0=${C[$n.u]}
s=$(send_flow $n 10)
sleep 0.2
read_counters
want "$((${C[$n.u]} - u0))" = "$s" "allowed packets arrive untracked again"
end

begin "JSON output is UTF-8: text kept as it is, a byte that is not UTF-8 as U+FFFD"
# A policy object in a directory named in UTF-8, itself named with a Latin-1
# byte: status and stats show the path as the characters it has, and the
# byte as the replacement character, never as escaped Latin-1.
udir="$W/caf$(printf '\xc3\xa9')"
mkdir -p "$udir"
uobj="$(realpath "$udir")/p$(printf '\xe9').o"
cp "$E2E" "$uobj"
run_ut replace "$RIF" "$uobj"
want_rc "$RC" 0 "replace with the UTF-8 path"
want_path="$(realpath "$udir")/p$(printf '\xef\xbf\xbd').o"
run_ut status "$RIF" --json
want "$(jq -r .policy <<<"$OUT")" = "$want_path" "status --json: the policy's path"
want_match "$OUT" "caf$(printf '\xc3\xa9')/p" "status --json: UTF-8 written as it is"
run_ut stats "$RIF" --json
want "$(jq -r .policy <<<"$OUT")" = "$want_path" "stats --json: the policy's path"
run_ut replace "$RIF" "$E2E"
want_rc "$RC" 0 "replace back"
end

# ================================================================ failures

begin "rollback: a failure after each step of attach leaves the interface as found"
run_ut detach "$RIF"
want_rc "$RC" 0 "detach"
snapshot "$W/before"
for step in pin state nft tc xdp; do
	UNTRACK_FAIL_AFTER=$step run_ut attach "$RIF" "$E2E"
	want_rc "$RC" 1 "attach failing after $step"
	want_match "$ERR" "failure injected after step '$step'" "attach failing after $step: message"
	snapshot "$W/after"
	want_same "$W/before" "$W/after" "attach failing after $step"
done
end

begin "rollback: a failing attach-again or replace leaves the running policy and its repairs undone"
run_ut attach "$RIF" "$E2E"
want_rc "$RC" 0 "attach"
nr tc filter del dev "$RIF" ingress pref 1 handle 0x5554 bpf
nr ip link set dev "$RIF" xdp off
snapshot "$W/before"
for step in pin nft tc xdp swap; do
	UNTRACK_FAIL_AFTER=$step run_ut attach "$RIF" "$W/stream-b.o"
	want_rc "$RC" 1 "attach again failing after $step"
	snapshot "$W/after"
	want_same "$W/before" "$W/after" "attach again failing after $step"
done
UNTRACK_FAIL_AFTER=swap run_ut replace "$RIF" "$W/stream-b.o"
want_rc "$RC" 1 "replace failing after the swap"
snapshot "$W/after"
want_same "$W/before" "$W/after" "replace failing after the swap"
run_ut attach "$RIF" "$E2E"
want_rc "$RC" 0 "attach again, for real"
run_ut status "$RIF" --json
want "$(jq -r .health <<<"$OUT")" = ok "status"
end

begin "bad objects are refused and change nothing"
printf 'policy x {\n allow tcp\n}\n' >"$W/text.o"
head -c 2000 "$E2E" >"$W/truncated.o"
llvm-objcopy --dump-section .untrack.meta="$W/meta" "$E2E"
sed 's/^abi\t[0-9]*$/abi\t99/' "$W/meta" >"$W/meta99"
cp "$E2E" "$W/abi99.o"
llvm-objcopy --update-section .untrack.meta="$W/meta99" "$W/abi99.o"
snapshot "$W/before"
for bad in text.o truncated.o abi99.o xdp_other.bpf.o untrack_runtime.bpf.o; do
	obj=$W/$bad
	[[ $bad == xdp_other.bpf.o ]] && obj=$TOOLS/$bad
	[[ $bad == untrack_runtime.bpf.o ]] && obj=$UNTRACK_RUNTIME
	for cmd in attach replace; do
		run_ut "$cmd" "$RIF" "$obj"
		want_rc "$RC" 1 "$cmd $bad"
		case $bad in
		text.o | truncated.o) want_match "$ERR" "not an ELF object|not an untrack policy object|broken untrack metadata" "$cmd $bad: message" ;;
		abi99.o) want_match "$ERR" "built for untrack ABI 99" "$cmd $bad: message" ;;
		*) want_match "$ERR" "not an untrack policy object" "$cmd $bad: message" ;;
		esac
	done
	snapshot "$W/after"
	want_same "$W/before" "$W/after" "$bad"
done
run_ut attach "$RIF" "$W/nosuch.o"
want_rc "$RC" 1 "a missing object"
end

begin "a missing interface is an error and changes nothing"
snapshot "$W/before"
run_ut attach "nosuch$id" "$E2E"
want_rc "$RC" 1 "attach to a missing interface"
want_match "$ERR" "no such interface 'nosuch$id'" "message"
run_ut replace "nosuch$id" "$E2E"
want_rc "$RC" 1 "replace on a missing interface"
run_ut detach "nosuch$id"
want_rc "$RC" 0 "detach of a missing interface"
want_match "$ERR" "not attached" "detach: note"
run_ut attach "bad/name" "$E2E"
want_rc "$RC" 1 "an invalid interface name"
snapshot "$W/after"
want_same "$W/before" "$W/after" "missing interface"
end

begin "missing privileges are reported and change nothing"
snapshot "$W/before"
for args in "attach $RIF $E2E" "replace $RIF $E2E" "detach $RIF" "status" "stats $RIF" \
	"set $RIF blocked add 10.1.2.3" "events $RIF"; do
	# shellcheck disable=SC2086
	nr setpriv --inh-caps=-all --ambient-caps=-all --bounding-set=-all -- "$UNTRACK" $args \
		>"$W/out" 2>"$W/err"
	want_rc $? 1 "untrack $args without capabilities"
	want_match "$(<"$W/err")" "missing privileges" "untrack $args: message"
done
snapshot "$W/after"
want_same "$W/before" "$W/after" "without privileges"
end

begin "another XDP program: refused without --force; --force replaces it, and a failure puts it back"
run_ut detach "$RIF"
nr bpftool net attach xdpdrv pinned "$OTHER/other_xdp" dev "$RIF" || problem "cannot attach other_xdp"
snapshot "$W/before"
run_ut attach "$RIF" "$E2E"
want_rc "$RC" 1 "attach over another program"
want_match "$ERR" "already has the XDP program 'other_xdp'.*--force" "message"
snapshot "$W/after"
want_same "$W/before" "$W/after" "refused attach"
UNTRACK_FAIL_AFTER=xdp run_ut attach "$RIF" "$E2E" --force
want_rc "$RC" 1 "forced attach failing after xdp"
snapshot "$W/after"
want_same "$W/before" "$W/after" "forced attach failing after xdp"
run_ut attach "$RIF" "$E2E" --force
want_rc "$RC" 0 "attach --force"
run_ut status "$RIF" --json
want "$(jq -r .health <<<"$OUT")" = ok "status after attach --force"
run_ut detach "$RIF"
want "$(nr ip -d link show dev "$RIF" | grep -c xdp)" = 0 "XDP lines on the link after detach"
end

# ================================================================ detach

begin "detach removes XDP, the TC filter and qdisc, the nftables table, pins and state"
run_ut attach "$RIF" "$E2E"
want_rc "$RC" 0 "attach"
run_ut detach "$RIF"
want_rc "$RC" 0 "detach"
want "$(nr ip -d link show dev "$RIF" | grep -c xdp)" = 0 "XDP lines on the link"
want "$(nr tc qdisc show dev "$RIF" | grep -c clsact)" = 0 "clsact qdiscs"
want "$(nr tc filter show dev "$RIF" ingress 2>/dev/null | grep -c .)" = 0 "TC ingress filters"
want "$(nr nft list tables | grep -c 'inet untrack')" = 0 "nftables table"
[[ -e $PINS/$RIF ]] && problem "pins left in $PINS/$RIF"
[[ -e $RUNS/$RIF ]] && problem "state left in $RUNS/$RIF"
run_ut detach "$RIF"
want_rc "$RC" 0 "detach again"
want_match "$ERR" "not attached to $RIF: nothing to do" "detach again: note"
run_ut status "$RIF"
want_rc "$RC" 1 "status of a detached interface"
end

begin "detach cleans up even when someone removed the pins"
run_ut attach "$RIF" "$E2E"
want_rc "$RC" 0 "attach"
rm -rf "${PINS:?}/$RIF"
run_ut detach "$RIF"
want_rc "$RC" 0 "detach"
want_match "$ERR" "pins are damaged" "detach: note"
want "$(nr ip -d link show dev "$RIF" | grep -c xdp)" = 0 "XDP lines on the link"
want "$(nr tc qdisc show dev "$RIF" | grep -c clsact)" = 0 "clsact qdiscs"
want "$(nr nft list tables | grep -c 'inet untrack')" = 0 "nftables table"
[[ -e $RUNS/$RIF ]] && problem "state left in $RUNS/$RIF"
end

begin "detach leaves a clsact qdisc and filters that were there before"
nr tc qdisc add dev "$RIF" clsact
nr tc filter add dev "$RIF" ingress pref 7 bpf object-pinned "$OTHER/other_tc" direct-action ||
	problem "cannot add someone else's ingress filter"
nr tc filter add dev "$RIF" egress pref 7 bpf object-pinned "$OTHER/other_tc" direct-action ||
	problem "cannot add someone else's egress filter"
snapshot "$W/before"
run_ut attach "$RIF" "$E2E"
want_rc "$RC" 0 "attach"
run_ut detach "$RIF"
want_rc "$RC" 0 "detach"
snapshot "$W/after"
want_same "$W/before" "$W/after" "attach + detach with a qdisc in place"
nr tc qdisc del dev "$RIF" clsact
end

# ================================================================ modes, names

begin "generic XDP: accepted packets are untracked too"
run_ut attach "$RIF" "$E2E" --mode generic
want_rc "$RC" 0 "attach --mode generic"
run_ut status "$RIF" --json
want "$(jq -r '[.health, .mode] | @tsv' <<<"$OUT")" = "ok	generic" "status"
read_counters
u0=${C[udp4-allow.u]}
s=$(send_flow udp4-allow 10)
sleep 0.2
read_counters
want "$((${C[udp4-allow.u]} - u0))" = "$s" "packets arrived untracked"
run_ut attach "$RIF" "$E2E" --mode native
want_rc "$RC" 1 "attach again in another mode"
want_match "$ERR" "in generic mode; detach it first" "message"
run_ut detach "$RIF"
want_rc "$RC" 0 "detach"
end

begin "two interfaces, one named with a dot, another mark: one table, a rule per mark"
# A VLAN-style name on a second veth pair (no 8021q module needed).
nr ip link add "$VIF" type veth peer name "${RIF}y" || problem "cannot create $VIF"
run_ut attach "$RIF" "$E2E"
want_rc "$RC" 0 "attach $RIF"
run_ut attach "$VIF" "$E2E" --mode generic --mark 0x00100000/0x00f00000
want_rc "$RC" 0 "attach $VIF"
[[ -e $PINS/${VIF/./:}/untrack_main ]] || problem "no pins in $PINS/${VIF/./:}"
run_ut status --json
want "$(jq -r '[.interfaces[] | "\(.ifname):\(.mode):\(.health)"] | join(" ")' <<<"$OUT")" = \
	"$RIF:native:ok $VIF:generic:ok" "status of both"
want "$(nr nft list table inet untrack | grep -c 'meta mark .* notrack')" = 2 "notrack rules"
run_ut detach "$RIF"
want_rc "$RC" 0 "detach $RIF"
want "$(nr nft list table inet untrack | grep -o 'mark & 0x[0-9a-f]* == 0x[0-9a-f]*')" = \
	"mark & 0x00f00000 == 0x00100000" "the rule left for $VIF"
run_ut detach "$VIF"
want_rc "$RC" 0 "detach $VIF"
want "$(nr nft list tables | grep -c 'inet untrack')" = 0 "nftables table after the last detach"
nr ip link del "$VIF"
end

begin "attach mounts bpffs when none is mounted"
# shellcheck disable=SC2016 # expanded by the inner shell
unshare --mount --propagation private bash -c '
	umount -l /sys/fs/bpf 2>/dev/null
	grep -q " /sys/fs/bpf " /proc/self/mountinfo && { echo "still mounted"; exit 1; }
	nsenter --net="/run/netns/$1" "$2" attach "$3" "$4" || exit 1
	grep -q " /sys/fs/bpf .* - bpf " /proc/self/mountinfo || { echo "not mounted"; exit 1; }
	nsenter --net="/run/netns/$1" "$2" detach "$3" || exit 1
' _ "$RNS" "$UNTRACK" "$RIF" "$E2E" >"$W/out" 2>&1
want_rc $? 0 "attach and detach in a mount namespace without bpffs: $(<"$W/out")"
want "$(nr ip -d link show dev "$RIF" | grep -c xdp)" = 0 "XDP lines on the link afterwards"
end

finish
