// SPDX-License-Identifier: GPL-2.0
/*
 * dev_pagemap_ops.folio_free: 6.19 renamed page_free (pairs with
 * pgmap_page_free).  Only that the member exists: its arguments are
 * pgmap_folio_free_order's question.
 */
#include <linux/memremap.h>

unsigned long pmt_probe(void);
unsigned long pmt_probe(void)
{
	return sizeof(((struct dev_pagemap_ops *)0)->folio_free);
}
