#!/usr/bin/env bash
# Time `untrackc --check` on large generated policies: best of 3 runs, wall
# time and peak RSS. A benchmark that prints numbers, not a test.
#
#   bash scripts/bench-check.sh [UNTRACKC] [N]      defaults: build/untrackc 100000
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
untrackc=${1:-$root/build/untrackc}
n=${2:-100000}
runs=3

if [[ ! -x $untrackc ]]; then
	echo "bench-check: no $untrackc (run make first)" >&2
	exit 2
fi
gnu_time=
if [[ -x /usr/bin/time ]]; then
	gnu_time=/usr/bin/time
else
	echo "bench-check: /usr/bin/time missing (package 'time'): no peak RSS" >&2
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# One run: prints "SECONDS KIB" (KIB is "-" without GNU time).
run_once()
{
	local file=$1 rc=0 start end
	if [[ -n $gnu_time ]]; then
		$gnu_time -o "$work/time" -f '%e %M' "$untrackc" --check "$file" \
			>/dev/null 2>"$work/err" || rc=$?
	else
		start=$(date +%s.%N)
		"$untrackc" --check "$file" >/dev/null 2>"$work/err" || rc=$?
		end=$(date +%s.%N)
		awk -v s="$start" -v e="$end" 'BEGIN { printf "%.2f -\n", e - s }' >"$work/time"
	fi
	if ((rc != 0)); then
		echo "bench-check: untrackc --check $file exited $rc:" >&2
		head -n 20 "$work/err" >&2
		exit 1
	fi
	tail -n 1 "$work/time"
}

bench()
{
	local label=$1 file=$2 best='' best_rss='' t rss
	for ((i = 0; i < runs; i++)); do
		read -r t rss < <(run_once "$file")
		if [[ -z $best ]] || awk -v a="$t" -v b="$best" 'BEGIN { exit !(a < b) }'; then
			best=$t
			best_rss=$rss
		fi
	done
	if [[ $best_rss != - ]]; then
		best_rss="$((best_rss / 1024)) MiB"
	fi
	printf '%-28s %9s KiB  %8s s  %10s\n' "$label" "$(($(wc -c <"$file") / 1024))" "$best" \
		"$best_rss"
}

echo "untrackc --check, best of $runs ($untrackc)"
printf '%-28s %13s  %10s  %10s\n' "input" "size" "wall" "peak RSS"
bash "$root/scripts/gen-policy.sh" "$n" >"$work/rules.utp"
bench "$n rules" "$work/rules.utp"
bash "$root/scripts/gen-policy.sh" --set "$n" >"$work/set.utp"
bench "one set of $n prefixes" "$work/set.utp"
