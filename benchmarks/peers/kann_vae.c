/* kann_vae: the VAE of ../shared/bench/torch_vae.py written with kann
 * (github.com/attractivechaos/kann, r557), timed as `torch_vae.py --bench-steps` times
 * it. kann is not part of vtape: benchmarks/compare_speed.sh builds this file against
 * a kann checkout given in KANN_DIR (git clone https://github.com/attractivechaos/kann).
 *
 * Same layers as torch_vae.py: 784-512-256 relu, linear 256 -> 32 (mu) and 256 -> 32
 * (log sigma: torch_vae.py's one 256 -> 64 layer split in two, the same function and
 * FLOPs), z = mu + exp(log sigma) eps, decoder 32-256-512 relu, linear to 784 logits;
 * loss = mean over the batch of rec + kl, kl = sum 0.5 (mu^2 + sigma^2 - 1) - log sigma;
 * init U(+-1/sqrt(fan_in)) for weights and biases as nn.Linear; Adam lr 1e-3, betas
 * (0.9, 0.999), eps 1e-8 written here (kann ships only RMSprop); dynamic binarization of
 * each batch; a random permutation, full batches only.
 * One difference kann forces: it has no BCE-with-logits op, so the reconstruction term is
 * kad_ce_bin(kad_sigm(logits), x) * 784 (sigmoid, then a log clamped at 1e-9), the same
 * function away from saturated logits and the same amount of work.
 *
 *   kann_vae [--batch B] [--threads T] [--bench-steps N] [--bench-warmup W]
 *            [--bench-repeats R] [--seed S] [--data-dir D] [--json F]
 * --threads > 1 uses kann_mt (the batch split over threads). Built with -DHAVE_CBLAS,
 * kann's products go to cblas_sgemm instead (OpenBLAS threads: OPENBLAS_NUM_THREADS). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "kann.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Training images as floats in [0, 1]; *n gets the count. */
static float *load_images(const char *dir, int *n) {
    char path[1024];
    snprintf(path, sizeof path, "%s/train-images-idx3-ubyte.gz", dir);
    gzFile f = gzopen(path, "rb");
    unsigned char h[16];
    if (!f || gzread(f, h, 16) != 16) return NULL;
    *n = h[4] << 24 | h[5] << 16 | h[6] << 8 | h[7];
    size_t len = (size_t)*n * 784;
    unsigned char *raw = malloc(len);
    float *x = malloc(len * sizeof *x);
    if (gzread(f, raw, (unsigned)len) != (int)len) return NULL;
    for (size_t i = 0; i < len; i++) x[i] = raw[i] / 255.0f;
    free(raw);
    gzclose(f);
    return x;
}

#define scalar(v) kann_new_scalar(KAD_CONST, (v))

static kann_t *model(void) {
    kad_node_t *x = kad_feed(2, 1, 784), *h, *mu, *logsig, *z, *rec, *kl;
    x->ext_flag |= KANN_F_IN;
    h = kad_relu(kann_layer_dense(x, 512));
    h = kad_relu(kann_layer_dense(h, 256));
    mu = kann_layer_dense(h, 32);
    logsig = kann_layer_dense(h, 32);
    z = kad_add(kad_sample_normal(kad_exp(logsig)), mu);   /* mu + sigma eps */
    h = kad_relu(kann_layer_dense(z, 256));
    h = kad_relu(kann_layer_dense(h, 512));
    h = kad_sigm(kann_layer_dense(h, 784));
    rec = kad_mul(kad_ce_bin(h, x), scalar(784.0f));       /* mean over the batch of the sum */
    /* kl per image: sum_i 0.5 (mu^2 + exp(2 log sigma) - 1) - log sigma, then the batch mean */
    kl = kad_add(kad_square(mu), kad_exp(kad_mul(logsig, scalar(2.0f))));
    kl = kad_mul(kad_sub(kl, scalar(1.0f)), scalar(0.5f));
    kl = kad_reduce_mean(kad_reduce_sum(kad_sub(kl, logsig), 1), 0);
    kad_node_t *cost = kad_add(rec, kl);
    cost->ext_flag |= KANN_F_COST;
    return kann_new(cost, 0);
}

/* nn.Linear's init: weights (out x in) and biases U(-1/sqrt(in), 1/sqrt(in)). */
static void torch_init(kann_t *ann) {
    int fan_in = 1;
    for (int i = 0; i < ann->n; i++) {
        kad_node_t *p = ann->v[i];
        if (!kad_is_var(p)) continue;
        if (p->n_d == 2) fan_in = p->d[1];
        float a = 1.0f / sqrtf((float)fan_in);
        for (int j = 0; j < kad_len(p); j++) p->x[j] = (float)(2.0 * kad_drand(0) - 1.0) * a;
    }
}

typedef struct { float *m, *v; long t; } adam;

static void adam_step(adam *o, int n, float *p, const float *g, float lr) {
    o->t++;
    double bc1 = 1.0 - pow(0.9, (double)o->t), bc2 = 1.0 - pow(0.999, (double)o->t);
    float step = (float)(lr / bc1), isb = (float)(1.0 / sqrt(bc2));
    for (int i = 0; i < n; i++) {
        o->m[i] = 0.9f * o->m[i] + 0.1f * g[i];
        o->v[i] = 0.999f * o->v[i] + 0.001f * g[i] * g[i];
        p[i] -= step * o->m[i] / (sqrtf(o->v[i]) * isb + 1e-8f);
    }
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    int batch = 128, threads = 1, steps = 100, warmup = 30, repeats = 5, seed = 0;
    const char *dir = "/usr/share/datasets/fashion-mnist", *json = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *a = argv[i], *v = argv[i + 1];
        if (!strcmp(a, "--batch")) batch = atoi(v);
        else if (!strcmp(a, "--threads")) threads = atoi(v);
        else if (!strcmp(a, "--bench-steps")) steps = atoi(v);
        else if (!strcmp(a, "--bench-warmup")) warmup = atoi(v);
        else if (!strcmp(a, "--bench-repeats")) repeats = atoi(v);
        else if (!strcmp(a, "--seed")) seed = atoi(v);
        else if (!strcmp(a, "--data-dir")) dir = v;
        else if (!strcmp(a, "--json")) json = v;
        else return fprintf(stderr, "kann_vae: unknown option %s\n", a), 2;
    }
    int N;
    float *xtr = load_images(dir, &N);
    if (!xtr) return fprintf(stderr, "kann_vae: cannot read %s\n", dir), 1;
    kann_srand(seed);
    kann_t *ann = model();
    torch_init(ann);
    int n_var = kann_size_var(ann);
    adam opt = {calloc(n_var, 4), calloc(n_var, 4), 0};
    if (threads > 1) kann_mt(ann, threads, batch);
    kann_switch(ann, 1);

    int *perm = malloc(N * sizeof *perm), nb = N / batch;
    for (int i = 0; i < N; i++) perm[i] = i;
    kann_shuffle(N, perm);
    float *xb = malloc((size_t)batch * 784 * sizeof *xb), **rows = malloc(batch * sizeof *rows);
    for (int r = 0; r < batch; r++) rows[r] = xb + (size_t)r * 784;
    long s = 0;
    double *rates = malloc(repeats * sizeof *rates);
    for (int rep = -1; rep < repeats; rep++) {   /* rep -1: warm-up */
        int n = rep < 0 ? warmup : steps;
        double t0 = now();
        for (int i = 0; i < n; i++, s++) {
            const int *idx = perm + (s % nb) * batch;
            for (int r = 0; r < batch; r++)          /* dynamic binarization */
                for (int j = 0; j < 784; j++)
                    rows[r][j] = kad_drand(0) < xtr[(size_t)idx[r] * 784 + j] ? 1.0f : 0.0f;
            kann_set_batch_size(ann, batch);
            kann_feed_bind(ann, KANN_F_IN, 0, rows);
            kann_cost(ann, 0, 1);
            adam_step(&opt, n_var, ann->x, ann->g, 1e-3f);
        }
        if (rep >= 0) rates[rep] = n / (now() - t0);
    }
    qsort(rates, repeats, sizeof *rates, cmp);
    double med = rates[repeats / 2], best = rates[repeats - 1];
#ifdef HAVE_CBLAS
    const char *mode = "cblas";
#else
    const char *mode = "builtin";
#endif
    printf("BENCH kann (%s GEMM) batch=%d threads=%d steps=%dx%d images/s=%.0f (best %.0f) "
           "ms/step=%.3f\n", mode, batch, threads, steps, repeats, med * batch, best * batch,
           1e3 / med);
    if (json) {
        FILE *f = fopen(json, "w");
        if (!f) return 1;
        fprintf(f, "{\"info\": {\"impl\": \"kann\", \"gemm\": \"%s\", \"threads\": %d},\n"
                   " \"bench\": {\"images_per_s_median\": %.1f, \"images_per_s_best\": %.1f, "
                   "\"ms_per_step_median\": %.4f}}\n", mode, threads, med * batch, best * batch,
                1e3 / med);
        fclose(f);
    }
    return 0;
}
