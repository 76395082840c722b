# ICMP and ICMPv6 type and code (docs/language.md, Conditions).

deny icmp type 8 ; ok
deny icmp type 8 code 0 ; ok
deny icmp type 3 code 4 ; ok
allow icmpv6 type 128 ; ok
deny icmpv6 type 128 code 0 ; ok
allow icmpv6 type 135 ; ok
deny icmp type 0 code 0 ; ok
deny icmp type 255 code 255 ; ok
deny icmp from 10.0.0.0/8 to 192.0.2.1 type 8 ; ok
egress allow icmpv6 to 2001:db8::1 type 129 ; ok
# the protocol numbers of icmp and icmpv6 allow type and code like their names
deny proto 1 type 8 ; ok ; deny icmp type 8
deny proto 58 type 128 code 0 ; ok ; deny icmpv6 type 128 code 0

# out of range
deny icmp type 256 ; fail ; 1:16: ICMP type 256 is out of range (0-255)
deny icmp type 300 ; fail ; 1:16: ICMP type 300 is out of range (0-255)
deny icmp type 3 code 256 ; fail ; 1:23: ICMP code 256 is out of range (0-255)
deny icmpv6 type 1 code 99999999999999999999 ; fail ; 1:25: ICMP code 281474976710655 is out of range (0-255)

# type and code need icmp or icmpv6
deny type 8 ; fail ; 1:6: 'type' and 'code' need 'icmp' or 'icmpv6' in the same rule
deny tcp type 8 ; fail ; 1:10: 'type' and 'code' need 'icmp' or 'icmpv6' in the same rule
deny udp from port 53 type 3 code 1 ; fail ; 1:23: 'type' and 'code' need 'icmp' or 'icmpv6' in the same rule
deny proto 47 type 1 ; fail ; 1:15: 'type' and 'code' need 'icmp' or 'icmpv6' in the same rule
deny from 10.0.0.1 type 0 ; fail ; 1:20: 'type' and 'code' need 'icmp' or 'icmpv6' in the same rule

# syntax: type first, code only after a type, one number each, last in the rule
deny icmp code 0 ; fail ; 1:11: syntax error: unexpected 'code', expected end of line, 'from', 'to', 'type', ';' or '}'
deny icmp type 8 from 10.0.0.1 ; fail ; 1:18: syntax error: unexpected 'from', expected end of line, 'code', ';' or '}'
deny icmp type ; fail ; syntax error: unexpected end of line, expected number
deny icmp type 3 code ; fail ; syntax error: unexpected end of line, expected number
deny icmp type any ; fail ; 1:16: syntax error: unexpected 'any', expected number
deny icmp type 0-8 ; fail ; 1:17: syntax error: unexpected '-', expected end of line, 'code', ';' or '}'
deny icmp type 8 type 0 ; fail ; 1:18: syntax error: unexpected 'type', expected end of line, 'code', ';' or '}'
deny icmp type echo-request ; fail ; 1:16: syntax error: unexpected 'echo-request', expected number
