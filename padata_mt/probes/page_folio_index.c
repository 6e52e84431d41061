// SPDX-License-Identifier: GPL-2.0
/* struct page's __folio_index: 6.16's name for index (pairs with page_index). */
#include <linux/mm_types.h>

unsigned long pmt_probe(struct page *page);
unsigned long pmt_probe(struct page *page)
{
	return page->__folio_index;
}
