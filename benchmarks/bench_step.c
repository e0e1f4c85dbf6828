/* bench_step: the speed of one training step of the standard VAE.
 *
 * Model and step as `vtape train` runs them by default: 784-512-256, latent 32, relu,
 * diagonal Gaussian posterior, N(0, I) prior, Bernoulli decoder, analytic-KL ELBO,
 * Adam 1e-3, batch 128, dynamically binarized Fashion-MNIST batches. After --warmup
 * steps it times --repeats blocks of --steps steps each and reports
 *   images/s (median and best block, as ../shared/bench/torch_vae.py --bench-steps does),
 *   mean / median step time, and the split of a step into
 *     data (next batch + binarization), forward (loss on the tape), backward,
 *     optimizer (Adam + zeroing gradients),
 *   the share of the step spent in matrix products (ops/gemm: vtape's AVX-512 kernel or
 *   OpenBLAS, see vt_gemm_backend; VT_GEMM=openblas forces OpenBLAS),
 *   heap calls per step made by vtape's code during the timed steps (should be 0),
 *   peak RSS.
 *
 * The executable links vtape statically with -Wl,--wrap=vt_sgemm_ctx and
 * -Wl,--wrap=malloc,calloc,realloc,posix_memalign,aligned_alloc (CMakeLists.txt), so
 * every GEMM and every heap call of vtape's own code passes through the counters below.
 * Heap calls made inside shared libraries (OpenBLAS, libc, zlib) are not seen.
 *
 *   bench_step [--steps N] [--warmup W] [--repeats R] [--batch B] [--threads T]
 *              [--blas-threads T] [--seed S] [--data-dir DIR] [--json FILE] */
#define _GNU_SOURCE   /* dladdr */
#include <cblas.h>
#include <dlfcn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "vtape/data.h"
#include "vtape/vtape.h"

/* ---- counters behind the link-time wraps ---- */

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int counting;                 /* count heap calls only during timed steps */
static atomic_long heap_calls;       /* during the timed steps */
static atomic_long heap_calls_all;   /* in the whole run: shows that the wrap is live */
static void *first_heap_caller;      /* return address of the first counted heap call */

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

static double gemm_seconds;          /* vtape calls GEMMs from the calling thread only */
static long gemm_calls;
static double gemm_flops;

/* Every matrix product of vtape goes through ops/gemm's vt_sgemm_ctx (AVX-512 kernel
 * or OpenBLAS); the wrap times it whichever backend runs. */
void __real_vt_sgemm_ctx(vt_ctx *ctx, int ta, int tb, int m, int n, int k, const float *a,
                         int lda, const float *b, int ldb, float beta, float *c, int ldc);
void __wrap_vt_sgemm_ctx(vt_ctx *ctx, int ta, int tb, int m, int n, int k, const float *a,
                         int lda, const float *b, int ldb, float beta, float *c, int ldc);
void __wrap_vt_sgemm_ctx(vt_ctx *ctx, int ta, int tb, int m, int n, int k, const float *a,
                         int lda, const float *b, int ldb, float beta, float *c, int ldc) {
    double t0 = now();
    __real_vt_sgemm_ctx(ctx, ta, tb, m, n, k, a, lda, b, ldb, beta, c, ldc);
    gemm_seconds += now() - t0;
    gemm_calls++;
    gemm_flops += 2.0 * (double)m * (double)n * (double)k;
}

/* ---- options ---- */

typedef struct {
    long steps, warmup, repeats, batch, threads, blas_threads, seed;
    const char *data_dir, *json;
} options;

static int parse(options *o, int argc, char **argv) {
    *o = (options){.steps = 100, .warmup = 30, .repeats = 5, .batch = 128, .threads = 1,
                   .blas_threads = 2, .seed = 0, .data_dir = VT_FASHION_DIR};
    struct { const char *name; long *dest, lo, hi; } ints[] = {
        {"--steps", &o->steps, 1, 1000000},  {"--warmup", &o->warmup, 0, 1000000},
        {"--repeats", &o->repeats, 1, 1000}, {"--batch", &o->batch, 1, 60000},
        {"--threads", &o->threads, 1, 256},  {"--blas-threads", &o->blas_threads, 1, 256},
        {"--seed", &o->seed, 0, 2147483647},
    };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) return 1;
        if (i + 1 >= argc) {
            fprintf(stderr, "bench_step: %s needs a value\n", a);
            return -1;
        }
        const char *v = argv[++i];
        if (!strcmp(a, "--json")) { o->json = v; continue; }
        if (!strcmp(a, "--data-dir")) { o->data_dir = v; continue; }
        size_t j = 0;
        while (j < sizeof ints / sizeof ints[0] && strcmp(a, ints[j].name)) j++;
        if (j == sizeof ints / sizeof ints[0]) {
            fprintf(stderr, "bench_step: unknown option %s (see --help)\n", a);
            return -1;
        }
        char *end;
        long x = strtol(v, &end, 10);
        if (*v == '\0' || *end != '\0' || x < ints[j].lo || x > ints[j].hi) {
            fprintf(stderr, "bench_step: %s %s: need an integer in [%ld, %ld]\n", a, v,
                    ints[j].lo, ints[j].hi);
            return -1;
        }
        *ints[j].dest = x;
    }
    return 0;
}

static const char usage[] =
    "usage: bench_step [--steps N] [--warmup W] [--repeats R] [--batch B] [--threads T]\n"
    "                  [--blas-threads T] [--seed S] [--data-dir DIR] [--json FILE]\n"
    "Times training steps of the standard VAE (784-512-256, latent 32, Adam 1e-3):\n"
    "W warm-up steps, then R blocks of N timed steps. Defaults: N 100, W 30, R 5,\n"
    "B 128, --threads 1 (vtape's element-wise threads), --blas-threads 2 (OpenBLAS).\n";

/* ---- the step ---- */

enum { PH_DATA, PH_FWD, PH_BWD, PH_OPT, N_PH };
static const char *ph_name[N_PH] = {"data", "forward", "backward", "optimizer"};

typedef struct {
    vt_ctx *ctx;
    vt_vae v;
    vt_optim *opt;
    vt_batcher *batcher;
    float *x;
    int dim;
    uint64_t epoch;
    double loss;
} bench;

/* One step; t[] gets the seconds of each phase, g[] the GEMM seconds inside it. */
static int step(bench *b, double t[N_PH], double g[N_PH]) {
    double mark[N_PH + 1], gmark[N_PH + 1];
    mark[0] = now();
    gmark[0] = gemm_seconds;
    size_t rows = vt_batcher_next(b->batcher, b->x, NULL);
    if (rows == 0) {   /* end of the epoch (drop_last: every batch is full) */
        vt_batcher_start_epoch(b->batcher, ++b->epoch);
        rows = vt_batcher_next(b->batcher, b->x, NULL);
    }
    mark[1] = now();
    gmark[1] = gemm_seconds;
    vt_ctx_reset(b->ctx);
    vt_tensor *xb = vt_tensor_wrap(b->ctx, 2, (int[]){(int)rows, b->dim}, b->x);
    vt_elbo_opts eo = vt_elbo_defaults();
    vt_elbo_terms terms;
    if (vt_vae_loss(b->ctx, &b->v, xb, NULL, &eo, &terms) != 0) return -1;
    mark[2] = now();
    gmark[2] = gemm_seconds;
    if (vt_backward(b->ctx, terms.loss, NULL) != 0) return -1;
    mark[3] = now();
    gmark[3] = gemm_seconds;
    vt_error oe;
    if (vt_optim_step(b->opt, 1e-3f, &oe) != 0) {
        fprintf(stderr, "bench_step: %s\n", oe.msg);
        return -2;
    }
    vt_store_zero_grad(b->v.store);
    mark[4] = now();
    gmark[4] = gemm_seconds;
    for (int p = 0; p < N_PH; p++) {
        t[p] = mark[p + 1] - mark[p];
        g[p] = gmark[p + 1] - gmark[p];
    }
    b->loss = terms.loss->data[0];
    return 0;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, long n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

int main(int argc, char **argv) {
    options o;
    int rc = parse(&o, argc, argv);
    if (rc != 0) {
        fputs(usage, rc > 0 ? stdout : stderr);
        return rc > 0 ? 0 : 2;
    }
    openblas_set_num_threads((int)o.blas_threads);

    vt_error de;
    vt_dataset train, test;
    if (vt_dataset_load_fashion(&train, &test, o.data_dir, &de) != 0) {
        fprintf(stderr, "bench_step: %s\n", de.msg);
        return 1;
    }
    bench b = {.dim = train.dim};
    vt_error err = {0};
    vt_vae_config cfg = vt_vae_default_config();
    cfg.seed = (uint64_t)o.seed;
    if (vt_vae_init(&b.v, &cfg, &err) != 0) {
        fprintf(stderr, "bench_step: %s\n", err.msg);
        return 1;
    }
    vt_optim_config oc = vt_optim_defaults(VT_ADAM);
    b.opt = vt_optim_new(b.v.store, &oc, &err);
    b.ctx = vt_ctx_new(&(vt_ctx_opts){.threads = (int)o.threads, .seed = (uint64_t)o.seed});
    vt_batcher_opts bo = {.batch_size = (size_t)o.batch, .seed = (uint64_t)o.seed,
                          .drop_last = 1, .binarize = VT_BIN_DYNAMIC};
    b.batcher = vt_batcher_new(&train, &bo, &de);
    b.x = malloc((size_t)o.batch * (size_t)train.dim * sizeof *b.x);
    if (!b.opt || !b.ctx || !b.batcher || !b.x) {
        fprintf(stderr, "bench_step: setup failed: %s\n", b.opt ? de.msg : err.msg);
        return 1;
    }
    vt_optim_set_ctx(b.opt, b.ctx);   /* Adam on vtape's threads too */
    vt_batcher_start_epoch(b.batcher, 0);

    double t[N_PH], g[N_PH];
    for (long i = 0; i < o.warmup; i++)
        if (step(&b, t, g) != 0) goto fail;

    long n = o.steps * o.repeats;
    double *step_s = malloc((size_t)n * sizeof *step_s);
    double *block_ips = malloc((size_t)o.repeats * sizeof *block_ips);
    if (!step_s || !block_ips) return 1;
    double ph[N_PH] = {0}, ph_gemm[N_PH] = {0}, total = 0;
    long calls0 = gemm_calls;
    double flops0 = gemm_flops;
    counting = 1;
    for (long r = 0; r < o.repeats; r++) {
        double block = 0;
        for (long i = 0; i < o.steps; i++) {
            if (step(&b, t, g) != 0) {
                counting = 0;
                goto fail;
            }
            double s = 0;
            for (int p = 0; p < N_PH; p++) {
                s += t[p];
                ph[p] += t[p];
                ph_gemm[p] += g[p];
            }
            step_s[r * o.steps + i] = s;
            block += s;
        }
        block_ips[r] = (double)(o.steps * o.batch) / block;
        total += block;
    }
    counting = 0;

    double gemm = 0;
    for (int p = 0; p < N_PH; p++) gemm += ph_gemm[p];
    double mean_ms = 1e3 * total / (double)n, median_ms = 1e3 * median(step_s, n);
    double ips_median = median(block_ips, o.repeats);
    qsort(block_ips, (size_t)o.repeats, sizeof *block_ips, cmp_double);
    double ips_best = block_ips[o.repeats - 1];
    double allocs = (double)atomic_load(&heap_calls) / (double)n;
    double gemm_per_step = (double)(gemm_calls - calls0) / (double)n;
    double gflops = (gemm_flops - flops0) / gemm / 1e9;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double rss_mib = (double)ru.ru_maxrss / 1024.0;

    printf("bench_step: VAE 784-512-256 latent 32 relu, Adam 1e-3, batch %ld, dynamic "
           "binarization; %zu parameters\n", o.batch, vt_store_numel(b.v.store));
    printf("  threads %ld (vtape), blas-threads %ld; GEMM %s; %s (core %s)\n", o.threads,
           o.blas_threads, vt_gemm_backend(), openblas_get_config(), openblas_get_corename());
    printf("  %ld warm-up steps, %ld x %ld timed steps; last loss %.9g\n", o.warmup,
           o.repeats, o.steps, b.loss);
    printf("  images/s      %9.0f median of %ld blocks (best %.0f)\n", ips_median, o.repeats,
           ips_best);
    printf("  step time     %9.3f ms mean, %.3f ms median\n", mean_ms, median_ms);
    for (int p = 0; p < N_PH; p++)
        printf("  %-13s %9.3f ms  %5.1f %%  (GEMM %.3f ms)\n", ph_name[p],
               1e3 * ph[p] / (double)n, 100.0 * ph[p] / total, 1e3 * ph_gemm[p] / (double)n);
    printf("  GEMM share    %9.1f %% of the step: %.1f GEMM calls/step, %.3f ms/step, "
           "%.1f GFLOP/s\n", 100.0 * gemm / total, gemm_per_step, 1e3 * gemm / (double)n,
           gflops);
    printf("  heap calls    %9.3f per step (%ld in %ld timed steps; %ld in the whole run)\n",
           allocs, atomic_load(&heap_calls), n, atomic_load(&heap_calls_all));
    if (first_heap_caller) {
        Dl_info di;
        if (dladdr(first_heap_caller, &di) && di.dli_fname)
            printf("  first heap call from %s+0x%lx (addr2line -f -e %s 0x%lx)\n",
                   di.dli_fname, (unsigned long)((char *)first_heap_caller - (char *)di.dli_fbase),
                   di.dli_fname, (unsigned long)((char *)first_heap_caller - (char *)di.dli_fbase));
    }
    printf("  peak RSS      %9.1f MiB\n", rss_mib);

    if (o.json) {
        FILE *f = fopen(o.json, "w");
        if (!f) {
            perror(o.json);
            return 1;
        }
        fprintf(f, "{\n \"impl\": \"vtape\", \"batch\": %ld, \"threads\": %ld, "
                   "\"blas_threads\": %ld,\n \"warmup\": %ld, \"steps\": %ld, \"repeats\": %ld,\n"
                   " \"images_per_s_median\": %.1f, \"images_per_s_best\": %.1f,\n"
                   " \"ms_per_step_mean\": %.4f, \"ms_per_step_median\": %.4f,\n",
                o.batch, o.threads, o.blas_threads, o.warmup, o.steps, o.repeats, ips_median,
                ips_best, mean_ms, median_ms);
        fprintf(f, " \"phase_ms\": {");
        for (int p = 0; p < N_PH; p++)
            fprintf(f, "%s\"%s\": %.4f", p ? ", " : "", ph_name[p], 1e3 * ph[p] / (double)n);
        fprintf(f, "},\n \"phase_gemm_ms\": {");
        for (int p = 0; p < N_PH; p++)
            fprintf(f, "%s\"%s\": %.4f", p ? ", " : "", ph_name[p], 1e3 * ph_gemm[p] / (double)n);
        fprintf(f, "},\n \"gemm_flop_per_step\": %.0f,", (gemm_flops - flops0) / (double)n);
        fprintf(f, "\n \"gemm_share\": %.4f, \"gemm_calls_per_step\": %.2f, "
                   "\"gemm_gflops\": %.2f,\n \"heap_calls_per_step\": %.4f, "
                   "\"peak_rss_mib\": %.1f,\n \"gemm_backend\": \"%s\", \"openblas\": \"%s\"\n}\n",
                gemm / total, gemm_per_step, gflops, allocs, rss_mib, vt_gemm_backend(),
                openblas_get_config());
        fclose(f);
    }
    free(step_s);
    free(block_ips);
    free(b.x);
    vt_batcher_free(b.batcher);
    vt_ctx_free(b.ctx);
    vt_optim_free(b.opt);
    vt_vae_free(&b.v);
    vt_dataset_free(&train);
    vt_dataset_free(&test);
    return 0;
fail:
    fprintf(stderr, "bench_step: step failed: %s\n",
            vt_ctx_error(b.ctx) ? vt_ctx_error(b.ctx) : "optimizer");
    return 1;
}
