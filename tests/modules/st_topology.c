// SPDX-License-Identifier: GPL-2.0
/*
 * padata_mt_selftest: the placement battery (topology=1) for a guest with
 * a node of several CPUs, two more nodes with CPUs and a memory-only node.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/gfp.h>
#include <linux/kthread.h>
#include <linux/nodemask.h>
#include <linux/sched.h>
#include <linux/seq_buf.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/topology.h>

#include "selftest.h"

/* Is the guest of the shape the topology battery needs?  Fills in @t. */
bool st_topo_find(struct st_topo *t)
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

void test_topology(void)
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
