// SPDX-License-Identifier: GPL-2.0
/*
 * get_random_u32_below(): upstream e9a688bcb193 ("random: use rejection
 * sampling for uniform bounded random integers", 6.2), in 6.1.y from 6.1.4
 * on; 6.1.0-6.1.3 have only prandom_u32_max().
 */
#include <linux/random.h>

u32 pmt_probe(u32 ceil);
u32 pmt_probe(u32 ceil)
{
	return get_random_u32_below(ceil);
}
