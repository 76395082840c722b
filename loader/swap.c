#include "swap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "change.h"
#include "errors.h"
#include "untrack_abi.h"

#define ERRLEN 1024

void swap_init(struct swap *s, const struct ut_where *w, const struct ut_info *old,
	       const char *policy, const char *egress, size_t egress_len)
{
	memset(s, 0, sizeof(*s));
	s->w = w;
	s->old_policy_fd = -1;
	s->old_info = *old;
	s->new_info = *old;
	change_abs_path(policy, s->new_info.policy, sizeof(s->new_info.policy));
	s->new_info.replaced = (long long)time(NULL);
	s->new_info.generation++;
	s->new_nft = egress;
	s->new_nft_len = egress_len;
}

/* The policy program in slot 0 now (its pin), to swap back to: -1 if
 * there is none. */
static int current_policy_fd(const struct swap *s)
{
	char path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/untrack_policy", s->cur_dir);
	return bpf_obj_get(path);
}

int swap_prepare(struct swap *s, const char *policy, char *err, size_t errlen)
{
	struct pipeline *pl = &s->pl;
	int ret;

	if (ut_path(s->new_dir, sizeof(s->new_dir), s->w->pin_dir, UT_POLICY_NEW_DIR) ||
	    ut_path(s->cur_dir, sizeof(s->cur_dir), s->w->pin_dir, UT_POLICY_DIR) ||
	    ut_path(s->old_dir, sizeof(s->old_dir), s->w->pin_dir, UT_POLICY_OLD_DIR))
		return ut_fail(-ENAMETOOLONG, err, errlen, "pin path too long: %s/%s",
			       s->w->pin_dir, UT_POLICY_NEW_DIR);
	ret = pipeline_runtime_open_pinned(pl, s->w->pin_dir, err, errlen);
	if (!ret)
		ret = pipeline_policy_load(pl, policy, err, errlen);
	if (ret)
		return ret;
	snprintf(s->new_info.source, sizeof(s->new_info.source), "%s",
		 pl->meta.source ? pl->meta.source : "");
	/* Leftovers of a replace that died half-way. */
	ut_remove_tree(s->new_dir);
	ut_remove_tree(s->old_dir);
	ret = pipeline_pin_policy(pl, s->new_dir, err, errlen);
	if (ret)
		return ret;
	s->old_policy_fd = current_policy_fd(s);
	ret = ut_meta_read(s->w, &s->old_meta, &s->old_meta_len, err, errlen);
	if (!ret)
		ret = ut_nft_read(s->w, &s->old_nft, err, errlen);
	if (ret)
		ut_remove_tree(s->new_dir);
	return ret;
}

/* The record of the new policy: its metadata, template and info. */
static int record_new(struct swap *s, char *err, size_t errlen)
{
	int ret = ut_meta_write(s->w, s->pl.meta_text, s->pl.meta_len, err, errlen);

	if (!ret)
		ret = ut_nft_write(s->w, s->new_nft, s->new_nft_len, err, errlen);
	if (!ret)
		ret = ut_info_write(s->w, &s->new_info, err, errlen);
	return ret;
}

/* policy becomes policy_old, policy_new becomes policy. */
static int move_pins(struct swap *s, bool *moved_cur, char *err, size_t errlen)
{
	if (rename(s->cur_dir, s->old_dir) && errno != ENOENT)
		return ut_fail(-errno, err, errlen, "cannot move %s aside: %s", s->cur_dir,
			       strerror(errno));
	*moved_cur = true;
	if (rename(s->new_dir, s->cur_dir))
		return ut_fail(-errno, err, errlen, "cannot move %s into place: %s", s->new_dir,
			       strerror(errno));
	ut_remove_tree(s->old_dir);
	return 0;
}

int swap_commit(struct swap *s, char *err, size_t errlen)
{
	char undo_err[ERRLEN];
	bool swapped = false, moved_cur = false;
	int ret = record_new(s, err, errlen);

	if (!ret) {
		ret = pipeline_activate(&s->pl, err, errlen);
		swapped = !ret;
	}
	if (!ret)
		ret = ut_injected("swap", err, errlen);
	if (!ret)
		ret = move_pins(s, &moved_cur, err, errlen);
	if (!ret)
		return 0;
	if (moved_cur)
		rename(s->old_dir, s->cur_dir);
	if (swapped && s->old_policy_fd >= 0) {
		__u32 slot = UT_SLOT_POLICY;
		bpf_map_update_elem(s->pl.jmp_fd, &slot, &s->old_policy_fd, BPF_ANY);
	}
	ut_meta_write(s->w, s->old_meta, s->old_meta_len, undo_err, sizeof(undo_err));
	ut_nft_write(s->w, s->old_nft, strlen(s->old_nft), undo_err, sizeof(undo_err));
	ut_info_write(s->w, &s->old_info, undo_err, sizeof(undo_err));
	ut_remove_tree(s->new_dir);
	return ret;
}

void swap_release(struct swap *s)
{
	if (s->old_policy_fd >= 0)
		close(s->old_policy_fd);
	s->old_policy_fd = -1;
	free(s->old_meta);
	s->old_meta = NULL;
	free(s->old_nft);
	s->old_nft = NULL;
	pipeline_close(&s->pl);
}
