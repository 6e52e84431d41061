// SPDX-License-Identifier: GPL-2.0
/*
 * dev_pagemap_ops.folio_free(struct folio *, unsigned int order): the order
 * argument proposed after 6.19 ("mm/zone_device: Add order argument to
 * folio_free callback").  Compiles only where the member has that type.
 */
#include <linux/build_bug.h>
#include <linux/compiler.h>
#include <linux/memremap.h>

void pmt_probe_free(struct folio *folio, unsigned int order);
static_assert(__same_type(((struct dev_pagemap_ops *)0)->folio_free,
			  &pmt_probe_free));
