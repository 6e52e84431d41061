/* SPDX-License-Identifier: GPL-2.0 */
/*
 * padata_mt: multithreaded jobs for loadable modules, after boot.
 *
 * Mainline's padata_do_multithreaded() splits one large job across CPUs,
 * but it is __init and not exported.  padata_mt_run() offers the same
 * contract to modules on stock kernels, plus error return with undo,
 * cancellation, NUMA placement, statistics and tracepoints.
 *
 * The descriptor keeps upstream's field names and meanings where they
 * overlap (struct padata_mt_job in <linux/padata.h>), so a mainline caller
 * ports by renaming the type and returning an int from its thread function.
 */
#ifndef _PADATA_MT_PUBLIC_H
#define _PADATA_MT_PUBLIC_H

#include <linux/atomic.h>
#include <linux/types.h>

/**
 * struct padata_mt_range - one piece of a job with a home NUMA node
 * @start: first unit of the piece
 * @size: number of units in the piece
 * @nid: node the piece's memory lives on, or NUMA_NO_NODE
 * @pos: private to the engine (the piece's chunk cursor)
 * @owned: private to the engine (a participant runs on @nid)
 *
 * A job given as ranges runs each chunk of a range whose @nid has CPUs on a
 * thread placed on that node, whenever the job could place a thread there.
 * Ranges on nodes without CPUs (e.g. CXL or pmem memory-only nodes), or on
 * nodes the job could not place a thread on, are shared by all threads.
 * No node gets more threads than it has online CPUs: threads that do not
 * fit on the ranges' nodes go to other nodes and take chunks of any range.
 * The array is written by padata_mt_run() and must not be shared by two
 * jobs running at once.
 */
struct padata_mt_range {
	unsigned long start;
	unsigned long size;
	int nid;
	/* private: */
	atomic_long_t pos;
	bool owned;
};

/**
 * struct padata_mt_task - one multithreaded job
 * @thread_fn: called for each chunk [start, end) of the job; returns 0 or a
 *             negative errno.  After the first error no new chunk starts.
 * @undo_fn: optional.  When the job fails or is cancelled, called once for
 *           every chunk whose @thread_fn returned 0, by the caller, in
 *           ascending order, so that a job can be all-or-nothing.  A chunk
 *           whose @thread_fn failed is not undone: it cleans up after itself.
 * @fn_arg: the last argument of @thread_fn and @undo_fn.
 * @start: first unit of the job (units are job-specific).
 * @size: number of units.  0 returns 0 at once without calling @thread_fn.
 * @align: chunk boundaries fall on multiples of @align, except at the ends
 *         of the job (or of a range).  0 and 1 both mean "no alignment".
 * @min_chunk: smallest chunk handed to @thread_fn, except the last chunk of
 *             the job (or of a range).  0 means 1.
 * @max_threads: upper bound on threads, the caller included.  0 or negative
 *               means "one per CPU the caller may run on".
 * @numa_aware: spread helper threads round-robin over the nodes with CPUs
 *              (skipping nodes whose CPUs all have a thread of the job).
 *              Without it, helpers stay on the caller's node while it has
 *              CPUs to spare, then spread the same way.
 * @ranges: optional, instead of @start/@size: @nr_ranges pieces with home
 *          nodes (see &struct padata_mt_range).  @start and @size must then
 *          be 0.  Chunks never span two ranges.
 * @nr_ranges: number of entries in @ranges.
 * @cancel: optional.  When the pointed-to value becomes non-zero the job
 *          stops starting chunks and padata_mt_run() returns -ECANCELED
 *          (after undo).  For callers that run a job on behalf of a waiter
 *          who may go away, e.g. a kthread serving a killable writer.
 *
 * The number of threads is min(@max_threads, units of work, free helpers + 1)
 * where units of work = @size / max(@min_chunk, @align), at least 1.
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
};

/**
 * padata_mt_run() - run a job on several CPUs and wait for it
 * @task: the job.  Read-only for the engine (except @task->ranges).
 *
 * Splits the job into chunks and runs them on the calling thread plus up to
 * @max_threads - 1 helpers queued on system_unbound_wq.  Every unit of the
 * job is passed to exactly one @thread_fn call.  Chunks are handed out
 * dynamically, large first and shrinking toward the end of the job, so that
 * all threads finish together; a job of at least 4 * threads *
 * roundup(@min_chunk, @align) units gets at least 4 chunks per thread.  A job that fits in one chunk, or gets one
 * thread, runs inline in the caller with no helper and no lock.  Helpers
 * come from a pool preallocated at module load (one per possible CPU) and
 * shared by all callers: when it runs dry a job uses fewer helpers, down to
 * the caller alone; it never fails for lack of helpers and never allocates.
 *
 * When the caller may run only on some online CPUs, the job uses at most
 * that many threads and places its helpers on those CPUs.
 *
 * Context: process context; may sleep.  Must not be called with a lock held
 * that @thread_fn takes (lockdep reports it, as it does for flush_work()).
 * Jobs may nest: a @thread_fn may call padata_mt_run().
 *
 * Return: 0 on success; the first error a @thread_fn returned; -EINTR when
 * the caller got a fatal signal; -ECANCELED when @task->cancel was set;
 * -EINVAL for an invalid descriptor (no @thread_fn, @start + @size
 * overflows, @ranges with @start/@size set, an empty or overflowing range).
 * On any error except -EINVAL, @undo_fn (if set) has been called for
 * every chunk that had completed.
 */
int padata_mt_run(const struct padata_mt_task *task);

#endif /* _PADATA_MT_PUBLIC_H */
