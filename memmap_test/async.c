// SPDX-License-Identifier: GPL-2.0
/*
 * memmap_test: async re-initialisation with on-demand sync, after Dan
 * Williams' "ZONE_DEVICE async memmap init" (2018).
 *
 * "async" sets every section of the plugged region to NOT_STARTED and
 * queues one background work item that re-initialises them with
 * padata_mt_run(), one unit per section; the command returns at once.
 * The work runs on an ordered workqueue of the module's own, not on
 * system_unbound_wq: on a NUMA machine (6.1) that one runs a work on the
 * queuing node's CPUs only, and padata_mt_run() gives a caller restricted
 * to some CPUs at most that many threads.  An ordered workqueue's one pool
 * spans every CPU.
 * "sync" makes a pfn range usable: it runs the same thread function over
 * the range's sections in the command kthread, so it initialises in the
 * foreground whatever the background pass has not claimed yet, then waits
 * only for the sections the pass is initialising at that moment.  Either
 * side claims a section with atomic_cmpxchg(NOT_STARTED -> IN_PROGRESS), so
 * every section is initialised exactly once per pass, by whoever gets it
 * (sec_inits counts the initialisations to prove it).
 *
 * A pass is cancelled through its task's cancel flag: no section starts
 * after it, and a section being initialised is finished and then marked
 * DONE, so no section is ever DONE with its struct pages half written, and
 * none stays IN_PROGRESS.  Every command but sync and verify, unplug and
 * rmmod stop a running pass first and wait for it.  The pass ends once
 * every section it did not claim itself is DONE too; then it checks the
 * region's digest against the kernel's.
 */
#include <linux/delay.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/wait.h>
#include <linux/wait_bit.h>
#include <linux/workqueue.h>

#include "async.h"
#include "digest.h"
#include "pageinit.h"

struct mt_claim {
	struct mt_region *r;
	const atomic_t *cancel;
	bool background;
	unsigned int delay_ms;
	atomic_long_t inited;
};

static void mt_async_fn(struct work_struct *work);
static DECLARE_WORK(mt_async_work, mt_async_fn);
static struct workqueue_struct *mt_async_queue;
static DECLARE_WAIT_QUEUE_HEAD(mt_async_wq);
static DEFINE_MUTEX(mt_async_lock);

/* The current (or last) pass.  Scalars under mt_async_lock. */
static struct {
	atomic_t cancel;
	bool running;
	bool finished;
	struct mt_region *r;
	unsigned int threads;
	unsigned int delay_ms;
	bool poison;
	bool check;
	unsigned long total;
	atomic_long_t done;
	atomic_long_t by_sync;
	u64 t_start;
	u64 t_end;
	int result;
	unsigned long twice;
	unsigned long never;
	struct mt_out *out;
} mt_async;

/* Claim and initialise the NOT_STARTED sections of [start, end). */
static int mt_claim_fn(unsigned long start, unsigned long end, void *arg)
{
	struct mt_claim *c = arg;
	struct mt_region *r = c->r;
	unsigned long s;

	for (s = start; s < end; s++) {
		atomic_t *st = &r->sec_state[s];

		if (mt_cancelled(c->cancel))
			return -ECANCELED;
		if (atomic_read(st) != MT_SEC_NOT_STARTED ||
		    atomic_cmpxchg(st, MT_SEC_NOT_STARTED,
				   MT_SEC_IN_PROGRESS) != MT_SEC_NOT_STARTED)
			continue;
		/* Test-only: hold the section IN_PROGRESS for a while. */
		if (c->delay_ms)
			msleep(c->delay_ms);
		mt_init_section(r, s);
		atomic_inc(&r->sec_inits[s]);
		/* Fully ordered: the struct pages, then DONE, then the wake. */
		atomic_xchg(st, MT_SEC_DONE);
		wake_up_var(st);
		atomic_long_inc(&mt_async.done);
		if (!c->background)
			atomic_long_inc(&mt_async.by_sync);
		atomic_long_inc(&c->inited);
		cond_resched();
	}
	return 0;
}

/* Wait for the sections of [s0, s1) someone is initialising; how many. */
static unsigned long mt_wait_sections(struct mt_region *r, unsigned long s0,
				      unsigned long s1)
{
	unsigned long s, waited = 0;

	for (s = s0; s < s1; s++) {
		atomic_t *st = &r->sec_state[s];

		if (atomic_read_acquire(st) != MT_SEC_IN_PROGRESS)
			continue;
		waited++;
		wait_var_event(st, atomic_read_acquire(st) != MT_SEC_IN_PROGRESS);
	}
	return waited;
}

/* Claim the unclaimed sections of [s0, s1) here, then wait for the rest. */
int mt_sync_sections(struct mt_region *r, unsigned long s0,
		     unsigned long s1, const struct mt_ctx *ctx,
		     unsigned long *inited, unsigned long *waited)
{
	struct mt_claim c = { .r = r, .cancel = ctx->cancel };
	int ret;

	*inited = 0;
	*waited = 0;
	atomic_long_set(&c.inited, 0);
	ret = mt_run_sections(mt_claim_fn, &c, s0, s1, ctx);
	*inited = atomic_long_read(&c.inited);
	*waited = mt_wait_sections(r, s0, s1);
	return ret;
}

static void mt_async_fn(struct work_struct *work)
{
	struct mt_region *r = mt_async.r;
	struct mt_claim c = {
		.r = r, .cancel = &mt_async.cancel, .background = true,
		.delay_ms = mt_async.delay_ms,
	};
	struct mt_ctx ctx = {
		.o = mt_out_alloc(), .cancel = &mt_async.cancel,
		.threads = mt_async.threads,
	};
	unsigned long s, twice = 0, never = 0;
	struct mt_out *o = ctx.o;
	u64 t_end;
	int ret;

	atomic_long_set(&c.inited, 0);
	ret = mt_run_sections(mt_claim_fn, &c, 0, r->nr_sections, &ctx);
	/* A sync that claimed a section finishes it; the pass ends after. */
	mt_wait_sections(r, 0, r->nr_sections);
	t_end = ktime_get_ns();
	for (s = 0; s < r->nr_sections; s++) {
		int n = atomic_read(&r->sec_inits[s]);

		twice += n > 1;
		never += n == 0;
	}
	mt_kv(o, "async_sections_by_background=%ld\n",
	      atomic_long_read(&c.inited));
	if (!ret && (twice || never))
		ret = mt_fail(o, -EIO,
			      "async: %lu sections initialised more than once, %lu never",
			      twice, never);
	if (!ret && mt_async.check)
		ret = mt_check_digest(r, &ctx);

	mutex_lock(&mt_async_lock);
	swap(o, mt_async.out);
	mt_async.result = ret;
	mt_async.t_end = t_end;
	mt_async.twice = twice;
	mt_async.never = never;
	mt_async.finished = true;
	WRITE_ONCE(mt_async.running, false);
	mutex_unlock(&mt_async_lock);
	wake_up_all(&mt_async_wq);
	mt_out_free(o);
}

void mt_async_start(struct mt_region *r, unsigned int threads, bool poison,
		    unsigned int delay_ms, bool check)
{
	unsigned long s;

	for (s = 0; s < r->nr_sections; s++) {
		if (poison) {
			mt_poison_section(r, s);
			cond_resched();
		}
		atomic_set(&r->sec_inits[s], 0);
		atomic_set(&r->sec_state[s], MT_SEC_NOT_STARTED);
	}

	mutex_lock(&mt_async_lock);
	atomic_set(&mt_async.cancel, 0);
	mt_async.r = r;
	mt_async.threads = threads;
	mt_async.delay_ms = delay_ms;
	mt_async.poison = poison;
	mt_async.check = check;
	mt_async.total = r->nr_sections;
	atomic_long_set(&mt_async.done, 0);
	atomic_long_set(&mt_async.by_sync, 0);
	mt_async.result = 0;
	mt_async.twice = 0;
	mt_async.never = 0;
	mt_async.finished = false;
	mt_async.t_start = ktime_get_ns();
	WRITE_ONCE(mt_async.running, true);
	mutex_unlock(&mt_async_lock);
	queue_work(mt_async_queue, &mt_async_work);
}

bool mt_async_running(void)
{
	return READ_ONCE(mt_async.running);
}

int mt_async_wait(void)
{
	wait_event_idle(mt_async_wq, !READ_ONCE(mt_async.running));
	flush_work(&mt_async_work);
	return mt_async.result;
}

u64 mt_async_full_ns(void)
{
	return mt_async.t_end - mt_async.t_start;
}

bool mt_async_stop(void)
{
	bool was = READ_ONCE(mt_async.running);

	if (was) {
		atomic_set(&mt_async.cancel, 1);
		mt_async_wait();
	}
	flush_work(&mt_async_work);
	mutex_lock(&mt_async_lock);
	mt_async.r = NULL;
	mutex_unlock(&mt_async_lock);
	return was;
}

int mt_async_init(void)
{
	mt_async_queue = alloc_ordered_workqueue(MT_NAME "_async", 0);
	return mt_async_queue ? 0 : -ENOMEM;
}

void mt_async_exit(void)
{
	mt_async_stop();
	mt_out_free(mt_async.out);
	mt_async.out = NULL;
	destroy_workqueue(mt_async_queue);
}

/*
 * The first pfn of the lowest section someone is initialising right now,
 * or none: a test can sync exactly the section a pass holds.  Under
 * mt_async_lock, so the region is still plugged.
 */
static void mt_async_in_progress_show(struct seq_file *m)
{
	struct mt_region *r = mt_async.r;
	unsigned long s;

	for (s = 0; r && mt_async.running && s < r->nr_sections; s++)
		if (atomic_read(&r->sec_state[s]) == MT_SEC_IN_PROGRESS) {
			seq_printf(m, "async_in_progress_pfn=%#lx\n",
				   r->start_pfn + s * PAGES_PER_SECTION);
			return;
		}
	seq_puts(m, "async_in_progress_pfn=none\n");
}

void mt_async_status(struct seq_file *m)
{
	u64 now;

	mutex_lock(&mt_async_lock);
	/* Under the lock: a pass starting now cannot postdate it. */
	now = ktime_get_ns();
	seq_printf(m, "async_running=%d\n", mt_async.running);
	seq_printf(m, "async_sections_done=%ld\nasync_sections_total=%lu\n",
		   atomic_long_read(&mt_async.done), mt_async.total);
	seq_printf(m, "async_elapsed_ns=%llu\n",
		   !mt_async.total ? 0 :
		   (mt_async.running ? now : mt_async.t_end) - mt_async.t_start);
	seq_printf(m, "async_threads=%u\nasync_poison=%d\nasync_delay_ms=%u\n",
		   mt_async.threads, mt_async.poison, mt_async.delay_ms);
	seq_printf(m, "async_sections_by_sync=%ld\n",
		   atomic_long_read(&mt_async.by_sync));
	mt_async_in_progress_show(m);
	if (mt_async.finished) {
		seq_printf(m, "async_result=%d\n", mt_async.result);
		seq_printf(m, "async_sections_initialised_twice=%lu\nasync_sections_never_initialised=%lu\n",
			   mt_async.twice, mt_async.never);
		if (mt_async.out)
			mt_out_show(m, mt_async.out);
	}
	mutex_unlock(&mt_async_lock);
}
