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
 * 6.17 added WQ_PERCPU ("workqueue: Add new WQ_PERCPU flag"), to be set by
 * every per-CPU (bound) workqueue before unbound becomes alloc_workqueue()'s
 * default; Debian's 6.12.117 has it by backport.  Before it, a workqueue
 * without WQ_UNBOUND is per-CPU already.  Probed: PMT_HAVE_WQ_PERCPU.
 */
#include <linux/workqueue.h>
#if PMT_HAVE_WQ_PERCPU
#define PMT_WQ_PERCPU	WQ_PERCPU
#else
#define PMT_WQ_PERCPU	0
#endif

#endif /* _PADATA_MT_COMPAT_H */
