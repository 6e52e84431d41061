// SPDX-License-Identifier: GPL-2.0
/* page_mapcount_reset(): removed in 6.11 (commit "mm: remove page_mapcount_reset()"). */
#include <linux/mm.h>

void pmt_probe(struct page *page);
void pmt_probe(struct page *page)
{
	page_mapcount_reset(page);
}
