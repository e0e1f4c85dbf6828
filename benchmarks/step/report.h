/* What bench_step measured, and its report as text and as JSON. */
#ifndef BENCH_STEP_REPORT_H
#define BENCH_STEP_REPORT_H

#include <stddef.h>

enum { PH_DATA, PH_FWD, PH_BWD, PH_OPT, N_PH };
extern const char *const ph_name[N_PH];

typedef struct {
    long steps, warmup, repeats, batch, threads, blas_threads;
} step_config;

typedef struct {
    long steps;                      /* timed steps */
    double phase[N_PH];              /* seconds per phase over the timed steps */
    double phase_gemm[N_PH];         /* of which inside GEMMs */
    double total;                    /* seconds of all timed steps */
    double median_ms, ips_median, ips_best, loss;
    long gemm_calls;
    double gemm_flops;
} step_result;

void step_report_print(const step_config *c, const step_result *r, size_t n_params);
int step_report_json(const char *path, const step_config *c, const step_result *r);

#endif
