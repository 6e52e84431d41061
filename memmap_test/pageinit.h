/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memmap_test, re-initialising a plugged region's struct pages
 * (pageinit.c): the layout check before the first reinit, the one-pass
 * and two-pass reinit, a section at a time for the background pass, and
 * the test-only poison.  Calls digest.h, region.h, layout.h, run.h, out.h.
 */
#ifndef _MT_PAGEINIT_H
#define _MT_PAGEINIT_H

#include <linux/types.h>

#include "region.h"

struct mt_reinit_opts {
	bool poison;	/* test-only: scribble each section first */
	bool twopass;	/* memset the memmap, then an init that does not zero */
	s64 skip;	/* test-only: leave this page poisoned, or -1 */
};

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
