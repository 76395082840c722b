# The condition 'incomplete' (docs/language.md, Incomplete packets): it
# stands right after the action, names no family, excludes ports and ICMP
# fields, and is for ingress rules only. What it matches is tested on
# packets elsewhere (tests/unit/test_eval.c, testdata/fail-closed.cases,
# tests/e2e/evasion.sh).
! set s4 { 10.0.0.0/8 }

# where it stands, and its canonical form
deny incomplete ; ok ; ip+ip6: deny incomplete
log incomplete ; ok
allow incomplete ; ok
pass incomplete ; ok
ingress deny incomplete ; ok ; deny incomplete
deny incomplete udp ; ok ; ip+ip6: deny incomplete udp
deny incomplete proto 47 ; ok ; deny incomplete proto 47
deny incomplete proto 6 ; ok ; deny incomplete tcp
deny incomplete from any ; ok ; deny incomplete
deny incomplete to any ; ok ; deny incomplete

# its families are those of the other conditions
deny incomplete from 10.0.0.0/8 ; ok ; ip: deny incomplete from 10.0.0.0/8
deny incomplete to 2001:db8::/32 ; ok ; ip6: deny incomplete to 2001:db8::/32
deny incomplete from @s4 ; ok ; ip: deny incomplete from @s4
pass incomplete from not 192.0.2.0/24 ; ok ; ip: pass incomplete from not 192.0.2.0/24
deny incomplete icmp ; ok ; ip: deny incomplete icmp
deny incomplete icmpv6 ; ok ; ip6: deny incomplete icmpv6
deny incomplete icmp from 2001:db8::1 ; fail ; 1:1: rule can never match: 'icmp' is IPv4 only but the source addresses are IPv6 only

# it is written once, right after the action
deny udp incomplete ; fail ; 1:10: syntax error: unexpected 'incomplete', expected end of line, 'from', 'to', 'type', ';' or '}'
deny from 10.0.0.0/8 incomplete ; fail ; 1:22: syntax error: unexpected 'incomplete', expected end of line, 'to', 'port', 'type', ';' or '}'
deny incomplete incomplete ; fail ; 1:17: syntax error: unexpected 'incomplete', expected end of line, 'tcp', 'udp', 'sctp', 'icmp', 'icmpv6', 'proto', 'from', 'to', 'type', ';' or '}'
incomplete ; fail ; 1:1: syntax error: unexpected 'incomplete', expected end of line, 'ingress', 'egress', 'allow', 'deny', 'pass', 'log', ';' or '}'
# a keyword: no name
set incomplete { 10.0.0.1 }\npolicy p { deny } ; fail ; 1:5: syntax error: unexpected 'incomplete', expected name
policy incomplete { deny } ; fail ; 1:8: syntax error: unexpected 'incomplete', expected name

# an incomplete packet has no L4 field
deny incomplete udp to port 53 ; fail ; 1:6: rule can never match: an incomplete packet has no ports and no ICMP type or code
deny incomplete tcp from port 1-1023 ; fail ; 1:6: rule can never match: an incomplete packet has no ports and no ICMP type or code
deny incomplete icmp type 8 ; fail ; 1:6: rule can never match: an incomplete packet has no ports and no ICMP type or code
deny incomplete icmpv6 type 1 code 4 ; fail ; 1:6: rule can never match: an incomplete packet has no ports and no ICMP type or code
deny incomplete sctp from 10.0.0.0/8 port 9 ; fail ; 1:6: rule can never match: an incomplete packet has no ports and no ICMP type or code

# egress: nftables cannot see where an IPv6 chain is cut
egress deny incomplete ; fail ; 1:13: 'incomplete' is for ingress rules only: nftables cannot see where an IPv6 extension header chain is cut
egress log incomplete from 10.0.0.0/8 ; fail ; 1:12: 'incomplete' is for ingress rules only: nftables cannot see where an IPv6 extension header chain is cut

# shadowing: an incomplete rule covers only incomplete packets
deny incomplete; deny incomplete from 10.0.0.0/8 ; warn ; 1:18: rule is shadowed by an earlier rule and never decides anything
deny incomplete; deny incomplete udp ; warn ; 1:18: rule is shadowed by an earlier rule and never decides anything
deny incomplete; deny from 10.0.0.0/8 ; ok ; deny incomplete; deny from 10.0.0.0/8
deny incomplete; deny ; ok ; deny incomplete; deny
deny incomplete udp; deny incomplete ; ok ; deny incomplete udp; deny incomplete
# a rule with no conditions matches every IP packet, but a frame with a
# third VLAN tag is of no family: only 'incomplete' alone still decides it
deny; deny incomplete ; ok ; deny; deny incomplete
deny; deny incomplete udp ; warn ; 1:7: rule is shadowed by an earlier rule and never decides anything
deny; deny incomplete from 10.0.0.0/8 ; warn ; 1:7: rule is shadowed by an earlier rule and never decides anything
deny from 0.0.0.0/0; deny incomplete from 10.0.0.0/8 ; warn ; 1:22: rule is shadowed by an earlier rule and never decides anything
deny incomplete; log incomplete ; warn ; 1:18: log rule is shadowed by an earlier rule and is never reached
log incomplete; deny incomplete ; ok
