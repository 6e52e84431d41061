// SPDX-License-Identifier: GPL-2.0
/*
 * padata_mt_bench: what every measurement uses, at the bottom of the
 * module (bench.h): the results buffer and the lines written to it, the
 * two thread_fns, the buffers they work on, medians.
 */
#include <linux/math64.h>
#include <linux/seq_buf.h>
#include <linux/sort.h>
#include <linux/string.h>

#include "bench.h"

struct ktap_out bn_out;
u8 *bn_mem;
u8 bn_small[BN_SMALL_BYTES];

int bn_memset_fn(unsigned long s, unsigned long e, void *arg)
{
	memset((u8 *)arg + s, 0x5a, e - s);
	return 0;
}

int bn_empty_fn(unsigned long s, unsigned long e, void *arg)
{
	return 0;
}

static int bn_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

void bn_sort(u64 *v, unsigned int n)
{
	sort(v, n, sizeof(*v), bn_cmp_u64, NULL);
}

u64 bn_median(u64 *v, unsigned int n)
{
	bn_sort(v, n);
	return v[n / 2];
}

/* Ratio a/b as a decimal string with two digits. */
void bn_ratio(const char *key, u64 a, u64 b)
{
	u64 r = b ? div64_u64(a * 100, b) : 0;

	seq_buf_printf(&bn_out.buf, "%s=%llu.%02llu\n", key, r / 100, r % 100);
}

/* Ratio r/10000 as a decimal string with four digits. */
void bn_ratio4(const char *key, u64 r)
{
	seq_buf_printf(&bn_out.buf, "%s=%llu.%04llu\n", key, r / 10000, r % 10000);
}
