// SPDX-License-Identifier: GPL-2.0
/*
 * padata_mt_selftest: the lockdep checks (lockdep_splat=1), and the
 * debugfs lockdep_inversion job.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpumask.h>
#include <linux/debug_locks.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "selftest.h"

/*
 * Lockdep.  A caller that holds a mutex M while padata_mt_run() waits for
 * helpers whose thread_fn takes M deadlocks, silently: each call site of
 * padata_mt_run() is a lockdep class of its own (the macro's static map),
 * which the caller acquires before it waits and every thread holds (as a
 * recursive reader) around thread_fn, so lockdep sees the circle M -> site
 * -> M.  Provoking the report needs neither the deadlock nor its timing:
 * lockdep records each dependency where it happens.
 *
 * In one boot (lockdep_splat=1), unrelated case first: thread_fn at sites
 * A, A1 (one chunk), A2 (one thread) takes M; the caller holds M around
 * sites B, B1 (one chunk), B2 (one thread), whose thread_fn leaves M alone.
 * That is no circle (no site is on both sides), and lockdep must stay on;
 * lockdep-splat.sh then checks the six dependencies in /proc/lockdep (each
 * path annotates).  Then the real case, written to lockdep_inversion: one
 * site, a multithreaded job whose helper takes M2, then a one-chunk job of
 * the same site with the caller holding M2: lockdep must report it, which
 * switches it off for the rest of the boot (hence a boot of its own,
 * bracketed by expect-splat markers).
 */
static DEFINE_MUTEX(st_unrel_mutex);
static DEFINE_MUTEX(st_inversion_mutex);

/**
 * struct st_inversion - one lockdep test job
 * @caller: the caller
 * @take: the mutex thread_fn takes, or NULL
 * @wait_helper: the caller's chunk waits (up to 10 s) for a helper's
 *               chunk, and only helpers take @take
 * @helper_chunks: chunks helpers ran
 */
struct st_inversion {
	struct task_struct *caller;
	struct mutex *take;
	bool wait_helper;
	atomic_t helper_chunks;
};

static int st_inversion_fn(unsigned long s, unsigned long e, void *arg)
{
	struct st_inversion *v = arg;
	unsigned long deadline = jiffies + 10 * HZ;

	if (v->take && (current != v->caller || !v->wait_helper)) {
		mutex_lock(v->take);
		mutex_unlock(v->take);
	}
	if (current != v->caller) {
		atomic_inc(&v->helper_chunks);
		return 0;
	}
	while (v->wait_helper && !atomic_read(&v->helper_chunks) &&
	       time_before(jiffies, deadline))
		usleep_range(100, 200);
	return 0;
}

/* What each kind of job is: size, min_chunk, max_threads. */
enum st_lk_kind { ST_LK_MULTI, ST_LK_ONE_CHUNK, ST_LK_ONE_THREAD };

static void st_lk_task(struct padata_mt_task *t, struct st_inversion *v,
		       struct mutex *take, enum st_lk_kind kind)
{
	memset(v, 0, sizeof(*v));
	v->caller = current;
	v->take = take;
	v->wait_helper = kind == ST_LK_MULTI;
	atomic_set(&v->helper_chunks, 0);
	*t = (struct padata_mt_task){
		.thread_fn = st_inversion_fn,
		.fn_arg = v,
		.size = kind == ST_LK_ONE_CHUNK ? 1 : 16,
		.min_chunk = kind == ST_LK_ONE_CHUNK ? 16 : 1,
		.max_threads = kind == ST_LK_ONE_THREAD ? 1 : 2,
	};
}

/* Sites A, A1, A2: thread_fn takes st_unrel_mutex. */
static int st_unrel_a(enum st_lk_kind kind, unsigned int *helper_chunks)
{
	struct padata_mt_task unrel_a, unrel_a1, unrel_a2;
	struct st_inversion v;
	int ret;

	switch (kind) {
	case ST_LK_MULTI:
		st_lk_task(&unrel_a, &v, &st_unrel_mutex, kind);
		ret = padata_mt_run(&unrel_a);
		break;
	case ST_LK_ONE_CHUNK:
		st_lk_task(&unrel_a1, &v, &st_unrel_mutex, kind);
		ret = padata_mt_run(&unrel_a1);
		break;
	default:
		st_lk_task(&unrel_a2, &v, &st_unrel_mutex, kind);
		ret = padata_mt_run(&unrel_a2);
		break;
	}
	*helper_chunks = atomic_read(&v.helper_chunks);
	return ret;
}

/* Sites B, B1, B2: the caller holds st_unrel_mutex; thread_fn takes nothing. */
static int st_unrel_b(enum st_lk_kind kind, unsigned int *helper_chunks)
{
	struct padata_mt_task unrel_b, unrel_b1, unrel_b2;
	struct st_inversion v;
	int ret;

	mutex_lock(&st_unrel_mutex);
	switch (kind) {
	case ST_LK_MULTI:
		st_lk_task(&unrel_b, &v, NULL, kind);
		ret = padata_mt_run(&unrel_b);
		break;
	case ST_LK_ONE_CHUNK:
		st_lk_task(&unrel_b1, &v, NULL, kind);
		ret = padata_mt_run(&unrel_b1);
		break;
	default:
		st_lk_task(&unrel_b2, &v, NULL, kind);
		ret = padata_mt_run(&unrel_b2);
		break;
	}
	mutex_unlock(&st_unrel_mutex);
	*helper_chunks = atomic_read(&v.helper_chunks);
	return ret;
}

void test_lockdep(void)
{
	const char *name = "lockdep_unrelated_sites_not_reported";
	unsigned int ha = 0, hb = 0, h;
	int before, ret = 0;
	enum st_lk_kind k;

	if (!IS_ENABLED(CONFIG_PROVE_LOCKING)) {
		st_result(true, name, "kernel without CONFIG_PROVE_LOCKING");
		return;
	}
	if (!st_lockdep_splat) {
		st_result(true, name, "lockdep-splat.sh runs it, in a boot of its own, before the expected report");
		return;
	}
	if (num_online_cpus() < 2) {
		st_result(true, name, "needs 2 online CPUs");
		return;
	}
	before = READ_ONCE(debug_locks);
	for (k = ST_LK_MULTI; k <= ST_LK_ONE_THREAD; k++) {
		ret |= st_unrel_a(k, &h);
		if (k == ST_LK_MULTI)
			ha = h;
		ret |= st_unrel_b(k, &h);
		if (k == ST_LK_MULTI)
			hb = h;
	}
	st_diag("lockdep, unrelated sites: debug_locks %d before, %d after; ret %d; helper chunks: site A %u, site B %u",
		before, READ_ONCE(debug_locks), ret, ha, hb);
	st_result(before == 1 && !ret && ha && hb && READ_ONCE(debug_locks) == 1,
		  name, NULL);
}

/* One call site for both jobs of the real inversion. */
static int st_inversion_job(bool caller_holds, enum st_lk_kind kind,
			    unsigned int *helper_chunks)
{
	struct padata_mt_task inversion;
	struct st_inversion v;
	int ret;

	st_lk_task(&inversion, &v, caller_holds ? NULL : &st_inversion_mutex,
		   kind);
	if (caller_holds)
		mutex_lock(&st_inversion_mutex);
	ret = padata_mt_run(&inversion);
	if (caller_holds)
		mutex_unlock(&st_inversion_mutex);
	*helper_chunks = atomic_read(&v.helper_chunks);
	return ret;
}

static char st_inversion_res[200];

static ssize_t st_inversion_write(struct file *f, const char __user *ubuf,
				  size_t len, loff_t *ppos)
{
	unsigned int h1 = 0, h2 = 0;
	int before = READ_ONCE(debug_locks), r1, r2;

	/* helper takes the mutex (site -> M); then caller holds it (M -> site) */
	r1 = st_inversion_job(false, ST_LK_MULTI, &h1);
	r2 = st_inversion_job(true, ST_LK_ONE_CHUNK, &h2);
	snprintf(st_inversion_res, sizeof(st_inversion_res),
		 "debug_locks_before=%d debug_locks_after=%d ret1=%d helper_chunks1=%u ret2=%d\n",
		 before, READ_ONCE(debug_locks), r1, h1, r2);
	return len;
}

static ssize_t st_inversion_read(struct file *f, char __user *ubuf,
				 size_t len, loff_t *ppos)
{
	return simple_read_from_buffer(ubuf, len, ppos, st_inversion_res,
				       strlen(st_inversion_res));
}

static const struct file_operations st_inversion_fops = {
	.owner = THIS_MODULE,
	.read = st_inversion_read,
	.write = st_inversion_write,
	.llseek = default_llseek,
};

void st_lockdep_debugfs(struct dentry *dir)
{
	debugfs_create_file("lockdep_inversion", 0600, dir, NULL,
			    &st_inversion_fops);
}
