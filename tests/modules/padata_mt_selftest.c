// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only module: a battery of padata_mt_run() checks, run from a kernel
 * thread at load time.  Results are KTAP lines ("ok N name", "not ok N name",
 * "# SKIP", "# diagnostics") in /sys/kernel/debug/padata_mt_selftest/results;
 * the in-guest suite (tests/guest/20-engine.sh) turns them into KTAP results.
 * Never installed by DKMS.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/debug_locks.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/gfp.h>
#include <linux/glob.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/nodemask.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/seq_buf.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/topology.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "ktap_out.h"
#include "padata_mt.h"

static unsigned int combos = 1000;
module_param(combos, uint, 0444);
MODULE_PARM_DESC(combos, "Random (start, size, align, min_chunk, max_threads) combinations for the exactly-once test (default 1000)");

static unsigned int callers = 64;
module_param(callers, uint, 0444);
MODULE_PARM_DESC(callers, "Concurrent callers in the pool-exhaustion test (default 64)");

static unsigned int rounds = 100;
module_param(rounds, uint, 0444);
MODULE_PARM_DESC(rounds, "Jobs each concurrent caller runs back to back (default 100)");

static bool lockdep_splat;
module_param(lockdep_splat, bool, 0444);
MODULE_PARM_DESC(lockdep_splat, "Run only the lockdep test, which provokes a lockdep report on purpose and so turns lockdep off (the debug-kernel lane runs it in a boot of its own)");

static bool topology;
module_param(topology, bool, 0444);
MODULE_PARM_DESC(topology, "Run only the placement battery for a guest with a node of several CPUs, two more nodes with CPUs and a memory-only node (tests/guest/topology.sh)");

static char *filter;
module_param(filter, charp, 0444);
MODULE_PARM_DESC(filter, "Run only the test groups whose names match one of these comma-separated glob patterns, e.g. filter=edges,numa* (default: all; the module log lists the groups when a pattern matches none)");

#define ST_MAX_UNITS	8192
#define ST_MAX_CPUS	64
#define ST_MAX_RANGES	8

static struct ktap_out st_out;

static void st_result(bool ok, const char *name, const char *skip)
{
	ktap_out_result(&st_out, ok, name, skip);
}

static __printf(1, 2) void st_diag(const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	ktap_out_vdiag(&st_out, fmt, args);
	va_end(args);
}

/**
 * struct st_job - what a test's thread_fn records
 * @task: the job under test
 * @done: one bit per unit: set by a successful chunk, cleared by undo
 * @lock: protects everything below
 * @errors: violations seen (double coverage, bad boundaries, bad undo)
 * @chunks: thread_fn calls
 * @undos: undo_fn calls
 * @completed: thread_fn calls that returned 0
 * @fail_at: the chunk (by call order) that fails with -ENOSPC, or -1
 * @cancel_at: the chunk at which @cancel is set, or -1
 * @cancel: the job's cancel flag
 * @caller: the task that called padata_mt_run()
 * @after_stop: chunks that started after the failure/kill/cancel point
 * @stopped: the failure/kill/cancel point has passed
 * @cpus: CPUs chunks ran on
 * @tasks: distinct tasks that ran chunks (up to ST_MAX_CPUS)
 * @nr_tasks: entries in @tasks
 * @bad_node: a helper on a node with a range of the job ran a chunk of a
 *            range of another node with CPUs (helpers on nodes without a
 *            range steal from any range)
 * @nodes: nodes helpers ran chunks on
 * @rendezvous: each chunk first waits (up to 10 s) until @rendezvous_n
 *              tasks have run chunks, so a test does not depend on how fast
 *              the host schedules the helpers' vCPUs: ST_SPIN keeps the CPU
 *              busy (a helper must run elsewhere), ST_SLEEP lets it share
 *              the CPU
 * @rendezvous_n: tasks to wait for (0 means 2)
 * @spin_us: busy time per chunk
 * @sleep_unit_ms: sleep per unit
 * @units: units of the chunks that completed
 * @task_cpu: the CPU each task of @tasks ran its first chunk on
 * @task_moved: a helper ran chunks on two CPUs
 * @range_chunks: chunks of each range (the first ST_MAX_RANGES)
 * @range_home: of those, chunks that ran on the range's node
 * @range_tasks: tasks (bits of @tasks indices) that ran chunks of each range
 * @undo_caller: undo_fn calls by another task than @caller
 * @undo_order: undo_fn calls that were not in ascending order
 * @undo_last: the start of the last undo_fn call, plus one (0: none yet)
 * @share_range: a range whose chunks each wait (up to 10 s, once) until
 *               two tasks have run chunks of it, or -1: a test of sharing
 *               that does not depend on how fast the host runs each vCPU
 */
struct st_job {
	struct padata_mt_task task;
	unsigned long *done;
	spinlock_t lock;
	unsigned int errors;
	unsigned int chunks;
	unsigned int undos;
	unsigned int completed;
	int fail_at;
	int cancel_at;
	atomic_t cancel;
	struct task_struct *caller;
	unsigned int after_stop;
	bool stopped;
	struct cpumask cpus;
	struct task_struct *tasks[ST_MAX_CPUS];
	unsigned int nr_tasks;
	bool bad_node;
	nodemask_t nodes;
	enum { ST_NONE, ST_SPIN, ST_SLEEP } rendezvous;
	unsigned int rendezvous_n;
	unsigned int spin_us;
	unsigned int sleep_unit_ms;
	unsigned long units;
	int task_cpu[ST_MAX_CPUS];
	bool task_moved;
	unsigned int range_chunks[ST_MAX_RANGES];
	unsigned int range_home[ST_MAX_RANGES];
	u64 range_tasks[ST_MAX_RANGES];
	unsigned int undo_caller;
	unsigned int undo_order;
	unsigned long undo_last;
	int share_range;
};

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

static int st_thread_fn(unsigned long s, unsigned long e, void *arg)
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

static void st_undo_fn(unsigned long s, unsigned long e, void *arg)
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

static struct st_job *st_job_new(void)
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

static void st_job_reset(struct st_job *j)
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

static void st_job_free(struct st_job *j)
{
	if (j)
		bitmap_free(j->done);
	kfree(j);
}

static unsigned long st_rand(unsigned long n)
{
	return n ? get_random_u32() % n : 0;
}

/* Expected thread count: min(max_threads or CPUs, CPUs, units of work). */
static unsigned int st_threads(const struct padata_mt_task *t)
{
	unsigned long unit = max3(t->min_chunk, t->align, 1UL);
	unsigned long work = max(t->size / unit, 1UL);
	unsigned long thr = num_online_cpus();

	if (t->max_threads > 0)
		thr = min_t(unsigned long, thr, t->max_threads);
	return min(thr, work);
}

/* The smallest chunk the job's constraints allow away from its ends. */
static unsigned long st_min_interior_chunk(const struct padata_mt_task *t)
{
	unsigned long a = max(t->align, 1UL);

	return roundup(max(t->min_chunk, 1UL), a);
}

static void test_exactly_once(void)
{
	struct st_job *j = st_job_new();
	unsigned int i, bad = 0, few_chunks = 0, too_many = 0;
	unsigned long cover;
	int ret;

	if (!j) {
		st_result(false, "exactly_once_random", NULL);
		return;
	}
	for (i = 0; i < combos; i++) {
		st_job_reset(j);
		j->task.size = 1 + st_rand(ST_MAX_UNITS);
		j->task.start = st_rand(4) ? st_rand(1UL << 20) :
				ULONG_MAX - j->task.size - st_rand(100);
		j->task.align = st_rand(3) ? 0 : 1UL << st_rand(7);
		if (!st_rand(4))
			j->task.align = 3 + st_rand(60);
		j->task.min_chunk = st_rand(2) ? 0 : st_rand(600);
		j->task.max_threads = (int)st_rand(10) - 2;
		ret = padata_mt_run(&j->task);
		cover = bitmap_weight(j->done, ST_MAX_UNITS);
		if (ret || j->errors || cover != j->task.size) {
			if (bad++ < 5)
				st_diag("combo start=%lu size=%lu align=%lu min_chunk=%lu max_threads=%d: ret=%d errors=%u covered=%lu",
					j->task.start, j->task.size,
					j->task.align, j->task.min_chunk,
					j->task.max_threads, ret, j->errors,
					cover);
		}
		if (j->nr_tasks > st_threads(&j->task))
			too_many++;
		if (j->task.size >= 4UL * st_threads(&j->task) *
		    st_min_interior_chunk(&j->task) &&
		    j->chunks < 4 * st_threads(&j->task))
			few_chunks++;
	}
	st_diag("%u combos, %u bad, %u with more threads than allowed, %u with < 4 chunks/thread",
		combos, bad, too_many, few_chunks);
	st_result(!bad, "exactly_once_random", NULL);
	st_result(!too_many, "threads_within_bounds", NULL);
	st_result(!few_chunks, "load_balance_4_chunks_per_thread", NULL);
	st_job_free(j);
}

static atomic_t st_calls;

static int st_calls_fn(unsigned long s, unsigned long e, void *arg)
{
	atomic_inc(&st_calls);
	return 0;
}

static const struct padata_mt_task st_nr_ranges_only = {
	.thread_fn = st_calls_fn,
	.size = 10,
	.nr_ranges = 2,
};

static void test_edges(void)
{
	struct st_job *j = st_job_new();
	struct padata_mt_range r[2] = { };
	bool ok = true;
	int ret;

	if (!j) {
		st_result(false, "edge_parameters", NULL);
		return;
	}
	/* size 0: returns 0 without calling thread_fn */
	st_job_reset(j);
	ret = padata_mt_run(&j->task);
	if (ret || j->chunks) {
		st_diag("size 0: ret=%d chunks=%u", ret, j->chunks);
		ok = false;
	}
	/* min_chunk 0, align 0, max_threads 0 and -1: defined meanings */
	st_job_reset(j);
	j->task.size = 1000;
	j->task.max_threads = -1;
	ret = padata_mt_run(&j->task);
	if (ret || bitmap_weight(j->done, ST_MAX_UNITS) != 1000 || j->errors) {
		st_diag("zeros: ret=%d errors=%u", ret, j->errors);
		ok = false;
	}
	/* align larger than the job, min_chunk larger than the job */
	st_job_reset(j);
	j->task.start = 5;
	j->task.size = 100;
	j->task.align = 1UL << 40;
	j->task.min_chunk = ULONG_MAX;
	j->task.max_threads = INT_MAX;
	ret = padata_mt_run(&j->task);
	if (ret || j->chunks != 1 || j->errors) {
		st_diag("huge align/min_chunk: ret=%d chunks=%u", ret, j->chunks);
		ok = false;
	}
	/* the very top of the address space */
	st_job_reset(j);
	j->task.start = ULONG_MAX - 1000;
	j->task.size = 1000;
	j->task.align = 64;
	ret = padata_mt_run(&j->task);
	if (ret || bitmap_weight(j->done, ST_MAX_UNITS) != 1000 || j->errors) {
		st_diag("top of range: ret=%d errors=%u", ret, j->errors);
		ok = false;
	}
	st_result(ok, "edge_parameters", NULL);

	ok = true;
	st_job_reset(j);
	j->task.start = ULONG_MAX;
	j->task.size = 2;
	if (padata_mt_run(&j->task) != -EINVAL || j->chunks)
		ok = false;
	st_job_reset(j);
	j->task.thread_fn = NULL;
	j->task.size = 10;
	if (padata_mt_run(&j->task) != -EINVAL)
		ok = false;
	if (padata_mt_run(NULL) != -EINVAL)
		ok = false;
	st_job_reset(j);
	r[0].size = 10;
	j->task.ranges = r;
	j->task.nr_ranges = 1;
	j->task.size = 10;
	if (padata_mt_run(&j->task) != -EINVAL)
		ok = false;
	j->task.size = 0;
	r[0].nid = MAX_NUMNODES + 1;
	if (padata_mt_run(&j->task) != -EINVAL)
		ok = false;
	r[0].nid = NUMA_NO_NODE;
	r[1].start = ULONG_MAX - 1;
	r[1].size = 5;
	r[1].nid = NUMA_NO_NODE;
	j->task.nr_ranges = 2;
	if (padata_mt_run(&j->task) != -EINVAL || j->chunks)
		ok = false;
	st_result(ok, "invalid_descriptor_einval", NULL);

	/* ranges but none of them, or an empty one: -EINVAL too */
	ok = true;
	st_job_reset(j);
	r[0] = (struct padata_mt_range){ .start = 0, .size = 10, .nid = NUMA_NO_NODE };
	r[1] = (struct padata_mt_range){ .start = 10, .size = 0, .nid = NUMA_NO_NODE };
	j->task.ranges = r;
	j->task.nr_ranges = 0;
	ret = padata_mt_run(&j->task);
	if (ret != -EINVAL || j->chunks) {
		st_diag("nr_ranges 0: ret=%d chunks=%u", ret, j->chunks);
		ok = false;
	}
	j->task.nr_ranges = 2;
	ret = padata_mt_run(&j->task);
	if (ret != -EINVAL || j->chunks) {
		st_diag("an empty range: ret=%d chunks=%u", ret, j->chunks);
		ok = false;
	}
	/*
	 * nr_ranges without ranges is no start/size job either (a job of its
	 * own: st_thread_fn would take it for a ranges job).
	 */
	atomic_set(&st_calls, 0);
	ret = padata_mt_run(&st_nr_ranges_only);
	if (ret != -EINVAL || atomic_read(&st_calls)) {
		st_diag("nr_ranges 2, ranges NULL: ret=%d calls=%d", ret,
			atomic_read(&st_calls));
		ok = false;
	}
	st_result(ok, "no_ranges_or_empty_range_einval", NULL);
	st_job_free(j);
}

static void test_inline(void)
{
	struct st_job *j = st_job_new();
	bool ok;
	int ret;

	if (!j) {
		st_result(false, "one_chunk_runs_inline", NULL);
		return;
	}
	st_job_reset(j);
	j->task.size = 64;
	j->task.min_chunk = 64;
	j->task.max_threads = 8;
	ret = padata_mt_run(&j->task);
	ok = !ret && j->chunks == 1 && j->nr_tasks == 1 &&
	     j->tasks[0] == current;
	st_result(ok, "one_chunk_runs_inline", NULL);

	st_job_reset(j);
	j->task.size = 4096;
	j->task.max_threads = 1;
	ret = padata_mt_run(&j->task);
	ok = !ret && j->nr_tasks == 1 && j->tasks[0] == current &&
	     bitmap_weight(j->done, ST_MAX_UNITS) == 4096;
	st_result(ok, "max_threads_1_caller_alone", NULL);

	/*
	 * A cancel flag already set: a one-chunk job and a one-thread job of
	 * two chunks both return -ECANCELED without calling thread_fn.
	 */
	st_job_reset(j);
	j->task.size = 64;
	j->task.min_chunk = 64;
	j->task.cancel = &j->cancel;
	atomic_set(&j->cancel, 1);
	ret = padata_mt_run(&j->task);
	st_diag("one-chunk job, cancel set: ret=%d chunks=%u", ret, j->chunks);
	st_result(ret == -ECANCELED && !j->chunks, "one_chunk_job_honours_cancel",
		  NULL);
	st_job_reset(j);
	j->task.size = 64;
	j->task.min_chunk = 32;
	j->task.max_threads = 1;
	j->task.cancel = &j->cancel;
	atomic_set(&j->cancel, 1);
	ret = padata_mt_run(&j->task);
	st_diag("one-thread job, cancel set: ret=%d chunks=%u", ret, j->chunks);
	st_result(ret == -ECANCELED && !j->chunks, "one_thread_job_honours_cancel",
		  NULL);
	st_job_free(j);
}

static void test_error_undo(void)
{
	struct st_job *j = st_job_new();
	unsigned int i, bad = 0, with_undo = 0, bad_order = 0;
	int ret;

	if (!j) {
		st_result(false, "error_returns_and_undoes", NULL);
		return;
	}
	for (i = 0; i < 200; i++) {
		st_job_reset(j);
		j->task.undo_fn = st_undo_fn;
		j->task.size = 256 + st_rand(4096);
		j->task.min_chunk = 1 + st_rand(16);
		j->fail_at = st_rand(20);
		if (!(i % 5))
			j->task.undo_fn = NULL;
		ret = padata_mt_run(&j->task);
		if (j->fail_at >= (int)j->chunks) {
			/* fewer chunks than fail_at: must simply succeed */
			if (ret)
				bad++;
			continue;
		}
		if (ret != -ENOSPC) {
			bad++;
			continue;
		}
		if (!j->task.undo_fn)
			continue;
		with_undo++;
		if (j->undo_caller || j->undo_order)
			bad_order++;
		if (j->errors || j->undos != j->completed ||
		    !bitmap_empty(j->done, ST_MAX_UNITS)) {
			if (bad++ < 5)
				st_diag("undo: fail_at=%d chunks=%u completed=%u undos=%u errors=%u left=%u",
					j->fail_at, j->chunks, j->completed,
					j->undos, j->errors,
					bitmap_weight(j->done, ST_MAX_UNITS));
		}
	}
	st_diag("error/undo: 200 jobs, %u with undo_fn, %u bad, %u undone out of order or outside the caller",
		with_undo, bad, bad_order);
	st_result(!bad, "error_returns_and_undoes", NULL);
	st_result(!bad_order && with_undo, "undo_in_caller_ascending", NULL);
	st_job_free(j);
}

/*
 * A fatal signal is tested from userspace, where it is real: a write to
 * debugfs "killable_job" runs a long job in the writer's context and the
 * in-guest suite kills the writer (see st_killable_write()).
 */
static void test_cancel(void)
{
	struct st_job *j = st_job_new();
	bool ok;
	int ret;

	if (!j) {
		st_result(false, "cancel_flag_cancels", NULL);
		return;
	}
	/*
	 * The cancel flag: -ECANCELED, same undo guarantee.  Every thread has
	 * run a chunk (the rendezvous) before the flag is set.
	 */
	st_job_reset(j);
	j->task.undo_fn = st_undo_fn;
	j->task.cancel = &j->cancel;
	j->task.size = 4000;
	j->task.min_chunk = 10;
	j->spin_us = 50;
	j->rendezvous = ST_SLEEP;
	j->rendezvous_n = st_threads(&j->task);
	j->cancel_at = 2 * j->rendezvous_n + 1;
	ret = padata_mt_run(&j->task);
	ok = ret == -ECANCELED && !j->errors && j->undos == j->completed &&
	     bitmap_empty(j->done, ST_MAX_UNITS);
	st_diag("cancel flag: ret=%d chunks=%u after_stop=%u threads=%u", ret,
		j->chunks, j->after_stop, j->nr_tasks);
	st_result(ok, "cancel_flag_cancels", NULL);
	/*
	 * The flag is set inside a chunk: every other thread may start the
	 * one chunk it had claimed, none a second one.
	 */
	st_result(ok && j->after_stop + 1 <= max(j->nr_tasks, 1U) &&
		  (num_online_cpus() < 2 || j->nr_tasks >= 2),
		  "cancel_at_most_one_chunk_per_other_thread", NULL);
	st_job_free(j);
}

struct st_stress {
	atomic_t bad;
	atomic_t left;
	struct completion done;
	unsigned int rounds;
};

static int st_stress_thread(void *arg)
{
	struct st_stress *s = arg;
	struct st_job *j = st_job_new();
	unsigned int i;

	for (i = 0; j && i < s->rounds; i++) {
		st_job_reset(j);
		j->task.size = 1 + st_rand(2048);
		j->task.min_chunk = st_rand(8);
		j->task.max_threads = 0;
		j->spin_us = 50;	/* long enough for jobs to overlap */
		if (padata_mt_run(&j->task) || j->errors ||
		    bitmap_weight(j->done, ST_MAX_UNITS) != j->task.size)
			atomic_inc(&s->bad);
	}
	if (!j)
		atomic_inc(&s->bad);
	st_job_free(j);
	if (atomic_dec_and_test(&s->left))
		complete(&s->done);
	return 0;
}

static void test_concurrent_callers(void)
{
	struct st_stress s = { .rounds = rounds };
	unsigned int i, started = 0;
	struct task_struct *t;

	atomic_set(&s.bad, 0);
	atomic_set(&s.left, callers + 1);
	init_completion(&s.done);
	for (i = 0; i < callers; i++) {
		t = kthread_run(st_stress_thread, &s, "pmt_st_%u", i);
		if (IS_ERR(t))
			atomic_inc(&s.bad);
		else
			started++;
	}
	atomic_sub(callers - started, &s.left);
	if (!atomic_dec_and_test(&s.left))
		wait_for_completion_state(&s.done, TASK_IDLE);
	st_diag("%u concurrent callers x %u jobs: %d bad", started, s.rounds,
		atomic_read(&s.bad));
	st_result(started == callers && !atomic_read(&s.bad),
		  "concurrent_callers_pool_exhaustion", NULL);
}

static int st_nested_fn(unsigned long s, unsigned long e, void *arg)
{
	struct st_job *inner = st_job_new();
	atomic_t *bad = arg;

	if (!inner)
		return -ENOMEM;
	st_job_reset(inner);
	inner->task.size = 100;
	inner->task.min_chunk = 1;
	if (padata_mt_run(&inner->task) ||
	    bitmap_weight(inner->done, ST_MAX_UNITS) != 100)
		atomic_inc(bad);
	st_job_free(inner);
	return 0;
}

static void test_nested(void)
{
	atomic_t bad = ATOMIC_INIT(0);
	struct padata_mt_task t = {
		.thread_fn = st_nested_fn,
		.fn_arg = &bad,
		.size = 16,
		.min_chunk = 1,
	};
	int ret = padata_mt_run(&t);

	st_result(!ret && !atomic_read(&bad), "nested_jobs", NULL);
}

static void test_multi_cpu(void)
{
	struct st_job *j = st_job_new();
	unsigned int n;
	int ret;

	if (!j) {
		st_result(false, "chunks_run_on_several_cpus", NULL);
		return;
	}
	if (num_online_cpus() < 2) {
		st_result(true, "chunks_run_on_several_cpus", "one CPU online");
		goto out;
	}
	st_job_reset(j);
	j->task.size = 256;
	j->task.min_chunk = 1;
	j->task.max_threads = 2;
	j->rendezvous = ST_SPIN;
	ret = padata_mt_run(&j->task);
	n = cpumask_weight(&j->cpus);
	st_diag("2-thread job: %u CPUs, %u tasks", n, j->nr_tasks);
	st_result(!ret && n >= 2 && j->nr_tasks == 2,
		  "chunks_run_on_several_cpus", NULL);
out:
	st_job_free(j);
}

/*
 * The thread count is exactly min(max_threads, CPUs the caller may use,
 * units of work, free helpers + 1): each chunk waits until that many tasks
 * have run one (ST_SLEEP: the helpers get CPU time however many there are),
 * then the distinct tasks are counted.  The pool is idle here, so free
 * helpers + 1 exceeds every other bound.
 */
static void test_thread_count(void)
{
	static const int mts[] = { 0, 1, 2, 3, 4, 5, -1 };
	struct st_job *j = st_job_new();
	unsigned int i, want, bad = 0, cpus = num_online_cpus();
	int ret;

	if (!j) {
		st_result(false, "thread_count_exact", NULL);
		return;
	}
	for (i = 0; i < ARRAY_SIZE(mts) * 2; i++) {
		st_job_reset(j);
		j->task.size = i < ARRAY_SIZE(mts) ? 64 : 3;
		j->task.min_chunk = 1;
		j->task.max_threads = mts[i % ARRAY_SIZE(mts)];
		want = st_threads(&j->task);
		j->rendezvous = ST_SLEEP;
		j->rendezvous_n = want;
		ret = padata_mt_run(&j->task);
		if (ret || j->nr_tasks != want ||
		    bitmap_weight(j->done, ST_MAX_UNITS) != j->task.size) {
			bad++;
			st_diag("max_threads=%d size=%lu, %u CPUs: %u threads, want %u (ret %d)",
				j->task.max_threads, j->task.size, cpus,
				j->nr_tasks, want, ret);
		}
	}
	st_result(!bad, "thread_count_exact", NULL);
	st_job_free(j);
}

/**
 * struct st_nice - what the helper of a two-chunk job saw of its priority
 * @caller: the caller
 * @helper: the helper task, referenced
 * @first: the helper's nice when its chunk started
 * @last: its nice when the chunk ended
 * @background: the job asks for PADATA_MT_PRIO_BACKGROUND: the helper's
 *              chunk waits (up to 10 s) for its nice to leave MAX_NICE
 * @started: the helper's chunk has started
 */
struct st_nice {
	struct task_struct *caller;
	struct task_struct *helper;
	int first, last;
	bool background;
	atomic_t started;
};

static int st_nice_fn(unsigned long s, unsigned long e, void *arg)
{
	struct st_nice *n = arg;
	unsigned long deadline = jiffies + 10 * HZ;

	if (current == n->caller) {
		/* Keep the caller busy until the helper has a chunk. */
		while (!atomic_read(&n->started) && time_before(jiffies, deadline))
			usleep_range(100, 200);
		return 0;
	}
	n->first = task_nice(current);
	get_task_struct(current);
	n->helper = current;
	atomic_set(&n->started, 1);
	while (n->background && task_nice(current) == MAX_NICE &&
	       time_before(jiffies, deadline))
		usleep_range(100, 200);
	n->last = task_nice(current);
	return 0;
}

/* One two-chunk job from a caller at nice 5; returns the helper's nice after. */
static int st_nice_job(struct st_nice *n, enum padata_mt_prio prio)
{
	struct padata_mt_task t = {
		.thread_fn = st_nice_fn,
		.fn_arg = n,
		.size = 2,
		.min_chunk = 1,
		.max_threads = 2,
		.helper_prio = prio,
	};
	int ret, after;

	memset(n, 0, sizeof(*n));
	n->caller = current;
	n->background = prio == PADATA_MT_PRIO_BACKGROUND;
	n->first = n->last = INT_MIN;
	ret = padata_mt_run(&t);
	if (!n->helper)
		return INT_MIN;
	after = task_nice(n->helper);
	put_task_struct(n->helper);
	return ret ? INT_MIN : after;
}

/*
 * Helpers run at the caller's nice; PADATA_MT_PRIO_BACKGROUND runs them at
 * MAX_NICE until the caller has no chunk left and waits, then at the
 * caller's nice; and a kworker leaves the job at the nice it came with.
 */
static void test_nice(void)
{
	int was = task_nice(current), after_default, after_bg;
	struct st_nice n;
	bool ok;

	if (num_online_cpus() < 2) {
		st_result(true, "helpers_at_callers_nice", "one CPU online");
		st_result(true, "background_helpers_max_nice_then_callers",
			  "one CPU online");
		st_result(true, "kworker_nice_restored", "one CPU online");
		return;
	}
	set_user_nice(current, 5);
	after_default = st_nice_job(&n, PADATA_MT_PRIO_CALLER);
	st_diag("caller at nice 5, default: helper at %d..%d, kworker at %d after",
		n.first, n.last, after_default);
	st_result(n.first == 5 && n.last == 5, "helpers_at_callers_nice", NULL);
	after_bg = st_nice_job(&n, PADATA_MT_PRIO_BACKGROUND);
	st_diag("caller at nice 5, background: helper at %d..%d, kworker at %d after",
		n.first, n.last, after_bg);
	st_result(n.first == MAX_NICE && n.last == 5,
		  "background_helpers_max_nice_then_callers", NULL);
	set_user_nice(current, was);
	/* A worker of a per-CPU pool of the normal priority: nice 0. */
	ok = after_default == 0 && after_bg == 0;
	st_result(ok, "kworker_nice_restored", NULL);
}

/**
 * struct st_nest - a job whose helper runs a job of its own
 * @caller: the outer job's caller
 * @threads: threads of the inner job
 * @want: threads the inner job should get
 * @done: the inner job has returned
 */
struct st_nest {
	struct task_struct *caller;
	unsigned int threads, want;
	atomic_t done;
};

static int st_nest_fn(unsigned long s, unsigned long e, void *arg)
{
	struct st_nest *n = arg;
	unsigned long deadline = jiffies + 30 * HZ;
	struct st_job *inner;
	int ret;

	if (current == n->caller) {
		while (!atomic_read(&n->done) && time_before(jiffies, deadline))
			usleep_range(100, 200);
		return 0;
	}
	inner = st_job_new();
	if (!inner)
		return -ENOMEM;
	st_job_reset(inner);
	inner->task.size = 64;
	inner->task.min_chunk = 1;
	inner->rendezvous = ST_SLEEP;
	inner->rendezvous_n = n->want;
	ret = padata_mt_run(&inner->task);
	if (!ret && bitmap_weight(inner->done, ST_MAX_UNITS) == 64)
		n->threads = inner->nr_tasks;
	st_job_free(inner);
	atomic_set(&n->done, 1);
	return ret;
}

/*
 * A job started by a helper may use the CPUs its outer job's caller may
 * use, not only the helper's own (a worker's affinity is the workqueue's,
 * not the caller's).
 */
static void test_nested_from_helper(void)
{
	struct st_nest n = { .caller = current, .want = num_online_cpus() };
	struct padata_mt_task t = {
		.thread_fn = st_nest_fn,
		.fn_arg = &n,
		.size = 2,
		.min_chunk = 1,
		.max_threads = 2,
	};
	int ret;

	if (num_online_cpus() < 2) {
		st_result(true, "nested_job_from_helper_gets_callers_cpus",
			  "one CPU online");
		return;
	}
	atomic_set(&n.done, 0);
	ret = padata_mt_run(&t);
	st_diag("job nested in a helper: %u threads, want %u (ret %d)",
		n.threads, n.want, ret);
	st_result(!ret && n.threads == n.want,
		  "nested_job_from_helper_gets_callers_cpus", NULL);
}

static unsigned int pmt_st_node_cpus(int nid)
{
	return cpumask_weight_and(cpumask_of_node(nid), cpu_online_mask);
}

/* Run on a CPU of @nid from now on, without being restricted to it. */
static void st_move_to_node(int nid)
{
	set_cpus_allowed_ptr(current, cpumask_of_node(nid));
	set_cpus_allowed_ptr(current, cpu_possible_mask);
}

static void test_numa(void)
{
	struct st_job *j = st_job_new();
	struct padata_mt_range r[4];
	nodemask_t seen = NODE_MASK_NONE;
	unsigned int i, n0, n1;
	bool ok = true;
	int ret, nid0, nid1;

	if (!j) {
		st_result(false, "numa_aware_helpers_on_all_nodes", NULL);
		return;
	}
	if (num_node_state(N_CPU) < 2) {
		st_result(true, "numa_aware_helpers_on_all_nodes",
			  "needs 2 nodes with CPUs");
		st_result(true, "ranges_run_on_their_node",
			  "needs 2 nodes with CPUs");
		st_result(true, "ranges_helpers_beyond_node_steal",
			  "needs 2 nodes with CPUs");
		goto out;
	}
	nid0 = first_node(node_states[N_CPU]);
	nid1 = next_node(nid0, node_states[N_CPU]);
	for (i = 0; i < 8; i++) {
		/* Callers on both nodes, so helpers have room on both. */
		st_move_to_node(i % 2 ? nid1 : nid0);
		st_job_reset(j);
		j->task.size = 64;
		j->task.min_chunk = 1;
		j->task.numa_aware = true;
		j->rendezvous = ST_SLEEP;
		ret = padata_mt_run(&j->task);
		if (ret || j->errors)
			ok = false;
		nodes_or(seen, seen, j->nodes);
	}
	st_diag("numa_aware: helpers ran on %u nodes", nodes_weight(seen));
	st_result(ok && nodes_weight(seen) >= 2,
		  "numa_aware_helpers_on_all_nodes", NULL);

	n0 = 0;
	n1 = 0;
	for (i = 0; i < 8; i++) {
		st_job_reset(j);
		memset(r, 0, sizeof(r));
		r[0] = (struct padata_mt_range){ .start = 0, .size = 100, .nid = nid0 };
		r[1] = (struct padata_mt_range){ .start = 100, .size = 100, .nid = nid1 };
		r[2] = (struct padata_mt_range){ .start = 200, .size = 50, .nid = NUMA_NO_NODE };
		r[3] = (struct padata_mt_range){ .start = 250, .size = 50, .nid = nid1 };
		j->task.ranges = r;
		j->task.nr_ranges = 4;
		j->task.min_chunk = 5;
		j->spin_us = 200;
		ret = padata_mt_run(&j->task);
		if (ret || j->errors || j->bad_node ||
		    bitmap_weight(j->done, ST_MAX_UNITS) != 300)
			ok = false;
		if (node_isset(nid0, j->nodes))
			n0++;
		if (node_isset(nid1, j->nodes))
			n1++;
	}
	st_diag("ranges: helper chunks on node %d in %u jobs, node %d in %u jobs",
		nid0, n0, nid1, n1);
	st_result(ok, "ranges_run_on_their_node", NULL);

	/*
	 * Every range on the caller's node, which has no CPU to spare: the
	 * helper goes to another node and, having no range there, steals.
	 */
	ok = true;
	for (i = 0; i < 4; i++) {
		st_move_to_node(nid0);
		st_job_reset(j);
		memset(r, 0, sizeof(r));
		r[0] = (struct padata_mt_range){ .start = 0, .size = 150, .nid = nid0 };
		r[1] = (struct padata_mt_range){ .start = 150, .size = 150, .nid = nid0 };
		j->task.ranges = r;
		j->task.nr_ranges = 2;
		j->task.min_chunk = 5;
		j->rendezvous = ST_SPIN;
		ret = padata_mt_run(&j->task);
		if (ret || j->errors || j->nr_tasks < 2 ||
		    bitmap_weight(j->done, ST_MAX_UNITS) != 300)
			ok = false;
	}
	if (pmt_st_node_cpus(nid0) > 1)
		st_result(true, "ranges_helpers_beyond_node_steal",
			  "the caller's node has CPUs to spare");
	else
		st_result(ok, "ranges_helpers_beyond_node_steal", NULL);
out:
	st_job_free(j);
}

static void test_affinity(void)
{
	struct st_job *j = st_job_new();
	int ret;

	if (!j) {
		st_result(false, "restricted_caller_stays_on_its_cpus", NULL);
		return;
	}
	if (num_online_cpus() < 2) {
		st_result(true, "restricted_caller_stays_on_its_cpus",
			  "one CPU online");
		goto out;
	}
	set_cpus_allowed_ptr(current, cpumask_of(cpumask_first(cpu_online_mask)));
	st_job_reset(j);
	j->task.size = 128;
	j->task.min_chunk = 1;
	j->spin_us = 100;
	ret = padata_mt_run(&j->task);
	set_cpus_allowed_ptr(current, cpu_possible_mask);
	st_result(!ret && cpumask_weight(&j->cpus) == 1 &&
		  cpumask_test_cpu(cpumask_first(cpu_online_mask), &j->cpus),
		  "restricted_caller_stays_on_its_cpus", NULL);
out:
	st_job_free(j);
}


/* ------------------------------------------------------------ topology */

/**
 * struct st_topo - the guest's shape, as the topology battery needs it
 * @big: a node with at least two online CPUs
 * @other: two more nodes with CPUs
 * @memonly: a node with memory and no CPU
 */
struct st_topo {
	int big, other[2], memonly;
};

static bool st_topo_find(struct st_topo *t)
{
	int nid, n = 0;

	t->big = NUMA_NO_NODE;
	t->memonly = NUMA_NO_NODE;
	for_each_node_state(nid, N_CPU) {
		if (t->big == NUMA_NO_NODE && pmt_st_node_cpus(nid) >= 2)
			t->big = nid;
		else if (n < 2)
			t->other[n++] = nid;
	}
	for_each_node_state(nid, N_MEMORY)
		if (!node_state(nid, N_CPU) && t->memonly == NUMA_NO_NODE)
			t->memonly = nid;
	return t->big != NUMA_NO_NODE && n == 2 && t->memonly != NUMA_NO_NODE;
}

/*
 * What a finished job's tasks say about its placement: each helper ran on
 * a CPU of its own (@moved: one ran on two), none on the caller's, and no
 * node had more threads than online CPUs.  @nodes[] gets the helpers per
 * node (nr_node_ids entries).
 */
/* The index of the caller in j->tasks, or 0 if it ran no chunk. */
static unsigned int st_caller_idx(const struct st_job *j)
{
	unsigned int i;

	for (i = 0; i < j->nr_tasks; i++)
		if (j->tasks[i] == j->caller)
			return i;
	return 0;
}

static bool st_placement_ok(const struct st_job *j, unsigned int *nodes)
{
	unsigned int i, k, caller = ST_MAX_CPUS;
	bool ok = !j->task_moved;
	int nid;

	memset(nodes, 0, nr_node_ids * sizeof(*nodes));
	for (i = 0; i < j->nr_tasks; i++) {
		if (j->tasks[i] == j->caller) {
			caller = i;
			continue;
		}
		nodes[cpu_to_node(j->task_cpu[i])]++;
		if (j->task_cpu[i] == j->task_cpu[st_caller_idx(j)])
			ok = false;
		for (k = 0; k < i; k++)
			if (j->task_cpu[k] == j->task_cpu[i])
				ok = false;
	}
	for_each_online_node(nid) {
		unsigned int n = nodes[nid];

		if (caller < ST_MAX_CPUS && cpu_to_node(j->task_cpu[caller]) == nid)
			n++;
		if (n > pmt_st_node_cpus(nid))
			ok = false;
	}
	return ok;
}

static void st_diag_placement(const char *what, const struct st_job *j)
{
	char line[160];
	struct seq_buf sb;
	unsigned int i;

	seq_buf_init(&sb, line, sizeof(line));
	for (i = 0; i < j->nr_tasks; i++)
		seq_buf_printf(&sb, " %s%d/n%d", j->tasks[i] == j->caller ? "c" : "h",
			       j->task_cpu[i], cpu_to_node(j->task_cpu[i]));
	st_diag("%s: threads (cpu/node)%s%s", what, seq_buf_str(&sb),
		j->task_moved ? ", a helper moved" : "");
}

/* Thread count, one thread per CPU and per-node bounds, every placement mode. */
static void test_topo_placement(struct st_job *j, const struct st_topo *t,
				unsigned int *nodes)
{
	static const int mts[] = { 2, 3, 4, 0 };
	struct padata_mt_range r[3];
	unsigned int i, want, bad = 0, bad_count = 0;
	int ret;

	for (i = 0; i < 3 * ARRAY_SIZE(mts); i++) {
		st_move_to_node(i % 2 ? t->other[0] : t->big);
		st_job_reset(j);
		j->task.max_threads = mts[i % ARRAY_SIZE(mts)];
		j->task.min_chunk = 1;
		if (i / ARRAY_SIZE(mts) == 2) {
			r[0] = (struct padata_mt_range){ .start = 0, .size = 32, .nid = t->big };
			r[1] = (struct padata_mt_range){ .start = 32, .size = 32, .nid = t->other[1] };
			r[2] = (struct padata_mt_range){ .start = 64, .size = 32, .nid = t->memonly };
			j->task.ranges = r;
			j->task.nr_ranges = 3;
		} else {
			j->task.size = 96;
			j->task.numa_aware = i / ARRAY_SIZE(mts) == 1;
		}
		want = min_t(unsigned int, mts[i % ARRAY_SIZE(mts)] ?: INT_MAX,
			     num_online_cpus());
		j->rendezvous = ST_SLEEP;
		j->rendezvous_n = want;
		ret = padata_mt_run(&j->task);
		if (ret || j->errors || bitmap_weight(j->done, ST_MAX_UNITS) != 96)
			bad++;
		if (j->nr_tasks != want)
			bad_count++;
		if (!st_placement_ok(j, nodes)) {
			bad++;
			st_diag_placement("bad placement", j);
		}
	}
	st_result(!bad_count, "topology_thread_count_exact", NULL);
	st_result(!bad, "topology_one_thread_per_cpu_none_over_node", NULL);
}

/* Without numa_aware, helpers fill the caller's node first. */
static void test_topo_callers_node(struct st_job *j, const struct st_topo *t,
				   unsigned int *nodes)
{
	unsigned int i, bad = 0, n = pmt_st_node_cpus(t->big);
	int ret;

	for (i = 0; i < 4; i++) {
		st_move_to_node(t->big);
		st_job_reset(j);
		j->task.size = 64;
		j->task.min_chunk = 1;
		/* n threads fill the node; one more goes to another node */
		j->task.max_threads = n + (i & 1);
		j->rendezvous = ST_SLEEP;
		j->rendezvous_n = j->task.max_threads;
		ret = padata_mt_run(&j->task);
		st_placement_ok(j, nodes);
		if (ret || j->nr_tasks != j->task.max_threads ||
		    nodes[t->big] != n - 1 ||
		    cpu_to_node(j->task_cpu[st_caller_idx(j)]) != t->big) {
			bad++;
			st_diag_placement("caller's node first", j);
		}
	}
	st_result(!bad, "default_helpers_on_callers_node_first", NULL);
}

/**
 * struct st_spread - concurrent numa_aware jobs, for test_topo_spread()
 * @started: jobs whose helper has run a chunk
 * @left: callers still running
 * @done: the last caller completes it
 * @numa_aware: the jobs' numa_aware
 * @big: the node every caller starts on
 * @node: the node each job's helper ran on
 * @bad: a job failed
 */
struct st_spread {
	atomic_t started;
	atomic_t left;
	struct completion done;
	bool numa_aware;
	int big;
	int node[3];
	atomic_t bad;
};

struct st_spread_job {
	struct st_spread *sp;
	struct task_struct *caller;
	int idx;
	atomic_t mine;
};

static int st_spread_fn(unsigned long s, unsigned long e, void *arg)
{
	struct st_spread_job *sj = arg;
	unsigned long deadline = jiffies + 10 * HZ;

	if (current != sj->caller && atomic_inc_return(&sj->mine) == 1) {
		sj->sp->node[sj->idx] = numa_node_id();
		atomic_inc(&sj->sp->started);
	}
	/* Every job holds its threads until all three have a helper running. */
	while (atomic_read(&sj->sp->started) < 3 && time_before(jiffies, deadline))
		usleep_range(100, 200);
	return 0;
}

static int st_spread_thread(void *arg)
{
	struct st_spread_job *sj = arg;
	struct padata_mt_task t = {
		.thread_fn = st_spread_fn,
		.fn_arg = sj,
		.size = 8,
		.min_chunk = 1,
		.max_threads = 2,
		.numa_aware = sj->sp->numa_aware,
	};

	sj->caller = current;
	/* start on the big node, allowed everywhere */
	st_move_to_node(sj->sp->big);
	if (padata_mt_run(&t) || atomic_read(&sj->mine) == 0)
		atomic_inc(&sj->sp->bad);
	if (atomic_dec_and_test(&sj->sp->left))
		complete(&sj->sp->done);
	return 0;
}

/* numa_aware spreads the helpers of concurrent jobs over the nodes. */
static void test_topo_spread(const struct st_topo *t)
{
	struct st_spread_job sj[3];
	struct st_spread sp = { .numa_aware = true, .big = t->big };
	struct task_struct *k;
	nodemask_t seen = NODE_MASK_NONE;
	unsigned int i;

	atomic_set(&sp.started, 0);
	atomic_set(&sp.left, 3);
	atomic_set(&sp.bad, 0);
	init_completion(&sp.done);
	for (i = 0; i < 3; i++) {
		sj[i].sp = &sp;
		sj[i].idx = i;
		sp.node[i] = NUMA_NO_NODE;
		atomic_set(&sj[i].mine, 0);
		k = kthread_run(st_spread_thread, &sj[i], "pmt_st_spread%u", i);
		if (IS_ERR(k)) {
			atomic_inc(&sp.bad);
			if (atomic_dec_and_test(&sp.left))
				complete(&sp.done);
		}
	}
	wait_for_completion_state(&sp.done, TASK_IDLE);
	for (i = 0; i < 3; i++)
		if (sp.node[i] != NUMA_NO_NODE)
			node_set(sp.node[i], seen);
	st_diag("3 concurrent numa_aware jobs from node %d: helpers on nodes %d %d %d (%d bad)",
		t->big, sp.node[0], sp.node[1], sp.node[2], atomic_read(&sp.bad));
	st_result(!atomic_read(&sp.bad) && atomic_read(&sp.started) == 3 &&
		  nodes_weight(seen) >= 2, "numa_aware_spreads_concurrent_jobs",
		  NULL);
}

/* Ranges: >= 90% of a range's chunks on its node; memory-only ranges shared. */
static void test_topo_ranges(struct st_job *j, const struct st_topo *t)
{
	struct padata_mt_range r[4];
	unsigned int i, k, chunks[4] = { }, home[4] = { }, shared = 0, bad = 0;
	bool ok;
	int ret;

	for (i = 0; i < 3; i++) {
		st_move_to_node(t->big);
		st_job_reset(j);
		r[0] = (struct padata_mt_range){ .start = 0, .size = 400, .nid = t->big };
		r[1] = (struct padata_mt_range){ .start = 400, .size = 200, .nid = t->other[0] };
		r[2] = (struct padata_mt_range){ .start = 600, .size = 200, .nid = t->other[1] };
		r[3] = (struct padata_mt_range){ .start = 800, .size = 400, .nid = t->memonly };
		j->task.ranges = r;
		j->task.nr_ranges = 4;
		j->task.min_chunk = 4;
		j->spin_us = 300;
		ret = padata_mt_run(&j->task);
		if (ret || j->errors || bitmap_weight(j->done, ST_MAX_UNITS) != 1200)
			bad++;
		for (k = 0; k < 4; k++) {
			chunks[k] += j->range_chunks[k];
			home[k] += j->range_home[k];
		}
	}
	/*
	 * Sharing: the ranges on CPU nodes are two chunks each, the
	 * memory-only node's is long, and each of its chunks waits until two
	 * threads have run some: it passes only if a second thread may take
	 * them at all.
	 */
	for (i = 0; i < 3; i++) {
		st_move_to_node(t->big);
		st_job_reset(j);
		r[0] = (struct padata_mt_range){ .start = 0, .size = 8, .nid = t->big };
		r[1] = (struct padata_mt_range){ .start = 8, .size = 8, .nid = t->other[0] };
		r[2] = (struct padata_mt_range){ .start = 16, .size = 8, .nid = t->other[1] };
		r[3] = (struct padata_mt_range){ .start = 24, .size = 800, .nid = t->memonly };
		j->task.ranges = r;
		j->task.nr_ranges = 4;
		j->task.min_chunk = 4;
		j->spin_us = 300;
		j->share_range = 3;
		ret = padata_mt_run(&j->task);
		if (ret || j->errors || bitmap_weight(j->done, ST_MAX_UNITS) != 824)
			bad++;
		if (hweight64(j->range_tasks[3]) >= 2)
			shared++;
	}
	ok = !bad;
	for (k = 0; k < 3; k++) {
		st_diag("range on node %d: %u of %u chunks there", r[k].nid,
			home[k], chunks[k]);
		if (home[k] * 10 < chunks[k] * 9)
			ok = false;
	}
	st_diag("memory-only node %d's range: run by several threads in %u of 3 jobs",
		t->memonly, shared);
	st_result(ok, "ranges_90pct_chunks_on_home_node", NULL);
	st_result(!bad && shared == 3, "memory_only_node_ranges_shared", NULL);
}

/* A caller restricted to CPUs on two nodes: its helpers stay on them. */
static void test_topo_restricted(struct st_job *j, const struct st_topo *t)
{
	struct padata_mt_range r[3];
	cpumask_var_t allow;
	unsigned int i, chunks = 0, home = 0;
	bool ok = true;
	int ret, cpu, last = 0;

	if (!zalloc_cpumask_var(&allow, GFP_KERNEL)) {
		st_result(false, "restricted_caller_helpers_on_allowed_cpus", NULL);
		return;
	}
	/* the big node's last CPU and the second other node's CPU */
	for_each_cpu_and(cpu, cpumask_of_node(t->big), cpu_online_mask)
		last = cpu;
	cpumask_set_cpu(last, allow);
	cpumask_set_cpu(cpumask_first_and(cpumask_of_node(t->other[1]),
					  cpu_online_mask), allow);
	for (i = 0; i < 4; i++) {
		set_cpus_allowed_ptr(current, allow);
		st_job_reset(j);
		if (i & 1) {
			r[0] = (struct padata_mt_range){ .start = 0, .size = 200, .nid = t->big };
			r[1] = (struct padata_mt_range){ .start = 200, .size = 200, .nid = t->other[0] };
			r[2] = (struct padata_mt_range){ .start = 400, .size = 200, .nid = t->other[1] };
			j->task.ranges = r;
			j->task.nr_ranges = 3;
			j->task.min_chunk = 4;
			j->spin_us = 300;
		} else {
			j->task.size = 600;
			j->task.min_chunk = 1;
			j->rendezvous = ST_SLEEP;
			j->rendezvous_n = 2;
		}
		ret = padata_mt_run(&j->task);
		set_cpus_allowed_ptr(current, cpu_possible_mask);
		if (ret || j->errors || bitmap_weight(j->done, ST_MAX_UNITS) != 600 ||
		    j->nr_tasks != 2 || !cpumask_subset(&j->cpus, allow)) {
			ok = false;
			st_diag_placement("restricted caller", j);
		}
		if (i & 1) {
			chunks += j->range_chunks[2];
			home += j->range_home[2];
		}
	}
	st_diag("restricted caller (CPUs %*pbl): range on node %d: %u of %u chunks there",
		cpumask_pr_args(allow), t->other[1], home, chunks);
	st_result(ok, "restricted_caller_helpers_on_allowed_cpus", NULL);
	st_result(ok && home * 10 >= chunks * 9,
		  "restricted_caller_range_on_its_helpers_node", NULL);
	free_cpumask_var(allow);
}

/* A failing job given as ranges over every node: undo in the caller, ascending. */
static void test_topo_undo(struct st_job *j, const struct st_topo *t)
{
	struct padata_mt_range r[4];
	unsigned int i, bad = 0;
	int ret;

	for (i = 0; i < 6; i++) {
		st_job_reset(j);
		r[0] = (struct padata_mt_range){ .start = 0, .size = 300, .nid = t->big };
		r[1] = (struct padata_mt_range){ .start = 300, .size = 300, .nid = t->other[0] };
		r[2] = (struct padata_mt_range){ .start = 600, .size = 300, .nid = t->memonly };
		r[3] = (struct padata_mt_range){ .start = 900, .size = 300, .nid = t->other[1] };
		j->task.ranges = r;
		j->task.nr_ranges = 4;
		j->task.min_chunk = 3;
		j->task.undo_fn = st_undo_fn;
		j->spin_us = 100;
		j->fail_at = 20 + 10 * i;
		ret = padata_mt_run(&j->task);
		if (ret != -ENOSPC || j->errors || j->undo_caller || j->undo_order ||
		    j->undos != j->completed || !bitmap_empty(j->done, ST_MAX_UNITS)) {
			bad++;
			st_diag("undo over ranges: ret=%d undos=%u completed=%u by others=%u out of order=%u",
				ret, j->undos, j->completed, j->undo_caller,
				j->undo_order);
		}
	}
	st_result(!bad, "undo_over_ranges_in_caller_ascending", NULL);
}

static void test_topology(void)
{
	static const char * const names[] = {
		"topology_thread_count_exact",
		"topology_one_thread_per_cpu_none_over_node",
		"default_helpers_on_callers_node_first",
		"numa_aware_spreads_concurrent_jobs",
		"ranges_90pct_chunks_on_home_node",
		"memory_only_node_ranges_shared",
		"restricted_caller_helpers_on_allowed_cpus",
		"restricted_caller_range_on_its_helpers_node",
		"undo_over_ranges_in_caller_ascending",
	};
	struct st_job *j = st_job_new();
	unsigned int *nodes = kcalloc(nr_node_ids, sizeof(*nodes), GFP_KERNEL);
	struct st_topo t;
	unsigned int i;

	if (!j || !nodes) {
		st_result(false, "topology_battery_setup", NULL);
		goto out;
	}
	if (!st_topo_find(&t)) {
		for (i = 0; i < ARRAY_SIZE(names); i++)
			st_result(true, names[i], "needs a node with 2 CPUs, 2 more with CPUs and a memory-only node");
		goto out;
	}
	st_diag("topology: node %d has %u CPUs, nodes %d and %d have CPUs, node %d is memory-only",
		t.big, pmt_st_node_cpus(t.big), t.other[0], t.other[1],
		t.memonly);
	test_topo_placement(j, &t, nodes);
	test_topo_callers_node(j, &t, nodes);
	test_topo_spread(&t);
	test_topo_ranges(j, &t);
	test_topo_restricted(j, &t);
	test_topo_undo(j, &t);
	set_cpus_allowed_ptr(current, cpu_possible_mask);
out:
	kfree(nodes);
	st_job_free(j);
}

static int st_count_fn(unsigned long s, unsigned long e, void *arg)
{
	atomic_long_add(e - s, arg);
	return 0;
}

static int st_positive_fn(unsigned long s, unsigned long e, void *arg)
{
	atomic_long_add(e - s, arg);
	return 1;
}

/* A thread_fn returning a positive value is a bug: -EIO, one-chunk or not. */
static void test_positive_ret(void)
{
	atomic_long_t calls;
	struct padata_mt_task t = {
		.thread_fn = st_positive_fn,
		.fn_arg = &calls,
		.size = 8,
		.min_chunk = 8,
	};
	int r1, r2;

	atomic_long_set(&calls, 0);
	r1 = padata_mt_run(&t);
	t.min_chunk = 1;
	r2 = padata_mt_run(&t);
	st_diag("thread_fn returning 1: one chunk %d, several %d", r1, r2);
	st_result(r1 == -EIO && r2 == -EIO && atomic_long_read(&calls) > 0,
		  "positive_thread_fn_return_is_eio", NULL);
}

/* Every field at 0, 1, max and values whose arithmetic overflows. */
static void test_hostile(void)
{
	static const unsigned long vals[] = { 0, 1, 2, 4096, ULONG_MAX / 2,
					      ULONG_MAX - 1, ULONG_MAX };
	static const int thr[] = { INT_MIN, -1, 0, 1, 2, INT_MAX };
	struct padata_mt_task t = { };
	const unsigned int nv = ARRAY_SIZE(vals), nt = ARRAY_SIZE(thr);
	unsigned int i, bad = 0, runs = 0;
	unsigned long start, size;
	atomic_long_t calls;
	int ret;

	/* start x size (the first five values: runnable) x align x min_chunk x max_threads */
	for (i = 0; i < nv * 5 * nv * nv * nt; i++) {
		start = vals[i % nv];
		size = vals[(i / nv) % 5];
		atomic_long_set(&calls, 0);
		t = (struct padata_mt_task){
			.thread_fn = st_count_fn,
			.fn_arg = &calls,
			.start = start,
			.size = size,
			.align = vals[(i / (nv * 5)) % nv],
			.min_chunk = vals[(i / (nv * 5 * nv)) % nv],
			.max_threads = thr[(i / (nv * 5 * nv * nv)) % nt],
		};
		ret = padata_mt_run(&t);
		runs++;
		if (start + size < start) {
			if (ret != -EINVAL || atomic_long_read(&calls))
				bad++;
		} else if (ret || atomic_long_read(&calls) != size) {
			bad++;
		}
	}
	st_diag("hostile parameter sweep: %u runs, %u bad", runs, bad);
	st_result(!bad, "hostile_parameter_sweep", NULL);
}

/*
 * Lockdep.  A caller that holds a mutex M while padata_mt_run() waits for
 * helpers whose thread_fn takes M deadlocks, silently: each call site of
 * padata_mt_run() is a lockdep class of its own (the macro's static map),
 * which the caller acquires before it waits and every thread holds (as a
 * recursive reader) around thread_fn, so lockdep sees the circle M -> site
 * -> M.  Provoking the report needs neither the deadlock nor its timing:
 * lockdep records each dependency where it happens.
 *
 * In one boot (lockdep_splat=1), unrelated case first: thread_fn at sites
 * A, A1 (one chunk), A2 (one thread) takes M; the caller holds M around
 * sites B, B1 (one chunk), B2 (one thread), whose thread_fn leaves M alone.
 * That is no circle (no site is on both sides), and lockdep must stay on;
 * lockdep-splat.sh then checks the six dependencies in /proc/lockdep (each
 * path annotates).  Then the real case, written to lockdep_inversion: one
 * site, a multithreaded job whose helper takes M2, then a one-chunk job of
 * the same site with the caller holding M2: lockdep must report it, which
 * switches it off for the rest of the boot (hence a boot of its own,
 * bracketed by expect-splat markers).
 */
static DEFINE_MUTEX(st_unrel_mutex);
static DEFINE_MUTEX(st_inversion_mutex);

/**
 * struct st_inversion - one lockdep test job
 * @caller: the caller
 * @take: the mutex thread_fn takes, or NULL
 * @wait_helper: the caller's chunk waits (up to 10 s) for a helper's
 *               chunk, and only helpers take @take
 * @helper_chunks: chunks helpers ran
 */
struct st_inversion {
	struct task_struct *caller;
	struct mutex *take;
	bool wait_helper;
	atomic_t helper_chunks;
};

static int st_inversion_fn(unsigned long s, unsigned long e, void *arg)
{
	struct st_inversion *v = arg;
	unsigned long deadline = jiffies + 10 * HZ;

	if (v->take && (current != v->caller || !v->wait_helper)) {
		mutex_lock(v->take);
		mutex_unlock(v->take);
	}
	if (current != v->caller) {
		atomic_inc(&v->helper_chunks);
		return 0;
	}
	while (v->wait_helper && !atomic_read(&v->helper_chunks) &&
	       time_before(jiffies, deadline))
		usleep_range(100, 200);
	return 0;
}

/* What each kind of job is: size, min_chunk, max_threads. */
enum st_lk_kind { ST_LK_MULTI, ST_LK_ONE_CHUNK, ST_LK_ONE_THREAD };

static void st_lk_task(struct padata_mt_task *t, struct st_inversion *v,
		       struct mutex *take, enum st_lk_kind kind)
{
	memset(v, 0, sizeof(*v));
	v->caller = current;
	v->take = take;
	v->wait_helper = kind == ST_LK_MULTI;
	atomic_set(&v->helper_chunks, 0);
	*t = (struct padata_mt_task){
		.thread_fn = st_inversion_fn,
		.fn_arg = v,
		.size = kind == ST_LK_ONE_CHUNK ? 1 : 16,
		.min_chunk = kind == ST_LK_ONE_CHUNK ? 16 : 1,
		.max_threads = kind == ST_LK_ONE_THREAD ? 1 : 2,
	};
}

/* Sites A, A1, A2: thread_fn takes st_unrel_mutex. */
static int st_unrel_a(enum st_lk_kind kind, unsigned int *helper_chunks)
{
	struct padata_mt_task unrel_a, unrel_a1, unrel_a2;
	struct st_inversion v;
	int ret;

	switch (kind) {
	case ST_LK_MULTI:
		st_lk_task(&unrel_a, &v, &st_unrel_mutex, kind);
		ret = padata_mt_run(&unrel_a);
		break;
	case ST_LK_ONE_CHUNK:
		st_lk_task(&unrel_a1, &v, &st_unrel_mutex, kind);
		ret = padata_mt_run(&unrel_a1);
		break;
	default:
		st_lk_task(&unrel_a2, &v, &st_unrel_mutex, kind);
		ret = padata_mt_run(&unrel_a2);
		break;
	}
	*helper_chunks = atomic_read(&v.helper_chunks);
	return ret;
}

/* Sites B, B1, B2: the caller holds st_unrel_mutex; thread_fn takes nothing. */
static int st_unrel_b(enum st_lk_kind kind, unsigned int *helper_chunks)
{
	struct padata_mt_task unrel_b, unrel_b1, unrel_b2;
	struct st_inversion v;
	int ret;

	mutex_lock(&st_unrel_mutex);
	switch (kind) {
	case ST_LK_MULTI:
		st_lk_task(&unrel_b, &v, NULL, kind);
		ret = padata_mt_run(&unrel_b);
		break;
	case ST_LK_ONE_CHUNK:
		st_lk_task(&unrel_b1, &v, NULL, kind);
		ret = padata_mt_run(&unrel_b1);
		break;
	default:
		st_lk_task(&unrel_b2, &v, NULL, kind);
		ret = padata_mt_run(&unrel_b2);
		break;
	}
	mutex_unlock(&st_unrel_mutex);
	*helper_chunks = atomic_read(&v.helper_chunks);
	return ret;
}

static void test_lockdep(void)
{
	const char *name = "lockdep_unrelated_sites_not_reported";
	unsigned int ha = 0, hb = 0, h;
	int before, ret = 0;
	enum st_lk_kind k;

	if (!IS_ENABLED(CONFIG_PROVE_LOCKING)) {
		st_result(true, name, "kernel without CONFIG_PROVE_LOCKING");
		return;
	}
	if (!lockdep_splat) {
		st_result(true, name, "lockdep-splat.sh runs it, in a boot of its own, before the expected report");
		return;
	}
	if (num_online_cpus() < 2) {
		st_result(true, name, "needs 2 online CPUs");
		return;
	}
	before = READ_ONCE(debug_locks);
	for (k = ST_LK_MULTI; k <= ST_LK_ONE_THREAD; k++) {
		ret |= st_unrel_a(k, &h);
		if (k == ST_LK_MULTI)
			ha = h;
		ret |= st_unrel_b(k, &h);
		if (k == ST_LK_MULTI)
			hb = h;
	}
	st_diag("lockdep, unrelated sites: debug_locks %d before, %d after; ret %d; helper chunks: site A %u, site B %u",
		before, READ_ONCE(debug_locks), ret, ha, hb);
	st_result(before == 1 && !ret && ha && hb && READ_ONCE(debug_locks) == 1,
		  name, NULL);
}

/* One call site for both jobs of the real inversion. */
static int st_inversion_job(bool caller_holds, enum st_lk_kind kind,
			    unsigned int *helper_chunks)
{
	struct padata_mt_task inversion;
	struct st_inversion v;
	int ret;

	st_lk_task(&inversion, &v, caller_holds ? NULL : &st_inversion_mutex,
		   kind);
	if (caller_holds)
		mutex_lock(&st_inversion_mutex);
	ret = padata_mt_run(&inversion);
	if (caller_holds)
		mutex_unlock(&st_inversion_mutex);
	*helper_chunks = atomic_read(&v.helper_chunks);
	return ret;
}

static char st_inversion_res[200];

static ssize_t st_inversion_write(struct file *f, const char __user *ubuf,
				  size_t len, loff_t *ppos)
{
	unsigned int h1 = 0, h2 = 0;
	int before = READ_ONCE(debug_locks), r1, r2;

	/* helper takes the mutex (site -> M); then caller holds it (M -> site) */
	r1 = st_inversion_job(false, ST_LK_MULTI, &h1);
	r2 = st_inversion_job(true, ST_LK_ONE_CHUNK, &h2);
	snprintf(st_inversion_res, sizeof(st_inversion_res),
		 "debug_locks_before=%d debug_locks_after=%d ret1=%d helper_chunks1=%u ret2=%d\n",
		 before, READ_ONCE(debug_locks), r1, h1, r2);
	return len;
}

static ssize_t st_inversion_read(struct file *f, char __user *ubuf,
				 size_t len, loff_t *ppos)
{
	return simple_read_from_buffer(ubuf, len, ppos, st_inversion_res,
				       strlen(st_inversion_res));
}

static const struct file_operations st_inversion_fops = {
	.owner = THIS_MODULE,
	.read = st_inversion_read,
	.write = st_inversion_write,
	.llseek = default_llseek,
};

static DECLARE_COMPLETION(st_done);

/*
 * The test groups, in the order they run.  Each group reports one or more
 * results; lockdep_splat=1 and topology=1 each run one battery of their
 * own instead of the default one.
 */
#define ST_DEFAULT	BIT(0)
#define ST_LOCKDEP	BIT(1)
#define ST_TOPOLOGY	BIT(2)

static const struct st_group {
	const char *name;
	void (*fn)(void);
	unsigned int batteries;
} st_groups[] = {
	{ "edges", test_edges, ST_DEFAULT },
	{ "inline", test_inline, ST_DEFAULT },
	{ "exactly_once", test_exactly_once, ST_DEFAULT },
	{ "error_undo", test_error_undo, ST_DEFAULT },
	{ "cancel", test_cancel, ST_DEFAULT },
	{ "multi_cpu", test_multi_cpu, ST_DEFAULT },
	{ "numa", test_numa, ST_DEFAULT },
	{ "nested", test_nested, ST_DEFAULT },
	{ "nested_from_helper", test_nested_from_helper, ST_DEFAULT },
	{ "thread_count", test_thread_count, ST_DEFAULT },
	{ "nice", test_nice, ST_DEFAULT },
	{ "concurrent_callers", test_concurrent_callers, ST_DEFAULT },
	{ "affinity", test_affinity, ST_DEFAULT },
	{ "positive_ret", test_positive_ret, ST_DEFAULT },
	{ "hostile", test_hostile, ST_DEFAULT },
	{ "lockdep", test_lockdep, ST_DEFAULT | ST_LOCKDEP },
	{ "topology", test_topology, ST_TOPOLOGY },
};

#define ST_PATTERN_MAX	32

static unsigned int st_battery(void)
{
	if (lockdep_splat)
		return ST_LOCKDEP;
	return topology ? ST_TOPOLOGY : ST_DEFAULT;
}

/*
 * Does @name match the @n characters at @pat?  Patterns longer than
 * ST_PATTERN_MAX - 1 were refused at load (st_check_filter()).
 */
static bool st_match(const char *pat, size_t n, const char *name)
{
	char buf[ST_PATTERN_MAX];

	if (!n || n >= sizeof(buf))
		return false;
	memcpy(buf, pat, n);
	buf[n] = '\0';
	return glob_match(buf, name);
}

/* Is group @name in filter=?  Without a filter every group is. */
static bool st_selected(const char *name)
{
	const char *p = filter;
	size_t n;

	if (!p || !*p)
		return true;
	for (; *p; p += n + !!p[n]) {
		n = strcspn(p, ",");
		if (st_match(p, n, name))
			return true;
	}
	return false;
}

/* Every pattern of filter= must match a group of the battery: -EINVAL. */
static int st_check_filter(void)
{
	const char *p = filter;
	unsigned int i;
	bool hit;
	size_t n;

	if (!p || !*p)
		return 0;
	for (; *p; p += n + !!p[n]) {
		n = strcspn(p, ",");
		hit = false;
		for (i = 0; i < ARRAY_SIZE(st_groups); i++)
			if ((st_groups[i].batteries & st_battery()) &&
			    st_match(p, n, st_groups[i].name))
				hit = true;
		if (!hit) {
			pr_err("filter: pattern '%.*s' matches no test group of this battery (patterns 1..%d characters, comma-separated); the groups:\n",
			       (int)min_t(size_t, n, 64), p, ST_PATTERN_MAX - 1);
			for (i = 0; i < ARRAY_SIZE(st_groups); i++)
				if (st_groups[i].batteries & st_battery())
					pr_err("filter:   %s\n",
					       st_groups[i].name);
			return -EINVAL;
		}
	}
	return 0;
}

static int st_main(void *unused)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(st_groups); i++)
		if ((st_groups[i].batteries & st_battery()) &&
		    st_selected(st_groups[i].name))
			st_groups[i].fn();
	kthread_complete_and_exit(&st_done, 0);
}

static char st_killable_res[160];

/*
 * 400 units of >= 5 ms of sleep, 2 threads: >= 1 s, in the writer.  The
 * suite kills the writer, or takes a CPU offline meanwhile.
 */
static ssize_t st_killable_write(struct file *f, const char __user *ubuf,
				 size_t len, loff_t *ppos)
{
	struct st_job *j = st_job_new();
	int ret;

	if (!j)
		return -ENOMEM;
	st_job_reset(j);
	j->task.undo_fn = st_undo_fn;
	j->task.size = 400;
	j->task.min_chunk = 1;
	j->task.max_threads = 2;
	j->sleep_unit_ms = 5;
	ret = padata_mt_run(&j->task);
	snprintf(st_killable_res, sizeof(st_killable_res),
		 "ret=%d units=%lu completed=%u undos=%u errors=%u left=%u\n",
		 ret, j->units, j->completed, j->undos, j->errors,
		 bitmap_weight(j->done, ST_MAX_UNITS));
	st_job_free(j);
	return ret ? ret : len;
}

static ssize_t st_killable_read(struct file *f, char __user *ubuf, size_t len,
				loff_t *ppos)
{
	return simple_read_from_buffer(ubuf, len, ppos, st_killable_res,
				       strlen(st_killable_res));
}

static const struct file_operations st_killable_fops = {
	.owner = THIS_MODULE,
	.read = st_killable_read,
	.write = st_killable_write,
	.llseek = default_llseek,
};

/*
 * Fault injection (tests/guest/40-faultinject.sh): debugfs "fault_job" runs
 * a job whose thread_fn allocates, per unit, an object from a cache of its
 * own and a page; undo_fn frees them, and a failing chunk frees what it got
 * itself.  Under failslab (the cache singled out with
 * slub_debug=A,padata_mt_st_fault) or fail_page_alloc, in any thread of the
 * job: the job must return 0 with every unit allocated, or -ENOMEM with
 * nothing left.  The check frees whatever is left, so kmemleak sees the
 * job's own leaks only if undo or the check itself lost a pointer.
 */
#define ST_FAULT_UNITS	256

struct st_fault {
	void *objs[ST_FAULT_UNITS];
	struct page *pages[ST_FAULT_UNITS];
	atomic_t errors;
};

static struct kmem_cache *st_fault_cache;
static char st_fault_res[160] = "none\n";

static void st_fault_release(struct st_fault *f, unsigned long s,
			     unsigned long e)
{
	unsigned long u;

	for (u = s; u < e; u++) {
		if (f->objs[u])
			kmem_cache_free(st_fault_cache, f->objs[u]);
		if (f->pages[u])
			__free_page(f->pages[u]);
		f->objs[u] = NULL;
		f->pages[u] = NULL;
	}
}

static int st_fault_fn(unsigned long s, unsigned long e, void *arg)
{
	struct st_fault *f = arg;
	unsigned long u;

	for (u = s; u < e; u++) {
		if (f->objs[u] || f->pages[u])
			atomic_inc(&f->errors);
		f->objs[u] = kmem_cache_alloc(st_fault_cache, GFP_KERNEL);
		f->pages[u] = alloc_page(GFP_KERNEL);
		if (!f->objs[u] || !f->pages[u]) {
			st_fault_release(f, s, u + 1);
			return -ENOMEM;
		}
	}
	return 0;
}

static void st_fault_undo(unsigned long s, unsigned long e, void *arg)
{
	st_fault_release(arg, s, e);
}

static ssize_t st_fault_write(struct file *file, const char __user *ubuf,
			      size_t len, loff_t *ppos)
{
	struct padata_mt_task t = {
		.thread_fn = st_fault_fn,
		.undo_fn = st_fault_undo,
		.size = ST_FAULT_UNITS,
		.min_chunk = 4,
	};
	unsigned int left = 0, u;
	struct st_fault *f;
	bool clean;
	int ret;

	snprintf(st_fault_res, sizeof(st_fault_res), "setup=-12\n");
	f = kvzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	t.fn_arg = f;
	ret = padata_mt_run(&t);
	for (u = 0; u < ST_FAULT_UNITS; u++)
		left += f->objs[u] || f->pages[u];
	clean = !atomic_read(&f->errors) &&
		(ret ? (ret == -ENOMEM || ret == -EINTR) && !left :
		 left == ST_FAULT_UNITS);
	snprintf(st_fault_res, sizeof(st_fault_res),
		 "ret=%d units=%u left=%u errors=%d clean=%d\n", ret,
		 ST_FAULT_UNITS, left, atomic_read(&f->errors), clean);
	st_fault_release(f, 0, ST_FAULT_UNITS);
	kvfree(f);
	return ret ? ret : len;
}

static ssize_t st_fault_read(struct file *file, char __user *ubuf, size_t len,
			     loff_t *ppos)
{
	return simple_read_from_buffer(ubuf, len, ppos, st_fault_res,
				       strlen(st_fault_res));
}

static const struct file_operations st_fault_fops = {
	.owner = THIS_MODULE,
	.read = st_fault_read,
	.write = st_fault_write,
	.llseek = default_llseek,
};


/* -------------------------------------------- jobs the guest suites drive */

/*
 * oneshot_killed: the writer waits (up to 30 s) for a fatal signal, then
 * runs a one-chunk job: padata_mt_run() must return -EINTR without calling
 * thread_fn.  Reads "waiting" while it waits, then "ret=R calls=N".
 */
static atomic_t st_oneshot_state = ATOMIC_INIT(0);
static char st_oneshot_res[64] = "none\n";

static ssize_t st_oneshot_write(struct file *f, const char __user *ubuf,
				size_t len, loff_t *ppos)
{
	unsigned long deadline = jiffies + 30 * HZ;
	atomic_long_t calls = ATOMIC_LONG_INIT(0);
	struct padata_mt_task t = {
		.thread_fn = st_count_fn,
		.fn_arg = &calls,
		.size = 1,
		.min_chunk = 1,
	};
	int ret;

	if (atomic_cmpxchg(&st_oneshot_state, 0, 1))
		return -EBUSY;
	while (!fatal_signal_pending(current) && time_before(jiffies, deadline))
		schedule_timeout_idle(msecs_to_jiffies(10));
	ret = padata_mt_run(&t);
	snprintf(st_oneshot_res, sizeof(st_oneshot_res), "ret=%d calls=%ld\n",
		 ret, atomic_long_read(&calls));
	atomic_set(&st_oneshot_state, 0);
	return ret ? ret : len;
}

static ssize_t st_oneshot_read(struct file *f, char __user *ubuf, size_t len,
			       loff_t *ppos)
{
	const char *r = atomic_read(&st_oneshot_state) ? "waiting\n" :
			st_oneshot_res;

	return simple_read_from_buffer(ubuf, len, ppos, r, strlen(r));
}

static const struct file_operations st_oneshot_fops = {
	.owner = THIS_MODULE,
	.read = st_oneshot_read,
	.write = st_oneshot_write,
	.llseek = default_llseek,
};

/*
 * long_helper_job: a two-thread job whose helper's chunk sleeps (idle) for
 * 10 s.  The suite kills the writer meanwhile: padata_mt_run() returns
 * -EINTR once the helper is done, and the wait for it must not look like a
 * hung task.  Reads "helper_sleeping" while the helper sleeps, then
 * "ret=R".
 */
static atomic_t st_long_state = ATOMIC_INIT(0);
static char st_long_res[32] = "none\n";

struct st_long {
	struct task_struct *caller;
};

static int st_long_fn(unsigned long s, unsigned long e, void *arg)
{
	struct st_long *l = arg;
	unsigned long deadline = jiffies + 10 * HZ;

	if (current == l->caller) {
		while (atomic_read(&st_long_state) != 2 &&
		       time_before(jiffies, deadline))
			usleep_range(100, 200);
		return 0;
	}
	atomic_set(&st_long_state, 2);
	while (time_before(jiffies, deadline))
		schedule_timeout_idle(deadline - jiffies);
	atomic_set(&st_long_state, 1);
	return 0;
}

static ssize_t st_long_write(struct file *f, const char __user *ubuf,
			     size_t len, loff_t *ppos)
{
	struct st_long l = { .caller = current };
	struct padata_mt_task t = {
		.thread_fn = st_long_fn,
		.fn_arg = &l,
		.size = 2,
		.min_chunk = 1,
		.max_threads = 2,
	};
	int ret;

	if (num_online_cpus() < 2)
		return -EOPNOTSUPP;
	if (atomic_cmpxchg(&st_long_state, 0, 1))
		return -EBUSY;
	ret = padata_mt_run(&t);
	snprintf(st_long_res, sizeof(st_long_res), "ret=%d\n", ret);
	atomic_set(&st_long_state, 0);
	return ret ? ret : len;
}

static ssize_t st_long_read(struct file *f, char __user *ubuf, size_t len,
			    loff_t *ppos)
{
	const char *r = atomic_read(&st_long_state) == 2 ? "helper_sleeping\n" :
			st_long_res;

	return simple_read_from_buffer(ubuf, len, ppos, r, strlen(r));
}

static const struct file_operations st_long_fops = {
	.owner = THIS_MODULE,
	.read = st_long_read,
	.write = st_long_write,
	.llseek = default_llseek,
};

/*
 * cpu_job: 600 units of 2 ms of busy CPU each, on every CPU the writer may
 * use; reads "ret=R caller_units=C helper_units=H helper_us=T": T is the
 * CPU time the helpers' tasks spent in their chunks, as the scheduler
 * counts it (sum_exec_runtime); the suite compares it with the writer's
 * cgroup's cpu.stat.
 */
#define ST_CPU_UNITS	600
#define ST_CPU_UNIT_US	2000

struct st_cpu {
	struct task_struct *caller;
	atomic_long_t caller_units, helper_units, helper_ns;
	atomic_t helper_started;
};

static int st_cpu_fn(unsigned long s, unsigned long e, void *arg)
{
	struct st_cpu *c = arg;
	u64 t0 = current->se.sum_exec_runtime;
	unsigned long u, deadline = jiffies + 10 * HZ;

	/* The caller does not start until a helper has: they share the units. */
	if (current != c->caller)
		atomic_set(&c->helper_started, 1);
	while (current == c->caller && !atomic_read(&c->helper_started) &&
	       time_before(jiffies, deadline))
		usleep_range(100, 200);
	for (u = s; u < e; u++) {
		udelay(ST_CPU_UNIT_US);
		cond_resched();
	}
	if (current == c->caller) {
		atomic_long_add(e - s, &c->caller_units);
		return 0;
	}
	atomic_long_add(e - s, &c->helper_units);
	atomic_long_add(current->se.sum_exec_runtime - t0, &c->helper_ns);
	return 0;
}

static char st_cpu_res[96] = "none\n";
static DEFINE_MUTEX(st_cpu_lock);

static ssize_t st_cpu_write(struct file *f, const char __user *ubuf,
			    size_t len, loff_t *ppos)
{
	struct st_cpu c = { .caller = current };
	struct padata_mt_task t = {
		.thread_fn = st_cpu_fn,
		.fn_arg = &c,
		.size = ST_CPU_UNITS,
		.min_chunk = 1,
	};
	int ret;

	if (!mutex_trylock(&st_cpu_lock))
		return -EBUSY;
	atomic_long_set(&c.caller_units, 0);
	atomic_long_set(&c.helper_units, 0);
	atomic_long_set(&c.helper_ns, 0);
	atomic_set(&c.helper_started, 0);
	ret = padata_mt_run(&t);
	snprintf(st_cpu_res, sizeof(st_cpu_res),
		 "ret=%d caller_units=%ld helper_units=%ld helper_us=%ld\n", ret,
		 atomic_long_read(&c.caller_units),
		 atomic_long_read(&c.helper_units),
		 atomic_long_read(&c.helper_ns) / 1000);
	mutex_unlock(&st_cpu_lock);
	return ret ? ret : len;
}

static ssize_t st_cpu_read(struct file *f, char __user *ubuf, size_t len,
			   loff_t *ppos)
{
	return simple_read_from_buffer(ubuf, len, ppos, st_cpu_res,
				       strlen(st_cpu_res));
}

static const struct file_operations st_cpu_fops = {
	.owner = THIS_MODULE,
	.read = st_cpu_read,
	.write = st_cpu_write,
	.llseek = default_llseek,
};

static char st_race_res[160] = "none\n";
static DEFINE_MUTEX(st_race_lock);

/*
 * hotplug_race_job: ranges on the caller's node, on two other nodes with
 * CPUs and one with NUMA_NO_NODE, on every CPU.  The suite arms padata_mt's
 * hold_setup first and takes a CPU offline while the job is held between
 * counting CPUs and placing helpers: every unit must still run exactly
 * once.  Reads "ret=R covered=C of=N errors=E threads=T".
 */
static ssize_t st_race_write(struct file *f, const char __user *ubuf,
			     size_t len, loff_t *ppos)
{
	struct padata_mt_range r[4];
	struct st_job *j;
	struct st_topo t;
	int ret;

	if (!st_topo_find(&t))
		return -EOPNOTSUPP;
	j = st_job_new();
	if (!j)
		return -ENOMEM;
	mutex_lock(&st_race_lock);
	st_move_to_node(t.big);
	st_job_reset(j);
	r[0] = (struct padata_mt_range){ .start = 0, .size = 100, .nid = t.big };
	r[1] = (struct padata_mt_range){ .start = 100, .size = 100, .nid = t.other[0] };
	r[2] = (struct padata_mt_range){ .start = 200, .size = 100, .nid = NUMA_NO_NODE };
	r[3] = (struct padata_mt_range){ .start = 300, .size = 100, .nid = t.other[1] };
	j->task.ranges = r;
	j->task.nr_ranges = 4;
	j->task.min_chunk = 5;
	j->spin_us = 200;
	ret = padata_mt_run(&j->task);
	snprintf(st_race_res, sizeof(st_race_res),
		 "ret=%d covered=%u of=400 errors=%u threads=%u\n", ret,
		 bitmap_weight(j->done, ST_MAX_UNITS), j->errors, j->nr_tasks);
	mutex_unlock(&st_race_lock);
	st_job_free(j);
	return len;
}

static ssize_t st_race_read(struct file *f, char __user *ubuf, size_t len,
			    loff_t *ppos)
{
	return simple_read_from_buffer(ubuf, len, ppos, st_race_res,
				       strlen(st_race_res));
}

static const struct file_operations st_race_fops = {
	.owner = THIS_MODULE,
	.read = st_race_read,
	.write = st_race_write,
	.llseek = default_llseek,
};

/*
 * churn: "run" runs random jobs (plain or ranges over every node, NUMA_NO_NODE
 * and memory-only ones too; random max_threads, numa_aware) back to back,
 * each checked for exactly-once coverage, until "stop" (from another
 * writer) or 120 s; the suite takes CPUs off- and online meanwhile.  Reads
 * "jobs=J bad=B".
 */
static atomic_t st_churn_stop = ATOMIC_INIT(0);
static char st_churn_res[64] = "none\n";
static DEFINE_MUTEX(st_churn_lock);

static int st_random_node(void)
{
	unsigned int n = st_rand(nr_node_ids + 1);

	return n == nr_node_ids || !node_online(n) ? NUMA_NO_NODE : n;
}

static bool st_churn_one(struct st_job *j)
{
	struct padata_mt_range r[4];
	unsigned long size = 0, total;
	unsigned int i, n;
	int ret;

	st_job_reset(j);
	if (st_rand(2)) {
		n = 1 + st_rand(4);
		for (i = 0; i < n; i++) {
			r[i].start = size;
			r[i].size = 1 + st_rand(500);
			r[i].nid = st_random_node();
			size += r[i].size;
		}
		j->task.ranges = r;
		j->task.nr_ranges = n;
	} else {
		size = 1 + st_rand(2000);
		j->task.size = size;
	}
	total = size;
	j->task.min_chunk = st_rand(8);
	j->task.max_threads = (int)st_rand(6) - 1;
	j->task.numa_aware = st_rand(2);
	j->spin_us = 20;
	ret = padata_mt_run(&j->task);
	return !ret && !j->errors &&
	       bitmap_weight(j->done, ST_MAX_UNITS) == total;
}

static ssize_t st_churn_write(struct file *f, const char __user *ubuf,
			      size_t len, loff_t *ppos)
{
	unsigned long deadline = jiffies + 120 * HZ;
	unsigned int jobs = 0, bad = 0;
	struct st_job *j;
	char cmd[8];

	if (len >= sizeof(cmd) || copy_from_user(cmd, ubuf, len))
		return -EINVAL;
	cmd[len] = '\0';
	if (!strcmp(strim(cmd), "stop")) {
		atomic_set(&st_churn_stop, 1);
		return len;
	}
	if (strcmp(strim(cmd), "run")) {
		pr_warn_ratelimited("churn: write \"run\" or \"stop\"\n");
		return -EINVAL;
	}
	if (!mutex_trylock(&st_churn_lock))
		return -EBUSY;
	j = st_job_new();
	if (!j) {
		mutex_unlock(&st_churn_lock);
		return -ENOMEM;
	}
	atomic_set(&st_churn_stop, 0);
	snprintf(st_churn_res, sizeof(st_churn_res), "running\n");
	while (!atomic_read(&st_churn_stop) && time_before(jiffies, deadline) &&
	       !fatal_signal_pending(current)) {
		jobs++;
		if (!st_churn_one(j))
			bad++;
	}
	snprintf(st_churn_res, sizeof(st_churn_res), "jobs=%u bad=%u\n", jobs,
		 bad);
	st_job_free(j);
	mutex_unlock(&st_churn_lock);
	return len;
}

static ssize_t st_churn_read(struct file *f, char __user *ubuf, size_t len,
			     loff_t *ppos)
{
	return simple_read_from_buffer(ubuf, len, ppos, st_churn_res,
				       strlen(st_churn_res));
}

static const struct file_operations st_churn_fops = {
	.owner = THIS_MODULE,
	.read = st_churn_read,
	.write = st_churn_write,
	.llseek = default_llseek,
};

/*
 * rmmod_race: a two-thread job from a caller allowed everywhere, then one
 * from a caller restricted to two online CPUs the first job ran no chunk
 * on (at least three must be online), each waiting until its helper has
 * run a chunk.  With padata_mt's helper_exit_delay_ms set, the first
 * job's helper is still in padata_mt's code when both jobs have returned;
 * the suite unloads the modules at once.  The second job must not get that helper (queued, it
 * would run on the first job's CPU once its delay ends): its chunks stay
 * on the two CPUs and it does not wait out the delay.  Reads "ret1=R
 * threads1=T ret2=R threads2=T cpus2_allowed=B ms2=M".
 */
static char st_rmmod_res[128] = "none\n";
static DEFINE_MUTEX(st_rmmod_lock);

static ssize_t st_rmmod_write(struct file *f, const char __user *ubuf,
			      size_t len, loff_t *ppos)
{
	struct st_job *j;
	cpumask_var_t two;
	unsigned int t1, t2;
	int r1, r2, cpu, n = 0;
	bool in2;
	u64 t0, ms2;

	if (num_online_cpus() < 3)
		return -EOPNOTSUPP;
	j = st_job_new();
	if (!j)
		return -ENOMEM;
	if (!zalloc_cpumask_var(&two, GFP_KERNEL)) {
		st_job_free(j);
		return -ENOMEM;
	}
	mutex_lock(&st_rmmod_lock);
	st_job_reset(j);
	j->task.size = 4;
	j->task.min_chunk = 1;
	j->task.max_threads = 2;
	j->rendezvous = ST_SLEEP;
	r1 = padata_mt_run(&j->task);
	t1 = j->nr_tasks;
	/*
	 * Two CPUs the first job ran no chunk on (four are online on the
	 * topology lane), so its finishing helper, handed to the second job,
	 * would run outside them.
	 */
	for_each_online_cpu(cpu) {
		if (n < 2 && !cpumask_test_cpu(cpu, &j->cpus)) {
			cpumask_set_cpu(cpu, two);
			n++;
		}
	}
	/* Fewer than two left (the first job moved between CPUs): any two. */
	for_each_online_cpu(cpu) {
		if (n < 2 && !cpumask_test_cpu(cpu, two)) {
			cpumask_set_cpu(cpu, two);
			n++;
		}
	}
	set_cpus_allowed_ptr(current, two);
	st_job_reset(j);
	j->task.size = 4;
	j->task.min_chunk = 1;
	j->task.max_threads = 2;
	j->rendezvous = ST_SLEEP;
	t0 = ktime_get_ns();
	r2 = padata_mt_run(&j->task);
	ms2 = div_u64(ktime_get_ns() - t0, NSEC_PER_MSEC);
	t2 = j->nr_tasks;
	in2 = cpumask_subset(&j->cpus, two);
	set_cpus_allowed_ptr(current, cpu_possible_mask);
	snprintf(st_rmmod_res, sizeof(st_rmmod_res),
		 "ret1=%d threads1=%u ret2=%d threads2=%u cpus2_allowed=%d ms2=%llu\n",
		 r1, t1, r2, t2, in2, ms2);
	mutex_unlock(&st_rmmod_lock);
	free_cpumask_var(two);
	st_job_free(j);
	return len;
}

static ssize_t st_rmmod_read(struct file *f, char __user *ubuf, size_t len,
			     loff_t *ppos)
{
	return simple_read_from_buffer(ubuf, len, ppos, st_rmmod_res,
				       strlen(st_rmmod_res));
}

static const struct file_operations st_rmmod_fops = {
	.owner = THIS_MODULE,
	.read = st_rmmod_read,
	.write = st_rmmod_write,
	.llseek = default_llseek,
};

/*
 * burst: 400 jobs of every kind (one chunk, one thread, several threads,
 * numa_aware, ranges), whose thread_fn allocates nothing, after one
 * allocation of the writer's own (st_burst_write's kzalloc: the suite's
 * proof that its allocation tracing saw something).  The suite traces
 * every allocation meanwhile: none may come from padata_mt.  Reads
 * "jobs=J bad=B".
 */
static char st_burst_res[48] = "none\n";
static DEFINE_MUTEX(st_burst_lock);

static ssize_t st_burst_write(struct file *f, const char __user *ubuf,
			      size_t len, loff_t *ppos)
{
	struct padata_mt_range *r = kzalloc(4 * sizeof(*r), GFP_KERNEL);
	struct padata_mt_task t;
	unsigned int i, bad = 0;
	atomic_long_t calls;
	unsigned long want;
	int ret;

	if (!r)
		return -ENOMEM;
	mutex_lock(&st_burst_lock);
	for (i = 0; i < 400; i++) {
		atomic_long_set(&calls, 0);
		t = (struct padata_mt_task){
			.thread_fn = st_count_fn,
			.fn_arg = &calls,
			.min_chunk = 1,
			.max_threads = i % 5 == 1 ? 1 : 0,
			.numa_aware = i % 5 == 2,
		};
		switch (i % 5) {
		case 0:		/* one chunk */
			t.size = 8;
			t.min_chunk = 8;
			break;
		case 3:		/* ranges over the first nodes, and none */
			r[0] = (struct padata_mt_range){ .start = 0, .size = 50, .nid = 0 };
			r[1] = (struct padata_mt_range){ .start = 50, .size = 50, .nid = NUMA_NO_NODE };
			r[2] = (struct padata_mt_range){ .start = 100, .size = 50,
				.nid = nr_node_ids > 1 ? 1 : 0 };
			t.ranges = r;
			t.nr_ranges = 3;
			break;
		default:
			t.size = 150;
			break;
		}
		want = t.ranges ? 150 : t.size;
		ret = padata_mt_run(&t);
		if (ret || atomic_long_read(&calls) != want)
			bad++;
	}
	snprintf(st_burst_res, sizeof(st_burst_res), "jobs=%u bad=%u\n", i, bad);
	mutex_unlock(&st_burst_lock);
	kfree(r);
	return len;
}

static ssize_t st_burst_read(struct file *f, char __user *ubuf, size_t len,
			     loff_t *ppos)
{
	return simple_read_from_buffer(ubuf, len, ppos, st_burst_res,
				       strlen(st_burst_res));
}

static const struct file_operations st_burst_fops = {
	.owner = THIS_MODULE,
	.read = st_burst_read,
	.write = st_burst_write,
	.llseek = default_llseek,
};

static void st_jobs_debugfs(struct dentry *dir)
{
	debugfs_create_file("burst", 0600, dir, NULL, &st_burst_fops);
	debugfs_create_file("oneshot_killed", 0600, dir, NULL, &st_oneshot_fops);
	debugfs_create_file("long_helper_job", 0600, dir, NULL, &st_long_fops);
	debugfs_create_file("cpu_job", 0600, dir, NULL, &st_cpu_fops);
	debugfs_create_file("hotplug_race_job", 0600, dir, NULL, &st_race_fops);
	debugfs_create_file("churn", 0600, dir, NULL, &st_churn_fops);
	debugfs_create_file("rmmod_race", 0600, dir, NULL, &st_rmmod_fops);
}

static int __init st_init(void)
{
	struct task_struct *t;
	struct dentry *dir;
	int ret;

	ret = st_check_filter();
	if (ret)
		return ret;
	ret = ktap_out_init(&st_out, PAGE_SIZE * 4);
	if (ret)
		return ret;
	st_fault_cache = kmem_cache_create("padata_mt_st_fault", 64, 0, 0, NULL);
	if (!st_fault_cache) {
		ktap_out_free(&st_out);
		return -ENOMEM;
	}
	/* Run from a kthread: the context helpers run in, and signals work. */
	t = kthread_run(st_main, NULL, "pmt_selftest");
	if (IS_ERR(t)) {
		kmem_cache_destroy(st_fault_cache);
		ktap_out_free(&st_out);
		return PTR_ERR(t);
	}
	/*
	 * The battery takes minutes on a debug kernel under TCG: wait idle,
	 * so the hung-task detector (20-engine.sh sets it to 10 s to watch
	 * padata_mt_run() callers) does not take this wait for a hang.
	 */
	wait_for_completion_state(&st_done, TASK_IDLE);
	dir = ktap_out_debugfs(&st_out, "padata_mt_selftest");
	debugfs_create_file("killable_job", 0600, dir, NULL,
			    &st_killable_fops);
	debugfs_create_file("fault_job", 0600, dir, NULL, &st_fault_fops);
	if (lockdep_splat)
		debugfs_create_file("lockdep_inversion", 0600, dir, NULL,
				    &st_inversion_fops);
	st_jobs_debugfs(dir);
	pr_info("%u tests run\n", st_out.nr);
	return 0;
}

static void __exit st_exit(void)
{
	ktap_out_remove(&st_out);
	kmem_cache_destroy(st_fault_cache);
	ktap_out_free(&st_out);
}

module_init(st_init);
module_exit(st_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("padata_mt_run() self-test (test-only)");
