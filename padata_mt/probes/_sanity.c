// SPDX-License-Identifier: GPL-2.0
/*
 * Must compile on every kernel: proves the probe compiler and its flags
 * work.  Only long-stable API here.
 */
#include <linux/mm.h>
#include <linux/slab.h>

int pmt_probe(struct page *page);
int pmt_probe(struct page *page)
{
	void *p = kmalloc(8, GFP_KERNEL);

	kfree(p);
	return page_ref_count(page);
}
