#!/usr/bin/env bash
# End-to-end tests of egress rules as untrack(8) installs them in nftables
# (docs/egress.md), with real traffic: two network namespaces joined by a
# veth pair; untrack attached on the host side, conntrack forced on there
# (a rule that looks at `ct state`); a process on the host sends to the
# peer, and the peer exchanges requests and replies with a server on the
# host (build/e2e-egress/utexchange). The peer counts what arrives.
#
#   make e2e-egress                 (builds what it needs, runs this as root)
#   bash tests/e2e-egress/run.sh    UNTRACK=, UNTRACKC= to test other binaries
#
# Every name is unique to the run, and everything is removed on every exit
# path. Under CI=true a test that cannot run (no root, no namespaces, a
# missing tool) is a failure, never a skip. Ends with "N passed, M failed".
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SUITE=e2e-egress
# shellcheck source=tests/e2e/lib.sh
source "$root/tests/e2e/lib.sh"

UNTRACK=$(realpath -m "${UNTRACK:-$root/build/untrack}")
UNTRACKC=$(realpath -m "${UNTRACKC:-$root/build/untrackc}")
EXCHANGE=$root/build/e2e-egress/utexchange
POL=$root/tests/e2e-egress/policies
export LC_ALL=C

need_built "$UNTRACK" "$UNTRACKC" "$EXCHANGE" "$root/build/runtime/untrack_runtime.bpf.o"
need_root "network namespaces, XDP, nftables"
need_tools ip nft conntrack jq nsenter timeout llvm-objcopy

# Names: ≤ 15 characters for interfaces, unique per run.
id=$SUITE_ID
HNS=ut-eg-h-$id # the host: untrack is attached to its interface HIF
PNS=ut-eg-p-$id # the peer
HIF=ug${id}h
PIF=ug${id}p
AIF=ug${id}a # a second interface on the host; sorts before HIF
HINO=
SERVERS=()

# Work on copies: other builds in the tree must not swap the binary or the
# runtime under a running test.
scratch_dir W
if ! cp "$UNTRACK" "$W/untrack" || ! cp "$root/build/runtime/untrack_runtime.bpf.o" "$W/" ||
	! cp "$EXCHANGE" "$W/utexchange"; then
	setup_failed "cannot copy the loader, the runtime and the test tool"
fi
UNTRACK=$W/untrack
EXCHANGE=$W/utexchange
export UNTRACK_RUNTIME=$W/untrack_runtime.bpf.o

# The servers stop before anything else goes (on_exit runs last registered
# first).
# shellcheck disable=SC2317 # run by on_exit
stop_servers()
{
	local pid
	for pid in "${SERVERS[@]}"; do
		kill -TERM "$pid" && wait "$pid"
	done
}
netns_pair "$HNS" "$HIF" "$PNS" "$PIF" || cannot "cannot create network namespaces joined by a veth pair"
HINO=$(stat -L -c %i "/run/netns/$HNS")
# shellcheck disable=SC2016 # expanded at exit
on_exit 'untrack_teardown "$HNS" "$HINO" "$AIF" "$HIF"'
on_exit stop_servers
PINS=/sys/fs/bpf/untrack/netns:$HINO
RUNS=/run/untrack/netns:$HINO

# nsenter, not ip netns exec: that one remounts /sys, hiding the pins.
nh() { nsenter --net="/run/netns/$HNS" "$@"; } # the host, where untrack is
np() { nsenter --net="/run/netns/$PNS" "$@"; } # the peer

# run_ut ARGS...: untrack on the host; sets RC, OUT, ERR.
run_ut()
{
	nh "$UNTRACK" "$@" >"$W/out" 2>"$W/err"
	RC=$?
	OUT=$(<"$W/out")
	ERR=$(<"$W/err")
}

# ---------------------------------------------------------------- network
H4=10.202.0.1 H6=fd02::1
P4=10.202.0.2 P6=fd02::2 Q4=10.202.0.3 Q6=fd02::3 # the peer's two addresses
setup_net()
{
	local a
	nh ip addr add $H4/24 dev "$HIF" && nh ip addr add $H6/64 dev "$HIF" nodad || return 1
	for a in $P4 $Q4; do np ip addr add "$a/24" dev "$PIF" || return 1; done
	for a in $P6 $Q6; do np ip addr add "$a/64" dev "$PIF" nodad || return 1; done
	nh ip link set "$HIF" up && np ip link set "$PIF" up || return 1
	neigh_pin "$HNS" "$HIF" "$PNS" "$PIF" "$P4" "$Q4" "$P6" "$Q6" || return 1
	neigh_pin "$PNS" "$PIF" "$HNS" "$HIF" "$H4" "$H6" || return 1
	# The second interface of the host, for the tests with two attached.
	nh ip link add "$AIF" type veth peer name "${AIF}x" || return 1
	nh ip link set "$AIF" up && nh ip link set "${AIF}x" up || return 1
	nh ip addr add 10.203.0.1/24 dev "$AIF" || return 1
	nh ip neigh replace 10.203.0.2 lladdr "$(nh ip -j link show "${AIF}x" | jq -r '.[0].address')" \
		dev "$AIF" nud permanent
}
setup_net || cannot "cannot configure the veth pair"

# Conntrack on in the host: a rule that looks at ct state.
conntrack_on_ruleset | nh nft -f - || cannot "cannot load the ct state rules"

# One-way flows from the host to the peer: NAME DST DPORT. The peer counts
# each (before anything else, priority -500) and drops it, so that no
# ICMP error comes back.
FLOWS=(
	"allow4 $P4 7002" "allow6 $P6 7002" "deny4 $P4 7001" "deny6 $P6 7001"
	"pass4 $P4 7003" "pass6 $P6 7003" "none4 $P4 7004" "none6 $P6 7004"
	"set4 $Q4 7010" "set6 $Q6 7010" "other4 $Q4 7011"
)
declare -A F_DST F_PORT
for f in "${FLOWS[@]}"; do
	read -r name dst port <<<"$f"
	F_DST[$name]=$dst F_PORT[$name]=$port
done
{
	echo "table inet peer {"
	echo "	chain pre {"
	echo "		type filter hook prerouting priority -500; policy accept;"
	for f in "${FLOWS[@]}"; do
		read -r name dst port <<<"$f"
		fam=ip
		[[ $dst == *:* ]] && fam=ip6
		echo "		$fam daddr $dst udp dport $port counter drop comment \"$name\""
	done
	echo "	}"
	echo "}"
} >"$W/peer.nft"
np nft -f "$W/peer.nft" || cannot "cannot load the peer's counting table"

# What reached the peer, per flow, into GOT[NAME].
declare -A GOT
read_peer()
{
	local n v
	GOT=()
	while read -r n v; do
		GOT[$n]=$v
	done < <(np nft -j list table inet peer |
		jq -r '.nftables[] | select(.rule) | .rule | "\(.comment) \([.expr[] | select(.counter)][0].counter.packets)"')
}

# send_to SRC DST PORT COUNT: a process on the host sends COUNT datagrams
# from SRC port 40000; sets SENT and REFUSED (dropped on output: EPERM).
send_to()
{
	local out
	out=$(nh "$EXCHANGE" send --src "$1" --dst "$2" --dport "$3" --sport 40000 --count "$4")
	SENT=$(awk '{ print $2 }' <<<"$out")
	REFUSED=$(awk '{ print $4 }' <<<"$out")
}

# send NAME COUNT: flow NAME, to the peer.
send()
{
	local src=$H4
	[[ ${F_DST[$1]} == *:* ]] && src=$H6
	send_to "$src" "${F_DST[$1]}" "${F_PORT[$1]}" "$2"
}

# Conntrack entries in the host for UDP or TCP with port PORT (either side).
ct_port()
{
	nh conntrack -L -p "$1" 2>/dev/null | grep -c "port=$2 "
}

compile()
{
	"$UNTRACKC" -w "$POL/$1.utp" -o "$W/$1.o" || setup_failed "cannot compile $POL/$1.utp"
}
compile egress-a
compile egress-b
compile ingress-only
A=$W/egress-a.o
A_UTP=$POL/egress-a.utp

# The line of a rule in egress-a.utp, found by its text.
line_of()
{
	grep -n -F -- "$1" "${2:-$A_UTP}" | head -n 1 | cut -d: -f1
}

# stats_of IFACE DIRECTION TEXT: packets of the rule with that text.
stats_of()
{
	nh "$UNTRACK" stats "$1" --json |
		jq -r --arg d "$2" --arg t "$3" '[.rules[] | select(.direction == $d and .text == $t)][0].packets'
}

# The prefix of an interface's objects, from status.
prefix_of()
{
	nh "$UNTRACK" status "$1" --json | jq -r '.nftables.egress_chain // "" | sub("egress$"; "")'
}

# The names of the table's objects, sorted: "chain NAME", "set NAME", ...
objects()
{
	nh nft -j list table inet untrack 2>/dev/null |
		jq -r '.nftables[] | to_entries[] | select(.key != "metainfo" and .key != "table" and .key != "rule") | "\(.key) \(.value.name)"' |
		sort
}

# Everything untrack could leave behind or change, for before/after.
snapshot()
{
	{
		echo "== links"
		nh ip -d link show
		echo "== filters"
		nh tc filter show dev "$HIF" ingress 2>&1
		echo "== nftables"
		nh nft list tables
		nh nft list table inet untrack 2>/dev/null
		echo "== pins"
		find "$PINS" 2>/dev/null | sort
		echo "== state"
		find "$RUNS" 2>/dev/null | sort
		cat "$RUNS"/*/info "$RUNS"/*/policy.nft 2>/dev/null
		echo "== status"
		nh "$UNTRACK" status --json 2>/dev/null
		echo "== sets"
		nh "$UNTRACK" set "$HIF" peers list 2>/dev/null
	} >"$1"
}

# A server on the host: serve PROTO PORT, on every address.
serve()
{
	nsenter --net="/run/netns/$HNS" "$EXCHANGE" serve --proto "$1" --addr :: --port "$2" \
		>"$W/serve-$1-$2" 2>&1 &
	SERVERS+=($!)
	for _ in $(seq 50); do
		grep -qs ready "$W/serve-$1-$2" && return 0
		sleep 0.05
	done
	return 1
}

# ask PROTO SRC DST PORT COUNT [WAIT_MS]: the peer's requests; prints the
# replies.
ask()
{
	np "$EXCHANGE" ask --proto "$1" --src "$2" --dst "$3" --dport "$4" --count "$5" \
		--wait "${6:-1000}" | awk '{ print $2 }'
}

echo "e2e-egress: $UNTRACK; namespaces $HNS <-> $PNS, veth $HIF <-> $PIF"

# ================================================================ attach

begin "attach installs the egress rules beside the notrack rule, scoped to the interface"
run_ut attach "$HIF" "$A"
want_rc "$RC" 0 "attach: $ERR"
run_ut status "$HIF" --json
want "$(jq -r '[.health, .nftables.ok, .nftables.egress_rules, .nftables.egress_chain] | @tsv' <<<"$OUT")" = \
	"ok	true	7	i0_egress" "status: health, egress rules and chain"
table=$(nh nft list table inet untrack 2>&1)
want_match "$table" "meta mark & 0x40000000 == 0x40000000 notrack" "the notrack rule"
want_match "$table" "type filter hook output priority raw; policy accept;"$'\n'"[[:space:]]*oifname \"$HIF\" jump i0_egress" "the output chain's jump, by oifname"
want "$(objects | grep -c '^counter i0_r')" = 7 "one named counter per egress rule"
want "$(objects | grep '^set ' | tr '\n' ' ')" = "set i0_s0v4 set i0_s0v6 " "nftables sets: the one set egress rules use"
llvm-objcopy -O binary --only-section=.untrack.nft "$A" "$W/tmpl.raw"
[[ $(<"$RUNS/$HIF/policy.nft") == "$(tr -d '\0' <"$W/tmpl.raw")" ]] ||
	problem "$RUNS/$HIF/policy.nft is not the object's template"
end

# ================================================================ verdicts

N=20
begin "egress allow: the packets leave untracked, counted in stats"
nh conntrack -F >/dev/null 2>&1
read_peer
g4=${GOT[allow4]} g6=${GOT[allow6]}
send allow4 $N
s4=$SENT
send allow6 $N
s6=$SENT
sleep 0.2
read_peer
want "$((GOT[allow4] - g4))+$((GOT[allow6] - g6))" = "$s4+$s6" "packets that reached the peer"
want "$s4+$s6" = "$N+$N" "packets sent"
want "$(ct_port udp 7002)" = 0 "conntrack entries"
want "$(stats_of "$HIF" egress "egress allow udp to port 7002")" = $((2 * N)) "stats: the rule's packets"
end

begin "egress deny: the packets never reach the peer, counted in stats"
read_peer
g4=${GOT[deny4]} g6=${GOT[deny6]}
send deny4 $N
r4=$REFUSED
send deny6 $N
r6=$REFUSED
sleep 0.2
read_peer
want "$((GOT[deny4] - g4))+$((GOT[deny6] - g6))" = "0+0" "packets that reached the peer"
want "$r4+$r6" = "$N+$N" "sends refused by the host's output path"
want "$(stats_of "$HIF" egress "egress deny udp to port 7001")" = $((2 * N)) "stats: the rule's packets"
end

begin "egress pass decides first and leaves the packets tracked; unmatched packets are tracked"
nh conntrack -F >/dev/null 2>&1
read_peer
declare -A g
for n in pass4 pass6 none4 none6; do g[$n]=${GOT[$n]}; done
for n in pass4 pass6 none4 none6; do send $n $N; done
sleep 0.2
read_peer
for n in pass4 pass6 none4 none6; do
	want "$((GOT[$n] - g[$n]))" = $N "$n: packets that reached the peer"
done
want "$(ct_port udp 7003)" = 2 "conntrack entries of the pass flows (IPv4, IPv6)"
want "$(ct_port udp 7004)" = 2 "conntrack entries of the unmatched flows"
want "$(stats_of "$HIF" egress "egress pass udp to port 7003")" = $((2 * N)) "stats: the pass rule"
want "$(stats_of "$HIF" egress "egress allow udp to port 7003")" = 0 "stats: the allow after it"
end

begin "stats: egress counters beside the XDP ones, in text and JSON"
run_ut stats "$HIF" --json
want_rc "$RC" 0 "stats --json"
want "$(jq -r '[.rules[] | "\(.direction)/\(.counted_in)"] | unique | join(" ")' <<<"$OUT")" = \
	"egress/nftables ingress/xdp" "where each direction is counted"
want "$(jq -r '[.rules[] | select(.direction == "egress") | .packets] | add' <<<"$OUT")" = $((6 * N)) \
	"egress packets in all (allow, deny, pass flows)"
want "$(jq -r .egress_counters <<<"$OUT")" = ok "egress_counters"
run_ut stats "$HIF"
want_match "$OUT" " +$((2 * N)) +[0-9]+  deny +service:$(line_of "egress deny udp to port 7001") +egress deny udp to port 7001" "text stats line of the deny rule"
end

# ================================================================ exchanges

begin "request/reply under an ingress+egress allow pair: no conntrack entry either way"
for srv in "udp 5353" "tcp 8080" "udp 5354"; do
	# shellcheck disable=SC2086 # two words
	serve $srv || problem "the $srv server did not start"
done
nh conntrack -F >/dev/null 2>&1
in0=$(stats_of "$HIF" ingress "allow udp to port 5353")
want "$(ask udp $P4 $H4 5353 10)+$(ask udp $P6 $H6 5353 10)" = "10+10" "UDP replies"
want "$(ask tcp $P4 $H4 8080 10)+$(ask tcp $P6 $H6 8080 10)" = "10+10" "TCP replies"
sleep 0.2
want "$(ct_port udp 5353)" = 0 "conntrack entries of the UDP exchanges"
want "$(ct_port tcp 8080)" = 0 "conntrack entries of the TCP exchanges"
want "$(($(stats_of "$HIF" ingress "allow udp to port 5353") - in0))" = 20 "XDP: the requests"
want "$(stats_of "$HIF" egress "egress allow udp from port 5353")" = 20 "nftables: the replies"
want "$(stats_of "$HIF" egress "egress allow tcp from port 8080")" '>=' 20 "nftables: TCP segments from the server"
# The control: an ingress allow without its egress pair leaves the reply
# tracked, which is what the check above would have seen.
want "$(ask udp $P4 $H4 5354 5)" = 5 "replies without an egress allow"
want "$(ct_port udp 5354)" '>=' 1 "conntrack entries without an egress allow"
end

# ================================================================ sets

begin "set add changes both directions at once; del restores both"
pfx=$(prefix_of "$HIF")
read_peer
g4=${GOT[set4]} g6=${GOT[set6]}
send set4 5
send set6 5
want "$(ask udp $Q4 $H4 5353 5)" = 5 "before: replies to a peer address outside the set"
run_ut set "$HIF" peers add $Q4 $Q6
want_rc "$RC" 0 "set add: $ERR"
want_match "$(nh nft list set inet untrack "${pfx}s0v4")" "elements = \{ 10.202.0.3, 192.0.2.1 \}" "the nftables IPv4 set"
want_match "$(nh nft list set inet untrack "${pfx}s0v6")" "fd02::3" "the nftables IPv6 set"
e0=$(stats_of "$HIF" egress "egress deny udp to @peers port 7010")
i0=$(stats_of "$HIF" ingress "deny from @peers")
send set4 5
want "$REFUSED" = 5 "IPv4 to the new member: refused on output"
send set6 5
want "$REFUSED" = 5 "IPv6 to the new member: refused on output"
want "$(ask udp $Q4 $H4 5353 3 200)" = 0 "requests from the new member: dropped in XDP"
want "$(($(stats_of "$HIF" egress "egress deny udp to @peers port 7010") - e0))" = 10 "egress deny counter"
want "$(($(stats_of "$HIF" ingress "deny from @peers") - i0))" = 3 "ingress deny counter"
run_ut set "$HIF" peers del $Q4 $Q6
want_rc "$RC" 0 "set del: $ERR"
want_match "$(nh nft list set inet untrack "${pfx}s0v4")" "elements = \{ 192.0.2.1 \}" "the nftables IPv4 set after del"
send set4 5
send set6 5
want "$(ask udp $Q4 $H4 5353 5)" = 5 "after del: replies again"
sleep 0.2
read_peer
want "$((GOT[set4] - g4))+$((GOT[set6] - g6))" = "10+10" "packets that reached the peer (before add, after del)"
end

begin "a set edit failing after nftables changed puts both directions back"
run_ut set "$HIF" peers add $Q4
want_rc "$RC" 0 "set add"
nh nft list set inet untrack "${pfx}s0v4" >"$W/set.before"
run_ut set "$HIF" peers list
before=$OUT
UNTRACK_FAIL_AFTER="set" run_ut set "$HIF" peers add 10.202.0.99 fd02::99
want_rc "$RC" 1 "set add failing after both changes"
want_match "$ERR" "failure injected after step 'set'.*left unchanged" "message"
run_ut set "$HIF" peers list
want "$OUT" = "$before" "the set's members (maps)"
nh nft list set inet untrack "${pfx}s0v4" >"$W/set.after"
want_same "$W/set.before" "$W/set.after" "the nftables set"
run_ut set "$HIF" peers add 192.0.2.1
want_rc "$RC" 1 "adding a member is refused"
want_same "$W/set.before" <(nh nft list set inet untrack "${pfx}s0v4") "the nftables set after a refused add"
end

# Here: peers = { 10.202.0.3, 192.0.2.1, 2001:db8::1 } live, the file has
# two of them; counters are not zero.

begin "rebuilding the table for another interface keeps the live sets and the counters"
c0=$(nh "$UNTRACK" stats "$HIF" --json | jq -c '[.rules[] | select(.direction == "egress") | .packets]')
run_ut attach "$AIF" "$A" --mode generic
want_rc "$RC" 0 "attach a second interface: $ERR"
pfx=$(prefix_of "$HIF")
want "$pfx $(prefix_of "$AIF")" = "i1_ i0_" "prefixes by interface name"
want_match "$(nh nft list set inet untrack "${pfx}s0v4")" "elements = \{ 10.202.0.3, 192.0.2.1 \}" "$HIF's set: reseeded from its maps"
want_match "$(nh nft list set inet untrack i0_s0v4)" "elements = \{ 192.0.2.1 \}" "$AIF's set: from its own maps"
want "$(nh "$UNTRACK" stats "$HIF" --json | jq -c '[.rules[] | select(.direction == "egress") | .packets]')" = "$c0" "$HIF's egress counters"
send set4 3
want "$REFUSED" = 3 "the live member still drops"
run_ut detach "$AIF"
want_rc "$RC" 0 "detach the second interface"
pfx=$(prefix_of "$HIF")
want "$pfx" = i0_ "prefix after the detach"
want_match "$(nh nft list set inet untrack "${pfx}s0v4")" "elements = \{ 10.202.0.3, 192.0.2.1 \}" "$HIF's set after the detach"
want "$(objects | grep -c "$AIF\|^counter i1_\|^chain i1_\|^set i1_")" = 0 "objects of the detached interface"
end

# The members of set 0 in nftables (both families) and in the maps.
nft_members()
{
	local v
	for v in v4 v6; do
		nh nft -j list set inet untrack "$1s0$v" |
			jq -r '.nftables[] | select(.set) | .set.elem[]? | if type == "string" then . elif .prefix then "\(.prefix.addr)/\(.prefix.len)" else tostring end'
	done | sort
}
map_members()
{
	nh "$UNTRACK" set "$HIF" peers list | sort
}

begin "a missing table: set edits keep the maps, attach puts the table back in step with them"
nh nft delete table inet untrack
run_ut status "$HIF" --json
want "$(jq -r '[.health, .nftables.table_ok, .nftables.egress_ok] | @tsv' <<<"$OUT")" = "degraded	false	false" "status"
run_ut set "$HIF" peers add $Q6
want_rc "$RC" 0 "set add without the table"
want_match "$ERR" "nftables part of $HIF is missing" "note"
want_match "$(map_members)" "fd02::3" "the maps have the new member"
run_ut attach "$HIF" "$A"
want_rc "$RC" 0 "attach again"
want "$(nft_members i0_ | tr '\n' ' ')" = "$(map_members | tr '\n' ' ')" "nftables sets = the maps"
run_ut set "$HIF" peers add $Q4
want_rc "$RC" 0 "set add"
want "$(nft_members i0_ | tr '\n' ' ')" = "$(map_members | tr '\n' ' ')" "nftables sets = the maps, after add"
end

# ================================================================ replace, detach

begin "replace swaps the egress rules: nothing stale, the new rules in force"
run_ut replace "$HIF" "$W/egress-b.o"
want_rc "$RC" 0 "replace: $ERR"
objects >"$W/replaced"
nh nft list table inet untrack >"$W/replaced.table"
send allow4 3
want "$REFUSED" = 3 "7002 is denied now"
want "$(stats_of "$HIF" egress "egress deny udp to port 7002")" = 3 "the new rule's counter"
send other4 3
want "$REFUSED" = 0 "the new set's rule allows"
# The table must be what a fresh attach of the new policy makes.
run_ut detach "$HIF"
run_ut attach "$HIF" "$W/egress-b.o"
want_rc "$RC" 0 "attach of the new policy"
objects >"$W/fresh"
want_same "$W/fresh" "$W/replaced" "objects after replace vs a fresh attach"
want "$(tr '\n' ' ' <"$W/replaced")" = \
	"chain i0_egress chain output chain prerouting counter i0_r1 counter i0_r2 set i0_s0v4 set i0_s0v6 " \
	"objects after replace"
run_ut replace "$HIF" "$W/ingress-only.o"
want_rc "$RC" 0 "replace with a policy without egress rules"
want "$(objects | tr '\n' ' ')" = "chain prerouting " "objects left"
run_ut status "$HIF" --json
want "$(jq -r '[.health, .nftables.egress_rules] | @tsv' <<<"$OUT")" = "ok	0" "status"
run_ut replace "$HIF" "$A"
want_rc "$RC" 0 "replace back"
want "$(objects | grep -c '^chain i0_egress$')" = 1 "the egress chain is back"
end

begin "detach removes the interface's egress objects, and the table with the last one"
run_ut attach "$AIF" "$W/egress-b.o" --mode generic
want_rc "$RC" 0 "attach $AIF"
run_ut detach "$HIF"
want_rc "$RC" 0 "detach $HIF"
objects >"$W/after-detach"
run_ut detach "$AIF"
run_ut attach "$AIF" "$W/egress-b.o" --mode generic
objects >"$W/only-a"
want_same "$W/only-a" "$W/after-detach" "objects after detach vs only $AIF attached"
want "$(nh nft list chain inet untrack output | grep -c oifname)" = 1 "jumps in the output chain"
run_ut detach "$AIF"
want_rc "$RC" 0 "detach $AIF"
want "$(nh nft list tables | grep -c 'inet untrack')" = 0 "the table after the last detach"
end

# ================================================================ rollback

# A template nftables refuses: same length, one bad word.
llvm-objcopy --dump-section .untrack.nft="$W/tmpl" "$A"
sed 's/notrack accept/notrack bogus!/' "$W/tmpl" >"$W/tmpl.bad"
cp "$A" "$W/broken.o"
llvm-objcopy --update-section .untrack.nft="$W/tmpl.bad" "$W/broken.o"

begin "a failing nftables step rolls back the whole attach"
run_ut attach "$AIF" "$A" --mode generic
want_rc "$RC" 0 "attach $AIF (so that the table holds someone else)"
send_to 10.203.0.1 10.203.0.2 7002 2 # counters that must survive
want "$(stats_of "$AIF" egress "egress allow udp to port 7002")" = 2 "$AIF's counter"
snapshot "$W/before"
run_ut attach "$HIF" "$W/broken.o"
want_rc "$RC" 1 "attach with a template nftables refuses"
want_match "$ERR" "attach $HIF: nftables refused the untrack table" "message"
snapshot "$W/after"
want_same "$W/before" "$W/after" "attach refused by nftables"
for step in nft tc xdp; do
	UNTRACK_FAIL_AFTER=$step run_ut attach "$HIF" "$A"
	want_rc "$RC" 1 "attach failing after $step"
	snapshot "$W/after"
	want_same "$W/before" "$W/after" "attach failing after $step"
done
end

begin "a failing nftables step rolls back attach again and replace, counters and live sets included"
run_ut attach "$HIF" "$A"
want_rc "$RC" 0 "attach"
run_ut set "$HIF" peers add $Q4
want_rc "$RC" 0 "set add"
send deny4 4
send allow6 3
snapshot "$W/before"
for cmd in attach replace; do
	run_ut $cmd "$HIF" "$W/broken.o"
	want_rc "$RC" 1 "$cmd with a template nftables refuses"
	want_match "$ERR" "nftables refused the untrack table" "$cmd: message"
	snapshot "$W/after"
	want_same "$W/before" "$W/after" "$cmd refused by nftables"
done
for step in nft tc xdp swap; do
	UNTRACK_FAIL_AFTER=$step run_ut attach "$HIF" "$W/egress-b.o"
	want_rc "$RC" 1 "attach again failing after $step"
	snapshot "$W/after"
	want_same "$W/before" "$W/after" "attach again failing after $step"
done
for step in nft swap; do
	UNTRACK_FAIL_AFTER=$step run_ut replace "$HIF" "$W/egress-b.o"
	want_rc "$RC" 1 "replace failing after $step"
	snapshot "$W/after"
	want_same "$W/before" "$W/after" "replace failing after $step"
done
run_ut status --json
want "$(jq -r '[.interfaces[].health] | join(" ")' <<<"$OUT")" = "ok ok" "status of both"
end

finish
