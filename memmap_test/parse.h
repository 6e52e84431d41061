/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memmap_test, the command parser (parse.c): one write's text to one
 * struct mt_args, by the key table and the command table (cmds.h).
 * Included by debugfs.c only.
 */
#ifndef _MT_PARSE_H
#define _MT_PARSE_H

#include <linux/types.h>

#include "cmds.h"

/* Longest command accepted by one write(), newline included. */
#define MT_CMD_MAX		512

/*
 * Parse @buf (NUL-terminated, @len bytes before the NUL; modified) into
 * @a: 0, or -EINVAL with a message= line in @o and one ratelimited
 * pr_warn line saying why.  a->cmd is MT_CMD_NR until the command word is
 * known.
 */
int mt_parse(char *buf, size_t len, struct mt_args *a, struct mt_out *o);
/* Refuse a write before it is parsed: -EINVAL, as mt_parse() does. */
__printf(2, 3) int mt_bad(struct mt_out *o, const char *fmt, ...);
/* The name of key @k and its value in the usage text. */
const char *mt_key_name(enum mt_key_id k);
const char *mt_key_meta(enum mt_key_id k, const struct mt_cmd *cmd);

#endif /* _MT_PARSE_H */
