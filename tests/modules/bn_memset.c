// SPDX-License-Identifier: GPL-2.0
/*
 * padata_mt_bench: the memory-bound job.  A memset of memset_mb MiB by
 * threads and min_chunk, the same jobs through the engine and the baselines
 * (bn_baselines.c), and a CPU-bound competitor beside it.
 */
#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/sched.h>
#include <linux/seq_buf.h>
#include <linux/sizes.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include "bench.h"

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
	for (i = 0; i < bn_repeats; i++) {
		t0 = bn_now();
		padata_mt_run(&t);
		v[i] = bn_now() - t0;
	}
	return div64_u64(bn_median(v, bn_repeats), 1000);	/* microseconds */
}

/*
 * A CPU-bound competitor beside a large job: a kthread (any CPU) counting
 * loop iterations.  Its throughput during a 1 GiB memset on every CPU, over
 * its throughput alone for as long, with the helpers at the caller's nice
 * (engine.competitor_share) and with PADATA_MT_PRIO_BACKGROUND
 * (engine.competitor_share_niced: MAX_NICE until the caller waits; goal
 * >= 0.90).  engine.memset_niced_over_default: what the background helpers
 * cost the job itself.  Medians of repeats= rounds, each round alone,
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
		.size = (unsigned long)bn_memset_mb << 20,
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
	for (r = 0; r < bn_repeats; r++) {
		big.helper_prio = PADATA_MT_PRIO_CALLER;
		def[r] = bn_comp_rate(&c, &big, 0, &tdef[r]);
		ms = max_t(u64, div64_u64(tdef[r], 1000000), 1);
		alone[r] = bn_comp_rate(&c, NULL, ms, NULL);
		big.helper_prio = PADATA_MT_PRIO_BACKGROUND;
		bg[r] = bn_comp_rate(&c, &big, 0, &tbg[r]);
	}
	atomic_set(&c.stop, 1);
	wait_for_completion(&c.done);
	ns = bn_median(alone, bn_repeats);
	bn_ratio("engine.competitor_share", bn_median(def, bn_repeats), ns);
	bn_ratio("engine.competitor_share_niced", bn_median(bg, bn_repeats), ns);
	bn_ratio("engine.memset_niced_over_default", bn_median(tbg, bn_repeats),
		 bn_median(tdef, bn_repeats));
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
		.thread_fn = bn_memset_fn, .size = (unsigned long)bn_memset_mb << 20,
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
		one[e] = bn_time(bn_engines[e].run, &big, bn_repeats, 1);
		big.max_threads = 2;
		two[e] = bn_time(bn_engines[e].run, &big, bn_repeats, 1);
		snprintf(key, sizeof(key), "compare.%s.memset_%umb_speedup_2thr",
			 bn_engines[e].name, bn_memset_mb);
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
	if (bn_memset_mb == 1024)
		bn_ratio("engine.memset_1g_speedup_2thr", one[0], two[0]);
}

void bn_memset(void)
{
	static const unsigned long chunks[] = { SZ_64K, SZ_2M, SZ_32M };
	unsigned long bytes = (unsigned long)bn_memset_mb << 20;
	unsigned int c, thr, cpus = num_online_cpus();
	u64 one, t;

	bn_mem = vmalloc(bytes);
	if (!bn_mem) {
		seq_buf_printf(&bn_out.buf, "# memset: cannot vmalloc %u MiB\n",
			       bn_memset_mb);
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
