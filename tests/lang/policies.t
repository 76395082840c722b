# Policies: declarations, 'order', and the evaluation order of their rules
# (docs/language.md, Evaluation). A whole-file line's canonical form lists
# every rule in evaluation order.

policy p { deny tcp } ; ok ; deny tcp
policy p order 10 { deny tcp } ; ok ; deny tcp
policy p order 0 { deny tcp } ; ok ; deny tcp
policy p order 4294967295 { deny tcp } ; ok ; deny tcp
policy p {\n    deny tcp\n    deny udp\n} ; ok ; deny tcp; deny udp
policy p { deny tcp; deny udp } ; ok ; deny tcp; deny udp
policy my-policy.v2_x { deny } ; ok ; deny

# by ascending order, ties by name in byte order, policies without order last by name
policy zulu {\n    deny proto 1\n}\npolicy alpha {\n    deny proto 2\n}\npolicy late order 20 {\n    deny proto 3\n}\npolicy early order 10 {\n    deny proto 4\n}\npolicy bravo order 10 {\n    deny proto 5\n} ; ok ; deny proto 5; deny proto 4; deny proto 3; deny proto 2; deny icmp
policy b order 2 { deny proto 2 } policy a order 10 { deny proto 10 } ; ok ; deny proto 2; deny proto 10
policy b { deny proto 2 } policy a { deny proto 1 } ; ok ; deny icmp; deny proto 2
policy b order 1 { deny proto 2 } policy B order 1 { deny proto 3 } ; ok ; deny proto 3; deny proto 2
policy a { deny proto 1 } policy z order 4294967295 { deny proto 2 } ; ok ; deny proto 2; deny icmp
policy p order 1 { deny proto 3; deny proto 2; deny proto 4 } ; ok ; deny proto 3; deny proto 2; deny proto 4
# ingress and egress rules share one order
policy b { egress deny proto 2 } policy a { deny proto 1; egress deny proto 3 } ; ok ; deny icmp; egress deny proto 3; egress deny proto 2

# names
policy p { deny tcp }\npolicy p { deny udp } ; fail ; 2:8: policy 'p' is already defined
policy p order 1 { deny tcp } policy p order 2 { deny udp } ; fail ; 1:38: policy 'p' is already defined
# 'A' sorts before 'a': its rule runs first and shadows the other
policy a { deny } policy A { deny } ; warn ; 1:12: rule is shadowed by an earlier rule and never decides anything

# order out of range
policy p order 4294967296 { deny tcp } ; fail ; 1:16: policy order 4294967296 is out of range (0-4294967295)
policy p order 99999999999999999999 { deny tcp } ; fail ; 1:16: policy order 281474976710655 is out of range (0-4294967295)

# an empty policy is a warning
policy e { } ; warn ; 1:8: policy 'e' has no rules
policy e {\n} ; warn ; 1:8: policy 'e' has no rules
policy e {\n    # nothing yet\n} ; warn ; 1:8: policy 'e' has no rules
policy e { ; ; } ; warn ; 1:8: policy 'e' has no rules
policy e order 3 { } policy f { deny } ; warn ; 1:8: policy 'e' has no rules
# a rule snippet that is only a comment leaves the wrapping policy empty
; # nothing ; warn ; policy 't' has no rules

# syntax
policy { deny } ; fail ; 1:8: syntax error: unexpected '{', expected name
policy p deny ; fail ; 1:10: syntax error: unexpected 'deny', expected 'order' or '{'
policy p order { deny } ; fail ; 1:16: syntax error: unexpected '{', expected number
policy p order -1 { deny } ; fail ; 1:16: syntax error: unexpected '-', expected number
policy p order 1 order 2 { deny } ; fail ; 1:18: syntax error: unexpected 'order', expected '{'
policy p { deny ; fail ; syntax error: unexpected end of file, expected end of line, 'ingress', 'egress', 'allow', 'deny', 'pass', 'log', ';' or '}'
# recovery skips to the first '}', which leaves the policy's own '}' over
policy p { policy q { deny } } ; fail ; 1:12: syntax error: unexpected 'policy', expected end of line, 'ingress', 'egress', 'allow', 'deny', 'pass', 'log', ';' or '}' | 1:30: syntax error: unexpected '}', expected end of file, end of line, 'set', 'policy' or ';'
# no newline between a policy's name and its '{'; recovery resumes at the
# next line, where the '{' is a second error
policy p\n{ deny } ; fail ; 1:9: syntax error: unexpected end of line, expected 'order' or '{' | 2:1: syntax error: unexpected '{', expected end of file, end of line, 'set', 'policy' or ';'
