// SPDX-License-Identifier: GPL-2.0
/* struct folio's pgmap: 6.15 moved it there from struct page. */
#include <linux/mm_types.h>
#include <linux/stddef.h>

unsigned long pmt_probe(void);
unsigned long pmt_probe(void)
{
	return offsetof(struct folio, pgmap);
}
