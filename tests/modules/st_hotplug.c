// SPDX-License-Identifier: GPL-2.0
/*
 * padata_mt_selftest: the topology lane's jobs (tests/guest/topology.sh),
 * started through debugfs and read back: the ones that race CPU hotplug
 * and module unload (hotplug_race_job, churn, rmmod_race).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/bitmap.h>
#include <linux/cpumask.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/nodemask.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "selftest.h"

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

void st_hotplug_debugfs(struct dentry *dir)
{
	debugfs_create_file("hotplug_race_job", 0600, dir, NULL, &st_race_fops);
	debugfs_create_file("churn", 0600, dir, NULL, &st_churn_fops);
	debugfs_create_file("rmmod_race", 0600, dir, NULL, &st_rmmod_fops);
}
