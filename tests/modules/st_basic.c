// SPDX-License-Identifier: GPL-2.0
/*
 * padata_mt_selftest: coverage, edges, the one-chunk path, errors and
 * undo, cancellation, concurrent callers, nesting, several CPUs.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/kthread.h>
#include <linux/nodemask.h>
#include <linux/sched.h>

#include "selftest.h"

void test_exactly_once(void)
{
	struct st_job *j = st_job_new();
	unsigned int i, bad = 0, few_chunks = 0, too_many = 0;
	unsigned long cover;
	int ret;

	if (!j) {
		st_result(false, "exactly_once_random", NULL);
		return;
	}
	for (i = 0; i < st_combos; i++) {
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
		st_combos, bad, too_many, few_chunks);
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

void test_edges(void)
{
	struct st_job *j = st_job_new();
	struct padata_mt_range r[2] = { };
	int ret, nid = first_node(node_states[N_CPU]);
	unsigned int i;
	bool ok = true;

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

	/*
	 * The array is the engine's workspace (pos, owned): it never writes
	 * start, size or nid, and the same array runs again unchanged.
	 */
	ok = true;
	r[0] = (struct padata_mt_range){ .start = 0, .size = 40, .nid = NUMA_NO_NODE };
	r[1] = (struct padata_mt_range){ .start = 40, .size = 24, .nid = nid };
	for (i = 0; i < 2; i++) {
		st_job_reset(j);
		j->task.ranges = r;
		j->task.nr_ranges = 2;
		j->task.min_chunk = 1;
		ret = padata_mt_run(&j->task);
		if (ret || j->errors || bitmap_weight(j->done, ST_MAX_UNITS) != 64 ||
		    r[0].start != 0 || r[0].size != 40 || r[0].nid != NUMA_NO_NODE ||
		    r[1].start != 40 || r[1].size != 24 || r[1].nid != nid) {
			st_diag("ranges run %u: ret=%d errors=%u units=%u, now %lu+%lu@%d %lu+%lu@%d",
				i, ret, j->errors,
				bitmap_weight(j->done, ST_MAX_UNITS), r[0].start,
				r[0].size, r[0].nid, r[1].start, r[1].size,
				r[1].nid);
			ok = false;
		}
	}
	st_result(ok, "ranges_fields_kept_array_reusable", NULL);
	st_job_free(j);
}

void test_inline(void)
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

void test_error_undo(void)
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
void test_cancel(void)
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

void test_concurrent_callers(void)
{
	struct st_stress s = { .rounds = st_rounds };
	unsigned int i, started = 0;
	struct task_struct *t;

	atomic_set(&s.bad, 0);
	atomic_set(&s.left, st_callers + 1);
	init_completion(&s.done);
	for (i = 0; i < st_callers; i++) {
		t = kthread_run(st_stress_thread, &s, "pmt_st_%u", i);
		if (IS_ERR(t))
			atomic_inc(&s.bad);
		else
			started++;
	}
	atomic_sub(st_callers - started, &s.left);
	if (!atomic_dec_and_test(&s.left))
		wait_for_completion_state(&s.done, TASK_IDLE);
	st_diag("%u concurrent callers x %u jobs: %d bad", started, s.rounds,
		atomic_read(&s.bad));
	st_result(started == st_callers && !atomic_read(&s.bad),
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

void test_nested(void)
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

void test_multi_cpu(void)
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
