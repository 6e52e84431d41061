// SPDX-License-Identifier: GPL-2.0
/*
 * memmap_test: ZONE_DEVICE hotplug and struct page re-initialisation
 * driven by debugfs, multithreaded with padata_mt_run().  Module init and
 * exit only.  The layers, each calling only the ones below it:
 *
 *   main.c                 module init/exit
 *   debugfs.c              the debugfs files and the command thread
 *   parse.c                the strict parser: key table -> struct mt_args
 *   cmds.c                 the command table and its handlers; the region
 *   bench.c                the bench sweep, statistics, table
 *   memset.c               the memset ceiling
 *   async.c                the background re-initialisation and sync
 *   pageinit.c             layout check, reinit, the test-only poison
 *   digest.c               digests, mismatch reports, verify
 *   region.c               claiming, plugging and unplugging a range
 *   layout.c               the validated struct page layouts, as data
 *   run.c                  the job runner and max_memmap_pct
 *   out.c                  results as key=value lines (seq_buf)
 *
 * Each has a header of the same name saying what it may call.
 */
#include <linux/module.h>

#include "async.h"
#include "cmds.h"
#include "debugfs.h"
#include "layout.h"

static int __init memmap_test_init(void)
{
	int ret;

	mt_layout_init();
	ret = mt_async_init();
	if (ret)
		return ret;
	ret = mt_debugfs_init();
	if (ret)
		mt_async_exit();
	return ret;
}

static void __exit memmap_test_exit(void)
{
	/* No command runs or starts after this. */
	mt_debugfs_exit();
	/* Stops a background pass, then unplugs. */
	mt_cmds_exit();
	/* The pass ran this module's code: its queue goes last. */
	mt_async_exit();
}

module_init(memmap_test_init);
module_exit(memmap_test_exit);
MODULE_LICENSE("GPL");
MODULE_VERSION(PADATA_MT_VERSION);
MODULE_DESCRIPTION("ZONE_DEVICE memmap hotplug and re-init with padata_mt");
