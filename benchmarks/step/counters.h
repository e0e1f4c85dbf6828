/* Counters behind bench_step's link-time wraps: every heap call and every matrix product
 * of vtape's own (statically linked) code passes through here. */
#ifndef BENCH_STEP_COUNTERS_H
#define BENCH_STEP_COUNTERS_H

#include <stdatomic.h>

double bench_now(void);              /* monotonic seconds */
extern int counting;                 /* count heap calls only during timed steps */
extern atomic_long heap_calls;       /* during the timed steps */
extern atomic_long heap_calls_all;   /* in the whole run: shows that the wrap is live */
extern void *first_heap_caller;      /* return address of the first counted heap call */
extern double gemm_seconds;          /* time inside vtape's GEMMs */
extern long gemm_calls;
extern double gemm_flops;

#endif
