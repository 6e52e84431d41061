// SPDX-License-Identifier: GPL-2.0
/*
 * memmap_test: claiming, plugging and unplugging the physical range.
 *
 * A region is a section-aligned physical range claimed in iomem, either a
 * free one (request_free_mem_region()) or one the user names with base=
 * (e.g. reserved with memmap=nn!ss), and mapped as ZONE_DEVICE memory.
 * threads=1 is the stock path: one memremap_pages() over the whole range.
 * threads>1 splits it into section-aligned pieces, each its own dev_pagemap
 * with one range, that padata_mt_run() plugs concurrently: the struct page
 * init in memmap_init_zone_device() runs outside mem_hotplug_lock, so the
 * pieces overlap there.  A failed or cancelled hotplug unplugs every piece
 * it had plugged, so it leaves nothing behind.
 *
 * Unplug with threads=1 is stock too: memunmap_pages() of each piece in
 * turn in the caller.  Each call waits for two RCU grace periods, one for
 * the pgmap's percpu_ref to die and one after the pgmap_array update,
 * whatever the piece's size, so a region of P pieces costs 2P grace periods
 * in a row that way.  threads>1 waits for them side by side: every piece's
 * memunmap_pages() is a work item on system_unbound_wq, all queued at once
 * (they sleep, not compute, so they are not held to the thread count), and
 * the removal itself takes turns under mem_hotplug_lock as it must.
 */
#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/ioport.h>
#include <linux/memory_hotplug.h>
#include <linux/mm.h>
#include <linux/nodemask.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>

#include "compat.h"
#include "padata_mt.h"
#include "region.h"

#define MT_SECTION_BYTES	(PAGES_PER_SECTION << PAGE_SHIFT)

#if IS_ENABLED(CONFIG_DEVICE_PRIVATE)
/*
 * Device-private pages are never handed out by this module, so these
 * callbacks only satisfy memremap_pages()'s checks.
 */
static void mt_page_free(PMT_PGMAP_FREE_ARGS)
{
}

static vm_fault_t mt_migrate_to_ram(struct vm_fault *vmf)
{
	return VM_FAULT_SIGBUS;
}

/* A device-private pgmap's owner: any address unique to this module. */
static char mt_pgmap_owner;

static const struct dev_pagemap_ops mt_pgmap_ops = {
	.PMT_PGMAP_FREE = mt_page_free,
	.migrate_to_ram = mt_migrate_to_ram,
};

static void mt_pgmap_setup(struct dev_pagemap *pgmap)
{
	pgmap->type = MEMORY_DEVICE_PRIVATE;
	pgmap->ops = &mt_pgmap_ops;
	pgmap->owner = &mt_pgmap_owner;
}

#define MT_PGMAP_TYPE_NAME "private"
#else
static void mt_pgmap_setup(struct dev_pagemap *pgmap)
{
	pgmap->type = MEMORY_DEVICE_GENERIC;
}

#define MT_PGMAP_TYPE_NAME "generic"
#endif

/*
 * Kernel-wide values a plug must leave as they were.  x86 add_pages()
 * raised max_pfn, max_low_pfn and high_memory to the end of every range it
 * added, ZONE_DEVICE ones included, and removal never lowers them, until
 * upstream 7170130e4c72 ("x86/mm/init: Handle the special case of device
 * private pages in add_pages(), to not increase max_pfn and trigger
 * dma_addressing_limited() bounce buffers") left them alone for a pgmap.
 * Debian's 6.1 carries it from 6.1.141, its 6.12 from 6.12.31
 * (compat.h).  high_memory is exported and follows
 * max_pfn on x86-64, and so does the mask a device without DMA limits
 * needs (dma_get_required_mask() of a device with no DMA ops).
 */
static struct device mt_dma_dev;

unsigned long mt_high_memory_pfn(void)
{
	return ((unsigned long)READ_ONCE(high_memory) - PAGE_OFFSET) >>
	       PAGE_SHIFT;
}

u64 mt_dma_required_mask(void)
{
	return dma_get_required_mask(&mt_dma_dev);
}

/*
 * Whether a plug above high_memory would raise it: known at build time
 * for kernels older than the fix (compat.h), learnt from the first plug
 * that did on the others.
 */
static bool mt_plug_raises_max_pfn = PMT_PLUG_RAISES_MAX_PFN;

/*
 * Four pieces per thread: enough for the threads to take turns in the part
 * of memremap_pages() under mem_hotplug_lock while the others initialise
 * struct pages outside it (64G on 2 vCPUs under TCG: 4, 8, 16, 32 pieces
 * plug in 1.20-1.28, 1.11-1.21, 1.16-1.36, 1.33-1.35 s), while each piece
 * costs unplug its own RCU grace periods (0.14, 0.22, 0.47, 0.85 s).
 */
static unsigned int mt_default_pieces(unsigned long nr_sections,
				      unsigned int threads)
{
	if (threads <= 1)
		return 1;
	return min_t(unsigned long, nr_sections, 4UL * threads);
}

/* Pieces cover sections [i * S / P, (i + 1) * S / P): O(1) lookup. */
struct mt_piece *mt_piece_of_pfn(const struct mt_region *r, unsigned long pfn)
{
	unsigned long sec = (pfn - r->start_pfn) / PAGES_PER_SECTION;
	unsigned long i = ((sec + 1) * r->nr_pieces - 1) / r->nr_sections;

	return &r->pieces[i];
}

static int mt_plug_one(struct mt_region *r, unsigned int i)
{
	struct mt_piece *p = &r->pieces[i];
	void *va;

	if (r->fail_piece == i)
		return -EIO;

	memset(&p->pgmap, 0, sizeof(p->pgmap));
	mt_pgmap_setup(&p->pgmap);
	p->pgmap.range.start = PFN_PHYS(p->start_pfn);
	p->pgmap.range.end = PFN_PHYS(p->start_pfn + p->nr_pages) - 1;
	p->pgmap.nr_range = 1;
	va = memremap_pages(&p->pgmap, r->nid);
	if (IS_ERR(va))
		return PTR_ERR(va);
	p->plugged = true;
	return 0;
}

static void mt_unplug_one(struct mt_region *r, unsigned int i)
{
	struct mt_piece *p = &r->pieces[i];

	if (!p->plugged)
		return;
	memunmap_pages(&p->pgmap);
	p->plugged = false;
}

static void mt_unplug_fn_undo(unsigned long start, unsigned long end,
			      void *arg)
{
	while (start < end)
		mt_unplug_one(arg, start++);
}

/* Plug pieces [start, end); on error or cancel unplug this chunk's own. */
static int mt_plug_fn(unsigned long start, unsigned long end, void *arg)
{
	struct mt_region *r = arg;
	unsigned long i;
	int ret = 0;

	for (i = start; i < end; i++) {
		ret = mt_plug_one(r, i);
		if (ret)
			break;
	}
	if (ret)
		mt_unplug_fn_undo(start, i, r);
	return ret;
}

static void mt_region_free(struct mt_region *r)
{
	if (!r)
		return;
	if (r->res)
		release_mem_region(r->base, r->size);
	kvfree(r->pieces);
	kvfree(r->kdigest);
	kvfree(r->digest);
	kvfree(r->sec_state);
	kvfree(r->sec_inits);
	kfree(r);
}

static int mt_cover_fn(struct resource *res, void *arg)
{
	*(u64 *)arg += resource_size(res);
	return 0;
}

/* Bytes of [@start, @start + @size) in iomem resources described @desc. */
static u64 mt_covered(u64 start, u64 size, unsigned long desc)
{
	u64 bytes = 0;

	walk_iomem_res_desc(desc, IORESOURCE_MEM, start, start + size - 1,
			    &bytes, mt_cover_fn);
	return bytes;
}

/*
 * base=: only memory the kernel was told is there for a device to claim,
 * legacy persistent memory (e820 type 12, memmap=nn!ss: "Persistent Memory
 * (legacy)") or soft-reserved memory (EFI specific-purpose: "Soft
 * Reserved").  Anything else, a PCI window, an unclaimed BAR, e820
 * Reserved, a hole no one describes, may be given to a device later.
 */
static int mt_check_base(const struct mt_plug_req *a, struct mt_out *o)
{
	struct range range;
	u64 ok;

	if (!IS_ALIGNED(a->base, MT_SECTION_BYTES))
		return mt_fail(o, -EINVAL,
			       "base=%#llx is not a multiple of the section size %lu",
			       a->base, MT_SECTION_BYTES);
	range = mhp_get_pluggable_range(!IS_ENABLED(CONFIG_DEVICE_PRIVATE));
	if (a->base + a->size < a->base || a->base < range.start ||
	    a->base + a->size - 1 > range.end)
		return mt_fail(o, -EINVAL,
			       "base=%#llx size=%llu is outside the hotpluggable physical range",
			       a->base, a->size);
	if (region_intersects(a->base, a->size, IORESOURCE_SYSTEM_RAM,
			      IORES_DESC_NONE) != REGION_DISJOINT)
		return mt_fail(o, -EINVAL,
			       "base=%#llx size=%llu overlaps System RAM",
			       a->base, a->size);
	ok = mt_covered(a->base, a->size,
			IORES_DESC_PERSISTENT_MEMORY_LEGACY) +
	     mt_covered(a->base, a->size, IORES_DESC_SOFT_RESERVED);
	if (ok != a->size)
		return mt_fail(o, -EINVAL,
			       "base=%#llx size=%llu: %llu bytes of it are neither legacy persistent memory (memmap=nn!ss) nor soft-reserved memory, the only ranges base= takes (see /proc/iomem)",
			       a->base, a->size, a->size - ok);
	return 0;
}

static int mt_claim(struct mt_region *r, const struct mt_plug_req *a,
		    struct mt_out *o)
{
	struct resource *res;
	int ret;

	if (!a->has_base) {
		res = pmt_request_free_mem_region(&iomem_resource, a->size, MT_NAME);
		if (PTR_ERR_OR_ZERO(res) == -EOPNOTSUPP)
			return mt_fail(o, -EOPNOTSUPP,
				       "this kernel cannot find a free range (no CONFIG_GET_FREE_REGION): give base=");
		if (IS_ERR(res))
			return mt_fail(o, PTR_ERR(res),
				       "no free physical range of %llu bytes",
				       a->size);
		r->res = res;
		r->base = res->start;
		return 0;
	}

	ret = mt_check_base(a, o);
	if (ret)
		return ret;
	res = request_mem_region(a->base, a->size, MT_NAME);
	if (!res)
		return mt_fail(o, -EBUSY,
			       "base=%#llx size=%llu is busy in /proc/iomem",
			       a->base, a->size);
	r->res = res;
	r->base = a->base;
	return 0;
}

/* Check the request and build an unplugged, unclaimed region. */
static struct mt_region *mt_region_new(const struct mt_plug_req *a,
				       unsigned int threads, struct mt_out *o,
				       int *err)
{
	struct mt_region *r;
	unsigned long s;
	unsigned int i;

	*err = -EINVAL;
	if (!IS_ALIGNED(a->size, MT_SECTION_BYTES)) {
		mt_fail(o, -EINVAL,
			"size=%llu is not a multiple of the section size %lu",
			a->size, MT_SECTION_BYTES);
		return NULL;
	}

	*err = mt_check_share((a->size >> PAGE_SHIFT) * sizeof(struct page),
			      "memmap", o);
	if (*err)
		return NULL;

	*err = -EINVAL;
	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		goto nomem;
	r->size = a->size;
	r->nr_pages = a->size >> PAGE_SHIFT;
	r->nr_sections = r->nr_pages / PAGES_PER_SECTION;
	r->nid = a->nid == NUMA_NO_NODE ? first_memory_node : a->nid;
	r->fail_piece = a->fail_piece;

	r->nr_pieces = a->pieces ? a->pieces :
		mt_default_pieces(r->nr_sections, threads);
	if (threads == 1 && r->nr_pieces > 1) {
		mt_fail(o, -EINVAL, "pieces=%u needs threads>1", r->nr_pieces);
		goto err;
	}
	if (r->nr_pieces > r->nr_sections) {
		mt_fail(o, -EINVAL, "pieces=%u exceeds the %lu sections",
			r->nr_pieces, r->nr_sections);
		goto err;
	}
	if (a->fail_piece >= 0 && (unsigned int)a->fail_piece >= r->nr_pieces) {
		mt_fail(o, -EINVAL, "fail_piece=%d but only %u pieces",
			a->fail_piece, r->nr_pieces);
		goto err;
	}

	r->pieces = kvcalloc(r->nr_pieces, sizeof(*r->pieces), GFP_KERNEL);
	r->sec_state = kvcalloc(r->nr_sections, sizeof(atomic_t), GFP_KERNEL);
	r->sec_inits = kvcalloc(r->nr_sections, sizeof(atomic_t), GFP_KERNEL);
	if (!r->pieces || !r->sec_state || !r->sec_inits)
		goto nomem;
	/* memremap_pages() initialises every struct page it maps. */
	for (s = 0; s < r->nr_sections; s++)
		atomic_set(&r->sec_state[s], MT_SEC_DONE);
	for (i = 0; i < r->nr_pieces; i++) {
		s = (unsigned long)i * r->nr_sections / r->nr_pieces;
		r->pieces[i].start_pfn = s * PAGES_PER_SECTION;
		s = (unsigned long)(i + 1) * r->nr_sections / r->nr_pieces;
		r->pieces[i].nr_pages = s * PAGES_PER_SECTION -
					r->pieces[i].start_pfn;
	}
	return r;

nomem:
	*err = mt_fail(o, -ENOMEM, "out of memory");
err:
	mt_region_free(r);
	return NULL;
}

struct mt_region *mt_region_plug(const struct mt_plug_req *a,
				 const struct mt_ctx *c, u64 *ns)
{
	unsigned int threads = c->threads;
	struct mt_out *o = c->o;
	struct padata_mt_task task = {
		.thread_fn = mt_plug_fn,
		.undo_fn = mt_unplug_fn_undo,
		.align = 1,
		.min_chunk = 1,
		.max_threads = threads,
		.cancel = c->cancel,
	};
	unsigned long hm, hm1;
	struct mt_region *r;
	unsigned int i;
	u64 t0, dma;
	int ret;

	r = mt_region_new(a, threads, o, &ret);
	if (!r)
		return ERR_PTR(ret);
	ret = mt_claim(r, a, o);
	if (ret)
		goto err;
	r->start_pfn = PHYS_PFN(r->base);
	for (i = 0; i < r->nr_pieces; i++)
		r->pieces[i].start_pfn += r->start_pfn;
	hm = mt_high_memory_pfn();
	dma = mt_dma_required_mask();
	if (READ_ONCE(mt_plug_raises_max_pfn) &&
	    r->start_pfn + r->nr_pages > hm) {
		ret = mt_fail(o, -EOPNOTSUPP,
			      "this kernel raises max_pfn and high_memory to the end of a hotplugged range for good (no upstream 7170130e4c72): a region must end at or below pfn %#lx",
			      hm);
		goto err;
	}

	task.fn_arg = r;
	task.size = r->nr_pieces;
	t0 = ktime_get_ns();
	ret = mt_run_task(&task, threads);
	if (ns)
		*ns = ktime_get_ns() - t0;
	if (ret) {
		/* The engine undid every completed chunk; trust but check. */
		for (i = 0; i < r->nr_pieces; i++)
			if (WARN_ON_ONCE(r->pieces[i].plugged))
				mt_unplug_one(r, i);
		mt_fail(o, ret, "hotplug of %llu bytes failed%s", r->size,
			ret == -ECANCELED ? ": cancelled" : "");
		goto err;
	}
	hm1 = mt_high_memory_pfn();
	if (hm1 != hm || mt_dma_required_mask() != dma) {
		WRITE_ONCE(mt_plug_raises_max_pfn, true);
		mt_unplug_fn_undo(0, r->nr_pieces, r);
		ret = mt_fail(o, -EOPNOTSUPP,
			      "the plug raised high_memory from pfn %#lx to %#lx and the DMA mask a device needs from %#llx to %#llx (no upstream 7170130e4c72; unplug cannot lower them): undone; a region must end at or below pfn %#lx from now on",
			      hm, hm1, dma, mt_dma_required_mask(), hm1);
		goto err;
	}
	r->plug_threads = threads;
	return r;

err:
	mt_region_free(r);
	return ERR_PTR(ret);
}

static void mt_unplug_work(struct work_struct *w)
{
	struct mt_piece *p = container_of(w, struct mt_piece, unplug_work);

	memunmap_pages(&p->pgmap);
	p->plugged = false;
}

void mt_region_unplug(struct mt_region *r, unsigned int threads, u64 *ns)
{
	u64 t0 = ktime_get_ns();
	unsigned int i;

	if (threads <= 1 || r->nr_pieces == 1) {
		mt_unplug_fn_undo(0, r->nr_pieces, r);
	} else {
		for (i = 0; i < r->nr_pieces; i++) {
			INIT_WORK(&r->pieces[i].unplug_work, mt_unplug_work);
			if (r->pieces[i].plugged)
				queue_work(system_unbound_wq,
					   &r->pieces[i].unplug_work);
		}
		/* Every work item ends before the region and the module go. */
		for (i = 0; i < r->nr_pieces; i++)
			flush_work(&r->pieces[i].unplug_work);
	}
	if (ns)
		*ns = ktime_get_ns() - t0;
	mt_region_free(r);
}

void mt_region_kv(const struct mt_region *r, struct mt_out *o)
{
	mt_kv(o, "region_plugged=%d\n", !!r);
	if (!r)
		return;
	mt_kv(o, "region_base=%#llx\nregion_size_bytes=%llu\n", r->base,
	      r->size);
	mt_kv(o, "region_start_pfn=%#lx\nregion_pages=%lu\nregion_sections=%lu\n",
	      r->start_pfn, r->nr_pages, r->nr_sections);
	mt_kv(o, "region_memmap_bytes=%lu\n", r->nr_pages * sizeof(struct page));
	mt_kv(o, "region_pieces=%u\nregion_plug_threads=%u\nregion_nid=%d\n",
	      r->nr_pieces, r->plug_threads, r->nid);
	mt_kv(o, "region_pgmap_type=%s\n", MT_PGMAP_TYPE_NAME);
}
