#!/usr/bin/env bash
# Black-box tests of the untrackc command line: exit statuses, diagnostics
# (text and JSON), options, and hostile inputs. What the language accepts,
# its canonical forms and its messages are tables in tests/lang.
#
#   UNTRACKC=build/untrackc-san bash tests/cli/run.sh      (make cli does this)
#
# One line per test, then "N passed, M failed"; exit status 1 on any failure.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
UNTRACKC=${UNTRACKC:-$root/build/untrackc-san}
if [[ ! -x $UNTRACKC ]]; then
	echo "cli: no executable untrackc at '$UNTRACKC' (set UNTRACKC)" >&2
	exit 2
fi
UNTRACKC=$(realpath "$UNTRACKC")
TD=$root/testdata
S=$(mktemp -d)
trap 'rm -rf "$S"' EXIT

# shellcheck source=tests/cli/lib.sh
source "$root/tests/cli/lib.sh"

echo "cli: $UNTRACKC"

# ================================================================ good input

begin "the spec's example checks: exit 0, no output"
utc --check "$TD/spec-example.utp"
want_rc 0
want_empty out
want_empty err
end

for f in "$TD"/*.utp; do
	begin "testdata/${f##*/} checks clean"
	utc --check "$f"
	want_rc 0
	want_empty out
	want_empty err
	end
done

begin "-v and -w do not change a clean check"
utc -v -w --check "$TD/spec-example.utp"
want_rc 0
want_no_line err ': (error|warning): '
end

begin "a set written on one line with 20000 prefixes checks"
awk 'BEGIN { printf "set big {"; for (i = 0; i < 20000; i++)
	printf "%s 10.%d.%d.0/24", (i ? "," : ""), int(i / 256), i % 256; print " }";
	print "policy p {"; print "    deny from @big"; print "}" }' | write bigset.utp
utc --check bigset.utp
want_rc 0
want_empty err
end

# ================================================================ options

begin "--help prints usage on stdout and exits 0"
utc --help
want_rc 0
want_line out '[Uu]sage:'
for opt in --check -o --dump --diagnostics -Werror -w --test -v --version; do
	grep -qe "$opt" "$S/out" || problem "usage does not mention $opt"
done
want_empty err
end

begin "-h is --help"
utc -h
want_rc 0
want_line out '[Uu]sage:'
want_empty err
end

begin "--version names untrackc and exits 0"
utc --version
want_rc 0
want_line out 'untrackc'
want_empty err
end

begin "an unknown option is a usage error (exit 2)"
utc --frobnicate "$TD/spec-example.utp"
want_rc 2
want_line err 'frobnicate'
want_empty out
end

begin "no input file is a usage error (exit 2)"
utc --check
want_rc 2
want_nonempty err
want_empty out
end

begin "two input files are a usage error (exit 2)"
utc --check "$TD/spec-example.utp" "$TD/icmp.utp"
want_rc 2
want_nonempty err
end

begin "--dump=bogus is a usage error (exit 2)"
utc --check --dump=bogus "$TD/spec-example.utp"
want_rc 2
want_line err 'bogus'
end

begin "--diagnostics=xml is a usage error (exit 2)"
utc --check --diagnostics=xml "$TD/spec-example.utp"
want_rc 2
want_line err 'xml'
end

begin "--dump=ast prints the tree on stdout"
utc --check --dump=ast "$TD/spec-example.utp"
want_rc 0
want_line out 'ddos'
want_line out 'database'
want_line out 'blocklist'
want_empty err
end

begin "--dump=ir prints every policy and set, and is deterministic"
utc --check --dump=ir "$TD/spec-example.utp"
want_rc 0
want_line out 'ddos'
want_line out 'database'
want_line out 'blocklist'
want_empty err
cp "$S/out" "$S/ir1"
utc --check --dump=ir "$TD/spec-example.utp"
cmp -s "$S/out" "$S/ir1" || problem "two runs dumped different IR"
end

# ================================================================ unreadable input

begin "a missing file: exact message, exit 2"
utc --check nosuch.utp
want_rc 2
want_exact err "untrackc: error: cannot read 'nosuch.utp': No such file or directory"
want_empty out
end

begin "a directory: cannot read, exit 2"
mkdir -p "$S/adir"
utc --check adir
want_rc 2
want_line err "^untrackc: error: cannot read 'adir': "
end

if [[ $(id -u) -ne 0 ]]; then
	begin "a file without read permission: exit 2"
	printf 'policy p { deny tcp }\n' | write secret.utp
	chmod 000 "$S/secret.utp"
	utc --check secret.utp
	want_rc 2
	want_exact err "untrackc: error: cannot read 'secret.utp': Permission denied"
	end
fi

# ================================================================ no policy

begin "an empty file: exact message, exit 1"
: | write empty.utp
utc --check empty.utp
want_rc 1
want_exact err "empty.utp: error: no policy in file"
want_empty out
end

begin "comments and blank lines only: no policy, exit 1"
printf '# nothing here\n\n   \t\n# still nothing\n' | write comments.utp
utc --check comments.utp
want_rc 1
want_exact err "comments.utp: error: no policy in file"
end

begin "sets but no policy: no policy, exit 1"
printf 'set s { 10.0.0.1 }\n' | write setonly.utp
utc --check setonly.utp
want_rc 1
want_line err '^setonly\.utp: error: no policy in file$'
end

# ================================================================ diagnostics

begin "a syntax error: location, source line and caret"
write syntax.utp <<'EOF'
policy p {
    drop tcp
}
EOF
utc --check syntax.utp
want_rc 1
want_diag syntax.utp 2 5 error '.+' '    drop tcp' '    \^~~~'
want_count err ': error: ' 1
want_empty out
end

begin "every syntax error is reported, each on its own line"
write syntax3.utp <<'EOF'
policy p {
    deny bogus
    allow tcp to port 80
    allow tcp to to port 81
    allow udp to port 53
    deny udp from port x
}
EOF
utc --check syntax3.utp
want_rc 1
want_diag syntax3.utp 2 10 error '.+' '    deny bogus' '         \^~~~~'
want_diag syntax3.utp 4 18 error '.+' '    allow tcp to to port 81' '                 \^~'
want_diag syntax3.utp 6 24 error '.+' '    deny udp from port x' '                       \^'
want_count err ': error: ' 3
end

begin "every semantic error is reported, in source order"
write sema3.utp <<'EOF'
policy p {
    allow tcp to port 80
    deny tcp to port 99999
    allow udp to port 53
    deny icmp type 300
    allow tcp to port 8080-80
}
EOF
utc --check sema3.utp
want_rc 1
want_diag sema3.utp 3 22 error '.*(65535|range).*' '    deny tcp to port 99999' '                     \^~~~~'
want_diag sema3.utp 5 20 error '.*(255|range).*' '    deny icmp type 300' '                   \^~~'
want_diag sema3.utp 6 23 error '.+' '    allow tcp to port 8080-80' '                      \^~*'
want_count err ': error: ' 3
want_error_lines sema3.utp "3 5 6"
end

begin "errors in one file go to stderr only, stdout stays empty"
utc --check --dump=ir sema3.utp
want_rc 1
want_empty out
end

# ================================================================ warnings

begin "an empty policy is a warning, exit 0"
printf 'policy p { }\n' | write emptypol.utp
utc --check emptypol.utp
want_rc 0
want_diag_at emptypol.utp 1 warning
want_no_line err ': error: '
end

begin "-Werror makes that warning fail (exit 1)"
utc --check -Werror emptypol.utp
want_rc 1
want_line err '^emptypol\.utp:1:[0-9]+: '
end

begin "-w silences warnings"
utc --check -w emptypol.utp
want_rc 0
want_empty err
end

begin "a shadowed rule: exit 0 with the warning, exit 1 under -Werror"
write shadow.utp <<'EOF'
policy p {
    deny tcp
    allow tcp to port 80
}
EOF
utc --check shadow.utp
want_rc 0
want_count err ': warning: ' 1
utc --check -Werror shadow.utp
want_rc 1
end

# ================================================================ JSON

begin "--diagnostics=json: one object per line on stderr"
utc --check --diagnostics=json sema3.utp
want_rc 1
want_json_diags
want_json 3 '.severity == "error"'
want_json 1 '.file == "sema3.utp" and .line == 3 and .column == 22'
want_json 1 '.file == "sema3.utp" and .line == 5 and .column == 20'
want_json 1 '.file == "sema3.utp" and .line == 6 and .column == 23'
end

begin "--diagnostics=json for warnings and file-level errors"
utc --check --diagnostics=json emptypol.utp
want_rc 0
want_json_diags
want_json 1 '.severity == "warning" and .line == 1'
utc --check --diagnostics=json empty.utp
want_rc 1
want_json_diags
want_json 1 '.severity == "error" and .file == "empty.utp" and (.message | test("no policy"))'
end

begin "--diagnostics=json escapes hostile bytes in messages"
printf 'policy p {\n    deny "\\\x01\xff\n}\n' | write hostile.utp
utc --check --diagnostics=json hostile.utp
want_rc 1
want_json_diags
end

begin "--diagnostics=json: a UTF-8 file name comes out unchanged, other bytes as U+FFFD"
printf 'policy p {\n    deny from 300.1.1.1\n}\n' | write café.utp
printf 'policy p {\n    deny from 300.1.1.1\n}\n' | write "$(printf 'bad\xff.utp')"
utc --check --diagnostics=json café.utp
want_rc 1
want_json_diags
want_json 1 '.file == "café.utp"'
utc --check --diagnostics=json "$(printf 'bad\xff.utp')"
want_rc 1
want_json_diags
want_json 1 '.file == "bad\ufffd.utp"'
end

# ================================================================ --test

begin "--test: the spec example's cases all pass"
utc --test "$TD/spec-example.cases" "$TD/spec-example.utp"
want_rc 0
want_last_line out "$(grep -cvE '^[[:space:]]*(#|$)' "$TD/spec-example.cases") passed, 0 failed"
end

begin "--test: a wrong verdict fails with exit 1 and names the case"
write wrong.cases <<'EOF'
deny tcp 192.0.2.1:1234 -> 10.0.0.1:80
allow tcp 192.0.2.1:1234 -> 10.0.0.1:80
EOF
utc --test wrong.cases "$TD/spec-example.utp"
want_rc 1
want_last_line out "1 passed, 1 failed"
grep -q 'wrong\.cases:2' "$S/out" "$S/err" || problem "the failing case (wrong.cases:2) is not named"
end

begin "--test: a missing case file is exit 2"
utc --test nosuch.cases "$TD/spec-example.utp"
want_rc 2
want_line err "nosuch\.cases"
end

begin "--test on a policy with errors: exit 1, no cases run"
utc --test "$TD/spec-example.cases" sema3.utp
want_rc 1
want_no_line out 'passed'
end

# ================================================================ hostile input

begin "binary garbage: rejected, never a crash"
awk 'BEGIN { x = 42; for (i = 0; i < 4096; i++) { x = (x * 48271) % 2147483647; printf "%c", 1 + x % 255 } }' |
	write garbage.utp
utc --check garbage.utp
want_rc 1 2
want_nonempty err
end

begin "10 MB of garbage: rejected within the time limit, bounded output"
awk 'BEGIN { x = 7; for (i = 0; i < 10 * 1024 * 1024 / 64; i++) { s = "";
	for (j = 0; j < 64; j++) { x = (x * 48271) % 2147483647; s = s sprintf("%c", 1 + x % 255) }
	printf "%s", s } }' | write big-garbage.utp
utc --check big-garbage.utp
want_rc 1 2
want_nonempty err
want_size_below err 1000000
end

begin "NUL bytes: rejected, never a crash"
printf 'policy p {\n    deny tcp\0 to port 80\n}\n' | write nul.utp
utc --check nul.utp
want_rc 1
want_nonempty err
end

begin "100000 nested braces: rejected, never a crash"
{
	printf 'policy p '
	head -c 100000 /dev/zero | tr '\0' '{'
	printf '\n'
} | write braces.utp
utc --check braces.utp
want_rc 1 2
want_nonempty err
end

begin "100000 nested braces in an address list: rejected"
{
	printf 'policy p {\n    deny from '
	head -c 100000 /dev/zero | tr '\0' '{'
	printf ' 10.0.0.1\n}\n'
} | write braces2.utp
utc --check braces2.utp
want_rc 1 2
want_nonempty err
end

begin "100000 'not's: rejected, never a crash"
{
	printf 'policy p {\n    deny from '
	for ((i = 0; i < 1000; i++)); do printf 'not not not not not not not not not not '; done
	printf '10.0.0.1\n}\n'
} | write nots.utp
utc --check nots.utp
want_rc 1 2
want_nonempty err
end

begin "a flood of errors stops at a bound"
for ((i = 0; i < 20000; i++)); do echo "policy p$i { deny bogus$i }"; done | write flood.utp
utc --check flood.utp
want_rc 1
c=$(grep -c ': error: ' "$S/err" || true)
((c >= 1 && c <= 1000)) || problem "$c errors printed, want between 1 and 1000"
want_size_below err 1000000
end

begin "a 1 MB line: rejected, the echoed source line is bounded"
{
	printf 'policy p {\n    deny '
	head -c 1000000 /dev/zero | tr '\0' 'x'
	printf '\n}\n'
} | write longline.utp
utc --check longline.utp
want_rc 1
want_size_below err 100000
end

begin "a number of 5000 digits: an error, not an overflow"
{
	printf 'policy p {\n    deny tcp to port '
	head -c 5000 /dev/zero | tr '\0' '9'
	printf '\n}\n'
} | write digits.utp
utc --check digits.utp
want_rc 1
want_diag_at digits.utp 2 error
end

begin "linear code: each family opens with the prefix that holds every rule's source"
write guard.utp <<'EOF'
policy p {
    deny udp from 10.1.2.0/24 to port 53
    allow tcp from { 10.1.3.7, 2001:db8:1::/48 } to port 22
    deny from 2001:db8:2::/48
}
EOF
utc --check --strategy=linear --dump=c guard.utp
want_rc 0
want_count out 'No rule below matches a src address outside 10\.1\.2\.0/23\.' 1
want_count out 'No rule below matches a src address outside 2001:db8::/46\.' 1
end

begin "linear code: no guard on a field some rule leaves open, negates or takes from a set"
write noguard.utp <<'EOF'
set friends { 10.9.0.0/16 }
policy p {
    deny udp from 10.1.2.0/24 to port 53
    deny tcp to port 25
    allow from not 10.2.0.0/16 to 10.3.0.0/16
    allow from @friends to 10.3.1.0/24
}
EOF
utc --check --strategy=linear --dump=c noguard.utp
want_rc 0
want_no_line out 'src address outside'
want_no_line out 'dst address outside'
end

begin "linear code: the guard takes the destination when only it is confined"
write dstguard.utp <<'EOF'
policy p {
    allow from not 10.2.0.0/16 to 192.0.2.0/25
    allow tcp to 192.0.2.128/25 port 443
}
EOF
utc --check --strategy=linear --dump=c dstguard.utp
want_rc 0
want_count out 'No rule below matches a dst address outside 192\.0\.2\.0/24\.' 1
want_no_line out 'src address outside'
end

for f in "$TD"/bogons/*; do
	begin "bogon ${f#"$TD"/} is rejected (exit 1)"
	utc --check "$f"
	want_rc 1
	want_nonempty err
	end
done

# shellcheck source=tests/cli/incomplete.sh
source "$root/tests/cli/incomplete.sh"

echo "$passed passed, $failed failed"
((failed == 0))
