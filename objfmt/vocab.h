/* The words a rule is made of that both the compiler and the loader speak:
 * its direction, its action and the IP protocols untrack names. The object's
 * self description (objmeta.h) records rules in these terms, so the loader
 * can print them without knowing anything of the compiler's IR. */
#ifndef UNTRACK_OBJFMT_VOCAB_H
#define UNTRACK_OBJFMT_VOCAB_H

enum rule_action { ACT_ALLOW, ACT_DENY, ACT_PASS, ACT_LOG };
enum rule_dir { DIR_INGRESS, DIR_EGRESS };

#define IPPROTO_NUM_ICMP   1
#define IPPROTO_NUM_TCP	   6
#define IPPROTO_NUM_UDP	   17
#define IPPROTO_NUM_ICMPV6 58
#define IPPROTO_NUM_SCTP   132

/* "allow", "deny", "pass", "log". */
const char *rule_action_name(enum rule_action a);
/* Parse an action name; returns -1 when unknown. */
int rule_action_parse(const char *name);
/* "tcp", "udp", "sctp", "icmp", "icmpv6", or NULL for other numbers. */
const char *proto_name(int proto);

#endif
