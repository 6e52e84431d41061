// SPDX-License-Identifier: GPL-2.0
/*
 * memmap_test: a command's results (out.h).
 */
#include <linux/printk.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "out.h"

struct mt_out *mt_out_alloc(void)
{
	struct mt_out *o = kzalloc(sizeof(*o), GFP_KERNEL);
	char *buf;

	if (!o)
		return NULL;
	buf = vmalloc(MT_OUT_SIZE);
	if (!buf) {
		kfree(o);
		return NULL;
	}
	seq_buf_init(&o->sb, buf, MT_OUT_SIZE);
	return o;
}

void mt_out_free(struct mt_out *o)
{
	if (!o)
		return;
	vfree(o->sb.buffer);
	kfree(o);
}

void mt_out_show(struct seq_file *m, struct mt_out *o)
{
	size_t len = seq_buf_used(&o->sb);

	if (seq_buf_has_overflowed(&o->sb))
		while (len && o->sb.buffer[len - 1] != '\n')
			len--;
	seq_write(m, o->sb.buffer, len);
}

/*
 * A failed step: one ratelimited pr_warn line and a message= key, both
 * saying why.  Returns @err.
 */
int mt_fail(struct mt_out *o, int err, const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	pr_warn_ratelimited(MT_NAME ": %pV (%d)\n", &vaf, err);
	mt_kv(o, "message=%pV\n", &vaf);
	va_end(args);
	return err;
}
