// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only module: the padata_mt engine benchmark.  Runs at load time in a
 * kernel thread (so the caller's share of a job runs in the same kind of
 * context as the kworker helpers; see the timing traps in the environment
 * notes) and leaves key=value lines in
 * /sys/kernel/debug/padata_mt_bench/results.  Only ratios taken in one boot
 * mean anything under QEMU TCG.  Never installed by DKMS.  This file: the
 * parameters, the results, the table of measurements and module init/exit;
 * bench.h lists the others.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/kthread.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/nodemask.h>
#include <linux/seq_buf.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/topology.h>
#include <asm/processor.h>

#include "bench.h"

unsigned int memset_mb = 1024;
module_param(memset_mb, uint, 0444);
MODULE_PARM_DESC(memset_mb, "Size of the memory-bound job's buffer in MiB (default 1024)");

unsigned int repeats = 5;
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

#define BN_OUT_BYTES	(4 * PAGE_SIZE)

struct ktap_out bn_out;
u8 *bn_mem;
u8 bn_small[BN_SMALL_BYTES];

int bn_memset_fn(unsigned long s, unsigned long e, void *arg)
{
	memset((u8 *)arg + s, 0x5a, e - s);
	return 0;
}

int bn_empty_fn(unsigned long s, unsigned long e, void *arg)
{
	return 0;
}

static int bn_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

void bn_sort(u64 *v, unsigned int n)
{
	sort(v, n, sizeof(*v), bn_cmp_u64, NULL);
}

u64 bn_median(u64 *v, unsigned int n)
{
	bn_sort(v, n);
	return v[n / 2];
}

/* Ratio a/b as a decimal string with two digits. */
void bn_ratio(const char *key, u64 a, u64 b)
{
	u64 r = b ? div64_u64(a * 100, b) : 0;

	seq_buf_printf(&bn_out.buf, "%s=%llu.%02llu\n", key, r / 100, r % 100);
}

/* Ratio r/10000 as a decimal string with four digits. */
void bn_ratio4(const char *key, u64 r)
{
	seq_buf_printf(&bn_out.buf, "%s=%llu.%04llu\n", key, r / 10000, r % 10000);
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
	int ret;

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
	ab_model_init();
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
