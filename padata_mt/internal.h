/* SPDX-License-Identifier: GPL-2.0 */
/*
 * padata_mt internals shared by the engine (core.c) and its statistics
 * (stats.c).  Not part of the API: users include padata_mt.h only.
 */
#ifndef _PADATA_MT_INTERNAL_H
#define _PADATA_MT_INTERNAL_H

#include <linux/atomic.h>
#include <linux/jump_label.h>
#include <linux/percpu.h>
#include <linux/types.h>

/**
 * struct pmt_stats - per-CPU event counters, summed when read
 * @jobs: padata_mt_run() calls with work to do
 * @inline_jobs: of those, jobs that ran in the caller alone
 * @chunks: thread_fn calls
 * @helpers_queued: helpers queued on a workqueue
 * @helpers_reclaimed: queued helpers taken back before they started
 * @pool_exhausted: jobs that got fewer helpers than they asked for
 * @errors: jobs that returned a thread_fn error
 * @cancellations: jobs stopped by a fatal signal or their cancel flag
 * @undo_chunks: undo_fn calls
 * @busy_ns: time helpers spent in their work function
 */
struct pmt_stats {
	u64 jobs;
	u64 inline_jobs;
	u64 chunks;
	u64 helpers_queued;
	u64 helpers_reclaimed;
	u64 pool_exhausted;
	u64 errors;
	u64 cancellations;
	u64 undo_chunks;
	u64 busy_ns;
};

DECLARE_PER_CPU(struct pmt_stats, pmt_stats);

#define pmt_stat_add(field, n)	this_cpu_add(pmt_stats.field, (n))
#define pmt_stat_inc(field)	this_cpu_inc(pmt_stats.field)

/*
 * Test-only fault injection (debugfs inject_fail_chunk, see stats.c): the
 * next job fails its chunk number N.  The knob ships with the module, so
 * that the tests run what users run, behind a static key that is on only
 * while the knob is armed: a job's one check is a no-op jump otherwise.
 */
DECLARE_STATIC_KEY_FALSE(pmt_inject_armed);
int __pmt_inject_take(void);

/* The chunk (in claim order) the job now starting fails, or -1. */
static __always_inline int pmt_inject_take(void)
{
	if (static_branch_unlikely(&pmt_inject_armed))
		return __pmt_inject_take();
	return -1;
}

/*
 * Test-only hooks (debugfs, see stats.c).  pmt_hold_state: 0 off, 1 armed
 * (the next multithreaded job stops between counting its CPUs and placing
 * its helpers), 2 holding a job there.  pmt_exit_delay_ms: the next helper
 * to finish sleeps that long after its last touch of its job.
 * pmt_clock_skew_ms: the next helper to start reads its start time that
 * far ahead.
 */
extern atomic_t pmt_hold_state;
extern atomic_t pmt_exit_delay_ms;
extern atomic_t pmt_clock_skew_ms;
void pmt_test_hold_wait(void);
void pmt_test_exit_delay(void);
u64 pmt_test_take_clock_skew(void);

static inline u64 pmt_test_clock_skew(void)
{
	if (unlikely(atomic_read(&pmt_clock_skew_ms)))
		return pmt_test_take_clock_skew();
	return 0;
}

static inline void pmt_test_hold(void)
{
	if (unlikely(atomic_read(&pmt_hold_state) == 1))
		pmt_test_hold_wait();
}

void pmt_stats_helper_enter(void);
void pmt_stats_helper_exit(u64 busy_ns);
int pmt_stats_init(unsigned int pool_size, unsigned int (*pool_free)(void));
void pmt_stats_exit(void);

#endif /* _PADATA_MT_INTERNAL_H */
