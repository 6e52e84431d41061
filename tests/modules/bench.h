/* SPDX-License-Identifier: GPL-2.0 */
/*
 * padata_mt_bench, the test-only benchmark module: what its files share.
 * Each file calls only the files below it:
 *
 * padata_mt_bench.c  module init/exit, the parameters and the table of
 *                    measurements with filter=
 * bn_ablation.c      the per-change ablation table (ablation=1)
 * bn_memset.c        the memory-bound job: threads x min_chunk, the same
 *                    jobs through the baselines, a competitor beside it
 * bn_inline.c        the per-call method (bn_pair()) and the one-chunk and
 *                    tiny-job measurements
 * bn_baselines.c     the baselines: upstream-style and a static split
 * bn_model.c         the ablation's model of the engine (ab_run())
 * bn_util.c          the results (bn_out, bn_ratio()), the thread_fns and
 *                    their buffers, medians
 *
 * The parameters (bn_memset_mb, bn_repeats) are read by every file.
 */
#ifndef _PMT_BENCH_H
#define _PMT_BENCH_H

#include <linux/bits.h>
#include <linux/compiler.h>
#include <linux/ktime.h>
#include <linux/limits.h>
#include <linux/types.h>

#include "ktap_out.h"
#include "padata_mt.h"

#define BN_MAX_REPEATS	31
#define BN_ROUNDS	11
#define BN_SMALL_BYTES	(16 * 1024)
#define BN_MAX_WORKS	64

typedef int (*bn_fn)(unsigned long s, unsigned long e, void *arg);

/* Module parameters memset_mb= and repeats= (padata_mt_bench.c) */
extern unsigned int bn_memset_mb;
extern unsigned int bn_repeats;

/* The results, the thread_fns and their buffers, medians (bn_util.c) */
extern struct ktap_out bn_out;
extern u8 *bn_mem;	/* memset_mb MiB while the memset or ablation case runs */
extern u8 bn_small[BN_SMALL_BYTES];

int bn_memset_fn(unsigned long s, unsigned long e, void *arg);
int bn_empty_fn(unsigned long s, unsigned long e, void *arg);
void bn_sort(u64 *v, unsigned int n);
u64 bn_median(u64 *v, unsigned int n);
void bn_ratio(const char *key, u64 a, u64 b);
void bn_ratio4(const char *key, u64 r);

/*
 * The guest marks its TSC unstable under QEMU TCG ("TSCs unsynchronized"),
 * and local_clock() then clamps to a window of one tick past the last
 * tick's timestamp: when the host delays the guest's ticks, local_clock()
 * stalls, and a block of calls can measure 0 ns.  Blocks are timed with the
 * clocksource instead (HPET here: slow to read, but right), single calls
 * with the TSC on one CPU (bn_pair()).
 */
static inline u64 bn_now(void)
{
	return ktime_get_ns();
}

/* The compiler may not inline it: the direct call stays a real call. */
static inline bn_fn bn_hidden(bn_fn fn)
{
	OPTIMIZER_HIDE_VAR(fn);
	return fn;
}

/* What a timed block of calls runs: the reference or a way through an engine. */
enum bn_kind {
	BN_DIRECT, BN_ENGINE, BN_ABLATE,
	/* the pieces of the engine's one-chunk path, each before the call */
	BN_MIGHT_SLEEP, BN_PERCPU, BN_CALL_LEVEL,
};

/* The per-call method and the one-chunk job (bn_inline.c) */
extern const struct padata_mt_task bn_one_chunk;
u64 bn_pair(enum bn_kind a, enum bn_kind b, const struct padata_mt_task *t,
	    unsigned int feat, u64 *lo, u64 *hi, u64 *a_ns, s64 *diff_ns);

/* The baselines (bn_baselines.c) */
void bn_upstream_style(const struct padata_mt_task *t);
void bn_static_split(const struct padata_mt_task *t);

/* The ablation's model of the engine (bn_model.c) */
#define AB_CURSOR	BIT(0)	/* lock-free cmpxchg cursor, not a spinlock */
#define AB_GUIDED	BIT(1)	/* guided chunks shrinking to min_chunk, not fixed */
#define AB_RECLAIM	BIT(2)	/* cancel_work() helpers not started, not wait */
#define AB_INLINE	BIT(3)	/* one-chunk/one-thread job: no setup, no helper */
#define AB_PLACE	BIT(4)	/* never more threads on a node than its CPUs */
#define AB_NR		5
#define AB_ALL		(BIT(AB_NR) - 1)
#define AB_ENGINE	UINT_MAX	/* ablation variant: padata_mt_run() itself */

void ab_run(const struct padata_mt_task *t, unsigned int feat);
void ab_model_init(void);
void ab_model_flush(void);

/* The measurements, each a ktap_case of padata_mt_bench.c */
void bn_inline(void);		/* bn_inline.c */
void bn_tiny(void);		/* bn_inline.c */
void bn_memset(void);		/* bn_memset.c */
void bn_ablation_run(void);	/* bn_ablation.c */

#endif /* _PMT_BENCH_H */
