/* SPDX-License-Identifier: GPL-2.0 */
/*
 * padata_mt_selftest, the test-only module: what its files share.
 *
 * padata_mt_selftest.c  module init/exit, the results, the table of test
 *                       groups and filter=
 * st_job.c              struct st_job: the job the tests run and the
 *                       thread_fn/undo_fn that record what the engine did
 * st_basic.c, st_threads.c, st_topology.c, st_lockdep.c
 *                       the test groups (st_groups[] runs them)
 * st_jobs.c             jobs the guest suites start through debugfs
 * st_hotplug.c          the topology lane's jobs: CPU hotplug, rmmod races
 *
 * Every test reports through st_result() and st_diag() (KTAP lines, see
 * ktap_out.h).
 */
#ifndef _PMT_SELFTEST_H
#define _PMT_SELFTEST_H

#include <linux/atomic.h>
#include <linux/cpumask.h>
#include <linux/nodemask.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#include "padata_mt.h"

struct dentry;

#define ST_MAX_UNITS	8192
#define ST_MAX_CPUS	64
#define ST_MAX_RANGES	8

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

/**
 * struct st_topo - the guest's shape, as the topology battery needs it
 * @big: a node with at least two online CPUs
 * @other: two more nodes with CPUs
 * @memonly: a node with memory and no CPU
 */
struct st_topo {
	int big, other[2], memonly;
};

/* Module parameters (padata_mt_selftest.c) */
extern unsigned int st_combos;
extern unsigned int st_callers;
extern unsigned int st_rounds;
extern bool st_lockdep_splat;

/* Results (padata_mt_selftest.c) */
void st_result(bool ok, const char *name, const char *skip);
__printf(1, 2) void st_diag(const char *fmt, ...);

/* The test job (st_job.c) */
int st_thread_fn(unsigned long s, unsigned long e, void *arg);
void st_undo_fn(unsigned long s, unsigned long e, void *arg);
struct st_job *st_job_new(void);
void st_job_reset(struct st_job *j);
void st_job_free(struct st_job *j);
unsigned long st_rand(unsigned long n);
unsigned int st_threads(const struct padata_mt_task *t);
unsigned long st_min_interior_chunk(const struct padata_mt_task *t);
unsigned int pmt_st_node_cpus(int nid);
void st_move_to_node(int nid);
int st_count_fn(unsigned long s, unsigned long e, void *arg);

/* The topology battery's guest (st_topology.c) */
bool st_topo_find(struct st_topo *t);

/* The test groups, each reporting one or more results (st_groups[]) */
void test_exactly_once(void);
void test_edges(void);
void test_inline(void);
void test_error_undo(void);
void test_cancel(void);
void test_concurrent_callers(void);
void test_nested(void);
void test_multi_cpu(void);
void test_thread_count(void);
void test_nice(void);
void test_nested_from_helper(void);
void test_numa(void);
void test_affinity(void);
void test_positive_ret(void);
void test_hostile(void);
void test_topology(void);
void test_lockdep(void);

/*
 * debugfs: the lockdep_inversion job (st_lockdep.c), the hotplug and rmmod
 * races (st_hotplug.c), the others (st_jobs.c)
 */
void st_lockdep_debugfs(struct dentry *dir);
int st_jobs_init(void);
void st_jobs_debugfs(struct dentry *dir);
void st_hotplug_debugfs(struct dentry *dir);
void st_jobs_exit(void);

#endif /* _PMT_SELFTEST_H */
