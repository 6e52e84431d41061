// SPDX-License-Identifier: GPL-2.0
/* Must compile everywhere: proves the probe compiler and its flags work. */
#include <linux/mm.h>
#include <linux/workqueue.h>

int pmt_probe(struct page *page);
int pmt_probe(struct page *page)
{
	return page_ref_count(page) + (system_unbound_wq != NULL);
}
