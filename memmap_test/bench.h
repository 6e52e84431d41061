/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memmap_test, the measurements (bench.c): the bench sweep with its
 * statistics and table.  Calls async.h, pageinit.h, digest.h, memset.h,
 * region.h, run.h and out.h.
 */
#ifndef _MT_BENCH_H
#define _MT_BENCH_H

#include <linux/types.h>

#include "region.h"

/* Most thread counts one bench sweeps, and most repeats of each. */
#define MT_MAX_SWEEP		16
#define MT_MAX_REPEATS		100

struct mt_bench_req {
	struct mt_plug_req plug;	/* the regions it plugs */
	unsigned int threads[MT_MAX_SWEEP];	/* increasing */
	unsigned int nr_threads;	/* 0: 1, 2, 4, ... online CPUs */
	unsigned int repeats;		/* 0: the default */
};

/*
 * Plug, unplug, reinit, async and memset at each thread count; results
 * in c->o and, on success, the table in *@table (the caller frees it).
 * No region of the caller's may be plugged, no async pass running.
 */
int mt_bench(const struct mt_bench_req *req, const struct mt_ctx *c,
	     struct mt_out **table);

#endif /* _MT_BENCH_H */
