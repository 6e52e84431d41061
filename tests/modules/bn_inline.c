// SPDX-License-Identifier: GPL-2.0
/*
 * padata_mt_bench: the per-call method, bn_pair(), and what it measures:
 * the one-chunk job against a direct call of its thread_fn, the pieces of
 * the engine's one-chunk path, and the two-chunk tiny job.
 */
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/seq_buf.h>
#include <asm/tsc.h>

#include "bench.h"

static DEFINE_PER_CPU(u64, bn_counter_a);
static DEFINE_PER_CPU(u64, bn_counter_b);

/* One more call level, as a call into padata_mt_run() adds. */
static noinline int bn_call_level(const struct padata_mt_task *t)
{
	return t->thread_fn(t->start, t->start + t->size, t->fn_arg);
}

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
u64 bn_pair(enum bn_kind a, enum bn_kind b, const struct padata_mt_task *t,
	    unsigned int feat, u64 *lo, u64 *hi, u64 *a_ns, s64 *diff_ns)
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
	bn_sort(r, BN_SEGMENTS);
	*lo = r[0];
	*hi = r[BN_SEGMENTS - 1];
	return (r[(BN_SEGMENTS - 1) / 2] + r[BN_SEGMENTS / 2]) / 2;
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

const struct padata_mt_task bn_one_chunk = {
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

void bn_inline(void)
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

void bn_tiny(void)
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
