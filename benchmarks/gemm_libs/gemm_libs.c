/* gemm_libs: the step's 17 GEMMs (benchmarks/step_shapes.h) on every candidate
 * library, to choose vtape's GEMM backend (docs/performance.md, "GEMM backends").
 * Built by benchmarks/gemm_libs/run.sh, outside vtape's CMake build, against whichever
 * of the Debian packages are installed: OpenBLAS (always), oneDNN (libdnnl-dev,
 * -DHAVE_DNNL), BLIS (libblis-dev, -DHAVE_BLIS), libxsmm (libxsmm-dev, -DHAVE_XSMM),
 * and vtape's own AVX-512 kernel (linked from libvtape.a).
 *
 *   gemm_libs [--batch B] [--threads T] [--reps R]
 * Prints, per library, the summed best-of-5 time of the 17 GEMMs and GFLOP/s. */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "benchmarks/step_shapes.h"
#include "ops/gemm/gemm.h"
#include "vtape/vtape.h"
#ifdef HAVE_DNNL
#include <oneapi/dnnl/dnnl.h>
#endif
#ifdef HAVE_BLIS
#include <blis.h>
#endif
#ifdef HAVE_XSMM
#include <libxsmm.h>
#endif

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static vt_ctx *ctx;

/* Each: row-major C = op(A) op(B) + beta C, alpha 1. */
static void g_openblas(const step_shape *s, const float *A, int lda, const float *B, int ldb,
                       float *C) {
    cblas_sgemm(CblasRowMajor, s->ta ? CblasTrans : CblasNoTrans,
                s->tb ? CblasTrans : CblasNoTrans, s->M, s->N, s->K, 1.0f, A, lda, B, ldb,
                s->beta, C, s->N);
}
static void g_vtape(const step_shape *s, const float *A, int lda, const float *B, int ldb,
                    float *C) {
    vt_sgemm_ctx(ctx, s->ta, s->tb, s->M, s->N, s->K, A, lda, B, ldb, s->beta, C, s->N);
}
#ifdef HAVE_DNNL
static void g_dnnl(const step_shape *s, const float *A, int lda, const float *B, int ldb,
                   float *C) {
    dnnl_sgemm(s->ta ? 'T' : 'N', s->tb ? 'T' : 'N', s->M, s->N, s->K, 1.0f, A, lda, B, ldb,
               s->beta, C, s->N);
}
#endif
#ifdef HAVE_BLIS
static void g_blis(const step_shape *s, const float *A, int lda, const float *B, int ldb,
                   float *C) {
    float one = 1.0f, beta = s->beta;
    /* BLIS takes row and column strides, so row-major needs no flipping. */
    bli_sgemm(s->ta ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE,
              s->tb ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE, s->M, s->N, s->K, &one, (float *)A,
              lda, 1, (float *)B, ldb, 1, &beta, C, s->N, 1);
}
#endif
#ifdef HAVE_XSMM
static void g_xsmm(const step_shape *s, const float *A, int lda, const float *B, int ldb,
                   float *C) {
    /* Column-major: Cᵀ = op(B)ᵀ op(A)ᵀ. */
    libxsmm_blasint m = s->N, n = s->M, k = s->K, la = ldb, lb = lda, lc = s->N;
    float one = 1.0f, beta = s->beta;
    libxsmm_sgemm(s->tb ? "T" : "N", s->ta ? "T" : "N", &m, &n, &k, &one, B, &la, A, &lb, &beta,
                  C, &lc);
}
#endif

typedef void (*gemm_fn)(const step_shape *, const float *, int, const float *, int, float *);

int main(int argc, char **argv) {
    int batch = 128, threads = 2, reps = 50;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--batch")) batch = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--threads")) threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--reps")) reps = atoi(argv[i + 1]);
    }
    openblas_set_num_threads(threads);
    ctx = vt_ctx_new(&(vt_ctx_opts){.threads = threads});
    struct { const char *name; gemm_fn fn; } libs[8];
    int nl = 0;
    libs[nl++] = (typeof(libs[0])){"openblas", g_openblas};
    if (vt_gemm_use("avx512") == 0) libs[nl++] = (typeof(libs[0])){"vtape-avx512", g_vtape};
#ifdef HAVE_DNNL
    libs[nl++] = (typeof(libs[0])){"onednn", g_dnnl};   /* threads: OMP_NUM_THREADS */
#endif
#ifdef HAVE_BLIS
    bli_thread_set_num_threads(threads);
    libs[nl++] = (typeof(libs[0])){"blis", g_blis};
#endif
#ifdef HAVE_XSMM
    libxsmm_init();
    libs[nl++] = (typeof(libs[0])){"libxsmm", g_xsmm};
#endif
    step_shape sh[17];
    int n = step_shapes(batch, sh);
    size_t big = (size_t)784 * 784 * 4;
    float *A = malloc(big * 4), *B = malloc(big * 4), *C = calloc(big, 4);
    for (size_t i = 0; i < big; i++) A[i] = B[i] = (float)(i % 17) * 0.01f;
    double flops = 0;
    for (int s = 0; s < n; s++) flops += 2.0 * sh[s].M * sh[s].N * sh[s].K;
    printf("batch %d, threads %d, OpenBLAS core %s; %.3f GFLOP per step\n", batch, threads,
           openblas_get_corename(), flops * 1e-9);
    for (int l = 0; l < nl; l++) {
        double total = 0;
        for (int s = 0; s < n; s++) {
            int lda = sh[s].ta ? sh[s].M : sh[s].K, ldb = sh[s].tb ? sh[s].K : sh[s].N;
            libs[l].fn(&sh[s], A, lda, B, ldb, C);   /* warm-up: JIT, packing buffers */
            double best = 1e9;
            for (int r = 0; r < 5; r++) {
                double t0 = now();
                for (int k = 0; k < reps; k++) libs[l].fn(&sh[s], A, lda, B, ldb, C);
                double dt = (now() - t0) / reps;
                best = dt < best ? dt : best;
            }
            total += best;
        }
        printf("%-14s %8.3f ms per step's GEMMs  %6.0f GFLOP/s\n", libs[l].name, 1e3 * total,
               flops * 1e-9 / total);
    }
    vt_ctx_free(ctx);
    free(A), free(B), free(C);
    return 0;
}
