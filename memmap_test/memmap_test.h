/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memmap_test: ZONE_DEVICE hotplug and struct page re-initialisation driven
 * by debugfs, multithreaded with padata_mt_run().  Internal declarations
 * shared by the five files of the module:
 *
 *   main.c      module parameters, init/exit, the command kthread
 *   cmd.c       debugfs files, the strict command parser, result lines
 *   region.c    claiming, plugging and unplugging a physical range
 *   pageinit.c  per-page init, per-section digests, reinit, verify
 *   bench.c     memset, bench, statistics and the table
 *
 * Only the command kthread touches the region and the result buffers it
 * builds; readers see results through cmd.c, under mt_res_lock.
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
	MT_CMD_NR,
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
	bool has_skip;
	u64 skip;
	bool has_fail_piece;
	unsigned int fail_piece;
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
};

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

/* pageinit.c */
int mt_cmd_reinit(const struct mt_args *a, struct mt_out *o,
		  const atomic_t *cancel);
int mt_cmd_verify(const struct mt_args *a, struct mt_out *o,
		  const atomic_t *cancel);
int mt_reinit(struct mt_region *r, unsigned int threads, bool poison,
	      bool twopass, s64 skip, struct mt_out *o,
	      const atomic_t *cancel, u64 *ns, u64 *zero_ns);
int mt_check_digest(struct mt_region *r, unsigned int threads,
		    struct mt_out *o, const atomic_t *cancel);

/* bench.c */
int mt_cmd_memset(const struct mt_args *a, struct mt_out *o,
		  const atomic_t *cancel);
int mt_cmd_bench(const struct mt_args *a, struct mt_out *o,
		 const atomic_t *cancel);

#endif /* _MEMMAP_TEST_H */
