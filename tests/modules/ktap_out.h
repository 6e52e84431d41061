/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The test modules' output (padata_mt_selftest, padata_mt_bench): lines
 * gathered in one buffer, which a debugfs file <dir>/results returns whole
 * to the guest suites.  The self-test writes KTAP result lines ("ok N
 * name", "not ok N name", "ok N name # SKIP why") and diagnostics ("# ..."),
 * and its results file is a KTAP document ("KTAP version 1", the plan,
 * the lines), which the guest suite nests under one result of its own;
 * the bench writes key=value lines straight into @buf, returned as they
 * are.
 *
 * Each module runs a table of &struct ktap_case; its filter= parameter
 * (comma-separated glob patterns) selects entries by name.
 *
 * Header-only, as both modules use it: one object linked into two modules
 * is what Kbuild warns about.
 */
#ifndef _PMT_KTAP_OUT_H
#define _PMT_KTAP_OUT_H

#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/glob.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/printk.h>
#include <linux/seq_buf.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>

/**
 * struct ktap_out - a test module's results
 * @buf: the lines so far
 * @lock: serialises writers of result and diagnostic lines
 * @nr: results so far: the number of the next "ok N" line is @nr + 1
 * @mem: @buf's memory
 * @dir: the module's debugfs directory, with the file "results" in it
 * @ktap: "results" starts with the KTAP version line and the plan
 */
struct ktap_out {
	struct seq_buf buf;
	struct mutex lock;
	unsigned int nr;
	char *mem;
	struct dentry *dir;
	bool ktap;
};

/* @ktap: the results are a KTAP document (see &struct ktap_out). */
static inline int ktap_out_init(struct ktap_out *o, size_t size, bool ktap)
{
	o->mem = kvzalloc(size, GFP_KERNEL);
	if (!o->mem)
		return -ENOMEM;
	seq_buf_init(&o->buf, o->mem, size);
	mutex_init(&o->lock);
	o->nr = 0;
	o->dir = NULL;
	o->ktap = ktap;
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

/* "results": read once the module's init has returned, so @nr is final. */
static int ktap_out_show(struct seq_file *m, void *unused)
{
	struct ktap_out *o = m->private;

	if (o->ktap)
		seq_printf(m, "KTAP version 1\n1..%u\n", o->nr);
	seq_write(m, o->mem, seq_buf_used(&o->buf));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(ktap_out);

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

/**
 * struct ktap_case - one entry of a test module's table
 * @name: what the patterns of filter= match
 * @fn: runs the entry, which reports its own lines
 * @sets: the runs the entry belongs to, a bit each (the module's modes)
 */
struct ktap_case {
	const char *name;
	void (*fn)(void);
	unsigned int sets;
};

/* A pattern is 1..KTAP_PATTERN_MAX - 1 characters. */
#define KTAP_PATTERN_MAX	32

/* Does @name match the @n characters at @pat? */
static inline bool ktap_match(const char *pat, size_t n, const char *name)
{
	char buf[KTAP_PATTERN_MAX];

	if (!n || n >= sizeof(buf))
		return false;
	memcpy(buf, pat, n);
	buf[n] = '\0';
	return glob_match(buf, name);
}

/* Does @filter (NULL or "" for all) select the entry @name? */
static inline bool ktap_selected(const char *filter, const char *name)
{
	const char *p = filter;
	size_t n;

	if (!p || !*p)
		return true;
	for (; *p; p += n + !!p[n]) {
		n = strcspn(p, ",");
		if (ktap_match(p, n, name))
			return true;
	}
	return false;
}

/*
 * Every pattern of @filter must match an entry of run @set: otherwise
 * -EINVAL, with the pattern and the entries in the log.  For module init.
 */
static inline int ktap_check_filter(const char *filter,
				    const struct ktap_case *c, unsigned int nr,
				    unsigned int set)
{
	const char *p = filter;
	unsigned int i;
	bool hit;
	size_t n;

	if (!p || !*p)
		return 0;
	/* The loop below never sees an empty last pattern. */
	if (p[strlen(p) - 1] == ',') {
		pr_err("filter: '%s' ends with an empty pattern\n", p);
		return -EINVAL;
	}
	for (; *p; p += n + !!p[n]) {
		n = strcspn(p, ",");
		hit = false;
		for (i = 0; i < nr; i++)
			if ((c[i].sets & set) && ktap_match(p, n, c[i].name))
				hit = true;
		if (hit)
			continue;
		pr_err("filter: pattern '%.*s' matches nothing this run has (patterns 1..%d characters, comma-separated); it has:\n",
		       (int)min_t(size_t, n, 64), p, KTAP_PATTERN_MAX - 1);
		for (i = 0; i < nr; i++)
			if (c[i].sets & set)
				pr_err("filter:   %s\n", c[i].name);
		return -EINVAL;
	}
	return 0;
}

/* Run the entries of run @set that @filter selects, in table order. */
static inline void ktap_run_cases(const struct ktap_case *c, unsigned int nr,
				  unsigned int set, const char *filter)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		if ((c[i].sets & set) && ktap_selected(filter, c[i].name))
			c[i].fn();
}

#endif /* _PMT_KTAP_OUT_H */
