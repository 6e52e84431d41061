// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only module: a battery of padata_mt_run() checks, run from a kernel
 * thread at load time.  Results are KTAP lines ("ok N name", "not ok N name",
 * "# SKIP", "# diagnostics") in /sys/kernel/debug/padata_mt_selftest/results;
 * the in-guest suite (tests/guest/20-engine.sh) turns them into KTAP results.
 * Never installed by DKMS.  This file: the module parameters, the results,
 * the table of test groups and filter=, init and exit; the other files are
 * listed in selftest.h.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/debugfs.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/sched.h>

#include "ktap_out.h"
#include "padata_mt.h"
#include "selftest.h"

unsigned int st_combos = 1000;
module_param_named(combos, st_combos, uint, 0444);
MODULE_PARM_DESC(combos, "Random (start, size, align, min_chunk, max_threads) combinations for the exactly-once test (default 1000)");

unsigned int st_callers = 64;
module_param_named(callers, st_callers, uint, 0444);
MODULE_PARM_DESC(callers, "Concurrent callers in the pool-exhaustion test (default 64)");

unsigned int st_rounds = 100;
module_param_named(rounds, st_rounds, uint, 0444);
MODULE_PARM_DESC(rounds, "Jobs each concurrent caller runs back to back (default 100)");

bool st_lockdep_splat;
module_param_named(lockdep_splat, st_lockdep_splat, bool, 0444);
MODULE_PARM_DESC(lockdep_splat, "Run only the lockdep test, which provokes a lockdep report on purpose and so turns lockdep off (the debug-kernel lane runs it in a boot of its own)");

static bool topology;
module_param(topology, bool, 0444);
MODULE_PARM_DESC(topology, "Run only the placement battery for a guest with a node of several CPUs, two more nodes with CPUs and a memory-only node (tests/guest/topology.sh)");

static char *filter;
module_param(filter, charp, 0444);
MODULE_PARM_DESC(filter, "Run only the test groups whose names match one of these comma-separated glob patterns, e.g. filter=edges,numa* (default: all; the module log lists the groups when a pattern matches none)");

static struct ktap_out st_out;

void st_result(bool ok, const char *name, const char *skip)
{
	ktap_out_result(&st_out, ok, name, skip);
}

__printf(1, 2) void st_diag(const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	ktap_out_vdiag(&st_out, fmt, args);
	va_end(args);
}

static DECLARE_COMPLETION(st_done);

/*
 * The test groups, in the order they run.  Each group reports one or more
 * results; lockdep_splat=1 and topology=1 each run one battery of their
 * own instead of the default one.
 */
#define ST_DEFAULT	BIT(0)
#define ST_LOCKDEP	BIT(1)
#define ST_TOPOLOGY	BIT(2)

static const struct ktap_case st_groups[] = {
	{ "edges", test_edges, ST_DEFAULT },
	{ "inline", test_inline, ST_DEFAULT },
	{ "exactly_once", test_exactly_once, ST_DEFAULT },
	{ "error_undo", test_error_undo, ST_DEFAULT },
	{ "cancel", test_cancel, ST_DEFAULT },
	{ "multi_cpu", test_multi_cpu, ST_DEFAULT },
	{ "numa", test_numa, ST_DEFAULT },
	{ "nested", test_nested, ST_DEFAULT },
	{ "nested_from_helper", test_nested_from_helper, ST_DEFAULT },
	{ "thread_count", test_thread_count, ST_DEFAULT },
	{ "nice", test_nice, ST_DEFAULT },
	{ "concurrent_callers", test_concurrent_callers, ST_DEFAULT },
	{ "affinity", test_affinity, ST_DEFAULT },
	{ "positive_ret", test_positive_ret, ST_DEFAULT },
	{ "hostile", test_hostile, ST_DEFAULT },
	{ "lockdep", test_lockdep, ST_DEFAULT | ST_LOCKDEP },
	{ "topology", test_topology, ST_TOPOLOGY },
};

static unsigned int st_battery(void)
{
	if (st_lockdep_splat)
		return ST_LOCKDEP;
	return topology ? ST_TOPOLOGY : ST_DEFAULT;
}

static int st_main(void *unused)
{
	ktap_run_cases(st_groups, ARRAY_SIZE(st_groups), st_battery(), filter);
	kthread_complete_and_exit(&st_done, 0);
}

static int __init st_init(void)
{
	struct task_struct *t;
	struct dentry *dir;
	int ret;

	ret = ktap_check_filter(filter, st_groups, ARRAY_SIZE(st_groups),
				st_battery());
	if (ret)
		return ret;
	ret = ktap_out_init(&st_out, PAGE_SIZE * 4, true);
	if (ret)
		return ret;
	ret = st_jobs_init();
	if (ret) {
		ktap_out_free(&st_out);
		return ret;
	}
	/* Run from a kthread: the context helpers run in, and signals work. */
	t = kthread_run(st_main, NULL, "pmt_selftest");
	if (IS_ERR(t)) {
		st_jobs_exit();
		ktap_out_free(&st_out);
		return PTR_ERR(t);
	}
	/*
	 * The battery takes minutes on a debug kernel under TCG: wait idle,
	 * so the hung-task detector (20-engine.sh sets it to 10 s to watch
	 * padata_mt_run() callers) does not take this wait for a hang.
	 */
	wait_for_completion_state(&st_done, TASK_IDLE);
	dir = ktap_out_debugfs(&st_out, "padata_mt_selftest");
	st_jobs_debugfs(dir);
	st_hotplug_debugfs(dir);
	if (st_lockdep_splat)
		st_lockdep_debugfs(dir);
	pr_info("%u tests run\n", st_out.nr);
	return 0;
}

static void __exit st_exit(void)
{
	ktap_out_remove(&st_out);
	st_jobs_exit();
	ktap_out_free(&st_out);
}

module_init(st_init);
module_exit(st_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("padata_mt_run() self-test (test-only)");
