/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memmap_test, the background re-initialisation and on-demand sync
 * (async.c).  One pass at a time, over a region the caller keeps plugged
 * until mt_async_stop() or mt_async_wait() returned.  Calls pageinit.h,
 * digest.h, region.h, run.h, out.h.
 */
#ifndef _MT_ASYNC_H
#define _MT_ASYNC_H

#include <linux/types.h>

#include "region.h"

struct seq_file;

/*
 * Start a background pass over @r with @threads; no pass may be running.
 * @poison (test-only) first scribbles every section, so a section nobody
 * initialised shows in its digest; @delay_ms (test-only) holds each
 * section that long; @check digest-checks the region when the pass is
 * complete.  mt_reinit_prepare() has succeeded on @r.
 */
void mt_async_start(struct mt_region *r, unsigned int threads, bool poison,
		    unsigned int delay_ms, bool check);
/* Wait for the pass to end (without load); its result. */
int mt_async_wait(void);
/* Start to every section DONE, of the last pass that ended. */
u64 mt_async_full_ns(void);
/* Cancel a running pass and wait for it; whether one was running. */
bool mt_async_stop(void);
bool mt_async_running(void);
/*
 * Make sections [s0, s1) of @r initialised: initialise the unclaimed ones
 * here, then wait for those in progress.  On success every one is DONE.
 */
int mt_sync_sections(struct mt_region *r, unsigned long s0,
		     unsigned long s1, const struct mt_ctx *c,
		     unsigned long *inited, unsigned long *waited);
/* The "async" debugfs file. */
void mt_async_status(struct seq_file *m);
int mt_async_init(void);
void mt_async_exit(void);

#endif /* _MT_ASYNC_H */
