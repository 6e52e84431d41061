// SPDX-License-Identifier: GPL-2.0
/* padata_mt engine: placeholder until the engine lands. */
#include <linux/module.h>
#include "padata_mt.h"

int padata_mt_run(const struct padata_mt_task *task)
{
	return -EOPNOTSUPP;
}
EXPORT_SYMBOL_GPL(padata_mt_run);

static int __init padata_mt_init(void)
{
	return 0;
}

static void __exit padata_mt_exit(void)
{
}

module_init(padata_mt_init);
module_exit(padata_mt_exit);
MODULE_LICENSE("GPL");
MODULE_VERSION(PADATA_MT_VERSION);
MODULE_DESCRIPTION("Multithreaded jobs for modules after boot");
