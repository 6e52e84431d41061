// SPDX-License-Identifier: GPL-2.0
/*
 * hello_pmt: a third-party module that uses padata_mt_run().
 *
 * Written against what the padata-mt-dkms package installs and nothing
 * else: the header in /usr/include/padata_mt/ and padata_mt's
 * Module.symvers for the kernel at hand (see Kbuild and README).
 *
 * At load time it runs one job -- the sum of i * i for i in [0, units) --
 * split across the CPUs by padata_mt_run(), checks the result against the
 * closed form n(n - 1)(2n - 1) / 6 and refuses to load if they differ.
 * The result stays readable in /sys/module/hello_pmt/parameters/.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <padata_mt.h>

/* 2^20 units keep n(n - 1)(2n - 1) below 2^64. */
#define HELLO_PMT_MAX_UNITS (1UL << 20)

static ulong units = 1UL << 16;
module_param(units, ulong, 0444);
MODULE_PARM_DESC(units, "units in the job run at load time (1..1048576)");

static unsigned long long sum;
module_param(sum, ullong, 0444);
MODULE_PARM_DESC(sum, "result of the job: the sum of i * i over [0, units)");

static uint chunks;
module_param(chunks, uint, 0444);
MODULE_PARM_DESC(chunks, "how many chunks padata_mt_run() split the job into");

static atomic64_t hello_pmt_acc = ATOMIC64_INIT(0);
static atomic_t hello_pmt_chunks = ATOMIC_INIT(0);

static int hello_pmt_chunk(unsigned long start, unsigned long end,
			     void *arg)
{
	u64 s = 0;
	unsigned long i;

	for (i = start; i < end; i++)
		s += (u64)i * i;
	atomic64_add(s, &hello_pmt_acc);
	atomic_inc(&hello_pmt_chunks);
	return 0;
}

static int __init hello_pmt_init(void)
{
	struct padata_mt_task task = {
		.thread_fn = hello_pmt_chunk,
		.start = 0,
		.size = units,
		.min_chunk = 1024,
	};
	u64 n = units, want;
	int ret;

	if (!units || units > HELLO_PMT_MAX_UNITS) {
		pr_err("units=%lu: use 1..%lu\n", units,
		       HELLO_PMT_MAX_UNITS);
		return -EINVAL;
	}
	want = div_u64(n * (n - 1) * (2 * n - 1), 6);

	ret = padata_mt_run(&task);
	if (ret) {
		pr_err("padata_mt_run() failed: %d\n", ret);
		return ret;
	}
	sum = atomic64_read(&hello_pmt_acc);
	chunks = atomic_read(&hello_pmt_chunks);
	if (sum != want) {
		pr_err("sum of squares below %lu is %llu, expected %llu\n",
		       units, sum, want);
		return -EIO;
	}
	pr_info("%lu units in %u chunks, sum of squares %llu, as expected\n",
		units, chunks, sum);
	return 0;
}

static void __exit hello_pmt_exit(void)
{
}

module_init(hello_pmt_init);
module_exit(hello_pmt_exit);
MODULE_DESCRIPTION("Example user of padata_mt_run(), built against padata-mt-dkms");
MODULE_LICENSE("GPL");
