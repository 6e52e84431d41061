// SPDX-License-Identifier: GPL-2.0
/*
 * padata_mt statistics: per-CPU counters, summed on read, shown in
 * /sys/kernel/debug/padata_mt/stats as stable key=value lines.  Writing
 * "reset" to the file zeroes them.
 *
 * Also the test-only fault injection knob inject_fail_chunk: writing N
 * (0-based) makes the next job that runs fail its chunk number N (in claim
 * order) with -EIO instead of calling thread_fn, as if thread_fn had
 * failed; -1 disarms it.  The next job takes the knob whatever its size:
 * one with fewer chunks fails nothing.  Jobs look at the knob only while
 * the static key pmt_inject_armed is on: from the write that arms it
 * until the work item queued by the job that takes it runs, or the write
 * that disarms it.  The work item turns the key off after a take: switching a key sleeps and takes the
 * CPU hotplug lock, which a job (a caller holding its own locks, or a
 * helper) must not.
 *
 * Two more test-only knobs open races deterministically:
 * - hold_setup: write 1 to arm; the next multithreaded job then stops
 *   between counting the CPUs it may use and placing its helpers, and the
 *   file reads 2 while it is held there (at most 30 s); write 0 to release
 *   it (or disarm).  A test takes a CPU offline meanwhile.
 * - helper_exit_delay_ms: the next helper to finish sleeps that long
 *   (0..10000 ms) after its last touch of its job, still in padata_mt's
 *   code, then logs that it leaves: rmmod must wait for it.
 * - helper_clock_skew_ms: the next helper to start takes its start time
 *   that far (0..60000 ms) ahead, as a reading from a CPU whose clock runs
 *   ahead of the one it ends on would be: its busy time must count as 0,
 *   not wrap.  Reads 0 again once a helper has taken it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/jump_label.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/time64.h>
#include <linux/uaccess.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "compat.h"
#include "internal.h"

DEFINE_PER_CPU(struct pmt_stats, pmt_stats);

static atomic_t pmt_helpers_now = ATOMIC_INIT(0);
static atomic_t pmt_helpers_peak = ATOMIC_INIT(0);
static unsigned int pmt_pool_size;
static unsigned int (*pmt_pool_free_fn)(void);
static struct dentry *pmt_debugfs_dir;

void pmt_stats_helper_enter(void)
{
	int now = atomic_inc_return(&pmt_helpers_now);
	int peak = atomic_read(&pmt_helpers_peak);

	while (now > peak && !atomic_try_cmpxchg(&pmt_helpers_peak, &peak, now))
		;
}

void pmt_stats_helper_exit(u64 busy_ns)
{
	pmt_stat_add(busy_ns, busy_ns);
	atomic_dec(&pmt_helpers_now);
}

static void pmt_stats_sum(struct pmt_stats *sum)
{
	int cpu;

	memset(sum, 0, sizeof(*sum));
	for_each_possible_cpu(cpu) {
		const struct pmt_stats *s = per_cpu_ptr(&pmt_stats, cpu);

		sum->jobs += s->jobs;
		sum->inline_jobs += s->inline_jobs;
		sum->chunks += s->chunks;
		sum->helpers_queued += s->helpers_queued;
		sum->helpers_reclaimed += s->helpers_reclaimed;
		sum->pool_exhausted += s->pool_exhausted;
		sum->errors += s->errors;
		sum->cancellations += s->cancellations;
		sum->undo_chunks += s->undo_chunks;
		sum->busy_ns += s->busy_ns;
	}
}

static int pmt_stats_show(struct seq_file *m, void *v)
{
	struct pmt_stats s;

	pmt_stats_sum(&s);
	seq_printf(m, "jobs=%llu\n", s.jobs);
	seq_printf(m, "inline_jobs=%llu\n", s.inline_jobs);
	seq_printf(m, "chunks=%llu\n", s.chunks);
	seq_printf(m, "helpers_queued=%llu\n", s.helpers_queued);
	seq_printf(m, "helpers_reclaimed=%llu\n", s.helpers_reclaimed);
	seq_printf(m, "pool_exhausted=%llu\n", s.pool_exhausted);
	seq_printf(m, "errors=%llu\n", s.errors);
	seq_printf(m, "cancellations=%llu\n", s.cancellations);
	seq_printf(m, "undo_chunks=%llu\n", s.undo_chunks);
	seq_printf(m, "busy_ns=%llu\n", s.busy_ns);
	seq_printf(m, "helpers_running=%d\n", atomic_read(&pmt_helpers_now));
	seq_printf(m, "helpers_peak=%d\n", atomic_read(&pmt_helpers_peak));
	seq_printf(m, "pool_size=%u\n", pmt_pool_size);
	seq_printf(m, "pool_free=%u\n", pmt_pool_free_fn());
	return 0;
}

static int pmt_stats_open(struct inode *inode, struct file *file)
{
	return single_open(file, pmt_stats_show, NULL);
}

static ssize_t pmt_stats_write(struct file *file, const char __user *ubuf,
			       size_t len, loff_t *ppos)
{
	char buf[8];
	int cpu;

	if (len >= sizeof(buf)) {
		pr_warn_ratelimited("stats: write \"reset\" to zero the counters\n");
		return -EINVAL;
	}
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	if (strcmp(strim(buf), "reset")) {
		pr_warn_ratelimited("stats: write \"reset\" to zero the counters\n");
		return -EINVAL;
	}
	for_each_possible_cpu(cpu)
		memset(per_cpu_ptr(&pmt_stats, cpu), 0, sizeof(struct pmt_stats));
	atomic_set(&pmt_helpers_peak, atomic_read(&pmt_helpers_now));
	return len;
}

DEFINE_STATIC_KEY_FALSE(pmt_inject_armed);
static atomic_t pmt_inject_chunk = ATOMIC_INIT(-1);
/* Orders the key's switching: the writes, and the work that turns it off. */
static DEFINE_MUTEX(pmt_inject_lock);

static void pmt_inject_off_fn(struct work_struct *work)
{
	mutex_lock(&pmt_inject_lock);
	if (atomic_read(&pmt_inject_chunk) < 0)
		static_branch_disable(&pmt_inject_armed);
	mutex_unlock(&pmt_inject_lock);
}

static DECLARE_WORK(pmt_inject_off_work, pmt_inject_off_fn);

/* The key is on: take the knob if it is armed (pmt_inject_take()). */
int __pmt_inject_take(void)
{
	int at;

	if (atomic_read(&pmt_inject_chunk) < 0)
		return -1;
	at = atomic_xchg(&pmt_inject_chunk, -1);
	if (at >= 0)
		schedule_work(&pmt_inject_off_work);
	return at;
}

static int pmt_inject_get(void *data, u64 *val)
{
	*val = (u64)(s64)atomic_read(&pmt_inject_chunk);
	return 0;
}

static int pmt_inject_set(void *data, u64 val)
{
	s64 v = (s64)val;

	if (v < -1 || v > INT_MAX) {
		pr_warn_ratelimited("inject_fail_chunk: want -1 (off) or a chunk number 0..%d\n",
				    INT_MAX);
		return -EINVAL;
	}
	mutex_lock(&pmt_inject_lock);
	if (v >= 0) {
		/* Key first: a job that sees the knob armed must look at it. */
		static_branch_enable(&pmt_inject_armed);
		atomic_set(&pmt_inject_chunk, (int)v);
	} else {
		atomic_set(&pmt_inject_chunk, -1);
		static_branch_disable(&pmt_inject_armed);
	}
	mutex_unlock(&pmt_inject_lock);
	return 0;
}

DEFINE_DEBUGFS_ATTRIBUTE_SIGNED(pmt_inject_fops, pmt_inject_get,
				pmt_inject_set, "%lld\n");

atomic_t pmt_hold_state = ATOMIC_INIT(0);
static DECLARE_WAIT_QUEUE_HEAD(pmt_hold_wq);

void pmt_test_hold_wait(void)
{
	if (atomic_cmpxchg(&pmt_hold_state, 1, 2) != 1)
		return;
	wait_event_idle_timeout(pmt_hold_wq, atomic_read(&pmt_hold_state) != 2,
				30 * HZ);
	atomic_set(&pmt_hold_state, 0);
}

static int pmt_hold_get(void *data, u64 *val)
{
	*val = atomic_read(&pmt_hold_state);
	return 0;
}

static int pmt_hold_set(void *data, u64 val)
{
	if (val == 0) {
		atomic_set(&pmt_hold_state, 0);
		wake_up_all(&pmt_hold_wq);
		return 0;
	}
	if (val != 1) {
		pr_warn_ratelimited("hold_setup: write 1 (arm) or 0 (release)\n");
		return -EINVAL;
	}
	if (atomic_cmpxchg(&pmt_hold_state, 0, 1) != 0) {
		pr_warn_ratelimited("hold_setup: already armed or holding a job\n");
		return -EBUSY;
	}
	return 0;
}

DEFINE_DEBUGFS_ATTRIBUTE(pmt_hold_fops, pmt_hold_get, pmt_hold_set, "%llu\n");

atomic_t pmt_exit_delay_ms = ATOMIC_INIT(0);
atomic_t pmt_clock_skew_ms = ATOMIC_INIT(0);

void pmt_test_exit_delay(void)
{
	int ms = atomic_xchg(&pmt_exit_delay_ms, 0);

	if (ms > 0) {
		msleep(ms);
		pr_info("helper_exit_delay_ms: the delayed helper leaves after %d ms\n",
			ms);
	}
}

u64 pmt_test_take_clock_skew(void)
{
	return (u64)atomic_xchg(&pmt_clock_skew_ms, 0) * NSEC_PER_MSEC;
}

/* A test knob in ms, 0 (off) to @max, that the next helper takes. */
struct pmt_ms_knob {
	const char *name;
	atomic_t *ms;
	int max;
};

static struct pmt_ms_knob pmt_exit_delay_knob = {
	"helper_exit_delay_ms", &pmt_exit_delay_ms, 10000,
};

static struct pmt_ms_knob pmt_clock_skew_knob = {
	"helper_clock_skew_ms", &pmt_clock_skew_ms, 60000,
};

static int pmt_ms_knob_get(void *data, u64 *val)
{
	const struct pmt_ms_knob *k = data;

	*val = atomic_read(k->ms);
	return 0;
}

static int pmt_ms_knob_set(void *data, u64 val)
{
	const struct pmt_ms_knob *k = data;

	if (val > k->max) {
		pr_warn_ratelimited("%s: 0..%d\n", k->name, k->max);
		return -EINVAL;
	}
	atomic_set(k->ms, (int)val);
	return 0;
}

DEFINE_DEBUGFS_ATTRIBUTE(pmt_ms_knob_fops, pmt_ms_knob_get, pmt_ms_knob_set,
			 "%llu\n");

static const struct file_operations pmt_stats_fops = {
	.owner = THIS_MODULE,
	.open = pmt_stats_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = single_release,
	.write = pmt_stats_write,
};

int pmt_stats_init(unsigned int pool_size, unsigned int (*pool_free)(void))
{
	pmt_pool_size = pool_size;
	pmt_pool_free_fn = pool_free;
	pmt_debugfs_dir = debugfs_create_dir("padata_mt", NULL);
	debugfs_create_file("stats", 0600, pmt_debugfs_dir, NULL,
			    &pmt_stats_fops);
	debugfs_create_file_unsafe("inject_fail_chunk", 0600, pmt_debugfs_dir,
				   NULL, &pmt_inject_fops);
	debugfs_create_file_unsafe("hold_setup", 0600, pmt_debugfs_dir, NULL,
				   &pmt_hold_fops);
	debugfs_create_file_unsafe(pmt_exit_delay_knob.name, 0600,
				   pmt_debugfs_dir, &pmt_exit_delay_knob,
				   &pmt_ms_knob_fops);
	debugfs_create_file_unsafe(pmt_clock_skew_knob.name, 0600,
				   pmt_debugfs_dir, &pmt_clock_skew_knob,
				   &pmt_ms_knob_fops);
	return 0;
}

void pmt_stats_exit(void)
{
	debugfs_remove_recursive(pmt_debugfs_dir);
	/* No job runs at unload: nothing queues the work again. */
	cancel_work_sync(&pmt_inject_off_work);
}
