/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memmap_test, the validated struct page layouts as data (layout.c): what
 * memmap_init_zone_device() leaves in each word of a ZONE_DEVICE struct
 * page on the kernels reinit was checked on.  Calls out.h only.
 */
#ifndef _MT_LAYOUT_H
#define _MT_LAYOUT_H

#include <linux/init.h>
#include <linux/memremap.h>
#include <linux/types.h>

#include "out.h"

#define MT_PAGE_WORDS		8

/* What a word of a ZONE_DEVICE struct page holds after the kernel's init. */
enum mt_word {
	MT_W_ZERO,	/* 0 */
	MT_W_FLAGS,	/* zone, node, all-ones last cpupid, PG_reserved */
	MT_W_PGMAP,	/* the page's dev_pagemap */
	MT_W_COUNTS,	/* _mapcount -1, _refcount per pgmap type */
};

/* One validated row (see layout.c). */
struct mt_layout {
	const char *name;
	/* What the row applies to: PMT_SERIES_CODE() and the config. */
	unsigned int series;
	int nodes_shift;
	bool numa_balancing;
	bool memcg;
	/* What was validated there. */
	int pg_reserved;
	int nodes_pgshift;
	int zones_pgshift;
	int last_cpupid_pgshift;	/* -1: not in page->flags */
	s8 refcount[MEMORY_DEVICE_PCI_P2PDMA + 1];
	const enum mt_word *words;	/* MT_PAGE_WORDS of them */
};

struct page;

void __init mt_layout_init(void);
/* This kernel's row, or NULL (then mt_layout_refuse() says why). */
const struct mt_layout *mt_layout(void);
int mt_layout_refuse(struct mt_out *o);
int mt_layout_word_diff(const struct mt_layout *l, const struct page *page,
			int nid, const struct dev_pagemap *pgmap, u64 *want);

#endif /* _MT_LAYOUT_H */
