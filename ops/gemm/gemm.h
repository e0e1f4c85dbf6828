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

/* C = A B + bias, then max(C, 0) when relu: a linear layer's forward in one pass over
 * C (A is M x K, B is K x N, neither transposed; bias is 1 x N or NULL; C's old values
 * are ignored). The same bits as copying bias into C's rows, vt_sgemm_ctx with beta 1,
 * then the rectifier. */
void vt_sgemm_bias_ctx(vt_ctx *ctx, int M, int N, int K, const float *A, int lda,
                       const float *B, int ldb, const float *bias, int relu, float *C, int ldc);

/* --- between gemm.c and the kernels --- */

/* One call's operands. */
typedef struct vt_gemm_args {
    int ta, tb, M, N, K, lda, ldb, ldc;
    int mc;   /* rows of C per task (vt_gemm_rows_per_task) */
    const float *A, *B;
    float *C;
    float beta;
    const float *bias;   /* epilogue (vt_sgemm_bias_ctx): beta is 0 when bias is set */
    int relu;
} vt_gemm_args;

/* Columns per panel of the AVX-512 kernel. */
#define VT_GEMM_NR 32

/* Rows of C per task. A task packs its panel of op(B) for every block of K it runs, so
 * with enough panels to keep the threads busy (8 or more) one task takes all M rows and
 * each panel is packed, and read from L2 or L3, once; with fewer, tasks of 64 rows split
 * the work. Products taller than VT_GEMM_TALL rows (importance sampling's chunks of
 * 50 000) take blocks of 256 rows instead, ordered block by block (see
 * vt_gemm_task_at): a thread runs every panel of a block while the block's rows of
 * op(A) stay in its L2, where one task per panel would stream all of op(A) from memory
 * once per panel. Depends on the shape only, never on the thread count. */
#define VT_GEMM_TALL 1024
static inline int vt_gemm_rows_per_task(int M, int N) {
    if (M > VT_GEMM_TALL) return 256;
    int panels = (N + VT_GEMM_NR - 1) / VT_GEMM_NR;
    return panels >= 8 ? M : 64;
}

/* Task t's first row and first column: row blocks vary fastest (a panel's tasks are
 * consecutive), except for tall products, where panels do. */
static inline void vt_gemm_task_at(const vt_gemm_args *g, size_t t, int *i0, int *j0) {
    size_t mb = ((size_t)g->M + (size_t)g->mc - 1) / (size_t)g->mc;
    size_t nb = ((size_t)g->N + VT_GEMM_NR - 1) / VT_GEMM_NR;
    size_t i = g->M > VT_GEMM_TALL ? t / nb : t % mb, j = g->M > VT_GEMM_TALL ? t % nb : t / mb;
    *i0 = (int)i * g->mc;
    *j0 = (int)j * VT_GEMM_NR;
}

/* Tasks of a call: (row block, column panel) pairs, each written by one thread. */
static inline size_t vt_gemm_tasks(const vt_gemm_args *g) {
    size_t mb = ((size_t)g->M + (size_t)g->mc - 1) / (size_t)g->mc;
    size_t nb = ((size_t)g->N + VT_GEMM_NR - 1) / VT_GEMM_NR;
    return mb * nb;
}

/* Runs tasks [t0, t1) of the call (ops/gemm/avx512.c; compiled with AVX-512). */
void vt_gemm_avx512_tasks(const vt_gemm_args *g, size_t t0, size_t t1);

#endif
