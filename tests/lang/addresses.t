# Addresses: IPv4 and IPv6 literals, prefixes, lists, 'not' and 'any'
# (docs/language.md, Lexical structure and Conditions). Canonical prefixes
# are masked, written in RFC 5952 form, host prefixes without '/len'; lists
# are sorted (IPv4 first) without duplicates.

# IPv4
deny from 192.0.2.1 ; ok
deny to 192.0.2.0/24 ; ok
deny from 192.0.2.1/32 ; ok ; deny from 192.0.2.1
deny from 10.0.0.0/32 ; ok ; deny from 10.0.0.0
deny from 0.0.0.0/0 ; ok
deny from 255.255.255.255 ; ok
deny from 10.0.0.0/08 ; ok ; deny from 10.0.0.0/8

# IPv6, in any RFC 4291 text form
deny from ::1 ; ok
deny from :: ; ok
deny from ::/0 ; ok
deny from fd00::/8 ; ok
deny from 2001:db8::1/128 ; ok ; deny from 2001:db8::1
deny from 2001:DB8::A ; ok ; deny from 2001:db8::a
deny from 2001:0db8:0000:0000:0000:0000:0000:0001 ; ok ; deny from 2001:db8::1
deny from 0:0:0:0:0:0:0:1 ; ok ; deny from ::1
deny from 2001:db8:0:0:1:0:0:1 ; ok ; deny from 2001:db8::1:0:0:1
deny from ::ffff:192.0.2.1 ; ok
deny from ::ffff:c000:201 ; ok ; deny from ::ffff:192.0.2.1
deny from 64:ff9b::192.0.2.1 ; ok ; deny from 64:ff9b::c000:201
deny from 2001:db8:bad::/48 ; ok

# bits past the length: a warning, and the masked prefix
deny from 10.1.2.3/8 ; warn ; 1:11: '10.1.2.3/8' has host bits set; it means 10.0.0.0/8
deny from 192.0.2.1/31 ; warn ; 1:11: '192.0.2.1/31' has host bits set; it means 192.0.2.0/31
deny from 1.2.3.4/0 ; warn ; 1:11: '1.2.3.4/0' has host bits set; it means 0.0.0.0/0
deny from 2001:db8::1/64 ; warn ; 1:11: '2001:db8::1/64' has host bits set; it means 2001:db8::/64
deny to ::ffff:1.2.3.4/96 ; warn ; 1:9: '::ffff:1.2.3.4/96' has host bits set; it means ::ffff:0.0.0.0/96

# invalid addresses and prefix lengths
deny from 10.0.0.256 ; fail ; 1:11: invalid IPv4 address '10.0.0.256'
deny from 256.0.0.1 ; fail ; 1:11: invalid IPv4 address '256.0.0.1'
deny from 10.0.0.01 ; fail ; 1:11: invalid IPv4 address '10.0.0.01'
deny from 010.0.0.1 ; fail ; 1:11: invalid IPv4 address '010.0.0.1'
deny from 10.0.0.0/33 ; fail ; 1:11: invalid prefix length in '10.0.0.0/33' (IPv4 allows 0-32, IPv6 0-128)
deny from 10.0.0.0/0033 ; fail ; 1:11: invalid prefix length in '10.0.0.0/0033' (IPv4 allows 0-32, IPv6 0-128)
deny from 10.0.0.0/99999999999 ; fail ; 1:11: invalid prefix length in '10.0.0.0/99999999999' (IPv4 allows 0-32, IPv6 0-128)
deny from 2001:db8::/129 ; fail ; 1:11: invalid prefix length in '2001:db8::/129' (IPv4 allows 0-32, IPv6 0-128)
deny from 2001:db8:::1 ; fail ; 1:11: invalid IPv6 address '2001:db8:::1'
deny from 1:2:3:4:5:6:7:8:9 ; fail ; 1:11: invalid IPv6 address '1:2:3:4:5:6:7:8:9'
deny from 1:2 ; fail ; 1:11: invalid IPv6 address '1:2'
deny from ::1.2.3 ; fail ; 1:11: invalid IPv6 address '::1.2.3'
deny from 1.2.3 ; fail ; 1:11: invalid number or address '1.2.3'
deny from 1.2.3.4.5 ; fail ; 1:11: invalid number or address '1.2.3.4.5'
deny from 10.0.0.1/ ; fail ; 1:11: invalid number or address '10.0.0.1/'
deny to 2001:db8::1/12x ; fail ; 1:9: invalid number or address '2001:db8::1/12x'
deny from @ ; fail ; 1:11: '@' must be followed by a set name
deny from @1x ; fail ; 1:11: '@' must be followed by a set name | 1:12: invalid number or address '1x'
deny from 99999 ; fail ; 1:11: syntax error: unexpected '99999', expected set reference, address, 'port', 'not', 'any' or '{'
deny from ::1] ; fail ; 1:14: unexpected character ']'

# lists: sorted, IPv4 before IPv6, duplicates dropped, one element unbraced
deny from { 10.0.0.2, 10.0.0.1 } ; ok ; deny from { 10.0.0.1, 10.0.0.2 }
deny from { 10.0.0.1, 10.0.0.1 } ; ok ; deny from 10.0.0.1
deny from { 10.0.0.1 } ; ok ; deny from 10.0.0.1
deny from { 2001:db8::1, 10.0.0.1 } ; ok ; deny from { 10.0.0.1, 2001:db8::1 }
deny from { 10.0.0.0/16, 10.0.0.0/8 } ; ok ; deny from { 10.0.0.0/8, 10.0.0.0/16 }
deny from { 10.1.2.3/8, 10.0.0.0/8 } ; warn ; 1:13: '10.1.2.3/8' has host bits set; it means 10.0.0.0/8
deny from { 10.0.0.1, 10.0.0.2, } ; ok ; deny from { 10.0.0.1, 10.0.0.2 }
deny from {\n  10.0.0.1,\n  10.0.0.2\n} ; ok ; deny from { 10.0.0.1, 10.0.0.2 }
deny from { } ; fail ; 1:13: syntax error: unexpected '}', expected set reference or address
deny from { 10.0.0.1 10.0.0.2 } ; fail ; 1:22: syntax error: unexpected '10.0.0.2', expected end of line, '}' or ','
deny from { 10.0.0.1, , 10.0.0.2 } ; fail ; 1:23: syntax error: unexpected ',', expected set reference, address, end of line or '}'
deny from { any } ; fail ; 1:13: syntax error: unexpected 'any', expected set reference or address
deny from { not 10.0.0.1 } ; fail ; 1:13: syntax error: unexpected 'not', expected set reference or address
deny from { { 10.0.0.1 } ; fail ; 1:13: syntax error: unexpected '{', expected set reference or address

# not and any
deny from not 10.0.0.0/8 ; ok
deny to not { 10.0.0.0/8, 2001:db8::/32 } ; ok
deny from any ; ok ; deny
deny tcp from any to any ; ok ; deny tcp
deny udp to any port 53 ; ok ; deny udp to port 53
deny from not any ; fail ; 1:11: 'not any' matches no address; the rule can never match
deny from not not 10.0.0.1 ; fail ; 1:15: syntax error: unexpected 'not', expected set reference, address, 'any' or '{'
deny from any any ; fail ; 1:15: syntax error: unexpected 'any', expected end of line, 'to', 'port', 'type', ';' or '}'

# one 'from', then one 'to', in that order
deny from 10.0.0.1 to 10.0.0.2 ; ok
deny from 10.0.0.1 from 10.0.0.2 ; fail ; 1:20: syntax error: unexpected 'from', expected end of line, 'to', 'port', 'type', ';' or '}'
deny to 10.0.0.1 from 10.0.0.2 ; fail ; 1:18: syntax error: unexpected 'from', expected end of line, 'port', 'type', ';' or '}'
deny from ; fail ; 1:10: syntax error: unexpected end of line, expected set reference, address, 'port', 'not', 'any' or '{'
