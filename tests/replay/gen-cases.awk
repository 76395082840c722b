# Cases for a policy written by scripts/gen-policy.sh (rules mode): one
# packet per ingress rule that must be decided by exactly that rule (every
# rule owns its source prefix, so the first rule a packet from that prefix
# meets is its own), then packets that no rule matches.
#
#   awk -f tests/replay/gen-cases.awk POLICY.utp > POLICY.cases
#
# Each case asserts the rule's line (`ACTION @LINE`), so `untrackc --test`
# proves the packets hit the rules they were made for before the kernel
# sees them.

function strip(s) {
	gsub(/[{},]/, "", s)
	return s
}

function host(prefix) {
	sub(/\/[0-9]+$/, "", prefix)
	return prefix
}

# A port condition's first port: "80", "100-200" or "{ 1, 2 }".
function first_port(i,  t) {
	t = $i
	if (t == "{")
		t = $(i + 1)
	t = strip(t)
	sub(/-.*/, "", t)
	return t
}

function endpoint(addr, port, v6) {
	if (port == "")
		return addr
	return v6 ? "[" addr "]:" port : addr ":" port
}

/^    [a-z]/ {
	if ($1 == "egress")
		next
	action = $1
	proto = ""; src = ""; sport = ""; dport = ""; type = ""; code = ""
	for (i = 2; i <= NF; i++) {
		if ($i == "tcp" || $i == "udp" || $i == "sctp" || $i == "icmp" || $i == "icmpv6") {
			proto = $i
		} else if ($i == "proto") {
			proto = "proto " $(i + 1); i++
		} else if ($i == "from") {
			src = $(i + 1) == "{" ? strip($(i + 2)) : $(i + 1)
			src = host(src)
		} else if ($i == "port") {
			if ($(i - 2) == "from")
				sport = first_port(i + 1)
			else
				dport = first_port(i + 1)
		} else if ($i == "type") {
			type = $(i + 1)
		} else if ($i == "code") {
			code = $(i + 1)
		}
	}
	v6 = index(src, ":") > 0
	dst = v6 ? "2001:db8:ffff:ffff::1" : "198.18.0.1"
	if (proto == "") {
		# no protocol condition: any packet from the prefix
		proto = "udp"
		sport = 1
		dport = 2
	} else if (proto == "tcp" || proto == "udp" || proto == "sctp") {
		if (sport == "")
			sport = 40000
		if (dport == "")
			dport = 9
	}
	line = action " @" NR " " proto " " endpoint(src, sport, v6) " -> " endpoint(dst, dport, v6)
	if (type != "")
		line = line " type " type
	if (code != "")
		line = line " code " code
	print line
	rules++
}

END {
	if (!rules)
		exit 1
	# nobody owns these sources
	print "none tcp 203.0.113.1:40000 -> 198.18.0.1:80"
	print "none udp [2001:db8:ffff:ffff::9]:53 -> [2001:db8:ffff:ffff::1]:53"
	print "none icmp 203.0.113.1 -> 198.18.0.1 type 8"
	print "none proto 47 0.255.255.255 -> 198.18.0.1"
}
