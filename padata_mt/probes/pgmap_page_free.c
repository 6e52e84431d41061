// SPDX-License-Identifier: GPL-2.0
/* dev_pagemap_ops.page_free: up to 6.18 (pairs with pgmap_folio_free). */
#include <linux/memremap.h>

unsigned long pmt_probe(void);
unsigned long pmt_probe(void)
{
	return sizeof(((struct dev_pagemap_ops *)0)->page_free);
}
