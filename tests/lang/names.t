# Names of sets and policies: letters, digits, '_', '-', '.', starting with a
# letter or '_'; at most 255 characters; keywords are reserved
# (docs/language.md, Lexical structure).

policy p { deny } ; ok ; deny
policy _p { deny } ; ok ; deny
policy web-1.example_org { deny } ; ok ; deny
policy P9 { deny } ; ok ; deny
set my-set.v4_1 { 10.0.0.1 } policy p { deny from @my-set.v4_1 } ; ok ; deny from @my-set.v4_1
set _s { 10.0.0.1 } policy p { deny from @_s } ; ok ; deny from @_s
# names that start with a keyword, or look like hex digits, are names
policy settings { deny } ; ok ; deny
set tcp2 { 10.0.0.1 } policy p { deny from @tcp2 } ; ok ; deny from @tcp2
set any6 { ::1 } policy p { deny from @any6 } ; ok ; deny from @any6
set deadbeef { 10.0.0.1 } policy p { deny from @deadbeef } ; ok ; deny from @deadbeef
policy cafe { deny } ; ok ; deny

# 255 characters, and one more
set nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx { 10.0.0.1 } policy p { deny from @nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx } ; ok ; deny from @nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
policy nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx { deny } ; ok ; deny
policy nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx { deny } ; fail ; 1:8: name is longer than 255 characters
set nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx { 10.0.0.1 } policy p { deny } ; fail ; 1:5: name is longer than 255 characters
# the name is cut at 255 characters, and the reference then names no set: a follow-on
deny from @nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx ; fail ; 1:11: name is longer than 255 characters | 1:11: unknown set '@nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'

# not a name
policy 9p { deny } ; fail ; 1:8: invalid number or address '9p'
policy -p { deny } ; fail ; 1:8: syntax error: unexpected '-', expected name
policy p! { deny } ; fail ; 1:9: unexpected character '!'
policy "p" { deny } ; fail ; 1:8: unexpected character '"' | 1:10: unexpected character '"'
policy p\xc3\xa9 { deny } ; fail ; 1:9: unexpected byte 0xc3 | 1:10: unexpected byte 0xa9

# keywords are reserved
policy set { deny } ; fail ; 1:8: syntax error: unexpected 'set', expected name
policy policy { deny } ; fail ; 1:8: syntax error: unexpected 'policy', expected name
policy order { deny } ; fail ; 1:8: syntax error: unexpected 'order', expected name
policy allow { deny } ; fail ; 1:8: syntax error: unexpected 'allow', expected name
set any { 10.0.0.1 } ; fail ; 1:5: syntax error: unexpected 'any', expected name
set icmpv6 { ::1 } ; fail ; 1:5: syntax error: unexpected 'icmpv6', expected name
set ingress { 10.0.0.1 } ; fail ; 1:5: syntax error: unexpected 'ingress', expected name
set code { 10.0.0.1 } ; fail ; 1:5: syntax error: unexpected 'code', expected name
# '@' and a keyword is a name no declaration can give
deny from @tcp ; fail ; 1:11: unknown set '@tcp'
