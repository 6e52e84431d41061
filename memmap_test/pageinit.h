/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memmap_test, re-initialising a plugged region's struct pages and their
 * pageblocks' migratetype (pageinit.c): the layout check before the first
 * reinit, the one-pass reinit in three ways of writing a page (the store
 * kinds) and the two-pass reinit, a section at a time for the background
 * pass, and the test-only poison.  Calls digest.h, region.h, layout.h,
 * store.h, run.h, out.h.
 */
#ifndef _MT_PAGEINIT_H
#define _MT_PAGEINIT_H

#include <linux/types.h>

#include "region.h"

/*
 * How the one-pass reinit writes a struct page: copied from its piece's
 * validated template with plain or with non-temporal stores, or computed
 * in full from the kernel's helpers as memmap_init_zone_device() does.
 */
enum mt_store_kind {
	MT_STORE_COPY,
	MT_STORE_NT,
	MT_STORE_COMPUTE,
	MT_STORE_NR,
};

/* What reinit, async and sync use when store= is not given. */
#define MT_STORE_DEFAULT	MT_STORE_NT

extern const char * const mt_store_names[MT_STORE_NR];

struct mt_reinit_opts {
	bool poison;	/* test-only: scribble each section first */
	bool twopass;	/* memset the memmap, then an init that does not zero */
	/*
	 * Right after a plug: validate the layout but take no digest of the
	 * kernel's pages, so nothing reads the memmap before the timed init;
	 * the caller checks with mt_check_ref().
	 */
	bool fresh;
	enum mt_store_kind store;	/* the one-pass reinit's */
	s64 skip;	/* test-only: leave this page poisoned, or -1 */
	/* test-only: leave the pageblock of this page poisoned, or -1 */
	s64 skip_block;
};

/* The fields of a struct mt_reinit_opts initialiser that are not zero. */
#define MT_REINIT_DEFAULTS	.store = MT_STORE_DEFAULT, .skip = -1,	\
				.skip_block = -1

/*
 * Before a region's first reinit (or async pass): validate the layout and
 * record the digests of the kernel-written struct pages.
 */
int mt_reinit_prepare(struct mt_region *r, const struct mt_ctx *c);
/* Prepare, then re-initialise every struct page of @r; not digest-checked. */
int mt_reinit(struct mt_region *r, const struct mt_reinit_opts *opt,
	      const struct mt_ctx *c, u64 *ns, u64 *zero_ns);
void mt_init_section(struct mt_region *r, unsigned long s);
void mt_poison_section(struct mt_region *r, unsigned long s);

#endif /* _MT_PAGEINIT_H */
