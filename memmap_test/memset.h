/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memmap_test, the memset ceiling (memset.c): a memmap-sized buffer written
 * as reinit writes the memmap.  Calls run.h, out.h, and padata_mt.h for the
 * job.
 */
#ifndef _MT_MEMSET_H
#define _MT_MEMSET_H

#include <linux/atomic.h>
#include <linux/types.h>

#include "run.h"

/* memset a vmalloc'd buffer of @size bytes with @c->threads: memset_ns=. */
int mt_memset(u64 size, const struct mt_ctx *c);

/* The buffer, or NULL with *@err set and the reason in @o (mt_check_share()). */
char *mt_memset_buf(u64 size, struct mt_out *o, int *err);
/* One timed memset of @buf at @threads; *@ns the time, 0 or the job's error. */
int mt_memset_time(char *buf, u64 size, unsigned int threads,
		   const atomic_t *cancel, u64 *ns);

#endif /* _MT_MEMSET_H */
