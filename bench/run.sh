#!/usr/bin/env bash
# make bench: untrack's per-packet cost at 1 to 10,000 rules and with sets of
# 10 to 100,000 prefixes, against a bare XDP_DROP program, a parse-only
# program and xdp-filter, all measured in one process (build/bench/untrack-bench);
# plus untrackc's wall time and peak memory and the verifier's statistics.
#
# Writes build/bench/results.md, results.csv, raw.csv and ns_per_packet.png,
# and prints results.md. docs/performance.md explains the figures.
#
# Environment: BENCH_REPEAT (runs per timed call, default 1000000),
# BENCH_CALLS (timed calls per figure, the median is kept; default 9),
# BENCH_COMPILES (untrackc runs per policy, the fastest is kept; default 3),
# XDP_FILTER_OBJ (xdp-filter's xdpfilt_alw_all.o; found with dpkg otherwise).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$root/build
out=$build/bench
work=$out/work
untrackc=$build/untrackc
tool=$out/untrack-bench
anchors=$out/anchors.bpf.o
repeat=${BENCH_REPEAT:-1000000}
calls=${BENCH_CALLS:-9}
compiles=${BENCH_COMPILES:-3}

die() { echo "bench: $*" >&2; exit 1; }

[[ -x $untrackc && -x $tool && -f $anchors ]] || die "run 'make bench' (tools missing)"
[[ -x /usr/bin/time ]] || die "/usr/bin/time missing (Debian package 'time')"
if [[ $(id -u) != 0 ]]; then
	die "needs root (BPF_PROG_TEST_RUN)"
fi
export UNTRACK_RUNTIME=${UNTRACK_RUNTIME:-$build/runtime/untrack_runtime.bpf.o}

# xdp-filter's program for "allow by default, drop what the maps list",
# from Debian's xdp-tools (the object ships in libxdp1 on Debian 12).
xdpfilt=${XDP_FILTER_OBJ:-}
if [[ -z $xdpfilt ]]; then
	for pkg in xdp-tools libxdp1; do
		xdpfilt=$(dpkg -L "$pkg" 2>/dev/null | grep '/xdpfilt_alw_all\.o$' | head -n 1 || true)
		[[ -n $xdpfilt ]] && break
	done
fi
if [[ -z $xdpfilt ]]; then
	for f in /usr/lib/*/bpf/xdpfilt_alw_all.o /usr/lib/bpf/xdpfilt_alw_all.o; do
		if [[ -f $f ]]; then
			xdpfilt=$f
			break
		fi
	done
fi
[[ -n $xdpfilt && -f $xdpfilt ]] ||
	die "xdp-filter's xdpfilt_alw_all.o not found: install xdp-tools (or set XDP_FILTER_OBJ)"

rm -rf "$work"
mkdir -p "$work"

# ---------------------------------------------------------------- policies
# label kind n strategy generator-args
cases=(
	"r1 rules 1 auto 1"
	"r10 rules 10 auto 10"
	"r100 rules 100 auto 100"
	"r1000 rules 1000 auto 1000"
	"r10000 rules 10000 auto 10000"
	"s10 set 10 auto --set 10"
	"s1000 set 1000 auto --set 1000"
	"s100000 set 100000 auto --set 100000"
	"r10-table rules 10 table 10"
	"r100-linear rules 100 linear 100"
	"r1000-linear rules 1000 linear 1000"
)

compile_csv=$work/compile.csv
: >"$compile_csv"
args=()
for c in "${cases[@]}"; do
	read -r label kind n strategy gen <<<"$c"
	utp=$work/$label.utp
	obj=$work/$label.o
	# shellcheck disable=SC2086
	bash "$root/scripts/gen-policy.sh" $gen >"$utp"
	best_wall='' best_cpu='' best_rss=''
	for ((i = 0; i < compiles; i++)); do
		/usr/bin/time -o "$work/time" -f '%e %U %S %M' \
			"$untrackc" -w --strategy="$strategy" "$utp" -o "$obj" 2>"$work/err" ||
			{ cat "$work/err" >&2; die "untrackc failed on $label"; }
		read -r wall user sys rss <"$work/time"
		if [[ -z $best_wall ]] || awk -v a="$wall" -v b="$best_wall" 'BEGIN { exit !(a < b) }'; then
			best_wall=$wall
			best_cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
			best_rss=$rss
		fi
	done
	chosen=$("$untrackc" -w --strategy="$strategy" --dump=ir "$utp" |
		sed -n 's/^# strategy: \([a-z]*\).*/\1/p')
	printf '%s,%s,%s,%s,%s,%s,%s\n' "$label" "$kind" "$n" "$chosen" "$best_wall" "$best_cpu" \
		"$best_rss" >>"$compile_csv"
	args+=("$label,$kind,$n,$utp,$obj")
done

# ---------------------------------------------------------------- kernel
raw=$out/raw.csv
"$tool" --anchors "$anchors" --xdp-filter "$xdpfilt" --repeat "$repeat" --calls "$calls" \
	--out "$raw" "${args[@]}" 2>"$work/bench.err" ||
	{ grep -v '^[0-9]*: \|^;' "$work/bench.err" | tail -n 20 >&2; die "untrack-bench failed"; }

# ---------------------------------------------------------------- tables
csv=$out/results.csv
md=$out/results.md
awk -F, -v compile="$compile_csv" -v csv="$csv" -v md="$md" -v repeat="$repeat" -v calls="$calls" \
	-v xdpfilt="$xdpfilt" -v kernel="$(uname -r)" -v cpu="$(nproc)" '
function v(label, metric) { return (label SUBSEP metric) in val ? val[label, metric] : "" }
function ratio(a, b) { return (a == "" || b == "" || b == 0) ? "" : sprintf("%.2f", a / b) }
function mx(a, b) { return a == "" ? b : b == "" ? a : (a + 0 > b + 0 ? a : b) }
function verdict(x, limit) { return x == "" ? "n/a" : (x + 0 <= limit ? "**met**" : "**missed**") }
BEGIN {
	while ((getline line < compile) > 0) {
		split(line, f, ",")
		order[++ncase] = f[1]; kind[f[1]] = f[2]; n[f[1]] = f[3]; strat[f[1]] = f[4]
		wall[f[1]] = f[5]; cpu_s[f[1]] = f[6]; rss[f[1]] = f[7]
	}
}
{ val[$1, $4] = $5 }
END {
	drop = v("anchor", "xdp_drop_ns_mean"); parse = v("anchor", "parse_only_ns_mean")
	mainonly = v("anchor", "main_only_ns_mean")
	r10 = mx(v("r10", "untrack_none_ns_mean"), v("r10", "untrack_far_ns_mean"))
	print "case,kind,n,strategy,first_ns,last_ns,none_ns,far_ns,worst_nomatch_ns," \
	      "xdpfilter_hit_ns,xdpfilter_miss_ns,vs_xdpfilter,vs_xdp_drop,vs_10_rules," \
	      "untrackc_wall_s,untrackc_cpu_s,untrackc_peak_mib,verified_insns,xlated_bytes," \
	      "jited_bytes,load_ms" > csv
	printf "anchor,anchor,0,,,,,,,,,,,,,,,,,,\n" > csv
	printf "xdp_drop,anchor,0,,,,%s,,,,,,,,,,,,,,\n", drop > csv
	printf "parse_only,anchor,0,,,,%s,,,,,,,,,,,,,,\n", parse > csv
	printf "untrack_main_only,anchor,0,,,,%s,,,,,,,,,,,,,,\n", mainonly > csv

	print "# untrack benchmark" > md
	print "" > md
	printf "Kernel %s, %s CPUs, BPF_PROG_TEST_RUN: ns per packet, the mean of the middle half of %s calls of %s runs each.\n", kernel, cpu, calls, repeat > md
	printf "xdp-filter: `%s` with the same entries (every rule source prefix or set prefix as an exact address).\n\n", xdpfilt > md
	printf "Anchors: bare XDP_DROP **%.1f ns**, parse-only program **%.1f ns**, untrack_main with no policy **%.1f ns**.\n\n", drop, parse, mainonly > md
	print "| case | strategy | first | last | no match (near) | no match (far) | xdp-filter hit / miss | ×xdp-filter | ×XDP_DROP | ×10 rules | untrackc s (cpu) | peak MiB | verifier insns | xlated B |" > md
	print "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|" > md
	for (i = 1; i <= ncase; i++) {
		c = order[i]
		first = v(c, "untrack_first_ns_mean"); last = v(c, "untrack_last_ns_mean")
		none = v(c, "untrack_none_ns_mean"); far = v(c, "untrack_far_ns_mean")
		worst = mx(none, far)
		xhit = v(c, "xdpfilter_first_ns_mean"); xmiss = v(c, "xdpfilter_far_ns_mean")
		rx = ratio(worst, xmiss); rd = ratio(worst, drop); r1 = ratio(worst, r10)
		printf "%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%.1f,%s,%s,%s,%s\n", c, kind[c], n[c], strat[c], first, last, none, far, worst, xhit, xmiss, rx, rd, r1, wall[c], cpu_s[c], rss[c] / 1024, v(c, "verified_insns"), v(c, "xlated_bytes"), v(c, "jited_bytes"), v(c, "load_ms") > csv
		printf "| %s %s | %s | %.1f | %.1f | %.1f | %.1f | %.1f / %.1f | %s | %s | %s | %s (%s) | %.0f | %d | %d |\n", n[c], (kind[c] == "set" ? "prefixes in a set" : "rules"), strat[c], first, last, none, far, xhit, xmiss, rx, rd, r1, wall[c], cpu_s[c], rss[c] / 1024, v(c, "verified_insns"), v(c, "xlated_bytes") > md
		W[c] = worst; X[c] = xmiss
	}
	print "" > md
	print "Ratios use the worse of the two no-match packets (the issue'"'"'s worst case) against xdp-filter'"'"'s miss and the anchors of the same run." > md
	print "\"near\": the last rule'"'"'s packet with another port or protocol (the classifier finds candidates and rejects them); \"far\": an address no rule names." > md
	print "" > md
	print "## Targets (issue 6)" > md
	print "" > md
	print "| target | measured | |" > md
	print "|---|---|---|" > md
	printf "| 10 rules ≤ 0.3 × xdp-filter | %.1f / %.1f = %s | %s |\n", W["r10"], X["r10"], ratio(W["r10"], X["r10"]), verdict(ratio(W["r10"], X["r10"]), 0.3) > md
	printf "| 10 rules ≤ 2 × bare XDP_DROP | %.1f / %.1f = %s | %s |\n", W["r10"], drop, ratio(W["r10"], drop), verdict(ratio(W["r10"], drop), 2) > md
	printf "| 10,000 rules ≤ 1.0 × xdp-filter | %.1f / %.1f = %s | %s |\n", W["r10000"], X["r10000"], ratio(W["r10000"], X["r10000"]), verdict(ratio(W["r10000"], X["r10000"]), 1) > md
	printf "| 10,000 rules ≤ 2 × untrack at 10 rules | %.1f / %.1f = %s | %s |\n", W["r10000"], r10, ratio(W["r10000"], r10), verdict(ratio(W["r10000"], r10), 2) > md
	printf "| 100,000-prefix set ≤ 1.0 × xdp-filter | %.1f / %.1f = %s | %s |\n", W["s100000"], X["s100000"], ratio(W["s100000"], X["s100000"]), verdict(ratio(W["s100000"], X["s100000"]), 1) > md
	printf "| verifier accepts 10,000 rules and a 100,000-prefix set | %d and %d instructions processed | **met** |\n", v("r10000", "verified_insns"), v("s100000", "verified_insns") > md
	printf "| untrackc on 10,000 rules ≤ 2 s wall | %s s (%s s CPU) | %s |\n", wall["r10000"], cpu_s["r10000"], verdict(wall["r10000"], 2) > md
	printf "| untrackc on 10,000 rules ≤ 200 MB peak (clang included) | %.0f MiB | %s |\n", rss["r10000"] / 1024, verdict(rss["r10000"] / 1024 * 1.048576, 200) > md
}' "$raw"

# ---------------------------------------------------------------- plot
plot=$out/ns_per_packet.png
if command -v gnuplot >/dev/null; then
	grep ',rules,' "$csv" | grep -v -- '-linear\|-table' | awk -F, '{ print $3, $9, $5, $11 }' >"$work/rules.dat"
	grep ',set,' "$csv" | awk -F, '{ print $3, $9, $11 }' >"$work/sets.dat"
	drop=$(awk -F, '$1 == "xdp_drop" { print $7 }' "$csv")
	parse=$(awk -F, '$1 == "parse_only" { print $7 }' "$csv")
	gnuplot <<EOF || echo "bench: gnuplot failed; no plot" >&2
set terminal pngcairo size 900,560 noenhanced
set output "$plot"
set title "ns per packet (BPF_PROG_TEST_RUN, mean of the middle half of $calls calls x $repeat runs)"
set xlabel "rules, or prefixes in one set"
set ylabel "ns per packet"
set logscale x
set logscale y
set yrange [1:200]
set key top left
set grid
plot "$work/rules.dat" using 1:2 with linespoints lw 2 title "untrack, rules, no match (worst)", \
     "$work/rules.dat" using 1:3 with linespoints title "untrack, rules, first rule", \
     "$work/rules.dat" using 1:4 with linespoints dt 2 title "xdp-filter, same entries, miss", \
     "$work/sets.dat" using 1:2 with linespoints lw 2 title "untrack, one set, no match", \
     "$work/sets.dat" using 1:3 with linespoints dt 2 title "xdp-filter, set entries, miss", \
     $drop with lines dt 3 title "bare XDP_DROP", \
     $parse with lines dt 4 title "parse-only"
EOF
else
	echo "bench: gnuplot not installed; no plot" >&2
fi

cat "$md"
echo
echo "bench: wrote $md, $csv, $raw${plot:+ and $plot}"
