#!/usr/bin/env bash
# The nftables form of egress rules (docs/egress.md), checked by nftables
# itself and by real packets in the kernel:
#
#   1. `nft -c -f` accepts the `untrackc --emit=nft` output of every
#      testdata/*.utp and of tests/nft/every.utp (every rule kind), and the
#      template stored in a compiled object, instantiated as the loader does;
#   2. in throwaway network namespaces (a host side and a peer joined by a
#      veth pair) the ruleset of every.utp is loaded on the host side, and
#      packets the host sends are dropped, untracked (no `conntrack -L`
#      entry) or tracked as each egress rule says; counters count each
#      packet once; `flush set` + `add element` changes a named set live;
#      fragments, truncated headers and IPv6 extension headers match as
#      docs/language.md and docs/egress.md say.
#
#   bash tests/nft/run.sh UNTRACKC NFTSEND
#
# Needs root, nft, conntrack and ip. Without them the tests are skipped,
# unless CI=true, where that is a failure. Ends with "N passed, M failed".
set -uo pipefail

UNTRACKC=${1:?usage: run.sh UNTRACKC NFTSEND}
NFTSEND=${2:?usage: run.sh UNTRACKC NFTSEND}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
EVERY=$HERE/every.utp

SUITE=nft-test
# shellcheck source=tests/lib/suite.sh
source "$ROOT/tests/lib/suite.sh"

# want GOT WANT WHAT
want()
{
	[[ $1 == "$2" ]] || problem "$3: got '$1', want '$2'"
}

# ---------------------------------------------------------------- setup
need_root "network namespaces, nftables"
need_tools nft conntrack ip "${LLVM_OBJCOPY:-llvm-objcopy}"

TAG=utnft-$SUITE_ID
H=$TAG-h # the host whose egress rules are tested
P=$TAG-p # its peer
scratch_dir TMP

inh()
{
	ip netns exec "$H" "$@"
}

inp()
{
	ip netns exec "$P" "$@"
}

# Others may rebuild build/untrackc while this runs: use a copy, and the
# runtime header from this tree.
cp "$UNTRACKC" "$TMP/untrackc" && UNTRACKC=$TMP/untrackc
export UNTRACK_INCLUDE_DIR=$ROOT/runtime-bpf

begin "throwaway namespaces with a veth pair"
{
	netns_pair "$H" vh "$P" vp &&
		ip -n "$H" addr add 10.200.0.1/24 dev vh &&
		ip -n "$H" addr add fd00:200::1/64 dev vh nodad &&
		ip -n "$P" addr add 10.200.0.2/24 dev vp &&
		ip -n "$P" addr add 10.200.0.3/24 dev vp &&
		ip -n "$P" addr add fd00:200::2/64 dev vp nodad &&
		ip -n "$P" addr add fd00:200::3/64 dev vp nodad &&
		ip -n "$H" link set vh up && ip -n "$P" link set vp up
} >"$TMP/setup.log" 2>&1 || problem "setup failed: $(tr '\n' ' ' <"$TMP/setup.log")"
end
((${#problems[@]} == 0)) || finish

# ---------------------------------------------------------------- check mode
# nft -c resolves nothing in the kernel but still needs a netlink socket:
# run it in the throwaway namespace, whose ruleset is empty.
check_ruleset()
{
	local file=$1 what=$2
	if ! inh nft -c -f "$file" >"$TMP/nft.err" 2>&1; then
		problem "nft -c -f refuses $what: $(head -c 600 "$TMP/nft.err")"
	fi
}

for f in "$ROOT"/testdata/*.utp "$EVERY"; do
	name=${f#"$ROOT"/}
	begin "nft -c accepts untrackc --emit=nft $name"
	if "$UNTRACKC" -w --emit=nft "$f" >"$TMP/r.nft" 2>"$TMP/r.err"; then
		check_ruleset "$TMP/r.nft" "$name"
	else
		problem "untrackc failed: $(head -c 300 "$TMP/r.err")"
	fi
	end
done

begin "--iface names the interface of the base chain"
"$UNTRACKC" -w --emit=nft --iface veth-x.1 "$EVERY" >"$TMP/i.nft" 2>/dev/null
grep -q '^		oifname "veth-x.1" jump i0_egress$' "$TMP/i.nft" ||
	problem "no oifname \"veth-x.1\" jump in the output"
check_ruleset "$TMP/i.nft" "the --iface output"
"$UNTRACKC" -w --emit=nft --iface 'a"b' "$EVERY" >/dev/null 2>&1
want "$?" 2 "exit status of --iface with a quote"
end

begin "--emit takes nft only"
"$UNTRACKC" --emit=c "$EVERY" >/dev/null 2>"$TMP/e.err"
want "$?" 2 "exit status of --emit=c"
grep -q "unknown --emit format 'c'" "$TMP/e.err" || problem "no message for --emit=c"
end

begin "a policy without egress rules gives an empty untrack table"
printf 'policy p { deny udp to port 9 }\n' >"$TMP/none.utp"
"$UNTRACKC" --emit=nft "$TMP/none.utp" >"$TMP/none.nft" 2>/dev/null
check_ruleset "$TMP/none.nft" "the empty ruleset"
grep -q 'chain' "$TMP/none.nft" && problem "chains in the ruleset of a policy without egress"
end

# The template in a compiled object, as the loader instantiates it: every
# placeholder replaced by a prefix, inside the table, plus the base chain.
begin "the object's template, instantiated like the loader does, is the --emit=nft ruleset"
if "$UNTRACKC" -w "$EVERY" -o "$TMP/every.o" 2>"$TMP/cc.err"; then
	"${LLVM_OBJCOPY:-llvm-objcopy}" -O binary --only-section=.untrack.nft "$TMP/every.o" "$TMP/tmpl" 2>"$TMP/oc.err" ||
		problem "llvm-objcopy: $(cat "$TMP/oc.err")"
	tr -d '\0' <"$TMP/tmpl" >"$TMP/tmpl.txt"
	grep -q 'i3_' "$TMP/tmpl.txt" && problem "the template already holds the test's prefix"
	{
		echo "table inet untrack {"
		sed -e 's/%UT%/i3_/g' -e 's/^/\t/' "$TMP/tmpl.txt"
		printf '\tchain output {\n\t\ttype filter hook output priority raw; policy accept;\n'
		printf '\t\toifname "vh" jump i3_egress\n\t}\n}\n'
	} >"$TMP/loader.nft"
	check_ruleset "$TMP/loader.nft" "the instantiated template"
	"$UNTRACKC" -w --emit=nft --iface vh "$EVERY" | grep -v '^#' | sed 's/i0_/i3_/g' >"$TMP/emit.nft"
	diff -u "$TMP/emit.nft" "$TMP/loader.nft" >"$TMP/diff" ||
		problem "they differ: $(head -c 800 "$TMP/diff")"
else
	problem "untrackc -o failed: $(head -c 300 "$TMP/cc.err")"
fi
end

# ---------------------------------------------------------------- in the kernel
begin "the ruleset of every.utp loads on the host side"
"$UNTRACKC" -w --emit=nft --iface vh "$EVERY" >"$TMP/every.nft" || problem "untrackc failed"
inh nft -f "$TMP/every.nft" >"$TMP/load.err" 2>&1 || problem "nft -f: $(cat "$TMP/load.err")"
inh nft list chain inet untrack i0_egress >/dev/null 2>&1 || problem "no chain i0_egress after loading"
end
((${#problems[@]} == 0)) || finish

# The peer counts what arrives from the host's addresses (neighbour
# discovery aside).
inp nft -f - <<'EOF'
table inet peer {
	counter got { }
	chain pre {
		type filter hook prerouting priority -500; policy accept;
		icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit, mld-listener-report, mld2-listener-report } return
		ip saddr 10.200.0.1 counter name "got"
		ip6 saddr fd00:200::1 counter name "got"
		meta l4proto tcp drop comment "no RST, which would end a tracked SYN's entry"
	}
}
EOF

# Rule ids by tag: the tag's line in every.utp, then that line's rule in the
# generated ruleset ("# rule ID, line LINE: ...").
rule_id()
{
	local line
	line=$(grep -n "T:$1\b" "$EVERY" | cut -d: -f1)
	sed -n "s/^.*# rule \([0-9]*\), line $line: .*/\1/p" "$TMP/every.nft"
}

counter_of()
{
	"$@" 2>/dev/null | awk '{ for (i = 1; i < NF; i++) if ($i == "packets") { print $(i + 1); exit } }'
}

# Every rule counter of the host, as "NAME PACKETS" lines, then (with an
# argument DST) "ct PROTO" for each conntrack entry to DST. One process in
# the namespace: the tests run ~60 flows.
snapshot()
{
	inh sh -c 'nft list counters table inet untrack; [ -z "$1" ] || conntrack -L -d "$1"' \
		sh "${1:-}" 2>/dev/null |
		awk '$1 == "counter" { name = $2 } $1 == "packets" { print name, $2 }
		     / src=/ && $2 ~ /^[0-9]+$/ { print "ct", $2 }'
}

# Rule ids by tag, once.
declare -A ids=()
for t in $(grep -o 'T:[a-z0-9]*' "$EVERY" | cut -c3-); do
	ids[$t]=$(rule_id "$t")
done

# The packets of rule T:TAG's counter in a snapshot (file).
count_in()
{
	local id=${ids[$2]:-}
	[[ -n $id ]] && awk -v n="i0_r$id" '$1 == n { print $2 }' "$1"
}

rule_count()
{
	local id
	id=$(rule_id "$1")
	[[ -n $id ]] || {
		echo "?"
		return
	}
	counter_of inh nft list counter inet untrack "i0_r$id"
}

peer_got()
{
	counter_of inp nft list counter inet peer got
}

# conntrack entries for protocol number PROTO to DST (after a flush).
tracked()
{
	inh conntrack -L -d "$2" 2>/dev/null | awk -v p="$1" '$2 == p' | wc -l
}

# flow NAME PROTO DST ARRIVE TRACK "TAG=N ..." [nftsend options]: send
# 3 packets from the host to DST; ARRIVE is how many the peer must get,
# TRACK whether conntrack must hold an entry (yes/no/-), and each TAG's rule
# counter must grow by N.
COUNT=3
flow()
{
	local name=$1 proto=$2 dst=$3 arrive=$4 track=$5 rules=$6 src
	shift 6
	[[ $dst == *:* ]] && src=fd00:200::1 || src=10.200.0.1
	local t got0
	begin "$name"
	inh conntrack -F >/dev/null 2>&1
	snapshot >"$TMP/before"
	got0=$(peer_got)
	inh "$NFTSEND" "$src" "$dst" "$proto" --count "$COUNT" "$@" ||
		problem "nftsend $src $dst $proto $* failed"
	sleep 0.1
	want "$(($(peer_got) - got0))" "$arrive" "packets that reached the peer"
	snapshot "$dst" >"$TMP/after"
	for t in $rules; do
		local tag=${t%=*} n=${t#*=} was now
		was=$(count_in "$TMP/before" "$tag")
		now=$(count_in "$TMP/after" "$tag")
		if [[ $was =~ ^[0-9]+$ && $now =~ ^[0-9]+$ ]]; then
			want "$((now - was))" "$n" "counter of rule T:$tag"
		else
			problem "no counter for rule T:$tag"
		fi
	done
	local pnum
	case $proto in
	tcp) pnum=6 ;;
	udp) pnum=17 ;;
	sctp) pnum=132 ;;
	icmp) pnum=1 ;;
	icmpv6) pnum=58 ;;
	*) pnum=$proto ;;
	esac
	local entries
	entries=$(grep -c "^ct $pnum\$" "$TMP/after")
	case $track in
	yes) ((entries > 0)) || problem "no conntrack entry: the flow was not tracked" ;;
	no) want "$entries" 0 "conntrack entries (the flow must be untracked)" ;;
	esac
	end
}

# Phase 1, conntrack off: with conntrack on, the kernel reassembles
# fragments before the raw hook (docs/egress.md), so fragments are sent first.
for fam in 4 6; do
	if [[ $fam == 4 ]]; then d=10.200.0.2 d3=10.200.0.3; else d=fd00:200::2 d3=fd00:200::3; fi
	flow "IPv$fam: a later fragment has no ports: the port rule does not drop it" \
		udp $d 3 - "deny9=0" --dport 9 --frag later
	flow "IPv$fam: a first fragment matches like a whole packet" \
		udp $d 0 - "deny9=3" --dport 9 --frag first
	flow "IPv$fam: a later fragment still matches on protocol and address" \
		47 $d 0 - "gre=3" --frag later
	flow "IPv$fam: a cut-off L4 header has a source port but no destination port" \
		udp $d 0 - "denysport=3 deny9=0" --sport 40001 --dport 9 --l4len 2
	flow "IPv$fam: a header cut before the destination port fails the port rule" \
		udp $d 3 - "deny9=0" --dport 9 --l4len 3
done
flow "IPv4: a later ICMP fragment has no type" icmp 10.200.0.2 3 - "icmp8=0" --frag later
flow "IPv6: extension headers are walked to the protocol" \
	udp fd00:200::2 0 - "deny9=3" --dport 9 --ext hbh,dst,rt
flow "IPv6: AH is not walked by nftables (documented gap): the port rule misses" \
	udp fd00:200::2 3 - "deny9=0 ah=0" --dport 9 --ext ah
flow "IPv6: and proto 51 is never written for IPv6" 51 fd00:200::2 3 - "ah=0"
flow "IPv4: proto 51 drops IPv4 AH" 51 10.200.0.2 0 - "ah=3"

# Phase 2: conntrack on in the host namespace (a rule that looks at ct state).
begin "conntrack is forced on in the host namespace"
conntrack_on_ruleset | inh nft -f - || problem "cannot load the ct state rule"
inh "$NFTSEND" 10.200.0.1 10.200.0.2 udp --dport 5999
sleep 0.2
(($(tracked 17 10.200.0.2) > 0)) || problem "an unmatched flow left no conntrack entry"
end

for fam in 4 6; do
	if [[ $fam == 4 ]]; then d=10.200.0.2 d3=10.200.0.3; else d=fd00:200::2 d3=fd00:200::3; fi
	flow "IPv$fam deny: never reaches the peer, counted" udp $d 0 no "deny9=3" --dport 9
	flow "IPv$fam allow: reaches the peer untracked" udp $d 3 no "allow7000=3" --dport 7042
	flow "IPv$fam no rule: reaches the peer, tracked" udp $d 3 yes "deny9=0 allow7000=0" --dport 5555
	flow "IPv$fam pass: decides first (policy order), tracked" \
		udp $d 3 yes "pass6500=3 allow6500=0" --dport 6500
	flow "IPv$fam log with alternatives logs once, then the allow decides" \
		udp $d 3 no "log6000=3 allow6000=3" --dport 6000
	flow "IPv$fam log, then pass on an address literal: tracked" \
		udp $d3 3 yes "log6001=3 pass6001=3 allow6001=0" --dport 6001
	flow "IPv$fam log, then allow: untracked" \
		udp $d 3 no "log6001=3 pass6001=0 allow6001=3" --dport 6001
	flow "IPv$fam not @set: drops outside the set" udp $d3 0 no "denynot6100=3" --dport 6100
	flow "IPv$fam not @set: leaves the set's members alone" udp $d 3 yes "denynot6100=0" --dport 6100
	flow "IPv$fam tcp deny" tcp $d 0 no "deny23=3" --dport 23
	flow "IPv$fam tcp allow: untracked" tcp $d 3 no "allow80=3" --dport 80
	flow "IPv$fam ingress rules are not egress rules: tracked" tcp $d 3 yes "" --dport 22
	flow "IPv$fam sctp allow: untracked" sctp $d 3 no "sctp5000=3" --dport 5000
	flow "IPv$fam proto 47 to @set: dropped" 47 $d 0 no "gre=3"
	flow "IPv$fam proto 47 elsewhere: tracked" 47 $d3 3 yes "gre=0"
done
flow "ICMP echo request code 0: untracked" icmp 10.200.0.2 3 no "icmp8=3" --type 8 --code 0
flow "ICMP echo request code 1: no rule, tracked" icmp 10.200.0.2 3 yes "icmp8=0" --type 8 --code 1
flow "ICMPv6 echo request to ::3: denied" icmpv6 fd00:200::3 0 no "icmp6deny=3 icmp6allow=0" --type 128
flow "ICMPv6 echo request to ::2: untracked" icmpv6 fd00:200::2 3 no "icmp6deny=0 icmp6allow=3" --type 128

# Named sets edited live, the way the loader keeps them in sync.
flow "before the set edit: 10.200.0.3 is not in @extra" udp 10.200.0.3 3 yes "deny6200=0" --dport 6200
flow "before the set edit: fd00:200::3 is not in @empty6" udp fd00:200::3 3 yes "deny6201=0" --dport 6201
begin "flush set + add element replace a set's contents in one transaction"
inh nft -f - <<'EOF' || problem "the set update was refused"
flush set inet untrack i0_s1v4
add element inet untrack i0_s1v4 { 198.51.100.0/24, 198.51.100.7, 10.200.0.3 }
flush set inet untrack i0_s2v6
add element inet untrack i0_s2v6 { 2001:db8:ffff::/48, fd00:200::3 }
EOF
end
flow "after the set edit: 10.200.0.3 is in @extra" udp 10.200.0.3 0 no "deny6200=3" --dport 6200
flow "after the set edit: fd00:200::3 is in @empty6" udp fd00:200::3 0 no "deny6201=3" --dport 6201

begin "log rules count every packet; their shared limit is 100/second, burst 100"
before=$(rule_count log6001)
inh "$NFTSEND" 10.200.0.1 10.200.0.2 udp --dport 6001 --count 300
# The whole listing first: under pipefail, `nft ... | grep -q` fails when
# grep exits before nft has written its last line (SIGPIPE).
limit=$(inh nft list limit inet untrack i0_log 2>&1)
grep -q 'rate 100/second burst 100 packets' <<<"$limit" ||
	problem "the limit is not 100/second, burst 100: $(tr '\n\t' '  ' <<<"$limit")"
after=$(rule_count log6001)
if [[ $before =~ ^[0-9]+$ && $after =~ ^[0-9]+$ ]]; then
	want "$((after - before))" 300 "counter of the log rule"
else
	problem "no counter for the log rule"
fi
end

finish
