# shellcheck shell=bash
# What every shell test suite shares; sourced, after setting SUITE (the
# suite's name in messages, and the make target that builds what it needs).
#
# A test is a block; assertions record problems and never stop the script:
#     begin "what it shows"
#     [[ $got == 20 ]] || problem "counted $got packets, want 20"
#     end
# `end` prints one line per block ("ok   ..." or "FAIL ..." with the problems
# under it) and counts it; `finish` prints "N passed, M failed" and exits 1
# on any failure. A suite may define on_begin (run by begin) and on_fail
# (run by end after a failed block's problems), and may redefine begin and
# end around suite_begin and suite_end.
#
# The preamble: a suite that cannot run on this machine (no root, a missing
# tool, no network namespaces) says why and is skipped, except under CI=true,
# where that is a failure (`cannot`). Something `make SUITE` should have
# built is missing: always a failure (`need_built`).
#
# Cleanup: on_exit registers a command for every exit path (EXIT, INT, TERM,
# HUP); commands run last registered first, and the exit status is kept.
# scratch_dir and netns_pair register their own cleanup.

: "${SUITE:?set SUITE before sourcing tests/lib/suite.sh}"

passed=0
failed=0
current=
problems=()
_suite_t0=${EPOCHREALTIME//[!0-9]/}
_suite_block_t0=$_suite_t0

# A number unique to this run (pid and a random part), 7 digits, for names
# of namespaces and interfaces (at most 15 characters).
# shellcheck disable=SC2034 # for the suites
SUITE_ID=$(printf '%05d%02d' $(($$ % 100000)) $((RANDOM % 100)))

# ---------------------------------------------------------------- blocks

suite_begin()
{
	current=$1
	problems=()
	_suite_block_t0=${EPOCHREALTIME//[!0-9]/}
	if declare -F on_begin >/dev/null; then
		on_begin
	fi
	return 0
}

problem()
{
	problems+=("$1")
}

suite_end()
{
	local ms=$(((${EPOCHREALTIME//[!0-9]/} - _suite_block_t0) / 1000)) p
	if ((${#problems[@]} == 0)); then
		passed=$((passed + 1))
		printf 'ok   %s (%d ms)\n' "$current" "$ms"
		return 0
	fi
	failed=$((failed + 1))
	printf 'FAIL %s (%d ms)\n' "$current" "$ms"
	for p in "${problems[@]}"; do
		printf '     - %s\n' "$p"
	done
	if declare -F on_fail >/dev/null; then
		on_fail
	fi
	return 0
}

begin()
{
	suite_begin "$1"
}

end()
{
	suite_end
}

# show_output FILE LABEL: the start of a command's output under a failed
# block (20 lines, 2000 bytes, unprintable bytes as '?').
show_output()
{
	if [[ -s $1 ]]; then
		printf '     %s:\n' "$2"
		head -c 2000 "$1" | head -n 20 | tr -c '[:print:]\t\n' '?' | sed 's/^/     | /'
	fi
	return 0
}

# output_in_scratch: for suites whose steps leave their status in RC and
# their output in $S/out and $S/err: begin clears the three, and a failed
# block shows the start of both outputs.
# shellcheck disable=SC2034,SC2317 # RC is the suite's; the hooks run later
output_in_scratch()
{
	on_begin()
	{
		RC=
		rm -f "$S/out" "$S/err"
	}
	on_fail()
	{
		show_output "$S/err" stderr
		show_output "$S/out" stdout
	}
}

# finish: the suite's time and its last line; exit status 1 on any failure.
finish()
{
	echo "$SUITE: $(((${EPOCHREALTIME//[!0-9]/} - _suite_t0) / 1000000)) s"
	echo "$passed passed, $failed failed"
	((failed == 0))
	exit
}

# ---------------------------------------------------------------- preamble

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

# setup_failed WHY: the suite's own setup went wrong: always a failure.
setup_failed()
{
	echo "$SUITE: $1" >&2
	echo "0 passed, 1 failed"
	exit 1
}

# need_built FILE...: what `make $SUITE` builds; missing is a failure.
need_built()
{
	local f
	for f in "$@"; do
		[[ -e $f ]] || setup_failed "$f is missing (make $SUITE builds it)"
	done
}

# need_root WHAT: root, for WHAT, or the suite cannot run.
need_root()
{
	[[ $(id -u) == 0 ]] || cannot "needs root ($1)"
}

# need_tools TOOL...: every tool on PATH, or the suite cannot run.
need_tools()
{
	local tool
	for tool in "$@"; do
		command -v "$tool" >/dev/null 2>&1 || cannot "needs $tool (scripts/deps.sh installs it)"
	done
}

# ---------------------------------------------------------------- cleanup

_suite_cleanups=()

_suite_exit()
{
	local rc=$? i
	set +e
	trap - EXIT
	for ((i = ${#_suite_cleanups[@]} - 1; i >= 0; i--)); do
		eval "${_suite_cleanups[i]}" >/dev/null 2>&1
	done
	exit "$rc"
}

# on_exit COMMAND: run COMMAND (a string, evaluated then) on every exit path.
# The first call installs the traps, so a suite that has its own EXIT trap
# and never calls on_exit keeps it.
on_exit()
{
	if ((${#_suite_cleanups[@]} == 0)); then
		trap _suite_exit EXIT
		trap 'exit 130' INT TERM HUP
	fi
	_suite_cleanups+=("$1")
}

# scratch_dir VAR: a new temporary directory in VAR, removed at exit.
scratch_dir()
{
	local d
	d=$(mktemp -d "/tmp/ut-$SUITE.XXXXXX") || setup_failed "cannot create a temporary directory"
	on_exit "rm -rf '$d'"
	printf -v "$1" '%s' "$d"
}

# ---------------------------------------------------------------- namespaces

# netns_pair NS_A IF_A NS_B IF_B: two new network namespaces, deleted at
# exit, joined by a veth pair (IF_A in NS_A, IF_B in NS_B), each with its
# loopback up and without IPv6 router advertisements or solicitations, so
# that the only packets are the tests'. The links stay down: bring them up
# once they have their addresses. Returns non-zero on failure.
netns_pair()
{
	local ns
	for ns in "$1" "$3"; do
		ip netns add "$ns" || return 1
		on_exit "ip netns del '$ns'"
	done
	ip link add "$2" netns "$1" type veth peer name "$4" netns "$3" || return 1
	for ns in "$1" "$3"; do
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_ra=0 \
			net.ipv6.conf.default.accept_ra=0 net.ipv6.conf.all.router_solicitations=0 \
			net.ipv6.conf.default.router_solicitations=0 >/dev/null || return 1
		ip -n "$ns" link set lo up || return 1
	done
}

# neigh_pin NS IF PEER_NS PEER_IF ADDR...: in NS, every ADDR is reached
# through IF at PEER_IF's MAC address, permanently: no ARP or neighbour
# discovery, so every packet sent is one of the tests', and none waits for a
# resolution or is dropped meanwhile.
neigh_pin()
{
	local ns=$1 ifc=$2 mac a
	mac=$(ip -n "$3" -j link show "$4" | jq -r '.[0].address') || return 1
	shift 4
	for a in "$@"; do
		ip -n "$ns" neigh replace "$a" lladdr "$mac" dev "$ifc" nud permanent || return 1
	done
}

# conntrack_on_ruleset: an nftables table that makes conntrack track the
# packets a namespace sends and receives (a rule that looks at ct state);
# load it with `nft -f -` in the namespace.
conntrack_on_ruleset()
{
	cat <<'EOF'
table inet ctforce {
	chain out {
		type filter hook output priority filter; policy accept;
		ct state new counter
	}
	chain in {
		type filter hook input priority filter; policy accept;
		ct state new counter
	}
}
EOF
}
