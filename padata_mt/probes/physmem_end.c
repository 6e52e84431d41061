// SPDX-License-Identifier: GPL-2.0
/*
 * PHYSMEM_END: upstream ea72ce5da228 ("x86/kaslr: Expose and use the end
 * of the physical memory address space", 6.11), which also caps
 * request_free_mem_region() below it.
 */
#include <linux/mm.h>

#ifndef PHYSMEM_END
#error "no PHYSMEM_END"
#endif
