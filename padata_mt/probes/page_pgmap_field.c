// SPDX-License-Identifier: GPL-2.0
/* struct page's pgmap: up to 6.14 (pairs with folio_pgmap). */
#include <linux/mm_types.h>
#include <linux/stddef.h>

unsigned long pmt_probe(void);
unsigned long pmt_probe(void)
{
	return offsetof(struct page, pgmap);
}
