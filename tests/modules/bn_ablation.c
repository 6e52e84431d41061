// SPDX-License-Identifier: GPL-2.0
/*
 * padata_mt_bench: the per-change ablation table (ablation=1).  Every
 * variant of the model (bn_model.c) beside padata_mt_run() itself, in one
 * boot: the baseline, the baseline plus each change, all changes, all but
 * each one.
 */
#include <linux/cpumask.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/seq_buf.h>
#include <linux/sizes.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include "bench.h"

static const char * const ab_names[AB_NR] = {
	"cursor", "guided", "reclaim", "inline", "place",
};

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
		.size = (unsigned long)bn_memset_mb << 20,
		.align = PAGE_SIZE, .min_chunk = SZ_2M,
	};
	unsigned int v, w, r, feat;
	u64 m1, m2, lo, hi, x, d;
	s64 diff;
	char name[24], key[96], mem[16];

	if (bn_memset_mb == 1024)
		strscpy(mem, "1g", sizeof(mem));
	else
		snprintf(mem, sizeof(mem), "%umb", bn_memset_mb);
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
	for (r = 0; r < bn_repeats; r++) {
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
		for (r = 0; r < bn_repeats; r++) {
			x = div64_u64(one[v][r] * 100, two[v][r]);
			lo = min(lo, x);
			hi = max(hi, x);
		}
		/* best of: host load only ever adds time */
		m1 = U64_MAX;
		m2 = U64_MAX;
		for (r = 0; r < bn_repeats; r++) {
			m1 = min(m1, one[v][r]);
			m2 = min(m2, two[v][r]);
		}
		snprintf(key, sizeof(key), "ablation.%s.best_speedup_2thr", name);
		bn_ratio(key, m1, m2);
		m1 = bn_median(one[v], bn_repeats);
		m2 = bn_median(two[v], bn_repeats);
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
	ab_model_flush();
}

void bn_ablation_run(void)
{
	if (num_online_cpus() < 2) {
		seq_buf_printf(&bn_out.buf, "# ablation: needs 2 online CPUs\n");
		return;
	}
	bn_mem = vmalloc((unsigned long)bn_memset_mb << 20);
	if (!bn_mem) {
		seq_buf_printf(&bn_out.buf, "# ablation: cannot vmalloc %u MiB\n",
			       bn_memset_mb);
		return;
	}
	memset(bn_mem, 0, (unsigned long)bn_memset_mb << 20);
	bn_ablation();
	vfree(bn_mem);
}
