// SPDX-License-Identifier: GPL-2.0
/* memmap_test: placeholder until the memmap work lands. */
#include <linux/module.h>
#include <linux/debugfs.h>
#include "padata_mt.h"

static struct dentry *mt_dir;

static int __init memmap_test_init(void)
{
	struct padata_mt_task t = { };

	/* Really uses the export, so depmod orders the modules. */
	if (padata_mt_run(&t) == -12345)
		return -EINVAL;
	mt_dir = debugfs_create_dir("memmap_test", NULL);
	return 0;
}

static void __exit memmap_test_exit(void)
{
	debugfs_remove_recursive(mt_dir);
}

module_init(memmap_test_init);
module_exit(memmap_test_exit);
MODULE_LICENSE("GPL");
MODULE_VERSION(PADATA_MT_VERSION);
MODULE_DESCRIPTION("ZONE_DEVICE memmap hotplug and re-init with padata_mt");
