/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memmap_test, bottom layer: a command's results, "key=value" lines in a
 * seq_buf, and the one way a step reports failure (mt_fail()).  Includes
 * no other header of the module; every other file may include it.
 */
#ifndef _MT_OUT_H
#define _MT_OUT_H

#include <linux/compiler.h>
#include <linux/seq_buf.h>
#include <linux/types.h>

#define MT_NAME			"memmap_test"
/* Size of the buffer holding one command's results. */
#define MT_OUT_SIZE		(32 * 1024)

struct seq_file;

struct mt_out {
	struct seq_buf sb;
};

struct mt_out *mt_out_alloc(void);
void mt_out_free(struct mt_out *o);
/* The complete lines of @o (a line cut by a full buffer is left out). */
void mt_out_show(struct seq_file *m, struct mt_out *o);

/* One or more key=value lines; nothing when @o is NULL or full. */
#define mt_kv(o, fmt, ...)						\
	do {								\
		struct mt_out *__mt_o = (o);				\
									\
		if (__mt_o)						\
			seq_buf_printf(&__mt_o->sb, fmt, ##__VA_ARGS__); \
	} while (0)

__printf(3, 4) int mt_fail(struct mt_out *o, int err, const char *fmt, ...);

#endif /* _MT_OUT_H */
