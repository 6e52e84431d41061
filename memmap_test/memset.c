// SPDX-License-Identifier: GPL-2.0
/*
 * memmap_test: the ceiling (memset.h).  memset writes a vmalloc'd buffer
 * the size of the region's memmap with the same chunking as reinit (2 MiB,
 * the memmap of one section), so the two move the same bytes the same way:
 * the bandwidth ceiling reinit is held against.  It is written in two
 * ways, the kernel's memset() (rep stosb/stosq or an unrolled loop, as the
 * CPU's flags pick) and non-temporal 8-byte stores (store.h); the faster
 * is the ceiling.  The memset command runs each once; bench times both
 * beside reinit.
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
#include "store.h"

#define MT_MEMSET_CHUNK		(PAGES_PER_SECTION * sizeof(struct page))

struct mt_memset_ctx {
	char *buf;
	bool nt;
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
		if (c->nt) {
			unsigned long body = round_down(n, 64);

			mt_store_zero_nt(c->buf + start, body);
			mt_store_end(true);
			memset(c->buf + start + body, 0, n - body);
		} else {
			memset(c->buf + start, 0, n);
		}
		start += n;
		cond_resched();
	}
	return 0;
}

int mt_memset_time(char *buf, u64 size, unsigned int threads, bool nt,
		   const atomic_t *cancel, u64 *ns)
{
	struct mt_memset_ctx c = { .buf = buf, .nt = nt, .cancel = cancel };
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
	u64 ns, nt_ns = 0;
	int ret;

	mt_kv(c->o, "memset_size_bytes=%llu\n", size);
	buf = mt_memset_buf(size, c->o, &ret);
	if (!buf)
		return ret;
	ret = mt_memset_time(buf, size, c->threads, false, c->cancel, &ns);
	if (!ret)
		ret = mt_memset_time(buf, size, c->threads, true, c->cancel,
				     &nt_ns);
	vfree(buf);
	if (ret)
		return mt_fail(c->o, ret, "memset failed");
	mt_kv(c->o, "memset_ns=%llu\nmemset_nt_ns=%llu\n", ns, nt_ns);
	return 0;
}
