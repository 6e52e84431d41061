/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memmap_test: ZONE_DEVICE hotplug and struct page re-initialisation driven
 * by debugfs, multithreaded with padata_mt_run().  Internal declarations
 * shared by the files of the module:
 *
 *   main.c      module parameters, init/exit, the command kthread
 *   cmd.c       debugfs files, the strict command parser, result lines
 *   region.c    claiming, plugging and unplugging a physical range
 *   pageinit.c  per-page init, per-section digests, reinit, verify
 *   bench.c     memset, bench, statistics and the table
 *   async.c     the background re-initialisation and sync
 *   layout.c    the validated struct page layouts, as data
 *
 * Only the command kthread touches the region and the result buffers it
 * builds; readers see results through cmd.c, under mt_res_lock.  The one
 * exception is a background pass (async.c): while it runs it initialises
 * the sections it claims, and the region stays plugged until it stopped.
 */
#ifndef _MEMMAP_TEST_H
#define _MEMMAP_TEST_H

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/memremap.h>
#include <linux/mm_types.h>
#include <linux/types.h>

#define MT_NAME			"memmap_test"
/* Longest command accepted by one write(), newline included. */
#define MT_CMD_MAX		512
/* Most thread counts one bench sweeps. */
#define MT_MAX_SWEEP		16
#define MT_MAX_REPEATS		100
#define MT_MAX_PIECES		65536U
/* Size of the buffer holding the last results (key=value lines). */
#define MT_OUT_SIZE		(32 * 1024)

enum mt_cmd_id {
	MT_CMD_HOTPLUG,
	MT_CMD_UNPLUG,
	MT_CMD_REINIT,
	MT_CMD_VERIFY,
	MT_CMD_MEMSET,
	MT_CMD_BENCH,
	MT_CMD_ASYNC,
	MT_CMD_SYNC,
	MT_CMD_NR,
};

/* Test-only: the digest check sees bit @bit of page @index flipped. */
#define MT_MAX_FLIPS		4
struct mt_flip {
	u64 index;
	unsigned int bit;
};

/* One parsed command line.  Zero/false means "not given". */
struct mt_args {
	enum mt_cmd_id cmd;
	u64 size;
	u64 base;
	bool has_base;
	unsigned int threads[MT_MAX_SWEEP];
	unsigned int nr_threads;
	unsigned int pieces;
	int nid;
	unsigned int repeats;
	bool poison;
	bool twopass;
	bool has_pfn;
	u64 pfn;
	bool has_count;
	u64 count;
	unsigned int delay_ms;
	bool has_skip;
	u64 skip;
	bool has_fail_piece;
	unsigned int fail_piece;
	unsigned int nr_flips;
	struct mt_flip flips[MT_MAX_FLIPS];
};

/* A growing text of "key=value" lines. */
struct mt_out {
	char *buf;
	size_t len;
	size_t size;
};

/* One section-aligned piece of the region: its own pgmap with one range. */
struct mt_piece {
	struct dev_pagemap pgmap;
	unsigned long start_pfn;
	unsigned long nr_pages;
	bool plugged;
	/* A copy of the kernel-written struct page of start_pfn. */
	struct page ref;
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

/* layout.c: the validated struct page layouts, as data. */
#define MT_PAGE_WORDS		8

/* What a word of a ZONE_DEVICE struct page holds after the kernel's init. */
enum mt_word {
	MT_W_ZERO,	/* 0 */
	MT_W_FLAGS,	/* zone, node, all-ones last cpupid, PG_reserved */
	MT_W_PGMAP,	/* the page's dev_pagemap */
	MT_W_COUNTS,	/* _mapcount -1, _refcount per pgmap type */
};

/* One validated row (see layout.c). */
struct mt_layout {
	const char *name;
	/* What the row applies to: PMT_SERIES_CODE() and the config. */
	unsigned int series;
	int nodes_shift;
	bool numa_balancing;
	bool memcg;
	/* What was validated there. */
	int pg_reserved;
	int nodes_pgshift;
	int zones_pgshift;
	int last_cpupid_pgshift;	/* -1: not in page->flags */
	s8 refcount[MEMORY_DEVICE_PCI_P2PDMA + 1];
	const enum mt_word *words;	/* MT_PAGE_WORDS of them */
};

void __init mt_layout_init(void);
const struct mt_layout *mt_layout(void);
int mt_layout_refuse(struct mt_out *o);
int mt_layout_word_diff(const struct mt_layout *l, const struct page *page,
			int nid, const struct dev_pagemap *pgmap, u64 *want);

/* The job a writer hands to the command kthread. */
struct mt_job {
	struct mt_args args;
	struct mt_out *out;
	int ret;
	atomic_t cancel;
	struct completion done;
};

/* main.c */
extern unsigned int max_memmap_pct;
extern struct mt_region *mt_region;
int mt_run_job(struct mt_job *job);

/* cmd.c */
struct dentry;
struct seq_file;
int mt_debugfs_init(struct dentry **dir);
void mt_debugfs_exit(void);
__printf(2, 3) void mt_kv(struct mt_out *o, const char *fmt, ...);
__printf(3, 4) int mt_fail(struct mt_out *o, int err, const char *fmt, ...);
struct mt_out *mt_out_alloc(void);
void mt_out_free(struct mt_out *o);
void mt_publish_table(struct mt_out *table);
const char *mt_cmd_name(enum mt_cmd_id cmd);

/* Run a job: directly when threads == 1, else with padata_mt_run(). */
struct padata_mt_task;
int mt_run_task(const struct padata_mt_task *task, unsigned int threads);
int mt_run_sections(int (*fn)(unsigned long start, unsigned long end,
			      void *arg),
		    void *arg, unsigned long s0, unsigned long s1,
		    unsigned int threads, const atomic_t *cancel);
unsigned int mt_default_threads(void);
int mt_check_share(u64 bytes, const char *what, struct mt_out *o);

static inline bool mt_cancelled(const atomic_t *cancel)
{
	return cancel && atomic_read(cancel);
}

unsigned int mt_threads_arg(const struct mt_args *a);

/* region.c */
int mt_cmd_hotplug(const struct mt_args *a, struct mt_out *o,
		   const atomic_t *cancel);
int mt_cmd_unplug(const struct mt_args *a, struct mt_out *o);
int mt_region_plug(const struct mt_args *a, unsigned int threads,
		   struct mt_out *o, const atomic_t *cancel, u64 *ns);
int mt_region_unplug(unsigned int threads, u64 *ns);
unsigned int mt_default_pieces(unsigned long nr_sections, unsigned int threads);
struct mt_piece *mt_piece_of_pfn(const struct mt_region *r, unsigned long pfn);
void mt_region_kv(const struct mt_region *r, struct mt_out *o);
unsigned long mt_high_memory_pfn(void);
u64 mt_dma_required_mask(void);

/* pageinit.c */
int mt_cmd_reinit(const struct mt_args *a, struct mt_out *o,
		  const atomic_t *cancel);
int mt_cmd_verify(const struct mt_args *a, struct mt_out *o,
		  const atomic_t *cancel);
int mt_reinit_prepare(struct mt_region *r, unsigned int threads,
		      struct mt_out *o, const atomic_t *cancel);
int mt_reinit(struct mt_region *r, unsigned int threads, bool poison,
	      bool twopass, s64 skip, struct mt_out *o,
	      const atomic_t *cancel, u64 *ns, u64 *zero_ns);
int mt_check_digest_flips(struct mt_region *r, unsigned int threads,
			  const struct mt_flip *flips, unsigned int nr_flips,
			  struct mt_out *o, const atomic_t *cancel);
int mt_check_digest(struct mt_region *r, unsigned int threads,
		    struct mt_out *o, const atomic_t *cancel);
int mt_check_digest_range(struct mt_region *r, unsigned long s0,
			  unsigned long s1, unsigned int threads,
			  struct mt_out *o, const atomic_t *cancel);
void mt_init_section(struct mt_region *r, unsigned long s);
void mt_poison_section(struct mt_region *r, unsigned long s);
void mt_page_layout_show(struct seq_file *m);

/* bench.c */
int mt_cmd_memset(const struct mt_args *a, struct mt_out *o,
		  const atomic_t *cancel);
int mt_cmd_bench(const struct mt_args *a, struct mt_out *o,
		 const atomic_t *cancel);

/* async.c */
int mt_cmd_async(const struct mt_args *a, struct mt_out *o,
		 const atomic_t *cancel);
int mt_cmd_sync(const struct mt_args *a, struct mt_out *o,
		const atomic_t *cancel);
void mt_async_start(struct mt_region *r, unsigned int threads, bool poison,
		    unsigned int delay_ms, bool check);
int mt_async_wait(void);
u64 mt_async_full_ns(void);
bool mt_async_stop(void);
bool mt_async_running(void);
int mt_sync_sections(struct mt_region *r, unsigned long s0,
		     unsigned long s1, unsigned int threads,
		     const atomic_t *cancel, unsigned long *inited,
		     unsigned long *waited);
void mt_async_status(struct seq_file *m);
int mt_async_init(void);
void mt_async_exit(void);

#endif /* _MEMMAP_TEST_H */
