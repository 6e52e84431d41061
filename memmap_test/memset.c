// SPDX-License-Identifier: GPL-2.0
/*
 * memmap_test: the memset ceiling (memset.h).  memset writes a vmalloc'd
 * buffer the size of the region's memmap with the same chunking as reinit
 * (2 MiB, the memmap of one section), so the two move the same bytes the
 * same way: the bandwidth ceiling reinit is held against.  The memset
 * command runs it once; bench times it beside reinit.
 */
#include <linux/atomic.h>
#include <linux/ktime.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include "padata_mt.h"
#include "memset.h"
#include "out.h"
#include "run.h"

#define MT_MEMSET_CHUNK		(PAGES_PER_SECTION * sizeof(struct page))

struct mt_memset_ctx {
	char *buf;
	const atomic_t *cancel;
};

static int mt_memset_fn(unsigned long start, unsigned long end, void *arg)
{
	struct mt_memset_ctx *c = arg;

	while (start < end) {
		unsigned long n = min_t(unsigned long, end - start,
					MT_MEMSET_CHUNK);

		if (mt_cancelled(c->cancel))
			return -ECANCELED;
		memset(c->buf + start, 0, n);
		start += n;
		cond_resched();
	}
	return 0;
}

int mt_memset_time(char *buf, u64 size, unsigned int threads,
		   const atomic_t *cancel, u64 *ns)
{
	struct mt_memset_ctx c = { .buf = buf, .cancel = cancel };
	struct padata_mt_task task = {
		.thread_fn = mt_memset_fn,
		.fn_arg = &c,
		.size = size,
		.align = MT_MEMSET_CHUNK,
		.min_chunk = MT_MEMSET_CHUNK,
		.max_threads = threads,
		.cancel = cancel,
	};
	u64 t0 = ktime_get_ns();
	int ret = mt_run_task(&task, threads);

	*ns = ktime_get_ns() - t0;
	return ret;
}

char *mt_memset_buf(u64 size, struct mt_out *o, int *err)
{
	char *buf;

	*err = mt_check_share(size, "memset buffer", o);
	if (*err)
		return NULL;
	buf = vmalloc_huge(size, GFP_KERNEL | __GFP_NOWARN);
	if (!buf)
		*err = mt_fail(o, -ENOMEM, "no memory for a %llu byte buffer",
			       size);
	return buf;
}

int mt_memset(u64 size, const struct mt_ctx *c)
{
	char *buf;
	u64 ns;
	int ret;

	mt_kv(c->o, "memset_size_bytes=%llu\n", size);
	buf = mt_memset_buf(size, c->o, &ret);
	if (!buf)
		return ret;
	ret = mt_memset_time(buf, size, c->threads, c->cancel, &ns);
	vfree(buf);
	if (ret)
		return mt_fail(c->o, ret, "memset failed");
	mt_kv(c->o, "memset_ns=%llu\n", ns);
	return 0;
}
