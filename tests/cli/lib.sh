# shellcheck shell=bash
# Helpers for the black-box tests of untrackc (sourced by tests/cli/run.sh),
# on top of the blocks of tests/lib/suite.sh.
#
# A test is a block:
#     begin "what it shows"
#     write bad.utp <<'EOF' ... EOF          # inputs, in the scratch folder
#     utc --check bad.utp                     # run untrackc: sets RC, out, err
#     want_rc 1
#     want_diag bad.utp 2 5 error '.*' '    drop tcp' '    ^~~~'
#     end
# Assertions never stop the script: each records a problem, and `end`
# prints one line per test with the problems under it.

# Sanitizers report with their own exit codes, never 1 or 2, so that a
# report cannot pass for a clean rejection; stderr is searched for reports too.
export ASAN_OPTIONS=detect_leaks=1:exitcode=99:halt_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=98
export LSAN_OPTIONS=exitcode=97
export LC_ALL=C

SUITE=${SUITE:-cli}
# shellcheck source=tests/lib/suite.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/suite.sh"

CLI_TIMEOUT=${CLI_TIMEOUT:-20}
RC=0
output_in_scratch

# write NAME: stdin into the scratch file NAME.
write()
{
	cat >"$S/$1"
}

# utc ARGS...: run untrackc in the scratch folder, no stdin, with a time
# limit; RC, $S/out and $S/err hold the result. Crashes, sanitizer reports
# and hangs are problems whatever the test expects.
utc()
{
	RC=0
	(cd "$S" && exec timeout -k 5 "$CLI_TIMEOUT" "$UNTRACKC" "$@") \
		</dev/null >"$S/out" 2>"$S/err" || RC=$?
	if ((RC == 124 || RC == 137)); then
		problem "timed out after ${CLI_TIMEOUT}s"
	elif ((RC >= 97 && RC <= 99)); then
		problem "sanitizer exit status $RC"
	elif ((RC > 128)); then
		problem "killed by signal $((RC - 128))"
	fi
	if grep -qE 'Sanitizer|runtime error:' "$S/err"; then
		problem "sanitizer report on stderr"
	fi
	if grep -q $'\e' "$S/err" "$S/out"; then
		problem "escape sequences in output that is not a terminal"
	fi
}

# want_rc N [N...]: the exit status is one of these.
want_rc()
{
	local n
	for n in "$@"; do
		[[ $RC == "$n" ]] && return 0
	done
	problem "exit status $RC, want $*"
}

# want_empty out|err
want_empty()
{
	[[ -s $S/$1 ]] && problem "std$1 not empty"
	return 0
}

want_nonempty()
{
	[[ -s $S/$1 ]] || problem "std$1 empty"
}

# want_exact out|err TEXT: the stream is exactly TEXT plus a newline.
want_exact()
{
	if [[ $(cat "$S/$1"; echo x) != "$2"$'\n'x ]]; then
		problem "std$1 is not exactly: $2"
	fi
}

# want_line out|err ERE: some line matches.
want_line()
{
	grep -qE -- "$2" "$S/$1" || problem "no line of std$1 matches /$2/"
}

# want_no_line out|err ERE: no line matches.
want_no_line()
{
	grep -qE -- "$2" "$S/$1" && problem "a line of std$1 matches /$2/"
	return 0
}

# want_count out|err ERE N: exactly N lines match.
want_count()
{
	local c
	c=$(grep -cE -- "$2" "$S/$1" || true)
	[[ $c == "$3" ]] || problem "$c lines of std$1 match /$2/, want $3"
}

# want_last_line out|err TEXT: the last non-empty line is exactly TEXT.
want_last_line()
{
	local last
	last=$(grep -v '^[[:space:]]*$' "$S/$1" | tail -n 1 || true)
	[[ $last == "$2" ]] || problem "last line of std$1 is '$last', want '$2'"
}

# want_size_below out|err BYTES
want_size_below()
{
	local size
	size=$(wc -c <"$S/$1")
	((size < $2)) || problem "std$1 has $size bytes, want fewer than $2"
}

# want_diag FILE LINE COL SEVERITY MESSAGE_ERE SOURCE CARET_ERE
# stderr holds "FILE:LINE:COL: SEVERITY: MESSAGE", then the source line and
# the caret line, both behind the same indentation. SOURCE is the line as in
# the file; CARET_ERE matches what follows the indentation on the caret line
# (spaces to the column, '^', '~' under the rest of the span).
want_diag()
{
	local file=$1 line=$2 col=$3 sev=$4 msg=$5 src=$6 caret=$7
	local head="$file:$line:$col: $sev: "
	local n
	n=$(grep -nF -- "$head" "$S/err" | head -n 1 | cut -d: -f1 || true)
	if [[ -z $n ]]; then
		problem "no diagnostic '$head...'"
		return 0
	fi
	local h s c
	h=$(sed -n "${n}p" "$S/err")
	s=$(sed -n "$((n + 1))p" "$S/err")
	c=$(sed -n "$((n + 2))p" "$S/err")
	[[ ${h#"$head"} =~ ^($msg)$ ]] || problem "message '${h#"$head"}' does not match /$msg/"
	if [[ $s != *"$src" ]]; then
		problem "source line after '$head' is '$s', want '$src'"
		return 0
	fi
	local indent=${s%"$src"}
	[[ $indent =~ ^[[:space:]]*$ ]] || problem "source line has prefix '$indent'"
	if [[ ${c:0:${#indent}} != "$indent" || ! ${c:${#indent}} =~ ^($caret)$ ]]; then
		problem "caret line '$c' does not match /$caret/ after '$indent'"
	fi
}

# want_diag_at FILE LINE SEVERITY [MESSAGE_ERE]: a diagnostic on that line,
# any column.
want_diag_at()
{
	local re="^$1:$2:[0-9]+: $3: ${4:-.+}\$"
	grep -qE -- "$re" "$S/err" || problem "no diagnostic matches /$re/"
}

# want_json_diags: every line of stderr is one JSON object with the fields
# of the contract.
want_json_diags()
{
	local l
	while IFS= read -r l; do
		if ! jq -e 'type == "object" and (.file | type == "string") and
			(.severity | test("^(error|warning|note)$")) and
			(.message | type == "string") and has("line") and has("column")' \
			<<<"$l" >/dev/null 2>&1; then
			problem "stderr line is not a diagnostic object: $l"
			return 0
		fi
	done <"$S/err"
}

# want_json COUNT JQ_FILTER: COUNT objects of stderr satisfy the filter.
want_json()
{
	local c
	c=$(jq -c "select($2)" "$S/err" 2>/dev/null | wc -l || true)
	[[ $c == "$1" ]] || problem "$c JSON diagnostics satisfy '$2', want $1"
}

# want_error_lines FILE "L1 L2 ...": the lines that have errors, in the
# order printed, each once.
want_error_lines()
{
	local got
	got=$(grep -oE "^$1:[0-9]+:[0-9]+: error: " "$S/err" | cut -d: -f2 | awk '!seen[$0]++' |
		tr '\n' ' ' || true)
	[[ $got == "$2 " ]] || problem "errors on lines '${got% }', want '$2'"
}
