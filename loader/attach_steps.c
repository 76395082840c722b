#include "attach_steps.h"

#include "errors.h"

int attach_run_steps(const struct attach_step *steps, size_t n, void *ctx, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		int ret = steps[i].run ? steps[i].run(ctx, err, errlen) : 0;
		if (!ret && steps[i].name)
			ret = ut_injected(steps[i].name, err, errlen);
		if (ret)
			return ret;
	}
	return 0;
}
