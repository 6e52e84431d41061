/* SPDX-License-Identifier: GPL-2.0 */
/*
 * padata_mt: multithreaded jobs for loadable modules, after boot.
 *
 * Mainline's padata_do_multithreaded() splits one large job across CPUs,
 * but it is __init and not exported.  padata_mt_run() offers the same
 * contract to modules on stock kernels, plus error return with undo,
 * cancellation, NUMA placement, helper priority, statistics and
 * tracepoints.
 *
 * The descriptor keeps upstream's field names and meanings where they
 * overlap (struct padata_mt_job in <linux/padata.h>), so a mainline caller
 * ports by renaming the type and returning an int from its thread function.
 */
#ifndef _PADATA_MT_PUBLIC_H
#define _PADATA_MT_PUBLIC_H

#include <linux/atomic.h>
#include <linux/lockdep.h>
#include <linux/types.h>

/**
 * struct padata_mt_range - one piece of a job with a home NUMA node
 * @start: first unit of the piece
 * @size: number of units in the piece, at least 1
 * @nid: node the piece's memory lives on, or NUMA_NO_NODE
 * @pos: the engine's workspace: the piece's chunk cursor while a job runs
 * @owned: the engine's workspace: set when the job starts if it placed a
 *         thread on @nid
 *
 * A job given as ranges places a thread on each range's node (among the
 * CPUs the caller may use) before any other node, and runs each chunk of a
 * range whose node got a thread on a thread of that node: best effort, as a
 * helper whose CPU goes offline mid-job runs where the workqueue moves it.
 * Ranges on nodes
 * without CPUs (e.g. CXL or pmem memory-only nodes), with %NUMA_NO_NODE,
 * or on nodes the job could place no thread on, are shared by all threads.
 * Threads that do not fit on the ranges' nodes go to other nodes and take
 * chunks of any range.
 *
 * The array is the job's input and the engine's workspace: padata_mt_run()
 * of a valid job sets @pos and @owned of every entry before it runs a
 * chunk and advances @pos while it runs (it never writes @start, @size or
 * @nid), so the array must be writable and belong to one job at a time.
 * It may be reused once padata_mt_run() has returned; what @pos and @owned
 * then hold means nothing.  (A job may have any number of ranges and padata_mt_run() never
 * allocates: the per-range state lives here.)
 */
struct padata_mt_range {
	unsigned long start;
	unsigned long size;
	int nid;
	atomic_long_t pos;
	bool owned;
};

/**
 * enum padata_mt_prio - the priority of a job's helpers
 * @PADATA_MT_PRIO_CALLER: the caller's nice (the default)
 * @PADATA_MT_PRIO_BACKGROUND: MAX_NICE while the caller still runs chunks,
 *	so that other work on the helpers' CPUs keeps its share; once the
 *	caller has no chunk left and waits, the caller's nice, so that a
 *	helper never holds the caller back.  Its chunks are 16 times finer
 *	than a default job's, so that what a helper still holds when the
 *	caller waits is short
 *
 * Either way a helper runs under SCHED_NORMAL: a real-time caller's policy
 * is not passed on.
 */
enum padata_mt_prio {
	PADATA_MT_PRIO_CALLER = 0,
	PADATA_MT_PRIO_BACKGROUND,
};

/**
 * struct padata_mt_task - one multithreaded job
 * @thread_fn: called for each chunk [start, end) of the job; returns 0 or a
 *             negative errno.  After the first error each other thread
 *             starts at most one more chunk (one it had claimed, or was
 *             claiming, when the error came).
 * @undo_fn: optional.  When the job fails or is cancelled, called once for
 *           every chunk whose @thread_fn returned 0, by the caller, in
 *           ascending order (ranges in array order), so that a job can be
 *           all-or-nothing.  A chunk whose @thread_fn failed is not undone:
 *           it cleans up after itself.
 * @fn_arg: the last argument of @thread_fn and @undo_fn.
 * @start: first unit of the job (units are job-specific).
 * @size: number of units.  0 returns 0 at once without calling @thread_fn.
 * @align: chunk boundaries fall on multiples of @align, except at the ends
 *         of the job (or of a range).  0 and 1 both mean "no alignment".
 * @min_chunk: smallest chunk handed to @thread_fn, except the last chunk of
 *             the job (or of a range).  0 means 1.
 * @max_threads: the caller's cap on threads, itself included.  0 or
 *               negative means "one per CPU the caller may run on".  The
 *               engine cannot see the caller's CPU quota (see
 *               padata_mt_run()): a caller with one sets this.
 * @numa_aware: spread helper threads round-robin over the nodes with CPUs,
 *              continuing where the previous job stopped, so that
 *              concurrent jobs spread too.  Without it, helpers fill the
 *              caller's node first, then spread the same way.
 * @ranges: optional, instead of @start/@size: @nr_ranges pieces with home
 *          nodes (see &struct padata_mt_range), which the engine uses as
 *          its workspace.  @start and @size must then be 0.  Chunks never
 *          span two ranges.
 * @nr_ranges: number of entries in @ranges, at least 1 with @ranges.
 * @cancel: optional.  When the pointed-to value becomes non-zero the job
 *          stops claiming chunks and padata_mt_run() returns -ECANCELED
 *          (after undo).  For callers that run a job on behalf of a waiter
 *          who may go away, e.g. a kthread serving a killable writer.
 * @helper_prio: the helpers' priority (see &enum padata_mt_prio).
 *
 * The number of threads is min(@max_threads, CPUs the caller may use,
 * units of work, free helpers + 1) where units of work = @size /
 * max(@min_chunk, @align), at least 1.
 */
struct padata_mt_task {
	int (*thread_fn)(unsigned long start, unsigned long end, void *arg);
	void (*undo_fn)(unsigned long start, unsigned long end, void *arg);
	void *fn_arg;
	unsigned long start;
	unsigned long size;
	unsigned long align;
	unsigned long min_chunk;
	int max_threads;
	bool numa_aware;
	struct padata_mt_range *ranges;
	unsigned int nr_ranges;
	const atomic_t *cancel;
	enum padata_mt_prio helper_prio;
};

/**
 * __padata_mt_run() - padata_mt_run() with an explicit lockdep map
 * @task: the job
 * @site: the lockdep map of the call site, or NULL (no lockdep)
 *
 * Use padata_mt_run(), which gives each call site a map of its own.
 *
 * Return: as padata_mt_run().
 */
int __padata_mt_run(const struct padata_mt_task *task,
		    struct lockdep_map *site);

/**
 * padata_mt_run() - run a job on several CPUs and wait for it
 * @task: the job (const struct padata_mt_task *).  The engine never
 *        writes it; it writes the array @task->ranges points to (not
 *        const: see &struct padata_mt_range).
 *
 * Splits the job into chunks and runs them on the calling thread plus up to
 * @max_threads - 1 helpers, each queued on a CPU of its own (not the one
 * the caller runs on when the helpers are placed; the caller is not
 * pinned) among the online CPUs the caller may use, on padata_mt's own
 * per-CPU workqueue.  A helper still finishing its previous job is
 * queued only when the pool has no idle one, and then runs on the CPU it
 * is finishing on.  Every unit of the job is passed to exactly one
 * @thread_fn call.  Chunks are handed out dynamically, large first and
 * shrinking toward the end of the job, so that all threads finish together;
 * a job of at least 4 * threads * roundup(@min_chunk, @align) units gets at
 * least 4 chunks per thread.  A job that fits in one chunk, or gets one
 * thread, runs inline in the caller with no helper and no lock.  Helpers
 * come from a pool preallocated at module load (one per possible CPU) and
 * shared by all callers: when it runs dry a job uses fewer helpers, down to
 * the caller alone; it never fails for lack of helpers and never
 * allocates.  No node gets more threads of a job than it has online CPUs.
 *
 * A job started by a helper (a @thread_fn calling padata_mt_run()) may use
 * the CPUs its outer job's caller may use.
 *
 * CPU accounting: helpers are kernel workers, so their CPU time is charged
 * to the root cgroup, not to the caller's; and a module cannot see the
 * caller's cgroup CPU quota (the scheduler's task groups are private).  A
 * caller under a quota caps its job with @max_threads.
 *
 * padata_mt_run() is a macro, as INIT_WORK() is: each call site is a
 * lockdep class of its own, which the caller acquires before it waits for
 * helpers (on every path, one-chunk and one-thread jobs included) and
 * every thread holds around @thread_fn, as flush_work() and a work's
 * function do.  Lockdep thus reports a caller that holds a lock this site's
 * @thread_fn takes, and no caller of another site.  Two limits: a
 * @thread_fn that runs a job of its own site while holding a lock that
 * site's @thread_fn takes is not reported (the site is already held, as
 * a recursive reader); two sites whose @thread_fn each run a job of the
 * other are reported though helpers never wait for the pool.
 *
 * Context: process context; may sleep.  Must not be called with a lock held
 * that @thread_fn takes.  Jobs may nest: a @thread_fn may call
 * padata_mt_run().
 *
 * Return: 0 on success; the first error a @thread_fn returned; -EINTR when
 * the caller got a fatal signal; -ECANCELED when @task->cancel was set;
 * -EINVAL for an invalid descriptor (no @thread_fn, @start + @size
 * overflows, @ranges with @start/@size set, @nr_ranges 0 with @ranges or
 * not 0 without, an empty or overflowing range, a range's @nid out of
 * bounds).
 * On any error except -EINVAL, @undo_fn (if set) has been called for
 * every chunk that had completed.
 */
#ifdef CONFIG_DEBUG_LOCK_ALLOC
#define padata_mt_run(task)						\
({									\
	static struct lock_class_key __pmt_key;				\
	static struct lockdep_map __pmt_map =				\
		STATIC_LOCKDEP_MAP_INIT("padata_mt_run(" #task ")",	\
					&__pmt_key);			\
									\
	__padata_mt_run((task), &__pmt_map);				\
})
#else
#define padata_mt_run(task)	__padata_mt_run((task), NULL)
#endif

#endif /* _PADATA_MT_PUBLIC_H */
