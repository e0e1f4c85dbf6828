/* Private to vtape: ask for transparent huge pages on a large block before it is first
 * written (a hint: nothing happens where the kernel or the platform has none). The
 * blocks that a step reads all over (a data set of hundreds of MB that batches gather
 * rows from, the parameter store that Adam streams through, the step's arena) then cost
 * one TLB entry per 2 MiB instead of per 4 KiB; on a VM each miss also walks the
 * hypervisor's tables. Measured on the batch gather at batch 128: 1.1 ms → 0.17 ms
 * (docs/performance.md). */
#ifndef VT_CORE_PAGES_H
#define VT_CORE_PAGES_H
#include <stddef.h>

void vt_prefer_huge_pages(void *p, size_t bytes);

#endif
