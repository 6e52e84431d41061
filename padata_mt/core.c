// SPDX-License-Identifier: GPL-2.0
/*
 * padata_mt engine: run one job on several CPUs, after boot, from a module.
 *
 * A job is cut into chunks that participants claim from a lock-free cursor
 * (one cmpxchg per chunk).  Chunks are large at first and shrink toward the
 * end of the job (guided scheduling), so all threads finish together.  The
 * caller is a participant; helpers are work items from a pool preallocated
 * at load time, each queued on a CPU of its own on padata_mt's per-CPU
 * workqueue: a bound worker stays on that CPU, so placement decides where a
 * helper runs on every kernel (since 6.6 an unbound worker queued on a node
 * may run elsewhere).  When no chunk is left, or after an error or a
 * cancel, the caller takes back the helpers that have not started instead
 * of waiting for them; while chunks it may not run are left (another
 * node's range), it waits for every helper.  A
 * helper still finishing its last job is queued again only when the pool
 * has no idle one (it would run on its old CPU).  The chunk
 * sequence of a range is a pure function of the job's parameters, so undo
 * replays it without recording anything per chunk.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/nodemask.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/timekeeping.h>
#include <linux/topology.h>
#include <linux/workqueue.h>

#include "chunk.h"
#include "compat.h"
#include "internal.h"
#include "padata_mt.h"

#define CREATE_TRACE_POINTS
#include "padata_mt_trace.h"

/**
 * struct pmt_failure - the chunk a participant failed on, if any
 * @failed: the participant's thread_fn returned an error
 * @range: index of the range the chunk belongs to
 * @start: first unit of the chunk
 */
struct pmt_failure {
	bool failed;
	unsigned int range;
	unsigned long start;
};

struct pmt_helper;

/**
 * struct pmt_job - the state of one running job, on the caller's stack
 * @task: the caller's descriptor
 * @ranges: the ranges to run; @single when the task has none
 * @nr_ranges: number of entries in @ranges
 * @chunking: how the job cuts its ranges into chunks (chunk.h)
 * @error: the first error; once non-zero no chunk is claimed
 * @running: helpers that may still touch the job, plus one for the caller
 * @done: completed by whoever drops @running to zero
 * @helpers: this job's helpers, linked through pmt_helper.next
 * @allowed: the CPUs the job may use: the caller's, or for a job started by
 *           a helper, those of the outer job
 * @site: the call site's lockdep map, or NULL
 * @lock: orders a background job's renicing against its helpers' start
 *        and end (see pmt_helper_prio())
 * @caller_nice: the caller's nice
 * @background: the task asks for PADATA_MT_PRIO_BACKGROUND
 * @waiting: the caller has no chunk left and waits (under @lock)
 * @single: the range used when the task gives start and size
 * @inject_at: test-only: the chunk (in claim order) that fails, or -1;
 *             taken once when the job starts, so that the job keeps it
 *             when the knob's static key goes off meanwhile
 * @seq: chunks claimed so far, counted only while @inject_at >= 0
 */
struct pmt_job {
	const struct padata_mt_task *task;
	struct padata_mt_range *ranges;
	unsigned int nr_ranges;
	struct pmt_chunking chunking;
	atomic_t error;
	atomic_t running;
	struct completion done;
	struct pmt_helper *helpers;
	const struct cpumask *allowed;
	struct lockdep_map *site;
	spinlock_t lock;
	int caller_nice;
	bool background;
	bool waiting;
	struct padata_mt_range single;
	int inject_at;
	atomic_t seq;
};

/**
 * struct pmt_helper - one preallocated helper
 * @work: queued on pmt_wq, on @cpu
 * @job: the job it works for while it belongs to one
 * @next: link in the pool's free list, or in the job's helper list
 * @cursor: nr_node_ids ints of scratch for placing the job's helpers while
 *          this helper is the job's first (see pmt_place())
 * @task: the worker running it, while it runs a background job's chunks
 *        (under the job's lock)
 * @cpu: the CPU it is queued on
 * @home: the node of @cpu
 * @steal: no range lives on @home: it may take chunks of any range
 * @fail: the chunk it failed on
 */
struct pmt_helper {
	struct work_struct work;
	struct pmt_job *job;
	struct pmt_helper *next;
	int *cursor;
	struct task_struct *task;
	int cpu;
	int home;
	bool steal;
	struct pmt_failure fail;
};

/**
 * struct pmt_pool - helpers shared by all callers, one per possible CPU
 * @lock: protects @free and @nr_free
 * @free: free list
 * @nr_free: length of @free
 * @size: number of helpers in @items
 * @items: the helpers
 * @cursors: the helpers' placement scratch, @size * nr_node_ids ints
 */
static struct pmt_pool {
	spinlock_t lock;
	struct pmt_helper *free;
	unsigned int nr_free;
	unsigned int size;
	struct pmt_helper *items;
	int *cursors;
} pmt_pool;

/*
 * Every helper runs here: per-CPU, so a helper runs on the CPU placement
 * chose (a CPU going offline meanwhile moves it, and it still runs), and
 * private, so that destroy_workqueue() at unload waits for the last helper
 * to leave our code.  CPU-intensive: a long chunk does not hold back the
 * CPU's other per-CPU work.
 */
static struct workqueue_struct *pmt_wq;

/* Spreads numa_aware helpers of all jobs round-robin over nodes. */
static atomic_t pmt_node_rotor = ATOMIC_INIT(0);

/*
 * Lockdep: waiting for helpers while holding a lock their thread_fn takes
 * deadlocks.  Each call site has a map (padata_mt_run() is a macro); every
 * participant holds it as a recursive reader around thread_fn, and the
 * caller acquires it as a writer before it may wait, like a work's map in
 * process_one_work() and flush_work().  A job nested in a thread_fn of the
 * same site skips the writer: its caller is a reader of that map already,
 * and its helpers never wait for the outer job.
 */
static inline void pmt_site_wait(struct lockdep_map *site)
{
#ifdef CONFIG_DEBUG_LOCK_ALLOC
	if (site && !lock_is_held(site)) {
		lock_map_acquire(site);
		lock_map_release(site);
	}
#endif
}

static inline void pmt_site_enter(struct lockdep_map *site)
{
#ifdef CONFIG_DEBUG_LOCK_ALLOC
	if (site)
		lock_map_acquire_read(site);
#endif
}

static inline void pmt_site_exit(struct lockdep_map *site)
{
#ifdef CONFIG_DEBUG_LOCK_ALLOC
	if (site)
		lock_map_release(site);
#endif
}

/*
 * Claim a chunk for a participant whose home is @home: from a range on its
 * own node first, then from a range no participant was placed for, then,
 * if @steal (nothing of the job lives on its node), from any range.
 */
static bool pmt_pick(const struct pmt_job *job, int home, bool steal,
		     unsigned int *idx, unsigned long *start,
		     unsigned long *end)
{
	unsigned int i, pass;

	for (pass = 0; pass < 3; pass++) {
		if ((pass == 0 && home == NUMA_NO_NODE) || (pass == 2 && !steal))
			continue;
		for (i = 0; i < job->nr_ranges; i++) {
			const struct padata_mt_range *r = &job->ranges[i];

			if ((pass == 0 && r->nid != home) ||
			    (pass == 1 && r->owned))
				continue;
			if (pmt_chunk_claim(&job->chunking, &job->ranges[i].pos,
					    r->start + r->size, start, end)) {
				*idx = i;
				return true;
			}
		}
	}
	return false;
}

static bool pmt_exhausted(const struct pmt_job *job)
{
	unsigned int i;

	for (i = 0; i < job->nr_ranges; i++) {
		const struct padata_mt_range *r = &job->ranges[i];

		if ((unsigned long)atomic_long_read(&r->pos) < r->start + r->size)
			return false;
	}
	return true;
}

static void pmt_stop(struct pmt_job *job, int err)
{
	atomic_cmpxchg(&job->error, 0, err);
}

static bool pmt_should_stop(struct pmt_job *job, bool caller)
{
	const atomic_t *cancel = job->task->cancel;

	if (cancel && atomic_read(cancel))
		pmt_stop(job, -ECANCELED);
	else if (caller && fatal_signal_pending(current))
		pmt_stop(job, -EINTR);
	return atomic_read(&job->error) != 0;
}

/* thread_fn returned @ret > 0: a bug in the caller, treated as -EIO. */
static noinline int pmt_positive_ret(const struct padata_mt_task *task,
				     int ret)
{
	pr_warn_once("thread_fn %ps returned %d, not 0 or -errno\n",
		     task->thread_fn, ret);
	return -EIO;
}

/* Run chunks until none is left for @home or the job stops. */
static void pmt_run_chunks(struct pmt_job *job, int home, bool steal,
			   struct pmt_failure *fail, bool caller)
{
	const struct padata_mt_task *task = job->task;
	unsigned long start, end;
	unsigned int idx;
	int ret;

	pmt_site_enter(job->site);
	while (!pmt_should_stop(job, caller) &&
	       pmt_pick(job, home, steal, &idx, &start, &end)) {
		u64 t0 = trace_padata_mt_chunk_enabled() ? ktime_get_ns() : 0;

		if (unlikely(job->inject_at >= 0) &&
		    atomic_inc_return(&job->seq) - 1 == job->inject_at)
			ret = -EIO;	/* injected: thread_fn is not called */
		else
			ret = task->thread_fn(start, end, task->fn_arg);
		pmt_stat_inc(chunks);
		trace_padata_mt_chunk(task, start, end, ret,
				      t0 ? ktime_get_ns() - t0 : 0);
		if (ret) {
			if (ret > 0)
				ret = pmt_positive_ret(task, ret);
			fail->failed = true;
			fail->range = idx;
			fail->start = start;
			pmt_stop(job, ret);
			break;
		}
		cond_resched();
	}
	pmt_site_exit(job->site);
}

/*
 * A helper's priority: the caller's nice, or for a background job MAX_NICE
 * until the caller waits (pmt_renice_helpers()).  Under the job's lock, so
 * that the caller's renice and the helper's own start and end never cross;
 * the worker goes back to its pool at the nice it came with.
 */
static int pmt_helper_prio(struct pmt_helper *h, struct pmt_job *job)
{
	int was = task_nice(current);

	if (!job->background) {
		if (job->caller_nice != was)
			set_user_nice(current, job->caller_nice);
		return was;
	}
	spin_lock(&job->lock);
	h->task = current;
	set_user_nice(current, job->waiting ? job->caller_nice : MAX_NICE);
	spin_unlock(&job->lock);
	return was;
}

static void pmt_helper_unprio(struct pmt_helper *h, struct pmt_job *job,
			      int was)
{
	if (job->background) {
		spin_lock(&job->lock);
		h->task = NULL;
		set_user_nice(current, was);
		spin_unlock(&job->lock);
	} else if (task_nice(current) != was) {
		set_user_nice(current, was);
	}
}

/* The caller waits: its background helpers get its priority from now on. */
static void pmt_renice_helpers(struct pmt_job *job)
{
	struct pmt_helper *h;

	spin_lock(&job->lock);
	job->waiting = true;
	for (h = job->helpers; h; h = h->next)
		if (h->task)
			set_user_nice(h->task, job->caller_nice);
	spin_unlock(&job->lock);
}

/*
 * A duration from two local_clock() readings: monotonic on one CPU, but
 * two CPUs' clocks may disagree (an unstable TSC), so a reading taken after
 * a migration can be the smaller one.  Such a duration counts as 0, never
 * as a wrapped u64.
 */
static u64 pmt_elapsed(u64 t0, u64 t1)
{
	return t1 > t0 ? t1 - t0 : 0;
}

static void pmt_helper_fn(struct work_struct *work)
{
	struct pmt_helper *h = container_of(work, struct pmt_helper, work);
	struct pmt_job *job = h->job;
	u64 t0 = local_clock() + pmt_test_clock_skew();
	int was;

	pmt_stats_helper_enter();
	was = pmt_helper_prio(h, job);
	pmt_run_chunks(job, h->home, h->steal, &h->fail, false);
	pmt_helper_unprio(h, job, was);
	pmt_stats_helper_exit(pmt_elapsed(t0, local_clock()));
	/* The job lives on the caller's stack: the last touch is complete(). */
	if (atomic_dec_and_test(&job->running))
		complete(&job->done);
	pmt_test_exit_delay();
}

/* The helper the current task is running, or NULL. */
static struct pmt_helper *pmt_current_helper(void)
{
	struct work_struct *w = current_work();

	if (!w || w->func != pmt_helper_fn)
		return NULL;
	return container_of(w, struct pmt_helper, work);
}

/*
 * A helper whose last job has returned may still be finishing
 * pmt_helper_fn() (between its complete() and its return).  Queued again
 * then, the workqueue would run it on the CPU it is finishing on, not the
 * one placement picks (a work item never runs twice at once), so pool_get
 * takes such helpers only when the idle ones are not enough, and last.
 * Such a helper may then run on its old CPU, even one the caller may not
 * use: it takes back-to-back jobs using every helper while one is still
 * finishing.
 */
static bool pmt_helper_idle(struct pmt_helper *h)
{
	return !work_busy(&h->work);
}

static struct pmt_helper *pmt_pool_get(unsigned int want, unsigned int *got)
{
	struct pmt_helper *list = NULL, **tail = &list, **pp, *h;
	unsigned int n = 0;
	int pass;

	*got = 0;
	if (!want)
		return NULL;
	spin_lock(&pmt_pool.lock);
	/*
	 * Pass 0 takes idle helpers only, pass 1 whatever is left, appended
	 * so that placement gives those the last places.
	 */
	for (pass = 0; pass < 2 && n < want; pass++) {
		pp = &pmt_pool.free;
		while ((h = *pp) && n < want) {
			if (!pass && !pmt_helper_idle(h)) {
				pp = &h->next;
				continue;
			}
			*pp = h->next;
			h->next = NULL;
			*tail = h;
			tail = &h->next;
			n++;
		}
	}
	pmt_pool.nr_free -= n;
	spin_unlock(&pmt_pool.lock);
	*got = n;
	return list;
}

static void pmt_pool_put(struct pmt_helper *list)
{
	struct pmt_helper *last = list;
	unsigned int n = 1;

	if (!list)
		return;
	while (last->next) {
		last = last->next;
		n++;
	}
	spin_lock(&pmt_pool.lock);
	last->next = pmt_pool.free;
	pmt_pool.free = list;
	pmt_pool.nr_free += n;
	spin_unlock(&pmt_pool.lock);
}

static unsigned int pmt_pool_free(void)
{
	return READ_ONCE(pmt_pool.nr_free);
}

/**
 * struct pmt_place - placement state of one job (pmt_place())
 * @job: the job
 * @self: the caller's CPU: no helper goes there
 * @cursor: per node, the last CPU given to a helper, -1 before the first,
 *          nr_cpu_ids once the node has no CPU left
 * @avail: nodes that may still have a CPU for a helper
 * @placed: nodes with a thread of the job, the caller's included
 */
struct pmt_place {
	struct pmt_job *job;
	int self;
	int *cursor;
	nodemask_t avail;
	nodemask_t placed;
};

/*
 * Give @h the next CPU of node @nid: online, allowed to the job, not the
 * caller's, after the last one given there.  Each node's CPUs are walked
 * once per job, however many helpers are placed.
 */
static bool pmt_take_cpu(struct pmt_place *p, struct pmt_helper *h, int nid)
{
	int cpu = p->cursor[nid];

	if (cpu >= (int)nr_cpu_ids)
		return false;
	for (;;) {
		cpu = cpumask_next_and(cpu, cpumask_of_node(nid), p->job->allowed);
		if (cpu >= nr_cpu_ids) {
			p->cursor[nid] = nr_cpu_ids;
			node_clear(nid, p->avail);
			return false;
		}
		if (cpu != p->self && cpu_online(cpu))
			break;
	}
	p->cursor[nid] = cpu;
	h->cpu = cpu;
	h->home = nid;
	node_set(nid, p->placed);
	return true;
}

/*
 * Give @h a CPU on the node of @mask after *@at, round-robin, skipping
 * (and dropping from @mask) nodes that have none left.
 */
static bool pmt_take_rr(struct pmt_place *p, struct pmt_helper *h,
			nodemask_t *mask, int *at)
{
	int nid;

	while (!nodes_empty(*mask)) {
		nid = next_node_in(*at, *mask);
		*at = nid;
		if (pmt_take_cpu(p, h, nid))
			return true;
		node_clear(nid, *mask);
	}
	return false;
}

/* The node before the @k-th node of @mask, counting round (for next_node_in()). */
static int pmt_rotor_start(const nodemask_t *mask, unsigned int k)
{
	unsigned int n = nodes_weight(*mask);
	int nid, prev = MAX_NUMNODES - 1;

	if (!n)
		return 0;
	k %= n;
	for_each_node_mask(nid, *mask) {
		if (!k--)
			return prev;
		prev = nid;
	}
	return prev;
}

/*
 * Give each helper a CPU of its own among the online CPUs the job may use,
 * never the caller's, so that no node gets more threads than it has
 * online CPUs:
 * - ranges: the nodes the ranges live on first, round-robin starting after
 *   the caller's node (which the caller covers), until they are full; a
 *   range is then owned by the threads of its node.
 * - numa_aware: round-robin over the nodes with CPUs, continuing where the
 *   previous job stopped, so concurrent jobs spread too.
 * - otherwise: the caller's node first, until it is full.
 * Then the rest round-robin over every node with CPUs.  A thread whose
 * node holds no range of the job steals chunks from any range, so no CPU
 * the job was given sits idle.  Helpers that got no CPU (CPUs went offline
 * since they were counted) go back to the pool.  Each node's CPUs are
 * walked once and each node is skipped at most once per pass, whatever the
 * number of helpers: O(CPUs + helpers * nodes / BITS_PER_LONG).
 * Returns the number of helpers placed; *@steal says whether the caller
 * may steal.
 */
static unsigned int pmt_place(struct pmt_job *job, int home, bool *steal)
{
	const struct padata_mt_task *task = job->task;
	struct pmt_helper *h, **link = &job->helpers, *unplaced;
	nodemask_t ranged = NODE_MASK_NONE, has_range = NODE_MASK_NONE;
	struct pmt_place p = { .job = job, .self = raw_smp_processor_id() };
	unsigned int i, n = 0;
	int at = home, nid;

	p.cursor = job->helpers->cursor;
	for (i = 0; i < nr_node_ids; i++)
		p.cursor[i] = -1;
	/* A copy: the nodes with CPUs may change while we look. */
	p.avail = node_states[N_CPU];
	node_set(home, p.placed);
	for (i = 0; task->ranges && i < job->nr_ranges; i++) {
		nid = job->ranges[i].nid;
		if (nid == NUMA_NO_NODE)
			continue;
		node_set(nid, has_range);
		if (node_isset(nid, p.avail))
			node_set(nid, ranged);
	}
	if (nodes_empty(ranged) && task->numa_aware) {
		for (h = job->helpers; h; h = h->next)
			n++;
		at = pmt_rotor_start(&p.avail,
				     atomic_add_return(n, &pmt_node_rotor) - n);
	}
	for (h = job->helpers; h; link = &h->next, h = h->next) {
		if (!nodes_empty(ranged) && pmt_take_rr(&p, h, &ranged, &at))
			continue;
		if (nodes_empty(ranged) && !task->numa_aware &&
		    pmt_take_cpu(&p, h, home))
			continue;
		if (!pmt_take_rr(&p, h, &p.avail, &at))
			break;
	}
	/* Out of CPUs: the rest go back. */
	unplaced = *link;
	*link = NULL;
	pmt_pool_put(unplaced);

	n = 0;
	for (h = job->helpers; h; h = h->next) {
		h->steal = !task->ranges || !node_isset(h->home, has_range);
		n++;
	}
	for (i = 0; task->ranges && i < job->nr_ranges; i++) {
		nid = job->ranges[i].nid;
		job->ranges[i].owned = nid != NUMA_NO_NODE &&
				       node_isset(nid, p.placed);
	}
	*steal = !task->ranges || !node_isset(home, has_range);
	return n;
}

static bool pmt_failed_at(const struct pmt_job *job,
			  const struct pmt_failure *mine,
			  unsigned int range, unsigned long start)
{
	const struct pmt_helper *h;

	if (mine->failed && mine->range == range && mine->start == start)
		return true;
	for (h = job->helpers; h; h = h->next)
		if (h->fail.failed && h->fail.range == range &&
		    h->fail.start == start)
			return true;
	return false;
}

/* Replay each range's chunk sequence and undo the chunks that completed. */
static void pmt_undo(struct pmt_job *job, const struct pmt_failure *mine)
{
	const struct padata_mt_task *task = job->task;
	unsigned long pos, next, rend, claimed;
	unsigned int i;

	for (i = 0; i < job->nr_ranges; i++) {
		struct padata_mt_range *r = &job->ranges[i];

		rend = r->start + r->size;
		claimed = atomic_long_read(&r->pos);
		for (pos = r->start; pos < claimed; pos = next) {
			next = pmt_chunk_end(&job->chunking, pos, rend);
			if (pmt_failed_at(job, mine, i, pos))
				continue;
			task->undo_fn(pos, next, task->fn_arg);
			pmt_stat_inc(undo_chunks);
			cond_resched();
		}
	}
}

static int pmt_validate(const struct padata_mt_task *task, unsigned long *size)
{
	unsigned long total = 0;
	unsigned int i;

	if (!task || !task->thread_fn)
		return -EINVAL;
	if (!task->ranges) {
		if (task->nr_ranges || task->start + task->size < task->start)
			return -EINVAL;
		*size = task->size;
		return 0;
	}
	if (task->start || task->size || !task->nr_ranges)
		return -EINVAL;
	for (i = 0; i < task->nr_ranges; i++) {
		const struct padata_mt_range *r = &task->ranges[i];

		if (!r->size || r->start + r->size < r->start ||
		    total + r->size < total)
			return -EINVAL;
		if (r->nid != NUMA_NO_NODE &&
		    (r->nid < 0 || r->nid >= nr_node_ids))
			return -EINVAL;
		total += r->size;
	}
	*size = total;
	return 0;
}

static void pmt_job_init(struct pmt_job *job, const struct padata_mt_task *task,
			 unsigned int threads, struct lockdep_map *site)
{
	unsigned int i;

	job->task = task;
	job->site = site;
	/*
	 * A background job's chunks are finer: once the caller has run out
	 * of chunks, its helpers get its priority back for what they still
	 * hold (pmt_renice_helpers()), and that is what other work on their
	 * CPUs then shares with them.  A one-thread job has no helper.
	 */
	job->background = task->helper_prio == PADATA_MT_PRIO_BACKGROUND;
	pmt_chunking_init(&job->chunking, task->min_chunk, task->align,
			  job->background && threads > 1 ?
			  threads * PMT_BACKGROUND_SPLIT : threads);
	atomic_set(&job->error, 0);
	atomic_set(&job->running, 1);
	atomic_set(&job->seq, 0);
	job->inject_at = pmt_inject_take();
	job->helpers = NULL;
	if (task->ranges) {
		job->ranges = task->ranges;
		job->nr_ranges = task->nr_ranges;
	} else {
		job->single.start = task->start;
		job->single.size = task->size;
		job->single.nid = NUMA_NO_NODE;
		job->ranges = &job->single;
		job->nr_ranges = 1;
	}
	for (i = 0; i < job->nr_ranges; i++) {
		atomic_long_set(&job->ranges[i].pos, job->ranges[i].start);
		job->ranges[i].owned = false;
	}
}

/* Take back helpers that have not started; wait for the others. */
static void pmt_wait_helpers(struct pmt_job *job)
{
	struct pmt_helper *h;

	if (atomic_read(&job->error) || pmt_exhausted(job)) {
		for (h = job->helpers; h; h = h->next) {
			if (cancel_work(&h->work)) {
				atomic_dec(&job->running);
				pmt_stat_inc(helpers_reclaimed);
			}
		}
	}
	if (atomic_dec_and_test(&job->running))
		return;
	if (job->background)
		pmt_renice_helpers(job);
	/*
	 * Killable: a kill stops the job.  Either way the wait does not count
	 * as a hung task, however long a helper's chunk runs: TASK_KILLABLE is
	 * not what the detector watches, TASK_IDLE neither.
	 */
	if (wait_for_completion_killable(&job->done)) {
		pmt_stop(job, -EINTR);
		wait_for_completion_state(&job->done, TASK_IDLE);
	}
}

static void pmt_account(int ret)
{
	if (ret == -EINTR || ret == -ECANCELED)
		pmt_stat_inc(cancellations);
	else if (ret)
		pmt_stat_inc(errors);
}

/*
 * Everything but a one-chunk job.  Out of line so that its frame stays off
 * the one-chunk path: a struct pmt_job is zeroed on every entry on kernels
 * built with CONFIG_INIT_STACK_ALL_ZERO (Debian's are), and it needs every
 * callee-saved register.
 */
static noinline int pmt_run_job(const struct padata_mt_task *task,
				unsigned long size, struct lockdep_map *site)
{
	struct pmt_helper *outer = pmt_current_helper();
	struct pmt_failure mine = { };
	unsigned int threads, cpus, got;
	struct pmt_job job;
	struct pmt_helper *h;
	bool steal = true;
	int ret, home;
	u64 t0 = 0;

	might_resched();
	job.allowed = outer ? outer->job->allowed : current->cpus_ptr;
	cpus = max(cpumask_weight_and(cpu_online_mask, job.allowed), 1U);
	threads = pmt_job_threads(size, task->min_chunk, task->align,
				  task->max_threads, cpus);
	pmt_job_init(&job, task, threads, site);
	if (threads == 1) {
		/* The caller alone: no helper, no lock, no completion. */
		pmt_stat_inc(inline_jobs);
		pmt_run_chunks(&job, NUMA_NO_NODE, true, &mine, true);
		goto out;
	}

	if (trace_padata_mt_job_end_enabled())
		t0 = ktime_get_ns();
	init_completion(&job.done);
	spin_lock_init(&job.lock);
	job.caller_nice = task_nice(current);
	job.waiting = false;
	job.helpers = pmt_pool_get(threads - 1, &got);
	if (got < threads - 1)
		pmt_stat_inc(pool_exhausted);
	pmt_test_hold();
	home = numa_node_id();
	if (got)
		got = pmt_place(&job, home, &steal);
	if (!got)
		pmt_stat_inc(inline_jobs);	/* chunks sized for @threads: finer, still right */
	trace_padata_mt_job_start(task, size, got + 1, got);
	for (h = job.helpers; h; h = h->next) {
		h->job = &job;
		h->fail.failed = false;
		h->task = NULL;
		atomic_inc(&job.running);
		queue_work_on(h->cpu, pmt_wq, &h->work);
	}
	pmt_stat_add(helpers_queued, got);

	pmt_run_chunks(&job, home, steal, &mine, true);
	pmt_wait_helpers(&job);
	/*
	 * Every range has an owner that runs it to its end, but whatever a
	 * placement gap could leave is the caller's: a job returns 0 only
	 * with every unit run.
	 */
	if (!atomic_read(&job.error) && !pmt_exhausted(&job))
		pmt_run_chunks(&job, NUMA_NO_NODE, true, &mine, true);
out:
	ret = atomic_read(&job.error);
	if (ret && task->undo_fn)
		pmt_undo(&job, &mine);
	if (threads > 1) {
		pmt_pool_put(job.helpers);
		if (trace_padata_mt_job_end_enabled() && t0)
			trace_padata_mt_job_end(task, ret, ktime_get_ns() - t0);
	}
	pmt_account(ret);
	return ret;
}

/* A one-chunk job's failure or stop: the rare half of the inline path. */
static noinline int pmt_inline_failed(const struct padata_mt_task *task,
				      int ret)
{
	if (ret > 0)
		ret = pmt_positive_ret(task, ret);
	pmt_account(ret);
	return ret;
}

/* A one-chunk job that must not start: -ECANCELED or -EINTR. */
static noinline int pmt_inline_stopped(const struct padata_mt_task *task)
{
	if (task->cancel && atomic_read(task->cancel))
		return pmt_inline_failed(task, -ECANCELED);
	return pmt_inline_failed(task, -EINTR);
}

/**
 * __padata_mt_run() - run a job on several CPUs and wait for it
 * @task: the job
 * @site: the call site's lockdep map (padata_mt_run() passes it), or NULL
 *
 * See padata_mt_run() in padata_mt.h.  A job that fits in one chunk runs
 * here, inline, with nothing on the way to thread_fn but the validation,
 * the cancel and fatal-signal checks, two per-CPU counters and the
 * fault-injection check, a no-op jump unless the test-only knob is armed
 * (and, on lockdep kernels, the site's annotation):
 * it costs about as much as calling thread_fn directly
 * (engine.inline_over_direct in the engine benchmark).
 *
 * Return: 0, the first thread_fn error, -EINTR, -ECANCELED or -EINVAL.
 */
int __padata_mt_run(const struct padata_mt_task *task,
		    struct lockdep_map *site)
{
	unsigned long size;
	int ret;

	/*
	 * might_sleep()'s check (debug kernels) without its voluntary
	 * preemption point: might_resched() is a static call to
	 * __cond_resched(), and under QEMU TCG it was 69 of the 85 ns this
	 * path added to an empty thread_fn.  A one-chunk job calls thread_fn
	 * at once, as a direct call would; pmt_run_job() keeps might_sleep().
	 */
	__might_sleep(__FILE__, __LINE__);
	ret = pmt_validate(task, &size);
	if (ret)
		return ret;
	pmt_site_wait(site);
	if (!size)
		return 0;

	pmt_stat_inc(jobs);
	if (task->ranges || !pmt_one_chunk(size, task->min_chunk))
		return pmt_run_job(task, size, site);

	/* One chunk: inline, no helper, no lock, nothing to undo. */
	pmt_stat_inc(inline_jobs);
	if (unlikely((task->cancel && atomic_read(task->cancel)) ||
		     fatal_signal_pending(current)))
		return pmt_inline_stopped(task);
	if (pmt_inject_take() == 0) {
		ret = -EIO;
	} else {
		pmt_site_enter(site);
		ret = task->thread_fn(task->start, task->start + size,
				      task->fn_arg);
		pmt_site_exit(site);
	}
	if (unlikely(ret))
		return pmt_inline_failed(task, ret);
	return 0;
}
EXPORT_SYMBOL_GPL(__padata_mt_run);

static int __init padata_mt_init(void)
{
	unsigned int i, n = num_possible_cpus();
	int ret;

	spin_lock_init(&pmt_pool.lock);
	pmt_pool.items = kcalloc(n, sizeof(*pmt_pool.items), GFP_KERNEL);
	pmt_pool.cursors = kvcalloc((size_t)n * nr_node_ids,
				    sizeof(*pmt_pool.cursors), GFP_KERNEL);
	if (!pmt_pool.items || !pmt_pool.cursors) {
		ret = -ENOMEM;
		goto free_pool;
	}
	pmt_pool.size = n;
	for (i = 0; i < n; i++) {
		INIT_WORK(&pmt_pool.items[i].work, pmt_helper_fn);
		pmt_pool.items[i].home = NUMA_NO_NODE;
		pmt_pool.items[i].cursor = pmt_pool.cursors + i * nr_node_ids;
		pmt_pool.items[i].next = pmt_pool.free;
		pmt_pool.free = &pmt_pool.items[i];
	}
	pmt_pool.nr_free = n;

	pmt_wq = alloc_workqueue("padata_mt", WQ_CPU_INTENSIVE | PMT_WQ_PERCPU,
				 0);
	if (!pmt_wq) {
		ret = -ENOMEM;
		goto free_pool;
	}
	ret = pmt_stats_init(n, pmt_pool_free);
	if (ret)
		goto free_wq;
	pr_info("version %s, %u helpers\n", PADATA_MT_VERSION, n);
	return 0;

free_wq:
	destroy_workqueue(pmt_wq);
free_pool:
	kvfree(pmt_pool.cursors);
	kfree(pmt_pool.items);
	return ret;
}

static void __exit padata_mt_exit(void)
{
	pmt_stats_exit();
	/*
	 * Waits for every helper ever queued to return from pmt_helper_fn(),
	 * on every CPU: one may still run our code after its job's caller
	 * has returned (past its complete()), and flush_work() would wait
	 * only for the last CPU its work item was queued on.
	 */
	destroy_workqueue(pmt_wq);
	kvfree(pmt_pool.cursors);
	kfree(pmt_pool.items);
}

module_init(padata_mt_init);
module_exit(padata_mt_exit);
MODULE_LICENSE("GPL");
MODULE_VERSION(PADATA_MT_VERSION);
MODULE_DESCRIPTION("Multithreaded jobs for modules after boot (padata_mt_run)");
