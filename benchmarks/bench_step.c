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
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vtape/data.h"
#include "vtape/vtape.h"

#include "benchmarks/step/counters.h"
#include "benchmarks/step/report.h"

/* ---- options ---- */

typedef struct {
    step_config cfg;   /* steps, warmup, repeats, batch, threads, blas_threads */
    long seed;
    const char *data_dir, *json;
} options;

static int parse(options *o, int argc, char **argv) {
    *o = (options){.cfg = {.steps = 100, .warmup = 30, .repeats = 5, .batch = 128,
                           .threads = 1, .blas_threads = 2},
                   .seed = 0, .data_dir = VT_FASHION_DIR};
    struct { const char *name; long *dest, lo, hi; } ints[] = {
        {"--steps", &o->cfg.steps, 1, 1000000},  {"--warmup", &o->cfg.warmup, 0, 1000000},
        {"--repeats", &o->cfg.repeats, 1, 1000}, {"--batch", &o->cfg.batch, 1, 60000},
        {"--threads", &o->cfg.threads, 1, 256},  {"--blas-threads", &o->cfg.blas_threads, 1, 256},
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
    mark[0] = bench_now();
    gmark[0] = gemm_seconds;
    size_t rows = vt_batcher_next(b->batcher, b->x, NULL);
    if (rows == 0) {   /* end of the epoch (drop_last: every batch is full) */
        vt_batcher_start_epoch(b->batcher, ++b->epoch);
        rows = vt_batcher_next(b->batcher, b->x, NULL);
    }
    mark[1] = bench_now();
    gmark[1] = gemm_seconds;
    vt_ctx_reset(b->ctx);
    vt_tensor *xb = vt_tensor_wrap(b->ctx, 2, (int[]){(int)rows, b->dim}, b->x);
    vt_elbo_opts eo = vt_elbo_defaults();
    vt_elbo_terms terms;
    if (vt_vae_loss(b->ctx, &b->v, xb, NULL, &eo, &terms) != 0) return -1;
    mark[2] = bench_now();
    gmark[2] = gemm_seconds;
    if (vt_backward(b->ctx, terms.loss, NULL) != 0) return -1;
    mark[3] = bench_now();
    gmark[3] = gemm_seconds;
    vt_error oe;
    if (vt_optim_step_zero_grad(b->opt, 1e-3f, &oe) != 0) {
        fprintf(stderr, "bench_step: %s\n", oe.msg);
        return -2;
    }
    mark[4] = bench_now();
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

/* The model, optimizer, context and batches of the step; 0, or 1 with a message. */
static int setup(bench *b, const options *opt, vt_dataset *train) {
    vt_error err = {0};
    vt_vae_config cfg = vt_vae_default_config();
    const step_config *o = &opt->cfg;
    cfg.seed = (uint64_t)opt->seed;
    if (vt_vae_init(&b->v, &cfg, &err) != 0) {
        fprintf(stderr, "bench_step: %s\n", err.msg);
        return 1;
    }
    vt_optim_config oc = vt_optim_defaults(VT_ADAM);
    b->opt = vt_optim_new(b->v.store, &oc, &err);
    b->ctx = vt_ctx_new(&(vt_ctx_opts){.threads = (int)o->threads, .seed = (uint64_t)opt->seed});
    vt_batcher_opts bo = {.batch_size = (size_t)o->batch, .seed = (uint64_t)opt->seed,
                          .drop_last = 1, .binarize = VT_BIN_DYNAMIC};
    b->batcher = vt_batcher_new(train, &bo, &err);
    b->x = malloc((size_t)o->batch * (size_t)train->dim * sizeof *b->x);
    if (!b->opt || !b->ctx || !b->batcher || !b->x) {
        fprintf(stderr, "bench_step: setup failed: %s\n", err.msg[0] ? err.msg : "out of memory");
        return 1;
    }
    vt_optim_set_ctx(b->opt, b->ctx);   /* Adam on vtape's threads too */
    vt_batcher_set_ctx(b->batcher, b->ctx);   /* and the binarization, as vtape train */
    vt_batcher_start_epoch(b->batcher, 0);
    return 0;
}

/* Warm-up, then the timed blocks; fills the result. 0, or 1 when a step failed. */
static int run(bench *b, const step_config *o, step_result *res) {
    double t[N_PH], g[N_PH];
    for (long i = 0; i < o->warmup; i++)
        if (step(b, t, g) != 0) return 1;
    long n = o->steps * o->repeats;
    double *step_s = malloc((size_t)n * sizeof *step_s);
    double *block_ips = malloc((size_t)o->repeats * sizeof *block_ips);
    if (!step_s || !block_ips) return free(step_s), free(block_ips), 1;
    long calls0 = gemm_calls;
    double flops0 = gemm_flops;
    int rc = 0;
    counting = 1;
    for (long r = 0; r < o->repeats && rc == 0; r++) {
        double block = 0;
        for (long i = 0; i < o->steps && rc == 0; i++) {
            if ((rc = step(b, t, g)) != 0) break;
            double s = 0;
            for (int p = 0; p < N_PH; p++) {
                s += t[p];
                res->phase[p] += t[p];
                res->phase_gemm[p] += g[p];
            }
            step_s[r * o->steps + i] = s;
            block += s;
        }
        block_ips[r] = (double)(o->steps * o->batch) / block;
        res->total += block;
    }
    counting = 0;
    if (rc == 0) {
        res->steps = n;
        res->median_ms = 1e3 * median(step_s, n);
        res->ips_median = median(block_ips, o->repeats);
        qsort(block_ips, (size_t)o->repeats, sizeof *block_ips, cmp_double);
        res->ips_best = block_ips[o->repeats - 1];
        res->gemm_calls = gemm_calls - calls0;
        res->gemm_flops = gemm_flops - flops0;
        res->loss = b->loss;
    }
    free(step_s);
    free(block_ips);
    return rc != 0;
}

int main(int argc, char **argv) {
    options o;
    int rc = parse(&o, argc, argv);
    if (rc != 0) {
        fputs(usage, rc > 0 ? stdout : stderr);
        return rc > 0 ? 0 : 2;
    }
    openblas_set_num_threads((int)o.cfg.blas_threads);
    vt_error de;
    vt_dataset train, test;
    if (vt_dataset_load_fashion(&train, &test, o.data_dir, &de) != 0) {
        fprintf(stderr, "bench_step: %s\n", de.msg);
        return 1;
    }
    bench b = {.dim = train.dim};
    step_result res = {0};
    rc = setup(&b, &o, &train);
    if (rc == 0 && (rc = run(&b, &o.cfg, &res)) != 0)
        fprintf(stderr, "bench_step: step failed: %s\n",
                vt_ctx_error(b.ctx) ? vt_ctx_error(b.ctx) : "optimizer");
    if (rc == 0) {
        step_report_print(&o.cfg, &res, vt_store_numel(b.v.store));
        if (o.json) rc = step_report_json(o.json, &o.cfg, &res);
    }
    free(b.x);
    vt_batcher_free(b.batcher);
    vt_ctx_free(b.ctx);
    vt_optim_free(b.opt);
    vt_vae_free(&b.v);
    vt_dataset_free(&train);
    vt_dataset_free(&test);
    return rc;
}
