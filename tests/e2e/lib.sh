# shellcheck shell=bash
# Helpers for the end-to-end tests of untrack (sourced by tests/e2e/run.sh).
#
# A test is a block; assertions record problems and never stop the script:
#     begin "what it shows"
#     want "$got" = 20 "packets counted"
#     end

# The suite's preamble. SUITE names it in messages and is the make target
# that builds its tools.

# cannot WHY: this machine cannot run the suite: a failure under CI=true,
# else a skip.
cannot()
{
	if [[ ${CI:-} == true ]]; then
		echo "$SUITE: cannot run under CI=true: $1"
		echo "0 passed, 1 failed"
		exit 1
	fi
	echo "$SUITE: skipped: $1"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
}

# need_built FILE...: what `make $SUITE` builds; missing is a failure.
need_built()
{
	local f
	for f in "$@"; do
		if [[ ! -e $f ]]; then
			echo "$SUITE: $f is missing (make $SUITE builds it)" >&2
			echo "0 passed, 1 failed"
			exit 1
		fi
	done
}

# need_root_and TOOL...: root and every tool, or the suite cannot run.
need_root_and()
{
	local tool
	[[ $(id -u) == 0 ]] || cannot "needs root (network namespaces, XDP, nftables)"
	for tool in "$@"; do
		command -v "$tool" >/dev/null || cannot "needs $tool (scripts/deps.sh installs it)"
	done
}

passed=0
failed=0
current=
problems=()
t_start=0

begin()
{
	current=$1
	problems=()
	t_start=$(date +%s%N)
}

problem()
{
	problems+=("$1")
}

end()
{
	local ms=$((($(date +%s%N) - t_start) / 1000000))
	if ((${#problems[@]} == 0)); then
		passed=$((passed + 1))
		printf 'ok   %s (%d ms)\n' "$current" "$ms"
		return
	fi
	failed=$((failed + 1))
	printf 'FAIL %s (%d ms)\n' "$current" "$ms"
	local p
	for p in "${problems[@]}"; do
		printf '     - %s\n' "$p"
	done
}

# want A OP B WHAT: a numeric (-eq style: = != < > <= >=) or string check.
want()
{
	local a=$1 op=$2 b=$3 what=$4 ok=1
	case $op in
	=) [[ $a == "$b" ]] || ok=0 ;;
	!=) [[ $a != "$b" ]] || ok=0 ;;
	'<') [[ $a =~ ^[0-9]+$ && $b =~ ^[0-9]+$ ]] && ((a < b)) || ok=0 ;;
	'>') [[ $a =~ ^[0-9]+$ && $b =~ ^[0-9]+$ ]] && ((a > b)) || ok=0 ;;
	'>=') [[ $a =~ ^[0-9]+$ && $b =~ ^[0-9]+$ ]] && ((a >= b)) || ok=0 ;;
	*) ok=0 ;;
	esac
	((ok)) || problem "$what: got '$a', want $op '$b'"
}

# want_rc RC WANT WHAT
want_rc()
{
	[[ $1 == "$2" ]] || problem "$3: exit status $1, want $2"
}

# want_match TEXT REGEX WHAT
want_match()
{
	[[ $1 =~ $2 ]] || problem "$3: '$(head -c 300 <<<"$1")' does not match /$2/"
}

# want_same FILE1 FILE2 WHAT: the two snapshots are identical.
want_same()
{
	local d
	if ! d=$(diff -u "$1" "$2"); then
		problem "$3: the system changed:"$'\n'"$(head -n 30 <<<"$d" | sed 's/^/         /')"
	fi
}
