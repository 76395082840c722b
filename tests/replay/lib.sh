# shellcheck shell=bash
# Helpers for tests/replay/run.sh: the same block structure as the CLI tests.
#
#     begin "what it shows"
#     run untrackc policy.utp -o policy.o      # sets RC, $S/out, $S/err
#     want_rc 0
#     end
# Assertions never stop the script: each records a problem, and `end`
# prints one line per test with the problems and the last command's output
# under it.

CMD_TIMEOUT=${CMD_TIMEOUT:-120}
passed=0
failed=0
current=
problems=()
RC=0

begin()
{
	current=$1
	problems=()
	RC=
	block_start=$SECONDS
	rm -f "$S/out" "$S/err"
}

problem()
{
	problems+=("$1")
}

show()
{
	local f=$1
	if [[ -s $S/$f ]]; then
		printf '     std%s:\n' "$f"
		head -c 2000 "$S/$f" | head -n 20 | tr -c '[:print:]\t\n' '?' | sed 's/^/     | /'
	fi
}

end()
{
	local took=$((SECONDS - block_start))
	if ((${#problems[@]} == 0)); then
		passed=$((passed + 1))
		printf 'ok   %s (%ss)\n' "$current" "$took"
		return
	fi
	failed=$((failed + 1))
	printf 'FAIL %s\n' "$current"
	local p
	for p in "${problems[@]}"; do
		printf '     - %s\n' "$p"
	done
	show err
	show out
}

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
