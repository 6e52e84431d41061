// SPDX-License-Identifier: GPL-2.0
/*
 * memmap_test: the job runner and the memory limit (run.h).
 */
#include <linux/cpumask.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>

#include "padata_mt.h"
#include "run.h"

static int mt_param_set_pct(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 1, 90);
}

static const struct kernel_param_ops mt_pct_ops = {
	.set = mt_param_set_pct,
	.get = param_get_uint,
};

static unsigned int max_memmap_pct = 50;
module_param_cb(max_memmap_pct, &mt_pct_ops, &max_memmap_pct, 0644);
MODULE_PARM_DESC(max_memmap_pct,
		 "Largest share of available memory (MemAvailable), in percent (1-90), that the memmap of a region may take; bigger regions are refused with E2BIG (default 50)");

unsigned int mt_max_memmap_pct(void)
{
	return READ_ONCE(max_memmap_pct);
}

unsigned int mt_default_threads(void)
{
	return max(num_online_cpus(), 1U);
}

/* -E2BIG unless @bytes fit in max_memmap_pct of MemAvailable. */
int mt_check_share(u64 bytes, const char *what, struct mt_out *o)
{
	u64 avail = (u64)si_mem_available() << PAGE_SHIFT;
	unsigned int pct = mt_max_memmap_pct();

	if (bytes <= div_u64(avail, 100) * pct)
		return 0;
	return mt_fail(o, -E2BIG,
		       "%s of %llu bytes exceeds max_memmap_pct=%u of %llu available bytes",
		       what, bytes, pct, avail);
}

int mt_run_task(const struct padata_mt_task *task, unsigned int threads)
{
	if (threads > 1)
		return padata_mt_run(task);
	/* One thread: the plain call, no engine at all. */
	if (!task->size)
		return 0;
	if (mt_cancelled(task->cancel))
		return -ECANCELED;
	return task->thread_fn(task->start, task->start + task->size,
			       task->fn_arg);
}

/* A job of one unit per section, over sections [@s0, @s1) of a region. */
int mt_run_sections(int (*fn)(unsigned long start, unsigned long end,
			      void *arg),
		    void *arg, unsigned long s0, unsigned long s1,
		    const struct mt_ctx *c)
{
	struct padata_mt_task task = {
		.thread_fn = fn,
		.fn_arg = arg,
		.start = s0,
		.size = s1 - s0,
		.align = 1,
		.min_chunk = 1,
		.max_threads = c->threads,
		.cancel = c->cancel,
	};

	return mt_run_task(&task, c->threads);
}
