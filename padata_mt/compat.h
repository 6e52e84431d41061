/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel-version shims for padata_mt and memmap_test: the only place that
 * tests LINUX_VERSION_CODE.  One shim per kernel change, each with a comment
 * naming the version that made it necessary.  Supported: 6.1 and later.
 */
#ifndef _PADATA_MT_COMPAT_H
#define _PADATA_MT_COMPAT_H

#include <linux/version.h>

#include "pmt_probes.h"

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 1, 0)
#error "padata_mt needs Linux 6.1 or later"
#endif

/*
 * DEFINE_DEBUGFS_ATTRIBUTE_SIGNED() (parses "-1") appeared in 6.2 and was
 * backported to 6.1.y stable (Debian's 6.1 has it).  Older 6.1 trees: the
 * unsigned parser, so "-1" is refused there; any other value works.
 */
#include <linux/debugfs.h>
#ifndef DEFINE_DEBUGFS_ATTRIBUTE_SIGNED
#define DEFINE_DEBUGFS_ATTRIBUTE_SIGNED DEFINE_DEBUGFS_ATTRIBUTE
#endif

/*
 * The kernel series being built for, for data keyed by series (memmap_test's
 * validated struct page layouts): not a shim, and never a feature test.
 */
#define PMT_SERIES_CODE(major, minor)	((major) << 8 | (minor))
#define PMT_SERIES	(LINUX_VERSION_CODE >> 8)

/*
 * 6.11 removed page_mapcount_reset() ("mm: remove page_mapcount_reset()"):
 * what it did is set _mapcount to -1, which is what later kernels' init
 * writes in its place.  Probed: PMT_HAVE_PAGE_MAPCOUNT_RESET.
 */
#include <linux/mm.h>
static inline void pmt_page_mapcount_reset(struct page *page)
{
#if PMT_HAVE_PAGE_MAPCOUNT_RESET
	page_mapcount_reset(page);
#else
	atomic_set(&page->_mapcount, -1);
#endif
}

/*
 * 6.16 renamed struct page's index to __folio_index (acc53a0b4c15, "mm:
 * rename page->index to page->__folio_index"); the word is the same.  The
 * field's name, for offsetof().  Probed: PMT_HAVE_PAGE_INDEX.  Written,
 * never compiled: no header here has the new name.
 */
#if PMT_HAVE_PAGE_INDEX
#define PMT_PAGE_INDEX	index
#else
#define PMT_PAGE_INDEX	__folio_index
#endif

/*
 * 6.15 moved the ZONE_DEVICE back pointer from struct page to struct folio
 * (82ba975e4c43, "mm: allow compound zone device pages"): the kernel writes
 * page_folio(page)->pgmap and reads page_pgmap().  For the order-0 pages
 * memmap_test plugs the folio is the page itself and the word is the same
 * (word 1).  Probed: PMT_HAVE_FOLIO_PGMAP.  Written, never compiled.
 */
#include <linux/memremap.h>
#if PMT_HAVE_FOLIO_PGMAP
#define PMT_PGMAP_OFFSET	offsetof(struct folio, pgmap)
static inline void pmt_page_set_pgmap(struct page *page,
				      struct dev_pagemap *pgmap)
{
	((struct folio *)page)->pgmap = pgmap;
}

static inline struct dev_pagemap *pmt_page_pgmap(const struct page *page)
{
	return page_pgmap(page);
}
#else
#define PMT_PGMAP_OFFSET	offsetof(struct page, pgmap)
static inline void pmt_page_set_pgmap(struct page *page,
				      struct dev_pagemap *pgmap)
{
	page->pgmap = pgmap;
}

static inline struct dev_pagemap *pmt_page_pgmap(const struct page *page)
{
	return page->pgmap;
}
#endif

/*
 * The same release made FS_DAX and PCI_P2PDMA pages start at refcount 0
 * like PRIVATE and COHERENT ones (38607c62b34b, "fs/dax: properly refcount
 * fs dax pages"; b7e282378773, "mm/mm_init: move p2pdma page refcount
 * initialisation to p2pdma"); GENERIC stays 1.  That is data, not a shim:
 * memmap_test/layout.c keeps the refcount of each type per validated row.
 */

/*
 * 6.19 renamed dev_pagemap_ops.page_free(struct page *) to
 * folio_free(struct folio *) (3a5a06554566, "mm/zone_device: rename
 * page_free callback to folio_free").  A callback is declared
 * "void fn(PMT_PGMAP_FREE_ARG *)" and set with ".PMT_PGMAP_FREE = fn".
 * Probed: PMT_HAVE_PGMAP_FOLIO_FREE.  Written, never compiled.
 */
#if PMT_HAVE_PGMAP_FOLIO_FREE
#define PMT_PGMAP_FREE		folio_free
#define PMT_PGMAP_FREE_ARG	struct folio
#else
#define PMT_PGMAP_FREE		page_free
#define PMT_PGMAP_FREE_ARG	struct page
#endif

/*
 * 6.18 made page->flags a struct, memdesc_flags_t (53fbef56e07d, "mm:
 * introduce memdesc_flags_t"); offset and size are unchanged.  The flags
 * word as an integer, for code that must read it whole.  Probed:
 * PMT_HAVE_MEMDESC_FLAGS.  Written, never compiled.
 */
#if PMT_HAVE_MEMDESC_FLAGS
#define pmt_page_flags(page)	((page)->flags.f)
#else
#define pmt_page_flags(page)	((page)->flags)
#endif

/*
 * request_free_mem_region() exists only with CONFIG_GET_FREE_REGION, which
 * DEVICE_PRIVATE and CXL_REGION select (Debian: CXL_REGION=y).  A config
 * difference, not a version one; without it hotplug needs base=.
 */
#include <linux/ioport.h>
#include <linux/err.h>
static inline struct resource *
pmt_request_free_mem_region(struct resource *base, unsigned long size,
			    const char *name)
{
#if IS_ENABLED(CONFIG_GET_FREE_REGION)
	return request_free_mem_region(base, size, name);
#else
	return ERR_PTR(-EOPNOTSUPP);
#endif
}

/*
 * get_random_u32_below() came with upstream e9a688bcb193 ("random: use
 * rejection sampling for uniform bounded random integers", 6.2) and reached
 * 6.1.y in 6.1.4; 6.1.0-6.1.3 have prandom_u32_max(), which computed the
 * same multiply-shift of get_random_u32() (slightly biased, which the
 * bench's random pfn does not mind).  Probed: PMT_HAVE_GET_RANDOM_U32_BELOW.
 */
#include <linux/random.h>
#if !PMT_HAVE_GET_RANDOM_U32_BELOW
static inline u32 get_random_u32_below(u32 ceil)
{
	return (u32)(((u64)get_random_u32() * ceil) >> 32);
}
#endif

/*
 * Before upstream ea72ce5da228 ("x86/kaslr: Expose and use the end of the
 * physical memory address space", 6.11, in Debian's 6.1.192) there is no
 * PHYSMEM_END and request_free_mem_region() may hand out a range beyond the
 * direct map; such kernels predate 7170130e4c72 ("x86/mm/init: Handle the
 * special case of device private pages in add_pages(), to not increase
 * max_pfn and trigger dma_addressing_limited() bounce buffers", 6.15) too,
 * so a ZONE_DEVICE plug above max_pfn raises max_pfn, max_low_pfn and
 * high_memory for good.  memmap_test then plugs nothing above high_memory.
 * Probed: PMT_HAVE_PHYSMEM_END.
 */
#define PMT_PLUG_RAISES_MAX_PFN	(!PMT_HAVE_PHYSMEM_END)

#endif /* _PADATA_MT_COMPAT_H */
