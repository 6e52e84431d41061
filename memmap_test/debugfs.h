/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memmap_test, the top layer below module init (debugfs.c): the debugfs
 * files and the command thread that runs every command.  Calls parse.h,
 * cmds.h, and for the state it prints async.h, digest.h, region.h, run.h.
 */
#ifndef _MT_DEBUGFS_H
#define _MT_DEBUGFS_H

int mt_debugfs_init(void);
/* Remove the files, stop the command thread, free the last results. */
void mt_debugfs_exit(void);

#endif /* _MT_DEBUGFS_H */
