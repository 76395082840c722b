/* The two ways of attaching, as lists of steps (the runner is
 * attach_steps.c; the command line, attach.c): on an interface without untrack (attach_fresh.c), and
 * where untrack is attached already (attach_again.c). Both run a list of
 * steps; a failure at any of them undoes the ones before it, in reverse, so
 * the interface is left as it was found.
 *
 * For tests, UNTRACK_FAIL_AFTER=STEP (pin, state, nft, tc, xdp, and swap
 * for attaching again) makes attach fail right after that step, so that
 * every undo path runs for real. */
#ifndef UNTRACK_ATTACH_STEPS_H
#define UNTRACK_ATTACH_STEPS_H

#include <stdbool.h>
#include <stddef.h>

#include "change.h"
#include "state.h"
#include "untrack_abi.h"

struct attach_opts {
	const char *ifname, *policy;
	enum ut_xdp_mode mode;
	bool mode_given, force, mark_given;
	struct ut_mark_config mark;
};

struct attach_step {
	const char *name; /* the step UNTRACK_FAIL_AFTER names; NULL: none */
	/* NULL: the step has nothing of its own to do on this path. */
	int (*run)(void *ctx, char *err, size_t errlen);
};

/* Run steps[0..n) on ctx in order, each followed by its injected failure;
 * stop at the first failure and return it. */
int attach_run_steps(const struct attach_step *steps, size_t n, void *ctx, char *err,
		     size_t errlen);

int attach_fresh(const struct attach_opts *o, const struct change *c, char *err, size_t errlen);
int attach_again(const struct attach_opts *o, const struct change *c, char *err, size_t errlen);

#endif
