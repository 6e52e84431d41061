/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memmap_test, how reinit and the memset ceiling write memory: plain
 * stores, or non-temporal (streaming) stores that write around the cache
 * (movnti on x86-64, a plain store elsewhere).  Header only, so that the
 * store loops inline into their callers; it includes nothing of
 * memmap_test.
 *
 * Non-temporal stores are weakly ordered: a writer ends them with
 * mt_store_end() (sfence) before it publishes what it wrote.  QEMU TCG
 * executes movnti as a plain store, so under TCG the two kinds differ only
 * in the instructions they take.
 */
#ifndef _MT_STORE_H
#define _MT_STORE_H

#include <linux/build_bug.h>
#include <linux/compiler.h>
#include <linux/mm_types.h>
#include <linux/types.h>
#include <asm/barrier.h>

static __always_inline void mt_store(u64 *p, u64 v, bool nt)
{
#ifdef CONFIG_X86_64
	if (nt) {
		asm volatile("movnti %1, %0" : "=m" (*p) : "r" (v));
		return;
	}
#endif
	*p = v;
}

/* Order a writer's non-temporal stores before what it publishes next. */
static __always_inline void mt_store_end(bool nt)
{
	if (!nt)
		return;
	/* sfence: movnti is weakly ordered, even against later stores. */
	wmb();
}

/*
 * Write @n struct pages from @page on as copies of @tmpl, the template's
 * eight words held in registers: eight stores per page, no loads, and the
 * loop shaped as mt_store_zero_nt()'s (a pointer against an end), so the
 * ceiling and reinit run the same instructions per 64 bytes.
 */
static __always_inline void mt_store_pages(struct page *page, unsigned long n,
					   const struct page *tmpl, bool nt)
{
	const u64 *t = (const u64 *)tmpl;
	u64 t0 = t[0], t1 = t[1], t2 = t[2], t3 = t[3];
	u64 t4 = t[4], t5 = t[5], t6 = t[6], t7 = t[7];
	u64 *w = (u64 *)page, *end = (u64 *)(page + n);

	BUILD_BUG_ON(sizeof(struct page) != 8 * sizeof(u64));
	for (; w < end; w += 8) {
		mt_store(w + 0, t0, nt);
		mt_store(w + 1, t1, nt);
		mt_store(w + 2, t2, nt);
		mt_store(w + 3, t3, nt);
		mt_store(w + 4, t4, nt);
		mt_store(w + 5, t5, nt);
		mt_store(w + 6, t6, nt);
		mt_store(w + 7, t7, nt);
	}
}

/* Zero @len bytes at @buf (8-byte aligned, a multiple of 64) with movnti. */
static __always_inline void mt_store_zero_nt(void *buf, size_t len)
{
	u64 *w = buf, *end = w + len / sizeof(u64);

	for (; w < end; w += 8) {
		mt_store(w + 0, 0, true);
		mt_store(w + 1, 0, true);
		mt_store(w + 2, 0, true);
		mt_store(w + 3, 0, true);
		mt_store(w + 4, 0, true);
		mt_store(w + 5, 0, true);
		mt_store(w + 6, 0, true);
		mt_store(w + 7, 0, true);
	}
}

#endif /* _MT_STORE_H */
