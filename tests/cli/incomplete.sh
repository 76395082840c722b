# The condition 'incomplete' (issue 17), as untrackc's user sees it where a
# language table cannot say it (tests/lang/incomplete.t has the syntax,
# canonical forms, messages and shadowing): carets, JSON, case files and
# the generated code. Sourced by tests/cli/run.sh, whose helpers
# (tests/cli/lib.sh) it uses.

# ================================================================ errors

begin "incomplete: with ports or ICMP fields the rule can never match"
write inc-l4.utp <<'EOF'
policy p {
    deny incomplete udp to port 53
    deny incomplete tcp from port 1-1023
    deny incomplete icmp type 8
}
EOF
utc --check inc-l4.utp
want_rc 1
want_diag inc-l4.utp 2 10 error \
	'rule can never match: an incomplete packet has no ports and no ICMP type or code' \
	'    deny incomplete udp to port 53' '         \^~~~~~~~~~'
want_error_lines inc-l4.utp "2 3 4"
end

begin "incomplete: egress rules refuse it (nftables cannot see a cut chain)"
write inc-egress.utp <<'EOF'
policy p {
    egress deny incomplete
    egress allow tcp to port 22
}
EOF
utc --check inc-egress.utp
want_rc 1
want_diag inc-egress.utp 2 17 error \
	"'incomplete' is for ingress rules only: nftables cannot see where an IPv6 extension header chain is cut" \
	'    egress deny incomplete' '                \^~~~~~~~~~'
want_count err ': error: ' 1
utc --check --diagnostics=json inc-egress.utp
want_rc 1
want_json 1 '.line == 2 and .column == 17 and (.message | test("ingress rules only"))'
end

# ================================================================ case files

begin "incomplete: --test with cut headers, IHL below 5 and a third VLAN tag"
write inc-test.utp <<'EOF'
policy fail-closed order 1 {
    log incomplete
    deny incomplete
}
policy ports order 2 {
    deny udp to port 2223
    allow udp
}
EOF
write inc-test.cases <<'EOF'
deny@6 udp [2001:db8::1]:1 -> [2001:db8::2]:2223 ext 9        # nine headers hide nothing
deny@6 udp [2001:db8::1]:1 -> [2001:db8::2]:2223 ext 200
allow@7 udp [2001:db8::1]:1 -> [2001:db8::2]:53 ext 20
deny@3 udp [2001:db8::1]:1 -> [2001:db8::2]:2223 ext 9 cut 60 # cut inside the chain
deny@3 udp [2001:db8::1]:1 -> [2001:db8::2]:2223 cut 39       # cut inside the fixed header
allow@7 udp [2001:db8::1]:1 -> [2001:db8::2]:53 ext 2 cut 56  # the chain is whole, UDP is not
deny@3 udp 10.0.0.1:1 -> 10.0.0.2:2223 options 8 cut 24       # cut inside the options
allow@7 udp 10.0.0.1:1 -> 10.0.0.2:53 cut 22                  # the header is whole
allow@7 udp 10.0.0.1:1 -> 10.0.0.2:2223 frag                  # a whole non-first fragment
deny@3 vlan 1 vlan 2 vlan 3 udp 10.0.0.1:1 -> 10.0.0.2:53     # more tags than are walked
none hex 020000000002 020000000001 0806 0001                  # ARP is not IP
# IHL 4
deny@3 hex 020000000002 020000000001 0800 4400001c00000000 40110000 0a000001 0a000002 0001 08af
EOF
utc --test inc-test.cases inc-test.utp
want_rc 0
want_last_line out '12 passed, 0 failed'
end

begin "incomplete: without the rule, incomplete packets pass as before"
write inc-open.utp <<'EOF'
policy ports {
    deny udp to port 2223
}
EOF
write inc-open.cases <<'EOF'
deny@2 udp [2001:db8::1]:1 -> [2001:db8::2]:2223 ext 9
none udp [2001:db8::1]:1 -> [2001:db8::2]:2223 ext 9 cut 60
none vlan 1 vlan 2 vlan 3 udp 10.0.0.1:1 -> 10.0.0.2:2223
EOF
utc --test inc-open.cases inc-open.utp
want_rc 0
want_last_line out '3 passed, 0 failed'
end

# ================================================================ code

begin "incomplete: linear code tests the bit; table code decides deep VLAN frames first"
utc --check --strategy=linear --dump=c inc-test.utp
want_rc 0
want_count out '\(st->has & UT_HAS_INCOMPLETE\)' 4
utc --check --strategy=table --dump=c inc-test.utp
want_rc 0
want_line out 'if \(!st->family\) \{'
end

begin "a rule with no condition does not match a deep VLAN frame (linear code)"
write inc-bare.utp <<'EOF'
policy p {
    allow
}
EOF
utc --check --strategy=linear --dump=c inc-bare.utp
want_rc 0
want_count out 'if \(st->family\) \{' 2
end
