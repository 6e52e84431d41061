// SPDX-License-Identifier: GPL-2.0
/*
 * padata_mt_selftest: thread counts, helper priority, jobs started by
 * helpers, NUMA placement, a restricted caller, thread_fn misbehaving.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/nodemask.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/string.h>

#include "selftest.h"

/*
 * The thread count is exactly min(max_threads, CPUs the caller may use,
 * units of work, free helpers + 1): each chunk waits until that many tasks
 * have run one (ST_SLEEP: the helpers get CPU time however many there are),
 * then the distinct tasks are counted.  The pool is idle here, so free
 * helpers + 1 exceeds every other bound.
 */
void test_thread_count(void)
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

/* Chunks of a 2-thread job of ST_MAX_UNITS units at @prio, or 0. */
static unsigned int st_prio_chunks(enum padata_mt_prio prio)
{
	struct st_job *j = st_job_new();
	unsigned int chunks = 0;

	if (!j)
		return 0;
	st_job_reset(j);
	j->task.size = ST_MAX_UNITS;
	j->task.min_chunk = 1;
	j->task.max_threads = 2;
	j->task.helper_prio = prio;
	if (!padata_mt_run(&j->task) && !j->errors &&
	    bitmap_full(j->done, ST_MAX_UNITS))
		chunks = j->chunks;
	st_job_free(j);
	return chunks;
}

/*
 * A background job's chunks are finer (a 16 times smaller first chunk,
 * about 9 times as many chunks here), so that what a helper still holds
 * when the caller waits and it gets the caller's nice back is short.
 */
static void test_background_chunks(void)
{
	unsigned int def = st_prio_chunks(PADATA_MT_PRIO_CALLER);
	unsigned int bg = st_prio_chunks(PADATA_MT_PRIO_BACKGROUND);

	st_diag("%u units, 2 threads: %u chunks by default, %u in background",
		ST_MAX_UNITS, def, bg);
	st_result(def && bg >= 4 * def, "background_job_finer_chunks", NULL);
}

/*
 * Helpers run at the caller's nice; PADATA_MT_PRIO_BACKGROUND runs them at
 * MAX_NICE until the caller has no chunk left and waits, then at the
 * caller's nice; and a kworker leaves the job at the nice it came with.
 */
void test_nice(void)
{
	int was = task_nice(current), after_default, after_bg;
	struct st_nice n;
	bool ok;

	if (num_online_cpus() < 2) {
		st_result(true, "helpers_at_callers_nice", "one CPU online");
		st_result(true, "background_helpers_max_nice_then_callers",
			  "one CPU online");
		st_result(true, "kworker_nice_restored", "one CPU online");
		st_result(true, "background_job_finer_chunks", "one CPU online");
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
	test_background_chunks();
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
void test_nested_from_helper(void)
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

void test_numa(void)
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

void test_affinity(void)
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


static int st_positive_fn(unsigned long s, unsigned long e, void *arg)
{
	atomic_long_add(e - s, arg);
	return 1;
}

/* A thread_fn returning a positive value is a bug: -EIO, one-chunk or not. */
void test_positive_ret(void)
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
void test_hostile(void)
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
