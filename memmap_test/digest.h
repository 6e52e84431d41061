/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memmap_test, checking a region's struct pages (digest.c): per-section
 * xxh64 digests held against the kernel-written ones, the mismatch report
 * naming the first differing pfn and field, the verify walk, and the
 * names of struct page's words.  Calls region.h, layout.h, run.h, out.h,
 * and padata_mt.h for the verify job.
 */
#ifndef _MT_DIGEST_H
#define _MT_DIGEST_H

#include <linux/mm_types.h>
#include <linux/stddef.h>
#include <linux/types.h>

#include "compat.h"
#include "region.h"

#define MT_WORDS		(sizeof(struct page) / sizeof(u64))
#define MT_WORD_OF(f)		(offsetof(struct page, f) / sizeof(u64))
#define MT_PGMAP_WORD		(PMT_PGMAP_OFFSET / sizeof(u64))

/* Test-only: the digest check sees bit @bit of page @index flipped. */
#define MT_MAX_FLIPS		4
struct mt_flip {
	u64 index;
	unsigned int bit;
};

struct seq_file;

/* The struct page field at byte @off ("padding" between fields). */
const char *mt_field_name(size_t off);
/* Offset of the first byte in which @a and @b differ, or -1. */
int mt_page_diff(const struct page *a, const struct page *b);
/* The u64 word of @page holding byte @off. */
u64 mt_page_word(const struct page *page, int off);

/* Digests of sections [@s0, @s1) into @out[@s0 .. @s1 - 1]. */
int mt_digest_sections(struct mt_region *r, unsigned long s0,
		       unsigned long s1, u64 *out, const struct mt_ctx *c);
/*
 * Digest the region and hold it against r->kdigest: digest_match= and,
 * on a difference, the mismatch keys and -EIO.  The test-only @flips are
 * applied to what the digests read.
 */
int mt_check_digest_flips(struct mt_region *r, const struct mt_flip *flips,
			  unsigned int nr_flips, const struct mt_ctx *c);
int mt_check_digest(struct mt_region *r, const struct mt_ctx *c);
/* The same for sections [@s0, @s1), into an array of its own. */
int mt_check_digest_range(struct mt_region *r, unsigned long s0,
			  unsigned long s1, const struct mt_ctx *c);
/*
 * Without the kernel's digests (a region checked right after its plug and
 * a timed reinit): every struct page equal to its piece's kernel-written
 * reference page and every pageblock of the kernel's migratetype, where
 * the pages of a piece are all alike (r->tmpl_off < 0); ref_match= and,
 * on a difference, the mismatch keys and -EIO.
 */
int mt_check_ref(struct mt_region *r, const struct mt_ctx *c);
/* Check the fields every initialised page must have: the verify keys. */
int mt_verify(struct mt_region *r, const struct mt_ctx *c);
/* The control file's layout lines: where the fields of page->flags are. */
void mt_page_layout_show(struct seq_file *m);

#endif /* _MT_DIGEST_H */
