# shellcheck shell=bash
# Helpers for tests/replay/run.sh (sourced after setting SUITE): the blocks
# of tests/lib/suite.sh around commands whose output lands in the scratch
# folder $S.
#
#     begin "what it shows"
#     run untrackc policy.utp -o policy.o      # sets RC, $S/out, $S/err
#     want_rc 0
#     end
# Assertions never stop the script: each records a problem, and `end`
# prints one line per test with the problems and the last command's output
# under it.

# shellcheck source=tests/lib/suite.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/suite.sh"

CMD_TIMEOUT=${CMD_TIMEOUT:-120}
RC=0
output_in_scratch

# run CMD ARGS...: no stdin, a time limit; RC, $S/out and $S/err hold the
# result. Crashes and hangs are problems whatever the test expects.
run()
{
	RC=0
	timeout -k 5 "$CMD_TIMEOUT" "$@" </dev/null >"$S/out" 2>"$S/err" || RC=$?
	if ((RC == 124 || RC == 137)); then
		problem "'$1' timed out after ${CMD_TIMEOUT}s"
	elif ((RC > 128)); then
		problem "'$1' killed by signal $((RC - 128))"
	fi
}

# want_rc N: the exit status of the last run.
want_rc()
{
	[[ $RC == "$1" ]] || problem "exit status $RC, want $1"
}

# want_line out|err ERE: some line matches.
want_line()
{
	grep -qE -- "$2" "$S/$1" || problem "no line of std$1 matches /$2/"
}

# want_no_line out|err ERE
want_no_line()
{
	grep -qE -- "$2" "$S/$1" && problem "a line of std$1 matches /$2/"
	return 0
}

want_empty()
{
	[[ -s $S/$1 ]] && problem "std$1 is not empty"
	return 0
}

# want_absent PATH...: none of these exist.
want_absent()
{
	local f
	for f in "$@"; do
		[[ -e $f || -L $f ]] && problem "'$f' exists"
	done
	return 0
}

# want_no_temp DIR: no temporary output file was left in DIR.
want_no_temp()
{
	local left
	left=$(find "$1" -maxdepth 1 -name '*.tmp.*' | head -n 3)
	[[ -z $left ]] || problem "temporary files left behind: $(tr '\n' ' ' <<<"$left")"
}
