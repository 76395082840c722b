# Lexical structure: comments, rule separators, newlines inside lists,
# whitespace, numbers and stray bytes (docs/language.md, Lexical structure).

# comments run to the end of the line
deny tcp # never mind ; ok ; deny tcp
deny tcp#comment ; ok ; deny tcp
; # only a comment ; warn ; policy 't' has no rules
deny from { 10.0.0.1, # the first\n  10.0.0.2 } ; ok ; deny from { 10.0.0.1, 10.0.0.2 }

# a rule ends at a newline or ';'; blank lines and empty rules are nothing
deny tcp; deny udp ; ok ; deny tcp; deny udp
deny tcp;deny udp ; ok ; deny tcp; deny udp
deny tcp ;; deny udp ; ok ; deny tcp; deny udp
; deny tcp ; ok ; deny tcp
deny tcp; ; ok ; deny tcp
deny tcp\n\n\ndeny udp ; ok ; deny tcp; deny udp
deny tcp\ndeny udp; deny sctp\n; ok ; deny tcp; deny udp; deny sctp
deny tcp\nto port 80 ; fail ; 2:1: syntax error: unexpected 'to', expected end of line, 'ingress', 'egress', 'allow', 'deny', 'pass', 'log', ';' or '}'
# one-line policies, ';' between rules, blank lines and comments, a set with a trailing comma
set s { 192.0.2.1, 2001:db8::1, }\npolicy a { deny tcp to port 1 }\npolicy b order 1 { deny udp to port 2; deny udp to port 3 }\n\npolicy c {\n    # a comment line\n\n    deny sctp ; deny proto 47 ;\n    deny from @s\n} ; ok ; deny udp to port 2; deny udp to port 3; deny tcp to port 1; deny sctp; deny proto 47; deny from @s

# inside { } a newline may follow '{' or ',' and stand before '}'
deny tcp to port {\n80,\n443\n} ; ok ; deny tcp to port { 80, 443 }
deny tcp to port { 80\n\n} ; ok ; deny tcp to port 80
deny tcp to port {\n\n80 } ; ok ; deny tcp to port 80
deny tcp to port { 80,\n\n443 } ; ok ; deny tcp to port { 80, 443 }
deny from {\n10.0.0.1\n,10.0.0.2 } ; fail ; 3:1: syntax error: unexpected ',', expected '}'

# whitespace: spaces, tabs, carriage returns
deny\ttcp\tto\tport\t80 ; ok ; deny tcp to port 80
    deny tcp ; ok ; deny tcp
deny tcp\r ; ok ; deny tcp
deny tcp\r\ndeny udp\r ; ok ; deny tcp; deny udp

# numbers are decimal
deny tcp to port 080 ; ok ; deny tcp to port 80
deny tcp to port 0x50 ; fail ; 1:18: invalid number or address '0x50'
deny tcp to port 80k ; fail ; 1:18: invalid number or address '80k'
deny proto 6.0 ; fail ; 1:12: invalid number or address '6.0'

# keywords are lower case
DENY tcp ; fail ; 1:1: syntax error: unexpected 'DENY', expected end of line, 'ingress', 'egress', 'allow', 'deny', 'pass', 'log', ';' or '}'
deny TCP ; fail ; 1:6: syntax error: unexpected 'TCP', expected end of line, 'incomplete', 'tcp', 'udp', 'sctp', 'icmp', 'icmpv6', 'proto', 'from', 'to', 'type', ';' or '}'

# stray characters and bytes, NUL bytes
deny tcp $ ; fail ; 1:10: unexpected character '$'
deny tcp to port 80! ; fail ; 1:20: unexpected character '!'
deny tcp "to" ; fail ; 1:10: unexpected character '"' | 1:13: unexpected character '"'
deny \\ ; fail ; 1:6: unexpected character '\'
deny \xff ; fail ; 1:6: unexpected byte 0xff
deny \x01 ; fail ; 1:6: unexpected byte 0x01
deny \x7f ; fail ; 1:6: unexpected byte 0x7f
deny \xc3\xa9 ; fail ; 1:6: unexpected byte 0xc3 | 1:7: unexpected byte 0xa9
deny tcp\x00 to port 80 ; fail ; 1:9: NUL byte in input
deny from 10.0.0.1\x00 ; fail ; 1:19: NUL byte in input
\x00deny tcp ; fail ; 1:1: NUL byte in input

# a byte or word the scanner reports is the only error there: the parser
# does not judge the token it spoils or the one right after dropped bytes
deny from 10.0.0.0 /8 ; fail ; 1:20: unexpected character '/'
deny from fe80::1%eth0 ; fail ; 1:18: unexpected character '%'
deny udp to port 53 $ from 10.0.0.1 ; fail ; 1:21: unexpected character '$'
deny tcp to port 10.0.0.256 ; fail ; 1:18: invalid IPv4 address '10.0.0.256'
deny tcp to port 10.0.0.1 ; fail ; 1:18: syntax error: unexpected '10.0.0.1', expected number, 'not' or '{'
