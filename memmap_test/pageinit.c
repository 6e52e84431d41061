// SPDX-License-Identifier: GPL-2.0
/*
 * memmap_test: deferred-style re-initialisation of a plugged region's
 * struct pages and pageblocks (pageinit.h).
 *
 * mt_init_page() computes what memmap_init_zone_device() leaves in a
 * ZONE_DEVICE struct page on this kernel: a zeroed page with zone and node
 * links, refcount 1 (0 for device-private/coherent pages), mapcount and
 * last_cpupid reset, PG_reserved, the pgmap back pointer and a NULL
 * zone_device_data.  It is built from the kernel's own inline helpers.
 * The kernel then marks every pageblock of the range MIGRATE_MOVABLE
 * (flags kept beside the section, not in struct page); reinit writes the
 * same migratetype, so its work equals the kernel's.
 *
 * With the SPARSEMEM_VMEMMAP kernels we build for, nothing of that page
 * depends on its pfn: the struct pages of one piece are all alike.  The
 * default store therefore computes one page per piece, the template, and
 * writes every page of the piece as a copy of it, eight word stores a
 * page (store=copy), or the same with non-temporal stores (store=nt);
 * store=compute computes every page in full, as the kernel does.
 *
 * Before a region's first reinit the layout is validated: mt_init_page()
 * of a scratch page must reproduce the kernel-written struct page of the
 * first and last pfn of every piece byte for byte, and the kernel must
 * have given those pfns' pageblocks one migratetype, or reinit is refused.
 * The template store also needs the first and last page computed alike.
 * A copy of each piece's first kernel-written page is kept as the
 * reference, and a digest of every section's kernel-written struct pages
 * and pageblock flags is recorded (digest.c).
 *
 * The test-only poison scribbles only the words no reader of a ZONE_DEVICE
 * page takes a pointer or a zone from, so a poisoned page of a live pgmap
 * stays readable: flags (zone and node links, which memunmap_pages() and
 * page_zone() use), the compound_head/pgmap word (page_folio()), mapping
 * (memory_failure() through dax_lock_page()/dax_lock_folio()) and
 * memcg_data keep what was there; zone_device_data, index, private,
 * _mapcount and _refcount get 0xaa, which every digest and verify sees.
 * It gives the pageblocks another migratetype (the kernel's with bit 0
 * flipped: MIGRATE_UNMOVABLE for MOVABLE, the state before the kernel's
 * init).  The page allocator, compaction and isolation never see a
 * ZONE_DEVICE pfn (pfn_to_online_page() is NULL for it); GUP's long-term
 * pin check reads the migratetype, but these pages are never mapped, and
 * the flip never makes CMA or ISOLATE.
 */
#include <linux/mm.h>
#include <linux/page_ref.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "compat.h"
#include "padata_mt.h"
#include "digest.h"
#include "layout.h"
#include "pageinit.h"
#include "store.h"

#define MT_POISON_WORD		0xaaaaaaaaaaaaaaaaULL
/* The words the poison leaves alone (see the top of the file). */
#ifdef CONFIG_MEMCG
#define MT_MEMCG_KEEP		BIT(MT_WORD_OF(memcg_data))
#else
#define MT_MEMCG_KEEP		0
#endif
#define MT_POISON_KEEP		(BIT(MT_WORD_OF(flags)) | BIT(MT_PGMAP_WORD) | \
				 BIT(MT_WORD_OF(mapping)) | MT_MEMCG_KEEP)

/*
 * The refcount memmap_init_zone_device() gives a page of @pgmap's type is
 * 0 (else 1), as the validated layout row says; callers checked that there
 * is one (mt_layout_refuse()).
 */
static bool mt_refcount_zero(const struct dev_pagemap *pgmap)
{
	return !mt_layout()->refcount[pgmap->type];
}

/*
 * @zero false: the page is known to be zeroed already (the two-pass
 * variant, whose first pass memsets the whole memmap).
 */
static __always_inline void mt_init_page(struct page *page, unsigned long pfn,
					 int nid, struct dev_pagemap *pgmap,
					 bool refcount_zero, bool zero)
{
	if (zero)
		mm_zero_struct_page(page);
	set_page_links(page, ZONE_DEVICE, nid, pfn);
	init_page_count(page);
	pmt_page_mapcount_reset(page);
	page_cpupid_reset_last(page);
	page_kasan_tag_reset(page);
#ifdef WANT_PAGE_VIRTUAL
	set_page_address(page, __va(PFN_PHYS(pfn)));
#endif
	/* page->lru shares its two words with the next two fields. */
	__SetPageReserved(page);
	pmt_page_set_pgmap(page, pgmap);
	page->zone_device_data = NULL;
	if (refcount_zero)
		set_page_count(page, 0);
}

/*
 * Initialise @n struct pages from @pfn on, all in one piece.  One-pass
 * (Tatashin): each page is zeroed as part of its own initialisation.
 */
static void mt_init_pages(struct page *page, unsigned long pfn,
			  unsigned long n, int nid, struct dev_pagemap *pgmap)
{
	bool refcount_zero = mt_refcount_zero(pgmap);
	unsigned long i;

	for (i = 0; i < n; i++)
		mt_init_page(page + i, pfn + i, nid, pgmap, refcount_zero,
			     true);
}

/* The same over pages a separate pass has zeroed already. */
static void mt_init_pages_zeroed(struct page *page, unsigned long pfn,
				 unsigned long n, int nid,
				 struct dev_pagemap *pgmap)
{
	bool refcount_zero = mt_refcount_zero(pgmap);
	unsigned long i;

	for (i = 0; i < n; i++)
		mt_init_page(page + i, pfn + i, nid, pgmap, refcount_zero,
			     false);
}

const char * const mt_store_names[MT_STORE_NR] = {
	[MT_STORE_COPY] = "copy",
	[MT_STORE_NT] = "nt",
	[MT_STORE_COMPUTE] = "compute",
};

/*
 * Give every pageblock starting in [@pfn, @pfn + @n) migratetype @mt, as
 * set_pfnblock_flags_mask() does: the word is shared with other blocks.
 */
static void mt_set_pageblocks(unsigned long pfn, unsigned long n,
			      unsigned int mt)
{
	unsigned long end = pfn + n;

	for (pfn = ALIGN(pfn, pageblock_nr_pages); pfn < end;
	     pfn += pageblock_nr_pages) {
		unsigned int shift;
		unsigned long *w = mt_pageblock_word(pfn, &shift);
		unsigned long mask = MIGRATETYPE_MASK << shift;
		unsigned long old = READ_ONCE(*w);

		while (!try_cmpxchg(w, &old, (old & ~mask) |
				    ((unsigned long)mt << shift)))
			;
	}
}

/* Write @n struct pages of piece @p from @pfn on with store kind @k. */
static void mt_store_run(struct mt_region *r, struct mt_piece *p,
			 unsigned long pfn, unsigned long n,
			 enum mt_store_kind k)
{
	struct page *page = pfn_to_page(pfn);

	switch (k) {
	case MT_STORE_COPY:
		mt_store_pages(page, n, &p->tmpl, false);
		break;
	case MT_STORE_NT:
		mt_store_pages(page, n, &p->tmpl, true);
		mt_store_end(true);
		break;
	default:
		mt_init_pages(page, pfn, n, r->nid, &p->pgmap);
		break;
	}
}

/* The default store, or compute where no template is valid. */
static enum mt_store_kind mt_default_store(const struct mt_region *r)
{
	return r->tmpl_off < 0 ? MT_STORE_DEFAULT : MT_STORE_COMPUTE;
}

/* Initialise every struct page and pageblock of section @s. */
void mt_init_section(struct mt_region *r, unsigned long s)
{
	unsigned long pfn = r->start_pfn + s * PAGES_PER_SECTION;

	mt_store_run(r, mt_piece_of_pfn(r, pfn), pfn, PAGES_PER_SECTION,
		     mt_default_store(r));
	mt_set_pageblocks(pfn, PAGES_PER_SECTION, r->migratetype);
}

/* The test-only poison (see the top of the file) over @n struct pages. */
static void mt_poison_pages(struct page *page, unsigned long n)
{
	unsigned long i, j;

	BUILD_BUG_ON(MT_WORD_OF(compound_head) != MT_PGMAP_WORD);
	for (i = 0; i < n; i++) {
		u64 *w = (u64 *)(page + i);

		for (j = 0; j < MT_WORDS; j++)
			if (!(MT_POISON_KEEP & BIT(j)))
				WRITE_ONCE(w[j], MT_POISON_WORD);
	}
}

/* The poison over @n pages from @pfn on and over their pageblocks. */
static void mt_poison_run(struct mt_region *r, unsigned long pfn,
			  unsigned long n)
{
	mt_poison_pages(pfn_to_page(pfn), n);
	mt_set_pageblocks(pfn, n, r->migratetype ^ 1);
}

/* Scribble section @s of the region with the poison. */
void mt_poison_section(struct mt_region *r, unsigned long s)
{
	mt_poison_run(r, r->start_pfn + s * PAGES_PER_SECTION,
		      PAGES_PER_SECTION);
}

struct mt_reinit_pass {
	struct mt_region *r;
	const atomic_t *cancel;
	struct mt_reinit_opts opt;
};

static int mt_reinit_fn(unsigned long start, unsigned long end, void *arg)
{
	struct mt_reinit_pass *ps = arg;
	struct mt_region *r = ps->r;
	enum mt_store_kind k = ps->opt.store;
	unsigned long n;

	for (; start < end; start += n) {
		unsigned long pfn = r->start_pfn + start;
		struct mt_piece *p = mt_piece_of_pfn(r, pfn);
		unsigned long skip;

		n = mt_section_run_len(start, end);
		if (mt_cancelled(ps->cancel))
			return -ECANCELED;
		if (ps->opt.twopass) {
			/* Zeroed (and poisoned before) by the first pass. */
			mt_init_pages_zeroed(pfn_to_page(pfn), pfn, n, r->nid,
					     &p->pgmap);
		} else if (ps->opt.skip >= (s64)start &&
			   ps->opt.skip < (s64)(start + n)) {
			/* Test-only: leave page @skip as the poison left it. */
			skip = ps->opt.skip - start;
			mt_poison_run(r, pfn, n);
			mt_store_run(r, p, pfn, skip, k);
			mt_store_run(r, p, pfn + skip + 1, n - skip - 1, k);
		} else {
			if (ps->opt.poison)
				mt_poison_run(r, pfn, n);
			mt_store_run(r, p, pfn, n, k);
		}
		mt_set_pageblocks(pfn, n, r->migratetype);
		if (ps->opt.skip_block >= (s64)start &&
		    ps->opt.skip_block < (s64)(start + n))
			/* Test-only: that page's pageblock poisoned again. */
			mt_set_pageblocks(round_down(r->start_pfn +
						     ps->opt.skip_block,
						     pageblock_nr_pages), 1,
					  r->migratetype ^ 1);
		mt_section_done(r, start / PAGES_PER_SECTION);
		cond_resched();
	}
	return 0;
}

/*
 * The first pass of the two-pass variant: zero the memmap with
 * non-temporal stores (the ceiling's fill, on the memmap itself).  A
 * zeroed section is no longer initialised: it goes back to NOT_STARTED
 * (the second pass marks it DONE), so a cancelled reinit leaves no section
 * DONE with zeroed struct pages.  The first struct page of a piece is
 * initialised again at once: memunmap_pages() reads its zone, and a
 * cancelled reinit must leave the region unpluggable.
 */
static int mt_zero_fn(unsigned long start, unsigned long end, void *arg)
{
	struct mt_reinit_pass *ps = arg;
	struct mt_region *r = ps->r;
	unsigned long n;

	for (; start < end; start += n) {
		unsigned long pfn = r->start_pfn + start;
		struct mt_piece *p = mt_piece_of_pfn(r, pfn);
		struct page *page = pfn_to_page(pfn);

		n = mt_section_run_len(start, end);
		if (mt_cancelled(ps->cancel))
			return -ECANCELED;
		atomic_set(&r->sec_state[start / PAGES_PER_SECTION],
			   MT_SEC_NOT_STARTED);
		if (ps->opt.poison)
			mt_poison_run(r, pfn, n);
		mt_store_zero_nt(page, n * sizeof(*page));
		mt_store_end(true);
		if (p->start_pfn == pfn)
			mt_init_page(page, pfn, r->nid, &p->pgmap,
				     mt_refcount_zero(&p->pgmap), true);
		cond_resched();
	}
	return 0;
}

/*
 * The kernel-written page of @pfn of piece @p against the row's data and
 * against what mt_init_page() writes, which it leaves in @mine.
 */
static int mt_validate_page(struct mt_region *r, struct mt_piece *p,
			    unsigned long pfn, struct page *mine,
			    struct mt_out *o)
{
	const struct mt_layout *l = mt_layout();
	const struct page *kp = pfn_to_page(pfn);
	int off, w;
	u64 want;

	w = mt_layout_word_diff(l, kp, r->nid, &p->pgmap, &want);
	if (w >= 0)
		return mt_fail(o, -EOPNOTSUPP,
			       "struct page layout row \"%s\" does not hold: the kernel wrote %#llx in word %d (%s) of pfn %#lx, the row says %#llx: reinit refused",
			       l->name, mt_page_word(kp, w * sizeof(u64)), w,
			       mt_field_name(w * sizeof(u64)), pfn, want);
	mt_init_page(mine, pfn, r->nid, &p->pgmap,
		     mt_refcount_zero(&p->pgmap), true);
	off = mt_page_diff(mine, kp);
	if (off >= 0)
		return mt_fail(o, -EOPNOTSUPP,
			       "struct page layout not validated: my init of pfn %#lx differs from the kernel's in %s (byte %d: %#llx, kernel %#llx): reinit refused",
			       pfn, mt_field_name(off), off,
			       mt_page_word(mine, off), mt_page_word(kp, off));
	if (mt_pageblock_migratetype(pfn) != r->migratetype)
		return mt_fail(o, -EOPNOTSUPP,
			       "pageblock migratetype not validated: the kernel gave pfn %#lx's block %u, pfn %#lx's %u: reinit refused",
			       pfn, mt_pageblock_migratetype(pfn), r->start_pfn,
			       r->migratetype);
	return 0;
}

/*
 * Refuse a layout mt_init_page() does not reproduce; keep the references
 * and the templates, and say whether the template stores may run.
 */
static int mt_validate_layout(struct mt_region *r, struct mt_out *o)
{
	unsigned int i;
	int ret;

	r->migratetype = mt_pageblock_migratetype(r->start_pfn);
	r->tmpl_off = -1;
	for (i = 0; i < r->nr_pieces; i++) {
		struct mt_piece *p = &r->pieces[i];
		struct page last;
		int off;

		ret = mt_validate_page(r, p, p->start_pfn, &p->tmpl, o);
		if (!ret)
			ret = mt_validate_page(r, p, p->start_pfn +
					       p->nr_pages - 1, &last, o);
		if (ret) {
			mt_kv(o, "layout_validated=0\n");
			return ret;
		}
		off = mt_page_diff(&p->tmpl, &last);
		if (off >= 0 && r->tmpl_off < 0)
			r->tmpl_off = off;
		memcpy(&p->ref, pfn_to_page(p->start_pfn), sizeof(p->ref));
	}
	r->layout_ok = true;
	return 0;
}

/* The layout check, once per region. */
static int mt_reinit_validate(struct mt_region *r, struct mt_out *o)
{
	int ret = mt_layout_refuse(o);

	if (ret)
		return ret;
	mt_kv(o, "layout_row=%s\n", mt_layout()->name);
	return r->layout_ok ? 0 : mt_validate_layout(r, o);
}

int mt_reinit_prepare(struct mt_region *r, const struct mt_ctx *c)
{
	struct mt_out *o = c->o;
	int ret;

	ret = mt_reinit_validate(r, o);
	if (ret)
		return ret;
	if (!r->kdigest) {
		u64 *kd = kvcalloc(r->nr_sections, sizeof(u64), GFP_KERNEL);

		if (!r->digest)
			r->digest = kvcalloc(r->nr_sections, sizeof(u64),
					     GFP_KERNEL);
		if (!kd || !r->digest) {
			kvfree(kd);
			return mt_fail(o, -ENOMEM, "no memory for digests");
		}
		ret = mt_digest_sections(r, 0, r->nr_sections, kd, c);
		if (ret) {
			kvfree(kd);
			return mt_fail(o, ret, "kernel digest pass failed");
		}
		r->kdigest = kd;
	}
	return 0;
}

int mt_reinit(struct mt_region *r, const struct mt_reinit_opts *opt,
	      const struct mt_ctx *c, u64 *ns, u64 *zero_ns)
{
	struct mt_reinit_pass ps = { .r = r, .cancel = c->cancel, .opt = *opt };
	struct padata_mt_task task = {
		.thread_fn = mt_zero_fn,
		.fn_arg = &ps,
		.size = r->nr_pages,
		.align = PAGES_PER_SECTION,
		.min_chunk = PAGES_PER_SECTION,
		.max_threads = c->threads,
		.cancel = c->cancel,
	};
	u64 t0;
	int ret;

	if (opt->fresh)
		ret = mt_reinit_validate(r, c->o);
	else
		ret = mt_reinit_prepare(r, c);
	if (ret)
		return ret;
	if (opt->store != MT_STORE_COMPUTE && !opt->twopass && r->tmpl_off >= 0)
		return mt_fail(c->o, -EOPNOTSUPP,
			       "store=%s: the first and last struct page of a piece differ in %s on this kernel, so no template holds: use store=compute",
			       mt_store_names[opt->store],
			       mt_field_name(r->tmpl_off));

	t0 = ktime_get_ns();
	ret = opt->twopass ? mt_run_task(&task, c->threads) : 0;
	if (zero_ns)
		*zero_ns = ktime_get_ns() - t0;
	task.thread_fn = mt_reinit_fn;
	if (!ret)
		ret = mt_run_task(&task, c->threads);
	*ns = ktime_get_ns() - t0;
	if (ret)
		return mt_fail(c->o, ret, "reinit failed%s",
			       ret == -ECANCELED ? ": cancelled" : "");
	return 0;
}

