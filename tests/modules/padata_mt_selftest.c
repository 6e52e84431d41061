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
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/nodemask.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/seq_buf.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/vmalloc.h>

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

#define ST_MAX_UNITS	8192
#define ST_MAX_CPUS	64

static char *st_out;
static struct seq_buf st_buf;
static unsigned int st_nr;
static DEFINE_MUTEX(st_out_lock);

static void st_result(bool ok, const char *name, const char *skip)
{
	mutex_lock(&st_out_lock);
	st_nr++;
	if (skip)
		seq_buf_printf(&st_buf, "ok %u %s # SKIP %s\n", st_nr, name, skip);
	else
		seq_buf_printf(&st_buf, "%sok %u %s\n", ok ? "" : "not ", st_nr,
			       name);
	mutex_unlock(&st_out_lock);
	if (!ok)
		pr_err("not ok %s\n", name);
}

static __printf(1, 2) void st_diag(const char *fmt, ...)
{
	char line[200];
	va_list args;

	va_start(args, fmt);
	vsnprintf(line, sizeof(line), fmt, args);
	va_end(args);
	mutex_lock(&st_out_lock);
	seq_buf_printf(&st_buf, "# %s\n", line);
	mutex_unlock(&st_out_lock);
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
 * @bad_node: a helper ran a chunk of a range away from the range's node
 * @nodes: nodes helpers ran chunks on
 * @rendezvous: each chunk first waits (up to 10 s) until two tasks have
 *              run chunks, so a test does not depend on how fast the host
 *              schedules the helper's vCPU: ST_SPIN keeps the CPU busy (the
 *              helper must run elsewhere), ST_SLEEP lets it share the CPU
 * @spin_us: busy time per chunk
 * @sleep_unit_ms: sleep per unit
 * @units: units of the chunks that completed
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
	unsigned int spin_us;
	unsigned int sleep_unit_ms;
	unsigned long units;
};

static void st_note_task(struct st_job *j)
{
	unsigned int i;

	for (i = 0; i < j->nr_tasks; i++)
		if (j->tasks[i] == current)
			return;
	if (j->nr_tasks < ST_MAX_CPUS)
		j->tasks[j->nr_tasks++] = current;
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

static int st_thread_fn(unsigned long s, unsigned long e, void *arg)
{
	struct st_job *j = arg;
	unsigned long base = j->task.ranges ? 0 : j->task.start;
	unsigned long u;
	int ret = 0, call;

	if (j->rendezvous) {
		unsigned long deadline = jiffies + 10 * HZ;

		spin_lock(&j->lock);
		st_note_task(j);
		spin_unlock(&j->lock);
		while (READ_ONCE(j->nr_tasks) < 2 &&
		       time_before(jiffies, deadline)) {
			if (j->rendezvous == ST_SPIN)
				cpu_relax();
			else
				usleep_range(100, 200);
		}
	}
	if (j->spin_us)
		udelay(j->spin_us);
	for (u = s; j->sleep_unit_ms && u < e; u++)
		msleep(j->sleep_unit_ms);
	spin_lock(&j->lock);
	call = j->chunks++;
	if (j->stopped)
		j->after_stop++;
	cpumask_set_cpu(raw_smp_processor_id(), &j->cpus);
	st_note_task(j);
	if (current != j->caller && j->task.ranges) {
		const struct padata_mt_range *r;
		unsigned int i;

		node_set(numa_node_id(), j->nodes);
		for (i = 0; i < j->task.nr_ranges; i++) {
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
	st_job_free(j);
}

static void test_error_undo(void)
{
	struct st_job *j = st_job_new();
	unsigned int i, bad = 0, with_undo = 0;
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
		if (j->errors || j->undos != j->completed ||
		    !bitmap_empty(j->done, ST_MAX_UNITS)) {
			if (bad++ < 5)
				st_diag("undo: fail_at=%d chunks=%u completed=%u undos=%u errors=%u left=%u",
					j->fail_at, j->chunks, j->completed,
					j->undos, j->errors,
					bitmap_weight(j->done, ST_MAX_UNITS));
		}
	}
	st_diag("error/undo: 200 jobs, %u with undo_fn, %u bad", with_undo, bad);
	st_result(!bad, "error_returns_and_undoes", NULL);
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
	/* The cancel flag: -ECANCELED, same undo guarantee. */
	st_job_reset(j);
	j->task.undo_fn = st_undo_fn;
	j->task.cancel = &j->cancel;
	j->task.size = 4000;
	j->task.min_chunk = 10;
	j->spin_us = 50;
	j->cancel_at = 5;
	ret = padata_mt_run(&j->task);
	ok = ret == -ECANCELED && !j->errors && j->undos == j->completed &&
	     bitmap_empty(j->done, ST_MAX_UNITS) &&
	     j->after_stop <= 2 * num_online_cpus();
	st_diag("cancel flag: ret=%d chunks=%u after_stop=%u", ret, j->chunks,
		j->after_stop);
	st_result(ok, "cancel_flag_cancels", NULL);
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

static int st_count_fn(unsigned long s, unsigned long e, void *arg)
{
	atomic_long_add(e - s, arg);
	return 0;
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
 * A caller that holds a mutex M while padata_mt_run() waits for helpers
 * whose thread_fn takes M deadlocks, and silently: the engine's lockdep map
 * must make lockdep see it.  Provoking the report needs neither the
 * deadlock nor its timing: lockdep records each dependency where it happens.
 * Job 1, no lock held by the caller: a helper takes M inside thread_fn
 * (padata_mt_run -> M).  Job 2: the caller holds M around padata_mt_run(),
 * whose thread_fn leaves M alone (M -> padata_mt_run): lockdep reports the
 * circle there, and nothing can block.  A report switches lockdep off
 * (debug_locks = 0) for the rest of the boot, so this runs only with
 * lockdep_splat=1, in a boot of its own, bracketed by expect-splat markers.
 */
static DEFINE_MUTEX(st_inversion_mutex);

struct st_inversion {
	struct task_struct *caller;
	bool take_lock;
	atomic_t helper_chunks;
};

static int st_inversion_fn(unsigned long s, unsigned long e, void *arg)
{
	struct st_inversion *v = arg;
	unsigned long deadline = jiffies + 10 * HZ;

	if (current != v->caller) {
		if (v->take_lock) {
			mutex_lock(&st_inversion_mutex);
			mutex_unlock(&st_inversion_mutex);
		}
		atomic_inc(&v->helper_chunks);
		return 0;
	}
	/* The caller waits (bounded) until a helper has run a chunk. */
	while (!atomic_read(&v->helper_chunks) && time_before(jiffies, deadline))
		usleep_range(100, 200);
	return 0;
}

static int st_inversion_job(bool caller_holds, bool helper_takes,
			    unsigned int *helper_chunks)
{
	struct st_inversion v = { .caller = current, .take_lock = helper_takes };
	struct padata_mt_task t = {
		.thread_fn = st_inversion_fn,
		.fn_arg = &v,
		.size = 16,
		.min_chunk = 1,
		.max_threads = 2,
	};
	int ret;

	atomic_set(&v.helper_chunks, 0);
	if (caller_holds)
		mutex_lock(&st_inversion_mutex);
	ret = padata_mt_run(&t);
	if (caller_holds)
		mutex_unlock(&st_inversion_mutex);
	*helper_chunks = atomic_read(&v.helper_chunks);
	return ret;
}

static void test_lockdep(void)
{
	const char *name = "lockdep_reports_caller_lock_inversion";
	unsigned int h1 = 0, h2 = 0;
	int before, r1, r2;

	if (!IS_ENABLED(CONFIG_PROVE_LOCKING)) {
		st_result(true, name, "kernel without CONFIG_PROVE_LOCKING");
		return;
	}
	if (!lockdep_splat) {
		st_result(true, name, "provokes a lockdep report, which turns lockdep off: load with lockdep_splat=1 in a boot of its own (the debug lane does)");
		return;
	}
	if (num_online_cpus() < 2) {
		st_result(true, name, "needs 2 online CPUs");
		return;
	}
	before = READ_ONCE(debug_locks);
	r1 = st_inversion_job(false, true, &h1);
	r2 = st_inversion_job(true, false, &h2);
	st_diag("lockdep: debug_locks %d before, %d after; job 1 (helper takes the mutex) ret %d, %u helper chunks; job 2 (caller holds it) ret %d, %u helper chunks",
		before, READ_ONCE(debug_locks), r1, h1, r2, h2);
	st_result(before == 1 && !r1 && h1 && !r2 && h2 &&
		  READ_ONCE(debug_locks) == 0, name, NULL);
}

static DECLARE_COMPLETION(st_done);

static int st_main(void *unused)
{
	if (lockdep_splat) {
		test_lockdep();
		kthread_complete_and_exit(&st_done, 0);
	}
	test_edges();
	test_inline();
	test_exactly_once();
	test_error_undo();
	test_cancel();
	test_multi_cpu();
	test_numa();
	test_nested();
	test_concurrent_callers();
	test_affinity();
	test_hostile();
	test_lockdep();
	kthread_complete_and_exit(&st_done, 0);
}

static ssize_t st_results_read(struct file *f, char __user *ubuf, size_t len,
			       loff_t *ppos)
{
	return simple_read_from_buffer(ubuf, len, ppos, st_out,
				       seq_buf_used(&st_buf));
}

static const struct file_operations st_results_fops = {
	.owner = THIS_MODULE,
	.read = st_results_read,
	.llseek = default_llseek,
};

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

static struct dentry *st_dir;

static int __init st_init(void)
{
	struct task_struct *t;

	st_out = kvzalloc(PAGE_SIZE * 4, GFP_KERNEL);
	if (!st_out)
		return -ENOMEM;
	seq_buf_init(&st_buf, st_out, PAGE_SIZE * 4);
	st_fault_cache = kmem_cache_create("padata_mt_st_fault", 64, 0, 0, NULL);
	if (!st_fault_cache) {
		kvfree(st_out);
		return -ENOMEM;
	}
	/* Run from a kthread: the context helpers run in, and signals work. */
	t = kthread_run(st_main, NULL, "pmt_selftest");
	if (IS_ERR(t)) {
		kmem_cache_destroy(st_fault_cache);
		kvfree(st_out);
		return PTR_ERR(t);
	}
	/*
	 * The battery takes minutes on a debug kernel under TCG: wait idle,
	 * so the hung-task detector (20-engine.sh sets it to 10 s to watch
	 * padata_mt_run() callers) does not take this wait for a hang.
	 */
	wait_for_completion_state(&st_done, TASK_IDLE);
	st_dir = debugfs_create_dir("padata_mt_selftest", NULL);
	debugfs_create_file("results", 0400, st_dir, NULL, &st_results_fops);
	debugfs_create_file("killable_job", 0600, st_dir, NULL,
			    &st_killable_fops);
	debugfs_create_file("fault_job", 0600, st_dir, NULL, &st_fault_fops);
	pr_info("%u tests run\n", st_nr);
	return 0;
}

static void __exit st_exit(void)
{
	debugfs_remove_recursive(st_dir);
	kmem_cache_destroy(st_fault_cache);
	kvfree(st_out);
}

module_init(st_init);
module_exit(st_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("padata_mt_run() self-test (test-only)");
