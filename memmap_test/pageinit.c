// SPDX-License-Identifier: GPL-2.0
/*
 * memmap_test: deferred-style re-initialisation of a plugged region's
 * struct pages, per-section digests, and the verify walk.
 *
 * mt_init_page() writes what memmap_init_zone_device() leaves in a
 * ZONE_DEVICE struct page on this kernel: a zeroed page with zone and node
 * links, refcount 1 (0 for device-private/coherent pages), mapcount and
 * last_cpupid reset, PG_reserved, the pgmap back pointer and a NULL
 * zone_device_data.  It is built from the kernel's own inline helpers and
 * computes every page in full, as the kernel does; the pageblock
 * migratetype bits live outside struct page and are left as the kernel set
 * them.
 *
 * Before a region's first reinit the layout is validated: mt_init_page()
 * of a scratch page must reproduce the kernel-written struct page of the
 * first and last pfn of every piece byte for byte, or reinit is refused.
 * A copy of each piece's first kernel-written page is kept as the
 * reference, and a digest of every section's kernel-written struct pages is
 * recorded.  Every reinit is followed by a digest of every section; a
 * difference is an error naming the first differing pfn and field.
 *
 * A section's digest is xxh64() over its struct pages, the pgmap word
 * hashed as a constant when it points at the piece's own dev_pagemap, so
 * regions plugged in different ways (one pgmap or many) digest alike when
 * their struct pages are equivalent.
 *
 * The test-only poison scribbles only the words no reader of a ZONE_DEVICE
 * page takes a pointer or a zone from, so a poisoned page of a live pgmap
 * stays readable: flags (zone and node links, which memunmap_pages() and
 * page_zone() use), the compound_head/pgmap word (page_folio()), mapping
 * (memory_failure() through dax_lock_page()/dax_lock_folio()) and
 * memcg_data keep what was there; zone_device_data, index, private,
 * _mapcount and _refcount get 0xaa, which every digest and verify sees.
 */
#include <linux/mm.h>
#include <linux/page_ref.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/xxhash.h>

#include "compat.h"
#include "padata_mt.h"
#include "memmap_test.h"

#define MT_POISON_WORD		0xaaaaaaaaaaaaaaaaULL
#define MT_HASH_SEED		0x6d656d6d61705f74ULL
#define MT_PGMAP_TOKEN		0x70676d6170ULL
#define MT_WORDS		(sizeof(struct page) / sizeof(u64))
#define MT_WORD_OF(f)		(offsetof(struct page, f) / sizeof(u64))
#define MT_PGMAP_WORD		(PMT_PGMAP_OFFSET / sizeof(u64))
/* The words the poison leaves alone (see the top of the file). */
#ifdef CONFIG_MEMCG
#define MT_MEMCG_KEEP		BIT(MT_WORD_OF(memcg_data))
#else
#define MT_MEMCG_KEEP		0
#endif
#define MT_POISON_KEEP		(BIT(MT_WORD_OF(flags)) | BIT(MT_PGMAP_WORD) | \
				 BIT(MT_WORD_OF(mapping)) | MT_MEMCG_KEEP)

#define MT_FIELD(f) { #f, offsetof(struct page, f), sizeof_field(struct page, f) }
static const struct {
	const char *name;
	size_t off;
	size_t len;
} mt_fields[] = {
	MT_FIELD(flags),
	{ "pgmap", PMT_PGMAP_OFFSET, sizeof(void *) },
	MT_FIELD(zone_device_data),
	MT_FIELD(mapping),
	/* MT_FIELD() would name the compat macro, not the field. */
	{ "index", offsetof(struct page, PMT_PAGE_INDEX),
	  sizeof_field(struct page, PMT_PAGE_INDEX) },
	MT_FIELD(private),
	MT_FIELD(_mapcount),
	MT_FIELD(_refcount),
#ifdef CONFIG_MEMCG
	MT_FIELD(memcg_data),
#endif
#ifdef LAST_CPUPID_NOT_IN_PAGE_FLAGS
	MT_FIELD(_last_cpupid),
#endif
#ifdef WANT_PAGE_VIRTUAL
	MT_FIELD(virtual),
#endif
};

static const char *mt_field_name(size_t off)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(mt_fields); i++)
		if (off >= mt_fields[i].off &&
		    off < mt_fields[i].off + mt_fields[i].len)
			return mt_fields[i].name;
	return "padding";
}

/* Offset of the first differing byte, or -1. */
static int mt_page_diff(const struct page *a, const struct page *b)
{
	const u8 *x = (const u8 *)a, *y = (const u8 *)b;
	size_t i;

	for (i = 0; i < sizeof(struct page); i++)
		if (x[i] != y[i])
			return i;
	return -1;
}

static u64 mt_page_word(const struct page *page, int off)
{
	return ((const u64 *)page)[off / sizeof(u64)];
}

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

/* Initialise every struct page of section @s of the region. */
void mt_init_section(struct mt_region *r, unsigned long s)
{
	unsigned long pfn = r->start_pfn + s * PAGES_PER_SECTION;

	mt_init_pages(pfn_to_page(pfn), pfn, PAGES_PER_SECTION, r->nid,
		      &mt_piece_of_pfn(r, pfn)->pgmap);
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

/* Scribble section @s of the region with the poison. */
void mt_poison_section(struct mt_region *r, unsigned long s)
{
	unsigned long pfn = r->start_pfn + s * PAGES_PER_SECTION;

	mt_poison_pages(pfn_to_page(pfn), PAGES_PER_SECTION);
}

/*
 * A copy of the struct page of region page @idx as digests and mismatch
 * reports see it: the test-only flips of @flips applied.
 */
static void mt_read_page(const struct mt_region *r, unsigned long idx,
			 const struct mt_flip *flips, unsigned int nr_flips,
			 struct page *copy)
{
	u64 *w = (u64 *)copy;
	unsigned int i;

	memcpy(copy, pfn_to_page(r->start_pfn + idx), sizeof(*copy));
	for (i = 0; i < nr_flips; i++)
		if (flips[i].index == idx)
			w[flips[i].bit / 64] ^= BIT_ULL(flips[i].bit % 64);
}

/* Pages a digest copies and hashes at a time. */
#define MT_DIGEST_BATCH		8

/* Digest of section @s: xxh64() over its struct pages as read. */
static u64 mt_digest_section(const struct mt_region *r, unsigned long s,
			     const struct mt_flip *flips, unsigned int nr_flips)
{
	unsigned long idx = s * PAGES_PER_SECTION, i, j;
	const struct dev_pagemap *pgmap =
		&mt_piece_of_pfn(r, r->start_pfn + idx)->pgmap;
	struct page batch[MT_DIGEST_BATCH];
	struct xxh64_state st;
	unsigned int f;

	BUILD_BUG_ON(PAGES_PER_SECTION % MT_DIGEST_BATCH);
	xxh64_reset(&st, MT_HASH_SEED);
	for (i = 0; i < PAGES_PER_SECTION; i += MT_DIGEST_BATCH) {
		memcpy(batch, pfn_to_page(r->start_pfn + idx + i),
		       sizeof(batch));
		for (f = 0; f < nr_flips; f++) {
			u64 k = flips[f].index - (idx + i);

			if (k < MT_DIGEST_BATCH)
				((u64 *)&batch[k])[flips[f].bit / 64] ^=
					BIT_ULL(flips[f].bit % 64);
		}
		for (j = 0; j < MT_DIGEST_BATCH; j++) {
			u64 *w = (u64 *)&batch[j];

			if (w[MT_PGMAP_WORD] == (unsigned long)pgmap)
				w[MT_PGMAP_WORD] = MT_PGMAP_TOKEN;
		}
		xxh64_update(&st, batch, sizeof(batch));
	}
	return xxh64_digest(&st);
}

static u64 mt_digest_all(const u64 *d, unsigned long n)
{
	return xxh64(d, n * sizeof(*d), MT_HASH_SEED);
}

struct mt_pass {
	struct mt_region *r;
	const atomic_t *cancel;
	/* digest */
	u64 *out;
	const struct mt_flip *flips;
	unsigned int nr_flips;
	/* reinit */
	bool poison;
	bool twopass;
	s64 skip;
	/* verify */
	atomic_long_t bad;
	atomic_long_t skipped;	/* sections not initialised yet */
	spinlock_t lock;
	unsigned long first_bad;	/* page index, ULONG_MAX: none */
	const char *first_field;
};

/* Sections [start, end) of the region. */
static int mt_digest_fn(unsigned long start, unsigned long end, void *arg)
{
	struct mt_pass *ps = arg;
	struct mt_region *r = ps->r;
	unsigned long s;

	for (s = start; s < end; s++) {
		if (mt_cancelled(ps->cancel))
			return -ECANCELED;
		ps->out[s] = mt_digest_section(r, s, ps->flips, ps->nr_flips);
		cond_resched();
	}
	return 0;
}

/* Digests of sections [@s0, @s1) into @out[@s0 .. @s1 - 1]. */
static int mt_digest_sections(struct mt_region *r, unsigned long s0,
			      unsigned long s1, unsigned int threads, u64 *out,
			      const struct mt_flip *flips,
			      unsigned int nr_flips, const atomic_t *cancel)
{
	struct mt_pass ps = {
		.r = r, .cancel = cancel, .out = out, .flips = flips,
		.nr_flips = nr_flips,
	};

	return mt_run_sections(mt_digest_fn, &ps, s0, s1, threads, cancel);
}

static int mt_digest_region(struct mt_region *r, unsigned int threads,
			    u64 *out, const struct mt_flip *flips,
			    unsigned int nr_flips, const atomic_t *cancel)
{
	return mt_digest_sections(r, 0, r->nr_sections, threads, out, flips,
				  nr_flips, cancel);
}

/* Pages from index @start to the next section boundary or @end. */
static unsigned long mt_run_len(unsigned long start, unsigned long end)
{
	return min(end, round_down(start, PAGES_PER_SECTION) +
		   PAGES_PER_SECTION) - start;
}

static int mt_reinit_fn(unsigned long start, unsigned long end, void *arg)
{
	struct mt_pass *ps = arg;
	struct mt_region *r = ps->r;
	unsigned long n;

	for (; start < end; start += n) {
		unsigned long k, pfn = r->start_pfn + start;
		struct dev_pagemap *pgmap = &mt_piece_of_pfn(r, pfn)->pgmap;
		struct page *page = pfn_to_page(pfn);

		n = mt_run_len(start, end);
		if (mt_cancelled(ps->cancel))
			return -ECANCELED;
		if (ps->twopass) {
			/* Zeroed (and poisoned before) by the first pass. */
			mt_init_pages_zeroed(page, pfn, n, r->nid, pgmap);
			mt_section_done(r, start / PAGES_PER_SECTION);
			cond_resched();
			continue;
		}
		if (ps->poison)
			mt_poison_pages(page, n);
		if (ps->skip >= (s64)start && ps->skip < (s64)(start + n)) {
			/* Test-only: leave page @skip as the poison left it. */
			k = ps->skip - start;
			mt_init_pages(page, pfn, k, r->nid, pgmap);
			mt_init_pages(page + k + 1, pfn + k + 1, n - k - 1,
				      r->nid, pgmap);
		} else {
			mt_init_pages(page, pfn, n, r->nid, pgmap);
		}
		mt_section_done(r, start / PAGES_PER_SECTION);
		cond_resched();
	}
	return 0;
}

/*
 * The first pass of the two-pass variant: memset the memmap to zero.  A
 * zeroed section is no longer initialised: it goes back to NOT_STARTED
 * (the second pass marks it DONE), so a cancelled reinit leaves no section
 * DONE with zeroed struct pages.  The first struct page of a piece is
 * initialised again at once: memunmap_pages() reads its zone, and a
 * cancelled reinit must leave the region unpluggable.
 */
static int mt_zero_fn(unsigned long start, unsigned long end, void *arg)
{
	struct mt_pass *ps = arg;
	struct mt_region *r = ps->r;
	unsigned long n;

	for (; start < end; start += n) {
		unsigned long pfn = r->start_pfn + start;
		struct mt_piece *p = mt_piece_of_pfn(r, pfn);
		struct page *page = pfn_to_page(pfn);

		n = mt_run_len(start, end);
		if (mt_cancelled(ps->cancel))
			return -ECANCELED;
		atomic_set(&r->sec_state[start / PAGES_PER_SECTION],
			   MT_SEC_NOT_STARTED);
		if (ps->poison)
			mt_poison_pages(page, n);
		memset(page, 0, n * sizeof(*page));
		if (p->start_pfn == pfn)
			mt_init_page(page, pfn, r->nid, &p->pgmap,
				     mt_refcount_zero(&p->pgmap), true);
		cond_resched();
	}
	return 0;
}

/* Refuse a layout mt_init_page() does not reproduce; keep references. */
static int mt_validate_layout(struct mt_region *r, struct mt_out *o)
{
	unsigned int i, k;

	const struct mt_layout *l = mt_layout();

	for (i = 0; i < r->nr_pieces; i++) {
		struct mt_piece *p = &r->pieces[i];

		for (k = 0; k < 2; k++) {
			unsigned long pfn = p->start_pfn + k * (p->nr_pages - 1);
			const struct page *kp = pfn_to_page(pfn);
			struct page scratch;
			int off, w;
			u64 want;

			/* The kernel's page against the row's data... */
			w = mt_layout_word_diff(l, kp, r->nid, &p->pgmap, &want);
			if (w >= 0) {
				mt_kv(o, "layout_validated=0\n");
				return mt_fail(o, -EOPNOTSUPP,
					       "struct page layout row \"%s\" does not hold: the kernel wrote %#llx in word %d (%s) of pfn %#lx, the row says %#llx: reinit refused",
					       l->name,
					       mt_page_word(kp, w * sizeof(u64)),
					       w, mt_field_name(w * sizeof(u64)),
					       pfn, want);
			}
			/* ... and against what mt_init_page() writes. */

			mt_init_page(&scratch, pfn, r->nid, &p->pgmap,
				     mt_refcount_zero(&p->pgmap), true);
			off = mt_page_diff(&scratch, kp);
			if (off < 0)
				continue;
			mt_kv(o, "layout_validated=0\n");
			return mt_fail(o, -EOPNOTSUPP,
				       "struct page layout not validated: my init of pfn %#lx differs from the kernel's in %s (byte %d: %#llx, kernel %#llx): reinit refused",
				       pfn, mt_field_name(off), off,
				       mt_page_word(&scratch, off),
				       mt_page_word(kp, off));
		}
		memcpy(&p->ref, pfn_to_page(p->start_pfn), sizeof(p->ref));
	}
	r->layout_ok = true;
	return 0;
}

/* Bit @bit of page->flags: which field of it holds that bit. */
static const char *mt_flags_field(unsigned int bit)
{
#define MT_IN(shift, width)	((width) && bit >= (shift) && bit < (shift) + (width))
	if (MT_IN(NODES_PGSHIFT, NODES_WIDTH))
		return "node";
	if (MT_IN(ZONES_PGSHIFT, ZONES_WIDTH))
		return "zone";
	if (MT_IN(SECTIONS_PGSHIFT, SECTIONS_WIDTH))
		return "section";
	if (MT_IN(LAST_CPUPID_PGSHIFT, LAST_CPUPID_WIDTH))
		return "last_cpupid";
	if (MT_IN(KASAN_TAG_PGSHIFT, KASAN_TAG_WIDTH))
		return "kasan_tag";
#undef MT_IN
	if (bit == PG_reserved)
		return "PG_reserved";
	return "flag_bit";
}

/* The control file's layout lines: where the fields of page->flags are. */
void mt_page_layout_show(struct seq_file *m)
{
	unsigned int w;

	seq_printf(m, "page_flags_node_shift=%d\npage_flags_node_width=%d\n",
		   (int)NODES_PGSHIFT, (int)NODES_WIDTH);
	seq_printf(m, "page_flags_zone_shift=%d\npage_flags_zone_width=%d\n",
		   (int)ZONES_PGSHIFT, (int)ZONES_WIDTH);
	seq_printf(m, "page_flags_section_shift=%d\npage_flags_section_width=%d\n",
		   (int)SECTIONS_PGSHIFT, (int)SECTIONS_WIDTH);
	seq_printf(m, "page_flags_last_cpupid_shift=%d\npage_flags_last_cpupid_width=%d\n",
		   (int)LAST_CPUPID_PGSHIFT, (int)LAST_CPUPID_WIDTH);
	seq_printf(m, "page_flags_pg_reserved_bit=%d\n", (int)PG_reserved);
	/* What each word holds, as mismatch_field= names it (halves: a/b). */
	seq_puts(m, "page_words=");
	for (w = 0; w < MT_WORDS; w++) {
		const char *lo = mt_field_name(w * sizeof(u64));
		const char *hi = mt_field_name(w * sizeof(u64) + sizeof(u32));

		seq_printf(m, "%s%s%s%s", w ? " " : "", lo, lo == hi ? "" : "/",
			   lo == hi ? "" : hi);
	}
	seq_putc(m, '\n');
}

/*
 * The first page of section @s that differs from its piece's reference
 * (as digests read it: @flips applied), and where: the mismatch keys.
 */
static void mt_report_mismatch(struct mt_region *r, unsigned long s,
			       const struct mt_flip *flips,
			       unsigned int nr_flips, struct mt_out *o)
{
	unsigned long idx = s * PAGES_PER_SECTION, i;
	struct mt_piece *p = mt_piece_of_pfn(r, r->start_pfn + idx);
	unsigned int word, bit;
	struct page copy;
	u64 want, got;
	int off = -1;

	for (i = 0; i < PAGES_PER_SECTION; i++) {
		mt_read_page(r, idx + i, flips, nr_flips, &copy);
		off = mt_page_diff(&p->ref, &copy);
		if (off >= 0)
			break;
	}
	mt_kv(o, "mismatch_section=%lu\n", s);
	if (off < 0) {
		mt_kv(o, "mismatch_pfn=none\nmismatch_field=unknown\n");
		mt_fail(o, -EIO,
			"digest of section %lu differs but no page differs from the reference",
			s);
		return;
	}
	word = off / sizeof(u64);
	want = mt_page_word(&p->ref, off);
	got = mt_page_word(&copy, off);
	bit = __ffs64(want ^ got);
	mt_kv(o, "mismatch_pfn=%#lx\nmismatch_field=%s\nmismatch_offset_bytes=%d\n",
	      r->start_pfn + idx + i, mt_field_name(off), off);
	mt_kv(o, "mismatch_word=%u\nmismatch_bit=%u\n", word, bit);
	if (word == MT_WORD_OF(flags))
		mt_kv(o, "mismatch_flags_field=%s\n", mt_flags_field(bit));
	mt_kv(o, "mismatch_expected=%#llx\nmismatch_found=%#llx\n", want, got);
	mt_fail(o, -EIO,
		"digest mismatch: pfn %#lx field %s (word %u bit %u) is %#llx, the kernel wrote %#llx",
		r->start_pfn + idx + i, mt_field_name(off), word, bit, got,
		want);
}

/*
 * Digest sections [@s0, @s1) now and compare them with the kernel-written
 * digests: sync_digest_match= and, on a difference, the mismatch keys.
 * Uses its own array, so it may run during a background pass.
 */
int mt_check_digest_range(struct mt_region *r, unsigned long s0,
			  unsigned long s1, unsigned int threads,
			  struct mt_out *o, const atomic_t *cancel)
{
	unsigned long s;
	u64 *d;
	int ret;

	d = kvcalloc(r->nr_sections, sizeof(u64), GFP_KERNEL);
	if (!d)
		return mt_fail(o, -ENOMEM, "no memory for digests");
	ret = mt_digest_sections(r, s0, s1, threads, d, NULL, 0, cancel);
	if (ret) {
		kvfree(d);
		return mt_fail(o, ret, "digest pass failed");
	}
	for (s = s0; s < s1; s++)
		if (d[s] != r->kdigest[s])
			break;
	kvfree(d);
	mt_kv(o, "sync_digest_match=%d\n", s == s1);
	if (s == s1)
		return 0;
	mt_report_mismatch(r, s, NULL, 0, o);
	return -EIO;
}

/*
 * Digest the region now and compare with the kernel-written digests, the
 * test-only @flips applied to what the digests read.
 */
int mt_check_digest_flips(struct mt_region *r, unsigned int threads,
			  const struct mt_flip *flips, unsigned int nr_flips,
			  struct mt_out *o, const atomic_t *cancel)
{
	unsigned long s;
	int ret;

	ret = mt_digest_region(r, threads, r->digest, flips, nr_flips, cancel);
	if (ret)
		return mt_fail(o, ret, "digest pass failed");
	mt_kv(o, "digest_kernel=%#llx\ndigest=%#llx\n",
	      mt_digest_all(r->kdigest, r->nr_sections),
	      mt_digest_all(r->digest, r->nr_sections));
	for (s = 0; s < r->nr_sections; s++)
		if (r->digest[s] != r->kdigest[s])
			break;
	mt_kv(o, "digest_match=%d\n", s == r->nr_sections);
	if (s == r->nr_sections)
		return 0;
	mt_report_mismatch(r, s, flips, nr_flips, o);
	return -EIO;
}

int mt_check_digest(struct mt_region *r, unsigned int threads,
		    struct mt_out *o, const atomic_t *cancel)
{
	return mt_check_digest_flips(r, threads, NULL, 0, o, cancel);
}

/*
 * Before a region's first reinit (or async pass): validate the layout and
 * record the digests of the kernel-written struct pages.
 */
int mt_reinit_prepare(struct mt_region *r, unsigned int threads,
		      struct mt_out *o, const atomic_t *cancel)
{
	int ret;

	ret = mt_layout_refuse(o);
	if (ret)
		return ret;
	mt_kv(o, "layout_row=%s\n", mt_layout()->name);
	if (!r->layout_ok) {
		ret = mt_validate_layout(r, o);
		if (ret)
			return ret;
	}
	if (!r->kdigest) {
		u64 *kd = kvcalloc(r->nr_sections, sizeof(u64), GFP_KERNEL);

		if (!r->digest)
			r->digest = kvcalloc(r->nr_sections, sizeof(u64),
					     GFP_KERNEL);
		if (!kd || !r->digest) {
			kvfree(kd);
			return mt_fail(o, -ENOMEM, "no memory for digests");
		}
		ret = mt_digest_region(r, threads, kd, NULL, 0, cancel);
		if (ret) {
			kvfree(kd);
			return mt_fail(o, ret, "kernel digest pass failed");
		}
		r->kdigest = kd;
	}
	return 0;
}

int mt_reinit(struct mt_region *r, unsigned int threads, bool poison,
	      bool twopass, s64 skip, struct mt_out *o,
	      const atomic_t *cancel, u64 *ns, u64 *zero_ns)
{
	struct mt_pass ps = {
		.r = r, .cancel = cancel, .poison = poison, .skip = skip,
		.twopass = twopass,
	};
	struct padata_mt_task task = {
		.thread_fn = mt_zero_fn,
		.fn_arg = &ps,
		.size = r->nr_pages,
		.align = PAGES_PER_SECTION,
		.min_chunk = PAGES_PER_SECTION,
		.max_threads = threads,
		.cancel = cancel,
	};
	u64 t0;
	int ret;

	ret = mt_reinit_prepare(r, threads, o, cancel);
	if (ret)
		return ret;

	t0 = ktime_get_ns();
	ret = twopass ? mt_run_task(&task, threads) : 0;
	if (zero_ns)
		*zero_ns = ktime_get_ns() - t0;
	task.thread_fn = mt_reinit_fn;
	if (!ret)
		ret = mt_run_task(&task, threads);
	*ns = ktime_get_ns() - t0;
	if (ret)
		return mt_fail(o, ret, "reinit failed%s",
			       ret == -ECANCELED ? ": cancelled" : "");
	return 0;
}

int mt_cmd_reinit(const struct mt_args *a, struct mt_out *o,
		  const atomic_t *cancel)
{
	unsigned int threads = mt_threads_arg(a);
	struct mt_region *r = mt_region;
	u64 ns = 0, zero_ns = 0;
	unsigned int i;
	int ret;

	mt_kv(o, "threads=%u\npoison=%d\ntwopass=%d\n", threads, a->poison,
	      a->twopass);
	if (!r)
		return mt_fail(o, -ENOENT, "no region is plugged");
	if (a->has_skip && a->skip >= r->nr_pages)
		return mt_fail(o, -EINVAL, "skip=%llu but the region has %lu pages",
			       a->skip, r->nr_pages);
	for (i = 0; i < a->nr_flips; i++)
		if (a->flips[i].index >= r->nr_pages)
			return mt_fail(o, -EINVAL,
				       "flip=%llu:%u but the region has %lu pages",
				       a->flips[i].index, a->flips[i].bit,
				       r->nr_pages);
	if (a->has_skip)
		mt_kv(o, "skip_pfn=%#llx\n", r->start_pfn + a->skip);
	ret = mt_reinit(r, threads, a->poison, a->twopass,
			a->has_skip ? a->skip : -1, o, cancel, &ns, &zero_ns);
	mt_kv(o, "layout_validated=%d\n", r->layout_ok);
	if (ret)
		return ret;
	mt_kv(o, "reinit_ns=%llu\nreinit_pages=%lu\n", ns, r->nr_pages);
	if (a->twopass)
		mt_kv(o, "reinit_zero_ns=%llu\n", zero_ns);
	return mt_check_digest_flips(r, threads, a->flips, a->nr_flips, o,
				     cancel);
}

/* --- verify ---------------------------------------------------------- */

static const char *mt_check_page(struct page *page, int nid,
				 const struct dev_pagemap *pgmap)
{
	if (page_zonenum(page) != ZONE_DEVICE)
		return "zone";
	if (page_to_nid(page) != nid)
		return "node";
	if (pmt_page_pgmap(page) != pgmap)
		return "pgmap";
	/* Without a validated row the expected refcount is not known. */
	if (mt_layout() &&
	    page_ref_count(page) != mt_layout()->refcount[pgmap->type])
		return "refcount";
	if (!PageReserved(page))
		return "reserved";
	return NULL;
}

static int mt_verify_fn(unsigned long start, unsigned long end, void *arg)
{
	struct mt_pass *ps = arg;
	struct mt_region *r = ps->r;
	unsigned long n, i, bad = 0, first = ULONG_MAX;
	const char *field = NULL;

	for (; start < end; start += n) {
		unsigned long pfn = r->start_pfn + start;
		const struct dev_pagemap *pgmap =
			&mt_piece_of_pfn(r, pfn)->pgmap;
		struct page *page = pfn_to_page(pfn);

		n = mt_run_len(start, end);
		if (mt_cancelled(ps->cancel))
			return -ECANCELED;
		if (!mt_section_is_done(r, start / PAGES_PER_SECTION)) {
			/* Not initialised yet by an async pass: not counted. */
			atomic_long_inc(&ps->skipped);
			continue;
		}
		for (i = 0; i < n; i++) {
			const char *f = mt_check_page(page + i, r->nid, pgmap);

			if (!f)
				continue;
			if (!bad++) {
				first = start + i;
				field = f;
			}
		}
		cond_resched();
	}
	if (!bad)
		return 0;
	atomic_long_add(bad, &ps->bad);
	spin_lock(&ps->lock);
	if (first < ps->first_bad) {
		ps->first_bad = first;
		ps->first_field = field;
	}
	spin_unlock(&ps->lock);
	return 0;
}

int mt_cmd_verify(const struct mt_args *a, struct mt_out *o,
		  const atomic_t *cancel)
{
	unsigned int threads = mt_threads_arg(a);
	struct mt_region *r = mt_region;
	struct mt_pass ps = {
		.r = r, .cancel = cancel, .first_bad = ULONG_MAX,
	};
	struct padata_mt_task task = {
		.thread_fn = mt_verify_fn,
		.fn_arg = &ps,
		.align = PAGES_PER_SECTION,
		.min_chunk = PAGES_PER_SECTION,
		.max_threads = threads,
		.cancel = cancel,
	};
	long bad, skipped;
	u64 t0;
	int ret;

	mt_kv(o, "threads=%u\n", threads);
	if (!r)
		return mt_fail(o, -ENOENT, "no region is plugged");
	spin_lock_init(&ps.lock);
	atomic_long_set(&ps.bad, 0);
	atomic_long_set(&ps.skipped, 0);
	task.size = r->nr_pages;
	t0 = ktime_get_ns();
	ret = mt_run_task(&task, threads);
	mt_kv(o, "verify_ns=%llu\n", ktime_get_ns() - t0);
	if (ret)
		return mt_fail(o, ret, "verify failed");
	bad = atomic_long_read(&ps.bad);
	skipped = atomic_long_read(&ps.skipped);
	mt_kv(o, "verify_pages=%lu\nverify_sections_skipped=%ld\nbad_pages=%ld\n",
	      r->nr_pages - skipped * PAGES_PER_SECTION, skipped, bad);
	if (!bad) {
		mt_kv(o, "first_bad_pfn=none\nfirst_bad_field=none\n");
		return 0;
	}
	mt_kv(o, "first_bad_pfn=%#lx\nfirst_bad_field=%s\n",
	      r->start_pfn + ps.first_bad, ps.first_field);
	return mt_fail(o, -EIO, "verify: %ld bad pages, the first pfn %#lx (%s)",
		       bad, r->start_pfn + ps.first_bad, ps.first_field);
}
