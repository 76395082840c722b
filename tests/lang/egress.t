# Egress rules: the packets the host sends (docs/language.md, Evaluation).
# The same conditions as ingress; the canonical form starts with 'egress'.
! set peers { 10.0.0.0/8, fd00::/8 }

egress allow tcp from port 5432 to { 10.0.0.0/8, fd00::/8 } ; ok
egress allow tcp from port 5432 to @peers ; ok
egress deny to not @peers ; ok
egress pass udp to port 53 ; ok
egress log icmpv6 type 128 ; ok
egress deny icmp type 3 code 4 ; ok
egress allow proto 47 ; ok
egress deny from 192.0.2.1 ; ok
egress deny proto 17 from 10.1.2.3/8 ; warn ; 1:27: '10.1.2.3/8' has host bits set; it means 10.0.0.0/8
egress deny to port 80 ; fail ; 1:21: ports need 'tcp', 'udp' or 'sctp' in the same rule
egress deny icmpv6 from 10.0.0.1 ; fail ; 1:1: rule can never match: 'icmpv6' is IPv6 only but the source addresses are IPv4 only
egress deny from @nosuch ; fail ; 1:18: unknown set '@nosuch'

# both directions in one policy keep their order
allow tcp to port 80; egress allow tcp from port 80 ; ok ; allow tcp to port 80; egress allow tcp from port 80
egress allow tcp from port 80; allow tcp to port 80 ; ok ; egress allow tcp from port 80; allow tcp to port 80

# each direction is evaluated on its own: no shadowing across them
deny tcp; egress allow tcp to port 80 ; ok ; deny tcp; egress allow tcp to port 80
egress deny tcp; allow tcp to port 80 ; ok ; egress deny tcp; allow tcp to port 80
egress deny tcp; egress allow tcp to port 80 ; warn ; 1:18: rule is shadowed by an earlier rule and never decides anything
egress deny tcp; deny tcp; egress deny tcp from port 1 ; warn ; 1:28: rule is shadowed by an earlier rule and never decides anything
