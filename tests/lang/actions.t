# Actions and directions: what a rule starts with (docs/language.md,
# Evaluation). The canonical form writes 'egress' and leaves 'ingress' out.

allow ; ok
deny ; ok
pass ; ok
log ; ok
allow tcp ; ok
pass tcp to port 22 ; ok
log udp to port { 53, 5353 } ; ok

ingress allow tcp ; ok ; allow tcp
ingress log ; ok ; log
egress allow tcp ; ok
egress deny udp ; ok
egress pass ; ok
egress log icmp ; ok

# a rule is an action and its conditions, nothing before or after
tcp ; fail ; 1:1: syntax error: unexpected 'tcp', expected end of line, 'ingress', 'egress', 'allow', 'deny', 'pass', 'log', ';' or '}'
drop tcp ; fail ; 1:1: syntax error: unexpected 'drop', expected end of line, 'ingress', 'egress', 'allow', 'deny', 'pass', 'log', ';' or '}'
accept ; fail ; 1:1: syntax error: unexpected 'accept', expected end of line, 'ingress', 'egress', 'allow', 'deny', 'pass', 'log', ';' or '}'
allow deny ; fail ; 1:7: syntax error: unexpected 'deny', expected end of line, 'incomplete', 'tcp', 'udp', 'sctp', 'icmp', 'icmpv6', 'proto', 'from', 'to', 'type', ';' or '}'
egress ; fail ; syntax error: unexpected end of line, expected 'allow', 'deny', 'pass' or 'log'
ingress egress allow ; fail ; 1:9: syntax error: unexpected 'egress', expected 'allow', 'deny', 'pass' or 'log'
egress egress allow ; fail ; 1:8: syntax error: unexpected 'egress', expected 'allow', 'deny', 'pass' or 'log'
allow egress ; fail ; 1:7: syntax error: unexpected 'egress', expected end of line, 'incomplete', 'tcp', 'udp', 'sctp', 'icmp', 'icmpv6', 'proto', 'from', 'to', 'type', ';' or '}'
deny bogus ; fail ; 1:6: syntax error: unexpected 'bogus', expected end of line, 'incomplete', 'tcp', 'udp', 'sctp', 'icmp', 'icmpv6', 'proto', 'from', 'to', 'type', ';' or '}'
Allow ; fail ; 1:1: syntax error: unexpected 'Allow', expected end of line, 'ingress', 'egress', 'allow', 'deny', 'pass', 'log', ';' or '}'
