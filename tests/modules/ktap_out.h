/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The test modules' output (padata_mt_selftest, padata_mt_bench): lines
 * gathered in one buffer, which a debugfs file <dir>/results returns whole
 * to the guest suites.  The self-test writes KTAP result lines ("ok N
 * name", "not ok N name", "ok N name # SKIP why") and diagnostics ("# ..."),
 * the bench key=value lines straight into @buf.
 *
 * Header-only, as both modules use it: one object linked into two modules
 * is what Kbuild warns about.
 */
#ifndef _PMT_KTAP_OUT_H
#define _PMT_KTAP_OUT_H

#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/printk.h>
#include <linux/seq_buf.h>
#include <linux/slab.h>

/**
 * struct ktap_out - a test module's results
 * @buf: the lines so far
 * @lock: serialises writers of result and diagnostic lines
 * @nr: results so far: the number of the next "ok N" line is @nr + 1
 * @mem: @buf's memory
 * @dir: the module's debugfs directory, with the file "results" in it
 */
struct ktap_out {
	struct seq_buf buf;
	struct mutex lock;
	unsigned int nr;
	char *mem;
	struct dentry *dir;
};

static inline int ktap_out_init(struct ktap_out *o, size_t size)
{
	o->mem = kvzalloc(size, GFP_KERNEL);
	if (!o->mem)
		return -ENOMEM;
	seq_buf_init(&o->buf, o->mem, size);
	mutex_init(&o->lock);
	o->nr = 0;
	o->dir = NULL;
	return 0;
}

/* After ktap_out_remove(), or when the module never got that far. */
static inline void ktap_out_free(struct ktap_out *o)
{
	kvfree(o->mem);
	o->mem = NULL;
}

/* One KTAP result line: "ok N name", "not ok N name" or "... # SKIP why". */
static inline void ktap_out_result(struct ktap_out *o, bool ok,
				   const char *name, const char *skip)
{
	mutex_lock(&o->lock);
	o->nr++;
	if (skip)
		seq_buf_printf(&o->buf, "ok %u %s # SKIP %s\n", o->nr, name,
			       skip);
	else
		seq_buf_printf(&o->buf, "%sok %u %s\n", ok ? "" : "not ", o->nr,
			       name);
	mutex_unlock(&o->lock);
	if (!ok)
		pr_err("not ok %s\n", name);
}

/* One KTAP diagnostic line, "# ...", cut at 200 characters. */
static inline __printf(2, 0) void ktap_out_vdiag(struct ktap_out *o,
						 const char *fmt, va_list args)
{
	char line[200];

	vsnprintf(line, sizeof(line), fmt, args);
	mutex_lock(&o->lock);
	seq_buf_printf(&o->buf, "# %s\n", line);
	mutex_unlock(&o->lock);
}

static inline ssize_t ktap_out_read(struct file *f, char __user *ubuf,
				    size_t len, loff_t *ppos)
{
	struct ktap_out *o = f->private_data;

	return simple_read_from_buffer(ubuf, len, ppos, o->mem,
				       seq_buf_used(&o->buf));
}

static const struct file_operations ktap_out_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = ktap_out_read,
	.llseek = default_llseek,
};

/* Create debugfs <@name>/results; returns the directory, for more files. */
static inline struct dentry *ktap_out_debugfs(struct ktap_out *o,
					      const char *name)
{
	o->dir = debugfs_create_dir(name, NULL);
	debugfs_create_file("results", 0400, o->dir, o, &ktap_out_fops);
	return o->dir;
}

/* Remove the directory and everything in it (module exit). */
static inline void ktap_out_remove(struct ktap_out *o)
{
	debugfs_remove_recursive(o->dir);
	o->dir = NULL;
}

#endif /* _PMT_KTAP_OUT_H */
