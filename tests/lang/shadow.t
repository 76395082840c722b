# Shadowed rules: a warning at a rule that an earlier allow, deny or pass
# rule of the same direction decides first, in evaluation order
# (docs/language.md, Diagnostics). The exact analysis has its own unit
# tests (tests/unit/test_shadow.c); these are the language-level facts.
! set s4 { 10.0.0.0/8, 192.168.0.0/16 }

deny tcp\nallow tcp to port 80 ; warn ; 2:1: rule is shadowed by an earlier rule and never decides anything
deny tcp; allow tcp to port 80 ; warn ; 1:11: rule is shadowed by an earlier rule and never decides anything
allow; deny tcp ; warn ; 1:8: rule is shadowed by an earlier rule and never decides anything
pass tcp to port 22; allow tcp to port 22 ; warn ; 1:22: rule is shadowed by an earlier rule and never decides anything
deny tcp; log tcp to port 80 ; warn ; 1:11: log rule is shadowed by an earlier rule and is never reached
deny udp; deny udp; deny udp ; warn ; 1:11: rule is shadowed by an earlier rule and never decides anything | 1:21: rule is shadowed by an earlier rule and never decides anything
deny tcp; deny tcp to port 80; deny udp; deny udp to port 1 ; warn ; 1:11: rule is shadowed by an earlier rule and never decides anything | 1:42: rule is shadowed by an earlier rule and never decides anything
deny from @s4; deny from 10.1.0.0/16 ; warn ; 1:16: rule is shadowed by an earlier rule and never decides anything
deny proto 6; deny tcp ; warn ; 1:15: rule is shadowed by an earlier rule and never decides anything
deny tcp from port 0-65535; deny tcp to port 80 ; warn ; 1:29: rule is shadowed by an earlier rule and never decides anything

# shadowing follows evaluation order, not file order
policy later order 2 {\n    allow udp to port 53\n}\npolicy first order 1 {\n    deny udp\n} ; warn ; 2:5: rule is shadowed by an earlier rule and never decides anything

# not shadowed: log rules never shadow, directions are apart, narrower or
# overlapping earlier rules do not cover, and a union of rules does not count
log tcp\negress deny tcp\nallow tcp to port 80\ndeny tcp from 10.0.0.0/16\nallow tcp from 10.0.0.0/8\ndeny udp to port 1000-2000\nallow udp to port 1500-2500 ; ok ; log tcp; egress deny tcp; allow tcp to port 80; deny tcp from 10.0.0.0/16; allow tcp from 10.0.0.0/8; deny udp to port 1000-2000; allow udp to port 1500-2500
log tcp; allow tcp to port 80 ; ok ; log tcp; allow tcp to port 80
deny tcp from 10.0.0.0/16; allow tcp from 10.0.0.0/8 ; ok ; deny tcp from 10.0.0.0/16; allow tcp from 10.0.0.0/8
deny udp to port 1000-2000; allow udp to port 1500-2500 ; ok ; deny udp to port 1000-2000; allow udp to port 1500-2500
deny tcp to port 1-100; deny tcp to port 101-200; deny tcp to port 50-150 ; ok ; deny tcp to port 1-100; deny tcp to port 101-200; deny tcp to port 50-150
deny tcp; deny udp; deny proto 6 to 10.0.0.1 ; warn ; 1:21: rule is shadowed by an earlier rule and never decides anything
# a truncated IPv4 packet has a protocol but no source address
deny from 0.0.0.0/0; deny icmp ; ok ; deny from 0.0.0.0/0; deny icmp
deny tcp to port 0-65535; deny tcp from port 80 ; ok ; deny tcp to port 0-65535; deny tcp from port 80
deny icmp type 8 code 0; deny icmp type 8 ; ok ; deny icmp type 8 code 0; deny icmp type 8
deny icmp type 8; deny icmp type 8 code 0 ; warn ; 1:19: rule is shadowed by an earlier rule and never decides anything
deny from 10.0.0.0/8; deny from not 10.0.0.0/8 ; ok ; deny from 10.0.0.0/8; deny from not 10.0.0.0/8
