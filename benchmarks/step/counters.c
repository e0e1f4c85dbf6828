/* The link-time wraps of bench_step (CMakeLists.txt: -Wl,--wrap=...). */
#include <stddef.h>
#include <time.h>

#include "benchmarks/step/counters.h"
#include "vtape/core.h"

double bench_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int counting;                 /* count heap calls only during timed steps */
atomic_long heap_calls;       /* during the timed steps */
atomic_long heap_calls_all;   /* in the whole run: shows that the wrap is live */
void *first_heap_caller;      /* return address of the first counted heap call */

static void count_heap(void *caller) {
    atomic_fetch_add(&heap_calls_all, 1);
    if (!counting) return;
    if (atomic_fetch_add(&heap_calls, 1) == 0) first_heap_caller = caller;
}

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t s);
void *__real_realloc(void *p, size_t n);
int __real_posix_memalign(void **p, size_t a, size_t n);
void *__real_aligned_alloc(size_t a, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t s);
void *__wrap_realloc(void *p, size_t n);
int __wrap_posix_memalign(void **p, size_t a, size_t n);
void *__wrap_aligned_alloc(size_t a, size_t n);

void *__wrap_malloc(size_t n) {
    count_heap(__builtin_return_address(0));
    return __real_malloc(n);
}
void *__wrap_calloc(size_t n, size_t s) {
    count_heap(__builtin_return_address(0));
    return __real_calloc(n, s);
}
void *__wrap_realloc(void *p, size_t n) {
    count_heap(__builtin_return_address(0));
    return __real_realloc(p, n);
}
int __wrap_posix_memalign(void **p, size_t a, size_t n) {
    count_heap(__builtin_return_address(0));
    return __real_posix_memalign(p, a, n);
}
void *__wrap_aligned_alloc(size_t a, size_t n) {
    count_heap(__builtin_return_address(0));
    return __real_aligned_alloc(a, n);
}

double gemm_seconds;          /* vtape calls GEMMs from the calling thread only */
long gemm_calls;
double gemm_flops;

/* Every matrix product of vtape goes through ops/gemm's vt_sgemm_ctx or
 * vt_sgemm_bias_ctx (AVX-512 kernel or OpenBLAS); the wraps time them whichever backend
 * runs. */
void __real_vt_sgemm_ctx(vt_ctx *ctx, int ta, int tb, int m, int n, int k, const float *a,
                         int lda, const float *b, int ldb, float beta, float *c, int ldc);
void __wrap_vt_sgemm_ctx(vt_ctx *ctx, int ta, int tb, int m, int n, int k, const float *a,
                         int lda, const float *b, int ldb, float beta, float *c, int ldc);
void __wrap_vt_sgemm_ctx(vt_ctx *ctx, int ta, int tb, int m, int n, int k, const float *a,
                         int lda, const float *b, int ldb, float beta, float *c, int ldc) {
    double t0 = bench_now();
    __real_vt_sgemm_ctx(ctx, ta, tb, m, n, k, a, lda, b, ldb, beta, c, ldc);
    gemm_seconds += bench_now() - t0;
    gemm_calls++;
    gemm_flops += 2.0 * (double)m * (double)n * (double)k;
}

/* A linear layer's forward: the product with its bias and rectifier epilogue. */
void __real_vt_sgemm_bias_ctx(vt_ctx *ctx, int m, int n, int k, const float *a, int lda,
                              const float *b, int ldb, const float *bias, int relu, float *c,
                              int ldc);
void __wrap_vt_sgemm_bias_ctx(vt_ctx *ctx, int m, int n, int k, const float *a, int lda,
                              const float *b, int ldb, const float *bias, int relu, float *c,
                              int ldc);
void __wrap_vt_sgemm_bias_ctx(vt_ctx *ctx, int m, int n, int k, const float *a, int lda,
                              const float *b, int ldb, const float *bias, int relu, float *c,
                              int ldc) {
    double t0 = bench_now();
    __real_vt_sgemm_bias_ctx(ctx, m, n, k, a, lda, b, ldb, bias, relu, c, ldc);
    gemm_seconds += bench_now() - t0;
    gemm_calls++;
    gemm_flops += 2.0 * (double)m * (double)n * (double)k;
}

