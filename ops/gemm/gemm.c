/* Which matrix product runs: vtape's AVX-512 kernel where the CPU has AVX-512F,
 * OpenBLAS elsewhere. The choice does not depend on OpenBLAS's own kernel choice
 * (OPENBLAS_CORETYPE may pin it to AVX2); VT_GEMM=openblas|avx512 or vt_gemm_use()
 * overrides it. The AVX-512 kernel's tasks run on the context's worker pool, the same
 * threads as vtape's element-wise work, so the two never compete for a core. */
#include "ops/gemm/gemm.h"
#include "vtape/ops.h"
#include <cblas.h>
#include <stdlib.h>
#include <string.h>

enum { GEMM_UNSET = -1, GEMM_OPENBLAS, GEMM_AVX512 };
static int backend = GEMM_UNSET;   /* racy but idempotent: every thread computes the same */

static int has_avx512(void) {
#if defined(VT_HAVE_X86_SIMD)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f");
#else
    return 0;
#endif
}

static int pick(void) {
    if (backend == GEMM_UNSET) {
        const char *env = getenv("VT_GEMM");
        if (env && !strcmp(env, "openblas")) backend = GEMM_OPENBLAS;
        else backend = has_avx512() ? GEMM_AVX512 : GEMM_OPENBLAS;
    }
    return backend;
}

const char *vt_gemm_backend(void) { return pick() == GEMM_AVX512 ? "avx512" : "openblas"; }

int vt_gemm_use(const char *name) {
    if (!strcmp(name, "openblas")) backend = GEMM_OPENBLAS;
    else if (!strcmp(name, "avx512") && has_avx512()) backend = GEMM_AVX512;
    else if (!strcmp(name, "auto")) backend = has_avx512() ? GEMM_AVX512 : GEMM_OPENBLAS;
    else return -1;
    return 0;
}

#if defined(VT_HAVE_X86_SIMD)
static void run_tasks(void *arg, size_t t0, size_t t1) { vt_gemm_avx512_tasks(arg, t0, t1); }
#endif

void vt_sgemm_ctx(vt_ctx *ctx, int ta, int tb, int M, int N, int K, const float *A, int lda,
                  const float *B, int ldb, float beta, float *C, int ldc) {
    if (M <= 0 || N <= 0) return;
#if defined(VT_HAVE_X86_SIMD)
    if (pick() == GEMM_AVX512) {
        vt_gemm_args g = {ta, tb, M, N, K, lda, ldb, ldc, vt_gemm_rows_per_task(M, N),
                          A, B, C, beta, NULL, 0};
        vt_parallel_for(ctx, vt_gemm_tasks(&g), 1, run_tasks, &g);
        return;
    }
#endif
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                M, N, K, 1.0f, A, lda, B, ldb, beta, C, ldc);
}

void vt_sgemm_bias_ctx(vt_ctx *ctx, int M, int N, int K, const float *A, int lda,
                       const float *B, int ldb, const float *bias, int relu, float *C, int ldc) {
    if (M <= 0 || N <= 0) return;
#if defined(VT_HAVE_X86_SIMD)
    if (pick() == GEMM_AVX512) {
        vt_gemm_args g = {0, 0, M, N, K, lda, ldb, ldc, vt_gemm_rows_per_task(M, N),
                          A, B, C, 0.0f, bias, relu};
        vt_parallel_for(ctx, vt_gemm_tasks(&g), 1, run_tasks, &g);
        return;
    }
#endif
    if (bias)
        for (int i = 0; i < M; i++) memcpy(C + (size_t)i * ldc, bias, (size_t)N * sizeof *C);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.0f, A, lda, B, ldb,
                bias ? 1.0f : 0.0f, C, ldc);
    if (relu)
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++) {
                float *c = C + (size_t)i * ldc + j;
                *c = *c > 0.0f ? *c : 0.0f;
            }
}
