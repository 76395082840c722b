#!/usr/bin/env bash
# Fuzz the front end, then check that every known bogon is rejected cleanly.
#
#   bash tests/fuzz/run.sh FUZZ_BIN UNTRACKC
#
# FUZZ_SECONDS (default 60) bounds the fuzzing run; 0 skips it. The corpus
# starts from testdata/*.utp and testdata/bogons/* in a temporary folder, so
# the tree is never written to, except that a crashing input is saved into
# testdata/bogons/ for the developer to commit.
set -euo pipefail

if (($# != 2)); then
	echo "usage: $0 FUZZ_BIN UNTRACKC" >&2
	exit 2
fi
fuzz_bin=$1
untrackc=$2
seconds=${FUZZ_SECONDS:-60}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bogons=$root/testdata/bogons

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# ---------------------------------------------------------------- fuzzing
if ((seconds > 0)); then
	mkdir -p "$work/corpus" "$work/artifacts"
	shopt -s nullglob
	for f in "$root"/testdata/*.utp "$bogons"/*; do
		cp "$f" "$work/corpus/"
	done
	shopt -u nullglob
	echo "fuzz: $fuzz_bin for ${seconds}s ($(find "$work/corpus" -type f | wc -l) seeds)"
	rc=0
	ASAN_OPTIONS=detect_leaks=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		"$fuzz_bin" -max_total_time="$seconds" -max_len=4096 -timeout=5 \
		-rss_limit_mb=2048 -print_final_stats=1 \
		-dict="$root/tests/fuzz/utp.dict" \
		-artifact_prefix="$work/artifacts/" \
		"$work/corpus" >"$work/log" 2>&1 || rc=$?

	shopt -s nullglob
	found=("$work"/artifacts/*)
	shopt -u nullglob
	if ((rc != 0 || ${#found[@]} > 0)); then
		tail -n 60 "$work/log" >&2
		mkdir -p "$bogons"
		for a in "${found[@]}"; do
			cp "$a" "$bogons/$(basename "$a").utp"
			echo "fuzz: saved testdata/bogons/$(basename "$a").utp" >&2
			# A CI log is all that is left of a CI machine's tree.
			echo "fuzz: its bytes, for 'base64 -d >testdata/bogons/$(basename "$a").utp':" >&2
			base64 "$a" >&2
		done
		echo "fuzz: FAILED (libFuzzer exit $rc)." >&2
		if ((${#found[@]} > 0)); then
			cat >&2 <<-EOF
				fuzz: the inputs above are saved in testdata/bogons/. Reproduce with
				fuzz:   $fuzz_bin testdata/bogons/NAME
				fuzz: fix the bug, then commit them: from then on they are checked on
				fuzz: every run. An input that is a valid policy once fixed belongs in
				fuzz: testdata/ (as a seed) instead: bogons must be rejected.
			EOF
		fi
		exit 1
	fi
	grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+[[:space:]]+DONE)' \
		"$work/log" | sed 's/^/fuzz: /' || true
	echo "fuzz: no crash"
fi

# ---------------------------------------------------------------- bogons
# Every bogon must be rejected as a bad policy: exit status exactly 1, a
# message on stderr, no sanitizer report, no hang.
passed=0
failed=0
shopt -s nullglob
for f in "$bogons"/*; do
	rc=0
	timeout -k 5 20 "$untrackc" --check "$f" </dev/null >"$work/out" 2>"$work/err" || rc=$?
	name=${f#"$root"/}
	if ((rc == 1)) && [[ -s $work/err ]] &&
		! grep -qE 'Sanitizer|runtime error:' "$work/err"; then
		passed=$((passed + 1))
		echo "ok   $name"
	else
		failed=$((failed + 1))
		echo "FAIL $name: exit $rc (want 1)$([[ $rc == 124 ]] && echo ', timed out')"
		head -c 2000 "$work/err" | sed 's/^/     | /'
	fi
done
shopt -u nullglob
echo "bogons: $passed passed, $failed failed"
((failed == 0))
