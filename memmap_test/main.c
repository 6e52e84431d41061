// SPDX-License-Identifier: GPL-2.0
/*
 * memmap_test: module init/exit and the command kthread.
 *
 * Every command runs in one kernel thread owned by the module.  The debugfs
 * writer hands its parsed job over and waits killably; if it gets a fatal
 * signal it sets the job's cancel flag and then waits (without load and
 * without the hung-task check) until the thread has finished the cancelled
 * job, including its undo.  Benchmarked work thus always starts from a
 * kthread, the same kind of context as the engine's kworker helpers, and a
 * region is never left half plugged.
 */
#include <linux/debugfs.h>
#include <linux/kthread.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/wait.h>

#include "compat.h"
#include "padata_mt.h"
#include "memmap_test.h"

static int mt_param_set_pct(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 1, 90);
}

static const struct kernel_param_ops mt_pct_ops = {
	.set = mt_param_set_pct,
	.get = param_get_uint,
};

unsigned int max_memmap_pct = 50;
module_param_cb(max_memmap_pct, &mt_pct_ops, &max_memmap_pct, 0644);
MODULE_PARM_DESC(max_memmap_pct,
		 "Largest share of available memory (MemAvailable), in percent (1-90), that the memmap of a region may take; bigger regions are refused with E2BIG (default 50)");

struct mt_region *mt_region;

static struct dentry *mt_dir;
static struct task_struct *mt_thread;
static DECLARE_WAIT_QUEUE_HEAD(mt_wq);
static struct mt_job *mt_pending;

unsigned int mt_default_threads(void)
{
	return max(num_online_cpus(), 1U);
}

/* -E2BIG unless @bytes fit in max_memmap_pct of MemAvailable. */
int mt_check_share(u64 bytes, const char *what, struct mt_out *o)
{
	u64 avail = (u64)si_mem_available() << PAGE_SHIFT;
	unsigned int pct = READ_ONCE(max_memmap_pct);

	if (bytes <= div_u64(avail, 100) * pct)
		return 0;
	return mt_fail(o, -E2BIG,
		       "%s of %llu bytes exceeds max_memmap_pct=%u of %llu available bytes",
		       what, bytes, pct, avail);
}

/* The one thread count of a non-bench command. */
unsigned int mt_threads_arg(const struct mt_args *a)
{
	return a->nr_threads ? a->threads[0] : mt_default_threads();
}

int mt_run_task(const struct padata_mt_task *task, unsigned int threads)
{
	if (threads > 1)
		return padata_mt_run(task);
	/* One thread: the plain call, no engine at all. */
	if (!task->size)
		return 0;
	if (mt_cancelled(task->cancel))
		return -ECANCELED;
	return task->thread_fn(task->start, task->start + task->size,
			       task->fn_arg);
}

/* A job of one unit per section, over sections [@s0, @s1) of the region. */
int mt_run_sections(int (*fn)(unsigned long start, unsigned long end,
			      void *arg),
		    void *arg, unsigned long s0, unsigned long s1,
		    unsigned int threads, const atomic_t *cancel)
{
	struct padata_mt_task task = {
		.thread_fn = fn,
		.fn_arg = arg,
		.start = s0,
		.size = s1 - s0,
		.align = 1,
		.min_chunk = 1,
		.max_threads = threads,
		.cancel = cancel,
	};

	return mt_run_task(&task, threads);
}

static int mt_exec(struct mt_job *job)
{
	const struct mt_args *a = &job->args;
	struct mt_out *o = job->out;
	int ret;

	mt_kv(o, "command=%s\n", mt_cmd_name(a->cmd));
	/* Only sync and verify run beside a background pass. */
	if (a->cmd != MT_CMD_SYNC && a->cmd != MT_CMD_VERIFY &&
	    mt_async_stop())
		mt_kv(o, "async_stopped=1\n");
	switch (a->cmd) {
	case MT_CMD_HOTPLUG:
		ret = mt_cmd_hotplug(a, o, &job->cancel);
		break;
	case MT_CMD_UNPLUG:
		ret = mt_cmd_unplug(a, o);
		break;
	case MT_CMD_REINIT:
		ret = mt_cmd_reinit(a, o, &job->cancel);
		break;
	case MT_CMD_VERIFY:
		ret = mt_cmd_verify(a, o, &job->cancel);
		break;
	case MT_CMD_MEMSET:
		ret = mt_cmd_memset(a, o, &job->cancel);
		break;
	case MT_CMD_BENCH:
		ret = mt_cmd_bench(a, o, &job->cancel);
		break;
	case MT_CMD_ASYNC:
		ret = mt_cmd_async(a, o, &job->cancel);
		break;
	case MT_CMD_SYNC:
		ret = mt_cmd_sync(a, o, &job->cancel);
		break;
	default:
		ret = -EINVAL;
		break;
	}
	mt_kv(o, "result=%d\n", ret);
	mt_region_kv(mt_region, o);
	return ret;
}

static int mt_thread_fn(void *unused)
{
	while (!kthread_should_stop()) {
		struct mt_job *job;

		wait_event_idle(mt_wq, READ_ONCE(mt_pending) ||
				kthread_should_stop());
		job = xchg(&mt_pending, NULL);
		if (!job)
			continue;
		job->ret = mt_exec(job);
		complete(&job->done);
	}
	return 0;
}

/*
 * Called by the debugfs writer, which holds the command mutex: at most one
 * job is pending or running.
 */
int mt_run_job(struct mt_job *job)
{
	init_completion(&job->done);
	atomic_set(&job->cancel, 0);
	WARN_ON_ONCE(cmpxchg(&mt_pending, NULL, job));
	wake_up(&mt_wq);

	if (wait_for_completion_killable(&job->done)) {
		atomic_set(&job->cancel, 1);
		/* Cancelled work and its undo finish promptly. */
		wait_for_completion_state(&job->done, TASK_IDLE);
		return -EINTR;
	}
	return job->ret;
}

static int __init memmap_test_init(void)
{
	int ret;

	mt_layout_init();
	ret = mt_async_init();
	if (ret)
		return ret;
	mt_thread = kthread_run(mt_thread_fn, NULL, MT_NAME);
	if (IS_ERR(mt_thread)) {
		mt_async_exit();
		return PTR_ERR(mt_thread);
	}

	ret = mt_debugfs_init(&mt_dir);
	if (ret) {
		kthread_stop(mt_thread);
		mt_async_exit();
		return ret;
	}
	return 0;
}

static void __exit memmap_test_exit(void)
{
	/*
	 * An open debugfs file holds a module reference, so no command runs
	 * here; removing the files first keeps new ones from starting.
	 */
	debugfs_remove_recursive(mt_dir);
	kthread_stop(mt_thread);
	/* Unplug cancels a background pass and waits for it first. */
	if (mt_region)
		mt_region_unplug(mt_default_threads(), NULL);
	/* The pass runs this module's code: cancel, wait, then its queue. */
	mt_async_exit();
	mt_debugfs_exit();
}

module_init(memmap_test_init);
module_exit(memmap_test_exit);
MODULE_LICENSE("GPL");
MODULE_VERSION(PADATA_MT_VERSION);
MODULE_DESCRIPTION("ZONE_DEVICE memmap hotplug and re-init with padata_mt");
