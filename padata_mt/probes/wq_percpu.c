// SPDX-License-Identifier: GPL-2.0
/* WQ_PERCPU: new in 6.17 ("workqueue: Add new WQ_PERCPU flag"), in Debian's 6.12.117 by backport. */
#include <linux/workqueue.h>

unsigned int pmt_probe(void);
unsigned int pmt_probe(void)
{
	return WQ_PERCPU;
}
