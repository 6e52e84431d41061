// SPDX-License-Identifier: GPL-2.0
/*
 * padata_mt_bench: the baselines, measured in the same boot as the engine:
 *
 * "upstream_style" behaves like mainline padata_do_multithreaded() (written
 * here from its documented behaviour): a fixed chunk size of
 * max(size / (threads * 4), min_chunk) rounded up to align, a spinlock
 * around the job's position, and the caller waits for every helper it
 * queued, even one that found no work left.
 *
 * "static_split" is what a module author writes by hand today: one equal
 * slice per CPU, queue_work_on() each, run one slice inline, flush_work()
 * the rest.
 */

#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/math.h>
#include <linux/minmax.h>
#include <linux/smp.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include "bench.h"

struct bn_up_job {
	int (*fn)(unsigned long s, unsigned long e, void *arg);
	void *arg;
	spinlock_t lock;
	unsigned long pos, end, chunk;
	int nworks;
	struct completion done;
};

struct bn_up_work {
	struct work_struct work;
	struct bn_up_job *job;
};

static void bn_up_loop(struct bn_up_job *j)
{
	unsigned long s, e;

	spin_lock(&j->lock);
	while (j->pos < j->end) {
		s = j->pos;
		e = min(j->end, roundup(s + 1, j->chunk));
		j->pos = e;
		spin_unlock(&j->lock);
		j->fn(s, e, j->arg);
		spin_lock(&j->lock);
	}
	if (--j->nworks == 0)
		complete(&j->done);
	spin_unlock(&j->lock);
}

static void bn_up_work_fn(struct work_struct *w)
{
	bn_up_loop(container_of(w, struct bn_up_work, work)->job);
}

static struct bn_up_work bn_up_works[BN_MAX_WORKS];

void bn_upstream_style(const struct padata_mt_task *t)
{
	unsigned long unit = max3(t->min_chunk, t->align, 1UL);
	struct bn_up_job j = {
		.fn = t->thread_fn, .arg = t->fn_arg,
		.pos = t->start, .end = t->start + t->size,
	};
	int i, n = min_t(unsigned long, max(t->size / unit, 1UL),
			 t->max_threads);

	n = min_t(int, n, ARRAY_SIZE(bn_up_works));
	spin_lock_init(&j.lock);
	init_completion(&j.done);
	j.nworks = n;
	j.chunk = max3(t->size / (n * 4), t->min_chunk, 1UL);
	j.chunk = roundup(j.chunk, max(t->align, 1UL));
	for (i = 1; i < n; i++) {
		bn_up_works[i].job = &j;
		INIT_WORK(&bn_up_works[i].work, bn_up_work_fn);
		queue_work(system_unbound_wq, &bn_up_works[i].work);
	}
	bn_up_loop(&j);
	wait_for_completion(&j.done);
}

struct bn_split_work {
	struct work_struct work;
	const struct padata_mt_task *t;
	unsigned long s, e;
};

static struct bn_split_work bn_split_works[BN_MAX_WORKS];

static void bn_split_fn(struct work_struct *w)
{
	struct bn_split_work *sw = container_of(w, struct bn_split_work, work);

	sw->t->thread_fn(sw->s, sw->e, sw->t->fn_arg);
}

void bn_static_split(const struct padata_mt_task *t)
{
	int i, cpu, n = min3(t->max_threads, (int)num_online_cpus(),
			     BN_MAX_WORKS);
	unsigned long slice = roundup(DIV_ROUND_UP(t->size, n),
				      max(t->align, 1UL));
	int self = get_cpu();

	/* Slice 0 runs here; slices 1..n-1 go to the other online CPUs. */
	i = 1;
	for_each_online_cpu(cpu) {
		struct bn_split_work *sw = &bn_split_works[i];

		if (i >= n)
			break;
		if (cpu == self)
			continue;
		sw->t = t;
		sw->s = t->start + min(t->size, slice * i);
		sw->e = t->start + min(t->size, slice * (i + 1));
		INIT_WORK(&sw->work, bn_split_fn);
		queue_work_on(cpu, system_wq, &sw->work);
		i++;
	}
	put_cpu();
	n = i;
	t->thread_fn(t->start, t->start + min(t->size, slice), t->fn_arg);
	for (i = 1; i < n; i++)
		flush_work(&bn_split_works[i].work);
}
