# Protocols: the five names and 'proto N'; what each allows of ports,
# ICMP fields and address families (docs/language.md, Conditions, Families).

allow tcp ; ok
allow udp ; ok
allow sctp ; ok
allow icmp ; ok
allow icmpv6 ; ok
allow ; ok

# 'proto N' prints by name when the number has one
allow proto 6 ; ok ; allow tcp
allow proto 17 ; ok ; allow udp
allow proto 132 ; ok ; allow sctp
allow proto 1 ; ok ; allow icmp
allow proto 58 ; ok ; allow icmpv6
allow proto 0 ; ok
allow proto 47 ; ok
allow proto 255 ; ok
allow proto 006 ; ok ; allow tcp
deny proto 256 ; fail ; 1:12: protocol number 256 is out of range (0-255)
deny proto 99999999999999999999 ; fail ; 1:12: protocol number 281474976710655 is out of range (0-255)
# an out-of-range protocol is the only error: no follow-on about its ports
deny proto 256 to port 80 ; fail ; 1:12: protocol number 256 is out of range (0-255)

# icmp is IPv4 only and icmpv6 IPv6 only, by name or by number
deny icmp from 2001:db8::1 ; fail ; 1:1: rule can never match: 'icmp' is IPv4 only but the source addresses are IPv6 only
deny icmpv6 to 10.0.0.1 ; fail ; 1:1: rule can never match: 'icmpv6' is IPv6 only but the destination addresses are IPv4 only
deny proto 1 from 2001:db8::1 ; fail ; 1:1: rule can never match: 'proto 1' is IPv4 only but the source addresses are IPv6 only
deny proto 58 to 10.0.0.1 ; fail ; 1:1: rule can never match: 'proto 58' is IPv6 only but the destination addresses are IPv4 only
deny icmp to { 10.0.0.0/8, 2001:db8::/32 } ; ok ; deny icmp to 10.0.0.0/8
deny icmpv6 from { 10.0.0.0/8, 2001:db8::/32 } ; ok ; deny icmpv6 from 2001:db8::/32
deny proto 1 to { 10.0.0.0/8, 2001:db8::/32 } ; ok ; deny icmp to 10.0.0.0/8
deny tcp from 2001:db8::1 to 2001:db8::2 ; ok

# one protocol per rule
deny tcp udp ; fail ; 1:10: syntax error: unexpected 'udp', expected end of line, 'from', 'to', 'type', ';' or '}'
deny proto tcp ; fail ; 1:12: syntax error: unexpected 'tcp', expected number
deny proto ; fail ; syntax error: unexpected end of line, expected number
deny proto -1 ; fail ; 1:12: syntax error: unexpected '-', expected number
deny from 10.0.0.1 tcp ; fail ; 1:20: syntax error: unexpected 'tcp', expected end of line, 'to', 'port', 'type', ';' or '}'
