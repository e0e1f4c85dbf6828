/* bench_gemm: the GEMMs of one VAE training step (784-512-256, latent 32, batch B),
 * each timed on vtape's AVX-512 kernel and on OpenBLAS (whatever kernel OpenBLAS
 * picked: OPENBLAS_CORETYPE applies), with the largest difference between the two.
 *
 *   bench_gemm [--batch B] [--threads T] [--reps R] [--only avx512|openblas]
 * --only times one backend (for cycle counts under `perf stat`; the other column is 0).
 * T is vtape's pool size and OpenBLAS's thread count. Prints one line per shape and
 * the step's total GEMM time and GFLOP/s for each backend. */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "benchmarks/step_shapes.h"
#include "ops/gemm/gemm.h"
#include "vtape/vtape.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}


static void run(vt_ctx *ctx, int avx, const step_shape *s, const float *A, const float *B, float *C) {
    int lda = s->ta ? s->M : s->K, ldb = s->tb ? s->K : s->N;
    if (avx) vt_sgemm_ctx(ctx, s->ta, s->tb, s->M, s->N, s->K, A, lda, B, ldb, s->beta, C, s->N);
    else
        cblas_sgemm(CblasRowMajor, s->ta ? CblasTrans : CblasNoTrans,
                    s->tb ? CblasTrans : CblasNoTrans, s->M, s->N, s->K, 1.0f, A, lda, B, ldb,
                    s->beta, C, s->N);
}

int main(int argc, char **argv) {
    int batch = 128, threads = 2, reps = 200, only = -1;   /* only: 1 avx512, 0 openblas */
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--batch")) batch = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--threads")) threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--reps")) reps = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--only")) only = !strcmp(argv[i + 1], "avx512");
    }
    if (vt_gemm_use("avx512") != 0) {
        fprintf(stderr, "bench_gemm: this CPU has no AVX-512F\n");
        return 77;
    }
    openblas_set_num_threads(threads);
    vt_ctx *ctx = vt_ctx_new(&(vt_ctx_opts){.threads = threads});
    step_shape sh[17];
    int n = step_shapes(batch, sh);
    size_t big = (size_t)784 * 784 * 4;
    float *A = malloc(big * 4), *B = malloc(big * 4), *C0 = calloc(big, 4), *C1 = calloc(big, 4),
          *W = calloc(big, 4);
    for (size_t i = 0; i < big; i++) {
        A[i] = (float)((i * 2654435761u) % 1000) / 1000.0f - 0.5f;
        B[i] = (float)((i * 40503u) % 1000) / 1000.0f - 0.5f;
    }
    double tot[2] = {0, 0}, flops = 0;
    printf("batch %d, threads %d, OpenBLAS core %s\n", batch, threads, openblas_get_corename());
    printf("%-10s %2s %2s %5s %5s %5s  %9s %9s  %s\n", "GEMM", "ta", "tb", "M", "N", "K",
           "avx512 us", "oblas us", "max |diff| / scale");
    for (int s = 0; s < n; s++) {
        double t[2];
        for (int avx = 0; avx < 2; avx++) {
            float *C = avx ? C1 : C0;
            memset(C, 0, (size_t)sh[s].M * sh[s].N * 4);
            run(ctx, avx, &sh[s], A, B, C);   /* correctness: one product on zeros */
            double best = 1e9;
            for (int r = 0; r < 5 && (only < 0 || only == avx); r++) {
                double t0 = now();
                for (int k = 0; k < reps / 5; k++) run(ctx, avx, &sh[s], A, B, W);
                double dt = (now() - t0) / (reps / 5);
                if (dt < best) best = dt;
            }
            t[avx] = best < 1e9 ? best : 0;
        }
        double md = 0;
        for (size_t i = 0; i < (size_t)sh[s].M * sh[s].N; i++)
            md = fmax(md, fabs((double)C0[i] - C1[i]));
        tot[0] += t[0];
        tot[1] += t[1];
        flops += 2.0 * sh[s].M * sh[s].N * sh[s].K;
        printf("%-10s %2d %2d %5d %5d %5d  %9.1f %9.1f  %.2g\n", sh[s].what, sh[s].ta, sh[s].tb,
               sh[s].M, sh[s].N, sh[s].K, 1e6 * t[1], 1e6 * t[0], md / sqrt(sh[s].K));
    }
    printf("step GEMMs: %.3f GFLOP; avx512 %.3f ms (%.0f GFLOP/s), openblas %.3f ms (%.0f GFLOP/s)\n",
           flops * 1e-9, 1e3 * tot[1], flops * 1e-9 / tot[1], 1e3 * tot[0], flops * 1e-9 / tot[0]);
    vt_ctx_free(ctx);
    free(A), free(B), free(C0), free(C1), free(W);
    return 0;
}
