# Ports: single ports, ranges, lists, negation; normalised to sorted,
# merged ranges; they need tcp, udp or sctp (docs/language.md, Conditions).

# one port, either side, each protocol that has ports
allow tcp to port 80 ; ok
allow udp from port 53 ; ok
allow sctp to port 9 ; ok
allow tcp from port 1024-65535 to port 22 ; ok
allow tcp from 10.0.0.0/8 port 1024-65535 to 192.0.2.1 port 443 ; ok
deny udp from any port 19 ; ok ; deny udp from port 19

# the bounds: 0 and 65535 are ports
deny tcp to port 0 ; ok
deny tcp to port 65535 ; ok
deny tcp to port 0-65535 ; ok
deny tcp to port 7-7 ; ok ; deny tcp to port 7

# lists are sorted; duplicates, overlaps and neighbours merge
allow tcp to port { 443, 80 } ; ok ; allow tcp to port { 80, 443 }
allow tcp to port { 80, 80 } ; ok ; allow tcp to port 80
allow tcp to port { 443, 80, 81-90 } ; ok ; allow tcp to port { 80-90, 443 }
allow tcp to port { 1-10, 5-20 } ; ok ; allow tcp to port 1-20
allow tcp to port { 1-10, 11-20 } ; ok ; allow tcp to port 1-20
allow tcp to port { 1-10, 12-20 } ; ok ; allow tcp to port { 1-10, 12-20 }
allow tcp to port { 1-100, 5-6 } ; ok ; allow tcp to port 1-100
allow tcp to port { 3, 2, 1 } ; ok ; allow tcp to port 1-3
allow tcp to port { 65535, 0 } ; ok ; allow tcp to port { 0, 65535 }
allow tcp to port { 80 } ; ok ; allow tcp to port 80
allow tcp to port { 80, 443, } ; ok ; allow tcp to port { 80, 443 }
allow tcp to port {\n80,\n443\n} ; ok ; allow tcp to port { 80, 443 }

# negation
allow tcp to port not 22 ; ok
allow tcp to port not { 22, 23 } ; ok ; allow tcp to port not 22-23
allow tcp from port not 0-1023 ; ok
allow tcp to port not 1-65535 ; ok
allow tcp to port not 0-65534 ; ok
deny tcp to port not 0-65535 ; fail ; 1:18: 'port not' excludes every port; the rule can never match
deny tcp to port not { 0-100, 101-65535 } ; fail ; 1:18: 'port not' excludes every port; the rule can never match

# the protocol numbers of tcp, udp and sctp allow ports like their names
allow proto 6 to port 80 ; ok ; allow tcp to port 80
allow proto 17 to port 53 ; ok ; allow udp to port 53
allow proto 132 to port 9 ; ok ; allow sctp to port 9

# out of range
deny tcp to port 65536 ; fail ; 1:18: port 65536 is out of range (0-65535)
deny tcp to port 99999 ; fail ; 1:18: port 99999 is out of range (0-65535)
deny tcp to port 1-65536 ; fail ; 1:20: port 65536 is out of range (0-65535)
deny tcp from port { 1, 70000 } ; fail ; 1:25: port 70000 is out of range (0-65535)
deny tcp to port 99999999999999999999 ; fail ; 1:18: port 281474976710655 is out of range (0-65535)
deny tcp to port 8080-80 ; fail ; 1:18: port range 8080-80 is empty: the first port is greater than the last
deny tcp to port { 80, 3-2 } ; fail ; 1:24: port range 3-2 is empty: the first port is greater than the last

# ports need a protocol that has them (the error points at the ports)
deny to port 80 ; fail ; 1:14: ports need 'tcp', 'udp' or 'sctp' in the same rule
deny from port 80 ; fail ; 1:16: ports need 'tcp', 'udp' or 'sctp' in the same rule
deny icmp to port 80 ; fail ; 1:19: ports need 'tcp', 'udp' or 'sctp' in the same rule
deny icmpv6 from port 1 ; fail ; 1:23: ports need 'tcp', 'udp' or 'sctp' in the same rule
deny proto 47 to port 1 ; fail ; 1:23: ports need 'tcp', 'udp' or 'sctp' in the same rule
deny from 10.0.0.1 port 1 ; fail ; 1:25: ports need 'tcp', 'udp' or 'sctp' in the same rule

# syntax
deny tcp to port ; fail ; syntax error: unexpected end of line, expected number, 'not' or '{'
deny tcp to port x ; fail ; 1:18: syntax error: unexpected 'x', expected number, 'not' or '{'
deny tcp to port 1- ; fail ; 1:20: syntax error: unexpected end of line, expected number
deny tcp to port -1 ; fail ; 1:18: syntax error: unexpected '-', expected number, 'not' or '{'
deny tcp to port { } ; fail ; 1:20: syntax error: unexpected '}', expected number
deny tcp to port not not 1 ; fail ; 1:22: syntax error: unexpected 'not', expected number or '{'
deny tcp to port 1 port 2 ; fail ; 1:20: syntax error: unexpected 'port', expected end of line, 'type', ';', '}' or '-'
