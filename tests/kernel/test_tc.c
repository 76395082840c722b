/* untrack_tc_ingress. BPF_PROG_TEST_RUN cannot give a TC program skb
 * metadata (the kernel refuses data_meta in the test context), so the flag
 * → mark path runs end to end: frames sent into a veth pair in a network
 * namespace of our own, XDP (the whole chain) and TC attached to the
 * receiving end, and a recorder TC program after ours that notes the mark.
 * The namespace lives only as long as the child process that made it, so
 * every exit path cleans up. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <linux/pkt_cls.h>

#include "objfmt/addr.h"
#include "ir/ir.h"
#include "ktests.h"
#include "ref/pktbuild.h"

/* Child exit codes. */
#define CHILD_OK     0
#define CHILD_FAILED 1
#define CHILD_CANNOT 2 /* the machine cannot run the test */

#define IF_SEND "ut-kt0"
#define IF_RECV "ut-kt1"

void case_tc_test_run(struct kt *t, void *arg)
{
	struct kctx *k = arg;
	struct __sk_buff in = {.mark = 0x5}, out = {0};
	uint8_t frame[128];
	struct flow fl;
	size_t len;

	if (!k->loaded) {
		kt_skip(t, "the runtime is not loaded (needs root and BPF)");
		return;
	}
	flow_init(&fl);
	fl.proto = IPPROTO_NUM_UDP;
	fl.dport = 1;
	len = pktbuild_frame(&fl, frame, sizeof(frame));
	/* Without the flag the skb is left alone, and so are later programs. */
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = (uint32_t)len,
		    .ctx_in = &in, .ctx_size_in = sizeof(in), .ctx_out = &out,
		    .ctx_size_out = sizeof(out));
	if (bpf_prog_test_run_opts(k->rt.tc_fd, &opts)) {
		kt_fail(t, __FILE__, __LINE__, "tc test run: %s", strerror(errno));
		return;
	}
	KT_CHECK(t, (int)opts.retval == TC_ACT_UNSPEC, "tc verdict %d, want TC_ACT_UNSPEC",
		 (int)opts.retval);
	KT_CHECK(t, out.mark == 0x5, "mark %#x changed without the flag", out.mark);
}

/* ip(8) with argv, no shell. */
static int run_ip(char *const argv[])
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		execvp("ip", argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static uint64_t tc_marked_total(struct rt *rt)
{
	uint32_t key = UT_RT_TC_MARKED;
	uint64_t *v = rt->pcpu_buf, sum = 0;

	if (bpf_map_lookup_elem(rt->stats_fd, &key, v))
		return UINT64_MAX;
	for (int i = 0; i < rt->ncpus; i++)
		sum += v[i];
	return sum;
}

struct mark_seen {
	uint32_t mark, count;
};

static int send_frames(int ifindex, const int *dports, size_t n)
{
	struct sockaddr_ll to = {.sll_family = AF_PACKET, .sll_ifindex = ifindex, .sll_halen = 6};
	int fd = socket(AF_PACKET, SOCK_RAW, 0), err = 0;

	if (fd < 0)
		return -errno;
	memcpy(to.sll_addr, pktbuild_dst_mac, 6);
	for (size_t i = 0; i < n && !err; i++) {
		uint8_t frame[128];
		struct flow fl;
		size_t len;

		flow_init(&fl);
		fl.proto = IPPROTO_NUM_UDP;
		inet_pton(AF_INET, "192.0.2.10", fl.src);
		inet_pton(AF_INET, "192.0.2.20", fl.dst);
		fl.sport = 9;
		fl.dport = dports[i];
		fl.payload_len = 18;
		len = pktbuild_frame(&fl, frame, sizeof(frame));
		if (sendto(fd, frame, len, 0, (struct sockaddr *)&to, sizeof(to)) != (ssize_t)len)
			err = -errno;
	}
	close(fd);
	return err;
}

/* Everything in the child, inside its own network namespace. */
static int veth_child(struct kctx *k)
{
	static const int dports[] = {1, 2, 3, 4, 5};
	char *add[] = {"ip", "link", "add", IF_SEND, "type", "veth", "peer", "name", IF_RECV, NULL};
	char *up0[] = {"ip", "link", "set", IF_SEND, "up", NULL};
	char *up1[] = {"ip", "link", "set", IF_RECV, "up", NULL};
	struct rt *rt = &k->rt;
	struct bpf_object *probe = NULL;
	struct mark_seen seen[6];
	uint64_t marked0, marked1;
	int recv_if, send_if, marks_fd, err, rc = CHILD_FAILED;

	if (unshare(CLONE_NEWNET)) {
		fprintf(stderr, "tc veth: unshare: %s\n", strerror(errno));
		return CHILD_CANNOT;
	}
	if (run_ip(add) || run_ip(up0) || run_ip(up1)) {
		fprintf(stderr, "tc veth: cannot create the veth pair with ip(8)\n");
		return CHILD_CANNOT;
	}
	send_if = (int)if_nametoindex(IF_SEND);
	recv_if = (int)if_nametoindex(IF_RECV);

	err = bpf_xdp_attach(recv_if, rt->main_fd, XDP_FLAGS_DRV_MODE, NULL);
	if (err) {
		fprintf(stderr, "tc veth: native XDP on veth: %s\n", strerror(-err));
		return CHILD_CANNOT;
	}
	probe = bpf_object__open_file(k->mark_probe_path, NULL);
	if (!probe || bpf_object__load(probe)) {
		fprintf(stderr, "tc veth: cannot load %s\n", k->mark_probe_path);
		goto out;
	}
	marks_fd = bpf_map__fd(bpf_object__find_map_by_name(probe, "marks"));

	/* untrack first, the recorder after it: TC_ACT_UNSPEC passes on. */
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = recv_if, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, ours, .handle = 1, .priority = 1, .prog_fd = rt->tc_fd);
	LIBBPF_OPTS(bpf_tc_opts, rec, .handle = 2, .priority = 2,
		    .prog_fd =
			    bpf_program__fd(bpf_object__find_program_by_name(probe, "mark_probe")));
	err = bpf_tc_hook_create(&hook);
	if (!err)
		err = bpf_tc_attach(&hook, &ours);
	if (!err)
		err = bpf_tc_attach(&hook, &rec);
	if (err) {
		fprintf(stderr, "tc veth: attaching TC programs: %s\n", strerror(-err));
		goto out;
	}

	marked0 = tc_marked_total(rt);
	err = send_frames(send_if, dports, sizeof(dports) / sizeof(dports[0]));
	if (err) {
		fprintf(stderr, "tc veth: sending: %s\n", strerror(-err));
		goto out;
	}
	/* veth delivers from NAPI: wait until the frames that pass XDP (all
	 * but the denied dport 2) reached the recorder, or give up. */
	memset(seen, 0, sizeof(seen));
	for (int tries = 0; tries < 200; tries++) {
		unsigned got = 0;

		for (uint32_t key = 1; key <= 5; key++) {
			if (bpf_map_lookup_elem(marks_fd, &key, &seen[key]))
				goto out;
			got += seen[key].count;
		}
		if (got >= 4)
			break;
		usleep(10 * 1000);
	}
	usleep(50 * 1000); /* a late frame would be one too many */
	for (uint32_t key = 1; key <= 5; key++)
		bpf_map_lookup_elem(marks_fd, &key, &seen[key]);
	marked1 = tc_marked_total(rt);

	rc = CHILD_OK;
	for (int key = 1; key <= 5; key++) {
		struct probe_verdict v = probe_expect(key);
		uint32_t want_count = v.retval == XDP_DROP ? 0 : 1;
		uint32_t want_mark = v.outcome == UT_RT_ACCEPTED ? UT_MARK_VALUE : 0;

		if (seen[key].count != want_count || (want_count && seen[key].mark != want_mark)) {
			fprintf(stderr, "tc veth: dport %d: %u frames, mark %#x; want %u, %#x\n",
				key, seen[key].count, seen[key].mark, want_count, want_mark);
			rc = CHILD_FAILED;
		}
	}
	if (marked1 - marked0 != 2) {
		fprintf(stderr, "tc veth: tc_marked moved by %" PRIu64 ", want 2\n",
			marked1 - marked0);
		rc = CHILD_FAILED;
	}
out:
	bpf_object__close(probe);
	return rc;
}

void case_tc_veth(struct kt *t, void *arg)
{
	struct kctx *k = arg;
	int status;
	pid_t pid;

	if (!k->loaded) {
		kt_skip(t, "the runtime is not loaded (needs root and BPF)");
		return;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		kt_fail(t, __FILE__, __LINE__, "fork: %s", strerror(errno));
		return;
	}
	if (pid == 0)
		_exit(veth_child(k));
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status)) {
		kt_fail(t, __FILE__, __LINE__, "the veth test child died");
		return;
	}
	if (WEXITSTATUS(status) == CHILD_CANNOT)
		kt_skip(t, "no network namespace, veth or native XDP here");
	else
		KT_CHECK(t, WEXITSTATUS(status) == CHILD_OK, "see the messages above");
}
