#include "netdev.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>

#include "errors.h"

__u32 ut_prog_id(int fd)
{
	struct bpf_prog_info info = {0};
	__u32 len = sizeof(info);

	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
		return 0;
	return info.id;
}

int ut_prog_fd_named(__u32 id, const char *name)
{
	struct bpf_prog_info info = {0};
	__u32 len = sizeof(info);
	int fd;

	if (!id)
		return -ENOENT;
	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return -errno;
	if (bpf_obj_get_info_by_fd(fd, &info, &len) ||
	    strncmp(info.name, name, sizeof(info.name) - 1) != 0) {
		close(fd);
		return -ENOENT;
	}
	return fd;
}

/* "'name' (id N)" of a loaded program, for messages. */
static void prog_describe(__u32 id, char *buf, size_t size)
{
	struct bpf_prog_info info = {0};
	__u32 len = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(id);

	if (fd >= 0 && bpf_obj_get_info_by_fd(fd, &info, &len) == 0 && info.name[0])
		snprintf(buf, size, "'%s' (id %u)", info.name, id);
	else
		snprintf(buf, size, "id %u", id);
	if (fd >= 0)
		close(fd);
}

static __u32 mode_flag(enum ut_xdp_mode mode)
{
	return mode == UT_XDP_GENERIC ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
}

int xdp_query(int ifindex, struct xdp_found *found, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	int e;

	memset(found, 0, sizeof(*found));
	e = bpf_xdp_query(ifindex, 0, &q);
	if (e)
		return ut_fail(e, err, errlen, "cannot query XDP: %s", strerror(-e));
	found->drv_id = q.drv_prog_id;
	found->skb_id = q.skb_prog_id;
	found->hw_id = q.hw_prog_id;
	return 0;
}

void xdp_prev_release(struct xdp_prev *prev)
{
	if (!prev)
		return;
	if (prev->fd >= 0)
		close(prev->fd);
	prev->fd = -1;
	prev->id = 0;
}

int xdp_attach(int ifindex, const char *ifname, int main_fd, enum ut_xdp_mode want, bool force,
	       enum ut_xdp_mode *got, struct xdp_prev *prev, char *err, size_t errlen)
{
	enum ut_xdp_mode modes[2];
	char why[2][160], other[64];
	struct xdp_found f;
	size_t nmodes = 0;
	__u32 ours = ut_prog_id(main_fd);
	int ret;

	prev->fd = -1;
	prev->id = 0;
	ret = xdp_query(ifindex, &f, err, errlen);
	if (ret)
		return ret;
	if (ours && f.drv_id == ours) {
		*got = UT_XDP_NATIVE;
		return 0;
	}
	if (ours && f.skb_id == ours) {
		*got = UT_XDP_GENERIC;
		return 0;
	}
	if (f.hw_id) {
		prog_describe(f.hw_id, other, sizeof(other));
		return ut_fail(-EEXIST, err, errlen,
			       "%s has the offloaded XDP program %s; untrack never replaces it",
			       ifname, other);
	}
	if (f.drv_id || f.skb_id) {
		prev->id = f.drv_id ? f.drv_id : f.skb_id;
		prev->mode = f.drv_id ? UT_XDP_NATIVE : UT_XDP_GENERIC;
		prog_describe(prev->id, other, sizeof(other));
		if (!force) {
			prev->id = 0;
			return ut_fail(
				-EEXIST, err, errlen,
				"%s already has the XDP program %s attached (%s mode); untrack will not replace it without --force",
				ifname, other,
				ut_xdp_mode_name(f.drv_id ? UT_XDP_NATIVE : UT_XDP_GENERIC));
		}
		/* Keep it alive to put it back if this attach fails. */
		prev->fd = bpf_prog_get_fd_by_id(prev->id);
		if (prev->fd < 0) {
			ret = -errno;
			prev->id = 0;
			return ut_fail(ret, err, errlen, "cannot hold the XDP program %s on %s: %s",
				       other, ifname, strerror(-ret));
		}
		LIBBPF_OPTS(bpf_xdp_attach_opts, rm, .old_prog_fd = prev->fd);
		ret = bpf_xdp_detach(ifindex, mode_flag(prev->mode) | XDP_FLAGS_REPLACE, &rm);
		if (ret) {
			xdp_prev_release(prev);
			return ut_fail(ret, err, errlen,
				       "cannot remove the XDP program %s from %s: %s", other,
				       ifname, strerror(-ret));
		}
	}

	if (want == UT_XDP_AUTO) {
		modes[nmodes++] = UT_XDP_NATIVE;
		modes[nmodes++] = UT_XDP_GENERIC;
	} else {
		modes[nmodes++] = want;
	}
	for (size_t i = 0; i < nmodes; i++) {
		ret = bpf_xdp_attach(ifindex, main_fd,
				     mode_flag(modes[i]) | XDP_FLAGS_UPDATE_IF_NOEXIST, NULL);
		if (!ret) {
			*got = modes[i];
			return 0;
		}
		snprintf(why[i], sizeof(why[i]), "%s mode: %s", ut_xdp_mode_name(modes[i]),
			 strerror(-ret));
	}
	if (nmodes == 2)
		ut_fail(ret, err, errlen, "cannot attach XDP to %s (%s; %s)", ifname, why[0],
			why[1]);
	else
		ut_fail(ret, err, errlen, "cannot attach XDP to %s (%s)", ifname, why[0]);
	if (prev->fd >= 0) {
		char again[256];
		size_t used = strlen(err);
		if (xdp_restore(ifindex, prev, again, sizeof(again)) && used < errlen)
			snprintf(err + used, errlen - used, "; and %s", again);
	}
	return ret;
}

int xdp_detach(int ifindex, int main_fd, enum ut_xdp_mode mode, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts, .old_prog_fd = main_fd);
	int ret = bpf_xdp_detach(ifindex, mode_flag(mode) | XDP_FLAGS_REPLACE, &opts);

	if (ret == -EEXIST)
		return ut_fail(
			ret, err, errlen,
			"the XDP program is no longer untrack's (someone replaced it): left in place");
	if (ret)
		return ut_fail(ret, err, errlen, "cannot remove the XDP program: %s",
			       strerror(-ret));
	return 0;
}

int xdp_restore(int ifindex, struct xdp_prev *prev, char *err, size_t errlen)
{
	int ret = 0;

	if (prev->fd >= 0) {
		ret = bpf_xdp_attach(ifindex, prev->fd,
				     mode_flag(prev->mode) | XDP_FLAGS_UPDATE_IF_NOEXIST, NULL);
		if (ret)
			ut_fail(ret, err, errlen, "cannot put back the XDP program (id %u): %s",
				prev->id, strerror(-ret));
	}
	xdp_prev_release(prev);
	return ret;
}

int tc_query(int ifindex, __u32 *prog_id)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, q, .handle = UT_TC_HANDLE, .priority = UT_TC_PRIORITY);
	int ret;

	*prog_id = 0;
	ret = bpf_tc_query(&hook, &q);
	if (ret == -ENOENT || ret == -EINVAL)
		return 0; /* no filter, or no clsact qdisc */
	if (ret)
		return ret;
	*prog_id = q.prog_id;
	return 0;
}

/* Does the interface have any filter under parent? A dump over rtnetlink:
 * libbpf can only ask about one handle. */
static int tc_has_filters(int ifindex, __u32 parent, bool *any)
{
	struct {
		struct nlmsghdr nh;
		struct tcmsg tc;
	} req = {
		.nh = {.nlmsg_len = NLMSG_LENGTH(sizeof(struct tcmsg)),
		       .nlmsg_type = RTM_GETTFILTER,
		       .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
		       .nlmsg_seq = 1},
		.tc = {.tcm_family = AF_UNSPEC, .tcm_ifindex = ifindex, .tcm_parent = parent},
	};
	char buf[16384] __attribute__((aligned(NLMSG_ALIGNTO)));
	int fd, ret = 0;
	bool done = false;

	*any = false;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (send(fd, &req, req.nh.nlmsg_len, 0) < 0) {
		ret = -errno;
		goto cleanup;
	}
	while (!done) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			goto cleanup;
		}
		if (n == 0)
			break;
		for (struct nlmsghdr *nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)n);
		     nh = NLMSG_NEXT(nh, n)) {
			if (nh->nlmsg_type == NLMSG_DONE) {
				done = true;
				break;
			}
			if (nh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(nh);
				ret = e->error;
				goto cleanup;
			}
			if (nh->nlmsg_type == RTM_NEWTFILTER)
				*any = true;
		}
	}
cleanup:
	close(fd);
	return ret;
}

int tc_attach(int ifindex, const char *ifname, int tc_fd, bool *created, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = UT_TC_HANDLE, .priority = UT_TC_PRIORITY,
		    .prog_fd = tc_fd);
	int ret;

	*created = false;
	ret = bpf_tc_hook_create(&hook);
	if (ret && ret != -EEXIST)
		return ut_fail(ret, err, errlen, "cannot create a clsact qdisc on %s: %s", ifname,
			       strerror(-ret));
	*created = ret == 0;
	ret = bpf_tc_attach(&hook, &opts);
	if (ret == -EEXIST) {
		/* Something holds untrack's handle: an earlier untrack's filter
		 * is replaced, anyone else's is left alone. */
		LIBBPF_OPTS(bpf_tc_opts, q, .handle = UT_TC_HANDLE, .priority = UT_TC_PRIORITY);
		struct bpf_prog_info info = {0};
		__u32 len = sizeof(info);
		int fd = -1;

		ret = bpf_tc_query(&hook, &q);
		if (!ret) {
			fd = bpf_prog_get_fd_by_id(q.prog_id);
			ret = fd < 0 ? -errno : 0;
		}
		if (!ret && bpf_obj_get_info_by_fd(fd, &info, &len))
			ret = -errno;
		if (fd >= 0)
			close(fd);
		if (!ret && strncmp(info.name, "untrack_tc_ingress", sizeof(info.name) - 1) != 0)
			ret = -EEXIST;
		if (!ret) {
			LIBBPF_OPTS(bpf_tc_opts, again, .handle = UT_TC_HANDLE,
				    .priority = UT_TC_PRIORITY, .prog_fd = tc_fd,
				    .flags = BPF_TC_F_REPLACE);
			ret = bpf_tc_attach(&hook, &again);
		} else if (ret == -EEXIST) {
			ut_fail(ret, err, errlen,
				"TC ingress of %s has someone else's filter at priority %d handle %#x, where untrack's goes",
				ifname, UT_TC_PRIORITY, UT_TC_HANDLE);
			goto undo;
		}
	}
	if (ret) {
		ut_fail(ret, err, errlen, "cannot attach the TC ingress program to %s: %s", ifname,
			strerror(-ret));
		goto undo;
	}
	return 0;
undo:
	if (*created) {
		LIBBPF_OPTS(bpf_tc_hook, all, .ifindex = ifindex,
			    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);
		bpf_tc_hook_destroy(&all);
		*created = false;
	}
	return ret;
}

int tc_detach(int ifindex, int tc_fd, bool created, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = UT_TC_HANDLE, .priority = UT_TC_PRIORITY);
	bool in = false, eg = false;
	__u32 id = 0;
	int ret;

	ret = tc_query(ifindex, &id);
	if (ret)
		return ut_fail(ret, err, errlen, "cannot query TC ingress: %s", strerror(-ret));
	if (id && id != ut_prog_id(tc_fd))
		return 0; /* someone else's filter took the handle: theirs now */
	if (id) {
		ret = bpf_tc_detach(&hook, &opts);
		if (ret && ret != -ENOENT && ret != -EINVAL)
			return ut_fail(ret, err, errlen, "cannot remove the TC ingress filter: %s",
				       strerror(-ret));
	}
	if (!created)
		return 0;
	/* The qdisc is ours to remove only while nobody else uses it. */
	ret = tc_has_filters(ifindex, TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS), &in);
	if (!ret)
		ret = tc_has_filters(ifindex, TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS), &eg);
	if (ret == -EINVAL || ret == -ENOENT)
		return 0; /* the qdisc is gone already */
	if (ret)
		return ut_fail(ret, err, errlen, "cannot list the TC filters: %s", strerror(-ret));
	if (in || eg)
		return 0;
	LIBBPF_OPTS(bpf_tc_hook, all, .ifindex = ifindex,
		    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);
	ret = bpf_tc_hook_destroy(&all);
	if (ret && ret != -ENOENT && ret != -EINVAL)
		return ut_fail(ret, err, errlen,
			       "cannot remove the clsact qdisc untrack created: %s",
			       strerror(-ret));
	return 0;
}
