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
 * 6.16 renamed struct page's index to __folio_index ("mm: rename
 * page->index to page->__folio_index"); the word is the same.  The name of
 * the field, for offsetof() and for reading it.  Probed:
 * PMT_HAVE_PAGE_INDEX.  Written, never compiled: no 6.16 header here.
 */
#if PMT_HAVE_PAGE_INDEX
#define PMT_PAGE_INDEX	index
#else
#define PMT_PAGE_INDEX	__folio_index
#endif

#endif /* _PADATA_MT_COMPAT_H */
