#include "state.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include <bpf/bpf.h>

#include "errors.h"
#include "objfmt/nft_template.h"
#include "nft.h"
#include "objfmt/objmeta.h"
#include "seed_tables.h"
#include "untrack_abi.h"

#define INFO_FILE   "info"
#define META_FILE   "policy.meta"
#define NFT_FILE    "policy.nft"
#define LOCK_FILE   UT_RUN_ROOT "/lock"
#define INFO_FORMAT 1

const char *ut_xdp_mode_name(enum ut_xdp_mode mode)
{
	switch (mode) {
	case UT_XDP_NATIVE:
		return "native";
	case UT_XDP_GENERIC:
		return "generic";
	case UT_XDP_AUTO:
		break;
	}
	return "auto";
}

int ut_xdp_mode_parse(const char *text, enum ut_xdp_mode *mode)
{
	static const enum ut_xdp_mode all[] = {UT_XDP_AUTO, UT_XDP_NATIVE, UT_XDP_GENERIC};

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (strcmp(text, ut_xdp_mode_name(all[i])) == 0) {
			*mode = all[i];
			return 0;
		}
	}
	return -EINVAL;
}

bool ut_ifname_valid(const char *name)
{
	size_t len = strnlen(name, IF_NAMESIZE);

	if (len == 0 || len >= IF_NAMESIZE || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return false;
	for (const char *c = name; *c; c++)
		if (*c == '/' || *c == ':' || isspace((unsigned char)*c))
			return false;
	return true;
}

int ut_path(char *buf, size_t size, const char *dir, const char *name)
{
	int n = snprintf(buf, size, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* The inode of a network namespace file, or 0. */
static unsigned long long netns_inode(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (unsigned long long)st.st_ino : 0;
}

/* The host's namespace is PID 1's. When that cannot be seen (a sandbox
 * that hides PID 1), no namespace counts as the host's: qualified names are
 * safe everywhere, plain ones only where they cannot collide. */
static bool netns_is_host(unsigned long long self)
{
	unsigned long long host = netns_inode("/proc/1/ns/net");

	return host != 0 && host == self;
}

int ut_where_init(struct ut_where *w, const char *ifname, char *err, size_t errlen)
{
	memset(w, 0, sizeof(*w));
	if (!ut_ifname_valid(ifname))
		return ut_fail(-EINVAL, err, errlen, "'%s' is not a valid interface name", ifname);
	snprintf(w->ifname, sizeof(w->ifname), "%s", ifname);
	w->netns = netns_inode("/proc/self/ns/net");
	if (!w->netns)
		return ut_fail(-errno, err, errlen, "cannot identify the network namespace: %s",
			       strerror(errno));
	if (!netns_is_host(w->netns))
		snprintf(w->ns_dir, sizeof(w->ns_dir), "netns:%llu", w->netns);
	/* bpffs refuses '.' in names (VLAN devices have one): it becomes ':',
	 * which no interface name contains. */
	if (w->ns_dir[0])
		snprintf(w->key, sizeof(w->key), "%s/", w->ns_dir);
	for (const char *c = ifname; *c; c++) {
		size_t len = strlen(w->key);
		w->key[len] = *c == '.' ? ':' : *c;
		w->key[len + 1] = '\0';
	}
	if (ut_path(w->pin_dir, sizeof(w->pin_dir), UT_PIN_ROOT, w->key) ||
	    ut_path(w->run_dir, sizeof(w->run_dir), UT_RUN_ROOT, w->key))
		return ut_fail(-ENAMETOOLONG, err, errlen, "state path too long");
	return 0;
}

bool ut_where_attached(const struct ut_where *w)
{
	char path[PATH_MAX];

	return ut_path(path, sizeof(path), w->run_dir, INFO_FILE) == 0 && access(path, F_OK) == 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

int ut_state_list(char (**names)[IF_NAMESIZE], size_t *n, char *err, size_t errlen)
{
	char dir[PATH_MAX], info[PATH_MAX * 2];
	char(*out)[IF_NAMESIZE] = NULL;
	size_t len = 0, cap = 0;
	struct dirent *d;
	unsigned long long self = netns_inode("/proc/self/ns/net");
	DIR *dp;
	int ret = 0;

	*names = NULL;
	*n = 0;
	if (netns_is_host(self))
		snprintf(dir, sizeof(dir), "%s", UT_RUN_ROOT);
	else
		snprintf(dir, sizeof(dir), "%s/netns:%llu", UT_RUN_ROOT, self);
	dp = opendir(dir);
	if (!dp) {
		if (errno == ENOENT)
			return 0;
		return ut_fail(-errno, err, errlen, "cannot read %s: %s", dir, strerror(errno));
	}
	while ((d = readdir(dp))) {
		char name[IF_NAMESIZE];
		size_t nlen = strnlen(d->d_name, IF_NAMESIZE);

		/* Keys are names with '.' as ':'; "netns:INODE" is longer
		 * than any interface name (inodes have 10 digits). */
		if (d->d_name[0] == '.' || nlen >= IF_NAMESIZE)
			continue;
		for (size_t i = 0; i <= nlen; i++)
			name[i] = d->d_name[i] == ':' ? '.' : d->d_name[i];
		if (!ut_ifname_valid(name))
			continue;
		snprintf(info, sizeof(info), "%s/%s/%s", dir, d->d_name, INFO_FILE);
		if (access(info, F_OK) != 0)
			continue;
		if (len == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			char(*grown)[IF_NAMESIZE] = realloc(out, ncap * sizeof(*out));
			if (!grown) {
				ret = ut_fail(-ENOMEM, err, errlen, "out of memory");
				goto cleanup;
			}
			out = grown;
			cap = ncap;
		}
		memcpy(out[len++], name, IF_NAMESIZE);
	}
	qsort(out, len, sizeof(*out), name_cmp);
	*names = out;
	*n = len;
	out = NULL;
cleanup:
	free(out);
	closedir(dp);
	return ret;
}

/* Write a small file atomically: a temporary beside it, then rename. */
static int write_file(const char *dir, const char *name, const char *data, size_t len, char *err,
		      size_t errlen)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	int fd = -1, ret = 0;

	if (ut_path(path, sizeof(path), dir, name))
		return ut_fail(-ENAMETOOLONG, err, errlen, "state path too long");
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	ret = ut_mkdirs(dir);
	if (ret) {
		ut_fail(ret, err, errlen, "cannot create %s: %s", dir, strerror(-ret));
		goto cleanup;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		ret = ut_fail(-errno, err, errlen, "cannot write %s: %s", tmp, strerror(errno));
		goto cleanup;
	}
	for (size_t off = 0; off < len;) {
		ssize_t w = write(fd, data + off, len - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			ret = ut_fail(-errno, err, errlen, "cannot write %s: %s", tmp,
				      strerror(errno));
			goto cleanup;
		}
		off += (size_t)w;
	}
	if (close(fd)) {
		fd = -1;
		ret = ut_fail(-errno, err, errlen, "cannot write %s: %s", tmp, strerror(errno));
		goto cleanup;
	}
	fd = -1;
	if (rename(tmp, path))
		ret = ut_fail(-errno, err, errlen, "cannot rename %s: %s", tmp, strerror(errno));
cleanup:
	if (fd >= 0)
		close(fd);
	if (ret)
		unlink(tmp);
	return ret;
}

static int read_file(const char *dir, const char *name, char **text, size_t *len, char *err,
		     size_t errlen)
{
	char path[PATH_MAX];
	char *buf = NULL;
	size_t size = 0, cap = 0;
	int fd, ret = 0;

	*text = NULL;
	if (ut_path(path, sizeof(path), dir, name))
		return ut_fail(-ENAMETOOLONG, err, errlen, "state path too long");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ut_fail(-errno, err, errlen, "cannot read %s: %s", path, strerror(errno));
	for (;;) {
		ssize_t r;
		if (size + 4096 + 1 > cap) {
			size_t ncap = cap ? cap * 2 : 8192;
			char *grown = realloc(buf, ncap);
			if (!grown) {
				ret = ut_fail(-ENOMEM, err, errlen, "out of memory");
				goto cleanup;
			}
			buf = grown;
			cap = ncap;
		}
		r = read(fd, buf + size, cap - size - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			ret = ut_fail(-errno, err, errlen, "cannot read %s: %s", path,
				      strerror(errno));
			goto cleanup;
		}
		if (r == 0)
			break;
		size += (size_t)r;
	}
	buf[size] = '\0';
	*text = buf;
	*len = size;
	buf = NULL;
cleanup:
	free(buf);
	close(fd);
	return ret;
}

/* "key value\n", control characters in value shown as '?'. */
static void put_line(FILE *f, const char *key, const char *value)
{
	fprintf(f, "%s ", key);
	for (const char *c = value; *c; c++)
		fputc((unsigned char)*c < 0x20 ? '?' : *c, f);
	fputc('\n', f);
}

int ut_info_write(const struct ut_where *w, const struct ut_info *info, char *err, size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int ret;

	if (!f)
		return ut_fail(-ENOMEM, err, errlen, "out of memory");
	/* One "key value" per line. */
	fprintf(f,
		"untrack-state %d\nifname %s\nifindex %d\nnetns %llu\nmode %s\n"
		"mark 0x%08x\nmask 0x%08x\ntc_hook_created %d\n",
		INFO_FORMAT, info->ifname, info->ifindex, info->netns, ut_xdp_mode_name(info->mode),
		info->mark_value, info->mark_mask, info->tc_hook_created);
	put_line(f, "policy", info->policy);
	put_line(f, "source", info->source);
	fprintf(f, "attached %lld\nreplaced %lld\ngeneration %lu\n", info->attached, info->replaced,
		info->generation);
	if (fclose(f))
		return ut_fail(-ENOMEM, err, errlen, "out of memory");
	ret = write_file(w->run_dir, INFO_FILE, text, len, err, errlen);
	free(text);
	return ret;
}

static int parse_u32(const char *v, __u32 *out)
{
	char *end;
	unsigned long x;

	errno = 0;
	x = strtoul(v, &end, 0);
	if (errno || *end || end == v || x > 0xffffffffUL)
		return -EINVAL;
	*out = (__u32)x;
	return 0;
}

int ut_info_read(const struct ut_where *w, struct ut_info *info, char *err, size_t errlen)
{
	char *text = NULL, *line, *save = NULL;
	size_t len;
	int ret, format = 0;

	memset(info, 0, sizeof(*info));
	ret = read_file(w->run_dir, INFO_FILE, &text, &len, err, errlen);
	if (ret)
		return ret;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *v = strchr(line, ' ');
		__u32 u = 0;
		int bad = 0;

		if (!v)
			continue;
		*v++ = '\0';
		if (strcmp(line, "untrack-state") == 0)
			format = atoi(v);
		else if (strcmp(line, "ifname") == 0)
			snprintf(info->ifname, sizeof(info->ifname), "%s", v);
		else if (strcmp(line, "ifindex") == 0)
			info->ifindex = atoi(v);
		else if (strcmp(line, "netns") == 0)
			info->netns = strtoull(v, NULL, 10);
		else if (strcmp(line, "mode") == 0)
			bad = ut_xdp_mode_parse(v, &info->mode);
		else if (strcmp(line, "mark") == 0)
			bad = parse_u32(v, &info->mark_value);
		else if (strcmp(line, "mask") == 0)
			bad = parse_u32(v, &info->mark_mask);
		else if (strcmp(line, "tc_hook_created") == 0)
			info->tc_hook_created = (bad = parse_u32(v, &u)) == 0 && u;
		else if (strcmp(line, "policy") == 0)
			snprintf(info->policy, sizeof(info->policy), "%s", v);
		else if (strcmp(line, "source") == 0)
			snprintf(info->source, sizeof(info->source), "%s", v);
		else if (strcmp(line, "attached") == 0)
			info->attached = strtoll(v, NULL, 10);
		else if (strcmp(line, "replaced") == 0)
			info->replaced = strtoll(v, NULL, 10);
		else if (strcmp(line, "generation") == 0)
			info->generation = strtoul(v, NULL, 10);
		if (bad) {
			ret = ut_fail(-EINVAL, err, errlen, "%s/%s: bad value for %s: '%s'",
				      w->run_dir, INFO_FILE, line, v);
			goto cleanup;
		}
	}
	if (format != INFO_FORMAT)
		ret = ut_fail(-EINVAL, err, errlen,
			      "%s/%s was written by another untrack version (format %d, want %d)",
			      w->run_dir, INFO_FILE, format, INFO_FORMAT);
cleanup:
	free(text);
	return ret;
}

int ut_meta_write(const struct ut_where *w, const char *text, size_t len, char *err, size_t errlen)
{
	return write_file(w->run_dir, META_FILE, text, len, err, errlen);
}

int ut_meta_read(const struct ut_where *w, char **text, size_t *len, char *err, size_t errlen)
{
	return read_file(w->run_dir, META_FILE, text, len, err, errlen);
}

int ut_nft_write(const struct ut_where *w, const char *text, size_t len, char *err, size_t errlen)
{
	return write_file(w->run_dir, NFT_FILE, text, len, err, errlen);
}

int ut_nft_read(const struct ut_where *w, char **text, char *err, size_t errlen)
{
	size_t len = 0;
	int ret = read_file(w->run_dir, NFT_FILE, text, &len, err, errlen);

	/* State recorded before policies had egress rules. */
	if (ret == -ENOENT) {
		*text = strdup("");
		ret = *text ? 0 : ut_fail(-ENOMEM, err, errlen, "out of memory");
	}
	if (!ret && strlen(*text) != len) {
		free(*text);
		*text = NULL;
		ret = ut_fail(-EINVAL, err, errlen, "%s/%s is damaged (a NUL byte)", w->run_dir,
			      NFT_FILE);
	}
	return ret;
}

int ut_set_open(const char *policy_dir, size_t index, struct ut_set_fds *f)
{
	static const char *const fmts[] = {UT_SET_HDR_FMT, UT_SET_V4_FMT, UT_SET_V6_FMT,
					   UT_SET_MEMBERS_FMT};
	int *const fds[] = {&f->hdr, &f->v4, &f->v6, &f->members};
	int ret = 0;

	for (size_t k = 0; k < 4; k++)
		*fds[k] = -1;
	for (size_t k = 0; k < 4; k++) {
		char name[32], path[PATH_MAX];
		snprintf(name, sizeof(name), fmts[k], (unsigned)index);
		if (ut_path(path, sizeof(path), policy_dir, name)) {
			ret = -ENAMETOOLONG;
			goto cleanup;
		}
		*fds[k] = bpf_obj_get(path);
		if (*fds[k] < 0) {
			ret = -errno;
			goto cleanup;
		}
	}
	ret = ut_set_fds_caps(f);
cleanup:
	if (ret)
		ut_set_close(f);
	return ret;
}

void ut_set_close(struct ut_set_fds *f)
{
	int *const fds[] = {&f->hdr, &f->v4, &f->v6, &f->members};

	for (size_t k = 0; k < 4; k++) {
		if (*fds[k] >= 0)
			close(*fds[k]);
		*fds[k] = -1;
	}
}

/* The elements of one family, malloc'ed ("" for none). */
static char *elements(const struct prefix *members, size_t n, uint8_t family)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	ssize_t written = nft_elements_write(f, members, n, family, "\t");
	if (fclose(f) != 0 || written < 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

int ut_egress_sets_read(const char *policy_dir, const struct objmeta *meta, long only,
			struct ut_egress_sets *out, char *err, size_t errlen)
{
	struct ut_set_fds fds = {.hdr = -1, .v4 = -1, .v6 = -1, .members = -1};
	struct prefix *members = NULL;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	out->sets = calloc(meta->nsets ? meta->nsets : 1, sizeof(*out->sets));
	if (!out->sets)
		return ut_fail(-ENOMEM, err, errlen, "out of memory");
	for (size_t i = 0; i < meta->nsets; i++) {
		const struct objmeta_set *s = &meta->sets[i];
		struct nft_set_elems *e = &out->sets[out->n];
		size_t n = 0;

		if (!s->egress || (only >= 0 && (size_t)only != i))
			continue;
		ret = ut_set_open(policy_dir, i, &fds);
		if (ret) {
			ut_fail(ret, err, errlen, "cannot open the maps of set '%s' under %s: %s",
				s->name, policy_dir, strerror(-ret));
			goto cleanup;
		}
		ret = ut_set_members(&fds, &members, &n);
		ut_set_close(&fds);
		if (ret) {
			ut_fail(ret, err, errlen, "cannot read set '%s': %s", s->name,
				strerror(-ret));
			goto cleanup;
		}
		e->index = (unsigned)i;
		e->v4 = elements(members, n, FAM_V4);
		e->v6 = elements(members, n, FAM_V6);
		out->n++;
		free(members);
		members = NULL;
		if (!e->v4 || !e->v6) {
			ret = ut_fail(-ENOMEM, err, errlen, "out of memory");
			goto cleanup;
		}
	}
cleanup:
	free(members);
	if (ret)
		ut_egress_sets_free(out);
	return ret;
}

void ut_egress_sets_free(struct ut_egress_sets *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free((char *)s->sets[i].v4);
		free((char *)s->sets[i].v6);
	}
	free(s->sets);
	memset(s, 0, sizeof(*s));
}

int ut_state_load(const struct ut_where *w, struct ut_info *info, struct objmeta *meta, char *err,
		  size_t errlen)
{
	char *text = NULL, why[256];
	size_t len = 0;
	int ret;

	memset(meta, 0, sizeof(*meta));
	if (!ut_where_attached(w))
		return ut_fail(-ENOENT, err, errlen, "untrack is not attached to %s", w->ifname);
	ret = ut_info_read(w, info, err, errlen);
	if (!ret)
		ret = ut_meta_read(w, &text, &len, err, errlen);
	if (!ret && objmeta_parse(text, len, meta, why, sizeof(why)))
		ret = ut_fail(-EINVAL, err, errlen, "%s/%s is damaged: %s", w->run_dir, META_FILE,
			      why);
	free(text);
	return ret;
}

int ut_run_dir_remove(const struct ut_where *w)
{
	int ret = ut_remove_tree(w->run_dir);

	ut_remove_empty_parents(w->run_dir, UT_RUN_ROOT);
	return ret;
}

int ut_lock(bool exclusive, char *err, size_t errlen)
{
	int fd, ret;

	ret = ut_mkdirs(UT_RUN_ROOT);
	if (ret)
		return ut_fail(ret, err, errlen, "cannot create %s: %s", UT_RUN_ROOT,
			       strerror(-ret));
	fd = open(LOCK_FILE, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return ut_fail(-errno, err, errlen, "cannot open %s: %s", LOCK_FILE,
			       strerror(errno));
	while (flock(fd, exclusive ? LOCK_EX : LOCK_SH)) {
		if (errno == EINTR)
			continue;
		ret = -errno;
		close(fd);
		return ut_fail(ret, err, errlen, "cannot lock %s: %s", LOCK_FILE, strerror(-ret));
	}
	return fd;
}

int ut_bpffs_ensure(bool *mounted, char *err, size_t errlen)
{
	struct statfs st;
	int ret;

	*mounted = false;
	if (statfs(UT_BPFFS_ROOT, &st) == 0 && st.f_type == BPF_FS_MAGIC)
		return 0;
	ret = ut_mkdirs(UT_BPFFS_ROOT);
	if (ret)
		return ut_fail(ret, err, errlen, "cannot create %s: %s", UT_BPFFS_ROOT,
			       strerror(-ret));
	if (mount("bpf", UT_BPFFS_ROOT, "bpf", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0700"))
		return ut_fail(-errno, err, errlen, "no bpffs on %s and cannot mount one: %s",
			       UT_BPFFS_ROOT, strerror(errno));
	*mounted = true;
	return 0;
}

int ut_mkdirs(const char *path)
{
	char buf[PATH_MAX];

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(buf, 0700) && errno != EEXIST)
			return -errno;
		*p = c;
		if (!c)
			break;
	}
	return 0;
}

static int remove_one(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	if (type == FTW_DP)
		return rmdir(path) ? -1 : 0;
	return unlink(path) ? -1 : 0;
}

int ut_remove_tree(const char *path)
{
	if (access(path, F_OK) != 0)
		return errno == ENOENT ? 0 : -errno;
	if (nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS))
		return errno ? -errno : -EIO;
	return 0;
}

void ut_remove_empty_parents(const char *dir, const char *stop)
{
	char buf[PATH_MAX];
	size_t stop_len = strlen(stop);

	snprintf(buf, sizeof(buf), "%s", dir);
	while (strlen(buf) > stop_len && strncmp(buf, stop, stop_len) == 0) {
		char *slash = strrchr(buf, '/');
		*slash = '\0';
		if (strlen(buf) < stop_len)
			break;
		/* The stop directory itself goes too when empty, but not its
		 * parent. */
		if (rmdir(buf) && errno != ENOENT)
			break;
		if (strlen(buf) == stop_len)
			break;
	}
}
