// SPDX-License-Identifier: GPL-2.0
/*
 * padata_mt_selftest: the job every test runs (struct st_job, selftest.h),
 * the thread_fn and undo_fn that record what the engine did with it, and
 * small helpers the test groups share.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/gfp.h>
#include <linux/nodemask.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/topology.h>

#include "selftest.h"

/* The index of the current task in j->tasks (added if new), or -1. */
static int st_note_task(struct st_job *j)
{
	unsigned int i;

	for (i = 0; i < j->nr_tasks; i++)
		if (j->tasks[i] == current)
			return i;
	if (j->nr_tasks >= ST_MAX_CPUS)
		return -1;
	j->task_cpu[j->nr_tasks] = raw_smp_processor_id();
	j->tasks[j->nr_tasks] = current;
	return j->nr_tasks++;
}

static bool st_boundary_ok(const struct st_job *j, unsigned long s,
			   unsigned long e)
{
	const struct padata_mt_task *t = &j->task;
	unsigned long a = t->align, jstart = t->start, jend = t->start + t->size;

	if (t->ranges)
		return true;	/* checked per range by the NUMA tests */
	if (s >= e || s < jstart || e > jend)
		return false;
	if (a > 1 && ((s != jstart && s % a) || (e != jend && e % a)))
		return false;
	if (e != jend && e - s < max(t->min_chunk, 1UL))
		return false;
	return true;
}

/* Per-range accounting: chunks, chunks on the range's node, tasks. */
static void st_note_range(struct st_job *j, unsigned long s, int idx)
{
	const struct padata_mt_range *r;
	unsigned int i;

	for (i = 0; i < j->task.nr_ranges && i < ST_MAX_RANGES; i++) {
		r = &j->task.ranges[i];
		if (s < r->start || s >= r->start + r->size)
			continue;
		j->range_chunks[i]++;
		if (r->nid == numa_node_id())
			j->range_home[i]++;
		if (idx >= 0)
			j->range_tasks[i] |= BIT_ULL(idx);
	}
}

/* A chunk of j->share_range waits until two tasks have run chunks of it. */
static void st_share_wait(struct st_job *j, unsigned long s)
{
	const struct padata_mt_range *r = &j->task.ranges[j->share_range];
	unsigned long deadline = jiffies + 10 * HZ;
	int idx;

	if (s < r->start || s >= r->start + r->size)
		return;
	spin_lock(&j->lock);
	idx = st_note_task(j);
	if (idx >= 0)
		j->range_tasks[j->share_range] |= BIT_ULL(idx);
	spin_unlock(&j->lock);
	while (READ_ONCE(j->share_range) >= 0 &&
	       hweight64(READ_ONCE(j->range_tasks[j->share_range])) < 2) {
		if (!time_before(jiffies, deadline)) {
			WRITE_ONCE(j->share_range, -1);
			break;
		}
		usleep_range(100, 200);
	}
}

int st_thread_fn(unsigned long s, unsigned long e, void *arg)
{
	struct st_job *j = arg;
	unsigned long base = j->task.ranges ? 0 : j->task.start;
	unsigned long u;
	int ret = 0, call, idx;

	if (j->rendezvous) {
		unsigned long deadline = jiffies + 10 * HZ;

		spin_lock(&j->lock);
		st_note_task(j);
		spin_unlock(&j->lock);
		while (READ_ONCE(j->nr_tasks) < (j->rendezvous_n ?: 2) &&
		       READ_ONCE(j->rendezvous)) {
			if (!time_before(jiffies, deadline)) {
				/* missed: the test fails, the job need not crawl */
				WRITE_ONCE(j->rendezvous, ST_NONE);
				break;
			}
			if (j->rendezvous == ST_SPIN)
				cpu_relax();
			else
				usleep_range(100, 200);
		}
	}
	if (READ_ONCE(j->share_range) >= 0)
		st_share_wait(j, s);
	if (j->spin_us)
		udelay(j->spin_us);
	for (u = s; j->sleep_unit_ms && u < e; u++)
		msleep(j->sleep_unit_ms);
	spin_lock(&j->lock);
	call = j->chunks++;
	if (j->stopped)
		j->after_stop++;
	cpumask_set_cpu(raw_smp_processor_id(), &j->cpus);
	idx = st_note_task(j);
	if (idx >= 0 && current != j->caller &&
	    j->task_cpu[idx] != raw_smp_processor_id())
		j->task_moved = true;
	st_note_range(j, s, idx);
	if (current != j->caller && j->task.ranges) {
		const struct padata_mt_range *r;
		bool mine = false;
		unsigned int i;

		node_set(numa_node_id(), j->nodes);
		/* A helper on a node with a range of the job is no stealer. */
		for (i = 0; i < j->task.nr_ranges; i++)
			mine |= j->task.ranges[i].nid == numa_node_id();
		for (i = 0; mine && i < j->task.nr_ranges; i++) {
			r = &j->task.ranges[i];
			if (s >= r->start && s < r->start + r->size &&
			    r->nid != NUMA_NO_NODE && node_state(r->nid, N_CPU) &&
			    r->nid != numa_node_id())
				j->bad_node = true;
		}
	} else if (current != j->caller) {
		node_set(numa_node_id(), j->nodes);
	}
	if (!st_boundary_ok(j, s, e))
		j->errors++;
	if (call == j->fail_at) {
		ret = -ENOSPC;
		j->stopped = true;
	}
	if (call == j->cancel_at) {
		atomic_set(&j->cancel, 1);
		j->stopped = true;
	}
	if (!ret && j->done) {
		for (u = s; u < e; u++)
			if (__test_and_set_bit(u - base, j->done))
				j->errors++;
	}
	if (!ret) {
		j->completed++;
		j->units += e - s;
	}
	spin_unlock(&j->lock);
	return ret;
}

void st_undo_fn(unsigned long s, unsigned long e, void *arg)
{
	struct st_job *j = arg;
	unsigned long base = j->task.ranges ? 0 : j->task.start;
	unsigned long u;

	spin_lock(&j->lock);
	j->undos++;
	if (current != j->caller)
		j->undo_caller++;
	if (j->undo_last && s < j->undo_last)
		j->undo_order++;
	j->undo_last = s + 1;
	for (u = s; u < e; u++)
		if (!__test_and_clear_bit(u - base, j->done))
			j->errors++;
	spin_unlock(&j->lock);
}

struct st_job *st_job_new(void)
{
	struct st_job *j = kzalloc(sizeof(*j), GFP_KERNEL);

	if (!j)
		return NULL;
	j->done = bitmap_zalloc(ST_MAX_UNITS, GFP_KERNEL);
	if (!j->done) {
		kfree(j);
		return NULL;
	}
	spin_lock_init(&j->lock);
	return j;
}

void st_job_reset(struct st_job *j)
{
	unsigned long *done = j->done;

	memset(j, 0, sizeof(*j));
	j->done = done;
	bitmap_zero(done, ST_MAX_UNITS);
	spin_lock_init(&j->lock);
	j->fail_at = -1;
	j->cancel_at = -1;
	j->share_range = -1;
	j->caller = current;
	j->task.thread_fn = st_thread_fn;
	j->task.fn_arg = j;
}

void st_job_free(struct st_job *j)
{
	if (j)
		bitmap_free(j->done);
	kfree(j);
}

unsigned long st_rand(unsigned long n)
{
	return n ? get_random_u32() % n : 0;
}

/* Expected thread count: min(max_threads or CPUs, CPUs, units of work). */
unsigned int st_threads(const struct padata_mt_task *t)
{
	unsigned long unit = max3(t->min_chunk, t->align, 1UL);
	unsigned long work = max(t->size / unit, 1UL);
	unsigned long thr = num_online_cpus();

	if (t->max_threads > 0)
		thr = min_t(unsigned long, thr, t->max_threads);
	return min(thr, work);
}

/* The smallest chunk the job's constraints allow away from its ends. */
unsigned long st_min_interior_chunk(const struct padata_mt_task *t)
{
	unsigned long a = max(t->align, 1UL);

	return roundup(max(t->min_chunk, 1UL), a);
}

/* Online CPUs of @nid. */
unsigned int pmt_st_node_cpus(int nid)
{
	return cpumask_weight_and(cpumask_of_node(nid), cpu_online_mask);
}

/* Run on a CPU of @nid from now on, without being restricted to it. */
void st_move_to_node(int nid)
{
	set_cpus_allowed_ptr(current, cpumask_of_node(nid));
	set_cpus_allowed_ptr(current, cpu_possible_mask);
}

/* Adds the chunk's units to the atomic_long_t at @arg. */
int st_count_fn(unsigned long s, unsigned long e, void *arg)
{
	atomic_long_add(e - s, arg);
	return 0;
}
