/* The two hooks untrack uses on an interface: XDP (untrack_main) and TC
 * ingress (untrack_tc_ingress on a clsact qdisc). Each attach records what
 * it found, so that its undo leaves the interface as it was. */
#ifndef UNTRACK_NETDEV_H
#define UNTRACK_NETDEV_H

#include <stdbool.h>
#include <stddef.h>

#include <linux/types.h>

#include "state.h"

/* untrack's TC filter: first at ingress (priority 1), under a handle of its
 * own ("UT"), so later filters see the mark it sets. */
#define UT_TC_PRIORITY 1
#define UT_TC_HANDLE   0x5554

/* The id of the program behind fd, or 0. */
__u32 ut_prog_id(int fd);

/* An fd of program id if its name is name (BPF names are cut to 15
 * characters); -ENOENT when there is no such program or it has another
 * name. Recognises untrack's programs when their pins are gone. */
int ut_prog_fd_named(__u32 id, const char *name);

/* What is on an interface's XDP hook. */
struct xdp_found {
	__u32 drv_id, skb_id, hw_id; /* 0: none in that mode */
};

int xdp_query(int ifindex, struct xdp_found *found, char *err, size_t errlen);

/* A program untrack replaced under --force, kept to put it back. */
struct xdp_prev {
	__u32 id;
	enum ut_xdp_mode mode;
	int fd; /* -1: nothing was replaced */
};

/* Attach main_fd to the interface's XDP hook. want UT_XDP_AUTO tries
 * native, then generic. If untrack's program is there already, nothing
 * changes. Another program makes it fail with -EEXIST unless force, which
 * removes it first and records it in prev (put it back with
 * xdp_restore). *got is the mode now attached. */
int xdp_attach(int ifindex, const char *ifname, int main_fd, enum ut_xdp_mode want, bool force,
	       enum ut_xdp_mode *got, struct xdp_prev *prev, char *err, size_t errlen);

/* Remove main_fd from the hook, only if it is still the program there
 * (-EEXIST when someone replaced it). */
int xdp_detach(int ifindex, int main_fd, enum ut_xdp_mode mode, char *err, size_t errlen);

/* Put back the program xdp_attach replaced; then release prev. */
int xdp_restore(int ifindex, struct xdp_prev *prev, char *err, size_t errlen);
void xdp_prev_release(struct xdp_prev *prev);

/* The id of the program in untrack's TC filter, 0 if there is none. */
int tc_query(int ifindex, __u32 *prog_id);

/* Attach tc_fd as untrack's TC ingress filter, creating the clsact qdisc
 * when the interface has none (*created). A filter of an earlier untrack
 * under untrack's handle is replaced; anyone else's is an error. */
int tc_attach(int ifindex, const char *ifname, int tc_fd, bool *created, char *err, size_t errlen);

/* Remove untrack's filter if it still runs tc_fd's program; then, when
 * untrack created the clsact qdisc and no filter uses it, the qdisc. */
int tc_detach(int ifindex, int tc_fd, bool created, char *err, size_t errlen);

#endif
