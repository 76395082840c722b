#include "objfmt/vocab.h"

#include <string.h>

const char *rule_action_name(enum rule_action a)
{
	switch (a) {
	case ACT_ALLOW:
		return "allow";
	case ACT_DENY:
		return "deny";
	case ACT_PASS:
		return "pass";
	case ACT_LOG:
		return "log";
	}
	return "?";
}

const char *proto_name(int proto)
{
	switch (proto) {
	case IPPROTO_NUM_TCP:
		return "tcp";
	case IPPROTO_NUM_UDP:
		return "udp";
	case IPPROTO_NUM_SCTP:
		return "sctp";
	case IPPROTO_NUM_ICMP:
		return "icmp";
	case IPPROTO_NUM_ICMPV6:
		return "icmpv6";
	default:
		return NULL;
	}
}

int rule_action_parse(const char *name)
{
	for (int a = ACT_ALLOW; a <= ACT_LOG; a++)
		if (strcmp(rule_action_name((enum rule_action)a), name) == 0)
			return a;
	return -1;
}
