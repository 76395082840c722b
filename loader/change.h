/* What attach, replace and detach do before they change anything: check
 * the privileges, the interface and (attach, replace) the policy object,
 * then take the lock that serialises changes. A bad object is refused
 * before anything is touched. */
#ifndef UNTRACK_CHANGE_H
#define UNTRACK_CHANGE_H

#include <stdbool.h>
#include <stddef.h>

#include "state.h"

struct change {
	struct ut_where w;
	int ifindex;  /* 0: no such interface here */
	int lock;     /* the lock's fd, -1 before it is taken */
	char *egress; /* the policy's egress template (attach, replace) */
	size_t egress_len;
};

/* The checks and the lock for command cmd on ifname, with the policy
 * object at policy (NULL for none); need_iface: the interface must exist.
 * Returns 0, or an exit status after reporting why; change_end() in both
 * cases. */
int change_begin(const char *cmd, const char *ifname, const char *policy, bool need_iface,
		 struct change *c);
void change_end(struct change *c);

/* The absolute path of a policy object, for the record. */
void change_abs_path(const char *path, char *buf, size_t size);

#endif
