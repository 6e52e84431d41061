/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memmap_test, the commands (cmds.c): the parsed arguments, the command
 * table and its handlers.  The handlers are the only users of struct
 * mt_args below the parser and the only ones of the plugged region; they
 * turn a command into calls of bench.h, memset.h, async.h, pageinit.h,
 * digest.h and region.h.  Included by parse.c and debugfs.c.
 */
#ifndef _MT_CMDS_H
#define _MT_CMDS_H

#include <linux/bits.h>
#include <linux/types.h>

#include "bench.h"
#include "digest.h"
#include "pageinit.h"
#include "run.h"

enum mt_cmd_id {
	MT_CMD_HOTPLUG,
	MT_CMD_UNPLUG,
	MT_CMD_REINIT,
	MT_CMD_VERIFY,
	MT_CMD_MEMSET,
	MT_CMD_BENCH,
	MT_CMD_ASYNC,
	MT_CMD_SYNC,
	MT_CMD_NR,
};

/*
 * The keys; their names and value syntax are parse.c's key table.  The
 * usage text lists a command's keys in this order.
 */
enum mt_key_id {
	MT_K_BASE,
	MT_K_PFN,
	MT_K_COUNT,
	MT_K_THREADS,
	MT_K_SIZE,
	MT_K_REPEATS,
	MT_K_PIECES,
	MT_K_NID,
	MT_K_FAIL_PIECE,
	MT_K_POISON,
	MT_K_SKIP,
	MT_K_SKIP_BLOCK,
	MT_K_TWOPASS,
	MT_K_STORE,
	MT_K_DELAY_MS,
	MT_K_FLIP,
	MT_K_NR,
};

/* One parsed command line.  A key not given leaves its field zero. */
struct mt_args {
	enum mt_cmd_id cmd;
	unsigned long given;		/* BIT(MT_K_*) of the keys given */
	u64 size;
	u64 base;
	u64 skip;
	u64 skip_block;
	u64 pfn;
	u64 count;
	unsigned int threads[MT_MAX_SWEEP];
	unsigned int nr_threads;
	unsigned int pieces;
	unsigned int repeats;
	unsigned int fail_piece;
	unsigned int delay_ms;
	int nid;			/* NUMA_NO_NODE when not given */
	bool poison;
	bool twopass;
	enum mt_store_kind store;	/* MT_STORE_DEFAULT when not given */
	unsigned int nr_flips;
	struct mt_flip flips[MT_MAX_FLIPS];
};

static inline bool mt_given(const struct mt_args *a, enum mt_key_id k)
{
	return a->given & BIT(k);
}

struct mt_cmd {
	const char *name;
	unsigned long allowed;		/* BIT(MT_K_*) */
	unsigned long required;
	/* threads= takes an increasing list (bench's sweep) */
	bool threads_list;
	/* runs beside a background pass; every other command stops it first */
	bool beside_async;
	const char *note;		/* for the usage text, or NULL */
	/* bench sets *table to the table it made */
	int (*handler)(const struct mt_args *a, const struct mt_ctx *c,
		       struct mt_out **table);
};

extern const struct mt_cmd mt_cmds[MT_CMD_NR];

/*
 * Run one command in the command thread: its results, result= and the
 * region state in c->o; a bench's table in *@table (the caller frees it).
 * Sets c->threads.
 */
int mt_cmd_run(const struct mt_args *a, struct mt_ctx *c,
	       struct mt_out **table);
/* The region_* keys of the plugged region (command thread or idle only). */
void mt_cmds_state_kv(struct mt_out *o);
/* rmmod: stop a background pass, unplug the region. */
void mt_cmds_exit(void);

#endif /* _MT_CMDS_H */
