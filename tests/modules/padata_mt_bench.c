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
#include <linux/module.h>
#include <linux/nodemask.h>
#include <linux/seq_buf.h>
#include <linux/topology.h>
#include <asm/processor.h>

#include "bench.h"

unsigned int bn_memset_mb = 1024;
module_param_named(memset_mb, bn_memset_mb, uint, 0444);
MODULE_PARM_DESC(memset_mb, "Size of the memory-bound job's buffer in MiB (default 1024)");

unsigned int bn_repeats = 5;
module_param_named(repeats, bn_repeats, uint, 0444);
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
	seq_buf_printf(&bn_out.buf, "memset_mb=%u\n", bn_memset_mb);
	seq_buf_printf(&bn_out.buf, "repeats=%u\n", bn_repeats);
	ktap_run_cases(bn_cases, ARRAY_SIZE(bn_cases), bn_run_set(), filter);
	kthread_complete_and_exit(&bn_done, 0);
}

static int __init bn_init(void)
{
	struct task_struct *t;
	int ret;

	if (!bn_repeats || bn_repeats > BN_MAX_REPEATS || !bn_memset_mb) {
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
