/* fma_peak: the machine's single-precision FMA peak, measured, for the FMA-peak
 * column of docs/performance.md. Each thread runs 12 independent chains of fused
 * multiply-adds (enough to cover FMA latency x throughput) on 16-lane (AVX-512) or
 * 8-lane (AVX2) registers; best of 5 runs of `iters` iterations.
 *
 *   fma_peak [--threads T] [--iters N]       prints GFLOP/s for avx512 and avx2 */
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long iters = 20000000;
static volatile float sink;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

#define CHAINS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)

__attribute__((target("avx512f"))) static void *run512(void *arg) {
    (void)arg;
    __m512 a = _mm512_set1_ps(0.999f), b = _mm512_set1_ps(1e-7f);
#define DECL(i) __m512 c##i = _mm512_set1_ps((float)i);
#define STEP(i) c##i = _mm512_fmadd_ps(c##i, a, b);
#define SUM(i) s = _mm512_add_ps(s, c##i);
    CHAINS(DECL)
    for (long n = 0; n < iters; n++) { CHAINS(STEP) }
    __m512 s = _mm512_setzero_ps();
    CHAINS(SUM)
    sink = _mm512_reduce_add_ps(s);
    return NULL;
}

__attribute__((target("avx2,fma"))) static void *run256(void *arg) {
    (void)arg;
    __m256 a = _mm256_set1_ps(0.999f), b = _mm256_set1_ps(1e-7f);
#undef DECL
#undef STEP
#undef SUM
#define DECL(i) __m256 c##i = _mm256_set1_ps((float)i);
#define STEP(i) c##i = _mm256_fmadd_ps(c##i, a, b);
#define SUM(i) s = _mm256_add_ps(s, c##i);
    CHAINS(DECL)
    for (long n = 0; n < iters; n++) { CHAINS(STEP) }
    __m256 s = _mm256_setzero_ps();
    CHAINS(SUM)
    float o[8];
    _mm256_storeu_ps(o, s);
    sink = o[0];
    return NULL;
}

static double gflops(void *(*fn)(void *), int threads, int lanes) {
    double best = 0;
    for (int r = 0; r < 5; r++) {
        pthread_t t[64];
        double t0 = now();
        for (int i = 0; i < threads; i++) pthread_create(&t[i], NULL, fn, NULL);
        for (int i = 0; i < threads; i++) pthread_join(t[i], NULL);
        double g = 2.0 * 12 * lanes * (double)iters * threads / (now() - t0) * 1e-9;
        if (g > best) best = g;
    }
    return best;
}

int main(int argc, char **argv) {
    int threads = 1;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--threads")) threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--iters")) iters = atol(argv[i + 1]);
    }
    if (threads < 1 || threads > 64) return 2;
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f"))
        printf("avx512 fma peak, %d threads: %.0f GFLOP/s\n", threads, gflops(run512, threads, 16));
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        printf("avx2   fma peak, %d threads: %.0f GFLOP/s\n", threads, gflops(run256, threads, 8));
    return 0;
}
