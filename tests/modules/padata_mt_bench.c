// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only module: the padata_mt engine benchmark.  Runs at load time in a
 * kernel thread (so the caller's share of a job runs in the same kind of
 * context as the kworker helpers; see the timing traps in the environment
 * notes) and leaves key=value lines in
 * /sys/kernel/debug/padata_mt_bench/results.  Only ratios taken in one boot
 * mean anything under QEMU TCG.  Never installed by DKMS.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/debugfs.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/sched/clock.h>
#include <linux/sizes.h>
#include <linux/seq_buf.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include <asm/processor.h>

#include "padata_mt.h"

static unsigned int memset_mb = 1024;
module_param(memset_mb, uint, 0444);
MODULE_PARM_DESC(memset_mb, "Size of the memory-bound job's buffer in MiB (default 1024)");

static unsigned int repeats = 5;
module_param(repeats, uint, 0444);
MODULE_PARM_DESC(repeats, "Timed repeats per measurement, after one warm-up (default 5, max 31)");

#define BN_MAX_REPEATS	31
#define BN_ROUNDS	11
#define BN_SMALL_BYTES	(16 * 1024)
#define BN_MAX_WORKS	64

static char *bn_out;
static struct seq_buf bn_buf;
static u8 *bn_mem;
static u8 bn_small[BN_SMALL_BYTES];

static int bn_memset_fn(unsigned long s, unsigned long e, void *arg)
{
	memset((u8 *)arg + s, 0x5a, e - s);
	return 0;
}

static int bn_empty_fn(unsigned long s, unsigned long e, void *arg)
{
	return 0;
}

typedef int (*bn_fn)(unsigned long s, unsigned long e, void *arg);

/* The compiler may not inline it: the direct call stays a real call. */
static bn_fn bn_hidden(bn_fn fn)
{
	OPTIMIZER_HIDE_VAR(fn);
	return fn;
}

static int bn_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static u64 bn_median(u64 *v, unsigned int n)
{
	sort(v, n, sizeof(*v), bn_cmp_u64, NULL);
	return v[n / 2];
}

/* Ratio a/b as a decimal string with two digits. */
static void bn_ratio(const char *key, u64 a, u64 b)
{
	u64 r = b ? div64_u64(a * 100, b) : 0;

	seq_buf_printf(&bn_buf, "%s=%llu.%02llu\n", key, r / 100, r % 100);
}

static u64 bn_memset_ms_x1000(unsigned long bytes, unsigned long min_chunk,
			      int threads)
{
	struct padata_mt_task t = {
		.thread_fn = bn_memset_fn,
		.fn_arg = bn_mem,
		.size = bytes,
		.align = PAGE_SIZE,
		.min_chunk = min_chunk,
		.max_threads = threads,
	};
	u64 v[BN_MAX_REPEATS], t0;
	unsigned int i;

	padata_mt_run(&t);	/* warm-up */
	for (i = 0; i < repeats; i++) {
		t0 = local_clock();
		padata_mt_run(&t);
		v[i] = local_clock() - t0;
	}
	return div64_u64(bn_median(v, repeats), 1000);	/* microseconds */
}

static void bn_inline(void)
{
	struct padata_mt_task t = {
		.thread_fn = bn_memset_fn,
		.fn_arg = bn_small,
		.size = BN_SMALL_BYTES,
		.min_chunk = BN_SMALL_BYTES,
	};
	u64 ratio[BN_ROUNDS], direct[BN_ROUNDS], t0, d, p;
	unsigned int r, i, n = 2000;

	bn_fn direct_fn = bn_hidden(bn_memset_fn);

	for (r = 0; r < BN_ROUNDS; r++) {
		t0 = local_clock();
		for (i = 0; i < n; i++)
			direct_fn(0, BN_SMALL_BYTES, bn_small);
		d = local_clock() - t0;
		t0 = local_clock();
		for (i = 0; i < n; i++)
			padata_mt_run(&t);
		p = local_clock() - t0;
		ratio[r] = div64_u64(p * 10000, d);
		direct[r] = d;
	}
	seq_buf_printf(&bn_buf, "inline.direct_ns_per_call=%llu\n",
		       div64_u64(bn_median(direct, BN_ROUNDS), n));
	r = bn_median(ratio, BN_ROUNDS);
	seq_buf_printf(&bn_buf, "engine.inline_over_direct=%u.%04u\n",
		       r / 10000, r % 10000);
}

static void bn_tiny(void)
{
	struct padata_mt_task t = {
		.thread_fn = bn_empty_fn,
		.size = 2,
		.min_chunk = 1,
		.max_threads = 2,
	};
	u64 per_job[BN_ROUNDS], direct[BN_ROUNDS], t0;
	unsigned int r, i, n = 200;

	bn_fn direct_fn = bn_hidden(bn_empty_fn);

	for (r = 0; r < BN_ROUNDS; r++) {
		t0 = local_clock();
		for (i = 0; i < n; i++)
			padata_mt_run(&t);
		per_job[r] = div64_u64(local_clock() - t0, n);
		t0 = local_clock();
		for (i = 0; i < n; i++) {
			direct_fn(0, 1, NULL);
			direct_fn(1, 2, NULL);
		}
		direct[r] = div64_u64(local_clock() - t0, n);
	}
	t0 = bn_median(per_job, BN_ROUNDS);
	r = bn_median(direct, BN_ROUNDS);
	seq_buf_printf(&bn_buf, "engine.tiny_job_ns=%llu\n", t0);
	seq_buf_printf(&bn_buf, "engine.tiny_job_us=%llu.%02llu\n",
		       t0 / 1000, (t0 % 1000) / 10);
	t0 = t0 > r ? t0 - r : 0;
	seq_buf_printf(&bn_buf, "engine.dispatch_us=%llu.%02llu\n",
		       t0 / 1000, (t0 % 1000) / 10);
}

static void bn_compare(void);

static void bn_memset(void)
{
	static const unsigned long chunks[] = { SZ_64K, SZ_2M, SZ_32M };
	unsigned long bytes = (unsigned long)memset_mb << 20;
	unsigned int c, thr, cpus = num_online_cpus();
	u64 one, t;

	bn_mem = vmalloc(bytes);
	if (!bn_mem) {
		seq_buf_printf(&bn_buf, "# memset: cannot vmalloc %u MiB\n",
			       memset_mb);
		return;
	}
	memset(bn_mem, 0, bytes);	/* first touch of guest RAM */
	for (c = 0; c < ARRAY_SIZE(chunks); c++) {
		one = 0;
		for (thr = 1; thr <= cpus; thr++) {
			t = bn_memset_ms_x1000(bytes, chunks[c], thr);
			if (thr == 1)
				one = t;
			seq_buf_printf(&bn_buf,
				       "memset.min_chunk_kib=%lu.threads=%u.time_us=%llu\n",
				       chunks[c] >> 10, thr, t);
			if (thr > 1) {
				char key[64];

				snprintf(key, sizeof(key),
					 "memset.min_chunk_kib=%lu.speedup_%uthr",
					 chunks[c] >> 10, thr);
				bn_ratio(key, one, t);
			}
			if (chunks[c] == SZ_2M && thr == 2)
				bn_ratio("engine.speedup_2thr", one, t);
		}
	}
	bn_compare();
	vfree(bn_mem);
}

/*
 * Baselines, measured in the same boot as the engine:
 *
 * "upstream_style" behaves like mainline padata_do_multithreaded() (written
 * here from its documented behaviour): a fixed chunk size of
 * max(size / (threads * 4), min_chunk) rounded up to align, a spinlock
 * around the job's position, and the caller waits for every helper it
 * queued, even one that found no work left.
 *
 * "static_split" is what a module author writes by hand today: one equal
 * slice per CPU, queue_work_on() each, run one slice inline, flush_work()
 * the rest.
 */
struct bn_up_job {
	int (*fn)(unsigned long s, unsigned long e, void *arg);
	void *arg;
	spinlock_t lock;
	unsigned long pos, end, chunk;
	int nworks;
	struct completion done;
};

struct bn_up_work {
	struct work_struct work;
	struct bn_up_job *job;
};

static void bn_up_loop(struct bn_up_job *j)
{
	unsigned long s, e;

	spin_lock(&j->lock);
	while (j->pos < j->end) {
		s = j->pos;
		e = min(j->end, roundup(s + 1, j->chunk));
		j->pos = e;
		spin_unlock(&j->lock);
		j->fn(s, e, j->arg);
		spin_lock(&j->lock);
	}
	if (--j->nworks == 0)
		complete(&j->done);
	spin_unlock(&j->lock);
}

static void bn_up_work_fn(struct work_struct *w)
{
	bn_up_loop(container_of(w, struct bn_up_work, work)->job);
}

static struct bn_up_work bn_up_works[BN_MAX_WORKS];

static void bn_upstream_style(const struct padata_mt_task *t)
{
	unsigned long unit = max3(t->min_chunk, t->align, 1UL);
	struct bn_up_job j = {
		.fn = t->thread_fn, .arg = t->fn_arg,
		.pos = t->start, .end = t->start + t->size,
	};
	int i, n = min_t(unsigned long, max(t->size / unit, 1UL),
			 t->max_threads);

	n = min_t(int, n, ARRAY_SIZE(bn_up_works));
	spin_lock_init(&j.lock);
	init_completion(&j.done);
	j.nworks = n;
	j.chunk = max3(t->size / (n * 4), t->min_chunk, 1UL);
	j.chunk = roundup(j.chunk, max(t->align, 1UL));
	for (i = 1; i < n; i++) {
		bn_up_works[i].job = &j;
		INIT_WORK(&bn_up_works[i].work, bn_up_work_fn);
		queue_work(system_unbound_wq, &bn_up_works[i].work);
	}
	bn_up_loop(&j);
	wait_for_completion(&j.done);
}

struct bn_split_work {
	struct work_struct work;
	const struct padata_mt_task *t;
	unsigned long s, e;
};

static struct bn_split_work bn_split_works[BN_MAX_WORKS];

static void bn_split_fn(struct work_struct *w)
{
	struct bn_split_work *sw = container_of(w, struct bn_split_work, work);

	sw->t->thread_fn(sw->s, sw->e, sw->t->fn_arg);
}

static void bn_static_split(const struct padata_mt_task *t)
{
	int i, cpu, n = min3(t->max_threads, (int)num_online_cpus(),
			     BN_MAX_WORKS);
	unsigned long slice = roundup(DIV_ROUND_UP(t->size, n),
				      max(t->align, 1UL));
	int self = get_cpu();

	/* Slice 0 runs here; slices 1..n-1 go to the other online CPUs. */
	i = 1;
	for_each_online_cpu(cpu) {
		struct bn_split_work *sw = &bn_split_works[i];

		if (i >= n)
			break;
		if (cpu == self)
			continue;
		sw->t = t;
		sw->s = t->start + min(t->size, slice * i);
		sw->e = t->start + min(t->size, slice * (i + 1));
		INIT_WORK(&sw->work, bn_split_fn);
		queue_work_on(cpu, system_wq, &sw->work);
		i++;
	}
	put_cpu();
	n = i;
	t->thread_fn(t->start, t->start + min(t->size, slice), t->fn_arg);
	for (i = 1; i < n; i++)
		flush_work(&bn_split_works[i].work);
}

typedef void (*bn_runner)(const struct padata_mt_task *t);

static void bn_ours(const struct padata_mt_task *t)
{
	padata_mt_run(t);
}

static const struct {
	const char *name;
	bn_runner run;
} bn_engines[] = {
	{ "engine", bn_ours },
	{ "upstream_style", bn_upstream_style },
	{ "static_split", bn_static_split },
};

/* Median time of @t under @run, in ns, after one warm-up. */
static u64 bn_time(bn_runner run, const struct padata_mt_task *t,
		   unsigned int reps, unsigned int batch)
{
	u64 v[BN_MAX_REPEATS], t0;
	unsigned int i, b;

	run(t);
	for (i = 0; i < reps; i++) {
		t0 = local_clock();
		for (b = 0; b < batch; b++)
			run(t);
		v[i] = div64_u64(local_clock() - t0, batch);
	}
	return bn_median(v, reps);
}

/* The same jobs through the engine and the baselines, interleaved. */
static void bn_compare(void)
{
	struct padata_mt_task tiny = {
		.thread_fn = bn_empty_fn, .size = 2, .min_chunk = 1,
		.max_threads = 2,
	};
	struct padata_mt_task big = {
		.thread_fn = bn_memset_fn, .size = (unsigned long)memset_mb << 20,
		.align = PAGE_SIZE, .min_chunk = SZ_2M,
	};
	u64 one[ARRAY_SIZE(bn_engines)], two[ARRAY_SIZE(bn_engines)];
	u64 tj[ARRAY_SIZE(bn_engines)];
	unsigned int e;
	char key[80];

	if (num_online_cpus() < 2)
		return;
	big.fn_arg = bn_mem;
	for (e = 0; e < ARRAY_SIZE(bn_engines); e++) {
		tj[e] = bn_time(bn_engines[e].run, &tiny, BN_ROUNDS, 200);
		big.max_threads = 1;
		one[e] = bn_time(bn_engines[e].run, &big, repeats, 1);
		big.max_threads = 2;
		two[e] = bn_time(bn_engines[e].run, &big, repeats, 1);
		snprintf(key, sizeof(key), "compare.%s.memset_%umb_speedup_2thr",
			 bn_engines[e].name, memset_mb);
		bn_ratio(key, one[e], two[e]);
		seq_buf_printf(&bn_buf, "compare.%s.memset_2thr_ms=%llu\n",
			       bn_engines[e].name, div64_u64(two[e], 1000000));
		seq_buf_printf(&bn_buf, "compare.%s.tiny_job_ns=%llu\n",
			       bn_engines[e].name, tj[e]);
	}
	for (e = 1; e < ARRAY_SIZE(bn_engines); e++) {
		snprintf(key, sizeof(key), "ratio.memset_2thr_%s_over_engine",
			 bn_engines[e].name);
		bn_ratio(key, two[e], two[0]);
		snprintf(key, sizeof(key), "ratio.tiny_job_%s_over_engine",
			 bn_engines[e].name);
		bn_ratio(key, tj[e], tj[0]);
	}
	if (memset_mb == 1024)
		bn_ratio("engine.memset_1g_speedup_2thr", one[0], two[0]);
}

static DECLARE_COMPLETION(bn_done);

static int bn_main(void *unused)
{
	seq_buf_printf(&bn_buf, "cpu_model=%s\n", boot_cpu_data.x86_model_id);
	seq_buf_printf(&bn_buf, "online_cpus=%u\n", num_online_cpus());
	seq_buf_printf(&bn_buf, "context=kthread\n");
	seq_buf_printf(&bn_buf, "memset_mb=%u\n", memset_mb);
	seq_buf_printf(&bn_buf, "repeats=%u\n", repeats);
	bn_inline();
	bn_tiny();
	bn_memset();
	kthread_complete_and_exit(&bn_done, 0);
}

static ssize_t bn_results_read(struct file *f, char __user *ubuf, size_t len,
			       loff_t *ppos)
{
	return simple_read_from_buffer(ubuf, len, ppos, bn_out,
				       seq_buf_used(&bn_buf));
}

static const struct file_operations bn_results_fops = {
	.owner = THIS_MODULE,
	.read = bn_results_read,
	.llseek = default_llseek,
};

static struct dentry *bn_dir;

static int __init bn_init(void)
{
	struct task_struct *t;

	if (!repeats || repeats > BN_MAX_REPEATS || !memset_mb) {
		pr_warn("repeats must be 1..%d and memset_mb > 0\n",
			BN_MAX_REPEATS);
		return -EINVAL;
	}
	bn_out = kzalloc(PAGE_SIZE * 2, GFP_KERNEL);
	if (!bn_out)
		return -ENOMEM;
	seq_buf_init(&bn_buf, bn_out, PAGE_SIZE * 2);
	t = kthread_run(bn_main, NULL, "pmt_bench");
	if (IS_ERR(t)) {
		kfree(bn_out);
		return PTR_ERR(t);
	}
	wait_for_completion(&bn_done);
	bn_dir = debugfs_create_dir("padata_mt_bench", NULL);
	debugfs_create_file("results", 0400, bn_dir, NULL, &bn_results_fops);
	return 0;
}

static void __exit bn_exit(void)
{
	debugfs_remove_recursive(bn_dir);
	kfree(bn_out);
}

module_init(bn_init);
module_exit(bn_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("padata_mt_run() benchmark (test-only)");
