// SPDX-License-Identifier: GPL-2.0
/*
 * padata_mt_bench: the ablation's model of the engine (ablation=1).
 * ab_run() is the upstream-style baseline (bn_baselines.c) with each change
 * the engine makes to it behind a flag (AB_*), so one boot measures the
 * baseline, the baseline plus one change, all changes, and all changes but
 * one, beside padata_mt_run() itself.  It is a model of the engine for
 * measuring, not a second engine: its chunks come from the engine's own
 * arithmetic (chunk.h); "all" should measure like "engine", and where it
 * does not, the model misses something.
 */

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/minmax.h>
#include <linux/nodemask.h>
#include <linux/spinlock.h>
#include <linux/topology.h>
#include <linux/workqueue.h>

#include "bench.h"
#include "chunk.h"

struct ab_job {
	const struct padata_mt_task *t;
	unsigned int feat;
	spinlock_t lock;
	unsigned long pos;
	atomic_long_t apos;
	unsigned long end;
	struct pmt_chunking ch;
	atomic_t running;
	struct completion done;
};

struct ab_work {
	struct work_struct work;
	struct ab_job *job;
};

static struct ab_work ab_works[BN_MAX_WORKS];

static bool ab_claim(struct ab_job *j, unsigned long *s, unsigned long *e)
{
	if (j->feat & AB_CURSOR)
		return pmt_chunk_claim(&j->ch, &j->apos, j->end, s, e);
	spin_lock(&j->lock);
	if (j->pos >= j->end) {
		spin_unlock(&j->lock);
		return false;
	}
	*s = j->pos;
	*e = pmt_chunk_end(&j->ch, j->pos, j->end);
	j->pos = *e;
	spin_unlock(&j->lock);
	return true;
}

static void ab_loop(struct ab_job *j)
{
	unsigned long s, e;

	while (ab_claim(j, &s, &e))
		j->t->thread_fn(s, e, j->t->fn_arg);
}

static void ab_work_fn(struct work_struct *w)
{
	struct ab_job *j = container_of(w, struct ab_work, work)->job;

	ab_loop(j);
	if (atomic_dec_and_test(&j->running))
		complete(&j->done);
}

/* A node for helper @i: one with an online CPU no thread of the job has. */
static int ab_place(int caller, const int *homes, unsigned int i)
{
	unsigned int tries, load, h;
	int nid = caller;

	for (tries = 0; tries < nr_node_ids; tries++) {
		if (node_state(nid, N_CPU)) {
			load = nid == caller;
			for (h = 1; h < i; h++)
				load += homes[h] == nid;
			if (load < cpumask_weight_and(cpumask_of_node(nid),
						      cpu_online_mask))
				return nid;
		}
		nid = (nid + 1) % nr_node_ids;
	}
	return NUMA_NO_NODE;
}

/* Out of line, as pmt_run_job(): its frame is zeroed on every entry. */
static noinline void ab_run_job(const struct padata_mt_task *t,
				unsigned int feat)
{
	unsigned int i, n;
	int homes[BN_MAX_WORKS], caller;
	struct ab_job j;

	/* as the engine: the bench's kthread may use every online CPU */
	n = pmt_job_threads(t->size, t->min_chunk, t->align, t->max_threads,
			    num_online_cpus());
	n = min_t(unsigned int, n, BN_MAX_WORKS);
	j.t = t;
	j.feat = feat;
	j.end = t->start + t->size;
	j.pos = t->start;
	atomic_long_set(&j.apos, t->start);
	if (feat & AB_GUIDED) {
		pmt_chunking_init(&j.ch, t->min_chunk, t->align, n);
	} else {
		/*
		 * Upstream's fixed chunks, ending on multiples of the chunk:
		 * pmt_chunk_end() with chunks that never shrink (no divisor),
		 * of one unit rounded up to the next multiple, i.e.
		 * min(end, roundup(pos + 1, chunk)).
		 */
		j.ch.divisor = ULONG_MAX;
		j.ch.min_chunk = 1;
		j.ch.align = roundup(max3(t->size / (n * 4UL), t->min_chunk,
					  1UL), max(t->align, 1UL));
	}
	/* ab_claim() takes it unless AB_CURSOR, one-thread jobs included. */
	spin_lock_init(&j.lock);
	if ((feat & AB_INLINE) && n == 1) {
		ab_loop(&j);	/* no helper, no completion */
		return;
	}
	init_completion(&j.done);
	atomic_set(&j.running, n);
	caller = numa_node_id();
	for (i = 1; i < n; i++) {
		ab_works[i].job = &j;
		homes[i] = NUMA_NO_NODE;
		if (feat & AB_PLACE)
			homes[i] = ab_place(caller, homes, i);
		if (homes[i] != NUMA_NO_NODE)
			queue_work_node(homes[i], system_unbound_wq,
					&ab_works[i].work);
		else
			queue_work(system_unbound_wq, &ab_works[i].work);
	}
	ab_loop(&j);
	for (i = 1; (feat & AB_RECLAIM) && i < n; i++)
		if (cancel_work(&ab_works[i].work))
			atomic_dec(&j.running);
	if (!atomic_dec_and_test(&j.running))
		wait_for_completion(&j.done);
}

void ab_run(const struct padata_mt_task *t, unsigned int feat)
{
	if (feat == AB_ENGINE) {
		padata_mt_run(t);
		return;
	}
	if ((feat & AB_INLINE) && pmt_one_chunk(t->size, t->min_chunk)) {
		t->thread_fn(t->start, t->start + t->size, t->fn_arg);
		return;
	}
	ab_run_job(t, feat);
}

void ab_model_init(void)
{
	unsigned int i;

	for (i = 0; i < BN_MAX_WORKS; i++)
		INIT_WORK(&ab_works[i].work, ab_work_fn);
}

/* Wait for helpers still queued or running from the last ab_run(). */
void ab_model_flush(void)
{
	unsigned int i;

	for (i = 1; i < BN_MAX_WORKS; i++)
		flush_work(&ab_works[i].work);
}
