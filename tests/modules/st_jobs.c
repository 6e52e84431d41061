// SPDX-License-Identifier: GPL-2.0
/*
 * padata_mt_selftest: the jobs the guest suites start through debugfs
 * (killable_job, fault_job, oneshot_killed, long_helper_job, cpu_job,
 * burst) and read back.  The topology lane's are in st_hotplug.c.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/cpumask.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/gfp.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/nodemask.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "selftest.h"

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

int st_jobs_init(void)
{
	st_fault_cache = kmem_cache_create("padata_mt_st_fault", 64, 0, 0, NULL);
	return st_fault_cache ? 0 : -ENOMEM;
}

void st_jobs_exit(void)
{
	kmem_cache_destroy(st_fault_cache);
}

void st_jobs_debugfs(struct dentry *dir)
{
	debugfs_create_file("killable_job", 0600, dir, NULL,
			    &st_killable_fops);
	debugfs_create_file("fault_job", 0600, dir, NULL, &st_fault_fops);
	debugfs_create_file("burst", 0600, dir, NULL, &st_burst_fops);
	debugfs_create_file("oneshot_killed", 0600, dir, NULL, &st_oneshot_fops);
	debugfs_create_file("long_helper_job", 0600, dir, NULL, &st_long_fops);
	debugfs_create_file("cpu_job", 0600, dir, NULL, &st_cpu_fops);
}
