#include "change.h"

#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "objfmt/objmeta.h"
#include "objload.h"

#define ERRLEN 1024

/* The object's metadata (its ABI) and egress template, read and checked. */
static int check_policy(const char *policy, struct change *c, char *err, size_t errlen)
{
	struct objmeta meta;
	int ret = pipeline_read_meta(policy, &meta, err, errlen);

	if (ret)
		return ret;
	ret = pipeline_read_template(policy, &meta, &c->egress, &c->egress_len, err, errlen);
	objmeta_free(&meta);
	return ret;
}

int change_begin(const char *cmd, const char *ifname, const char *policy, bool need_iface,
		 struct change *c)
{
	char err[ERRLEN];

	memset(c, 0, sizeof(*c));
	c->lock = -1;
	if (ut_need_privileges(cmd))
		return UT_EXIT_FAIL;
	if (ut_where_init(&c->w, ifname, err, sizeof(err))) {
		ut_error("%s", err);
		return UT_EXIT_FAIL;
	}
	c->ifindex = (int)if_nametoindex(ifname);
	if (!c->ifindex && need_iface) {
		ut_error("no such interface '%s'%s", ifname,
			 c->w.ns_dir[0] ? " in this network namespace" : "");
		return UT_EXIT_FAIL;
	}
	if (policy && check_policy(policy, c, err, sizeof(err))) {
		ut_error("%s", err);
		return UT_EXIT_FAIL;
	}
	if (policy && strchr(policy, '\n')) {
		ut_error("policy path contains a newline");
		return UT_EXIT_FAIL;
	}
	c->lock = ut_lock(true, err, sizeof(err));
	if (c->lock < 0) {
		ut_error("%s", err);
		return UT_EXIT_FAIL;
	}
	return 0;
}

void change_end(struct change *c)
{
	free(c->egress);
	c->egress = NULL;
	if (c->lock >= 0)
		close(c->lock);
	c->lock = -1;
}

void change_abs_path(const char *path, char *buf, size_t size)
{
	char *real = realpath(path, NULL);

	snprintf(buf, size, "%s", real ? real : path);
	free(real);
}
