// SPDX-License-Identifier: GPL-2.0
/*
 * memmap_test: the debugfs files and the command thread (debugfs.h).
 *
 * /sys/kernel/debug/memmap_test/control (0600): one write() is one command
 * (parse.c); a read prints the syntax as "# " lines, made from the command
 * and key tables, then the state and the last results as key=value lines
 * with the unit in the key.  table (0400): the last bench table.  async
 * (0400): the background pass.
 *
 * Every command runs in one kernel thread owned by the module.  The writer
 * hands its parsed job over and waits killably; if it gets a fatal signal
 * it sets the job's cancel flag and then waits (without load and without
 * the hung-task check) until the thread has finished the cancelled job,
 * including its undo.  Benchmarked work thus always starts from a kthread,
 * the same kind of context as the engine's kworker helpers, and a region
 * is never left half plugged.  A command while another runs gets -EBUSY
 * at once.  Every write publishes its results, so a read never shows an
 * older one's.
 */
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include "async.h"
#include "cmds.h"
#include "debugfs.h"
#include "digest.h"
#include "parse.h"
#include "region.h"

/* The job a writer hands to the command thread. */
struct mt_job {
	struct mt_args args;
	struct mt_ctx ctx;
	struct mt_out *table;	/* a bench's new table */
	int ret;
	atomic_t cancel;
	struct completion done;
};

static const char * const mt_usage_head[] = {
	"memmap_test " PADATA_MT_VERSION ": write one command per write(); read for the state and the last results",
	"commands:",
};

static const char * const mt_usage_tail[] = {
	"SIZE: a number with a unit K, M, G or T (powers of 1024), e.g. 64G; region sizes and base",
	"  must be multiples of the memory section size (section_size_bytes below); others are refused",
	"numbers: decimal or 0x hex; threads=1 plugs with one memremap_pages() (the stock path)",
	"base=ADDR: only inside legacy persistent memory (memmap=nn!ss) or soft-reserved memory",
	"test-only: fail_piece=K (piece K fails with EIO), skip=INDEX (page INDEX of the region",
	"  is left poisoned; needs poison=1), flip=INDEX:BIT (the digest check after the reinit",
	"  sees bit BIT of page INDEX's struct page flipped; the memmap is not touched;",
	"  at most 4) and delay_ms=N (async holds each section N ms)",
	"errors: EINVAL malformed, EBUSY another command runs, EEXIST/ENOENT region state,",
	"  E2BIG memmap above max_memmap_pct, EOPNOTSUPP struct page layout not validated",
	"  or a plug that would raise max_pfn for good (a kernel without 7170130e4c72),",
	"  EIO digest mismatch (see mismatch_* keys), EINTR writer killed (job cancelled)",
	"results: key=value, units in the key (_ns, _bytes, _pages); see docs/memmap_test.md",
};

static struct dentry *mt_dir;
static struct task_struct *mt_thread;
static DECLARE_WAIT_QUEUE_HEAD(mt_wq);
static struct mt_job *mt_pending;

static DEFINE_MUTEX(mt_cmd_mutex);	/* one command at a time */
static bool mt_busy;			/* a command runs (busy=) */
static DEFINE_MUTEX(mt_res_lock);	/* mt_last, mt_table */
static struct mt_out *mt_last;
static struct mt_out *mt_table;

/* Replace *@slot with @o (NULL: keep it) and free the old one. */
static void mt_publish(struct mt_out **slot, struct mt_out *o)
{
	struct mt_out *old;

	if (!o)
		return;
	mutex_lock(&mt_res_lock);
	old = *slot;
	*slot = o;
	mutex_unlock(&mt_res_lock);
	mt_out_free(old);
}

/* --- the command thread ---------------------------------------------- */

static int mt_thread_fn(void *unused)
{
	while (!kthread_should_stop()) {
		struct mt_job *job;

		wait_event_idle(mt_wq, READ_ONCE(mt_pending) ||
				kthread_should_stop());
		job = xchg(&mt_pending, NULL);
		if (!job)
			continue;
		job->ret = mt_cmd_run(&job->args, &job->ctx, &job->table);
		complete(&job->done);
	}
	return 0;
}

/*
 * Called by the writer, which holds the command mutex: at most one job is
 * pending or running.
 */
static int mt_run_job(struct mt_job *job)
{
	init_completion(&job->done);
	atomic_set(&job->cancel, 0);
	job->ctx.cancel = &job->cancel;
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

/* --- control --------------------------------------------------------- */

/*
 * A write that runs no command leaves its own results too: what it was,
 * why it was refused, and the region state when no command is running
 * (while one runs, its results replace these when it ends).  Returns @err.
 */
static int mt_refuse(struct mt_out *o, const struct mt_args *a, int err)
{
	bool idle = mutex_trylock(&mt_cmd_mutex);

	mt_kv(o, "command=%s\nresult=%d\n",
	      a && a->cmd < MT_CMD_NR ? mt_cmds[a->cmd].name : "none", err);
	if (idle)
		mt_cmds_state_kv(o);
	/* Before the unlock: a command that starts next publishes after. */
	mt_publish(&mt_last, o);
	if (idle)
		mutex_unlock(&mt_cmd_mutex);
	return err;
}

static ssize_t mt_control_write(struct file *file, const char __user *ubuf,
				size_t len, loff_t *ppos)
{
	struct mt_job *job = NULL;
	char *buf = NULL;
	struct mt_out *o;
	int ret;

	o = mt_out_alloc();
	if (!o)
		return -ENOMEM;
	if (!len)
		return mt_refuse(o, NULL, mt_bad(o, "empty write"));
	if (len >= MT_CMD_MAX)
		return mt_refuse(o, NULL, mt_bad(o, "command longer than %d bytes",
						 MT_CMD_MAX - 1));
	buf = memdup_user_nul(ubuf, len);
	if (IS_ERR(buf)) {
		ret = PTR_ERR(buf);
		buf = NULL;
		goto err;
	}
	job = kzalloc(sizeof(*job), GFP_KERNEL);
	if (!job) {
		ret = -ENOMEM;
		goto err;
	}
	ret = mt_parse(buf, len, &job->args, o);
	if (ret) {
		mt_refuse(o, &job->args, ret);
		goto out;
	}
	if (!mutex_trylock(&mt_cmd_mutex)) {
		pr_warn_ratelimited(MT_NAME ": %s refused: another command is running\n",
				    mt_cmds[job->args.cmd].name);
		mt_kv(o, "message=another command is running\n");
		ret = mt_refuse(o, &job->args, -EBUSY);
		goto out;
	}
	job->ctx.o = o;
	WRITE_ONCE(mt_busy, true);
	ret = mt_run_job(job);
	WRITE_ONCE(mt_busy, false);
	/* What write() returned: result= unless the writer was killed. */
	mt_kv(o, "write_result=%d\n", ret);
	mt_publish(&mt_table, job->table);
	mt_publish(&mt_last, o);
	mutex_unlock(&mt_cmd_mutex);
	goto out;
err:
	mt_refuse(o, NULL, ret);	/* EFAULT, ENOMEM: results all the same */
out:
	kfree(job);
	kfree(buf);
	return ret ? ret : len;
}

/* "#   hotplug size=SIZE [base=ADDR] ...": from the two tables. */
static void mt_usage_cmd(struct seq_file *m, const struct mt_cmd *cmd)
{
	unsigned int pass, k;

	seq_printf(m, "#   %s", cmd->name);
	for (pass = 0; pass < 2; pass++)
		for (k = 0; k < MT_K_NR; k++) {
			bool req = cmd->required & BIT(k);

			if (!(cmd->allowed & BIT(k)) || req != !pass)
				continue;
			seq_printf(m, req ? " %s=%s" : " [%s=%s]",
				   mt_key_name(k), mt_key_meta(k, cmd));
		}
	if (cmd->note)
		seq_printf(m, "   %s", cmd->note);
	seq_putc(m, '\n');
}

/* "# every command but verify and sync cancels ...": from the table. */
static void mt_usage_async(struct seq_file *m)
{
	const char *sep = "";
	size_t i;

	seq_puts(m, "# every command but");
	for (i = 0; i < MT_CMD_NR; i++) {
		if (!mt_cmds[i].beside_async)
			continue;
		seq_printf(m, "%s %s", sep, mt_cmds[i].name);
		sep = " and";
	}
	seq_puts(m, " cancels a running async pass first; the pass: read async\n");
}

static int mt_control_show(struct seq_file *m, void *unused)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(mt_usage_head); i++)
		seq_printf(m, "# %s\n", mt_usage_head[i]);
	for (i = 0; i < MT_CMD_NR; i++)
		mt_usage_cmd(m, &mt_cmds[i]);
	mt_usage_async(m);
	for (i = 0; i < ARRAY_SIZE(mt_usage_tail); i++)
		seq_printf(m, "# %s\n", mt_usage_tail[i]);
	seq_printf(m, "busy=%d\n", READ_ONCE(mt_busy));
	seq_printf(m, "async_running=%d\n", mt_async_running());
	seq_printf(m, "max_memmap_pct=%u\n", mt_max_memmap_pct());
	seq_printf(m, "section_size_bytes=%lu\n",
		   PAGES_PER_SECTION << PAGE_SHIFT);
	/* flip=INDEX:BIT takes BIT 0 .. 8 * struct_page_bytes - 1 */
	seq_printf(m, "struct_page_bytes=%zu\n", sizeof(struct page));
	seq_printf(m, "high_memory_pfn=%#lx\n", mt_high_memory_pfn());
	seq_printf(m, "dma_required_mask=%#llx\n", mt_dma_required_mask());
	mt_page_layout_show(m);
	mutex_lock(&mt_res_lock);
	if (mt_last)
		mt_out_show(m, mt_last);
	mutex_unlock(&mt_res_lock);
	return 0;
}

static int mt_control_open(struct inode *inode, struct file *file)
{
	return single_open(file, mt_control_show, NULL);
}

static const struct file_operations mt_control_fops = {
	.owner = THIS_MODULE,
	.open = mt_control_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.write = mt_control_write,
	.release = single_release,
};

/* --- table, async ---------------------------------------------------- */

static int mt_table_show(struct seq_file *m, void *unused)
{
	mutex_lock(&mt_res_lock);
	if (mt_table)
		mt_out_show(m, mt_table);
	else
		seq_puts(m, "# no bench has run yet\n");
	mutex_unlock(&mt_res_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mt_table);

static int mt_async_show(struct seq_file *m, void *unused)
{
	mt_async_status(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mt_async);

int mt_debugfs_init(void)
{
	struct dentry *d;

	mt_thread = kthread_run(mt_thread_fn, NULL, MT_NAME);
	if (IS_ERR(mt_thread))
		return PTR_ERR(mt_thread);
	d = debugfs_create_dir(MT_NAME, NULL);
	if (IS_ERR(d)) {
		kthread_stop(mt_thread);
		return PTR_ERR(d);
	}
	debugfs_create_file("control", 0600, d, NULL, &mt_control_fops);
	debugfs_create_file("table", 0400, d, NULL, &mt_table_fops);
	debugfs_create_file("async", 0400, d, NULL, &mt_async_fops);
	mt_dir = d;
	return 0;
}

void mt_debugfs_exit(void)
{
	/*
	 * An open debugfs file holds a module reference, so no command runs
	 * here; removing the files first keeps new ones from starting.
	 */
	debugfs_remove_recursive(mt_dir);
	kthread_stop(mt_thread);
	mt_out_free(mt_last);
	mt_out_free(mt_table);
	mt_last = NULL;
	mt_table = NULL;
}
