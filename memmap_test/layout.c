// SPDX-License-Identifier: GPL-2.0
/*
 * memmap_test: the struct page layouts reinit has been validated against,
 * as data.
 *
 * A row names a kernel series and the config options that change what
 * memmap_init_zone_device() leaves in a ZONE_DEVICE struct page (NODES_SHIFT
 * and NUMA_BALANCING move fields of page->flags, MEMCG adds memcg_data),
 * and gives what was validated there: the size of struct page, each word's
 * offset and expected content, the shifts of the flags fields, the
 * PG_reserved bit and the refcount of each pgmap type.  The row matching
 * the kernel being built against must agree with its headers in every fact
 * it gives (the compiler decides it, mt_row_is_build()); the refcounts and
 * the word contents, which live in mm's code rather than in its headers,
 * are checked at the first reinit against the kernel-written pages
 * (pageinit.c).  Only the GENERIC (Debian kernels) and PRIVATE (the debug
 * kernels, DEVICE_PRIVATE=y) refcounts are ever checked that way; the
 * others are from the source of mm/mm_init.c.
 *
 * On a kernel no row matches, the module still builds, loads and
 * hotplugs; reinit, async and sync refuse with -EOPNOTSUPP, naming the
 * running kernel and the rows.  Test builds: PMT_LAYOUT_OMIT=1 leaves out
 * the matching row, PMT_LAYOUT_CORRUPT=1 gets every refcount of it wrong,
 * for the tests that drive those refusals (tests/guest/15-layout.sh).
 */
#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/stddef.h>
#include <linux/utsname.h>

#include "compat.h"
#include "layout.h"

/*
 * Word content shared by every validated row (x86_64, 64-byte struct
 * page): the flags word, the pgmap back pointer, zeroes (zone_device_data,
 * mapping, index, private, memcg_data), and _mapcount -1 beside _refcount.
 */
static const enum mt_word mt_words[MT_PAGE_WORDS] = {
	MT_W_FLAGS, MT_W_PGMAP, MT_W_ZERO, MT_W_ZERO,
	MT_W_ZERO, MT_W_ZERO, MT_W_COUNTS, MT_W_ZERO,
};

/*
 * Up to 6.14 PRIVATE and COHERENT pages start at refcount 0, the others at
 * 1.  From 6.15 FS_DAX and PCI_P2PDMA pages start at 0 too (compat.h):
 * a row for 6.15 or later takes its refcounts from that rule.
 */
#define MT_REFCOUNTS_TO_6_14						\
	{ [MEMORY_DEVICE_PRIVATE] = 0, [MEMORY_DEVICE_COHERENT] = 0,	\
	  [MEMORY_DEVICE_FS_DAX] = 1, [MEMORY_DEVICE_GENERIC] = 1,	\
	  [MEMORY_DEVICE_PCI_P2PDMA] = 1 }

/*
 * The rows.  Debian's generic and cloud flavours enable NUMA_BALANCING
 * (the last cpupid lives in page->flags), its rt flavour does not; the
 * debug kernels are defconfig-based (tests/kernels/).  last_cpupid_pgshift
 * is -1 where the last cpupid is not in page->flags.
 */
#define MT_ROW_6_1_DEBIAN {						\
	.name = "6.1 Debian generic/cloud",				\
	.series = PMT_SERIES_CODE(6, 1), .nodes_shift = 10,		\
	.numa_balancing = true, .memcg = true,				\
	.pg_reserved = 12, .nodes_pgshift = 54, .zones_pgshift = 51,	\
	.last_cpupid_pgshift = 30,					\
	.refcount = MT_REFCOUNTS_TO_6_14, .words = mt_words }
#define MT_ROW_6_1_DEBIAN_RT {						\
	.name = "6.1 Debian rt",					\
	.series = PMT_SERIES_CODE(6, 1), .nodes_shift = 10,		\
	.numa_balancing = false, .memcg = true,				\
	.pg_reserved = 12, .nodes_pgshift = 54, .zones_pgshift = 51,	\
	.last_cpupid_pgshift = -1,					\
	.refcount = MT_REFCOUNTS_TO_6_14, .words = mt_words }
#define MT_ROW_6_1_DEBUG {						\
	.name = "6.1 debug (defconfig)",				\
	.series = PMT_SERIES_CODE(6, 1), .nodes_shift = 6,		\
	.numa_balancing = false, .memcg = false,				\
	.pg_reserved = 12, .nodes_pgshift = 58, .zones_pgshift = 55,	\
	.last_cpupid_pgshift = -1,					\
	.refcount = MT_REFCOUNTS_TO_6_14, .words = mt_words }
#define MT_ROW_6_12_DEBIAN {						\
	.name = "6.12 Debian generic/cloud",				\
	.series = PMT_SERIES_CODE(6, 12), .nodes_shift = 10,		\
	.numa_balancing = true, .memcg = true,				\
	.pg_reserved = 13, .nodes_pgshift = 54, .zones_pgshift = 51,	\
	.last_cpupid_pgshift = 30,					\
	.refcount = MT_REFCOUNTS_TO_6_14, .words = mt_words }
#define MT_ROW_6_12_DEBIAN_RT {						\
	.name = "6.12 Debian rt",					\
	.series = PMT_SERIES_CODE(6, 12), .nodes_shift = 10,		\
	.numa_balancing = false, .memcg = true,				\
	.pg_reserved = 13, .nodes_pgshift = 54, .zones_pgshift = 51,	\
	.last_cpupid_pgshift = -1,					\
	.refcount = MT_REFCOUNTS_TO_6_14, .words = mt_words }
#define MT_ROW_6_12_DEBUG {						\
	.name = "6.12 debug (defconfig)",				\
	.series = PMT_SERIES_CODE(6, 12), .nodes_shift = 6,		\
	.numa_balancing = false, .memcg = false,			\
	.pg_reserved = 13, .nodes_pgshift = 58, .zones_pgshift = 55,	\
	.last_cpupid_pgshift = -1,					\
	.refcount = MT_REFCOUNTS_TO_6_14, .words = mt_words }

static const struct mt_layout mt_layouts[] = {
	MT_ROW_6_1_DEBIAN, MT_ROW_6_1_DEBIAN_RT, MT_ROW_6_1_DEBUG,
	MT_ROW_6_12_DEBIAN, MT_ROW_6_12_DEBIAN_RT, MT_ROW_6_12_DEBUG,
};

#ifdef LAST_CPUPID_NOT_IN_PAGE_FLAGS
#define MT_LAST_CPUPID_PGSHIFT	-1
#elif LAST_CPUPID_WIDTH
#define MT_LAST_CPUPID_PGSHIFT	LAST_CPUPID_PGSHIFT
#else
#define MT_LAST_CPUPID_PGSHIFT	-1
#endif

/* The shape of struct page every row assumes: 8 words, in this order. */
#ifdef CONFIG_MEMCG
#define MT_MEMCG_WORD_OK	(offsetof(struct page, memcg_data) == 7 * 8)
#else
#define MT_MEMCG_WORD_OK	true
#endif
#define MT_PAGE_SHAPE_OK						\
	(sizeof(struct page) == MT_PAGE_WORDS * 8 &&			\
	 offsetof(struct page, flags) == 0 &&				\
	 PMT_PGMAP_OFFSET == 1 * 8 &&					\
	 offsetof(struct page, zone_device_data) == 2 * 8 &&		\
	 offsetof(struct page, mapping) == 3 * 8 &&			\
	 offsetof(struct page, PMT_PAGE_INDEX) == 4 * 8 &&		\
	 offsetof(struct page, private) == 5 * 8 &&			\
	 offsetof(struct page, _mapcount) == 6 * 8 &&			\
	 offsetof(struct page, _refcount) == 6 * 8 + 4 &&		\
	 MT_MEMCG_WORD_OK && SECTIONS_WIDTH == 0 && KASAN_TAG_WIDTH == 0)

/*
 * Does row @l describe the kernel being built against: its key (series
 * and config) and every fact it gives about the headers?  Everything here
 * is a compile-time constant, so the answer is computed by the compiler: a
 * kernel whose headers differ from every row in any of these builds, loads
 * and hotplugs, and refuses what writes struct pages (mt_layout_refuse()),
 * rather than failing to build.  A row that stops matching the kernel it
 * was written for is caught by tests/guest/15-layout.sh, which knows which
 * row each lane's kernel must match.
 */
static inline bool mt_row_is_build(const struct mt_layout *l)
{
	return l->series == PMT_SERIES && l->nodes_shift == NODES_SHIFT &&
	       l->numa_balancing == IS_ENABLED(CONFIG_NUMA_BALANCING) &&
	       l->memcg == IS_ENABLED(CONFIG_MEMCG) &&
	       l->pg_reserved == PG_reserved &&
	       l->nodes_pgshift == NODES_PGSHIFT &&
	       l->zones_pgshift == ZONES_PGSHIFT &&
	       l->last_cpupid_pgshift == MT_LAST_CPUPID_PGSHIFT &&
	       MT_PAGE_SHAPE_OK;
}

static const struct mt_layout *mt_this_layout;
/* The row a PMT_LAYOUT_OMIT=1 build left out, so the message omits it too. */
static const struct mt_layout *mt_omitted;
#ifdef MT_LAYOUT_CORRUPT
/* Test-only: the matching row with every refcount wrong. */
static struct mt_layout mt_corrupted;
#endif

/* Find the row of the kernel this module was built for, once. */
void __init mt_layout_init(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(mt_layouts); i++)
		if (mt_row_is_build(&mt_layouts[i]))
			break;
	if (i == ARRAY_SIZE(mt_layouts))
		return;
#if defined(MT_LAYOUT_OMIT)
	mt_omitted = &mt_layouts[i];
#elif defined(MT_LAYOUT_CORRUPT)
	mt_corrupted = mt_layouts[i];
	for (i = 0; i < ARRAY_SIZE(mt_corrupted.refcount); i++)
		mt_corrupted.refcount[i] ^= 1;
	mt_this_layout = &mt_corrupted;
#else
	mt_this_layout = &mt_layouts[i];
#endif
}

const struct mt_layout *mt_layout(void)
{
	return mt_this_layout;
}

/* What word @w of a ZONE_DEVICE struct page holds after the kernel's init. */
static u64 mt_layout_word(const struct mt_layout *l, unsigned int w,
			  int nid, const struct dev_pagemap *pgmap)
{
	u64 x = 0;

	switch (l->words[w]) {
	case MT_W_ZERO:
		break;
	case MT_W_FLAGS:
		x = (u64)ZONE_DEVICE << l->zones_pgshift |
		    (u64)nid << l->nodes_pgshift | BIT_ULL(l->pg_reserved);
		if (l->last_cpupid_pgshift >= 0)
			x |= (u64)LAST_CPUPID_MASK << l->last_cpupid_pgshift;
		break;
	case MT_W_PGMAP:
		x = (unsigned long)pgmap;
		break;
	case MT_W_COUNTS:
		x = (u32)-1 | (u64)l->refcount[pgmap->type] << 32;
		break;
	}
	return x;
}

/*
 * The first word of the kernel-written @page that is not what the row
 * says, or -1; @want gets what the row expected there.
 */
int mt_layout_word_diff(const struct mt_layout *l, const struct page *page,
			int nid, const struct dev_pagemap *pgmap, u64 *want)
{
	const u64 *w = (const u64 *)page;
	unsigned int i;

	for (i = 0; i < MT_PAGE_WORDS; i++) {
		*want = mt_layout_word(l, i, nid, pgmap);
		if (w[i] != *want)
			return i;
	}
	return -1;
}

int mt_layout_refuse(struct mt_out *o)
{
	char rows[256] = "";
	unsigned int i;

	if (mt_this_layout)
		return 0;
	for (i = 0; i < ARRAY_SIZE(mt_layouts); i++) {
		if (&mt_layouts[i] == mt_omitted)
			continue;
		strlcat(rows, rows[0] ? "; " : "", sizeof(rows));
		strlcat(rows, mt_layouts[i].name, sizeof(rows));
	}
	mt_kv(o, "layout_row=none\n");
	return mt_fail(o, -EOPNOTSUPP,
		       "kernel %s (NODES_SHIFT=%d NUMA_BALANCING=%d MEMCG=%d PG_reserved=%d struct page %zu bytes) has no validated struct page layout; validated: %s",
		       init_utsname()->release, NODES_SHIFT,
		       IS_ENABLED(CONFIG_NUMA_BALANCING),
		       IS_ENABLED(CONFIG_MEMCG), PG_reserved,
		       sizeof(struct page), rows);
}
