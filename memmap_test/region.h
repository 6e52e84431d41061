/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memmap_test, the region: a section-aligned physical range claimed in
 * iomem and plugged as ZONE_DEVICE memory in pieces, each its own
 * dev_pagemap; and the per-section init state the layers above share.
 * Calls run.h and out.h only; nothing here knows about commands, the
 * background pass or digests (whose arrays it merely frees).
 */
#ifndef _MT_REGION_H
#define _MT_REGION_H

#include <linux/atomic.h>
#include <linux/math.h>
#include <linux/minmax.h>
#include <linux/mmzone.h>
#include <linux/memremap.h>
#include <linux/mm_types.h>
#include <linux/types.h>
#include <linux/workqueue.h>

#include "run.h"

#define MT_MAX_PIECES		65536U

/* What to plug; built by the command handlers. */
struct mt_plug_req {
	u64 size;
	u64 base;
	bool has_base;
	unsigned int pieces;	/* 0: mt_default_pieces() */
	int nid;		/* NUMA_NO_NODE: first_memory_node */
	int fail_piece;		/* test-only: the piece that fails with EIO, or -1 */
};

/* One section-aligned piece of the region: its own pgmap with one range. */
struct mt_piece {
	struct dev_pagemap pgmap;
	unsigned long start_pfn;
	unsigned long nr_pages;
	bool plugged;
	/* A copy of the kernel-written struct page of start_pfn. */
	struct page ref;
	/* The validated page every struct page of the piece is copied from. */
	struct page tmpl;
	/* Unplug with threads>1: this piece's memunmap_pages() (region.c). */
	struct work_struct unplug_work;
};

struct mt_region {
	struct resource *res;
	u64 base;
	u64 size;
	unsigned long start_pfn;
	unsigned long nr_pages;
	unsigned long nr_sections;
	int nid;
	unsigned int nr_pieces;
	unsigned int plug_threads;
	struct mt_piece *pieces;
	/* Per-section digests of the kernel's own struct pages (first reinit). */
	u64 *kdigest;
	/* Per-section digests after the last reinit. */
	u64 *digest;
	bool layout_ok;
	/*
	 * Set with layout_ok: the migratetype the kernel gave every pageblock,
	 * and -1 if every page of a piece is alike (the template stores may
	 * run), else the first byte in which the first and last differ.
	 */
	unsigned int migratetype;
	int tmpl_off;
	/* Test-only: the piece whose plug fails with -EIO, or -1. */
	int fail_piece;
	/*
	 * Per-section init state (enum mt_sec_state), all DONE once plugged.
	 * And how many times each section was initialised in the current
	 * async pass.
	 */
	atomic_t *sec_state;
	atomic_t *sec_inits;
};

/*
 * A section goes NOT_STARTED -> IN_PROGRESS only by atomic_cmpxchg(), so
 * exactly one thread initialises it, and IN_PROGRESS -> DONE only once
 * all its struct pages are written: a section being initialised when a
 * pass is cancelled is finished first.  Only an async start and the first
 * pass of a two-pass reinit (with no pass running) set sections back to
 * NOT_STARTED.
 */
enum mt_sec_state {
	MT_SEC_NOT_STARTED,
	MT_SEC_IN_PROGRESS,
	MT_SEC_DONE,
};

/* Reinit (no pass running) has initialised section @s. */
static inline void mt_section_done(struct mt_region *r, unsigned long s)
{
	atomic_set(&r->sec_state[s], MT_SEC_DONE);
}

static inline bool mt_section_is_done(const struct mt_region *r,
				      unsigned long s)
{
	return atomic_read_acquire(&r->sec_state[s]) == MT_SEC_DONE;
}

/* Pages from index @start to the next section boundary or @end. */
static inline unsigned long mt_section_run_len(unsigned long start,
					       unsigned long end)
{
	return min(end, round_down(start, PAGES_PER_SECTION) +
		   PAGES_PER_SECTION) - start;
}

/*
 * Plug a new region with @c->threads; an ERR_PTR() on failure, with
 * nothing left plugged or claimed.  The caller owns the region.
 */
struct mt_region *mt_region_plug(const struct mt_plug_req *req,
				 const struct mt_ctx *c, u64 *ns);
/*
 * Unplug and free @r; cannot fail.  Nothing else may touch its memmap
 * any more: the caller has stopped a background pass over it first.
 */
void mt_region_unplug(struct mt_region *r, unsigned int threads, u64 *ns);
struct mt_piece *mt_piece_of_pfn(const struct mt_region *r, unsigned long pfn);
/* The region_* result keys; region_plugged=0 for NULL. */
void mt_region_kv(const struct mt_region *r, struct mt_out *o);
unsigned long mt_high_memory_pfn(void);
u64 mt_dma_required_mask(void);

#endif /* _MT_REGION_H */
