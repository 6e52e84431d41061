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
 * the kernel being built against is checked against its headers with
 * static_assert(), so a header that moved a field fails the build; the
 * refcounts, which live in mm's code rather than its headers, are checked
 * at the first reinit against the kernel-written pages (pageinit.c).
 *
 * On a kernel no row matches, the module still builds, loads and
 * hotplugs; reinit, async and sync refuse with -EOPNOTSUPP, naming the
 * running kernel and the rows.  PMT_LAYOUT_OMIT=1 at build time leaves out
 * the matching row, for the test that drives that refusal.
 */
#include <linux/build_bug.h>
#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/stddef.h>
#include <linux/utsname.h>

#include "compat.h"
#include "memmap_test.h"

/*
 * Word content shared by every validated row (x86_64, 64-byte struct
 * page): the flags word, the pgmap back pointer, zeroes (zone_device_data,
 * mapping, index, private, memcg_data), and _mapcount -1 beside _refcount.
 */
static const enum mt_word mt_words[MT_PAGE_WORDS] = {
	MT_W_FLAGS, MT_W_PGMAP, MT_W_ZERO, MT_W_ZERO,
	MT_W_ZERO, MT_W_ZERO, MT_W_COUNTS, MT_W_ZERO,
};

#define MT_REFCOUNTS_6_1						\
	{ [MEMORY_DEVICE_PRIVATE] = 0, [MEMORY_DEVICE_COHERENT] = 0,	\
	  [MEMORY_DEVICE_FS_DAX] = 1, [MEMORY_DEVICE_GENERIC] = 1,	\
	  [MEMORY_DEVICE_PCI_P2PDMA] = 1 }

/*
 * X(name, major, minor, NODES_SHIFT, NUMA_BALANCING, MEMCG, PG_reserved,
 *   NODES_PGSHIFT, ZONES_PGSHIFT, LAST_CPUPID_PGSHIFT or -1 when the last
 *   cpupid is not in page->flags)
 *
 * Debian's generic and cloud flavours enable NUMA_BALANCING, its rt
 * flavour does not; the debug kernels are defconfig-based (tests/kernels/).
 */
#define MT_LAYOUT_ROWS(X)						\
	X("6.1 Debian generic/cloud", 6, 1, 10, 1, 1, 12, 54, 51, 30)	\
	X("6.1 Debian rt", 6, 1, 10, 0, 1, 12, 54, 51, -1)		\
	X("6.1 debug (defconfig)", 6, 1, 6, 0, 1, 12, 58, 55, -1)	\
	X("6.12 Debian generic/cloud", 6, 12, 10, 1, 1, 13, 54, 51, 30)	\
	X("6.12 Debian rt", 6, 12, 10, 0, 1, 13, 54, 51, -1)		\
	X("6.12 debug (defconfig)", 6, 12, 6, 0, 0, 13, 58, 55, -1)

#define MT_ROW_MATCHES(maj, min, nodes, numab, memcg)			\
	(PMT_SERIES == PMT_SERIES_CODE(maj, min) &&			\
	 NODES_SHIFT == (nodes) &&					\
	 IS_ENABLED(CONFIG_NUMA_BALANCING) == (numab) &&		\
	 IS_ENABLED(CONFIG_MEMCG) == (memcg))

#ifdef LAST_CPUPID_NOT_IN_PAGE_FLAGS
#define MT_LAST_CPUPID_PGSHIFT	-1
#elif defined(LAST_CPUPID_PGSHIFT) && LAST_CPUPID_WIDTH
#define MT_LAST_CPUPID_PGSHIFT	LAST_CPUPID_PGSHIFT
#else
#define MT_LAST_CPUPID_PGSHIFT	-1
#endif

/* What every row assumes of the headers, whichever matches. */
static_assert(sizeof(struct page) == MT_PAGE_WORDS * sizeof(u64));
static_assert(offsetof(struct page, flags) == 0 * sizeof(u64));
static_assert(offsetof(struct page, pgmap) == 1 * sizeof(u64));
static_assert(offsetof(struct page, zone_device_data) == 2 * sizeof(u64));
static_assert(offsetof(struct page, mapping) == 3 * sizeof(u64));
static_assert(offsetof(struct page, PMT_PAGE_INDEX) == 4 * sizeof(u64));
static_assert(offsetof(struct page, private) == 5 * sizeof(u64));
static_assert(offsetof(struct page, _mapcount) == 6 * sizeof(u64));
static_assert(offsetof(struct page, _refcount) == 6 * sizeof(u64) + 4);
#ifdef CONFIG_MEMCG
static_assert(offsetof(struct page, memcg_data) == 7 * sizeof(u64));
#endif
static_assert(SECTIONS_WIDTH == 0);	/* SPARSEMEM_VMEMMAP */
static_assert(KASAN_TAG_WIDTH == 0);

/* The matching row, if any, against the headers. */
#define MT_ASSERT_ROW(name, maj, min, nodes, numab, memcg, pgres,	\
		      nshift, zshift, cshift)				\
	static_assert(!MT_ROW_MATCHES(maj, min, nodes, numab, memcg) ||	\
		      (PG_reserved == (pgres) &&			\
		       NODES_PGSHIFT == (nshift) &&			\
		       ZONES_PGSHIFT == (zshift) &&			\
		       MT_LAST_CPUPID_PGSHIFT == (cshift)),		\
		      name ": the headers differ from the validated row");
MT_LAYOUT_ROWS(MT_ASSERT_ROW)

#define MT_ROW(name, maj, min, nodes, numab, memcg, pgres, nshift,	\
	       zshift, cshift)						\
	{ name, pgres, nshift, zshift, cshift, MT_REFCOUNTS_6_1, mt_words },
static const struct mt_layout mt_layouts[] = {
	MT_LAYOUT_ROWS(MT_ROW)
};

#define MT_ROW_IS_BUILD(name, maj, min, nodes, numab, memcg, pgres,	\
			nshift, zshift, cshift)				\
	MT_ROW_MATCHES(maj, min, nodes, numab, memcg) ? (name) :
/* The name of the row the build matched, or NULL. */
static const char *const mt_build_row = MT_LAYOUT_ROWS(MT_ROW_IS_BUILD) NULL;

static const struct mt_layout *mt_this_layout;

/* Find the build's row once, at module load. */
void mt_layout_init(void)
{
	unsigned int i;

	if (IS_ENABLED(MT_LAYOUT_OMIT) || !mt_build_row)
		return;
	for (i = 0; i < ARRAY_SIZE(mt_layouts); i++)
		if (!strcmp(mt_layouts[i].name, mt_build_row))
			mt_this_layout = &mt_layouts[i];
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
		if (IS_ENABLED(MT_LAYOUT_OMIT) && mt_build_row &&
		    !strcmp(mt_layouts[i].name, mt_build_row))
			continue;
		strlcat(rows, i ? "; " : "", sizeof(rows));
		strlcat(rows, mt_layouts[i].name, sizeof(rows));
	}
	mt_kv(o, "layout_row=none\n");
	return mt_fail(o, -EOPNOTSUPP,
		       "kernel %s (NODES_SHIFT=%d NUMA_BALANCING=%d MEMCG=%d) has no validated struct page layout; validated: %s",
		       init_utsname()->release, NODES_SHIFT,
		       IS_ENABLED(CONFIG_NUMA_BALANCING),
		       IS_ENABLED(CONFIG_MEMCG), rows);
}
