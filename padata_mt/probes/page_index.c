// SPDX-License-Identifier: GPL-2.0
/* struct page's index field: renamed __folio_index in 6.16. */
#include <linux/mm_types.h>

unsigned long pmt_probe(struct page *page);
unsigned long pmt_probe(struct page *page)
{
	return page->index;
}
