/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memmap_test, the ceiling (memset.c): a memmap-sized buffer written as
 * reinit writes the memmap, with the kernel's memset() or with
 * non-temporal stores.  Calls store.h, run.h, out.h, and padata_mt.h for
 * the job.
 */
#ifndef _MT_MEMSET_H
#define _MT_MEMSET_H

#include <linux/atomic.h>
#include <linux/types.h>

#include "run.h"

/*
 * Zero a vmalloc'd buffer of @size bytes with @c->threads, once with
 * memset() and once with non-temporal stores: memset_ns=, memset_nt_ns=.
 */
int mt_memset(u64 size, const struct mt_ctx *c);

/* The buffer, or NULL with *@err set and the reason in @o (mt_check_share()). */
char *mt_memset_buf(u64 size, struct mt_out *o, int *err);
/*
 * One timed zeroing of @buf at @threads, with memset() or (@nt) with
 * non-temporal stores; *@ns the time, 0 or the job's error.
 */
int mt_memset_time(char *buf, u64 size, unsigned int threads, bool nt,
		   const atomic_t *cancel, u64 *ns);

#endif /* _MT_MEMSET_H */
