// SPDX-License-Identifier: GPL-2.0
/* dev_pagemap_ops.folio_free(struct folio *): 6.19 renamed page_free. */
#include <linux/memremap.h>

void pmt_probe_free(struct folio *folio);
void pmt_probe_free(struct folio *folio)
{
}

const struct dev_pagemap_ops pmt_probe_ops = {
	.folio_free = pmt_probe_free,
};
