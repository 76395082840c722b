#!/usr/bin/env bash
# The back end proven in the kernel: policies compiled by untrackc, loaded by
# `untrack replay` (verifier included) and run on captures with
# BPF_PROG_TEST_RUN, compared packet by packet with the reference evaluator.
#
#   bash tests/replay/run.sh            (make replay-test does this)
#
# Needs root and BPF. Without them the suite is skipped, except under
# CI=true, where it fails. One line per test, then "N passed, M failed";
# exit status 1 on any failure. Environment: UNTRACKC, UNTRACK, CASES2PCAP
# override the binaries under build/.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
UNTRACKC=$(realpath -m "${UNTRACKC:-$root/build/untrackc}")
UNTRACK=$(realpath -m "${UNTRACK:-$root/build/untrack}")
CASES2PCAP=$(realpath -m "${CASES2PCAP:-$root/build/tools/cases2pcap}")
RUNTIME=$root/build/runtime/untrack_runtime.bpf.o
TAILCALLS=$root/tests/kernel/check_tailcalls.sh
TD=$root/testdata
export LC_ALL=C

SUITE=replay-test
# shellcheck source=tests/replay/lib.sh
source "$root/tests/replay/lib.sh"

need_root "the kernel tests need BPF"
need_built "$UNTRACKC" "$UNTRACK" "$CASES2PCAP"
need_tools jq llvm-objcopy llvm-readelf llvm-objdump timeout

scratch_dir S
echo "replay: $UNTRACKC, $UNTRACK"

# ---------------------------------------------------------------- helpers

# tailcalls OBJ: every tail call of the object has a constant key, once.
tailcalls()
{
	local out
	if ! out=$(bash "$TAILCALLS" "$1" 2>&1); then
		problem "check_tailcalls: $(tr '\n' ' ' <<<"$out")"
	fi
}

# The exact shape of one line of `untrack replay --json`.
JSON_LINE='^\{"packet": [0-9]+, "verdict": "(allow|deny|pass|none)", "xdp": "(pass|drop)", "untracked": (true|false), "rule": (\{"policy": "[^"\\]*", "line": [0-9]+\}|null)(, "ns": [0-9]+)?\}$'

# compare EXPECTED GOT: the kernel's verdicts (GOT, untrack replay --json)
# against the reference's (EXPECTED, from cases2pcap): same packets, same
# verdicts and deciding rules, and xdp/untracked as the verdict implies.
compare()
{
	local expected=$1 got=$2 bad
	bad=$(grep -cvE "$JSON_LINE" "$got" || true)
	if ((bad)); then
		problem "$bad lines of replay output are not in the --json format, e.g.: $(grep -vE "$JSON_LINE" "$got" | head -n 1)"
		return 0
	fi
	if ! bad=$(jq -nr --slurpfile e "$expected" --slurpfile g "$got" '
		if ($e | length) != ($g | length) then
			"the reference has \($e | length) packets, the kernel \($g | length)"
		else
			range(0; $e | length) as $i | $e[$i] as $x | $g[$i] as $y
			| (if $x.verdict == "deny" then "drop" else "pass" end) as $xdp
			| select($x.packet != $y.packet or $x.verdict != $y.verdict or
				 $x.rule != $y.rule or $y.xdp != $xdp or
				 $y.untracked != ($x.verdict == "allow"))
			| "packet \($x.packet): reference \($x | tojson), kernel \($y | tojson)"
		end' 2>&1); then
		problem "jq failed: $bad"
		return 0
	fi
	if [[ -n $bad ]]; then
		problem "$(wc -l <<<"$bad") packets differ from the reference:"
		while IFS= read -r l; do
			problem "  $l"
		done < <(head -n 10 <<<"$bad")
	fi
}

# replay_cases NAME UTP CASES OBJ: cases → capture + reference verdicts →
# untrack replay → compare. Leaves $S/NAME.pcap and $S/NAME.expected.
replay_cases()
{
	local name=$1 utp=$2 cases=$3 obj=$4
	run "$CASES2PCAP" "$cases" "$utp" "$S/$name.pcap" "$S/$name.expected"
	if ((RC != 0)); then
		problem "cases2pcap failed with status $RC"
		return 0
	fi
	run "$UNTRACK" replay --json "$obj" "$S/$name.pcap"
	if ((RC != 0)); then
		problem "untrack replay failed with status $RC"
		return 0
	fi
	if [[ ! -s $S/$name.expected ]]; then
		problem "no ingress packets to replay"
		return 0
	fi
	cp "$S/out" "$S/$name.got"
	compare "$S/$name.expected" "$S/$name.got"
}

# ---------------------------------------------------------------- testdata

# Every code generation strategy untrackc --help names ('auto' first: the
# default, compiled without --strategy into NAME.o).
mapfile -t strategies < <("$UNTRACKC" --help |
	awk '/--strategy/ { on = 1 } on && /^ *-/ && !/--strategy/ { on = 0 } on' |
	grep -oE "'[a-z][a-z0-9_-]*'" | tr -d "'" | grep -vx auto | sort -u)
strategies=(auto "${strategies[@]}")
echo "replay: strategies: ${strategies[*]}"
if ((${#strategies[@]} < 2)); then
	begin "untrackc --help names its strategies"
	problem "no strategy besides 'auto' found in untrackc --help"
	end
fi

# compile_strategy UTP STRATEGY OBJ: untrackc with that strategy (auto: the
# default, no option).
compile_strategy()
{
	if [[ $2 == auto ]]; then
		run "$UNTRACKC" "$1" -o "$3"
	else
		run "$UNTRACKC" --strategy="$2" "$1" -o "$3"
	fi
}

shopt -s nullglob
ncases=0
for cases in "$TD"/*.cases; do
	utp=${cases%.cases}.utp
	name=$(basename "${cases%.cases}")
	[[ -f $utp ]] || continue
	ncases=$((ncases + 1))

	begin "$name: untrackc --test passes"
	run "$UNTRACKC" --test "$cases" "$utp"
	want_rc 0
	want_line out '^[0-9]+ passed, 0 failed$'
	end

	for strat in "${strategies[@]}"; do
		tag=$name
		[[ $strat == auto ]] || tag=$name.$strat
		begin "$name ($strat): compiles, one constant tail call per slot, kernel = reference"
		compile_strategy "$utp" "$strat" "$S/$tag.o"
		want_rc 0
		if [[ -s $S/$tag.o ]]; then
			tailcalls "$S/$tag.o"
			replay_cases "$tag" "$utp" "$cases" "$S/$tag.o"
			current+=": $(wc -l <"$S/$tag.expected" 2>/dev/null || echo 0) packets"
		else
			problem "no object written"
		fi
		end
	done
done
shopt -u nullglob
if ((ncases < 2)); then
	begin "testdata has case files"
	problem "only $ncases testdata/*.utp with a .cases file"
	end
fi

begin "spec-example: --repeat adds the mean ns, text mode prints every packet"
if [[ -s $S/spec-example.o && -s $S/spec-example.pcap ]]; then
	run "$UNTRACK" replay --json --repeat 3 "$S/spec-example.o" "$S/spec-example.pcap"
	want_rc 0
	if [[ $(grep -cE "$JSON_LINE" "$S/out") != "$(wc -l <"$S/spec-example.expected")" ]] ||
		! jq -se 'all(has("ns") and (.ns | type == "number"))' "$S/out" >/dev/null; then
		problem "not one JSON line with \"ns\" per packet"
	fi
	run "$UNTRACK" replay "$S/spec-example.o" "$S/spec-example.pcap"
	want_rc 0
	n=$(grep -cE '^packet [0-9]+: (allow|deny|pass|none) ' "$S/out" || true)
	[[ $n == "$(wc -l <"$S/spec-example.expected")" ]] ||
		problem "$n text lines for $(wc -l <"$S/spec-example.expected") packets"
else
	problem "spec-example did not compile"
fi
end

# ---------------------------------------------------------------- 1,000 rules

bash "$root/scripts/gen-policy.sh" --seed 7 1000 >"$S/thousand-rules.utp"
awk -f "$root/tests/replay/gen-cases.awk" "$S/thousand-rules.utp" >"$S/thousand-rules.cases" || true
mapfile -t lines < <(grep -nE '^    (allow|deny|pass) ' "$S/thousand-rules.utp" | cut -d: -f1)

begin "a generated 1,000-rule policy: its cases pass untrackc --test"
[[ -s $S/thousand-rules.cases ]] || problem "no cases generated"
run "$UNTRACKC" --test "$S/thousand-rules.cases" "$S/thousand-rules.utp"
want_rc 0
((${#lines[@]} >= 500)) || problem "only ${#lines[@]} deciding ingress rules"
end

for strat in "${strategies[@]}"; do
	begin "a generated 1,000-rule policy ($strat): compiles, verifies, first/middle/last rule and none"
	compile_strategy "$S/thousand-rules.utp" "$strat" "$S/thousand-rules.$strat.o"
	want_rc 0
	n=${#lines[@]}
	if ((RC == 0 && n > 0)); then
		tailcalls "$S/thousand-rules.$strat.o"
		replay_cases "thousand-rules.$strat" "$S/thousand-rules.utp" "$S/thousand-rules.cases" \
			"$S/thousand-rules.$strat.o"
		# The cases hold one packet per ingress rule; make sure the ends
		# and the middle are among the ones the kernel decided by their rule.
		got=$S/thousand-rules.$strat.got
		for want in "${lines[0]}" "${lines[n / 2]}" "${lines[n - 1]}"; do
			jq -se --argjson l "$want" 'any(.[]; .rule.line == $l)' "$got" >/dev/null 2>&1 ||
				problem "no packet decided by the rule on line $want"
		done
		hits=$(jq -s '[.[] | select(.rule != null)] | length' "$got" 2>/dev/null || echo 0)
		nones=$(jq -s '[.[] | select(.rule == null)] | length' "$got" 2>/dev/null || echo 0)
		current+=": $hits packets decided by their own rule, $nones by none"
		((nones >= 4)) || problem "$nones packets without a rule, want 4"
	fi
	end
done

# ---------------------------------------------------------------- hostile names

# A file name that would break a C string, a comment or a #line directive,
# and printf conversions; its folder puts '*/' into the path.
hdir="$S/hostile \"dir\" \\ x*"
hname=$'evil "quote" \\back\\slash %s%n%x ??= ??) \t tab\n#error broken out of a string\n\\.utp'
mkdir -p "$hdir"
hutp="$hdir/$hname"
cat >"$hutp" <<'EOF'
# */ /* "quotes" \ backslash ??/ trigraph
#error not a C preprocessor line
set ut_set4_0 { 192.0.2.0/24, 2001:db8:bad::/48 }   # */ #error
set LICENSE { 198.51.100.7 }
set ut_state { 203.0.113.0/24 }
policy int order 1 { deny from @ut_set4_0 }
policy untrack_policy order 2 {
    allow tcp from not @ut_state to port 80; pass from @LICENSE
}
policy ut_rule_stats order 2 { deny udp to port 53 }
policy __attribute__ { log tcp; allow icmp type 8 }
policy main order 0 { deny proto 47 }
policy SEC.x-y_ order 3 { deny sctp from port 1-2 }
policy _license order 3 { allow sctp }
EOF
cat >"$S/hostile.cases" <<'EOF'
deny @12 proto 47 10.0.0.1 -> 10.0.0.2
deny @6 tcp 192.0.2.1:1 -> 10.0.0.2:80
deny @6 udp [2001:db8:bad::1]:1 -> [2001:db8::2]:80
allow @8 tcp 10.0.0.1:1 -> 10.0.0.2:80
none tcp 203.0.113.5:1 -> 10.0.0.2:80
pass @8 udp 198.51.100.7:1 -> 10.0.0.2:80
deny @10 udp 10.0.0.1:1 -> 10.0.0.2:53
deny @13 sctp 10.0.0.1:2 -> 10.0.0.2:53
allow @14 sctp 10.0.0.1:3 -> 10.0.0.2:53
none tcp 10.0.0.1:1 -> 10.0.0.2:81
allow @11 icmp 10.0.0.1 -> 10.0.0.2 type 8
EOF

begin "hostile names: the case file passes untrackc --test"
run "$UNTRACKC" --test "$S/hostile.cases" "$hutp"
want_rc 0
end

for strat in "${strategies[@]}"; do
	begin "hostile file, policy and set names ($strat): compile, stay inside the C strings, replay right"
	hout="$hdir/out \"o\" \\ $strat"$'\n'".o"
	opt=()
	[[ $strat == auto ]] || opt=(--strategy="$strat")
	run "$UNTRACKC" "${opt[@]}" "$hutp" -o "$hout" --emit-c "$S/hostile.c"
	want_rc 0
	if ((RC == 0)); then
		grep -qE '^[[:space:]]*#[[:space:]]*error' "$S/hostile.c" &&
			problem "the generated C has an #error line"
		tailcalls "$hout"
		replay_cases "hostile.$strat" "$hutp" "$S/hostile.cases" "$hout"
		# The object names its source exactly (objmeta escapes \, TAB,
		# newline).
		esc=${hutp//\\/\\\\}
		esc=${esc//$'\t'/\\t}
		esc=${esc//$'\n'/\\n}
		rm -f "$S/hostile.meta"
		if llvm-objcopy --dump-section ".untrack.meta=$S/hostile.meta" "$hout" \
			"$S/scratch.o" 2>"$S/err"; then
			grep -qFx "source	$esc" "$S/hostile.meta" ||
				problem "the metadata's source record is not the escaped file name"
			for p in int untrack_policy ut_rule_stats __attribute__ main SEC.x-y_ _license; do
				grep -qE "^policy	[0-9]+	${p//./\\.}	" "$S/hostile.meta" ||
					problem "no metadata record of policy '$p'"
			done
		else
			problem "no .untrack.meta section"
		fi
		want_no_temp "$hdir"
	fi
	end
done

# ---------------------------------------------------------------- atomic output

A=$S/atomic
mkdir -p "$A"
# A clang that writes a partial object where it was told to, then fails.
cat >"$A/partial-clang" <<'EOF'
#!/bin/sh
while [ $# -gt 0 ]; do
	if [ "$1" = -o ]; then
		echo "half an object" >"$2"
	fi
	shift
done
exit 1
EOF
# A clang killed by a signal.
printf '#!/bin/sh\nkill -9 $$\n' >"$A/killed-clang"
chmod +x "$A/partial-clang" "$A/killed-clang"

for clang in /bin/false /nonexistent/clang "$A/partial-clang" "$A/killed-clang"; do
	begin "clang '${clang##*/}' fails: exit 2, a clear message, no object, no temp file"
	run "$UNTRACKC" --clang "$clang" "$TD/spec-example.utp" -o "$A/p.o"
	want_rc 2
	want_line err '^untrackc: error: .+'
	if [[ $clang == /nonexistent/* ]]; then
		want_line err 'not found'
	fi
	want_absent "$A/p.o"
	want_no_temp "$A"
	end
done

begin "no clang in PATH or \$CLANG: exit 2, says how to fix it, no object"
run env -u CLANG PATH=/nonexistent "$UNTRACKC" "$TD/spec-example.utp" -o "$A/p.o"
want_rc 2
want_line err '^untrackc: error: .*clang.*'
want_absent "$A/p.o"
want_no_temp "$A"
run env CLANG=/nonexistent/clang "$UNTRACKC" "$TD/spec-example.utp" -o "$A/p.o"
want_rc 2
want_line err '/nonexistent/clang'
want_absent "$A/p.o"
want_no_temp "$A"
end

begin "a failed compile leaves an existing object untouched"
echo "the object of a previous good build" >"$A/keep.o"
cp "$A/keep.o" "$A/keep.orig"
for clang in /bin/false /nonexistent/clang "$A/partial-clang"; do
	run "$UNTRACKC" --clang "$clang" "$TD/spec-example.utp" -o "$A/keep.o"
	want_rc 2
	cmp -s "$A/keep.o" "$A/keep.orig" || problem "'$clang' changed the existing object"
done
# A policy with errors does not touch it either.
printf 'policy p {\n    deny tcp from 10.0.0.0/8 to 2001:db8::1\n}\n' >"$A/bad.utp"
run "$UNTRACKC" "$A/bad.utp" -o "$A/keep.o"
want_rc 1
cmp -s "$A/keep.o" "$A/keep.orig" || problem "a policy with errors changed the existing object"
want_no_temp "$A"
end

# clang writes a jump past the 16-bit reach cut short, without an error; the
# kernel then rejects the object. untrackc must see it in the object.
bash "$root/scripts/gen-policy.sh" --seed 3 3000 >"$A/long-linear.utp"
begin "linear code too long for BPF jumps: exit 2, says why and what to use, no object"
run "$UNTRACKC" --strategy=linear "$A/long-linear.utp" -o "$A/long.o"
want_rc 2
want_line err "^untrackc: error: the linear strategy's program cannot be loaded: section 'xdp' is [0-9]+ instructions long"
want_line err 'use --strategy=table or auto'
want_absent "$A/long.o"
want_no_temp "$A"
run "$UNTRACKC" "$A/long-linear.utp" -o "$A/long.o"
want_rc 0
[[ -s $A/long.o ]] || problem "auto wrote no object for the same policy"
end

begin "an unwritable output folder: exit 2, nothing created"
run "$UNTRACKC" "$TD/spec-example.utp" -o "$A/no-such-dir/p.o"
want_rc 2
want_line err '^untrackc: error: .+'
want_absent "$A/no-such-dir"
end

# ---------------------------------------------------------------- determinism

begin "same input twice, from two folders: byte-identical objects"
mkdir -p "$S/det1" "$S/det2"
cp "$TD/blocklist.utp" "$S/det1/policy.utp"
cp "$TD/blocklist.utp" "$S/det2/policy.utp"
(cd "$S/det1" && "$UNTRACKC" policy.utp -o a.o && "$UNTRACKC" policy.utp -o b.o) >"$S/out" 2>"$S/err" ||
	problem "compiling in det1 failed"
(cd "$S/det2" && "$UNTRACKC" policy.utp -o c.o) >>"$S/out" 2>>"$S/err" ||
	problem "compiling in det2 failed"
cmp "$S/det1/a.o" "$S/det1/b.o" >/dev/null 2>&1 || problem "two runs differ"
cmp "$S/det1/a.o" "$S/det2/c.o" >/dev/null 2>&1 || problem "two folders differ"
grep -qaE '/tmp/untrackc|untrack-replay' "$S/det1/a.o" && problem "the object names a temporary path"
end

# ---------------------------------------------------------------- replay errors

E=$S/errors
mkdir -p "$E"
# pcap file header (little endian, v2.4, snaplen 65535) with a link type.
pcap_header()
{
	printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\x00\x00'
	printf '%b' "$1"'\x00\x00\x00'
}
# pcap record header: ts 1 s, caplen = len = $1 (< 256)
pcap_record()
{
	local hex
	hex=$(printf '\\x%02x' "$1")
	printf '\x01\x00\x00\x00\x00\x00\x00\x00'
	printf '%b' "$hex"'\x00\x00\x00'"$hex"'\x00\x00\x00'
}
{
	pcap_header '\x65' # LINKTYPE_RAW: IP packets without Ethernet
	pcap_record 20
	printf '\x45\x00\x00\x14\x00\x00\x00\x00\x40\x00\x00\x00\x0a\x00\x00\x01\x0a\x00\x00\x02'
} >"$E/raw-ip.pcap"
{
	pcap_header '\x01'
	pcap_record 10
	printf '\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00'
} >"$E/short-frame.pcap"
{
	pcap_header '\x01'
	pcap_record 60
	printf '\x02\x00\x00\x00\x00\x02\x02\x00'
} >"$E/cut-record.pcap"
echo "this is not a capture" >"$E/text.pcap"
: >"$E/empty.o"
good=$S/spec-example.o
pcap=$S/spec-example.pcap

# The ABI record patched in place, same length: "abi\tN\n" with its last
# digit changed, so the object claims another ABI. Prints that ABI.
abi_patched()
{
	local obj=$1 out=$2 off size hits rec digit
	cp "$obj" "$out"
	read -r off size < <(llvm-readelf -S -W "$obj" |
		awk '{ for (i = 1; i < NF; i++) if ($i == ".untrack.meta") print $(i + 3), $(i + 4) }')
	[[ -n ${off:-} && -n ${size:-} ]] || return 1
	off=$((16#$off))
	size=$((16#$size))
	mapfile -t hits < <(grep -obUaP '^abi\t[0-9]+$' "$obj")
	((${#hits[@]} == 1)) || return 1
	rec=${hits[0]#*:}
	hits[0]=${hits[0]%%:*}
	((hits[0] >= off && hits[0] < off + size)) || return 1
	digit=${rec: -1}
	digit=$(((digit + 1) % 10))
	printf '%s' "$digit" | dd of="$out" bs=1 seek=$((hits[0] + ${#rec} - 1)) conv=notrunc status=none
	rec=${rec#abi?}
	echo "${rec%?}$digit"
}

# replay_error WHAT POLICY CAPTURE ERE: exit 1 and a clear error.
replay_error()
{
	begin "replay of $1: exit 1, 'untrack: error:'"
	run "$UNTRACK" replay --json "$2" "$3"
	want_rc 1
	want_line err "^untrack: error: .*($4)"
	want_no_line out '^\{"packet"'
	end
}

if [[ -s $good && -s $pcap ]]; then
	replay_error "a capture that does not exist" "$good" "$E/nonexistent.pcap" 'nonexistent\.pcap'
	replay_error "a file that is not a capture" "$good" "$E/text.pcap" 'text\.pcap'
	replay_error "a capture of raw IP (not Ethernet)" "$good" "$E/raw-ip.pcap" 'Ethernet|link'
	replay_error "a 10-byte frame" "$good" "$E/short-frame.pcap" '10 bytes|short|packet 1'
	replay_error "a capture cut inside a record" "$good" "$E/cut-record.pcap" 'cut-record\.pcap|truncated|damaged'
	replay_error "the runtime object as a policy" "$RUNTIME" "$pcap" 'not an untrack'
	replay_error "/bin/true as a policy" /bin/true "$pcap" 'not an untrack'
	replay_error "an empty policy file" "$E/empty.o" "$pcap" 'ELF|untrack'
	replay_error "a policy object that does not exist" "$E/nonexistent.o" "$pcap" 'nonexistent\.o'
	head -c 2000 "$good" >"$E/cut.o"
	replay_error "a policy object cut short" "$E/cut.o" "$pcap" 'cut\.o'
	if other=$(abi_patched "$good" "$E/other-abi.o"); then
		replay_error "a policy object built for another ABI ($other)" "$E/other-abi.o" "$pcap" \
			"ABI $other"
	else
		begin "replay of a policy object built for another ABI"
		problem "cannot find exactly one 'abi' record in .untrack.meta to patch"
		end
	fi
else
	begin "replay errors"
	problem "spec-example did not compile or replay: nothing to test errors with"
	end
fi

finish
