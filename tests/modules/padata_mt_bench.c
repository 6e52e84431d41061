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

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/debugfs.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/nodemask.h>
#include <linux/percpu.h>
#include <linux/ktime.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/sizes.h>
#include <linux/seq_buf.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/topology.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>
#include <asm/processor.h>
#include <asm/tsc.h>

#include "chunk.h"
#include "ktap_out.h"
#include "padata_mt.h"

static unsigned int memset_mb = 1024;
module_param(memset_mb, uint, 0444);
MODULE_PARM_DESC(memset_mb, "Size of the memory-bound job's buffer in MiB (default 1024)");

static unsigned int repeats = 5;
module_param(repeats, uint, 0444);
MODULE_PARM_DESC(repeats, "Timed repeats per measurement, after one warm-up (default 5, max 31)");

static bool inline_only;
module_param(inline_only, bool, 0444);
MODULE_PARM_DESC(inline_only, "Only the one-chunk job against a direct call (quick)");

static bool ablation;
module_param(ablation, bool, 0444);
MODULE_PARM_DESC(ablation, "Only the per-change ablation table (ablation.* rows)");

static char *filter;
module_param(filter, charp, 0444);
MODULE_PARM_DESC(filter, "Run only the measurements whose names match one of these comma-separated glob patterns: inline, tiny, memset (ablation=1: ablation); default all");

#define BN_MAX_REPEATS	31
#define BN_ROUNDS	11
#define BN_SMALL_BYTES	(16 * 1024)
#define BN_MAX_WORKS	64
#define BN_OUT_BYTES	(4 * PAGE_SIZE)

static struct ktap_out bn_out;
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

/*
 * The guest marks its TSC unstable under QEMU TCG ("TSCs unsynchronized"),
 * and local_clock() then clamps to a window of one tick past the last
 * tick's timestamp: when the host delays the guest's ticks, local_clock()
 * stalls, and a block of calls can measure 0 ns.  Blocks are timed with the
 * clocksource instead (HPET here: slow to read, but right), single calls
 * with the TSC on one CPU (bn_pair()).
 */
static u64 bn_now(void)
{
	return ktime_get_ns();
}

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

	seq_buf_printf(&bn_out.buf, "%s=%llu.%02llu\n", key, r / 100, r % 100);
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
		t0 = bn_now();
		padata_mt_run(&t);
		v[i] = bn_now() - t0;
	}
	return div64_u64(bn_median(v, repeats), 1000);	/* microseconds */
}

/* What a timed block of calls runs: the reference or a way through an engine. */
enum bn_kind {
	BN_DIRECT, BN_ENGINE, BN_ABLATE,
	/* the pieces of the engine's one-chunk path, each before the call */
	BN_MIGHT_SLEEP, BN_PERCPU, BN_CALL_LEVEL,
};

static DEFINE_PER_CPU(u64, bn_counter_a);
static DEFINE_PER_CPU(u64, bn_counter_b);

/* One more call level, as a call into padata_mt_run() adds. */
static noinline int bn_call_level(const struct padata_mt_task *t)
{
	return t->thread_fn(t->start, t->start + t->size, t->fn_arg);
}

#define AB_ENGINE	UINT_MAX	/* ablation variant: padata_mt_run() itself */

static void ab_run(const struct padata_mt_task *t, unsigned int feat);

/* @n calls of @t one way. */
static void bn_calls(enum bn_kind kind, const struct padata_mt_task *t,
		     unsigned int feat, unsigned int n)
{
	bn_fn fn = bn_hidden(t->thread_fn);
	unsigned int i;

	switch (kind) {
	case BN_DIRECT:
		/* An indirect call, as the engine's call of thread_fn is. */
		for (i = 0; i < n; i++)
			fn(t->start, t->start + t->size, t->fn_arg);
		break;
	case BN_ENGINE:
		for (i = 0; i < n; i++)
			padata_mt_run(t);
		break;
	case BN_ABLATE:
		if (feat == AB_ENGINE) {	/* as BN_ENGINE: no ab_run() between */
			for (i = 0; i < n; i++)
				padata_mt_run(t);
			break;
		}
		for (i = 0; i < n; i++)
			ab_run(t, feat);
		break;
	case BN_MIGHT_SLEEP:
		for (i = 0; i < n; i++) {
			might_sleep();
			fn(t->start, t->start + t->size, t->fn_arg);
		}
		break;
	case BN_PERCPU:
		for (i = 0; i < n; i++) {
			this_cpu_inc(bn_counter_a);
			this_cpu_inc(bn_counter_b);
			fn(t->start, t->start + t->size, t->fn_arg);
		}
		break;
	case BN_CALL_LEVEL:
		for (i = 0; i < n; i++)
			bn_call_level(t);
		break;
	}
}

#define BN_PAIRS	4096
#define BN_SEGMENTS	4

static u32 bn_ta[BN_PAIRS], bn_tb[BN_PAIRS], bn_tc[BN_PAIRS];
static u64 bn_seg[BN_PAIRS / BN_SEGMENTS];

static u64 bn_median_u32(const u32 *v, unsigned int n)
{
	unsigned int i;

	/* bn_median() sorts u64: copy, at most a segment at a time */
	n = min_t(unsigned int, n, ARRAY_SIZE(bn_seg));
	for (i = 0; i < n; i++)
		bn_seg[i] = v[i];
	return bn_median(bn_seg, n);
}

/*
 * Time @b over @a, both ways of running @t, call by call: BN_PAIRS pairs,
 * A then B in even pairs and B then A in odd ones, each call timed alone,
 * and a third, empty, timing for the clock's own cost.  The host preempts
 * QEMU's vCPU threads for milliseconds at a time: that lands on one call
 * here, not on a whole block of them, and the median per-call time of each
 * way drops it.  The ratio is (median B - clock) / (median A - clock) over
 * BN_SEGMENTS consecutive segments of the pairs; returns the median segment
 * x 10000 and the lowest and highest in @lo and @hi; @a_ns gets A's time
 * per call and @diff_ns B's minus A's, in ns.
 */
static u64 bn_pair(enum bn_kind a, enum bn_kind b,
		   const struct padata_mt_task *t, unsigned int feat,
		   u64 *lo, u64 *hi, u64 *a_ns, s64 *diff_ns)
{
	unsigned int i, seg, n = BN_PAIRS / BN_SEGMENTS;
	u64 r[BN_SEGMENTS], ma, mb, mc, t0, t1, t2;

	bn_calls(a, t, feat, 16);	/* warm-up; TSC cycles below */
	bn_calls(b, t, feat, 16);
	for (i = 0; i < BN_PAIRS; i++) {
		/* TSCs of two vCPUs differ: both calls on one CPU. */
		migrate_disable();
		t0 = rdtsc_ordered();
		bn_calls(i & 1 ? b : a, t, feat, 1);
		t1 = rdtsc_ordered();
		bn_calls(i & 1 ? a : b, t, feat, 1);
		t2 = rdtsc_ordered();
		bn_ta[i] = i & 1 ? t2 - t1 : t1 - t0;
		bn_tb[i] = i & 1 ? t1 - t0 : t2 - t1;
		t0 = rdtsc_ordered();
		bn_tc[i] = rdtsc_ordered() - t0;
		migrate_enable();
	}
	*a_ns = 0;
	*diff_ns = 0;
	for (seg = 0; seg < BN_SEGMENTS; seg++) {
		mc = bn_median_u32(bn_tc + seg * n, n);
		ma = bn_median_u32(bn_ta + seg * n, n);
		mb = bn_median_u32(bn_tb + seg * n, n);
		ma = ma > mc ? ma - mc : 1;
		mb = mb > mc ? mb - mc : 0;
		r[seg] = div64_u64(mb * 10000, ma);
		*a_ns += ma;
		*diff_ns += (s64)mb - (s64)ma;
	}
	*a_ns = div64_u64(*a_ns * 1000000, BN_SEGMENTS * (u64)tsc_khz);
	*diff_ns = div64_s64(*diff_ns * 1000000, BN_SEGMENTS * (s64)tsc_khz);
	sort(r, BN_SEGMENTS, sizeof(*r), bn_cmp_u64, NULL);
	*lo = r[0];
	*hi = r[BN_SEGMENTS - 1];
	return (r[(BN_SEGMENTS - 1) / 2] + r[BN_SEGMENTS / 2]) / 2;
}

static void bn_ratio4(const char *key, u64 r)
{
	seq_buf_printf(&bn_out.buf, "%s=%llu.%04llu\n", key, r / 10000, r % 10000);
}

/*
 * The previous method, kept with its A/A twin (direct then direct) to show
 * what it measured: 11 rounds of 2000 direct calls then 2000 calls of @b,
 * always in that order, timed with local_clock().
 */
static u64 bn_fixed_order(enum bn_kind b, const struct padata_mt_task *t)
{
	u64 ratio[BN_ROUNDS], d, p;
	unsigned int r, n = 2000;

	for (r = 0; r < BN_ROUNDS; r++) {
		d = local_clock();
		bn_calls(BN_DIRECT, t, 0, n);
		d = local_clock() - d;
		p = local_clock();
		bn_calls(b, t, 0, n);
		p = local_clock() - p;
		ratio[r] = d ? div64_u64(p * 10000, d) : 0;
	}
	return bn_median(ratio, BN_ROUNDS);
}

static const struct padata_mt_task bn_one_chunk = {
	.thread_fn = bn_memset_fn,
	.fn_arg = bn_small,
	.size = BN_SMALL_BYTES,
	.min_chunk = BN_SMALL_BYTES,
};

static const struct padata_mt_task bn_one_empty = {
	.thread_fn = bn_empty_fn,
	.size = 1,
	.min_chunk = 1,
};

/* What each piece of the one-chunk path costs, in ns, around an empty call. */
static void bn_inline_pieces(void)
{
	static const struct {
		const char *name;
		enum bn_kind kind;
	} piece[] = {
		{ "direct", BN_DIRECT },	/* the method's error */
		{ "padata_mt_run", BN_ENGINE },
		{ "might_sleep", BN_MIGHT_SLEEP },
		{ "two_percpu_inc", BN_PERCPU },
		{ "call_level", BN_CALL_LEVEL },
	};
	unsigned int i;
	u64 lo, hi, d;
	s64 x;

	for (i = 0; i < ARRAY_SIZE(piece); i++) {
		bn_pair(BN_DIRECT, piece[i].kind, &bn_one_empty, 0, &lo, &hi,
			&d, &x);
		seq_buf_printf(&bn_out.buf, "inline.extra_ns.%s=%lld\n",
			       piece[i].name, x);
	}
	seq_buf_printf(&bn_out.buf, "inline.empty_direct_ns=%llu\n", d);
}

static void bn_inline(void)
{
	u64 r, lo, hi, d;
	s64 x;

	/* A/A first: the method's own bias and spread, same calls both sides. */
	r = bn_pair(BN_DIRECT, BN_DIRECT, &bn_one_chunk, 0, &lo, &hi, &d, &x);
	bn_ratio4("inline.direct_over_direct", r);
	bn_ratio4("inline.direct_over_direct_lo", lo);
	bn_ratio4("inline.direct_over_direct_hi", hi);
	r = bn_pair(BN_DIRECT, BN_ENGINE, &bn_one_chunk, 0, &lo, &hi, &d, &x);
	seq_buf_printf(&bn_out.buf, "inline.direct_ns_per_call=%llu\n", d);
	seq_buf_printf(&bn_out.buf, "inline.engine_extra_ns=%lld\n", x);
	bn_ratio4("engine.inline_over_direct", r);
	bn_ratio4("inline.engine_over_direct_lo", lo);
	bn_ratio4("inline.engine_over_direct_hi", hi);
	bn_ratio4("inline.fixed_order.direct_over_direct",
		  bn_fixed_order(BN_DIRECT, &bn_one_chunk));
	bn_ratio4("inline.fixed_order.engine_over_direct",
		  bn_fixed_order(BN_ENGINE, &bn_one_chunk));
	bn_inline_pieces();
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
		t0 = bn_now();
		for (i = 0; i < n; i++)
			padata_mt_run(&t);
		per_job[r] = div64_u64(bn_now() - t0, n);
		t0 = bn_now();
		for (i = 0; i < n; i++) {
			direct_fn(0, 1, NULL);
			direct_fn(1, 2, NULL);
		}
		direct[r] = div64_u64(bn_now() - t0, n);
	}
	t0 = bn_median(per_job, BN_ROUNDS);
	r = bn_median(direct, BN_ROUNDS);
	seq_buf_printf(&bn_out.buf, "engine.tiny_job_ns=%llu\n", t0);
	seq_buf_printf(&bn_out.buf, "engine.tiny_job_us=%llu.%02llu\n",
		       t0 / 1000, (t0 % 1000) / 10);
	t0 = t0 > r ? t0 - r : 0;
	seq_buf_printf(&bn_out.buf, "engine.dispatch_us=%llu.%02llu\n",
		       t0 / 1000, (t0 % 1000) / 10);
}

static void bn_compare(void);
static void bn_competitor(void);

static void bn_memset(void)
{
	static const unsigned long chunks[] = { SZ_64K, SZ_2M, SZ_32M };
	unsigned long bytes = (unsigned long)memset_mb << 20;
	unsigned int c, thr, cpus = num_online_cpus();
	u64 one, t;

	bn_mem = vmalloc(bytes);
	if (!bn_mem) {
		seq_buf_printf(&bn_out.buf, "# memset: cannot vmalloc %u MiB\n",
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
			seq_buf_printf(&bn_out.buf,
				       "memset.min_chunk_%luk.threads_%u_us=%llu\n",
				       chunks[c] >> 10, thr, t);
			if (thr > 1) {
				char key[64];

				snprintf(key, sizeof(key),
					 "memset.min_chunk_%luk.speedup_%uthr",
					 chunks[c] >> 10, thr);
				bn_ratio(key, one, t);
			}
			if (chunks[c] == SZ_2M && thr == 2)
				bn_ratio("engine.speedup_2thr", one, t);
		}
	}
	bn_compare();
	bn_competitor();
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

/*
 * A CPU-bound competitor beside a large job: a kthread (any CPU) counting
 * loop iterations.  Its throughput during a 1 GiB memset on every CPU, over
 * its throughput alone for as long, with the helpers at the caller's nice
 * (engine.competitor_share) and with PADATA_MT_PRIO_BACKGROUND
 * (engine.competitor_share_niced: MAX_NICE until the caller waits; goal
 * >= 0.90).  engine.memset_niced_over_default: what the background helpers
 * cost the job itself.  Medians of @repeats rounds, each round alone,
 * default and background in turn.
 */
struct bn_comp {
	atomic_long_t count;
	atomic_t stop;
	struct completion done;
};

static int bn_comp_fn(void *arg)
{
	struct bn_comp *c = arg;
	unsigned int i;

	while (!atomic_read(&c->stop)) {
		for (i = 0; i < 1000; i++)
			cpu_relax();
		atomic_long_add(1000, &c->count);
		cond_resched();
	}
	complete(&c->done);
	return 0;
}

/* Iterations per ms of the competitor while @t runs, or for @ms alone. */
static u64 bn_comp_rate(struct bn_comp *c, const struct padata_mt_task *t,
			unsigned int ms, u64 *job_ns)
{
	long c0 = atomic_long_read(&c->count);
	u64 t0 = bn_now(), dt;

	if (t)
		padata_mt_run(t);
	else
		msleep(ms);
	dt = bn_now() - t0;
	if (job_ns)
		*job_ns = dt;
	return div64_u64((u64)(atomic_long_read(&c->count) - c0) * 1000000,
			 max(dt, 1ULL));
}

static void bn_competitor(void)
{
	struct padata_mt_task big = {
		.thread_fn = bn_memset_fn, .fn_arg = bn_mem,
		.size = (unsigned long)memset_mb << 20,
		.align = PAGE_SIZE, .min_chunk = SZ_2M,
	};
	u64 alone[BN_MAX_REPEATS], def[BN_MAX_REPEATS], bg[BN_MAX_REPEATS];
	u64 tdef[BN_MAX_REPEATS], tbg[BN_MAX_REPEATS], ns;
	struct task_struct *k;
	struct bn_comp c;
	unsigned int r, ms;

	if (num_online_cpus() < 2)
		return;
	atomic_long_set(&c.count, 0);
	atomic_set(&c.stop, 0);
	init_completion(&c.done);
	k = kthread_run(bn_comp_fn, &c, "pmt_bench_comp");
	if (IS_ERR(k))
		return;
	padata_mt_run(&big);	/* warm-up, and the competitor gets going */
	for (r = 0; r < repeats; r++) {
		big.helper_prio = PADATA_MT_PRIO_CALLER;
		def[r] = bn_comp_rate(&c, &big, 0, &tdef[r]);
		ms = max_t(u64, div64_u64(tdef[r], 1000000), 1);
		alone[r] = bn_comp_rate(&c, NULL, ms, NULL);
		big.helper_prio = PADATA_MT_PRIO_BACKGROUND;
		bg[r] = bn_comp_rate(&c, &big, 0, &tbg[r]);
	}
	atomic_set(&c.stop, 1);
	wait_for_completion(&c.done);
	ns = bn_median(alone, repeats);
	bn_ratio("engine.competitor_share", bn_median(def, repeats), ns);
	bn_ratio("engine.competitor_share_niced", bn_median(bg, repeats), ns);
	bn_ratio("engine.memset_niced_over_default", bn_median(tbg, repeats),
		 bn_median(tdef, repeats));
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
		t0 = bn_now();
		for (b = 0; b < batch; b++)
			run(t);
		v[i] = div64_u64(bn_now() - t0, batch);
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
		seq_buf_printf(&bn_out.buf, "compare.%s.memset_2thr_ms=%llu\n",
			       bn_engines[e].name, div64_u64(two[e], 1000000));
		seq_buf_printf(&bn_out.buf, "compare.%s.tiny_job_ns=%llu\n",
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

/*
 * The per-change ablation (ablation=1).  ab_run() is the upstream-style
 * baseline above with each change the engine makes to it behind a flag, so
 * one boot measures the baseline, the baseline plus one change, all
 * changes, and all changes but one, beside padata_mt_run() itself.  It is a
 * model of the engine for measuring, not a second engine: "all" should
 * measure like "engine", and where it does not, the model misses something.
 */
#define AB_CURSOR	BIT(0)	/* lock-free cmpxchg cursor, not a spinlock */
#define AB_GUIDED	BIT(1)	/* guided chunks shrinking to min_chunk, not fixed */
#define AB_RECLAIM	BIT(2)	/* cancel_work() helpers not started, not wait */
#define AB_INLINE	BIT(3)	/* one-chunk/one-thread job: no setup, no helper */
#define AB_PLACE	BIT(4)	/* never more threads on a node than its CPUs */
#define AB_NR		5
#define AB_ALL		(BIT(AB_NR) - 1)

static const char * const ab_names[AB_NR] = {
	"cursor", "guided", "reclaim", "inline", "place",
};

struct ab_job {
	const struct padata_mt_task *t;
	unsigned int feat;
	spinlock_t lock;
	unsigned long pos;
	atomic_long_t apos;
	unsigned long end;
	struct pmt_chunking ch;
	atomic_t running;
	struct completion done;
};

struct ab_work {
	struct work_struct work;
	struct ab_job *job;
};

static struct ab_work ab_works[BN_MAX_WORKS];

static bool ab_claim(struct ab_job *j, unsigned long *s, unsigned long *e)
{
	if (j->feat & AB_CURSOR)
		return pmt_chunk_claim(&j->ch, &j->apos, j->end, s, e);
	spin_lock(&j->lock);
	if (j->pos >= j->end) {
		spin_unlock(&j->lock);
		return false;
	}
	*s = j->pos;
	*e = pmt_chunk_end(&j->ch, j->pos, j->end);
	j->pos = *e;
	spin_unlock(&j->lock);
	return true;
}

static void ab_loop(struct ab_job *j)
{
	unsigned long s, e;

	while (ab_claim(j, &s, &e))
		j->t->thread_fn(s, e, j->t->fn_arg);
}

static void ab_work_fn(struct work_struct *w)
{
	struct ab_job *j = container_of(w, struct ab_work, work)->job;

	ab_loop(j);
	if (atomic_dec_and_test(&j->running))
		complete(&j->done);
}

/* A node for helper @i: one with an online CPU no thread of the job has. */
static int ab_place(int caller, const int *homes, unsigned int i)
{
	unsigned int tries, load, h;
	int nid = caller;

	for (tries = 0; tries < nr_node_ids; tries++) {
		if (node_state(nid, N_CPU)) {
			load = nid == caller;
			for (h = 1; h < i; h++)
				load += homes[h] == nid;
			if (load < cpumask_weight_and(cpumask_of_node(nid),
						      cpu_online_mask))
				return nid;
		}
		nid = (nid + 1) % nr_node_ids;
	}
	return NUMA_NO_NODE;
}

/* Out of line, as pmt_run_job(): its frame is zeroed on every entry. */
static noinline void ab_run_job(const struct padata_mt_task *t,
				unsigned int feat)
{
	unsigned long unit = max3(t->min_chunk, t->align, 1UL);
	unsigned int i, n = t->max_threads > 0 ? t->max_threads :
						 num_online_cpus();
	int homes[BN_MAX_WORKS], caller;
	struct ab_job j;

	n = min3((unsigned long)n, max(t->size / unit, 1UL),
		 (unsigned long)BN_MAX_WORKS);
	j.t = t;
	j.feat = feat;
	j.end = t->start + t->size;
	j.pos = t->start;
	atomic_long_set(&j.apos, t->start);
	if (feat & AB_GUIDED) {
		pmt_chunking_init(&j.ch, t->min_chunk, t->align, n);
	} else {
		/*
		 * Upstream's fixed chunks, ending on multiples of the chunk:
		 * pmt_chunk_end() with chunks that never shrink (no divisor),
		 * of one unit rounded up to the next multiple, i.e.
		 * min(end, roundup(pos + 1, chunk)).
		 */
		j.ch.divisor = ULONG_MAX;
		j.ch.min_chunk = 1;
		j.ch.align = roundup(max3(t->size / (n * 4UL), t->min_chunk,
					  1UL), max(t->align, 1UL));
	}
	/* ab_claim() takes it unless AB_CURSOR, one-thread jobs included. */
	spin_lock_init(&j.lock);
	if ((feat & AB_INLINE) && n == 1) {
		ab_loop(&j);	/* no helper, no completion */
		return;
	}
	init_completion(&j.done);
	atomic_set(&j.running, n);
	caller = numa_node_id();
	for (i = 1; i < n; i++) {
		ab_works[i].job = &j;
		homes[i] = NUMA_NO_NODE;
		if (feat & AB_PLACE)
			homes[i] = ab_place(caller, homes, i);
		if (homes[i] != NUMA_NO_NODE)
			queue_work_node(homes[i], system_unbound_wq,
					&ab_works[i].work);
		else
			queue_work(system_unbound_wq, &ab_works[i].work);
	}
	ab_loop(&j);
	for (i = 1; (feat & AB_RECLAIM) && i < n; i++)
		if (cancel_work(&ab_works[i].work))
			atomic_dec(&j.running);
	if (!atomic_dec_and_test(&j.running))
		wait_for_completion(&j.done);
}

static void ab_run(const struct padata_mt_task *t, unsigned int feat)
{
	if (feat == AB_ENGINE) {
		padata_mt_run(t);
		return;
	}
	if ((feat & AB_INLINE) && t->size <= max(t->min_chunk, 1UL)) {
		t->thread_fn(t->start, t->start + t->size, t->fn_arg);
		return;
	}
	ab_run_job(t, feat);
}

/* baseline, +each, all, all-each, engine */
#define AB_VARIANTS	(2 * AB_NR + 3)

static unsigned int ab_variant(unsigned int v, char *name, size_t len)
{
	if (v == 0) {
		strscpy(name, "baseline", len);
		return 0;
	}
	if (v <= AB_NR) {
		snprintf(name, len, "+%s", ab_names[v - 1]);
		return BIT(v - 1);
	}
	if (v == AB_NR + 1) {
		strscpy(name, "all", len);
		return AB_ALL;
	}
	if (v <= 2 * AB_NR + 1) {
		snprintf(name, len, "all-%s", ab_names[v - AB_NR - 2]);
		return AB_ALL & ~BIT(v - AB_NR - 2);
	}
	strscpy(name, "engine", len);
	return AB_ENGINE;
}

static u64 ab_time(const struct padata_mt_task *t, unsigned int feat,
		   unsigned int batch)
{
	u64 t0 = bn_now();
	unsigned int b;

	for (b = 0; b < batch; b++)
		ab_run(t, feat);
	return div64_u64(bn_now() - t0, batch);
}

/*
 * Every variant in one boot, interleaved: each repeat runs every variant
 * once (starting from a different one each time), so host load that comes
 * and goes lands on all of them alike.
 */
static void bn_ablation(void)
{
	static u64 one[AB_VARIANTS][BN_MAX_REPEATS];
	static u64 two[AB_VARIANTS][BN_MAX_REPEATS];
	static u64 tiny[AB_VARIANTS][BN_ROUNDS];
	struct padata_mt_task tj = {
		.thread_fn = bn_empty_fn, .size = 2, .min_chunk = 1,
		.max_threads = 2,
	};
	struct padata_mt_task big = {
		.thread_fn = bn_memset_fn, .fn_arg = bn_mem,
		.size = (unsigned long)memset_mb << 20,
		.align = PAGE_SIZE, .min_chunk = SZ_2M,
	};
	unsigned int v, w, r, feat;
	u64 m1, m2, lo, hi, x, d;
	s64 diff;
	char name[24], key[96], mem[16];

	if (memset_mb == 1024)
		strscpy(mem, "1g", sizeof(mem));
	else
		snprintf(mem, sizeof(mem), "%umb", memset_mb);
	seq_buf_printf(&bn_out.buf, "ablation.variants=%u\n", AB_VARIANTS);
	/* the engine's one-chunk ratio also before anything else ran */
	x = bn_pair(BN_DIRECT, BN_ENGINE, &bn_one_chunk, 0, &lo, &hi, &d,
		    &diff);
	bn_ratio4("ablation.engine_first.inline_over_direct", x);
	for (v = 0; v < AB_VARIANTS; v++) {
		feat = ab_variant(v, name, sizeof(name));
		big.max_threads = 1;
		ab_run(&big, feat);	/* warm-up */
		big.max_threads = 2;
		ab_run(&big, feat);
		ab_run(&tj, feat);
	}
	for (r = 0; r < BN_ROUNDS; r++) {
		for (w = 0; w < AB_VARIANTS; w++) {
			v = (w + r) % AB_VARIANTS;
			tiny[v][r] = ab_time(&tj, ab_variant(v, name,
							     sizeof(name)), 200);
		}
	}
	for (r = 0; r < repeats; r++) {
		for (w = 0; w < AB_VARIANTS; w++) {
			v = (w + r) % AB_VARIANTS;
			feat = ab_variant(v, name, sizeof(name));
			big.max_threads = 1;
			one[v][r] = ab_time(&big, feat, 1);
			big.max_threads = 2;
			two[v][r] = ab_time(&big, feat, 1);
		}
	}
	for (v = 0; v < AB_VARIANTS; v++) {
		feat = ab_variant(v, name, sizeof(name));
		lo = U64_MAX;
		hi = 0;
		for (r = 0; r < repeats; r++) {
			x = div64_u64(one[v][r] * 100, two[v][r]);
			lo = min(lo, x);
			hi = max(hi, x);
		}
		/* best of: host load only ever adds time */
		m1 = U64_MAX;
		m2 = U64_MAX;
		for (r = 0; r < repeats; r++) {
			m1 = min(m1, one[v][r]);
			m2 = min(m2, two[v][r]);
		}
		snprintf(key, sizeof(key), "ablation.%s.best_speedup_2thr", name);
		bn_ratio(key, m1, m2);
		m1 = bn_median(one[v], repeats);
		m2 = bn_median(two[v], repeats);
		snprintf(key, sizeof(key), "ablation.%s.memset_%s_speedup_2thr",
			 name, mem);
		bn_ratio(key, m1, m2);
		seq_buf_printf(&bn_out.buf,
			       "ablation.%s.speedup_range=%llu.%02llu-%llu.%02llu\n",
			       name, lo / 100, lo % 100, hi / 100, hi % 100);
		seq_buf_printf(&bn_out.buf, "ablation.%s.memset_1thr_ms=%llu\n",
			       name, div64_u64(m1, 1000000));
		seq_buf_printf(&bn_out.buf, "ablation.%s.memset_2thr_ms=%llu\n",
			       name, div64_u64(m2, 1000000));
		x = bn_median(tiny[v], BN_ROUNDS);
		seq_buf_printf(&bn_out.buf, "ablation.%s.tiny_job_us=%llu.%02llu\n",
			       name, x / 1000, (x % 1000) / 10);
		x = bn_pair(BN_DIRECT, BN_ABLATE, &bn_one_chunk, feat, &lo, &hi,
			    &d, &diff);
		snprintf(key, sizeof(key), "ablation.%s.inline_over_direct",
			 name);
		bn_ratio4(key, x);
	}
	for (v = 1; v < BN_MAX_WORKS; v++)
		flush_work(&ab_works[v].work);
}

/* topology=2+1+1+0: online CPUs per online node, in node order. */
static void bn_topology(void)
{
	int nid;
	bool first = true;

	seq_buf_printf(&bn_out.buf, "topology=");
	for_each_online_node(nid) {
		seq_buf_printf(&bn_out.buf, "%s%u", first ? "" : "+",
			       cpumask_weight_and(cpumask_of_node(nid),
						  cpu_online_mask));
		first = false;
	}
	seq_buf_printf(&bn_out.buf, "\n");
}

static DECLARE_COMPLETION(bn_done);

static void bn_ablation_run(void)
{
	bn_mem = vmalloc((unsigned long)memset_mb << 20);
	if (!bn_mem) {
		seq_buf_printf(&bn_out.buf, "# ablation: cannot vmalloc %u MiB\n",
			       memset_mb);
		return;
	}
	memset(bn_mem, 0, (unsigned long)memset_mb << 20);
	bn_ablation();
	vfree(bn_mem);
}

/* The measurements, in the order they run; inline_only and ablation pick. */
#define BN_DEFAULT	BIT(0)
#define BN_INLINE_ONLY	BIT(1)
#define BN_ABLATION	BIT(2)

static const struct ktap_case bn_cases[] = {
	{ "inline", bn_inline, BN_DEFAULT | BN_INLINE_ONLY },
	{ "tiny", bn_tiny, BN_DEFAULT },
	{ "memset", bn_memset, BN_DEFAULT },
	{ "ablation", bn_ablation_run, BN_ABLATION },
};

static unsigned int bn_run_set(void)
{
	if (ablation)
		return BN_ABLATION;
	return inline_only ? BN_INLINE_ONLY : BN_DEFAULT;
}

static int bn_main(void *unused)
{
	seq_buf_printf(&bn_out.buf, "cpu_model=%s\n", boot_cpu_data.x86_model_id);
	seq_buf_printf(&bn_out.buf, "online_cpus=%u\n", num_online_cpus());
	bn_topology();
	seq_buf_printf(&bn_out.buf, "context=kthread\n");
	seq_buf_printf(&bn_out.buf, "memset_mb=%u\n", memset_mb);
	seq_buf_printf(&bn_out.buf, "repeats=%u\n", repeats);
	ktap_run_cases(bn_cases, ARRAY_SIZE(bn_cases), bn_run_set(), filter);
	kthread_complete_and_exit(&bn_done, 0);
}

static int __init bn_init(void)
{
	struct task_struct *t;
	int i, ret;

	if (!repeats || repeats > BN_MAX_REPEATS || !memset_mb) {
		pr_warn("repeats must be 1..%d and memset_mb > 0\n",
			BN_MAX_REPEATS);
		return -EINVAL;
	}
	ret = ktap_check_filter(filter, bn_cases, ARRAY_SIZE(bn_cases),
				bn_run_set());
	if (ret)
		return ret;
	ret = ktap_out_init(&bn_out, BN_OUT_BYTES, false);
	if (ret)
		return ret;
	for (i = 0; i < BN_MAX_WORKS; i++)
		INIT_WORK(&ab_works[i].work, ab_work_fn);
	t = kthread_run(bn_main, NULL, "pmt_bench");
	if (IS_ERR(t)) {
		ktap_out_free(&bn_out);
		return PTR_ERR(t);
	}
	wait_for_completion(&bn_done);
	ktap_out_debugfs(&bn_out, "padata_mt_bench");
	return 0;
}

static void __exit bn_exit(void)
{
	ktap_out_remove(&bn_out);
	ktap_out_free(&bn_out);
}

module_init(bn_init);
module_exit(bn_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("padata_mt_run() benchmark (test-only)");
