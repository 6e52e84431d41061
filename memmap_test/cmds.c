// SPDX-License-Identifier: GPL-2.0
/*
 * memmap_test: the command table and its handlers (cmds.h).
 *
 * A handler checks what only it can (the plugged region's state, a pfn or
 * page index against the region), prints the command's own keys, and
 * calls the layer below with the region and one context struct.  All run
 * in the command thread, one at a time, so the region pointer needs no
 * lock; a background pass holds the region too, and every command but
 * those marked beside_async stops it first (mt_cmd_run()), unplug
 * included.
 */
#include <linux/err.h>
#include <linux/ktime.h>
#include <linux/math.h>
#include <linux/mm.h>
#include <linux/numa.h>

#include "async.h"
#include "bench.h"
#include "cmds.h"
#include "digest.h"
#include "layout.h"
#include "memset.h"
#include "pageinit.h"
#include "region.h"

#define K(k) BIT(MT_K_##k)

/* The plugged region, or NULL: only the command thread (and rmmod) use it. */
static struct mt_region *mt_region;

/* The one thread count of a non-bench command. */
static unsigned int mt_threads_arg(const struct mt_args *a)
{
	return a->nr_threads ? a->threads[0] : mt_default_threads();
}

static struct mt_plug_req mt_plug_req(const struct mt_args *a)
{
	return (struct mt_plug_req){
		.size = a->size,
		.base = a->base,
		.has_base = mt_given(a, MT_K_BASE),
		.pieces = a->pieces,
		.nid = a->nid,
		.fail_piece = mt_given(a, MT_K_FAIL_PIECE) ? a->fail_piece : -1,
	};
}

static int mt_need_region(struct mt_out *o)
{
	return mt_region ? 0 : mt_fail(o, -ENOENT, "no region is plugged");
}

static int mt_do_hotplug(const struct mt_args *a, const struct mt_ctx *c,
			 struct mt_out **table)
{
	struct mt_plug_req req = mt_plug_req(a);
	struct mt_region *r;
	u64 ns = 0;

	mt_kv(c->o, "threads=%u\nsize_bytes=%llu\n", c->threads, a->size);
	if (mt_region)
		r = ERR_PTR(mt_fail(c->o, -EEXIST,
				    "a region is plugged already; unplug it first"));
	else
		r = mt_region_plug(&req, c, &ns);
	mt_kv(c->o, "hotplug_ns=%llu\n", ns);
	if (IS_ERR(r))
		return PTR_ERR(r);
	mt_region = r;
	mt_kv(c->o, "pieces=%u\n", r->nr_pieces);
	return 0;
}

static int mt_do_unplug(const struct mt_args *a, const struct mt_ctx *c,
			struct mt_out **table)
{
	u64 ns = 0;
	int ret;

	mt_kv(c->o, "threads=%u\n", c->threads);
	ret = mt_need_region(c->o);
	if (ret)
		return ret;
	/* Stopped already (not beside_async); nothing may touch it after. */
	mt_async_stop();
	mt_region_unplug(mt_region, c->threads, &ns);
	mt_region = NULL;
	mt_kv(c->o, "unplug_ns=%llu\n", ns);
	return 0;
}

static int mt_do_reinit(const struct mt_args *a, const struct mt_ctx *c,
			struct mt_out **table)
{
	struct mt_reinit_opts opt = {
		.poison = a->poison,
		.twopass = a->twopass,
		.store = mt_given(a, MT_K_STORE) ? a->store : MT_STORE_DEFAULT,
		.skip = mt_given(a, MT_K_SKIP) ? a->skip : -1,
		.skip_block = mt_given(a, MT_K_SKIP_BLOCK) ? a->skip_block : -1,
	};
	struct mt_region *r = mt_region;
	struct mt_out *o = c->o;
	u64 ns = 0, zero_ns = 0;
	unsigned int i;
	int ret;

	mt_kv(o, "threads=%u\npoison=%d\ntwopass=%d\nstore=%s\n", c->threads,
	      a->poison, a->twopass,
	      a->twopass ? "compute" : mt_store_names[opt.store]);
	ret = mt_need_region(o);
	if (ret)
		return ret;
	if (mt_given(a, MT_K_SKIP) && a->skip >= r->nr_pages)
		return mt_fail(o, -EINVAL, "skip=%llu but the region has %lu pages",
			       a->skip, r->nr_pages);
	if (mt_given(a, MT_K_SKIP_BLOCK) && a->skip_block >= r->nr_pages)
		return mt_fail(o, -EINVAL,
			       "skip_block=%llu but the region has %lu pages",
			       a->skip_block, r->nr_pages);
	for (i = 0; i < a->nr_flips; i++)
		if (a->flips[i].index >= r->nr_pages)
			return mt_fail(o, -EINVAL,
				       "flip=%llu:%u but the region has %lu pages",
				       a->flips[i].index, a->flips[i].bit,
				       r->nr_pages);
	if (mt_given(a, MT_K_SKIP))
		mt_kv(o, "skip_pfn=%#llx\n", r->start_pfn + a->skip);
	if (mt_given(a, MT_K_SKIP_BLOCK))
		mt_kv(o, "skip_block_pfn=%#llx\n",
		      round_down(r->start_pfn + a->skip_block,
				 pageblock_nr_pages));
	ret = mt_reinit(r, &opt, c, &ns, &zero_ns);
	mt_kv(o, "layout_validated=%d\n", r->layout_ok);
	if (ret)
		return ret;
	mt_kv(o, "reinit_ns=%llu\nreinit_pages=%lu\n", ns, r->nr_pages);
	if (a->twopass)
		mt_kv(o, "reinit_zero_ns=%llu\n", zero_ns);
	return mt_check_digest_flips(r, a->flips, a->nr_flips, c);
}

static int mt_do_verify(const struct mt_args *a, const struct mt_ctx *c,
			struct mt_out **table)
{
	int ret;

	mt_kv(c->o, "threads=%u\n", c->threads);
	ret = mt_need_region(c->o);
	return ret ? ret : mt_verify(mt_region, c);
}

static int mt_do_memset(const struct mt_args *a, const struct mt_ctx *c,
			struct mt_out **table)
{
	mt_kv(c->o, "threads=%u\n", c->threads);
	if (a->size)
		return mt_memset(a->size, c);
	if (mt_region)
		return mt_memset(mt_region->nr_pages * sizeof(struct page), c);
	return mt_fail(c->o, -EINVAL, "memset needs size= or a plugged region");
}

static int mt_do_bench(const struct mt_args *a, const struct mt_ctx *c,
		       struct mt_out **table)
{
	struct mt_bench_req req = {
		.plug = mt_plug_req(a),
		.nr_threads = a->nr_threads,
		.repeats = a->repeats,
	};

	if (mt_region)
		return mt_fail(c->o, -EEXIST,
			       "bench needs no region plugged; unplug first");
	memcpy(req.threads, a->threads, sizeof(req.threads));
	return mt_bench(&req, c, table);
}

static int mt_do_async(const struct mt_args *a, const struct mt_ctx *c,
		       struct mt_out **table)
{
	struct mt_region *r = mt_region;
	struct mt_out *o = c->o;
	u64 t0;
	int ret;

	mt_kv(o, "threads=%u\npoison=%d\ndelay_ms=%u\n", c->threads, a->poison,
	      a->delay_ms);
	ret = mt_need_region(o);
	if (ret)
		return ret;
	ret = mt_reinit_prepare(r, c);
	mt_kv(o, "layout_validated=%d\n", r->layout_ok);
	if (ret)
		return ret;
	t0 = ktime_get_ns();
	mt_async_start(r, c->threads, a->poison, a->delay_ms, true);
	mt_kv(o, "async_start_ns=%llu\nasync_sections=%lu\n",
	      ktime_get_ns() - t0, r->nr_sections);
	return 0;
}

static int mt_do_sync(const struct mt_args *a, const struct mt_ctx *c,
		      struct mt_out **table)
{
	struct mt_region *r = mt_region;
	unsigned long end, pfn, count, s0, s1, s, inited, waited, left = 0;
	struct mt_out *o = c->o;
	u64 t0, ns;
	int ret;

	mt_kv(o, "threads=%u\n", c->threads);
	ret = mt_need_region(o);
	if (!ret)
		ret = mt_layout_refuse(o);
	if (ret)
		return ret;
	end = r->start_pfn + r->nr_pages;
	if (mt_given(a, MT_K_PFN) && (a->pfn < r->start_pfn || a->pfn >= end))
		return mt_fail(o, -EINVAL,
			       "pfn=%#llx is outside the region [%#lx, %#lx)",
			       a->pfn, r->start_pfn, end);
	pfn = mt_given(a, MT_K_PFN) ? a->pfn : r->start_pfn;
	if (mt_given(a, MT_K_COUNT) && a->count > end - pfn)
		return mt_fail(o, -EINVAL,
			       "pfn=%#lx count=%llu goes beyond the region's end %#lx",
			       pfn, a->count, end);
	count = mt_given(a, MT_K_COUNT) ? a->count : end - pfn;
	s0 = (pfn - r->start_pfn) / PAGES_PER_SECTION;
	s1 = DIV_ROUND_UP(pfn + count - r->start_pfn, PAGES_PER_SECTION);
	mt_kv(o, "sync_pfn=%#lx\nsync_count=%lu\nsync_sections=%lu\n", pfn,
	      count, s1 - s0);

	t0 = ktime_get_ns();
	ret = mt_sync_sections(r, s0, s1, c, &inited, &waited);
	ns = ktime_get_ns() - t0;
	mt_kv(o, "sync_ns=%llu\nsync_sections_initialised=%lu\nsync_sections_waited=%lu\n",
	      ns, inited, waited);
	if (ret)
		return mt_fail(o, ret, "sync failed%s",
			       ret == -ECANCELED ? ": cancelled" : "");
	for (s = s0; s < s1; s++)
		left += !mt_section_is_done(r, s);
	mt_kv(o, "sync_sections_not_done=%lu\n", left);
	if (left)
		return mt_fail(o, -EIO, "sync returned with %lu sections not done",
			       left);
	/* The pages of the range at the moment sync returned. */
	if (!r->kdigest)
		return 0;
	return mt_check_digest_range(r, s0, s1, c);
}

const struct mt_cmd mt_cmds[MT_CMD_NR] = {
	[MT_CMD_HOTPLUG] = {
		.name = "hotplug",
		.allowed = K(SIZE) | K(BASE) | K(THREADS) | K(PIECES) | K(NID) |
			   K(FAIL_PIECE),
		.required = K(SIZE),
		.handler = mt_do_hotplug,
	},
	[MT_CMD_UNPLUG] = {
		.name = "unplug",
		.allowed = K(THREADS),
		.handler = mt_do_unplug,
	},
	[MT_CMD_REINIT] = {
		.name = "reinit",
		.allowed = K(THREADS) | K(POISON) | K(SKIP) | K(SKIP_BLOCK) |
			   K(TWOPASS) | K(STORE) | K(FLIP),
		.handler = mt_do_reinit,
	},
	[MT_CMD_VERIFY] = {
		.name = "verify",
		.allowed = K(THREADS),
		.beside_async = true,
		.handler = mt_do_verify,
	},
	[MT_CMD_MEMSET] = {
		.name = "memset",
		.allowed = K(THREADS) | K(SIZE),
		.handler = mt_do_memset,
	},
	[MT_CMD_BENCH] = {
		.name = "bench",
		.allowed = K(SIZE) | K(THREADS) | K(REPEATS) | K(PIECES) |
			   K(NID),
		.required = K(SIZE),
		.threads_list = true,
		.handler = mt_do_bench,
	},
	[MT_CMD_ASYNC] = {
		.name = "async",
		.allowed = K(THREADS) | K(POISON) | K(DELAY_MS),
		.note = "(background reinit; returns at once)",
		.handler = mt_do_async,
	},
	[MT_CMD_SYNC] = {
		.name = "sync",
		.allowed = K(THREADS) | K(PFN) | K(COUNT),
		.beside_async = true,
		.note = "(returns when those struct pages are initialised)",
		.handler = mt_do_sync,
	},
};

int mt_cmd_run(const struct mt_args *a, struct mt_ctx *c,
	       struct mt_out **table)
{
	const struct mt_cmd *cmd = &mt_cmds[a->cmd];
	int ret;

	mt_kv(c->o, "command=%s\n", cmd->name);
	if (!cmd->beside_async && mt_async_stop())
		mt_kv(c->o, "async_stopped=1\n");
	/* bench sweeps its own thread counts and ignores this one */
	c->threads = mt_threads_arg(a);
	ret = cmd->handler(a, c, table);
	mt_kv(c->o, "result=%d\n", ret);
	mt_region_kv(mt_region, c->o);
	return ret;
}

void mt_cmds_state_kv(struct mt_out *o)
{
	mt_region_kv(mt_region, o);
}

void mt_cmds_exit(void)
{
	mt_async_stop();
	if (mt_region)
		mt_region_unplug(mt_region, mt_default_threads(), NULL);
	mt_region = NULL;
}
