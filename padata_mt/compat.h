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
