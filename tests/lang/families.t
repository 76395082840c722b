# Address families (docs/language.md, Families). A rule's families are the
# intersection of what its conditions allow; the canonical form does not
# say them, so these lines write them as --dump=ir does ("ip6: ...").
! set v4 { 192.0.2.0/24 }
! set v6 { 2001:db8::/32 }
! set mix { 10.0.0.0/8, 2001:db8::/32 }

deny tcp ; ok ; ip+ip6: deny tcp
deny ; ok ; ip+ip6: deny
deny from 10.0.0.0/8 ; ok ; ip: deny from 10.0.0.0/8
deny to 2001:db8::1 ; ok ; ip6: deny to 2001:db8::1
deny from { 10.0.0.0/8, fd00::/8 } ; ok ; ip+ip6: deny from { 10.0.0.0/8, fd00::/8 }
allow tcp from { 10.0.0.0/8, fd00::/8 } to port 5432 ; ok ; ip+ip6: allow tcp from { 10.0.0.0/8, fd00::/8 } to port 5432
deny icmp ; ok ; ip: deny icmp
deny icmpv6 ; ok ; ip6: deny icmpv6
deny proto 1 ; ok ; ip: deny icmp
deny proto 58 ; ok ; ip6: deny icmpv6
deny proto 47 ; ok ; ip+ip6: deny proto 47

# 'not A' allows the families of A
allow udp from not 10.0.0.0/8 to port 8000-8999 ; ok ; ip: allow udp from not 10.0.0.0/8 to port 8000-8999
deny to not 2001:db8::/32 ; ok ; ip6: deny to not 2001:db8::/32
deny from not { 10.0.0.0/8, 2001:db8::/32 } ; ok ; ip+ip6: deny from not { 10.0.0.0/8, 2001:db8::/32 }

# sets count with the contents they have in the file
deny from @v4 ; ok ; ip: deny from @v4
deny from @v6 ; ok ; ip6: deny from @v6
deny from @mix ; ok ; ip+ip6: deny from @mix
deny from not @v4 ; ok ; ip: deny from not @v4
deny icmpv6 from @v6 ; ok ; ip6: deny icmpv6 from @v6
deny icmp from @mix ; ok ; ip: deny icmp from @mix
deny from { @v4, @v6 } ; ok ; ip+ip6: deny from { @v4, @v6 }

# the intersection: literal prefixes of a family the rule cannot match are dropped
deny from { 10.0.0.0/8, 2001:db8::/32 } to 10.0.0.1 ; ok ; ip: deny from 10.0.0.0/8 to 10.0.0.1
deny from { 10.0.0.0/8, 2001:db8::/32 } to 2001:db8::1 ; ok ; ip6: deny from 2001:db8::/32 to 2001:db8::1
deny icmp to { 10.0.0.0/8, 2001:db8::/32 } ; ok ; ip: deny icmp to 10.0.0.0/8
deny icmp from { 2001:db8::1, @mix } ; ok ; ip: deny icmp from @mix
deny from { 10.0.0.1, 2001:db8::1 } to @v6 ; ok ; ip6: deny from 2001:db8::1 to @v6
deny from not { 10.0.0.0/8, 2001:db8::/32 } to 192.0.2.1 ; ok ; ip: deny from not 10.0.0.0/8 to 192.0.2.1
deny from @mix to { 10.0.0.1, 2001:db8::1 } ; ok ; ip+ip6: deny from @mix to { 10.0.0.1, 2001:db8::1 }
deny from 10.0.0.1 to 10.0.0.2 ; ok ; ip: deny from 10.0.0.1 to 10.0.0.2

# an empty intersection is an error, explained by the first pair that conflicts
deny from 10.0.0.0/8 to 2001:db8::/32 ; fail ; 1:1: rule can never match: the source addresses are IPv4 only but the destination addresses are IPv6 only
deny tcp from 2001:db8::/32 to 10.0.0.0/8 port 80 ; fail ; 1:1: rule can never match: the source addresses are IPv6 only but the destination addresses are IPv4 only
deny from @v4 to @v6 ; fail ; 1:1: rule can never match: the source addresses are IPv4 only but the destination addresses are IPv6 only
deny from not 10.0.0.0/8 to not 2001:db8::/32 ; fail ; 1:1: rule can never match: the source addresses are IPv4 only but the destination addresses are IPv6 only
deny icmp from 2001:db8::1 ; fail ; 1:1: rule can never match: 'icmp' is IPv4 only but the source addresses are IPv6 only
deny icmp from not 2001:db8::/32 ; fail ; 1:1: rule can never match: 'icmp' is IPv4 only but the source addresses are IPv6 only
deny icmp from @v6 ; fail ; 1:1: rule can never match: 'icmp' is IPv4 only but the source addresses are IPv6 only
deny icmpv6 to 10.0.0.1 ; fail ; 1:1: rule can never match: 'icmpv6' is IPv6 only but the destination addresses are IPv4 only
deny icmpv6 from @mix to @v4 ; fail ; 1:1: rule can never match: 'icmpv6' is IPv6 only but the destination addresses are IPv4 only
deny proto 1 from 2001:db8::1 ; fail ; 1:1: rule can never match: 'proto 1' is IPv4 only but the source addresses are IPv6 only
egress deny icmpv6 from @v4 ; fail ; 1:1: rule can never match: 'icmpv6' is IPv6 only but the source addresses are IPv4 only
