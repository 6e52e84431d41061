/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memmap_test, the job runner: one context struct every operation below
 * the command handlers takes, a padata_mt_run() job (or, at one thread,
 * the plain call), and the memory limit max_memmap_pct.  Calls only
 * padata_mt and out.h.
 */
#ifndef _MT_RUN_H
#define _MT_RUN_H

#include <linux/atomic.h>
#include <linux/types.h>

#include "out.h"

struct padata_mt_task;

/* What an operation reports to and is stopped by, and its thread count. */
struct mt_ctx {
	struct mt_out *o;
	const atomic_t *cancel;
	unsigned int threads;
};

static inline bool mt_cancelled(const atomic_t *cancel)
{
	return cancel && atomic_read(cancel);
}

unsigned int mt_default_threads(void);
unsigned int mt_max_memmap_pct(void);
int mt_check_share(u64 bytes, const char *what, struct mt_out *o);

/* Run a job: directly when threads == 1, else with padata_mt_run(). */
int mt_run_task(const struct padata_mt_task *task, unsigned int threads);
int mt_run_sections(int (*fn)(unsigned long start, unsigned long end,
			      void *arg),
		    void *arg, unsigned long s0, unsigned long s1,
		    const struct mt_ctx *c);

#endif /* _MT_RUN_H */
