// SPDX-License-Identifier: GPL-2.0
/* page->flags as memdesc_flags_t, a struct: 6.18. */
#include <linux/mm_types.h>

unsigned long pmt_probe(const struct page *page);
unsigned long pmt_probe(const struct page *page)
{
	return page->flags.f;
}
