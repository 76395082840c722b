# shellcheck shell=bash
# Assertions of the end-to-end tests of untrack (sourced by tests/e2e/run.sh
# and tests/e2e-egress/run.sh, after setting SUITE). Blocks, the preamble and
# cleanup come from tests/lib/suite.sh:
#     begin "what it shows"
#     want "$got" = 20 "packets counted"
#     end

# shellcheck source=tests/lib/suite.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/suite.sh"

# untrack_teardown NS INO IFACE...: untrack detached from each IFACE of
# network namespace NS (inode INO, empty when not known yet), and what it
# pinned and recorded for the namespace removed. For on_exit, before the
# namespace itself goes; $UNTRACK is the loader.
untrack_teardown()
{
	local ns=$1 ino=$2 ifc
	shift 2
	if [[ -e /run/netns/$ns ]]; then
		for ifc in "$@"; do
			nsenter --net="/run/netns/$ns" "$UNTRACK" detach "$ifc"
		done
	fi
	if [[ -n $ino ]]; then
		rm -rf "/sys/fs/bpf/untrack/netns:$ino" "/run/untrack/netns:$ino"
		rmdir /sys/fs/bpf/untrack
	fi
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
