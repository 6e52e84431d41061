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
#include <linux/mmzone.h>
#include <linux/pageblock-flags.h>
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

/*
 * The pageblock flags of @pfn, which live beside the section rather than
 * in struct page: the word of the section's usemap holding them, and their
 * shift in it, as set_pfnblock_flags_mask() finds them (SPARSEMEM, whose
 * section_to_usemap() and SECTION_BLOCKFLAGS_BITS the headers give).
 */
static inline unsigned long *mt_pageblock_word(unsigned long pfn,
					       unsigned int *shift)
{
	unsigned long bit = ((pfn & (PAGES_PER_SECTION - 1)) >>
			     pageblock_order) * NR_PAGEBLOCK_BITS;

	*shift = bit % BITS_PER_LONG;
	return section_to_usemap(__pfn_to_section(pfn)) + bit / BITS_PER_LONG;
}

/* The usemap words of the section of @pfn. */
#define MT_USEMAP_WORDS		(SECTION_BLOCKFLAGS_BITS / BITS_PER_LONG)
static inline const unsigned long *mt_section_usemap(unsigned long pfn)
{
	return section_to_usemap(__pfn_to_section(pfn));
}

/* The migratetype of @pfn's pageblock (get_pfnblock_migratetype()). */
static inline unsigned int mt_pageblock_migratetype(unsigned long pfn)
{
	unsigned int shift;
	unsigned long *w = mt_pageblock_word(pfn, &shift);

	return (READ_ONCE(*w) >> shift) & MIGRATETYPE_MASK;
}

void __init mt_layout_init(void);
/* This kernel's row, or NULL (then mt_layout_refuse() says why). */
const struct mt_layout *mt_layout(void);
int mt_layout_refuse(struct mt_out *o);
int mt_layout_word_diff(const struct mt_layout *l, const struct page *page,
			int nid, const struct dev_pagemap *pgmap, u64 *want);

#endif /* _MT_LAYOUT_H */
