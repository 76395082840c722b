# Named address sets: declarations and '@name' references (docs/language.md,
# Grammar and Families). Lines that start with 'set' or 'policy' are whole
# files; the others are rules in a policy, after the '!' declarations.

# declarations
set s { 10.0.0.1 } policy p { deny from @s } ; ok ; deny from @s
set s { 10.0.0.1 }; policy p { deny from @s } ; ok ; deny from @s
set s { 192.0.2.1, 2001:db8::1, } policy p { deny from @s } ; ok ; deny from @s
set s {\n  192.0.2.1,\n  2001:db8::1\n}\npolicy p { deny from @s } ; ok ; deny from @s
set s { 10.0.0.1\n}\npolicy p { deny from @s } ; ok ; deny from @s
set s { 10.1.2.3/8 } policy p { deny from @s } ; warn ; 1:9: '10.1.2.3/8' has host bits set; it means 10.0.0.0/8
set blocklist { 192.0.2.0/24, 198.51.100.7, 2001:db8:bad::/48 } policy p { deny from @blocklist } ; ok ; deny from @blocklist
# a set may be declared after the policy that uses it
policy p { deny from @late } set late { 10.0.0.1 } ; ok ; deny from @late
# an unused set is fine, but a file needs a policy
set unused { 10.0.0.1 } policy p { deny } ; ok ; deny
set s { 10.0.0.1 } ; fail ; no policy in file

set s { } ; fail ; 1:9: syntax error: unexpected '}', expected set reference or address
set s 10.0.0.1 ; fail ; 1:7: syntax error: unexpected '10.0.0.1', expected '{'
set tcp { 10.0.0.1 } ; fail ; 1:5: syntax error: unexpected 'tcp', expected name
set s { any } ; fail ; 1:9: syntax error: unexpected 'any', expected set reference or address
set s { not 10.0.0.1 } ; fail ; 1:9: syntax error: unexpected 'not', expected set reference or address
set s { 10.0.0.1 port 80 } policy p { deny } ; fail ; 1:18: syntax error: unexpected 'port', expected end of line, '}' or ','
set s { @t } policy p { deny } ; fail ; 1:9: a set holds addresses only; '@t' cannot be used inside a set
set t { 10.0.0.9 } set s { 10.0.0.1, @t, 10.0.0.2 } policy p { deny from @s } ; fail ; 1:38: a set holds addresses only; '@t' cannot be used inside a set
set s { 10.0.0.1 }\nset s { 10.0.0.2 }\npolicy p { deny from @s } ; fail ; 2:5: set 's' is already defined
# an invalid entry is the only error: rules that use the set say nothing of
# the families that are left of it
set s { 10.0.0.256 } policy p { deny from @s } ; fail ; 1:9: invalid IPv4 address '10.0.0.256'
set s { 10.0.0.256, 2001:db8::1 } policy p { deny icmp from @s } ; fail ; 1:9: invalid IPv4 address '10.0.0.256'
set s { 10.0.0.256 } policy p { deny from @s to port 99999 } ; fail ; 1:9: invalid IPv4 address '10.0.0.256' | 1:54: port 99999 is out of range (0-65535) | 1:54: ports need 'tcp', 'udp' or 'sctp' in the same rule

# references
! set a { 10.0.0.0/8 }
! set b { 192.168.0.0/16, 2001:db8::/32 }
! set known { 10.0.0.0/8 }
! set Zed { 10.2.0.0/16 }
deny from @a ; ok
deny to @b ; ok
deny from not @a ; ok
deny from @a to @b ; ok
deny tcp from @a port 22 to @b port 22 ; ok
egress deny to @b ; ok
deny from @known ; ok
# sets come after literal prefixes, in the order the file declares them, once
deny from { @a, 10.0.0.1 } ; ok ; deny from { 10.0.0.1, @a }
deny from { @b, @a } ; ok ; deny from { @a, @b }
deny from { @Zed, @a } ; ok ; deny from { @a, @Zed }
deny from { @a, @a } ; ok ; deny from @a
deny from { @a } ; ok ; deny from @a

deny from @nosuch ; fail ; 1:11: unknown set '@nosuch'
deny from { 10.0.0.1, @nosuch } ; fail ; 1:23: unknown set '@nosuch'
deny to not @nosuch ; fail ; 1:13: unknown set '@nosuch'
deny from @A ; fail ; 1:11: unknown set '@A'
deny from a ; fail ; 1:11: syntax error: unexpected 'a', expected set reference, address, 'port', 'not', 'any' or '{'
