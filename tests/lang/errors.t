# One run reports every error it can (docs/language.md, Diagnostics): the
# parser recovers at the end of a rule, at a closing brace and at the end of
# a declaration, and the checks then run on whatever was recovered. Errors
# are listed in source order, separated by " | ".

# every syntax error, each on its own rule
deny bogus\nallow tcp to port 80\nallow tcp to to port 81\nallow udp to port 53\ndeny udp from port x ; fail ; 1:6: syntax error: unexpected 'bogus', expected end of line, 'incomplete', 'tcp', 'udp', 'sctp', 'icmp', 'icmpv6', 'proto', 'from', 'to', 'type', ';' or '}' | 3:14: syntax error: unexpected 'to', expected set reference, address, 'port', 'not', 'any' or '{' | 5:20: syntax error: unexpected 'x', expected number, 'not' or '{'
policy p { deny bogus } policy q { deny udp to port x } ; fail ; 1:17: syntax error: unexpected 'bogus', expected end of line, 'incomplete', 'tcp', 'udp', 'sctp', 'icmp', 'icmpv6', 'proto', 'from', 'to', 'type', ';' or '}' | 1:53: syntax error: unexpected 'x', expected number, 'not' or '{'
set s { 10.0.0.1 10.0.0.2 }\nset t { any }\npolicy p { deny bogus } ; fail ; 1:18: syntax error: unexpected '10.0.0.2', expected end of line, '}' or ',' | 2:9: syntax error: unexpected 'any', expected set reference or address | 3:17: syntax error: unexpected 'bogus', expected end of line, 'incomplete', 'tcp', 'udp', 'sctp', 'icmp', 'icmpv6', 'proto', 'from', 'to', 'type', ';' or '}'

# every semantic error, in source order
allow tcp to port 80\ndeny tcp to port 99999\nallow udp to port 53\ndeny icmp type 300\nallow tcp to port 8080-80 ; fail ; 2:18: port 99999 is out of range (0-65535) | 4:16: ICMP type 300 is out of range (0-255) | 5:19: port range 8080-80 is empty: the first port is greater than the last
deny tcp to port 65536\ndeny icmp type 256\ndeny icmp type 3 code 256\ndeny proto 256\ndeny from 10.0.0.0/33\ndeny from 2001:db8::/129\ndeny tcp to port 65535\ndeny proto 255\ndeny from 10.0.0.0/32 ; fail ; 1:18: port 65536 is out of range (0-65535) | 2:16: ICMP type 256 is out of range (0-255) | 3:23: ICMP code 256 is out of range (0-255) | 4:12: protocol number 256 is out of range (0-255) | 5:11: invalid prefix length in '10.0.0.0/33' (IPv4 allows 0-32, IPv6 0-128) | 6:11: invalid prefix length in '2001:db8::/129' (IPv4 allows 0-32, IPv6 0-128)
deny to port 80\ndeny icmp to port 80\ndeny icmpv6 from port 1\ndeny tcp type 8\ndeny type 8\ndeny udp from port 53 type 3 code 1\ndeny tcp to port 80\ndeny sctp from port 9\ndeny icmpv6 type 128 code 0 ; fail ; 1:14: ports need 'tcp', 'udp' or 'sctp' in the same rule | 2:19: ports need 'tcp', 'udp' or 'sctp' in the same rule | 3:23: ports need 'tcp', 'udp' or 'sctp' in the same rule | 4:10: 'type' and 'code' need 'icmp' or 'icmpv6' in the same rule | 5:6: 'type' and 'code' need 'icmp' or 'icmpv6' in the same rule | 6:23: 'type' and 'code' need 'icmp' or 'icmpv6' in the same rule
set v4 { 192.0.2.0/24 }\nset v6 { 2001:db8::/32 }\npolicy p {\n    deny from 10.0.0.0/8 to 2001:db8::/32\n    deny icmp from 2001:db8::1\n    deny icmpv6 to 10.0.0.1\n    deny from @v4 to @v6\n    deny icmp from not 2001:db8::/32\n    deny from { 10.0.0.0/8, 2001:db8::/32 } to 10.0.0.1\n    deny icmpv6 from @v6\n} ; fail ; 4:5: rule can never match: the source addresses are IPv4 only but the destination addresses are IPv6 only | 5:5: rule can never match: 'icmp' is IPv4 only but the source addresses are IPv6 only | 6:5: rule can never match: 'icmpv6' is IPv6 only but the destination addresses are IPv4 only | 7:5: rule can never match: the source addresses are IPv4 only but the destination addresses are IPv6 only | 8:5: rule can never match: 'icmp' is IPv4 only but the source addresses are IPv6 only
set known { 10.0.0.0/8 }\npolicy p {\n    deny from @nosuch\n    deny from @known\n} ; fail ; 3:15: unknown set '@nosuch'
set s { 10.0.0.1 }\nset s { 10.0.0.2 }\npolicy p {\n    deny tcp\n}\npolicy p {\n    deny udp\n} ; fail ; 2:5: set 's' is already defined | 6:8: policy 'p' is already defined

# several errors in one rule
deny tcp to port 99999 type 300 ; fail ; 1:18: port 99999 is out of range (0-65535) | 1:24: 'type' and 'code' need 'icmp' or 'icmpv6' in the same rule | 1:29: ICMP type 300 is out of range (0-255)
deny from @nope to port 99999 ; fail ; 1:11: unknown set '@nope' | 1:25: port 99999 is out of range (0-65535) | 1:25: ports need 'tcp', 'udp' or 'sctp' in the same rule
deny from 10.0.0.0/8 to 2001:db8::1 port 99999 ; fail ; 1:1: rule can never match: the source addresses are IPv4 only but the destination addresses are IPv6 only | 1:42: port 99999 is out of range (0-65535) | 1:42: ports need 'tcp', 'udp' or 'sctp' in the same rule

# syntax and semantic errors together: the checks run on what the parser kept
set s { 10.0.0.1 10.0.0.2 }\npolicy p { deny tcp to port 99999 } ; fail ; 1:18: syntax error: unexpected '10.0.0.2', expected end of line, '}' or ',' | 2:29: port 99999 is out of range (0-65535)
policy p { deny bogus } policy q { deny tcp to port 99999 } ; fail ; 1:17: syntax error: unexpected 'bogus', expected end of line, 'incomplete', 'tcp', 'udp', 'sctp', 'icmp', 'icmpv6', 'proto', 'from', 'to', 'type', ';' or '}' | 1:53: port 99999 is out of range (0-65535)
# a rule with a syntax error inside a list is dropped whole: no follow-on
deny from { 10.0.0.1 10.0.0.2 } to port 99999 ; fail ; 1:22: syntax error: unexpected '10.0.0.2', expected end of line, '}' or ','
# a policy whose rules were all dropped for syntax errors is not also "empty"
deny bogus ; fail ; 1:6: syntax error: unexpected 'bogus', expected end of line, 'incomplete', 'tcp', 'udp', 'sctp', 'icmp', 'icmpv6', 'proto', 'from', 'to', 'type', ';' or '}'

# a file needs a policy
set s { 10.0.0.1 } ; fail ; no policy in file
set s { 10.0.0.1 }\n# and nothing else\n ; fail ; no policy in file
# ... but says so only when nothing else is wrong
set s { 10.0.0.1/40 } ; fail ; 1:9: invalid prefix length in '10.0.0.1/40' (IPv4 allows 0-32, IPv6 0-128)

# stray closing braces
policy p { deny } } ; fail ; 1:19: syntax error: unexpected '}', expected end of file, end of line, 'set', 'policy' or ';'
} ; fail ; warning: policy 't' has no rules | syntax error: unexpected '}', expected end of file, end of line, 'set', 'policy' or ';'
