// SPDX-License-Identifier: GPL-2.0
/*
 * memmap_test: the bench sweep, its statistics and the table (bench.h).
 *
 * bench plugs and unplugs a fresh region per repeat (hotplug, unplug),
 * re-initialising it in between, right after the plug, with the default
 * store (reinit_fresh: the condition the kernel's own init runs in; only
 * the layout is validated first, and the result is checked against the
 * kernel-written reference pages after the last repeat).  Then it
 * re-initialises one plugged region over and over: with the default store
 * (reinit), with each store kind (reinit_copy, reinit_nt, reinit_compute;
 * reinit and the default's own row are an A/A pair, their difference the
 * noise) and two-pass (reinit_twopass, a separate memset of the memmap
 * then an init that does not zero), each digest-checked after each thread
 * count's runs; then it times async passes on it at the top thread count
 * (the latency of a sync of one random pfn issued right after the start,
 * and start to every section done), then zeroes a memmap-sized buffer with
 * memset() (memset) and with non-temporal stores (memset_nt).  The first
 * pass of reinit_twopass, timed alone, is the same non-temporal fill over
 * the memmap itself (memmap_nt): the third candidate for the ceiling.  Each
 * operation gets one untimed warm-up per thread count first; the repeats
 * interleave the thread counts so that drift hits them alike.
 */
#include <linux/cpumask.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/vmalloc.h>
#ifdef CONFIG_X86
#include <asm/processor.h>
#endif

#include "compat.h"
#include "async.h"
#include "bench.h"
#include "digest.h"
#include "memset.h"
#include "pageinit.h"

#define MT_DEFAULT_REPEATS	5

enum mt_op {
	MT_OP_HOTPLUG,
	MT_OP_UNPLUG,
	MT_OP_REINIT_FRESH,
	MT_OP_REINIT,
	/* One per store kind, in enum mt_store_kind's order. */
	MT_OP_REINIT_STORE,
	MT_OP_REINIT2 = MT_OP_REINIT_STORE + MT_STORE_NR,
	MT_OP_MEMSET,
	MT_OP_MEMSET_NT,
	/* reinit_twopass's first pass alone: the fill of the memmap itself */
	MT_OP_MEMMAP_NT,
	MT_OP_NR,
	/* Not in the table's blocks: top thread count only (index 0). */
	MT_OP_ASYNC_FIRST = MT_OP_NR,
	MT_OP_ASYNC_FULL,
	MT_OP_ALL,
};

static const char * const mt_op_names[MT_OP_NR] = {
	[MT_OP_HOTPLUG] = "hotplug",
	[MT_OP_UNPLUG] = "unplug",
	[MT_OP_REINIT_FRESH] = "reinit_fresh",
	[MT_OP_REINIT] = "reinit",
	[MT_OP_REINIT_STORE + MT_STORE_COPY] = "reinit_copy",
	[MT_OP_REINIT_STORE + MT_STORE_NT] = "reinit_nt",
	[MT_OP_REINIT_STORE + MT_STORE_COMPUTE] = "reinit_compute",
	[MT_OP_REINIT2] = "reinit_twopass",
	[MT_OP_MEMSET] = "memset",
	[MT_OP_MEMSET_NT] = "memset_nt",
	[MT_OP_MEMMAP_NT] = "memmap_nt",
};

/* --- statistics ------------------------------------------------------ */

struct mt_stat {
	u64 median, min, max, mean, stdev;
};

/* The result keys of a mt_stat: bench_<op>_t<threads>_<name>_ns. */
#define MT_STAT(f) { #f, offsetof(struct mt_stat, f) }
static const struct {
	const char *name;
	size_t off;
} mt_stat_keys[] = {
	MT_STAT(median), MT_STAT(mean), MT_STAT(min), MT_STAT(max),
	MT_STAT(stdev),
};

static u64 mt_stat_get(const struct mt_stat *st, unsigned int i)
{
	return *(const u64 *)((const char *)st + mt_stat_keys[i].off);
}

#define MT_STAT_ALL		GENMASK(ARRAY_SIZE(mt_stat_keys) - 1, 0)
/* median, min, max (async's keys) */
#define MT_STAT_MIN_MAX		(BIT(0) | BIT(2) | BIT(3))

/* The keys in @mask: "<prefix>_<name>_ns=" lines. */
static void mt_stat_kv(struct mt_out *o, const char *prefix,
		       const struct mt_stat *st, unsigned long mask)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(mt_stat_keys); i++)
		if (mask & BIT(i))
			mt_kv(o, "%s_%s_ns=%llu\n", prefix,
			      mt_stat_keys[i].name, mt_stat_get(st, i));
}

static int mt_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static void mt_stats(const u64 *v, unsigned int n, struct mt_stat *st)
{
	u64 s[MT_MAX_REPEATS], sum = 0, var = 0;
	unsigned int i;

	memcpy(s, v, n * sizeof(*s));
	sort(s, n, sizeof(*s), mt_cmp_u64, NULL);
	for (i = 0; i < n; i++)
		sum += s[i];
	st->min = s[0];
	st->max = s[n - 1];
	st->median = n & 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	st->mean = div_u64(sum, n);
	/* Sample deviation, summed in microseconds to stay within u64. */
	for (i = 0; i < n; i++) {
		s64 d = div_s64((s64)(s[i] - st->mean), 1000);

		var += d * d;
	}
	st->stdev = n > 1 ? int_sqrt64(div_u64(var, n - 1)) * 1000 : 0;
}

/* "12.34": nanoseconds as milliseconds with two decimals. */
static void mt_ms(char *b, size_t len, u64 ns)
{
	u64 cms = div_u64(ns + 5000, 10000);

	snprintf(b, len, "%llu.%02llu", div_u64(cms, 100),
		 cms - div_u64(cms, 100) * 100);
}

/* --- the sweep ------------------------------------------------------- */

struct mt_bench {
	const struct mt_bench_req *req;
	struct mt_out *o;
	const atomic_t *cancel;
	struct mt_region *r;	/* the one plugged, or NULL */
	unsigned int threads[MT_MAX_SWEEP];
	unsigned int nr_threads;
	unsigned int repeats;
	u64 *ns;	/* [op][thread count][repeat] */
};

static u64 *mt_sample(struct mt_bench *b, enum mt_op op, unsigned int t,
		      int rep)
{
	static u64 discard;

	if (rep < 0)
		return &discard;
	return &b->ns[(op * MT_MAX_SWEEP + t) * MT_MAX_REPEATS + rep];
}

/* An operation's context at @threads. */
static struct mt_ctx mt_bench_ctx(const struct mt_bench *b,
				  unsigned int threads)
{
	return (struct mt_ctx){ .o = b->o, .cancel = b->cancel,
				.threads = threads };
}

/* Plug with the stock path at one thread, the given pieces otherwise. */
static int mt_bench_plug(struct mt_bench *b, unsigned int threads, u64 *ns)
{
	struct mt_ctx c = mt_bench_ctx(b, threads);
	struct mt_plug_req pa = b->req->plug;
	struct mt_region *r;

	if (threads == 1)
		pa.pieces = 0;
	r = mt_region_plug(&pa, &c, ns);
	if (IS_ERR(r))
		return PTR_ERR(r);
	b->r = r;
	return 0;
}

static void mt_bench_unplug(struct mt_bench *b, unsigned int threads,
			    u64 *ns)
{
	if (!b->r)
		return;
	/* Every async pass of the bench has ended (mt_bench_async()). */
	WARN_ON_ONCE(mt_async_running());
	mt_region_unplug(b->r, threads, ns);
	b->r = NULL;
}

/*
 * A reinit with the default store right after the plug; the last repeat's
 * result is held against the kernel-written reference pages.
 */
static int mt_bench_fresh(struct mt_bench *b, unsigned int t, int rep)
{
	static const struct mt_reinit_opts fresh = {
		MT_REINIT_DEFAULTS, .fresh = true,
	};
	struct mt_ctx c = mt_bench_ctx(b, b->threads[t]);
	int ret;

	ret = mt_reinit(b->r, &fresh, &c,
			mt_sample(b, MT_OP_REINIT_FRESH, t, rep), NULL);
	if (!ret && rep == (int)b->repeats - 1)
		ret = mt_check_ref(b->r, &c);
	return ret;
}

static int mt_bench_hotplug(struct mt_bench *b)
{
	unsigned int t;
	int rep, ret;

	for (rep = -1; rep < (int)b->repeats; rep++) {
		for (t = 0; t < b->nr_threads; t++) {
			ret = mt_bench_plug(b, b->threads[t],
					    mt_sample(b, MT_OP_HOTPLUG, t, rep));
			if (!ret)
				ret = mt_bench_fresh(b, t, rep);
			if (ret) {
				mt_bench_unplug(b, b->threads[t], NULL);
				return ret;
			}
			mt_bench_unplug(b, b->threads[t],
					mt_sample(b, MT_OP_UNPLUG, t, rep));
			if (atomic_read(b->cancel))
				return -ECANCELED;
		}
	}
	return 0;
}

/*
 * At the top thread count: start an async pass, at once sync the section of
 * one random pfn (its latency: first touch), then wait for the pass (start
 * to every section done: full).  The last pass is digest-checked.
 */
static int mt_bench_async(struct mt_bench *b)
{
	unsigned int top = b->threads[b->nr_threads - 1];
	struct mt_ctx c = mt_bench_ctx(b, top);
	struct mt_region *r = b->r;
	unsigned long s, inited, waited;
	int rep, ret = 0;
	u64 t0, ns;

	for (rep = -1; !ret && rep < (int)b->repeats; rep++) {
		s = get_random_u32_below(min_t(unsigned long, r->nr_pages,
					       U32_MAX)) / PAGES_PER_SECTION;
		mt_async_start(r, top, false, 0, rep == (int)b->repeats - 1);
		t0 = ktime_get_ns();
		ret = mt_sync_sections(r, s, s + 1, &c, &inited, &waited);
		ns = ktime_get_ns() - t0;
		if (ret) {
			mt_async_stop();
			break;
		}
		ret = mt_async_wait();
		*mt_sample(b, MT_OP_ASYNC_FIRST, 0, rep) = ns;
		*mt_sample(b, MT_OP_ASYNC_FULL, 0, rep) = mt_async_full_ns();
	}
	if (ret)
		return mt_fail(b->o, ret, "async bench failed");
	return 0;
}

/* One timed reinit of the plugged region; digest-checked if @check. */
static int mt_bench_reinit_one(struct mt_bench *b, unsigned int t, int rep,
			       enum mt_op op, const struct mt_reinit_opts *opt,
			       bool check)
{
	unsigned int top = b->threads[b->nr_threads - 1];
	struct mt_ctx c = mt_bench_ctx(b, b->threads[t]);
	struct mt_ctx all = mt_bench_ctx(b, top);
	u64 *zero = opt->twopass ? mt_sample(b, MT_OP_MEMMAP_NT, t, rep) : NULL;
	int ret;

	ret = mt_reinit(b->r, opt, &c, mt_sample(b, op, t, rep), zero);
	if (!ret && check)
		ret = mt_check_digest(b->r, &all);
	return ret;
}

static int mt_bench_reinit(struct mt_bench *b)
{
	unsigned int t, k, top = b->threads[b->nr_threads - 1];
	struct mt_reinit_opts opt = { MT_REINIT_DEFAULTS };
	int rep, ret;

	ret = mt_bench_plug(b, top, NULL);
	for (rep = -1; !ret && rep < (int)b->repeats; rep++) {
		/* Every thread count's result is checked once. */
		bool last = rep == (int)b->repeats - 1;

		for (t = 0; !ret && t < b->nr_threads; t++) {
			opt.store = MT_STORE_DEFAULT;
			ret = mt_bench_reinit_one(b, t, rep, MT_OP_REINIT, &opt,
						  last);
			for (k = 0; !ret && k < MT_STORE_NR; k++) {
				opt.store = k;
				ret = mt_bench_reinit_one(b, t, rep,
							  MT_OP_REINIT_STORE + k,
							  &opt, last);
			}
			opt.store = MT_STORE_COMPUTE;
			opt.twopass = true;
			if (!ret)
				ret = mt_bench_reinit_one(b, t, rep,
							  MT_OP_REINIT2, &opt,
							  last);
			opt.twopass = false;
		}
	}
	if (!ret)
		ret = mt_bench_async(b);
	mt_bench_unplug(b, top, NULL);
	return ret;
}

static int mt_bench_memset(struct mt_bench *b)
{
	u64 size = (b->req->plug.size >> PAGE_SHIFT) * sizeof(struct page);
	unsigned int t;
	int rep, ret;
	char *buf;

	buf = mt_memset_buf(size, b->o, &ret);
	if (!buf)
		return ret;
	for (rep = -1; !ret && rep < (int)b->repeats; rep++)
		for (t = 0; !ret && t < b->nr_threads; t++) {
			ret = mt_memset_time(buf, size, b->threads[t], false,
					     b->cancel,
					     mt_sample(b, MT_OP_MEMSET, t, rep));
			if (!ret)
				ret = mt_memset_time(buf, size, b->threads[t],
						     true, b->cancel,
						     mt_sample(b, MT_OP_MEMSET_NT,
							       t, rep));
		}
	vfree(buf);
	return ret;
}

static const char *mt_cpu_model(void)
{
#ifdef CONFIG_X86
	if (boot_cpu_data.x86_model_id[0])
		return boot_cpu_data.x86_model_id;
#endif
	return "unknown";
}

static unsigned int mt_node_cpus(int nid)
{
	unsigned int n = cpumask_weight(cpumask_of_node(nid));

	return n ? n : num_online_cpus();
}

static void mt_bench_report_async(struct mt_bench *b, struct mt_out *tab)
{
	unsigned int top = b->threads[b->nr_threads - 1];
	struct mt_stat first, full;
	char med[24], mn[24], mx[24];

	mt_stats(mt_sample(b, MT_OP_ASYNC_FIRST, 0, 0), b->repeats, &first);
	mt_stats(mt_sample(b, MT_OP_ASYNC_FULL, 0, 0), b->repeats, &full);
	mt_kv(b->o, "bench_async_threads=%u\n", top);
	mt_stat_kv(b->o, "bench_async_first_touch", &first, MT_STAT_MIN_MAX);
	mt_stat_kv(b->o, "bench_async_full", &full, MT_STAT_MIN_MAX);
	mt_kv(tab, "\nasync (%u threads): sync of one random pfn right after the start; start to every section done\n",
	      top);
	mt_kv(tab, "                        median_ms      min_ms      max_ms\n");
	mt_ms(med, sizeof(med), first.median);
	mt_ms(mn, sizeof(mn), first.min);
	mt_ms(mx, sizeof(mx), first.max);
	mt_kv(tab, "  first touch          %10s  %10s  %10s\n", med, mn, mx);
	mt_ms(med, sizeof(med), full.median);
	mt_ms(mn, sizeof(mn), full.min);
	mt_ms(mx, sizeof(mx), full.max);
	mt_kv(tab, "  full pass            %10s  %10s  %10s\n", med, mn, mx);
}

static void mt_bench_report(struct mt_bench *b, struct mt_out *tab)
{
	const struct mt_plug_req *a = &b->req->plug;
	unsigned int cpus, t, op;
	int nid = a->nid == NUMA_NO_NODE ? first_memory_node : a->nid;
	struct mt_out *o = b->o;
	char med[24], mean[24], sd[24], mn[24], mx[24], key[48];

	cpus = mt_node_cpus(nid);
	mt_kv(o, "cpu_model=%s\nonline_cpus=%u\nbench_default_store=%s\n",
	      mt_cpu_model(), num_online_cpus(),
	      mt_store_names[MT_STORE_DEFAULT]);
	mt_kv(tab, "# memmap_test bench: size_bytes=%llu memmap_bytes=%llu nid=%d repeats=%u pieces=%s\n",
	      a->size, (a->size >> PAGE_SHIFT) * sizeof(struct page), nid,
	      b->repeats, a->pieces ? "given" : "default");
	mt_kv(tab, "# cpu: %s; %u online CPUs, %u on node %d\n",
	      mt_cpu_model(), num_online_cpus(), cpus, nid);
	mt_kv(tab, "# node%% = threads / CPUs of node %d; speedup = median at %u thread(s) / median; time_ms = mean\n",
	      nid, b->threads[0]);

	for (op = 0; op < MT_OP_NR; op++) {
		struct mt_stat base;

		mt_stats(mt_sample(b, op, 0, 0), b->repeats, &base);
		mt_kv(tab, "\n%s\n", mt_op_names[op]);
		mt_kv(tab, "  node%% (thr)   speedup   time_ms (  stdev)   median_ms      min_ms      max_ms\n");
		for (t = 0; t < b->nr_threads; t++) {
			unsigned int thr = b->threads[t];
			struct mt_stat st;
			u64 sp;

			mt_stats(mt_sample(b, op, t, 0), b->repeats, &st);
			sp = st.median ? div64_u64(base.median * 100 +
						   st.median / 2, st.median) : 0;
			mt_ms(med, sizeof(med), st.median);
			mt_ms(mean, sizeof(mean), st.mean);
			mt_ms(sd, sizeof(sd), st.stdev);
			mt_ms(mn, sizeof(mn), st.min);
			mt_ms(mx, sizeof(mx), st.max);
			mt_kv(tab, "  %4u%% (%3u)   %4llu.%02llux  %8s (%7s)  %10s  %10s  %10s\n",
			      thr * 100 / cpus, thr, div_u64(sp, 100),
			      sp - div_u64(sp, 100) * 100, mean, sd, med, mn,
			      mx);
			snprintf(key, sizeof(key), "bench_%s_t%u",
				 mt_op_names[op], thr);
			mt_stat_kv(o, key, &st, MT_STAT_ALL);
		}
	}
	mt_bench_report_async(b, tab);
}

static unsigned int mt_default_sweep(unsigned int *thr)
{
	unsigned int n = 0, t, cpus = mt_default_threads();

	for (t = 1; t < cpus && n < MT_MAX_SWEEP - 1; t *= 2)
		thr[n++] = t;
	thr[n++] = cpus;
	return n;
}

int mt_bench(const struct mt_bench_req *req, const struct mt_ctx *c,
	     struct mt_out **table)
{
	struct mt_bench b = { .req = req, .o = c->o, .cancel = c->cancel };
	struct mt_out *o = c->o;
	struct mt_out *tab;
	unsigned int t;
	int ret;

	if (req->nr_threads) {
		memcpy(b.threads, req->threads, sizeof(b.threads));
		b.nr_threads = req->nr_threads;
	} else {
		b.nr_threads = mt_default_sweep(b.threads);
	}
	b.repeats = req->repeats ? req->repeats : MT_DEFAULT_REPEATS;

	mt_kv(o, "bench_size_bytes=%llu\nbench_repeats=%u\nbench_threads=",
	      req->plug.size, b.repeats);
	for (t = 0; t < b.nr_threads; t++)
		mt_kv(o, "%s%u", t ? "," : "", b.threads[t]);
	mt_kv(o, "\n");

	b.ns = kvcalloc(MT_OP_ALL * MT_MAX_SWEEP * MT_MAX_REPEATS, sizeof(u64),
			GFP_KERNEL);
	tab = mt_out_alloc();
	if (!b.ns || !tab) {
		ret = mt_fail(o, -ENOMEM, "out of memory");
		goto out;
	}

	ret = mt_bench_hotplug(&b);
	if (!ret)
		ret = mt_bench_reinit(&b);
	if (!ret)
		ret = mt_bench_memset(&b);
	mt_bench_unplug(&b, b.threads[b.nr_threads - 1], NULL);
	if (ret) {
		mt_fail(o, ret, "bench failed");
		goto out;
	}
	mt_bench_report(&b, tab);
	*table = tab;
	tab = NULL;
out:
	mt_out_free(tab);
	kvfree(b.ns);
	return ret;
}
