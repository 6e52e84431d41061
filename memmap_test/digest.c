// SPDX-License-Identifier: GPL-2.0
/*
 * memmap_test: checking a region's struct pages (digest.h).
 *
 * A section's digest is xxh64() over its struct pages, the pgmap word
 * hashed as a constant when it points at the piece's own dev_pagemap, so
 * regions plugged in different ways (one pgmap or many) digest alike when
 * their struct pages are equivalent; then over the section's pageblock
 * flags (its usemap words), which hold each pageblock's migratetype.  The
 * digests of the kernel-written
 * struct pages are recorded before a region's first reinit (pageinit.c);
 * every reinit is followed by a digest of every section, and a difference
 * is an error naming the first differing pfn and field.
 *
 * verify checks, page by page, what every initialised ZONE_DEVICE page
 * must have (zone, node, pgmap, refcount, PG_reserved); sections a
 * background pass has not initialised yet are skipped and counted.
 */
#include <linux/mm.h>
#include <linux/page_ref.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/xxhash.h>

#include "padata_mt.h"
#include "digest.h"
#include "layout.h"

#define MT_HASH_SEED		0x6d656d6d61705f74ULL
#define MT_PGMAP_TOKEN		0x70676d6170ULL
/* Pages a digest copies and hashes at a time. */
#define MT_DIGEST_BATCH		8

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

const char *mt_field_name(size_t off)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(mt_fields); i++)
		if (off >= mt_fields[i].off &&
		    off < mt_fields[i].off + mt_fields[i].len)
			return mt_fields[i].name;
	return "padding";
}

int mt_page_diff(const struct page *a, const struct page *b)
{
	const u8 *x = (const u8 *)a, *y = (const u8 *)b;
	size_t i;

	for (i = 0; i < sizeof(struct page); i++)
		if (x[i] != y[i])
			return i;
	return -1;
}

u64 mt_page_word(const struct page *page, int off)
{
	return ((const u64 *)page)[off / sizeof(u64)];
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
	xxh64_update(&st, mt_section_usemap(r->start_pfn + idx),
		     MT_USEMAP_WORDS * sizeof(unsigned long));
	return xxh64_digest(&st);
}

static u64 mt_digest_all(const u64 *d, unsigned long n)
{
	return xxh64(d, n * sizeof(*d), MT_HASH_SEED);
}

struct mt_digest_pass {
	struct mt_region *r;
	const atomic_t *cancel;
	u64 *out;
	const struct mt_flip *flips;
	unsigned int nr_flips;
};

/* Sections [start, end) of the region. */
static int mt_digest_fn(unsigned long start, unsigned long end, void *arg)
{
	struct mt_digest_pass *ps = arg;
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

static int mt_digest_flipped(struct mt_region *r, unsigned long s0,
			     unsigned long s1, u64 *out,
			     const struct mt_flip *flips,
			     unsigned int nr_flips, const struct mt_ctx *c)
{
	struct mt_digest_pass ps = {
		.r = r, .cancel = c->cancel, .out = out, .flips = flips,
		.nr_flips = nr_flips,
	};

	return mt_run_sections(mt_digest_fn, &ps, s0, s1, c);
}

int mt_digest_sections(struct mt_region *r, unsigned long s0,
		       unsigned long s1, u64 *out, const struct mt_ctx *c)
{
	return mt_digest_flipped(r, s0, s1, out, NULL, 0, c);
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
 * The first pfn of the first pageblock of section @s whose migratetype is
 * not the kernel's, or 0 (no region holds pfn 0: System RAM does).
 */
static unsigned long mt_bad_pageblock(const struct mt_region *r,
				      unsigned long s)
{
	unsigned long pfn = r->start_pfn + s * PAGES_PER_SECTION;
	unsigned long end = pfn + PAGES_PER_SECTION;

	for (; pfn < end; pfn += pageblock_nr_pages)
		if (mt_pageblock_migratetype(pfn) != r->migratetype)
			return pfn;
	return 0;
}

/*
 * The first pageblock of section @s whose migratetype is not the kernel's,
 * reported as a mismatch; false if there is one.
 */
static bool mt_report_pageblock(struct mt_region *r, unsigned long s,
				struct mt_out *o)
{
	unsigned long pfn = mt_bad_pageblock(r, s);
	unsigned int mt;

	if (!pfn)
		return true;
	mt = mt_pageblock_migratetype(pfn);
	mt_kv(o, "mismatch_pfn=%#lx\nmismatch_field=pageblock_migratetype\n",
	      pfn);
	mt_kv(o, "mismatch_expected=%#x\nmismatch_found=%#x\n",
	      r->migratetype, mt);
	mt_fail(o, -EIO,
		"digest mismatch: the pageblock of pfn %#lx has migratetype %u, the kernel wrote %u",
		pfn, mt, r->migratetype);
	return false;
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
	if (off < 0 && !mt_report_pageblock(r, s, o))
		return;
	if (off < 0) {
		mt_kv(o, "mismatch_pfn=none\nmismatch_field=unknown\n");
		mt_fail(o, -EIO,
			"digest of section %lu differs but no page nor pageblock migratetype differs from the reference",
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

/* Uses its own array, so it may run during a background pass. */
int mt_check_digest_range(struct mt_region *r, unsigned long s0,
			  unsigned long s1, const struct mt_ctx *c)
{
	struct mt_out *o = c->o;
	unsigned long s;
	u64 *d;
	int ret;

	d = kvcalloc(r->nr_sections, sizeof(u64), GFP_KERNEL);
	if (!d)
		return mt_fail(o, -ENOMEM, "no memory for digests");
	ret = mt_digest_sections(r, s0, s1, d, c);
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

int mt_check_digest_flips(struct mt_region *r, const struct mt_flip *flips,
			  unsigned int nr_flips, const struct mt_ctx *c)
{
	struct mt_out *o = c->o;
	unsigned long s;
	int ret;

	ret = mt_digest_flipped(r, 0, r->nr_sections, r->digest, flips,
				nr_flips, c);
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

int mt_check_digest(struct mt_region *r, const struct mt_ctx *c)
{
	return mt_check_digest_flips(r, NULL, 0, c);
}

struct mt_ref_pass {
	struct mt_region *r;
	const atomic_t *cancel;
	atomic_long_t first_bad;	/* section, LONG_MAX: none */
};

/* Whether every page and pageblock of section @s is as the kernel wrote. */
static bool mt_section_is_ref(const struct mt_region *r, unsigned long s)
{
	unsigned long pfn = r->start_pfn + s * PAGES_PER_SECTION, i;
	const struct page *ref = &mt_piece_of_pfn(r, pfn)->ref;
	const struct page *page = pfn_to_page(pfn);

	for (i = 0; i < PAGES_PER_SECTION; i++)
		if (memcmp(page + i, ref, sizeof(*ref)))
			return false;
	return !mt_bad_pageblock(r, s);
}

static int mt_ref_fn(unsigned long start, unsigned long end, void *arg)
{
	struct mt_ref_pass *ps = arg;
	unsigned long s;
	long old;

	for (s = start; s < end; s++) {
		if (mt_cancelled(ps->cancel))
			return -ECANCELED;
		if (!mt_section_is_ref(ps->r, s))
			break;
		cond_resched();
	}
	if (s == end)
		return 0;
	old = atomic_long_read(&ps->first_bad);
	while (s < old && !atomic_long_try_cmpxchg(&ps->first_bad, &old, s))
		;
	return 0;
}

int mt_check_ref(struct mt_region *r, const struct mt_ctx *c)
{
	struct mt_ref_pass ps = { .r = r, .cancel = c->cancel };
	struct mt_out *o = c->o;
	long s;
	int ret;

	if (!r->layout_ok)
		return mt_fail(o, -EOPNOTSUPP,
			       "no check without digests: the layout is not validated");
	if (r->tmpl_off >= 0)
		return mt_fail(o, -EOPNOTSUPP,
			       "no check without digests: the pages of a piece are not all alike");
	atomic_long_set(&ps.first_bad, LONG_MAX);
	ret = mt_run_sections(mt_ref_fn, &ps, 0, r->nr_sections, c);
	if (ret)
		return mt_fail(o, ret, "reference check failed");
	s = atomic_long_read(&ps.first_bad);
	mt_kv(o, "ref_match=%d\n", s == LONG_MAX);
	if (s == LONG_MAX)
		return 0;
	mt_report_mismatch(r, s, NULL, 0, o);
	return -EIO;
}

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

struct mt_verify_pass {
	struct mt_region *r;
	const atomic_t *cancel;
	atomic_long_t bad;
	atomic_long_t skipped;	/* sections not initialised yet */
	spinlock_t lock;
	unsigned long first_bad;	/* page index, ULONG_MAX: none */
	const char *first_field;
};

static int mt_verify_fn(unsigned long start, unsigned long end, void *arg)
{
	struct mt_verify_pass *ps = arg;
	struct mt_region *r = ps->r;
	unsigned long n, i, bad = 0, first = ULONG_MAX;
	const char *field = NULL;

	for (; start < end; start += n) {
		unsigned long pfn = r->start_pfn + start;
		const struct dev_pagemap *pgmap =
			&mt_piece_of_pfn(r, pfn)->pgmap;
		struct page *page = pfn_to_page(pfn);

		n = mt_section_run_len(start, end);
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

int mt_verify(struct mt_region *r, const struct mt_ctx *c)
{
	struct mt_verify_pass ps = {
		.r = r, .cancel = c->cancel, .first_bad = ULONG_MAX,
	};
	struct mt_out *o = c->o;
	struct padata_mt_task task = {
		.thread_fn = mt_verify_fn,
		.fn_arg = &ps,
		.align = PAGES_PER_SECTION,
		.min_chunk = PAGES_PER_SECTION,
		.max_threads = c->threads,
		.cancel = c->cancel,
	};
	long bad, skipped;
	u64 t0;
	int ret;

	spin_lock_init(&ps.lock);
	atomic_long_set(&ps.bad, 0);
	atomic_long_set(&ps.skipped, 0);
	task.size = r->nr_pages;
	t0 = ktime_get_ns();
	ret = mt_run_task(&task, c->threads);
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
