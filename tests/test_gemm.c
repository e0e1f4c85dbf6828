/* ops/gemm: both backends against a float64 reference on shapes that hit every edge
 * of the AVX-512 kernel (row tails < 8, column tails < 32 and < 16, K beyond one
 * 256-step block, transposed operands with ragged 16 x 16 transpose blocks), beta 0 on
 * a C full of NaN (BLAS semantics: C is not read), beta 1 and other betas; and the
 * thread-count determinism of the kernel (bit-identical C for 1, 2 and 3 threads); the
 * bias + rectifier epilogue against its composition.
 * Gradients through the products are checked in test_gradcheck_ops.c, on whichever
 * backend this CPU selects. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops/gemm/gemm.h"
#include "support.h"
#include "vtape/vtape.h"

static const int SHAPES[][3] = {   /* M, N, K */
    {1, 1, 1}, {7, 33, 5}, {8, 32, 16}, {9, 17, 300}, {65, 70, 513}, {128, 64, 256},
    {3, 100, 40}, {130, 31, 17}, {1100, 40, 20},   /* the last is "tall": 256-row blocks */
};

/* C = op(A) op(B) + beta C0 in double; op(A) is M x K. */
static void reference(int ta, int tb, int M, int N, int K, const float *A, const float *B,
                      float beta, const float *C0, double *C) {
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double s = 0;
            for (int k = 0; k < K; k++) {
                double a = ta ? A[(size_t)k * M + i] : A[(size_t)i * K + k];
                double b = tb ? B[(size_t)j * K + k] : B[(size_t)k * N + j];
                s += a * b;
            }
            C[(size_t)i * N + j] = s + (beta != 0.0f ? beta * C0[(size_t)i * N + j] : 0.0);
        }
}

static void check_backend(const char *name) {
    vt_ctx *ctx = vt_ctx_new(&(vt_ctx_opts){.threads = 2});
    const float betas[] = {0.0f, 1.0f, 0.5f};
    for (size_t s = 0; s < sizeof SHAPES / sizeof SHAPES[0]; s++) {
        int M = SHAPES[s][0], N = SHAPES[s][1], K = SHAPES[s][2];
        float *A = malloc(sizeof(float) * M * K), *B = malloc(sizeof(float) * K * N);
        float *C0 = malloc(sizeof(float) * M * N), *C = malloc(sizeof(float) * M * N);
        double *R = malloc(sizeof(double) * M * N);
        vt_test_fill_normal(A, (size_t)M * K, 1.0f, 11 + s);
        vt_test_fill_normal(B, (size_t)K * N, 1.0f, 23 + s);
        vt_test_fill_normal(C0, (size_t)M * N, 1.0f, 31 + s);
        for (int ta = 0; ta < 2; ta++)
            for (int tb = 0; tb < 2; tb++)
                for (int bi = 0; bi < 3; bi++) {
                    float beta = betas[bi];
                    for (int i = 0; i < M * N; i++) C[i] = beta == 0.0f ? NAN : C0[i];
                    reference(ta, tb, M, N, K, A, B, beta, C0, R);
                    vt_sgemm_ctx(ctx, ta, tb, M, N, K, A, ta ? M : K, B, tb ? K : N, beta, C, N);
                    for (int i = 0; i < M * N; i++) {
                        /* float32 sums of K products of N(0,1) terms: error ~ u sqrt(K) */
                        double tol = 1e-5 * (sqrt((double)K) + 1) * 4;
                        cr_assert(fabs(C[i] - R[i]) <= tol,
                                  "%s ta %d tb %d %dx%dx%d beta %g: C[%d] = %.8g, want %.8g",
                                  name, ta, tb, M, N, K, beta, i, C[i], R[i]);
                    }
                }
        free(A), free(B), free(C0), free(C), free(R);
    }
    vt_ctx_free(ctx);
}

Test(gemm, openblas_matches_reference) {
    cr_assert_eq(vt_gemm_use("openblas"), 0);
    cr_assert_str_eq(vt_gemm_backend(), "openblas");
    check_backend("openblas");
    vt_gemm_use("auto");
}

Test(gemm, avx512_matches_reference) {
    if (vt_gemm_use("avx512") != 0) cr_skip_test("no AVX-512F on this CPU");
    cr_assert_str_eq(vt_gemm_backend(), "avx512");
    check_backend("avx512");
    vt_gemm_use("auto");
}

Test(gemm, unknown_backend_is_refused) {
    cr_assert_eq(vt_gemm_use("mkl"), -1);
}

Test(gemm, avx512_identical_for_any_thread_count) {
    if (vt_gemm_use("avx512") != 0) cr_skip_test("no AVX-512F on this CPU");
    /* A batch-sized product with K over one 256-step block, and a tall one (more than
     * VT_GEMM_TALL rows: 256-row blocks, panels inner). */
    static const int shapes[2][3] = {{130, 200, 600}, {1300, 200, 300}};
    static float A[1300 * 600], B[600 * 200], C[3][1300 * 200];
    for (int s = 0; s < 2; s++) {
        int M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
        vt_test_fill_normal(A, (size_t)M * K, 1.0f, 5);
        vt_test_fill_normal(B, (size_t)K * N, 1.0f, 6);
        for (int t = 1; t <= 3; t++) {
            vt_ctx *ctx = vt_ctx_new(&(vt_ctx_opts){.threads = t});
            vt_sgemm_ctx(ctx, 0, 1, M, N, K, A, K, B, K, 0.0f, C[t - 1], N);
            vt_ctx_free(ctx);
        }
        size_t bytes = sizeof(float) * (size_t)M * N;
        cr_assert_eq(memcmp(C[0], C[1], bytes), 0, "%d x %d x %d", M, N, K);
        cr_assert_eq(memcmp(C[0], C[2], bytes), 0, "%d x %d x %d", M, N, K);
    }
    vt_gemm_use("auto");
}

/* vt_sgemm_bias_ctx (bias and rectifier in the kernel's last pass) gives the bits of
 * copying the bias into C, vt_sgemm_ctx with beta 1, then the rectifier, on both
 * backends: every edge shape, K = 0, no bias, and a NaN row of A (the rectifier maps
 * NaN to 0 either way). C starts as NaN: its old values must not be read. */
static void check_bias_epilogue(const char *name) {
    vt_ctx *ctx = vt_ctx_new(&(vt_ctx_opts){.threads = 2});
    static const int extra[][3] = {{5, 40, 0}, {70, 300, 3}};
    size_t n_shapes = sizeof SHAPES / sizeof SHAPES[0], n_all = n_shapes + 2;
    for (size_t s = 0; s < n_all; s++) {
        const int *sh = s < n_shapes ? SHAPES[s] : extra[s - n_shapes];
        int M = sh[0], N = sh[1], K = sh[2];
        float *A = malloc(sizeof(float) * M * (K + 1)), *B = malloc(sizeof(float) * (K + 1) * N);
        float *bias = malloc(sizeof(float) * N), *C = malloc(sizeof(float) * M * N);
        float *W = malloc(sizeof(float) * M * N);
        vt_test_fill_normal(A, (size_t)M * K, 1.0f, 41 + s);
        vt_test_fill_normal(B, (size_t)K * N, 1.0f, 43 + s);
        vt_test_fill_normal(bias, (size_t)N, 1.0f, 47 + s);
        if (K > 0 && M > 2) A[(size_t)2 * K] = NAN;
        for (int with_bias = 0; with_bias < 2; with_bias++)
            for (int relu = 0; relu < 2; relu++) {
                const float *b = with_bias ? bias : NULL;
                for (int i = 0; i < M; i++)
                    for (int j = 0; j < N; j++) W[(size_t)i * N + j] = b ? b[j] : 0.0f;
                vt_sgemm_ctx(ctx, 0, 0, M, N, K, A, K, B, N, 1.0f, W, N);
                if (relu)
                    for (int i = 0; i < M * N; i++) W[i] = W[i] > 0.0f ? W[i] : 0.0f;
                for (int i = 0; i < M * N; i++) C[i] = NAN;
                vt_sgemm_bias_ctx(ctx, M, N, K, A, K, B, N, b, relu, C, N);
                cr_assert_eq(memcmp(C, W, sizeof(float) * M * N), 0,
                             "%s %dx%dx%d bias %d relu %d: not the bits of the composition",
                             name, M, N, K, with_bias, relu);
            }
        free(A), free(B), free(bias), free(C), free(W);
    }
    vt_ctx_free(ctx);
}

Test(gemm, bias_relu_epilogue_is_the_composition) {
    cr_assert_eq(vt_gemm_use("openblas"), 0);
    check_bias_epilogue("openblas");
    if (vt_gemm_use("avx512") == 0) check_bias_epilogue("avx512");
    vt_gemm_use("auto");
}

/* vt_linear_relu gives exactly vt_relu(vt_linear(...)): values and every gradient. */
Test(gemm, linear_relu_equals_linear_then_relu) {
    enum { B = 37, D = 70, H = 45 };
    static float xs[B * D], ws[D * H], bs[H], gy[B * H], got[2][B * D + D * H + H + B * H];
    vt_test_fill_normal(xs, B * D, 1.0f, 1);
    vt_test_fill_normal(ws, D * H, 0.3f, 2);
    vt_test_fill_normal(bs, H, 0.5f, 3);
    vt_test_fill_normal(gy, B * H, 1.0f, 4);
    for (int fused = 0; fused < 2; fused++) {
        vt_ctx *ctx = vt_ctx_new(&(vt_ctx_opts){.threads = 2});
        vt_tensor *x = vt_requires_grad(vt_from_data(ctx, 2, (int[]){B, D}, xs));
        vt_tensor *w = vt_requires_grad(vt_from_data(ctx, 2, (int[]){D, H}, ws));
        vt_tensor *b = vt_requires_grad(vt_from_data(ctx, 2, (int[]){1, H}, bs));
        vt_tensor *y = fused ? vt_linear_relu(ctx, x, w, b) : vt_relu(ctx, vt_linear(ctx, x, w, b));
        vt_tensor *g = vt_from_data(ctx, 2, (int[]){B, H}, gy);
        vt_tensor *l = vt_sum(ctx, vt_mul(ctx, y, g));
        cr_assert_eq(vt_backward(ctx, l, NULL), 0, "%s", vt_ctx_error(ctx));
        float *o = got[fused];
        memcpy(o, x->grad, sizeof xs);
        memcpy(o + B * D, w->grad, sizeof ws);
        memcpy(o + B * D + D * H, b->grad, sizeof bs);
        memcpy(o + B * D + D * H + H, y->data, sizeof gy);
        vt_ctx_free(ctx);
    }
    cr_assert_eq(memcmp(got[0], got[1], sizeof got[0]), 0);
}
