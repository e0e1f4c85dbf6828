/* vtape's matrix product, private to ops/: C = op(A) op(B) + beta C, row-major, alpha 1.
 * op(A) is M x K, op(B) is K x N; ta / tb say that A / B are stored transposed.
 *
 * Backends: OpenBLAS (portable default) or vtape's AVX-512 kernel (ops/gemm/avx512.c),
 * chosen once at run time from the CPU (see gemm.c). Either way, one C element is
 * always summed in the same order, so results do not depend on the thread count. */
#ifndef VT_OPS_GEMM_H
#define VT_OPS_GEMM_H

#include "vtape/core.h"
#include <stddef.h>

/* The AVX-512 kernel splits the product over ctx's worker pool (vt_parallel_for). */
void vt_sgemm_ctx(vt_ctx *ctx, int ta, int tb, int M, int N, int K, const float *A, int lda,
                  const float *B, int ldb, float beta, float *C, int ldc);

/* --- between gemm.c and the kernels --- */

/* One call's operands. */
typedef struct vt_gemm_args {
    int ta, tb, M, N, K, lda, ldb, ldc;
    const float *A, *B;
    float *C;
    float beta;
} vt_gemm_args;

/* Columns per panel and rows per task of the AVX-512 kernel. */
#define VT_GEMM_NR 32
#define VT_GEMM_MC 64

/* Tasks of a call: (row block, column panel) pairs, each written by one thread. */
static inline size_t vt_gemm_tasks(const vt_gemm_args *g) {
    size_t mb = ((size_t)g->M + VT_GEMM_MC - 1) / VT_GEMM_MC;
    size_t nb = ((size_t)g->N + VT_GEMM_NR - 1) / VT_GEMM_NR;
    return mb * nb;
}

/* Runs tasks [t0, t1) of the call (ops/gemm/avx512.c; compiled with AVX-512). */
void vt_gemm_avx512_tasks(const vt_gemm_args *g, size_t t0, size_t t1);

#endif
